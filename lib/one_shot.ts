/**
 * An event that happens once — a session ending, an upload finishing, a plugin exiting — which
 * many short-lived promises are raced against. `Promise.race([short, event])` leaves a reaction
 * on `event` for every race, and that reaction keeps the race's result reachable until `event`
 * settles: racing every received message against it keeps every message (a 1 GiB stream held
 * 1 GiB). {@linkcode OneShot.race} registers its waker in a set and removes it as soon as the
 * short-lived promise settles. May be imported by any part of `lib/`.
 *
 * @module
 */

/**
 * A one-time event, and races against it that retain nothing after they settle.
 *
 * @example
 * ```ts
 * import { OneShot } from "./one_shot.ts";
 * const stopped = new OneShot<"stopped">();
 * const next = stopped.race(new Promise<string>(() => {}));
 * stopped.fire("stopped");
 * await next; // "stopped"
 * ```
 */
export class OneShot<S> {
  readonly #waiters = new Set<(value: S) => void>();
  #fired: { value: S } | undefined;

  /** Whether {@linkcode OneShot.fire} was called. */
  get fired(): boolean {
    return this.#fired !== undefined;
  }

  /** Happens now: every pending race resolves to `value`; later calls do nothing. */
  fire(value: S): void {
    if (this.#fired) return;
    this.#fired = { value };
    for (const wake of this.#waiters) wake(value);
    this.#waiters.clear();
  }

  /** `promise`'s outcome, or the event's value if the event comes first. */
  race<T>(promise: Promise<T>): Promise<T | S> {
    if (this.#fired) return Promise.race([promise, Promise.resolve(this.#fired.value)]);
    return new Promise<T | S>((resolve, reject) => {
      const wake = (value: S) => resolve(value);
      this.#waiters.add(wake);
      promise.then(
        (value) => {
          this.#waiters.delete(wake);
          resolve(value);
        },
        (error) => {
          this.#waiters.delete(wake);
          reject(error);
        },
      );
    });
  }
}
