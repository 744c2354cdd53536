/**
 * Timers for the shipped program that do not start Deno's Node.js timer layer. Deno 2's global
 * `setTimeout` returns Node's `Timeout` objects, and the first call loads that layer's internals
 * (errors, `util.inspect`, libuv bindings): 3.5 ms and 1.5–2 MiB resident in every kubexec run
 * (`exec -- true` 51.2 → 47.7 ms, 20 runs; peak RSS behind a slow reader 61.0–62.2 → 59.0–59.9
 * MiB). These timers run on `AbortSignal.timeout`, which uses Deno's own timer: one signal is
 * armed for the earliest deadline, and when it fires every timer that is due runs, in deadline
 * order and, for equal deadlines, in the order they were set.
 *
 * An `AbortSignal.timeout` cannot be cancelled: a cleared timer's signal stays armed until its
 * time and then finds nothing to run. It keeps an otherwise idle process alive until then, which
 * does not matter to kubexec: `main.ts` ends with `Deno.exit`. That is why these timers are
 * installed by the entry point only, never by the library.
 *
 * @module
 */

interface Entry {
  readonly id: number;
  due: number;
  readonly seq: number;
  readonly run: () => void;
  readonly every: number | undefined;
}

/** The clock and the one-shot alarm the scheduler runs on (injectable for tests). */
export interface TimerClock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Calls `fire` once, no sooner than `ms` milliseconds from now. */
  alarm(ms: number, fire: () => void): void;
}

/** The real clock: `performance.now` and `AbortSignal.timeout`. */
const SIGNAL_CLOCK: TimerClock = {
  now: () => performance.now(),
  alarm(ms, fire) {
    AbortSignal.timeout(ms).addEventListener("abort", fire, { once: true });
  },
};

/**
 * `setTimeout`/`setInterval` and their clearing counterparts over a {@linkcode TimerClock}.
 *
 * @example
 * ```ts
 * import { SignalTimers } from "./timers.ts";
 * const timers = new SignalTimers();
 * const fired = await new Promise((resolve) => timers.setTimeout(() => resolve(true), 5));
 * fired; // true
 * ```
 */
export class SignalTimers {
  readonly #clock: TimerClock;
  /** Pending timers by deadline, then by the order they were set. */
  #queue: Entry[] = [];
  #byId = new Map<number, Entry>();
  #nextId = 1;
  #nextSeq = 0;
  /** Deadlines an alarm is armed for (an alarm cannot be taken back). */
  #armed = new Set<number>();

  constructor(clock: TimerClock = SIGNAL_CLOCK) {
    this.#clock = clock;
  }

  /** Runs `callback(...args)` once, `ms` milliseconds from now; returns the timer's id. */
  setTimeout<A extends unknown[]>(callback: (...args: A) => void, ms = 0, ...args: A): number {
    return this.#add(() => callback(...args), ms, undefined);
  }

  /** Runs `callback(...args)` every `ms` milliseconds; returns the timer's id. */
  setInterval<A extends unknown[]>(callback: (...args: A) => void, ms = 0, ...args: A): number {
    return this.#add(() => callback(...args), ms, Math.max(1, ms));
  }

  /** Cancels the timer `id` (either kind); unknown ids and `undefined` are ignored. */
  clear(id: number | undefined): void {
    if (id === undefined) return;
    const entry = this.#byId.get(id);
    if (!entry) return;
    this.#byId.delete(id);
    // Not queued while its round runs (#fire took it out): then only the map entry goes.
    const index = this.#queue.indexOf(entry);
    if (index >= 0) this.#queue.splice(index, 1);
  }

  /** The number of timers set and not yet run or cleared (intervals count until cleared). */
  get pending(): number {
    return this.#byId.size;
  }

  #add(run: () => void, ms: number, every: number | undefined): number {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const entry: Entry = {
      id: this.#nextId++,
      due: this.#clock.now() + delay,
      seq: this.#nextSeq++,
      run,
      every,
    };
    this.#byId.set(entry.id, entry);
    this.#insert(entry);
    this.#armFor(this.#queue[0]);
    return entry.id;
  }

  #insert(entry: Entry): void {
    let low = 0;
    let high = this.#queue.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const other = this.#queue[middle];
      if (other.due < entry.due || (other.due === entry.due && other.seq < entry.seq)) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    this.#queue.splice(low, 0, entry);
  }

  /** Arms an alarm for `entry`'s deadline unless one at or before it is armed already. */
  #armFor(entry: Entry | undefined): void {
    if (!entry) return;
    for (const deadline of this.#armed) if (deadline <= entry.due) return;
    const due = entry.due;
    this.#armed.add(due);
    const ms = Math.max(0, Math.ceil(due - this.#clock.now()));
    this.#clock.alarm(ms, () => {
      this.#armed.delete(due);
      this.#fire();
    });
  }

  #fire(): void {
    const now = this.#clock.now();
    const due: Entry[] = [];
    while (this.#queue.length > 0 && this.#queue[0].due <= now) due.push(this.#queue.shift()!);
    for (const entry of due) {
      // An earlier callback in this round may have cleared it.
      if (!this.#byId.has(entry.id)) continue;
      if (entry.every === undefined) {
        this.#byId.delete(entry.id);
      } else {
        entry.due = now + entry.every;
        this.#insert(entry);
      }
      try {
        entry.run();
      } catch (error) {
        // As a throwing timer callback does: reported as uncaught; the other timers still run.
        reportError(error);
      }
    }
    this.#armFor(this.#queue[0]);
  }
}

/**
 * Replaces `target`'s `setTimeout`, `setInterval`, `clearTimeout` and `clearInterval` with a
 * {@linkcode SignalTimers}. For the entry point only (see the module comment).
 *
 * @example
 * ```ts ignore
 * import { installSignalTimers } from "./timers.ts";
 * installSignalTimers(); // main.ts, before the command runs
 * ```
 */
export function installSignalTimers(target: typeof globalThis = globalThis): SignalTimers {
  const timers = new SignalTimers();
  const replace = target as unknown as Record<string, unknown>;
  replace.setTimeout = timers.setTimeout.bind(timers);
  replace.setInterval = timers.setInterval.bind(timers);
  replace.clearTimeout = timers.clear.bind(timers);
  replace.clearInterval = timers.clear.bind(timers);
  return timers;
}
