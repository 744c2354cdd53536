/**
 * A hand-off of one chunk at a time from a writer that reuses its buffers to a reader that pulls,
 * with no copy and no Web streams between: a download's session writes views of its connection's
 * read buffer, and the tar reader takes them as they are. A write settles when the reader asks for
 * the next chunk (it is done with this one then) or stops reading, so the writer never refills a
 * buffer the reader still looks at, and exactly one chunk is in flight (back-pressure).
 *
 * Through a `TransformStream` instead, every chunk had to be a copy the stream could own: for a
 * 1 GiB download that was the copy out of the read buffer, the garbage it made and the streams'
 * own promises per chunk.
 *
 * @module
 */

/** The writing side: `write`, `close` and `abort`, as a stream's writer has them. */
export interface HandoffWriter {
  /**
   * Hands `chunk` over and settles once the reader is done with it; rejects when the reader
   * stopped (with the reason it gave). Await each write before the next.
   */
  write(chunk: Uint8Array): Promise<void>;
  /** Ends the input: the reader gets `done` after the last chunk. */
  close(): Promise<void>;
  /** Ends the input with an error: the reader's next read rejects with `reason`. */
  abort(reason: unknown): Promise<void>;
}

/**
 * The reading side, as a stream's default reader has it. A chunk read is valid until the next
 * `read` (or `cancel`): the writer may reuse its memory after that.
 */
export interface HandoffReader {
  /** The next chunk, or `done` once the writer closed. */
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  /** Stops reading: the pending write and every later one reject with `reason`. */
  cancel(reason?: unknown): Promise<void>;
  /** Nothing to release; there for the shape of a stream reader. */
  releaseLock(): void;
}

interface Settle {
  resolve(): void;
  reject(reason: unknown): void;
}

/**
 * Creates a hand-off: what `writer` writes, `reader` reads, one chunk at a time.
 *
 * @example
 * ```ts
 * import { chunkHandoff } from "./handoff.ts";
 * const { writer, reader } = chunkHandoff();
 * const buffer = new Uint8Array(4);
 * const writing = (async () => {
 *   for (const byte of [1, 2]) {
 *     buffer.fill(byte);
 *     await writer.write(buffer); // the same buffer each time: it settles once read past
 *   }
 *   await writer.close();
 * })();
 * const sums: number[] = [];
 * for (let next = await reader.read(); !next.done; next = await reader.read()) {
 *   sums.push(next.value.reduce((a, b) => a + b, 0));
 * }
 * await writing;
 * sums; // [4, 8]
 * ```
 */
export function chunkHandoff(): { writer: HandoffWriter; reader: HandoffReader } {
  /** A written chunk the reader has not taken yet, with its write's settlement. */
  let waiting: { chunk: Uint8Array; settle: Settle } | undefined;
  /** The write of the chunk the reader holds now; settled by its next read. */
  let held: Settle | undefined;
  /** A read waiting for a chunk. */
  let reading:
    | { resolve(result: ReadableStreamReadResult<Uint8Array>): void; reject(reason: unknown): void }
    | undefined;
  let ended: { kind: "closed" } | { kind: "aborted"; reason: unknown } | undefined;
  let cancelled: { reason: unknown } | undefined;

  const releaseHeld = () => {
    held?.resolve();
    held = undefined;
  };

  const writer: HandoffWriter = {
    write(chunk) {
      if (cancelled) return Promise.reject(cancelled.reason);
      if (ended) return Promise.reject(new TypeError("write after the hand-off was ended"));
      if (waiting) return Promise.reject(new TypeError("write before the last one settled"));
      return new Promise<void>((resolve, reject) => {
        const settle = { resolve, reject };
        if (reading) {
          const read = reading;
          reading = undefined;
          held = settle;
          read.resolve({ value: chunk, done: false });
        } else waiting = { chunk, settle };
      });
    },
    close() {
      if (!ended && !cancelled) {
        ended = { kind: "closed" };
        if (!waiting) {
          reading?.resolve({ value: undefined, done: true });
          reading = undefined;
        }
      }
      return Promise.resolve();
    },
    abort(reason) {
      if (!ended && !cancelled) {
        ended = { kind: "aborted", reason };
        waiting?.settle.reject(reason);
        waiting = undefined;
        reading?.reject(reason);
        reading = undefined;
      }
      return Promise.resolve();
    },
  };

  const reader: HandoffReader = {
    read() {
      releaseHeld();
      if (cancelled) return Promise.resolve({ value: undefined, done: true });
      if (waiting) {
        const { chunk, settle } = waiting;
        waiting = undefined;
        held = settle;
        return Promise.resolve({ value: chunk, done: false });
      }
      if (ended?.kind === "aborted") return Promise.reject(ended.reason);
      if (ended) return Promise.resolve({ value: undefined, done: true });
      if (reading) return Promise.reject(new TypeError("read before the last one settled"));
      return new Promise((resolve, reject) => {
        reading = { resolve, reject };
      });
    },
    cancel(reason) {
      if (!cancelled) {
        cancelled = { reason: reason ?? new Error("the reader stopped") };
        held?.reject(cancelled.reason);
        held = undefined;
        waiting?.settle.reject(cancelled.reason);
        waiting = undefined;
        reading?.resolve({ value: undefined, done: true });
        reading = undefined;
      }
      return Promise.resolve();
    },
    releaseLock() {},
  };
  return { writer, reader };
}
