/**
 * Byte helpers for the stream tests.
 *
 * @module
 */

/**
 * Random bytes of any length (`crypto.getRandomValues` fills at most 64 KiB per call).
 *
 * @example
 * ```ts
 * import { randomBytes } from "./bytes.ts";
 * randomBytes(1 << 20).length; // 1048576
 * ```
 */
export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, Math.min(offset + 65536, length)));
  }
  return bytes;
}

/** Joins chunks into one array: `lib/bytes.ts`'s `concatBytes`, under the name the tests use. */
export { concatBytes as concat } from "../../lib/bytes.ts";
