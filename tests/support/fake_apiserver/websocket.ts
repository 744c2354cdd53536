/**
 * Server side of RFC 6455 over a raw connection, shaped after the Go server Kubernetes uses
 * (golang.org/x/net/websocket): it answers pings, replies to close frames with close 1000, never
 * fragments, and is strict with clients — unmasked frames, fragmented messages and oversized
 * frames are protocol errors recorded in the session log and end the connection.
 *
 * @module
 */

import type { ServerConn } from "./conn.ts";
import type { SocketReader } from "./socket_reader.ts";
import type { SessionLog } from "./types.ts";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** golang.org/x/net/websocket `DefaultMaxPayloadBytes`. */
const MAX_CLIENT_PAYLOAD = 32 << 20;

/**
 * Computes `Sec-WebSocket-Accept` for a client key.
 *
 * @example
 * ```ts
 * import { acceptKey } from "./websocket.ts";
 * await acceptKey("dGhlIHNhbXBsZSBub25jZQ=="); // "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
 * ```
 */
export async function acceptKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(key + GUID));
  return new Uint8Array(digest).toBase64();
}

/**
 * The `101` response the Go server writes; the protocol header is present even when empty, as
 * `hybi.go` does when no subprotocol was offered.
 *
 * @example
 * ```ts
 * import { switchingProtocols } from "./websocket.ts";
 * switchingProtocols("abc=", "v5.channel.k8s.io");
 * ```
 */
