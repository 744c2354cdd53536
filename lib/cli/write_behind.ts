/**
 * A bounded write-behind buffer for the process's stdout and stderr when they are pipes, sockets or
 * terminals. Each asynchronous `write` is an operation on a blocking thread; one per 32 KiB
 * WebSocket message made `exec … | cat` 2.4 times slower than kubectl (1 GiB: 4.1 s against 1.75 s).
 * Here a chunk is copied into a fill buffer and the write resolves at once while a write of the
 * previous buffer is in flight, so messages that arrive while the reader is busy leave in one
 * write. Memory is bounded by two buffers: when both are full, `write` waits, which is the
 * back-pressure a slow reader must exert on the session. `flush` waits for everything accepted.
 *
 * @module
 */

/** The part of `Deno.FsFile` (and `Deno.stdout`) the buffer writes with. */
export interface AsyncWritable {
  /** Writes some of `bytes`; returns how many were written. */
  write(bytes: Uint8Array): Promise<number>;
}

/** Size of each of the two buffers. */
export const WRITE_BEHIND_BYTES = 256 * 1024;

/**
 * A write-behind buffer over `file`.
 *
 * @example
 * ```ts
 * import { WriteBehind } from "./write_behind.ts";
 * const out = new WriteBehind({ write: (bytes) => Promise.resolve(bytes.length) });
 * await out.write(new TextEncoder().encode("hello\n"));
 * await out.flush();
 * ```
 */
export class WriteBehind {
  readonly #file: AsyncWritable;
  #fill: Uint8Array;
  #filled = 0;
  #spare: Uint8Array | undefined;
  #flushing: Promise<void> | undefined;
  #error: unknown;

  /**
   * @param file where the bytes go
   * @param bufferBytes size of each of the two buffers
   */
  constructor(file: AsyncWritable, bufferBytes = WRITE_BEHIND_BYTES) {
    this.#file = file;
    this.#fill = new Uint8Array(bufferBytes);
    this.#spare = new Uint8Array(bufferBytes);
  }

  /** Accepts `chunk` (copied); waits only while both buffers are full. Rethrows a failed write. */
  async write(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      this.#throwIfFailed();
      const room = this.#fill.length - this.#filled;
      if (room === 0) {
        if (this.#flushing) await this.#flushing;
        else this.#startFlush();
        continue;
      }
      const count = Math.min(room, chunk.length - offset);
      this.#fill.set(chunk.subarray(offset, offset + count), this.#filled);
      this.#filled += count;
      offset += count;
    }
    if (!this.#flushing && this.#filled > 0) this.#startFlush();
  }

  /** Resolves once every accepted byte was written; rejects if a write failed. */
  async flush(): Promise<void> {
    while (this.#flushing || this.#filled > 0) {
      if (this.#flushing) await this.#flushing;
      else this.#startFlush();
      this.#throwIfFailed();
    }
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#error !== undefined) throw this.#error;
  }

  #startFlush(): void {
    const buffer = this.#fill;
    const length = this.#filled;
    // The spare is free whenever no flush is in flight.
    this.#fill = this.#spare!;
    this.#spare = undefined;
    this.#filled = 0;
    this.#flushing = this.#drain(buffer, length).then(
      () => {
        this.#spare = buffer;
        this.#flushing = undefined;
        if (this.#filled > 0) this.#startFlush();
      },
      (error) => {
        this.#error = error;
        this.#spare = buffer;
        this.#flushing = undefined;
      },
    );
  }

  async #drain(buffer: Uint8Array, length: number): Promise<void> {
    let offset = 0;
    while (offset < length) offset += await this.#file.write(buffer.subarray(offset, length));
  }
}
