/**
 * A read buffer over a {@linkcode ByteConn} shared by the HTTP/1.1 parser and the WebSocket frame
 * reader, so bytes that arrive right after a `101` response head are not lost. Reads from the
 * connection happen only when a caller needs more bytes (back-pressure), into one large buffer
 * (few system calls); large payloads are read straight into their destination.
 *
 * @module
 */
import type { ByteConn } from "./types.ts";

/** Default buffer size: large reads keep throughput high (see PROTOCOL.md §12). */
export const DEFAULT_READ_BUFFER_BYTES = 256 * 1024;
/** Room below which `ensure` compacts before reading: one TLS record's plaintext. */
const MIN_READ_ROOM_BYTES = 16 * 1024;

/**
 * Buffered reading over a connection.
 *
 * @example
 * ```ts ignore
 * import { BufferedReader } from "./buffered_reader.ts";
 * const reader = new BufferedReader(conn);
 * if (await reader.ensure(2)) console.log(reader.peek(2));
 * ```
 */
export class BufferedReader {
  /** The connection read from. */
  readonly conn: ByteConn;
  #buffer: Uint8Array;
  #start = 0;
  #end = 0;

  /** Buffers reads from `conn` in a buffer of `bufferBytes`. */
  constructor(conn: ByteConn, bufferBytes = DEFAULT_READ_BUFFER_BYTES) {
    this.conn = conn;
    this.#buffer = new Uint8Array(bufferBytes);
  }

  /** Bytes buffered and not yet consumed. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** Capacity of the internal buffer. */
  get capacity(): number {
    return this.#buffer.length;
  }

  /** Reads once more from the connection; `false` at end of stream. */
  async fill(): Promise<boolean> {
    if (this.#start === this.#end) {
      this.#start = this.#end = 0;
    } else if (this.#end === this.#buffer.length) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (this.#end === this.#buffer.length) throw new RangeError("read buffer full");
    const count = await this.conn.read(this.#buffer.subarray(this.#end));
    if (count === null) return false;
    this.#end += count;
    return true;
  }

  /** Buffers at least `count` bytes (≤ capacity); `false` when the stream ends first. */
  async ensure(count: number): Promise<boolean> {
    if (count > this.#buffer.length) throw new RangeError("ensure beyond buffer capacity");
    if (this.buffered >= count) return true;
    this.#makeRoom(count);
    // The reads are made here rather than through fill(): on a bulk stream this loop runs once
    // per TLS record, and an async call less per read is measurable.
    while (this.#end - this.#start < count) {
      const read = await this.conn.read(this.#buffer.subarray(this.#end));
      if (read === null) return false;
      this.#end += read;
    }
    return true;
  }

  /**
   * One read from the connection into the free room, for a caller that awaits it itself and then
   * hands the count to {@linkcode commit}: a promise fewer per read than {@linkcode ensure}, which
   * a bulk stream pays once per TLS record. Makes room as `ensure(count)` would; `count` is the
   * caller's goal (≤ capacity), not a minimum this read returns.
   */
  readOnce(count: number): Promise<number | null> {
    if (count > this.#buffer.length) throw new RangeError("read beyond buffer capacity");
    this.#makeRoom(count);
    return this.conn.read(this.#buffer.subarray(this.#end));
  }

  /** Adds the `count` bytes a {@linkcode readOnce} read to the buffered ones. */
  commit(count: number): void {
    this.#end += count;
  }

  /**
   * Moves the partial data to the front when `count` would not fit behind it, or when the room
   * left is too small for a whole TLS record (a read into it would return a fragment).
   */
  #makeRoom(count: number): void {
    if (
      this.#start + count > this.#buffer.length ||
      (this.#start > 0 && this.#buffer.length - this.#end < MIN_READ_ROOM_BYTES)
    ) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
  }

  /**
   * Moves the unconsumed bytes into a new buffer, leaving the old one to whoever still holds
   * views of it (see `WebSocketConn.receiveView`).
   */
  detach(): void {
    const buffer = new Uint8Array(this.#buffer.length);
    buffer.set(this.#buffer.subarray(this.#start, this.#end));
    this.#end -= this.#start;
    this.#start = 0;
    this.#buffer = buffer;
  }

  /** The buffered byte `offset` bytes ahead (below {@linkcode buffered}), without a view. */
  byteAt(offset: number): number {
    return this.#buffer[this.#start + offset];
  }

  /** A view of the next `count` buffered bytes, valid until the next read. */
  peek(count: number): Uint8Array {
    return this.#buffer.subarray(this.#start, this.#start + count);
  }

  /** Drops `count` buffered bytes. */
  consume(count: number): void {
    this.#start += count;
  }

  /** Returns a view of up to `max` buffered bytes and consumes them (valid until the next read). */
  take(max: number): Uint8Array {
    const count = Math.min(max, this.buffered);
    const view = this.#buffer.subarray(this.#start, this.#start + count);
    this.#start += count;
    return view;
  }

  /**
   * Fills `target` completely: buffered bytes first, then reads straight into `target`.
   * Returns how many bytes were written when the stream ended early.
   */
  async readFull(target: Uint8Array): Promise<number> {
    let filled = 0;
    if (this.buffered > 0) {
      const part = this.take(target.length);
      target.set(part);
      filled = part.length;
    }
    while (filled < target.length) {
      if (target.length - filled < this.#buffer.length / 4) {
        if (!(await this.fill())) return filled;
        const part = this.take(target.length - filled);
        target.set(part, filled);
        filled += part.length;
      } else {
        const count = await this.conn.read(target.subarray(filled));
        if (count === null) return filled;
        filled += count;
      }
    }
    return filled;
  }

  /**
   * Finds `delimiter` within the first `limit` bytes, reading as needed. Returns the index just
   * past the delimiter, relative to the current position, or `-1` when the stream ended first;
   * throws `RangeError` when `limit` bytes hold no delimiter.
   */
  async find(delimiter: Uint8Array, limit: number): Promise<number> {
    let searched = 0;
    while (true) {
      const view = this.#buffer.subarray(this.#start, this.#end);
      const index = indexOf(view, delimiter, Math.max(0, searched - delimiter.length + 1));
      if (index >= 0 && index + delimiter.length <= limit) return index + delimiter.length;
      searched = view.length;
      if (searched >= limit) throw new RangeError(`delimiter not found within ${limit} bytes`);
      if (this.#end === this.#buffer.length && this.#start > 0) {
        this.#buffer.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      }
      if (!(await this.fill())) return -1;
    }
  }
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  const last = haystack.length - needle.length;
  for (
    let i = haystack.indexOf(first, from);
    i >= 0 && i <= last;
    i = haystack.indexOf(first, i + 1)
  ) {
    let match = true;
    for (let j = 1; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) {
        match = false;
        break;
      }
    }
    if (match) return i;
  }
  return -1;
}
