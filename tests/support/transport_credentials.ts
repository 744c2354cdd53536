/**
 * Credential providers for transport tests: fixed headers, or a sequence of header sets that
 * advances on every `invalidate()` (to exercise 401 → refresh → retry).
 *
 * @module
 */
import type { ClientCertificate, CredentialProvider, Credentials } from "../../lib/auth/types.ts";

/** A provider that counts calls. */
export interface CountingProvider extends CredentialProvider {
  gets: number;
  invalidations: number;
}

/**
 * Yields `sequence[i]` until invalidated; `invalidate()` advances and returns whether another
 * entry exists.
 *
 * @example
 * ```ts
 * import { sequenceCredentials } from "./transport_credentials.ts";
 * const provider = sequenceCredentials([[["Authorization", "Bearer old"]], [["Authorization", "Bearer new"]]]);
 * ```
 */
export function sequenceCredentials(
  sequence: [string, string][][],
  clientCert?: ClientCertificate,
): CountingProvider {
  let index = 0;
  const provider: CountingProvider = {
    description: "test credentials",
    gets: 0,
    invalidations: 0,
    get(): Promise<Credentials> {
      provider.gets++;
      return Promise.resolve({ headers: sequence[index] ?? [], clientCert });
    },
    invalidate(): Promise<boolean> {
      provider.invalidations++;
      if (index + 1 >= sequence.length) return Promise.resolve(false);
      index++;
      return Promise.resolve(true);
    },
  };
  return provider;
}

/**
 * No credentials at all.
 *
 * @example
 * ```ts
 * import { noCredentials } from "./transport_credentials.ts";
 * await noCredentials().get(); // { headers: [] }
 * ```
 */
export function noCredentials(clientCert?: ClientCertificate): CountingProvider {
  return sequenceCredentials([[]], clientCert);
}
