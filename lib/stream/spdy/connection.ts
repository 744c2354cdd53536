/**
 * A SPDY/3 connection over any ordered byte transport (for port-forward: the binary messages of
 * one WebSocket), for either role: streams opened and replied to, data with FIN half-close,
 * RST_STREAM, PING, GOAWAY, SETTINGS and WINDOW_UPDATE.
 *
 * Flow control: every consumed chunk is acknowledged with WINDOW_UPDATE, so a peer that keeps
 * SPDY/3 windows never stalls; the windows granted by the peer are respected once it shows it
 * keeps them (a WINDOW_UPDATE or an initial-window SETTINGS arrived). moby/spdystream — the
 * kubelet's and kubectl's SPDY — never sends WINDOW_UPDATE and ignores it, so it is sent to
 * freely. Memory stays bounded either way: a stream queues at most {@linkcode STREAM_QUEUE_BYTES}
 * before the connection stops reading (the head-of-line blocking spdystream has too).
 *
 * @module
 */
import type { Logger } from "../../log.ts";
import {
  encodeControlFrame,
  FLAG_FIN,
  FRAME_HEADER_BYTES,
  FrameReader,
  FrameType,
  RstStatus,
  SETTINGS_INITIAL_WINDOW_SIZE,
  SpdyProtocolError,
  words,
  writeDataFrameHeader,
} from "./frames.ts";
import { HeaderCompressor, HeaderDecompressor, type HeaderPairs } from "./header_block.ts";
import { concatBytes } from "../../bytes.ts";

/** The byte transport a SPDY connection runs over; chunk boundaries carry no meaning. */
export interface SpdyTransport {
  /** The next chunk, or `null` once the transport ended. */
  receive(): Promise<Uint8Array | null>;
  /** Sends bytes (the callee may keep them until the returned promise settles). */
  send(bytes: Uint8Array): Promise<void>;
  /** Ends the transport. */
  close(): Promise<void>;
}

/** Bytes a stream may hold unread before the connection stops reading. */
export const STREAM_QUEUE_BYTES = 256 * 1024;
/** SPDY/3's initial stream window. */
const DEFAULT_WINDOW = 64 * 1024;
/** Acknowledge consumed bytes in batches of this size. */
const WINDOW_UPDATE_THRESHOLD = 32 * 1024;
/**
 * Largest data payload sent: frame and payload fit one 32 KiB WebSocket message, the most the
 * raw WebSocket client sends in one message.
 */
export const MAX_DATA_PAYLOAD = 32 * 1024 - FRAME_HEADER_BYTES;

/** Largest message of batched control frames (the raw WebSocket client's message limit). */
const MAX_BATCH_BYTES = 32 * 1024;

/** A stream was reset (by the peer or locally) or its connection ended. */
export class SpdyStreamClosedError extends Error {
  /** @param message why */
  constructor(message: string) {
    super(message);
    this.name = "SpdyStreamClosedError";
  }
}

/** One SPDY stream. */
export class SpdyStream {
  /** The stream id (odd when the client opened it). */
  readonly id: number;
  /** Headers from the peer: its SYN_STREAM, or its SYN_REPLY for streams opened here. */
  headers: HeaderPairs = [];
  /** Set when the peer reset the stream. */
  resetByPeer = false;
  #connection: SpdyConnection;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #remoteFin = false;
  #localFin = false;
  #closed = false;
  #readWaiter: (() => void) | undefined;
  #spaceWaiters: (() => void)[] = [];
  #windowWaiters: (() => void)[] = [];
  #unacknowledged = 0;
  #sendWindow: number;
  #replied: Promise<void>;
  #settleReply: { resolve: () => void; reject: (error: Error) => void } | undefined;

  /** @internal created by {@linkcode SpdyConnection} */
  constructor(connection: SpdyConnection, id: number, sendWindow: number, awaitsReply: boolean) {
    this.#connection = connection;
    this.id = id;
    this.#sendWindow = sendWindow;
    if (awaitsReply) {
      this.#replied = new Promise((resolve, reject) => this.#settleReply = { resolve, reject });
      this.#replied.catch(() => {});
    } else {
      this.#replied = Promise.resolve();
    }
  }

