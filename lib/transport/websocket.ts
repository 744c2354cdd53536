/**
 * A raw RFC 6455 WebSocket client over a {@linkcode ByteConn}: the HTTP/1.1 upgrade (checking
 * `Sec-WebSocket-Accept` and the chosen subprotocol, which Deno's native client does not), masked
 * unfragmented outgoing frames, reassembly of fragmented incoming messages, ping/pong and the
 * closing handshake.
 *
 * Receiving is pulled: the socket is read only inside {@linkcode WebSocketConn.receive}, into one
 * 256 KiB buffer, so a consumer that stops reading applies TCP back-pressure to the server.
 * `receiveView` returns messages as views of that buffer (valid until the next receive), which
 * saves a copy and an allocation per message on bulk output. Pings
 * are answered (and pongs noticed) only while someone calls `receive` — as in client-go, whose
 * read loop also stalls when output blocks. `receive` must not be called concurrently.
 *
 * @module
 */
import { redactHeaderValue } from "../log.ts";
import { BufferedReader } from "./buffered_reader.ts";
import { UpgradeError, WebSocketClosedError, WebSocketProtocolError } from "./errors.ts";
import { readResponseBody, readResponseHead, type ResponseHead, writeRequest } from "./http1.ts";
import type { ByteConn, WebSocketCloseInfo, WebSocketConn, WebSocketMessage } from "./types.ts";
import {
  decodeClosePayload,
  encodeClientFrame,
  encodeClosePayload,
  encodePrefixedClientFrames,
  FrameHeaderError,
  Opcode,
  parseFrameHeader,
} from "./websocket_frame.ts";
import { createFrameBuffer, type FrameBuffer } from "./websocket_mask.ts";

/** Largest message {@linkcode WebSocketConn.send} accepts (client-go's 32 KiB data buffer). */
export const MAX_SEND_MESSAGE_BYTES = 32 * 1024;
/** Size of the buffer `sendPrefixed` reuses: four full 32 KiB messages and their headers. */
const SEND_BUFFER_BYTES = 4 * (MAX_SEND_MESSAGE_BYTES + 8);
/**
 * Bytes framed in the send buffer before it moves to WebAssembly memory, where masking runs 16
 * bytes per instruction. The WebAssembly engine and its optimising tier cost 6–7 MiB resident on a
 * bulk stream, which typing into a shell or a small `exec -i` never needs.
 */
const SIMD_AFTER_BYTES = 1024 * 1024;
/** Largest incoming message (after reassembly); beyond it the connection fails with 1009. */
export const MAX_RECEIVE_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Close codes an endpoint may put on the wire (RFC 6455 §7.4 and the IANA registry). */
function isSendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999);
}

/**
 * Largest number of frames one received message may come in (4,096 would carry a largest message
 * in 16 KiB pieces); more fails the connection with 1009.
 */
export const MAX_RECEIVE_FRAGMENTS = 65_536;
/** How much of a refused upgrade's body is kept (client-go reads the same amount). */
export const MAX_UPGRADE_ERROR_BODY_BYTES = 64 * 1024;
/** How long a refused upgrade's body may take to arrive before the error is raised without it. */
export const REFUSAL_BODY_WAIT_MS = 2000;
/** How long {@linkcode WebSocketConn.close} waits for the server's close frame. */
export const CLOSE_HANDSHAKE_TIMEOUT_MS = 5000;

const ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** What the upgrade request carries. */
export interface WebSocketHandshake {
  /** Request target: path and query. */
  target: string;
  /** `Host` header value (`host[:port]`). */
  host: string;
  /** Offered subprotocols, sent in one `Sec-WebSocket-Protocol` line. */
  protocols: string[];
  /** Further header lines (authorization, user agent, impersonation, …). */
  headers?: [string, string][];
  /** How long to wait for a refused upgrade's body (default {@linkcode REFUSAL_BODY_WAIT_MS}). */
  refusalBodyWaitMs?: number;
}

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

/**
 * The `Sec-WebSocket-Accept` value expected for `key` (RFC 6455 §4.2.2).
 *
 * @example
 * ```ts
 * import { expectedAccept } from "./websocket.ts";
 * await expectedAccept("dGhlIHNhbXBsZSBub25jZQ=="); // "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
 * ```
 */
export async function expectedAccept(key: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-1",
    new TextEncoder().encode(key + ACCEPT_GUID),
  );
  return base64(new Uint8Array(digest));
}

