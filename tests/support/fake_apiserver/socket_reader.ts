/**
 * Pull-style reading over a Node socket: `data` events fill a bounded buffer and the socket is
 * paused while the buffer is full, so a consumer that stops reading pushes back on the peer
 * through TCP flow control.
 *
 * @module
 */

import type { Socket } from "node:net";

/** Bytes buffered before the socket is paused. */
const HIGH_WATER = 1024 * 1024;

/**
 * Reads exact byte counts or delimited blocks from a socket.
 *
 * @example
 * ```ts ignore
 * const reader = new SocketReader(socket);
 * const header = await reader.readExact(2);
 * ```
 */
export class SocketReader {
  #socket: Socket;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (this.#buffered >= HIGH_WATER) socket.pause();
      this.#notify();
    });
    const end = () => {
      this.#ended = true;
      this.#notify();
    };
    socket.on("end", end);
    socket.on("close", end);
    socket.on("error", end);
  }

  /** Bytes received but not consumed yet. */
  get buffered(): number {
    return this.#buffered;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #fill(): Promise<boolean> {
    if (this.#ended) return false;
    if (this.#socket.isPaused() && this.#buffered < HIGH_WATER) this.#socket.resume();
    await new Promise<void>((resolve) => (this.#wake = resolve));
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
    if (this.#socket.isPaused() && this.#buffered < HIGH_WATER / 2 && !this.#ended) {
      this.#socket.resume();
    }
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
