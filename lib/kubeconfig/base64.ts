/**
 * Base64 as kubeconfig `*-data` fields use it: Go's `encoding/base64.StdEncoding`, which ignores
 * `\r` and `\n`, requires `=` padding and reports the offset of the first bad byte.
 *
 * @module
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * The text is not valid standard base64. Carries the offset Go would report; never the data.
 *
 * @example
 * ```ts
 * import { Base64Error } from "./base64.ts";
 * new Base64Error(3).message; // "illegal base64 data at input byte 3"
 * ```
 */
export class Base64Error extends Error {
  /** Offset of the first byte that cannot be decoded. */
  readonly offset: number;

  /** @param offset where decoding failed */
  constructor(offset: number) {
    super(`illegal base64 data at input byte ${offset}`);
    this.name = "Base64Error";
    this.offset = offset;
  }
}

/**
 * Decodes standard, padded base64, skipping line breaks as Go does.
 *
 * @example
 * ```ts
 * import { decodeBase64 } from "./base64.ts";
 * new TextDecoder().decode(decodeBase64("aGVs\nbG8=")); // "hello"
 * ```
 */
export function decodeBase64(text: string): Uint8Array {
  const symbols: number[] = [];
  const offsets: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === "\r" || char === "\n") continue;
    symbols.push(char === "=" ? -1 : ALPHABET.indexOf(char));
    offsets.push(i);
    if (symbols[symbols.length - 1] === -1 && char !== "=") throw new Base64Error(i);
  }
  if (symbols.length % 4 !== 0) {
    throw new Base64Error(offsets[symbols.length - (symbols.length % 4)] ?? text.length);
  }
  const bytes: number[] = [];
  for (let group = 0; group < symbols.length; group += 4) {
    const quad = symbols.slice(group, group + 4);
    const last = group + 4 === symbols.length;
    const padding = quad[3] === -1 ? (quad[2] === -1 ? 2 : 1) : 0;
    if (quad[0] === -1 || quad[1] === -1 || (quad[2] === -1 && quad[3] !== -1)) {
      throw new Base64Error(offsets[group + quad.findIndex((symbol) => symbol === -1)]);
    }
    if (padding > 0 && !last) throw new Base64Error(offsets[group + 4 - padding]);
    const value = (quad[0] << 18) | (quad[1] << 12) | (Math.max(quad[2], 0) << 6) |
      Math.max(quad[3], 0);
    bytes.push((value >> 16) & 0xff);
    if (padding < 2) bytes.push((value >> 8) & 0xff);
    if (padding < 1) bytes.push(value & 0xff);
  }
  return new Uint8Array(bytes);
}

/**
 * Encodes bytes as standard, padded base64.
 *
 * @example
 * ```ts
 * import { encodeBase64 } from "./base64.ts";
 * encodeBase64(new TextEncoder().encode("hello")); // "aGVsbG8="
 * ```
 */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}
