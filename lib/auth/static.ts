/**
 * Credentials that never change during a run: a bearer token given inline (`token`, `--token`),
 * basic auth (`username`/`password`), and no credentials at all. After a `401` nothing would change,
 * so their `invalidate()` always answers `false`.
 *
 * @module
 */
import type { CredentialProvider, Credentials } from "./types.ts";

/**
 * A provider that always sends `Authorization: Bearer <token>`.
 *
 * @example
 * ```ts
 * import { staticTokenProvider } from "./static.ts";
 * const provider = staticTokenProvider("abc");
 * (await provider.get()).headers; // [["Authorization", "Bearer abc"]]
 * ```
 */
export function staticTokenProvider(token: string): CredentialProvider {
  const credentials: Credentials = { headers: [["Authorization", `Bearer ${token}`]] };
  return {
    description: "static bearer token",
    get: () => Promise.resolve(structuredClone(credentials)),
    invalidate: () => Promise.resolve(false),
  };
}

/**
 * Encodes `username:password` for an `Authorization: Basic` header the way Go's `SetBasicAuth`
 * does: UTF-8 bytes, standard base64 with padding.
 *
 * @example
 * ```ts
 * import { basicAuthorization } from "./static.ts";
 * basicAuthorization("admin", "secret"); // "Basic YWRtaW46c2VjcmV0"
 * ```
 */
export function basicAuthorization(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

/**
 * A provider that sends HTTP basic authentication.
 *
 * @example
 * ```ts
 * import { basicAuthProvider } from "./static.ts";
 * const provider = basicAuthProvider("admin", "secret");
 * (await provider.get()).headers; // [["Authorization", "Basic YWRtaW46c2VjcmV0"]]
 * ```
 */
export function basicAuthProvider(username: string, password: string): CredentialProvider {
  const credentials: Credentials = {
    headers: [["Authorization", basicAuthorization(username, password)]],
  };
  return {
    description: "basic auth",
    get: () => Promise.resolve(structuredClone(credentials)),
    invalidate: () => Promise.resolve(false),
  };
}

/**
 * A provider that adds nothing: anonymous requests, or a client certificate that the transport
 * takes from `TlsConfig` itself.
 *
 * @example
 * ```ts
 * import { anonymousProvider } from "./static.ts";
 * (await anonymousProvider("anonymous").get()).headers; // []
 * ```
 */
export function anonymousProvider(description: string): CredentialProvider {
  return {
    description,
    get: () => Promise.resolve({ headers: [] }),
    invalidate: () => Promise.resolve(false),
  };
}