/**
 * Performs the upgrade on `conn` and returns the open WebSocket. A non-101 answer closes `conn`
 * and throws `UpgradeError` with up to 64 KiB of the body; an invalid 101 throws
 * `WebSocketProtocolError`.
 *
 * @example
 * ```ts ignore
 * import { openWebSocket } from "./websocket.ts";
 * const ws = await openWebSocket(conn, {
 *   target: "/api/v1/namespaces/default/pods/web-0/exec?command=ls&stdout=1",
 *   host: "127.0.0.1:6443",
 *   protocols: ["v5.channel.k8s.io", "v4.channel.k8s.io"],
 * });
 * ```
 */
export async function openWebSocket(
  conn: ByteConn,
  handshake: WebSocketHandshake,
): Promise<WebSocketConn & { readonly response: ResponseHead }> {
  try {
    const key = base64(crypto.getRandomValues(new Uint8Array(16)));
    const headers: [string, string][] = [
      ["Host", handshake.host],
      ["Upgrade", "websocket"],
      ["Connection", "Upgrade"],
      ["Sec-WebSocket-Key", key],
      ["Sec-WebSocket-Version", "13"],
    ];
    if (handshake.protocols.length > 0) {
      headers.push(["Sec-WebSocket-Protocol", handshake.protocols.join(", ")]);
    }
    // The Host line is written once, from `handshake.host`: Go's net/http (the API server)
    // refuses a request with two ("too many Host headers").
    headers.push(...(handshake.headers ?? []).filter(([name]) => !/^host$/i.test(name)));
    await writeRequest(conn, "GET", handshake.target, headers);
    const reader = new BufferedReader(conn);
    const head = await readResponseHead(reader);
    if (head.status !== 101) {
      // A refusal without a length is delimited by the connection closing; a proxy that keeps it
      // open must not hold the error back, so the connection is closed after a short wait.
      const timer = setTimeout(
        () => conn.close(),
        handshake.refusalBodyWaitMs ?? REFUSAL_BODY_WAIT_MS,
      );
      const body = await readResponseBody(reader, head, {
        limit: MAX_UPGRADE_ERROR_BODY_BYTES,
        truncate: true,
      }).catch(() => new Uint8Array());
      clearTimeout(timer);
      throw new UpgradeError(head.status, head.statusText, head.headers, body);
    }
    if (head.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      throw new WebSocketProtocolError("bad handshake: 'upgrade' header is not 'websocket'");
    }
    if (!/(^|,)\s*upgrade\s*(,|$)/i.test(head.headers.get("connection") ?? "")) {
      throw new WebSocketProtocolError("bad handshake: 'connection' header is not 'upgrade'");
    }
    if (head.headers.get("sec-websocket-accept") !== await expectedAccept(key)) {
      throw new WebSocketProtocolError("bad handshake: invalid Sec-WebSocket-Accept");
    }
    if (head.headers.has("sec-websocket-extensions")) {
      throw new WebSocketProtocolError(
        "bad handshake: server selected an extension we did not offer",
      );
    }
    const protocol = head.headers.get("sec-websocket-protocol") ?? "";
    if (
      handshake.protocols.length > 0 ? !handshake.protocols.includes(protocol) : protocol !== ""
    ) {
      throw new WebSocketProtocolError(
        protocol === ""
          ? "the server did not choose a subprotocol"
          : `the server chose subprotocol ${
            JSON.stringify(redactHeaderValue("Sec-WebSocket-Protocol", protocol))
          }, which was not offered`,
      );
    }
    return new RawWebSocket(reader, protocol, head);
  } catch (error) {
    conn.close();
    throw error;
  }
}

/**
 * The payload length of the unmasked frame whose second byte is `second`, read from its header
 * (buffered whole); `undefined` when it is 16 MiB or more.
 */
function frameLength(reader: BufferedReader, second: number): number | undefined {
  if (second < 126) return second;
  if (second === 126) return (reader.byteAt(2) << 8) | reader.byteAt(3);
  const high = reader.byteAt(2) | reader.byteAt(3) | reader.byteAt(4) | reader.byteAt(5) |
    reader.byteAt(6);
  if (high) return undefined;
  return (reader.byteAt(7) << 16) | (reader.byteAt(8) << 8) | reader.byteAt(9);
}

/** The header length of the unmasked frame whose second byte is `second`. */
function headerLengthOf(second: number): number {
  return second === 126 ? 4 : second === 127 ? 10 : 2;
}

