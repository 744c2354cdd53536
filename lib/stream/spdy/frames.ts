/**
 * SPDY/3 framing (draft-mbelshe-httpbis-spdy-00 §2.2): 8-byte frame headers, control frames
 * with version 3, data frames carrying a stream id. Encoding writes into caller buffers where it
 * matters (a data frame's payload is read straight into the frame), and {@linkcode FrameReader}
 * cuts frames out of a byte stream whose chunk boundaries mean nothing (WebSocket messages in the
 * port-forward tunnel).
 *
 * @module
 */

/** Control frame types. */
export const FrameType = {
  synStream: 1,
  synReply: 2,
  rstStream: 3,
  settings: 4,
  ping: 6,
  goAway: 7,
  headers: 8,
  windowUpdate: 9,
} as const;

/** FLAG_FIN on data, SYN_STREAM and SYN_REPLY frames. */
export const FLAG_FIN = 0x01;

/** RST_STREAM status codes used here. */
export const RstStatus = {
  protocolError: 1,
  invalidStream: 2,
  refusedStream: 3,
  cancel: 5,
} as const;

/** SETTINGS id of the initial per-stream window. */
export const SETTINGS_INITIAL_WINDOW_SIZE = 7;

/** Bytes of every frame header. */
export const FRAME_HEADER_BYTES = 8;

/** Largest length a frame header can carry (24 bits). */
export const MAX_FRAME_LENGTH = 0xffffff;

/** A decoded frame. */
export type Frame =
  | { kind: "data"; streamId: number; flags: number; data: Uint8Array }
  | { kind: "control"; type: number; flags: number; payload: Uint8Array };

/** The peer sent bytes that are not SPDY/3. */
export class SpdyProtocolError extends Error {
  /** @param message what was wrong */
  constructor(message: string) {
    super(`SPDY protocol error: ${message}`);
    this.name = "SpdyProtocolError";
  }
}

/**
 * Writes a data frame header into the first 8 bytes of `frame`, whose payload follows.
 *
 * @example
 * ```ts
 * import { writeDataFrameHeader } from "./frames.ts";
 * const frame = new Uint8Array(8 + 2);
 * frame.set([104, 105], 8);
 * writeDataFrameHeader(frame, 1, 0, 2);
 * ```
 */
export function writeDataFrameHeader(
  frame: Uint8Array,
  streamId: number,
  flags: number,
  length: number,
): void {
  const view = new DataView(frame.buffer, frame.byteOffset, FRAME_HEADER_BYTES);
  view.setUint32(0, streamId & 0x7fffffff);
  view.setUint32(4, ((flags & 0xff) << 24 | length) >>> 0);
}

/**
 * Encodes a control frame.
 *
 * @example
 * ```ts
 * import { encodeControlFrame, FrameType } from "./frames.ts";
 * encodeControlFrame(FrameType.ping, 0, new Uint8Array([0, 0, 0, 1]));
 * ```
 */
export function encodeControlFrame(type: number, flags: number, payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_FRAME_LENGTH) {
    throw new RangeError(`control frame payload of ${payload.length} bytes`);
  }
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  const view = new DataView(frame.buffer);
  view.setUint16(0, 0x8003);
  view.setUint16(2, type);
  view.setUint32(4, ((flags & 0xff) << 24 | payload.length) >>> 0);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Big-endian 32-bit words, for the fixed parts of control frames.
 *
 * @example
 * ```ts
 * import { words } from "./frames.ts";
 * words(1, 5); // RST_STREAM payload: stream 1, CANCEL
 * ```
 */
export function words(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((value, i) => view.setUint32(i * 4, value >>> 0));
  return out;
}

/**
 * Reads frames from a source of byte chunks.
 *
 * @example
 * ```ts ignore
 * import { FrameReader } from "./frames.ts";
 * const reader = new FrameReader(() => nextChunk());
 * for (let frame = await reader.read(); frame; frame = await reader.read()) handle(frame);
 * ```
 */
export class FrameReader {
  #next: () => Promise<Uint8Array | null>;
  #chunks: Uint8Array[] = [];
  #buffered = 0;

  /** @param next the next chunk of bytes, `null` at end of stream */
  constructor(next: () => Promise<Uint8Array | null>) {
    this.#next = next;
  }

  async #fill(count: number): Promise<boolean> {
    while (this.#buffered < count) {
      const chunk = await this.#next();
      if (chunk === null) return false;
      if (chunk.length === 0) continue;
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    return true;
  }

  #take(count: number): Uint8Array {
    const first = this.#chunks[0];
    let out: Uint8Array;
    if (first.length === count) {
      this.#chunks.shift();
      out = first;
    } else if (first.length > count) {
      out = first.subarray(0, count);
      this.#chunks[0] = first.subarray(count);
    } else {
      out = new Uint8Array(count);
      let filled = 0;
      while (filled < count) {
        const chunk = this.#chunks[0];
        const used = Math.min(chunk.length, count - filled);
        out.set(chunk.subarray(0, used), filled);
        filled += used;
        if (used === chunk.length) this.#chunks.shift();
        else this.#chunks[0] = chunk.subarray(used);
      }
    }
    this.#buffered -= count;
    return out;
  }

  /**
   * The next frame, or `null` at a clean end of stream (between frames).
   * Throws {@linkcode SpdyProtocolError} when the stream ends inside a frame or is not SPDY/3.
   */
  async read(): Promise<Frame | null> {
    if (!(await this.#fill(FRAME_HEADER_BYTES))) {
      if (this.#buffered > 0) throw new SpdyProtocolError("stream ended inside a frame header");
      return null;
    }
    const header = this.#take(FRAME_HEADER_BYTES);
    const view = new DataView(header.buffer, header.byteOffset, FRAME_HEADER_BYTES);
    const first = view.getUint32(0);
    const flags = header[4];
    const length = view.getUint32(4) & 0xffffff;
    if (!(await this.#fill(length))) throw new SpdyProtocolError("stream ended inside a frame");
    const body = length === 0 ? new Uint8Array(0) : this.#take(length);
    if ((first & 0x80000000) === 0) {
      return { kind: "data", streamId: first, flags, data: body };
    }
    const version = (first >>> 16) & 0x7fff;
    if (version !== 3) throw new SpdyProtocolError(`unsupported version ${version}`);
    return { kind: "control", type: first & 0xffff, flags, payload: body };
  }
}
