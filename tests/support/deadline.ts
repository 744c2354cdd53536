/**
 * A deadline for tests whose failure would otherwise be a hang: a lost wake-up between threads, a
 * child process that never ends. The test fails with a message instead of running until CI kills
 * the whole suite.
 *
 * @module
 */

/**
 * `work`'s value, or a rejection when it has not settled within `ms`; `onExpiry` runs first (kill
 * the child process the work waits for, say). A later rejection of `work` is then ignored.
 *
 * @example
 * ```ts
 * import { within } from "./deadline.ts";
 * const value = await within(1000, Promise.resolve(42));
 * console.assert(value === 42);
 * ```
 */
export async function within<T>(ms: number, work: Promise<T>, onExpiry?: () => void): Promise<T> {
  work.catch(() => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          onExpiry?.();
          reject(new Error(`no progress within ${ms} ms`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
