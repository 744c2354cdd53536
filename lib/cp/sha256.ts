/**
 * Incremental SHA-256 for verifying copies while they stream. Web Crypto only digests whole buffers,
 * so this uses `node:crypto`'s incremental hash (Deno has no native streaming digest).
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";

/** A running SHA-256: feed bytes with `update`, read the lower-case hex digest with `digest`. */
export interface Sha256 {
  update(bytes: Uint8Array): void;
  digest(): string;
}

/**
 * Starts a SHA-256 computation.
 *
 * @example
 * ```ts
 * import { sha256 } from "./sha256.ts";
 * const hash = sha256();
 * hash.update(new TextEncoder().encode("abc"));
 * hash.digest(); // "ba7816bf…"
 * ```
 */
export function sha256(): Sha256 {
  const hash: Hash = createHash("sha256");
  return {
    update(bytes) {
      hash.update(bytes);
    },
    digest() {
      return hash.digest("hex");
    },
  };
}