export function switchingProtocols(accept: string, protocol: string): string {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`;
}

/** One data message from the client. */
export interface ClientMessage {
  binary: boolean;
  data: Uint8Array;
}

/** WebSocket opcodes. */
export const Opcode = { text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/**
 * Builds one unfragmented, unmasked frame whose payload is `prefix` followed by `payload`.
 *
 * @example
 * ```ts
 * import { encodeFrame, Opcode } from "./websocket.ts";
 * encodeFrame(Opcode.binary, new Uint8Array([1]), new TextEncoder().encode("hi"));
 * ```
 */
export function encodeFrame(
  opcode: number,
  prefix: Uint8Array,
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const length = prefix.length + payload.length;
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = new Uint8Array(headerLength + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65536) {
    frame[1] = 126;
    frame[2] = length >> 8;
    frame[3] = length & 0xff;
  } else {
    frame[1] = 127;
    new DataView(frame.buffer).setBigUint64(2, BigInt(length));
  }
  frame.set(prefix, headerLength);
  frame.set(payload, headerLength + prefix.length);
  return frame;
}

/**
 * Unmasks a client payload in place (the bytes belong to the reader), a 32-bit word at a time;
 * unaligned payloads are copied first.
 *
 * @example
 * ```ts
 * import { unmask } from "./websocket.ts";
 * unmask(new Uint8Array([1, 2, 3, 4, 5]), new Uint8Array([1, 1, 1, 1])); // [0, 3, 2, 5, 4]
 * ```
 */
export function unmask(payload: Uint8Array, mask: Uint8Array): Uint8Array {
  // `new Uint8Array(x)` copies even for Node Buffers, whose `slice` is only a view.
  const data = payload.byteOffset % 4 === 0 ? payload : new Uint8Array(payload);
  const words = data.length >>> 2;
  const maskWord = new Uint32Array(new Uint8Array(mask).buffer)[0];
  const view = new Uint32Array(data.buffer, data.byteOffset, words);
  for (let i = 0; i < words; i++) view[i] ^= maskWord;
  for (let i = words * 4; i < data.length; i++) data[i] ^= mask[i & 3];
  return data;
}

/**
 * An upgraded server-side WebSocket.
 *
 * @example
 * ```ts ignore
 * const ws = new ServerWebSocket(conn, reader, session);
 * for (let m = await ws.receive(); m; m = await ws.receive()) await ws.send(m.data);
 * ```
 */
export class ServerWebSocket {
  readonly conn: ServerConn;
  #reader: SocketReader;
  #log: SessionLog;
  #closeSent = false;

  constructor(conn: ServerConn, reader: SocketReader, log: SessionLog) {
    this.conn = conn;
    this.#reader = reader;
    this.#log = log;
  }

  /** `true` once the close frame was sent or the connection is gone. */
  get closing(): boolean {
    return this.#closeSent || this.conn.isClosed;
  }

  /**
   * The next data message, or `null` when the connection ended (close frame, EOF or a
   * protocol error). Control frames are handled here.
   */
  async receive(): Promise<ClientMessage | null> {
    while (true) {
      const head = await this.#reader.readExact(2);
      if (head === null) return null;
      const fin = (head[0] & 0x80) !== 0;
      const opcode = head[0] & 0x0f;
      const masked = (head[1] & 0x80) !== 0;
      let length = head[1] & 0x7f;
      if (length === 126) {
        const ext = await this.#reader.readExact(2);
        if (ext === null) return null;
        length = (ext[0] << 8) | ext[1];
      } else if (length === 127) {
        const ext = await this.#reader.readExact(8);
        if (ext === null) return null;
        const big = new DataView(ext.buffer, ext.byteOffset, 8).getBigUint64(0);
        length = big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
      }
      if (!masked) return this.#fail(1002, "client frame is not masked");
      if (length > MAX_CLIENT_PAYLOAD) return this.#fail(1009, `frame of ${length} bytes`);
      const mask = await this.#reader.readExact(4);
      if (mask === null) return null;
      const raw = await this.#reader.readExact(length);
      if (raw === null) return null;
      const data = unmask(raw, mask);
      if (opcode === Opcode.ping) {
        this.#log.pingsReceived++;
        if (!this.closing) await this.conn.write(encodeFrame(Opcode.pong, data));
        continue;
      }
      if (opcode === Opcode.pong) {
        this.#log.pongsReceived++;
        continue;
      }
      if (opcode === Opcode.close) {
        this.#log.clientCloseCode = data.length >= 2 ? (data[0] << 8) | data[1] : 1005;
        await this.close(1000);
        return null;
      }
      if (!fin || opcode === 0) {
        return this.#fail(1002, "fragmented message (the Go server would misread it)");
      }
      if (opcode !== Opcode.text && opcode !== Opcode.binary) {
        return this.#fail(1002, `unknown opcode ${opcode}`);
      }
      this.#log.clientMessages++;
      this.#log.maxClientMessageBytes = Math.max(this.#log.maxClientMessageBytes, data.length);
      return { binary: opcode === Opcode.binary, data };
    }
  }

  async #fail(code: number, why: string): Promise<null> {
    this.#log.protocolErrors.push(why);
    await this.close(code);
    return null;
  }

  /** Sends one message made of `prefix` + `payload`; resolves when the socket took it. */
  send(prefix: Uint8Array, payload?: Uint8Array, binary = true): Promise<void> {
    if (this.closing) return Promise.resolve();
    return this.conn.write(encodeFrame(binary ? Opcode.binary : Opcode.text, prefix, payload));
  }

  /** Writes raw bytes (for fault injection). */
  sendRaw(bytes: Uint8Array): Promise<void> {
    if (this.closing) return Promise.resolve();
    return this.conn.write(bytes);
  }

  /** Sends a ping frame. */
  ping(): Promise<void> {
    return this.sendRaw(encodeFrame(Opcode.ping, new Uint8Array(0)));
  }

  /** Sends a close frame once, then closes the connection, as the Go server does. */
  async close(code = 1000): Promise<void> {
    if (this.#closeSent || this.conn.isClosed) return;
    this.#closeSent = true;
    await this.conn.write(encodeFrame(Opcode.close, new Uint8Array([code >> 8, code & 0xff])));
    this.conn.end();
  }

  /**
   * Drops the connection without a close frame: bytes already written are flushed, then the
   * socket is closed (the peer sees end-of-stream mid-session).
   */
  destroy(): void {
    this.#closeSent = true;
    this.conn.end();
  }
}
