/**
 * Terminal sizes for TTY sessions: the {@linkcode TerminalSize} value, its channel-4 encoding, and
 * {@linkcode TerminalSizeQueue}, which the CLI feeds from SIGWINCH (or by polling) and the session
 * drains. Bursts coalesce: only the latest size waits to be sent, so a user dragging a window
 * corner does not queue hundreds of messages behind a slow connection.
 *
 * @module
 */

/** A terminal size in character cells. */
export interface TerminalSize {
  /** Columns. */
  width: number;
  /** Rows. */
  height: number;
}

function checkSize(size: TerminalSize): void {
  for (const [name, value] of [["width", size.width], ["height", size.height]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
      throw new RangeError(`terminal ${name} must be an integer from 0 to 65535, got ${value}`);
    }
  }
}

/**
 * The channel-4 payload for a size: JSON with capitalised keys (client-go's `TerminalSize` has no
 * JSON tags) and a trailing newline, as client-go writes it.
 *
 * @example
 * ```ts
 * import { encodeTerminalSize } from "./resize.ts";
 * new TextDecoder().decode(encodeTerminalSize({ width: 80, height: 24 }));
 * // '{"Width":80,"Height":24}\n'
 * ```
 */
export function encodeTerminalSize(size: TerminalSize): Uint8Array {
  checkSize(size);
  return new TextEncoder().encode(`{"Width":${size.width},"Height":${size.height}}\n`);
}

function sameSize(a: TerminalSize | undefined, b: TerminalSize): boolean {
  return a !== undefined && a.width === b.width && a.height === b.height;
}

/**
 * A single-consumer queue of terminal sizes that keeps only the latest pending size and skips a
 * size equal to the one last handed out. Iterate it once; {@linkcode TerminalSizeQueue.close}
 * (or the consumer's `return()`) ends the iteration.
 *
 * @example
 * ```ts
 * import { TerminalSizeQueue } from "./resize.ts";
 * const sizes = new TerminalSizeQueue({ width: 80, height: 24 });
 * sizes.push({ width: 100, height: 30 });
 * sizes.push({ width: 120, height: 40 }); // replaces 100x30, which was never taken
 * ```
 */
export class TerminalSizeQueue implements AsyncIterable<TerminalSize> {
  #pending: TerminalSize | undefined;
  #last: TerminalSize | undefined;
  #closed = false;
  #waiter: ((result: IteratorResult<TerminalSize>) => void) | undefined;

  /** Creates a queue, seeded with the current size when given. */
  constructor(initial?: TerminalSize) {
    if (initial) this.push(initial);
  }

  /** Offers a new size; throws `RangeError` for sizes that are not 16-bit cell counts. */
  push(size: TerminalSize): void {
    checkSize(size);
    if (this.#closed) return;
    const copy = { width: size.width, height: size.height };
    if (this.#waiter) {
      if (sameSize(this.#last, copy)) return;
      const waiter = this.#waiter;
      this.#waiter = undefined;
      this.#last = copy;
      waiter({ value: copy, done: false });
      return;
    }
    this.#pending = sameSize(this.#last, copy) ? undefined : copy;
  }

  /** Ends the iteration; a pending size is dropped. */
  close(): void {
    this.#closed = true;
    this.#pending = undefined;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.({ value: undefined, done: true });
  }

  /** Whether {@linkcode TerminalSizeQueue.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The queue's single consumer; its `return()` closes the queue. */
  [Symbol.asyncIterator](): AsyncIterator<TerminalSize> {
    return {
      next: (): Promise<IteratorResult<TerminalSize>> => {
        if (this.#pending) {
          const value = this.#pending;
          this.#pending = undefined;
          this.#last = value;
          return Promise.resolve({ value, done: false });
        }
        if (this.#closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.#waiter = resolve;
        });
      },
      return: (): Promise<IteratorResult<TerminalSize>> => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
