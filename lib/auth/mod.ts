/**
 * Credential providers for every kind of kubeconfig credential, behind one
 * {@linkcode CredentialProvider} interface: static bearer token, `tokenFile` (re-read
 * periodically), basic auth, exec credential plugins (`client.authentication.k8s.io/v1` and
 * `v1beta1`) and the `oidc` auth-provider. Also the impersonation headers the request layer adds.
 *
 * {@linkcode createCredentialProvider} picks the provider with client-go's precedence
 * (`rest/transport.go`, `transport/round_trippers.go`, `plugin/pkg/client/auth/exec/exec.go`):
 *
 * 1. `exec` together with `auth-provider` is an error;
 * 2. a bearer token (`token` or `tokenFile`) together with basic auth (`username`) is an error;
 * 3. `token`/`tokenFile` wins, then basic auth — an `exec` plugin or `auth-provider` is then
 *    never run (client-go's round trippers defer to an `Authorization` header already set), though
 *    a broken `exec`/`auth-provider` configuration (bad apiVersion, gcp, azure, unknown name) is
 *    still reported, as client-go builds both before the first request;
 * 4. an `exec` plugin, skipped when a client certificate is configured in `TlsConfig`;
 * 5. the `auth-provider`;
 * 6. nothing: anonymous, or the client certificate the transport takes from `TlsConfig`.
 *
 * Configuration errors reject {@linkcode createCredentialProvider}; run-time failures (a missing
 * token file, a failing plugin or issuer) reject `get()`. All are {@linkcode CredentialError}s and
 * none carries a secret.
 *
 * The providers of `tokenFile`, exec plugins and `oidc` are loaded only for a configuration that
 * names them: most runs use a token or a certificate, and each module a run loads costs it
 * start-up time and memory (docs/performance.md).
 *
 * @example
 * ```ts
 * import { createCredentialProvider } from "./mod.ts";
 * const provider = await createCredentialProvider({ token: "abc" }, {
 *   stdinIsTerminal: false,
 *   stdinInUse: false,
 * });
 * (await provider.get()).headers; // [["Authorization", "Bearer abc"]]
 * ```
 *
 * @module
 */
import type { AuthConfig } from "../kubeconfig/types.ts";
import type { Logger } from "../log.ts";
import { AuthConfigError, UnknownAuthProviderError } from "./errors.ts";
import { anonymousProvider, basicAuthProvider, staticTokenProvider } from "./static.ts";
import type { CredentialProvider } from "./types.ts";

export type { ClientCertificate, CredentialProvider, Credentials } from "./types.ts";
export * from "./errors.ts";
export { impersonationHeaders } from "./impersonation.ts";
export { basicAuthorization } from "./static.ts";

/** The environment a provider runs in; only the two stdin flags are required. */
export interface ProviderOptions {
  /** Our standard input is a terminal (decides exec plugins' `interactiveMode`). */
  stdinIsTerminal: boolean;
  /** Our standard input is streamed to the pod (`-i`), so no plugin may read it. */
  stdinInUse: boolean;
  /** Added to the `interactiveMode: Always` error when stdin is in use (client-go's message). */
  stdinUnavailableMessage?: string;
  /**
   * A client certificate is configured in `TlsConfig`: client-go then skips an exec plugin,
   * the certificate being the credential.
   */
  clientCertConfigured?: boolean;
  /**
   * Where exec plugins' stderr goes: a stream, or `"inherit"` to give the plugin our own stderr
   * (what client-go does; lets plugins detect a terminal). Discarded when absent.
   */
  pluginStderr?: WritableStream<Uint8Array> | "inherit";
  /**
   * What an interactive exec plugin reads: a stream, or `"inherit"` to hand it our own stdin
   * (what client-go does; needed by plugins that prompt on a terminal). When absent an interactive
   * plugin gets an empty stdin.
   */
  pluginStdin?: ReadableStream<Uint8Array> | "inherit";
  /** The base environment for exec plugins; defaults to `Deno.env.toObject()`. */
  env?: Record<string, string>;
  /** Receives `-v` diagnostics, never secrets. */
  logger?: Logger;
  /** Clock in milliseconds since the epoch (token expiry); defaults to `Date.now`. */
  now?: () => number;
  /** The `tokenFile` re-read period (a read token is trusted for this minus 10 s); default 1 minute. */
  tokenFilePeriodMs?: number;
  /** Reads `tokenFile` and `idp-certificate-authority`; defaults to `Deno.readTextFile`. */
  readTextFile?: (path: string) => Promise<string>;
}

