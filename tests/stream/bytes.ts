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

/**
 * Joins chunks into one array.
 *
 * @example
 * ```ts
 * import { concat } from "./bytes.ts";
 * concat([new Uint8Array([1]), new Uint8Array([2])]); // 01 02
 * ```
 */
export function concat(chunks: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const joined = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}
