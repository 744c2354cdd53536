/**
 * The one interface every credential provider implements, and the credentials it yields.
 *
 * A provider is asked for {@linkcode Credentials} before each request; after the server answers
 * `401 Unauthorized` the caller calls {@linkcode CredentialProvider.invalidate} and, when it returns
 * `true`, retries once with fresh credentials (client-go re-runs exec plugins the same way).
 *
 * @module
 */

/** A client certificate and key, PEM. */
export interface ClientCertificate {
  certPem: string;
  keyPem: string;
}

/** What a request carries to authenticate. */
export interface Credentials {
  /** Header lines to add, in order (for example `["Authorization", "Bearer …"]`). */
  headers: [string, string][];
  /** A client certificate for mutual TLS, when the credential is one. */
  clientCert?: ClientCertificate;
}

/** A source of credentials: static, file-backed, exec plugin, oidc, … */
export interface CredentialProvider {
  /** A short description without secrets, for `-v` logs (e.g. `exec plugin aws`). */
  readonly description: string;
  /** Current credentials; may run a plugin or refresh a token. */
  get(): Promise<Credentials>;
  /**
   * Forget cached credentials after a `401`. Returns `true` when a retry may succeed with new
   * credentials (a re-run plugin, a re-read file), `false` when nothing would change.
   */
  invalidate(): Promise<boolean>;
}