class RawWebSocket implements WebSocketConn {
  readonly protocol: string;
  readonly response: ResponseHead;
  #reader: BufferedReader;
  #conn: ByteConn;
  #closeInfo: WebSocketCloseInfo | undefined;
  #lastPongAt = Date.now();
  #closeSent = false;
  #receiving = false;
  /** The receive in progress, so a close can read on once its caller abandoned it. */
  #currentReceive: Promise<unknown> = Promise.resolve();
  #writes: Promise<void> = Promise.resolve();
  #onClosed: (() => void)[] = [];
  #fragments: Uint8Array[] = [];
  /** Reused by `sendPrefixed` while no write of it is pending. */
  #sendBuffer: FrameBuffer | undefined;
  #sendBufferBusy = false;
  /** Bytes framed in the JavaScript send buffer so far (see {@linkcode SIMD_AFTER_BYTES}). */
  #framedBytes = 0;
  /** The move to WebAssembly was made (or found impossible): it is never tried again. */
  #simdTried = false;
  /** A message returned by `receiveView` may still be in use: the buffer must not be reused. */
  #viewOutstanding = false;
  #fragmentBytes = 0;
  #fragmentBinary = false;
  /** A fragmented message has begun and not ended. */
  #fragmenting = false;
  /** Frames of the fragmented message so far. */
  #fragmentFrames = 0;

  constructor(reader: BufferedReader, protocol: string, response: ResponseHead) {
    this.#reader = reader;
    this.#conn = reader.conn;
    this.protocol = protocol;
    this.response = response;
  }

  get lastPongAt(): number {
    return this.#lastPongAt;
  }

  get closeInfo(): WebSocketCloseInfo | undefined {
    return this.#closeInfo;
  }

  #finish(info: WebSocketCloseInfo): void {
    this.#closeInfo ??= info;
    this.#conn.close();
    for (const notify of this.#onClosed.splice(0)) notify();
  }