  /** Resolves once the peer replied (SYN_REPLY); rejects when it reset the stream instead. */
  get replied(): Promise<void> {
    return this.#replied;
  }

  /** The value of a header from the peer (names compare case-insensitively). */
  header(name: string): string | undefined {
    const lower = name.toLowerCase();
    return this.headers.find(([n]) => n.toLowerCase() === lower)?.[1];
  }

  /** The next received chunk; `null` at the peer's FIN, on reset or when the connection ended. */
  async read(): Promise<Uint8Array | null> {
    while (this.#queue.length === 0) {
      if (this.#remoteFin || this.#closed) return null;
      await new Promise<void>((resolve) => this.#readWaiter = resolve);
    }
    const chunk = this.#queue.shift()!;
    this.#queued -= chunk.length;
    this.#spaceWaiters.splice(0).forEach((wake) => wake());
    this.#unacknowledged += chunk.length;
    if (this.#unacknowledged >= WINDOW_UPDATE_THRESHOLD && !this.#remoteFin && !this.#closed) {
      const delta = this.#unacknowledged;
      this.#unacknowledged = 0;
      this.#connection.sendControl(FrameType.windowUpdate, 0, words(this.id, delta));
    }
    return chunk;
  }

  /**
   * Sends `frame` (8 free bytes, then `length` payload bytes) as one data frame; waits while the
   * peer's window is exhausted (only once the peer showed it keeps windows).
   */
  async writeFrame(frame: Uint8Array, length: number, fin = false): Promise<void> {
    if (this.#closed || this.#localFin) {
      throw new SpdyStreamClosedError(`stream ${this.id} is closed for writing`);
    }
    while (this.#connection.peerKeepsWindows && this.#sendWindow <= 0 && !this.#closed) {
      await new Promise<void>((resolve) => this.#windowWaiters.push(resolve));
    }
    if (this.#closed) throw new SpdyStreamClosedError(`stream ${this.id} was reset`);
    this.#sendWindow -= length;
    if (fin) this.#localFin = true;
    writeDataFrameHeader(frame, this.id, fin ? FLAG_FIN : 0, length);
    await this.#connection.sendRaw(frame.subarray(0, FRAME_HEADER_BYTES + length));
    if (fin) this.#maybeForget();
  }

  /** Sends `data` in frames of at most {@linkcode MAX_DATA_PAYLOAD} bytes. */
  async write(data: Uint8Array): Promise<void> {
    for (let offset = 0; offset < data.length; offset += MAX_DATA_PAYLOAD) {
      const part = data.subarray(offset, Math.min(data.length, offset + MAX_DATA_PAYLOAD));
      const frame = new Uint8Array(FRAME_HEADER_BYTES + part.length);
      frame.set(part, FRAME_HEADER_BYTES);
      await this.writeFrame(frame, part.length);
    }
  }

  /** Half-closes: an empty data frame with FIN (what spdystream's `Close` sends). */
  async closeWrite(): Promise<void> {
    if (this.#localFin || this.#closed) return;
    await this.writeFrame(new Uint8Array(FRAME_HEADER_BYTES), 0, true);
  }

  /** Resets the stream (RST_STREAM CANCEL) and drops what was queued. */
  reset(): void {
    if (this.#closed) return;
    this.#connection.sendControl(FrameType.rstStream, 0, words(this.id, RstStatus.cancel));
    this.close(new SpdyStreamClosedError(`stream ${this.id} was reset`));
  }

  /** @internal the peer's SYN_REPLY arrived */
  onReply(headers: HeaderPairs, fin: boolean): void {
    this.headers = headers;
    this.#settleReply?.resolve();
    this.#settleReply = undefined;
    if (fin) this.onRemoteFin();
  }

  /** @internal a data frame arrived; resolves when there is room for more */
  async onData(data: Uint8Array): Promise<void> {
    if (this.#closed || this.#remoteFin) return;
    if (data.length > 0) {
      this.#queue.push(data);
      this.#queued += data.length;
      this.#wakeReader();
    }
    while (this.#queued > STREAM_QUEUE_BYTES && !this.#closed) {
      await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
    }
  }

  /** @internal the peer half-closed */
  onRemoteFin(): void {
    this.#remoteFin = true;
    this.#wakeReader();
    this.#maybeForget();
  }

  /** @internal the peer granted more window */
  onWindowUpdate(delta: number): void {
    this.#sendWindow += delta;
    this.#windowWaiters.splice(0).forEach((wake) => wake());
  }

  /** @internal the stream ends: reset, or the connection ended */
  close(reason: Error, byPeer = false): void {
    if (this.#closed) return;
    this.#closed = true;
    this.resetByPeer = byPeer;
    this.#queue = [];
    this.#queued = 0;
    this.#settleReply?.reject(reason);
    this.#settleReply = undefined;
    this.#wakeReader();
    this.#spaceWaiters.splice(0).forEach((wake) => wake());
    this.#windowWaiters.splice(0).forEach((wake) => wake());
    this.#connection.forget(this);
  }

  #wakeReader(): void {
    const wake = this.#readWaiter;
    this.#readWaiter = undefined;
    wake?.();
  }

  #maybeForget(): void {
    if (this.#localFin && this.#remoteFin && this.#queue.length === 0) {
      this.#closed = true;
      this.#connection.forget(this);
    }
  }
}

/** A frame waiting for the transport. */
interface PendingFrame {
  bytes: Uint8Array;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Options of {@linkcode SpdyConnection}. */
export interface SpdyConnectionOptions {
  /** `client` opens odd stream ids, `server` even ones; each answers the other's pings. */
  role: "client" | "server";
  /** Called for each stream the peer opens (reply with {@linkcode SpdyConnection.reply}). */
  onStream?: (stream: SpdyStream) => void;
  /** Send a PING this often (0: never). */
  pingIntervalMs?: number;
  logger?: Logger;
}

/**
 * A SPDY/3 connection.
 *
 * @example
 * ```ts ignore
 * import { SpdyConnection } from "./connection.ts";
 * const connection = new SpdyConnection(transport, { role: "client" });
 * const stream = await connection.openStream([["streamtype", "data"], ["port", "80"]]);
 * await stream.replied;
 * ```
 */
export class SpdyConnection {
  #transport: SpdyTransport;
  #options: SpdyConnectionOptions;
  #streams = new Map<number, SpdyStream>();
  #nextStreamId: number;
  #nextPingId: number;
  #compressor = new HeaderCompressor();
  #decompressor = new HeaderDecompressor();
  #controlQueue: PendingFrame[] = [];
  #dataQueue: PendingFrame[] = [];
  #pumping = false;
  #initialWindow = DEFAULT_WINDOW;
  #ended: Error | undefined;
  #goneAway = false;
  #pinger: ReturnType<typeof setInterval> | undefined;
  #closed: Promise<Error>;
  /** Set once the peer showed it keeps SPDY windows. */
  peerKeepsWindows = false;

  /**
   * @param transport the byte transport
   * @param options role and callbacks
   */
  constructor(transport: SpdyTransport, options: SpdyConnectionOptions) {
    this.#transport = transport;
    this.#options = options;
    this.#nextStreamId = options.role === "client" ? 1 : 2;
    this.#nextPingId = options.role === "client" ? 1 : 2;
    // A window as large as what a stream may queue keeps a window-keeping peer streaming while
    // acknowledgements travel (64 KiB stalls on every round trip); spdystream ignores SETTINGS.
    this.sendControl(
      FrameType.settings,
      0,
      words(1, SETTINGS_INITIAL_WINDOW_SIZE, STREAM_QUEUE_BYTES),
    );
    this.#closed = this.#readLoop();
    if (options.pingIntervalMs) {
      this.#pinger = setInterval(() => {
        const id = this.#nextPingId;
        this.#nextPingId += 2;
        this.sendControl(FrameType.ping, 0, words(id));
      }, options.pingIntervalMs);
    }
  }

  /** Resolves with the reason once the connection ended (transport closed, GOAWAY, error). */
  get closed(): Promise<Error> {
    return this.#closed;
  }

  /** Streams currently tracked (opened and not yet finished both ways or reset). */
  get streamCount(): number {
    return this.#streams.size;
  }

  /** Opens a stream with SYN_STREAM; `fin` half-closes it at once. */
  openStream(headers: HeaderPairs, fin = false): SpdyStream {
    if (this.#ended || this.#goneAway) {
      throw new SpdyStreamClosedError(
        `cannot open a stream: ${this.#ended?.message ?? "the peer sent GOAWAY"}`,
      );
    }
    const id = this.#nextStreamId;
    this.#nextStreamId += 2;
    const stream = new SpdyStream(this, id, this.#initialWindow, true);
    this.#streams.set(id, stream);
    const block = this.#compressor.compress(headers);
    const payload = new Uint8Array(10 + block.length);
    payload.set(words(id, 0));
    payload.set(block, 10);
    this.sendControl(FrameType.synStream, fin ? FLAG_FIN : 0, payload);
    return stream;
  }

  /** Answers a stream the peer opened (SYN_REPLY). */
  reply(stream: SpdyStream, headers: HeaderPairs = [], fin = false): Promise<void> {
    const block = this.#compressor.compress(headers);
    const payload = new Uint8Array(4 + block.length);
    payload.set(words(stream.id));
    payload.set(block, 4);
    return this.sendControl(FrameType.synReply, fin ? FLAG_FIN : 0, payload);
  }

  /**
   * Sends a control frame. Control frames go before queued data frames (so acknowledgements and
   * replies are not stuck behind other streams' data) and keep their order among themselves,
   * which the shared header compression needs.
   */
  sendControl(type: number, flags: number, payload: Uint8Array): Promise<void> {
    return this.#enqueue(this.#controlQueue, encodeControlFrame(type, flags, payload));
  }

  /** Sends an encoded data frame after the frames queued before it; failures end the connection. */
  sendRaw(bytes: Uint8Array): Promise<void> {
    return this.#enqueue(this.#dataQueue, bytes);
  }

  #enqueue(queue: PendingFrame[], bytes: Uint8Array): Promise<void> {
    const ended = this.#ended;
    const sent = ended
      ? Promise.reject(new SpdyStreamClosedError(ended.message))
      : new Promise<void>((resolve, reject) => queue.push({ bytes, resolve, reject }));
    // Callers that fire and forget (acknowledgements, resets) must not leave a rejection unhandled.
    sent.catch(() => {});
    if (!ended && !this.#pumping) void this.#pump();
    return sent;
  }

  /** Queued control frames for one message: they are small and often many. */
  #takeControlBatch(): PendingFrame[] {
    let bytes = this.#controlQueue[0].bytes.length;
    let count = 1;
    while (
      count < this.#controlQueue.length &&
      bytes + this.#controlQueue[count].bytes.length <= MAX_BATCH_BYTES
    ) {
      bytes += this.#controlQueue[count].bytes.length;
      count++;
    }
    return this.#controlQueue.splice(0, count);
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#controlQueue.length > 0 || this.#dataQueue.length > 0) {
        const batch = this.#controlQueue.length > 0
          ? this.#takeControlBatch()
          : [this.#dataQueue.shift()!];
        const bytes = batch.length === 1 ? batch[0].bytes : concatBytes(batch.map((f) => f.bytes));
        try {
          if (this.#ended) throw new SpdyStreamClosedError(this.#ended.message);
          await this.#transport.send(bytes);
          batch.forEach((frame) => frame.resolve());
        } catch (error) {
          batch.forEach((frame) => frame.reject(error as Error));
          this.#end(error as Error);
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** Sends GOAWAY, then ends the transport and every stream. */
  async close(): Promise<void> {
    if (!this.#ended) {
      await this.sendControl(FrameType.goAway, 0, words(0, 0)).catch(() => {});
    }
    this.#end(new SpdyStreamClosedError("the connection was closed"));
    await this.#transport.close().catch(() => {});
    await this.#closed;
  }

  /** @internal a stream finished */
  forget(stream: SpdyStream): void {
    if (this.#streams.get(stream.id) === stream) this.#streams.delete(stream.id);
  }

  #end(reason: Error): void {
    if (this.#ended) return;
    this.#ended = reason;
    for (const frame of [...this.#controlQueue.splice(0), ...this.#dataQueue.splice(0)]) {
      frame.reject(reason);
    }
    clearInterval(this.#pinger);
    for (const stream of [...this.#streams.values()]) stream.close(reason);
  }

  async #readLoop(): Promise<Error> {
    const reader = new FrameReader(() => this.#transport.receive());
    try {
      while (true) {
        const frame = await reader.read();
        if (frame === null) break;
        if (frame.kind === "data") {
          const stream = this.#streams.get(frame.streamId);
          if (stream) {
            await stream.onData(frame.data);
            if (frame.flags & FLAG_FIN) stream.onRemoteFin();
          }
          continue;
        }
        await this.#onControl(frame.type, frame.flags, frame.payload);
      }
      this.#end(new SpdyStreamClosedError(this.#ended?.message ?? "the connection ended"));
    } catch (error) {
      this.#options.logger?.(4, () => `SPDY connection failed: ${(error as Error).message}`);
      this.#end(error as Error);
      await this.#transport.close().catch(() => {});
    } finally {
      this.#decompressor.close();
    }
    return this.#ended!;
  }

  async #onControl(type: number, flags: number, payload: Uint8Array): Promise<void> {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const need = (bytes: number) => {
      if (payload.length < bytes) throw new SpdyProtocolError(`control frame ${type} too short`);
    };
    switch (type) {
      case FrameType.synStream: {
        need(10);
        const id = view.getUint32(0) & 0x7fffffff;
        const headers = await this.#decompressor.decompress(payload.subarray(10));
        if (this.#goneAway || this.#streams.has(id) || !this.#options.onStream) {
          this.sendControl(FrameType.rstStream, 0, words(id, RstStatus.refusedStream));
          return;
        }
        const stream = new SpdyStream(this, id, this.#initialWindow, false);
        stream.headers = headers;
        this.#streams.set(id, stream);
        if (flags & FLAG_FIN) stream.onRemoteFin();
        this.#options.onStream(stream);
        return;
      }
      case FrameType.synReply: {
        need(4);
        const headers = await this.#decompressor.decompress(payload.subarray(4));
        this.#streams.get(view.getUint32(0) & 0x7fffffff)?.onReply(
          headers,
          (flags & FLAG_FIN) !== 0,
        );
        return;
      }
      case FrameType.headers: {
        need(4);
        // Read to keep the shared inflater in step; port-forward has no use for late headers.
        await this.#decompressor.decompress(payload.subarray(4));
        return;
      }
      case FrameType.rstStream: {
        need(8);
        const id = view.getUint32(0) & 0x7fffffff;
        const status = view.getUint32(4);
        this.#streams.get(id)?.close(
          new SpdyStreamClosedError(`stream ${id} was reset by the peer (status ${status})`),
          true,
        );
        return;
      }
      case FrameType.settings: {
        need(4);
        const count = view.getUint32(0);
        need(4 + count * 8);
        for (let i = 0; i < count; i++) {
          const id = view.getUint32(4 + i * 8) & 0xffffff;
          const value = view.getUint32(8 + i * 8);
          if (id === SETTINGS_INITIAL_WINDOW_SIZE) {
            const delta = value - this.#initialWindow;
            this.#initialWindow = value;
            this.peerKeepsWindows = true;
            for (const stream of this.#streams.values()) stream.onWindowUpdate(delta);
          }
        }
        return;
      }
      case FrameType.ping: {
        need(4);
        const id = view.getUint32(0);
        const ours = (id % 2 === 1) === (this.#options.role === "client");
        if (!ours) this.sendControl(FrameType.ping, 0, words(id));
        return;
      }
      case FrameType.goAway:
        this.#goneAway = true;
        return;
      case FrameType.windowUpdate: {
        need(8);
        this.peerKeepsWindows = true;
        this.#streams.get(view.getUint32(0) & 0x7fffffff)?.onWindowUpdate(
          view.getUint32(4) & 0x7fffffff,
        );
        return;
      }
    }
  }
}
