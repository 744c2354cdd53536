/**
 * The certificates of a PEM bundle, as Go's `AppendCertsFromPEM` takes them: `CERTIFICATE` blocks
 * whose body is a DER structure; other blocks (keys, a broken entry in a concatenated corporate
 * bundle) are passed over rather than failing the bundle. May be imported by any part of `lib/`.
 *
 * @module
 */

/** Whether `der` is one whole DER SEQUENCE (what every certificate is). */
function isDerSequence(der: Uint8Array): boolean {
  if (der.length < 2 || der[0] !== 0x30) return false;
  let length = der[1];
  let offset = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || der.length < 2 + count) return false;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[2 + i];
    offset = 2 + count;
  }
  return offset + length === der.length;
}

/**
 * The `CERTIFICATE` blocks of `pem` that hold a DER structure, each as PEM text.
 *
 * @example
 * ```ts
 * import { certificateBlocks } from "./pem.ts";
 * certificateBlocks("not a certificate").length; // 0
 * ```
 */
export function certificateBlocks(pem: string): string[] {
  const blocks: string[] = [];
  const found = pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g);
  for (const [block, body] of found) {
    let der: Uint8Array;
    try {
      der = Uint8Array.from(atob(body.replace(/\s+/g, "")), (char) => char.charCodeAt(0));
    } catch {
      continue;
    }
    if (isDerSequence(der)) blocks.push(`${block}\n`);
  }
  return blocks;
}

/**
 * `true` when `pem` holds at least one certificate (see {@linkcode certificateBlocks}).
 *
 * @example
 * ```ts
 * import { pemHoldsCertificate } from "./pem.ts";
 * pemHoldsCertificate("not a certificate"); // false
 * ```
 */
export function pemHoldsCertificate(pem: string): boolean {
  return certificateBlocks(pem).length > 0;
}