  #write(frame: Uint8Array): Promise<void> {
    const write = this.#writes.then(() => this.#conn.writeAll(frame));
    this.#writes = write.catch(() => undefined);
    return write;
  }

  async #readPayload(length: number): Promise<Uint8Array | null> {
    if (length === 0) return new Uint8Array(0);
    if (length <= this.#reader.buffered) return this.#reader.take(length).slice();
    const payload = new Uint8Array(length);
    return (await this.#reader.readFull(payload)) === length ? payload : null;
  }

  receive(): Promise<WebSocketMessage | null> {
    return this.#receive(false);
  }

  receiveView(): Promise<WebSocketMessage | null> {
    return this.#receive(true);
  }

  async receivePrefixed(
    deliver: (prefix: number, payload: Uint8Array) => Promise<unknown> | undefined,
    stopped: () => boolean,
  ): Promise<void> {
    if (this.#receiving) throw new Error("WebSocket receive() called concurrently");
    const reader = this.#reader;
    while (!this.#closeInfo && !stopped()) {
      this.#viewOutstanding = false; // the last delivery is over
      const needed = this.#bufferedFrameNeeds();
      if (needed === undefined) return;
      if (reader.buffered >= needed) {
        // No message object, and one view (the payload after the prefix) per message. A text or
        // an empty message is left to the caller.
        const headerLength = headerLengthOf(reader.byteAt(1));
        if ((reader.byteAt(0) & 0x0f) !== Opcode.binary || needed === headerLength) return;
        const prefix = reader.byteAt(headerLength);
        reader.consume(headerLength + 1);
        this.#viewOutstanding = true;
        const delivering = deliver(prefix, reader.take(needed - headerLength - 1));
        if (delivering) await delivering;
        continue;
      }
      // Marked as a receive in progress, so that a close reads on only after this read.
      this.#receiving = true;
      // One read, awaited here (not `ensure`, an async call more per TLS record); the loop takes
      // the frame once enough has come. Not wrapped in a `catch` either: `#drain` tolerates its
      // rejection.
      const reading = reader.readOnce(needed);
      this.#currentReceive = reading;
      try {
        const count = await reading;
        if (count === null) this.#finish({ code: 1006, reason: "" });
        else reader.commit(count);
      } catch (error) {
        this.#finish({ code: 1006, reason: (error as Error).message ?? "" });
      } finally {
        this.#receiving = false;
      }
    }
  }

  /**
   * How many bytes the reader must hold for a buffered take (`#takeBufferedMessage`,
   * `receivePrefixed`) of the next frame: the frame's length once its header is in, the header's
   * length before; `undefined` when that frame is not one they take (a control frame, a fragment,
   * a masked or reserved-bit frame, one longer than the read buffer), so the general path must read
   * it.
   */
  #bufferedFrameNeeds(): number | undefined {
    if (this.#fragmenting) return undefined;
    const reader = this.#reader;
    const available = reader.buffered;
    if (available < 2) return 2;
    // Read byte by byte, not through a view (nor a closure): this runs once per message and per
    // read, and every object it made would be garbage.
    const first = reader.byteAt(0);
    const second = reader.byteAt(1);
    const opcode = first & 0x0f;
    if ((first & 0xf0) !== 0x80 || second & 0x80) return undefined;
    if (opcode !== Opcode.binary && opcode !== Opcode.text) return undefined;
    const headerLength = headerLengthOf(second);
    if (available < headerLength) return headerLength;
    const length = frameLength(reader, second);
    // Beyond 16 MiB is beyond any read buffer (and what the buffered takes read).
    if (length === undefined) return undefined;
    const needed = headerLength + length;
    return needed <= reader.capacity ? needed : undefined;
  }

  #receive(view: boolean): Promise<WebSocketMessage | null> {
    if (this.#closeInfo) return Promise.resolve(null);
    // Refused here, before `#currentReceive` is replaced: `#drain` waits on it while a receive is
    // in flight, and a settled stand-in would make it spin until that receive ends.
    if (this.#receiving) {
      return Promise.reject(new Error("WebSocket receive() called concurrently"));
    }
    this.#viewOutstanding = false; // asking for more ends the last view's lifetime
    // The common case of a bulk stream: the next frame is already buffered whole.
    const quick = this.#takeBufferedMessage(view);
    if (quick) return Promise.resolve(quick);
    const current = this.#receiveOnce(view);
    this.#currentReceive = current.catch(() => {});
    return current;
  }

  /**
   * Consumes and returns the next message when it is one complete unfragmented data frame already
   * in the read buffer (no await, no header object); anything else is left to the general path.
   */
  #takeBufferedMessage(view: boolean): WebSocketMessage | undefined {
    const needed = this.#bufferedFrameNeeds();
    const reader = this.#reader;
    if (needed === undefined || reader.buffered < needed) return undefined;
    // The header is whole and checked: FIN, no reserved bits, a data opcode, not masked.
    const headerLength = headerLengthOf(reader.byteAt(1));
    const binary = (reader.byteAt(0) & 0x0f) === Opcode.binary;
    reader.consume(headerLength);
    const data = reader.take(needed - headerLength);
    this.#viewOutstanding = view;
    return { binary, data: view ? data : data.slice() };
  }

  async #receiveOnce(view: boolean): Promise<WebSocketMessage | null> {
    this.#receiving = true;
    try {
      return await this.#receiveMessage(view);
    } catch (error) {
      if (error instanceof WebSocketProtocolError) {
        if (!this.#closeSent) {
          this.#closeSent = true;
          await this.#write(
            encodeClientFrame(Opcode.close, encodeClosePayload(error.closeCode, error.message)),
          ).catch(() => undefined);
          await this.#conn.closeWrite().catch(() => {});
        }
        this.#finish({ code: error.closeCode, reason: error.message });
        throw error;
      }
      this.#finish({ code: 1006, reason: (error as Error).message ?? "" });
      return null;
    } finally {
      this.#receiving = false;
    }
  }

  async #receiveMessage(view: boolean): Promise<WebSocketMessage | null> {
    const reader = this.#reader;
    while (true) {
      let header = parseFrameHeaderOrThrow(reader.peek(reader.buffered));
      while (typeof header === "number") {
        if (!(await reader.ensure(header))) {
          this.#finish({ code: 1006, reason: "" });
          return null;
        }
        header = parseFrameHeaderOrThrow(reader.peek(reader.buffered));
      }
      const frameBytes = header.headerLength + header.payloadLength;
      if (
        view && header.fin && !header.masked && header.reserved === 0 &&
        (header.opcode === Opcode.binary || header.opcode === Opcode.text) &&
        !this.#fragmenting &&
        frameBytes <= reader.capacity
      ) {
        // A view needs the whole frame in the read buffer: read it there, then hand out a slice
        // of the buffer instead of a copy.
        if (!(await reader.ensure(frameBytes))) {
          this.#finish({ code: 1006, reason: "" });
          return null;
        }
        reader.consume(header.headerLength);
        this.#viewOutstanding = true;
        return { binary: header.opcode === Opcode.binary, data: reader.take(header.payloadLength) };
      }
      reader.consume(header.headerLength);
      if (header.masked) throw new WebSocketProtocolError("server sent a masked frame");
      if (header.reserved !== 0) throw new WebSocketProtocolError("server set reserved bits");
      if (header.opcode >= 0x8) {
        if (!header.fin || header.payloadLength > 125) {
          throw new WebSocketProtocolError("invalid control frame");
        }
        const payload = await this.#readPayload(header.payloadLength);
        if (payload === null) {
          this.#finish({ code: 1006, reason: "" });
          return null;
        }
        if (await this.#handleControl(header.opcode, payload)) return null;
        continue;
      }
      if (header.opcode > Opcode.binary) {
        throw new WebSocketProtocolError(`unknown opcode ${header.opcode}`);
      }
      const continuing = this.#fragmenting;
      if (header.opcode === Opcode.continuation && !continuing) {
        throw new WebSocketProtocolError("continuation frame without a message to continue");
      }
      if (header.opcode !== Opcode.continuation && continuing) {
        throw new WebSocketProtocolError("new message before the fragmented one ended");
      }
      if (this.#fragmentBytes + header.payloadLength > MAX_RECEIVE_MESSAGE_BYTES) {
        throw new WebSocketProtocolError(
          `message larger than ${MAX_RECEIVE_MESSAGE_BYTES} bytes`,
          1009,
        );
      }
      // Each kept fragment costs an object whatever its size: a flood of tiny (or empty) ones
      // must end as surely as one huge message does.
      if (continuing && ++this.#fragmentFrames > MAX_RECEIVE_FRAGMENTS) {
        throw new WebSocketProtocolError(
          `message in more than ${MAX_RECEIVE_FRAGMENTS} fragments`,
          1009,
        );
      }
      const payload = await this.#readPayload(header.payloadLength);
      if (payload === null) {
        this.#finish({ code: 1006, reason: "" });
        return null;
      }
      if (header.fin && !continuing) {
        return { binary: header.opcode === Opcode.binary, data: payload };
      }
      if (!continuing) {
        this.#fragmentBinary = header.opcode === Opcode.binary;
        this.#fragmenting = true;
        this.#fragmentFrames = 1;
      }
      if (payload.length > 0) this.#fragments.push(payload);
      this.#fragmentBytes += payload.length;
      if (header.fin) {
        const data = new Uint8Array(this.#fragmentBytes);
        let offset = 0;
        for (const part of this.#fragments) {
          data.set(part, offset);
          offset += part.length;
        }
        this.#fragments = [];
        this.#fragmentBytes = 0;
        this.#fragmenting = false;
        return { binary: this.#fragmentBinary, data };
      }
    }
  }

  /** Handles a control frame; `true` when it closed the connection. */
  async #handleControl(opcode: number, payload: Uint8Array): Promise<boolean> {
    if (opcode === Opcode.ping) {
      if (!this.#closeSent) {
        await this.#write(encodeClientFrame(Opcode.pong, payload)).catch(() => {});
      }
      return false;
    }
    if (opcode === Opcode.pong) {
      this.#lastPongAt = Date.now();
      return false;
    }
    if (opcode === Opcode.close) {
      // RFC 6455 §5.5.1 and §7.4: a status code is two bytes, and only some may be sent.
      if (payload.length === 1) {
        throw new WebSocketProtocolError("close frame with a 1-byte payload");
      }
      const info = decodeClosePayload(payload);
      if (payload.length >= 2 && !isSendableCloseCode(info.code)) {
        throw new WebSocketProtocolError(`invalid close code ${info.code}`);
      }
      if (!this.#closeSent) {
        this.#closeSent = true;
        const echo = info.code === 1005 ? new Uint8Array() : encodeClosePayload(info.code, "");
        await this.#write(encodeClientFrame(Opcode.close, echo)).catch(() => {});
      }
      // Half-close so the echo is flushed before the socket goes away.
      await this.#conn.closeWrite().catch(() => {});
      this.#finish(info);
      return true;
    }
    throw new WebSocketProtocolError(`unknown control opcode ${opcode}`);
  }

  send(data: Uint8Array, binary = true): Promise<void> {
    if (this.#closeInfo) return Promise.reject(new WebSocketClosedError(this.#closeInfo.code));
    if (this.#closeSent) return Promise.reject(new WebSocketClosedError());
    if (data.length > MAX_SEND_MESSAGE_BYTES) {
      return Promise.reject(
        new RangeError(
          `WebSocket message of ${data.length} bytes exceeds ${MAX_SEND_MESSAGE_BYTES} bytes`,
        ),
      );
    }
    return this.#write(encodeClientFrame(binary ? Opcode.binary : Opcode.text, data));
  }

  sendPrefixed(prefix: number, payload: Uint8Array, maxMessageBytes: number): Promise<void> {
    if (this.#closeInfo) return Promise.reject(new WebSocketClosedError(this.#closeInfo.code));
    if (this.#closeSent) return Promise.reject(new WebSocketClosedError());
    if (maxMessageBytes > MAX_SEND_MESSAGE_BYTES) {
      return Promise.reject(
        new RangeError(
          `WebSocket messages of ${maxMessageBytes} bytes exceed ${MAX_SEND_MESSAGE_BYTES} bytes`,
        ),
      );
    }
    // One buffer serves every prefixed send whose predecessor was written: a stream of stdin
    // then allocates nothing per chunk (fresh 64–128 KiB arrays per chunk kept tens of MiB of
    // garbage alive between collections).
    let buffer = this.#sendBuffer ??= createFrameBuffer(SEND_BUFFER_BYTES, { simd: false });
    if (!this.#simdTried && !this.#sendBufferBusy) {
      this.#framedBytes += payload.length;
      if (this.#framedBytes > SIMD_AFTER_BYTES) {
        // Where WebAssembly is unavailable this gives a JavaScript buffer again.
        buffer = this.#sendBuffer = createFrameBuffer(SEND_BUFFER_BYTES);
        this.#simdTried = true;
      }
    }
    const frames = encodePrefixedClientFrames(
      prefix,
      payload,
      maxMessageBytes,
      this.#sendBufferBusy ? undefined : buffer.bytes,
      buffer.mask,
    );
    if (frames.buffer !== buffer.bytes.buffer) return this.#write(frames);
    this.#sendBufferBusy = true;
    const written = this.#write(frames);
    const release = () => {
      this.#sendBufferBusy = false;
    };
    written.then(release, release);
    return written;
  }

  ping(): Promise<void> {
    if (this.#closeInfo) return Promise.reject(new WebSocketClosedError(this.#closeInfo.code));
    if (this.#closeSent) return Promise.resolve();
    return this.#write(encodeClientFrame(Opcode.ping, new Uint8Array()));
  }

  async close(code?: number, reason = ""): Promise<void> {
    if (this.#closeInfo) return;
    if (code === undefined) {
      this.#finish({ code: 1006, reason: "" });
      return;
    }
    if (!this.#closeSent) {
      this.#closeSent = true;
      try {
        await this.#write(encodeClientFrame(Opcode.close, encodeClosePayload(code, reason)));
      } catch {
        this.#finish({ code: 1006, reason: "" });
        return;
      }
    }
    const closed = new Promise<void>((resolve) => this.#onClosed.push(resolve));
    // The caller may have stopped while writing out the last view (a session ended by a signal
    // abandons its write): reading on for the close frame must not overwrite those bytes.
    if (this.#viewOutstanding) this.#reader.detach();
    this.#viewOutstanding = false;
    this.#drain();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      closed,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_HANDSHAKE_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    this.#finish({ code: 1006, reason: "" });
  }

  /**
   * Reads and discards messages until the server's close frame arrives. A receive still in
   * progress is waited for first: its caller may have stopped listening (a session ended by a
   * signal abandons its read), and without reading on, the server's close frame would sit unread
   * until the handshake timeout.
   */
  async #drain(): Promise<void> {
    try {
      while (!this.#closeInfo) {
        if (this.#receiving) {
          try {
            await this.#currentReceive;
          } catch {
            // A failed read is its receiver's to report; it also ends the connection.
          }
          continue;
        }
        if ((await this.receive()) === null) return;
      }
    } catch {
      // A protocol error during the closing handshake already ended the connection.
    }
  }
}

function parseFrameHeaderOrThrow(bytes: Uint8Array) {
  try {
    return parseFrameHeader(bytes);
  } catch (error) {
    if (error instanceof FrameHeaderError) throw new WebSocketProtocolError(error.message, 1009);
    throw error;
  }
}
