/**
 * Whether PEM text holds a certificate, as Go's `AppendCertsFromPEM` decides whether a CA bundle
 * is usable. May be imported by any part of `lib/`.
 *
 * @module
 */

/**
 * `true` when `pem` has at least one `CERTIFICATE` block whose body is base64.
 *
 * @example
 * ```ts
 * import { pemHoldsCertificate } from "./pem.ts";
 * pemHoldsCertificate("not a certificate"); // false
 * ```
 */
export function pemHoldsCertificate(pem: string): boolean {
  const blocks = pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g);
  for (const [, body] of blocks) {
    try {
      if (atob(body.replace(/\s+/g, "")).length > 0) return true;
    } catch {
      // Not base64: look at the next block.
    }
  }
  return false;
}
