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
 * The sizes `kubectl attach` starts with to force the attached program to redraw: one cell larger
 * in both directions, then the real size (a PTY only signals a change).
 *
 * @example
 * ```ts
 * import { redrawSizes, TerminalSizeQueue } from "./resize.ts";
 * const sizes = new TerminalSizeQueue(redrawSizes({ width: 80, height: 24 }));
 * // yields 81x25, then 80x24
 * ```
 */
export function redrawSizes(size: TerminalSize): TerminalSize[] {
  checkSize(size);
  return [
    { width: Math.min(size.width + 1, 0xffff), height: Math.min(size.height + 1, 0xffff) },
    { width: size.width, height: size.height },
  ];
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
  /** Initial sizes, handed out in order before anything pushed. */
  readonly #seeds: TerminalSize[] = [];
  #pending: TerminalSize | undefined;
  #last: TerminalSize | undefined;
  #closed = false;
  #waiter: ((result: IteratorResult<TerminalSize>) => void) | undefined;

  /**
   * Creates a queue, seeded with the current size when given. A list of sizes is handed out in
   * full and in order (see {@linkcode redrawSizes}); later pushes still coalesce.
   */
  constructor(initial?: TerminalSize | readonly TerminalSize[]) {
    if (!initial) return;
    const seeds = Array.isArray(initial) ? initial : [initial as TerminalSize];
    for (const size of seeds) {
      checkSize(size);
      this.#seeds.push({ width: size.width, height: size.height });
    }
  }

  /** Offers a new size; throws `RangeError` for sizes that are not 16-bit cell counts. */
  push(size: TerminalSize): void {
    checkSize(size);
    if (this.#closed) return;
    const copy = { width: size.width, height: size.height };
    if (this.#seeds.length > 0) {
      const lastSeed = this.#seeds[this.#seeds.length - 1];
      this.#pending = sameSize(lastSeed, copy) ? undefined : copy;
      return;
    }
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
    this.#seeds.length = 0;
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
        const seed = this.#seeds.shift();
        if (seed) {
          this.#last = seed;
          return Promise.resolve({ value: seed, done: false });
        }
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
