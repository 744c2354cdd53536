/**
 * Bounding a connection attempt by `--request-timeout` without leaking what arrives late.
 *
 * @module
 */
import { TransportTimeoutError } from "./errors.ts";

/**
 * Resolves like `work`, or rejects with `TransportTimeoutError` after `timeoutMs` (0 or
 * `undefined`: no limit). On timeout `onTimeout` runs (to abort the attempt) and a value that
 * still arrives later is handed to `discard` (to close it).
 *
 * @example
 * ```ts
 * import { withDeadline } from "./deadline.ts";
 * await withDeadline(Promise.resolve(1), 1000, "dial", () => {}, () => {});
 * ```
 */
export function withDeadline<T>(
  work: Promise<T>,
  timeoutMs: number | undefined,
  what: string,
  onTimeout: () => void,
  discard: (late: T) => void,
): Promise<T> {
  if (!timeoutMs || timeoutMs <= 0) return work;
  return new Promise<T>((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      onTimeout();
      reject(new TransportTimeoutError(what, timeoutMs));
    }, timeoutMs);
    work.then(
      (value) => {
        clearTimeout(timer);
        if (timedOut) discard(value);
        else resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        if (!timedOut) reject(error);
      },
    );
  });
}