async function authProviderFromConfig(
  provider: NonNullable<AuthConfig["authProvider"]>,
  options: ProviderOptions,
): Promise<CredentialProvider> {
  const { removedProviderError } = await import("./removed_providers.ts");
  const removed = removedProviderError(provider.name);
  if (removed) throw removed;
  if (provider.name !== "oidc") throw new UnknownAuthProviderError(provider.name);
  const { oidcProvider } = await import("./oidc.ts");
  return oidcProvider(provider.config ?? {}, {
    ...(provider.persist ? { persist: provider.persist } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.readTextFile ? { readTextFile: options.readTextFile } : {}),
  });
}

/**
 * Builds the provider for `auth` (see the module documentation for the precedence). Rejects with
 * a {@linkcode CredentialError} for configurations client-go refuses.
 *
 * @example
 * ```ts
 * import { createCredentialProvider } from "./mod.ts";
 * const provider = await createCredentialProvider(
 *   { username: "admin", password: "secret" },
 *   { stdinIsTerminal: false, stdinInUse: false },
 * );
 * (await provider.get()).headers; // [["Authorization", "Basic YWRtaW46c2VjcmV0"]]
 * ```
 */
export async function createCredentialProvider(
  auth: AuthConfig,
  options: ProviderOptions,
): Promise<CredentialProvider> {
  if (auth.exec && auth.authProvider) {
    throw new AuthConfigError("execProvider and authProvider cannot be used in combination");
  }
  const hasToken = !!auth.token || !!auth.tokenFile;
  const hasBasic = !!auth.username;
  if (hasToken && hasBasic) {
    throw new AuthConfigError("username/password or bearer token may be set, but not both");
  }
  const exec = auth.exec
    ? (await import("./exec_plugin.ts")).execPluginProvider(auth.exec, {
      stdin: {
        isTerminal: options.stdinIsTerminal,
        inUse: options.stdinInUse,
        ...(options.stdinUnavailableMessage
          ? { unavailableMessage: options.stdinUnavailableMessage }
          : {}),
      },
      ...(options.pluginStdin ? { pluginStdin: options.pluginStdin } : {}),
      ...(options.pluginStderr ? { pluginStderr: options.pluginStderr } : {}),
      ...(options.env ? { env: options.env } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.now ? { now: options.now } : {}),
    })
    : undefined;
  const authProvider = auth.authProvider
    ? await authProviderFromConfig(auth.authProvider, options)
    : undefined;

  if (auth.tokenFile) {
    const { tokenFileProvider } = await import("./token_file.ts");
    return tokenFileProvider(auth.tokenFile, {
      ...(auth.token ? { fallbackToken: auth.token } : {}),
      ...(options.tokenFilePeriodMs !== undefined ? { periodMs: options.tokenFilePeriodMs } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.readTextFile ? { readTextFile: options.readTextFile } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }
  if (auth.token) return staticTokenProvider(auth.token);
  if (hasBasic) return basicAuthProvider(auth.username ?? "", auth.password ?? "");
  if (exec && !options.clientCertConfigured) return exec;
  if (authProvider) return authProvider;
  return anonymousProvider(options.clientCertConfigured ? "client certificate" : "anonymous");
}
