/**
 * Reads the expiry of an OpenID Connect id-token (a JWT) without verifying it — the API server
 * verifies; the client only needs to know when to refresh — with client-go's rules
 * (`plugin/pkg/client/auth/oidc/oidc.go`): three dot-separated parts, an unpadded base64url
 * payload, an `exp` claim in seconds (fractions truncated); a missing `exp` counts as expired.
 *
 * @module
 */

/** A token that is not a JWT or whose payload cannot be decoded. */
export class InvalidJwtError extends Error {
  /** Which check failed (never the token itself). */
  readonly problem: string;

  /** Creates the error with the failed check. */
  constructor(problem: string) {
    super(problem);
    this.name = "InvalidJwtError";
    this.problem = problem;
  }
}

function decodeBase64Url(text: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new InvalidJwtError("illegal base64 data in the ID Token payload");
  }
  const padded = text.replaceAll("-", "+").replaceAll("_", "/") +
    "=".repeat((4 - (text.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = Uint8Array.from(binary, (character) => character.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/**
 * Returns the `exp` claim of `token` in milliseconds since the epoch, or `0` when absent.
 * Throws {@linkcode InvalidJwtError} when `token` is not a JWT.
 *
 * @example
 * ```ts
 * import { jwtExpiry } from "./jwt.ts";
 * const payload = btoa(JSON.stringify({ exp: 2000000000 })).replace(/=+$/, "");
 * jwtExpiry(`e30.${payload}.sig`); // 2000000000000
 * ```
 */
export function jwtExpiry(token: string): number {
  const parts = token.split(".");
  if (parts.length !== 3) throw new InvalidJwtError("ID Token is not a valid JWT");
  let claims: unknown;
  try {
    claims = JSON.parse(decodeBase64Url(parts[1]));
  } catch (error) {
    if (error instanceof InvalidJwtError) throw error;
    throw new InvalidJwtError("parsing claims: the ID Token payload is not JSON");
  }
  if (claims === null || typeof claims !== "object") {
    throw new InvalidJwtError("parsing claims: the ID Token payload is not a JSON object");
  }
  const exp = (claims as Record<string, unknown>).exp;
  if (exp === undefined || exp === null) return 0;
  const seconds = typeof exp === "number" ? exp : typeof exp === "string" ? Number(exp) : NaN;
  if (!Number.isFinite(seconds)) {
    throw new InvalidJwtError("parsing claims: the exp claim is not a number");
  }
  return Math.trunc(seconds) * 1000;
}
