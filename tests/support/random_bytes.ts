/**
 * Random test payloads of any size.
 *
 * @module
 */

/**
 * `length` random bytes (`crypto.getRandomValues` fills at most 64 KiB per call).
 *
 * @example
 * ```ts
 * import { randomBytes } from "./random_bytes.ts";
 * console.assert(randomBytes(100_000).length === 100_000);
 * ```
 */
export function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index += 65536) {
    crypto.getRandomValues(bytes.subarray(index, Math.min(index + 65536, length)));
  }
  return bytes;
}
