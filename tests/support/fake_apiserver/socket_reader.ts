/**
 * Exact-size and delimited reads over a {@linkcode ServerConn}: bytes are pulled from the
 * connection only when a read needs them, so a consumer that stops reading pushes back on the
 * peer through TCP flow control.
 *
 * @module
 */

import type { ServerConn } from "./conn.ts";

/**
 * Reads exact byte counts or delimited blocks from a connection.
 *
 * @example
 * ```ts ignore
 * const reader = new SocketReader(conn);
 * const header = await reader.readExact(2);
 * ```
 */
export class SocketReader {
  #conn: ServerConn;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;

  constructor(conn: ServerConn) {
    this.#conn = conn;
  }

  /** Bytes received but not consumed yet. */
  get buffered(): number {
    return this.#buffered;
  }

  async #fill(): Promise<boolean> {
    if (this.#ended) return false;
    const chunk = await this.#conn.read();
    if (chunk === null) {
      this.#ended = true;
      return false;
    }
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    return true;
  }
  #take(count: number): Uint8Array {
    const first = this.#chunks[0];
    let out: Uint8Array;
    if (first.length === count) {
      out = first;
      this.#chunks.shift();
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

  /** Resolves to exactly `count` bytes, or `null` when the stream ends first. */
  async readExact(count: number): Promise<Uint8Array | null> {
    if (count === 0) return new Uint8Array(0);
    while (this.#buffered < count) {
      if (!(await this.#fill())) return null;
    }
    return this.#take(count);
  }

  /**
   * Resolves to the bytes up to and including `delimiter`, or `null` at end of stream or when
   * more than `limit` bytes arrive without it.
   */
  async readThrough(delimiter: Uint8Array, limit: number): Promise<Uint8Array | null> {
    while (true) {
      const joined = this.#peekAll();
      const at = indexOf(joined, delimiter);
      if (at >= 0) return this.#take(at + delimiter.length);
      if (joined.length > limit) return null;
      if (!(await this.#fill())) return null;
    }
  }

  #peekAll(): Uint8Array {
    if (this.#chunks.length === 1) return this.#chunks[0];
    const joined = new Uint8Array(this.#buffered);
    let at = 0;
    for (const chunk of this.#chunks) {
      joined.set(chunk, at);
      at += chunk.length;
    }
    this.#chunks = this.#buffered > 0 ? [joined] : [];
    return joined;
  }
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}
