/**
 * The errors credential providers raise. Each is a named `Error` subclass carrying the facts its
 * message was built from, so callers can react to the kind of failure without parsing text.
 *
 * No message or field ever holds a secret (token, password, key, refresh token): the texts follow
 * client-go's wording where users know it, with secrets left out.
 *
 * @module
 */

/** Options of {@linkcode CredentialError}: a cause and an optional hint for the user. */
export interface CredentialErrorOptions extends ErrorOptions {
  /** What the user can do about it, printed by the CLI on a `hint:` line. */
  hint?: string;
}

/**
 * The base of every error raised by `lib/auth`.
 *
 * @example
 * ```ts
 * import { CredentialError } from "./errors.ts";
 * const error = new CredentialError("no credentials", { hint: "log in first" });
 * error.hint; // "log in first"
 * ```
 */
export class CredentialError extends Error {
  /** What the user can do about it, when there is something useful to say. */
  readonly hint?: string;

  /** Creates the error with a user-facing message and optional hint. */
  constructor(message: string, options?: CredentialErrorOptions) {
    super(message, options);
    this.name = "CredentialError";
    if (options?.hint !== undefined) this.hint = options.hint;
  }
}

/**
 * The credential configuration cannot be used as given (conflicting methods, unknown version).
 *
 * @example
 * ```ts
 * import { AuthConfigError } from "./errors.ts";
 * const error = new AuthConfigError("execProvider and authProvider cannot be used in combination");
 * error.message; // "execProvider and authProvider cannot be used in combination"
 * ```
 */
export class AuthConfigError extends CredentialError {
  /** Creates the error; `message` says what is wrong with the configuration. */
  constructor(message: string, options?: CredentialErrorOptions) {
    super(message, options);
    this.name = "AuthConfigError";
  }
}

/**
 * A `tokenFile` could not be read, or held only whitespace, and no earlier token is available.
 *
 * @example
 * ```ts
 * import { TokenFileError } from "./errors.ts";
 * new TokenFileError("/run/token", "empty").message; // 'read empty token from file "/run/token"'
 * ```
 */
export class TokenFileError extends CredentialError {
  /** The file that was read. */
  readonly path: string;
  /** Why it gave no token: an OS error text (`open …: no such file or directory`) or `empty`. */
  readonly reason: string;

  /**
   * Creates the error for `path`; `reason` is `"empty"` or the cause of the failed read, `hint`
   * what the user can do about it.
   */
  constructor(path: string, reason: string, hint?: string) {
    super(
      reason === "empty"
        ? `read empty token from file ${JSON.stringify(path)}`
        : `failed to read token file ${JSON.stringify(path)}: ${reason}`,
      hint === undefined ? undefined : { hint },
    );
    this.name = "TokenFileError";
    this.path = path;
    this.reason = reason;
  }
}

/**
 * The base of exec credential plugin failures. Its message starts with `getting credentials: `, as
 * client-go's round tripper prints it, followed by {@linkcode ExecPluginError.detail}.
 *
 * @example
 * ```ts
 * import { ExecPluginError } from "./errors.ts";
 * const error = new ExecPluginError("aws", "exec: something broke");
 * error.message; // "getting credentials: exec: something broke"
 * ```
 */
export class ExecPluginError extends CredentialError {
  /** The plugin command as configured (cleaned like a path). */
  readonly command: string;
  /** The message without the `getting credentials: ` prefix. */
  readonly detail: string;

  /** Creates the error for `command` with the given detail text. */
  constructor(command: string, detail: string, options?: CredentialErrorOptions) {
    super(`getting credentials: ${detail}`, options);
    this.name = "ExecPluginError";
    this.command = command;
    this.detail = detail;
  }
}

/** client-go's explanation printed after `exec: executable X not found`. */
export const INSTALL_HINT_HELP = "\n\n" +
  "It looks like you are trying to use a client-go credential plugin that is not installed.\n\n" +
  "To learn more about this feature, consult the documentation available at:\n" +
  "      https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins";

/**
 * The plugin executable does not exist or cannot be executed.
 *
 * @example
 * ```ts
 * import { ExecPluginNotFoundError } from "./errors.ts";
 * const error = new ExecPluginNotFoundError("aws", "brew install awscli", true);
 * error.message.startsWith("getting credentials: exec: executable aws not found"); // true
 * ```
 */
export class ExecPluginNotFoundError extends ExecPluginError {
  /** The configured `installHint`, ANSI escapes already neutralised; may be empty. */
  readonly installHint: string;
  /** Whether the help text and hint were included (client-go shows them at most 10 times an hour). */
  readonly hintShown: boolean;

  /** Creates the error; the help text and `installHint` are appended when `showHint` is true. */
  constructor(command: string, installHint: string, showHint: boolean, options?: ErrorOptions) {
    let detail = `exec: executable ${command} not found`;
    if (showHint) {
      detail += INSTALL_HINT_HELP;
      if (installHint !== "") detail += `\n\n${installHint}`;
    }
    super(command, detail, options);
    this.name = "ExecPluginNotFoundError";
    this.installHint = installHint;
    this.hintShown = showHint;
  }
}

/**
 * The plugin ran and exited with a non-zero code (or was killed by a signal: code `-1`, as Go reports).
 *
 * @example
 * ```ts
 * import { ExecPluginExitError } from "./errors.ts";
 * new ExecPluginExitError("aws", 2).detail; // "exec: executable aws failed with exit code 2"
 * ```
 */
export class ExecPluginExitError extends ExecPluginError {
  /** The exit code, `-1` when the process ended by a signal. */
  readonly exitCode: number;

  /** Creates the error for `command` that ended with `exitCode`. */
  constructor(command: string, exitCode: number) {
    super(command, `exec: executable ${command} failed with exit code ${exitCode}`);
    this.name = "ExecPluginExitError";
    this.exitCode = exitCode;
  }
}

/**
 * The plugin's output is not a usable `ExecCredential` (bad JSON, wrong version or kind, no token or
 * certificate, a certificate without its key, …). The output itself is never quoted.
 *
 * @example
 * ```ts
 * import { ExecCredentialFormatError } from "./errors.ts";
 * const error = new ExecCredentialFormatError("aws", "exec plugin didn't return a status field");
 * error.problem; // "exec plugin didn't return a status field"
 * ```
 */
export class ExecCredentialFormatError extends ExecPluginError {
  /** What is wrong with the output. */
  readonly problem: string;

  /** Creates the error for `command`; `problem` must not contain any part of the output. */
  constructor(command: string, problem: string) {
    super(command, problem);
    this.name = "ExecCredentialFormatError";
    this.problem = problem;
  }
}

/**
 * The plugin's `interactiveMode` cannot be honoured (for example `Always` while stdin is not a
 * terminal or is streamed to the pod).
 *
 * @example
 * ```ts
 * import { ExecInteractiveModeError } from "./errors.ts";
 * const error = new ExecInteractiveModeError("login", "standard input is not a terminal");
 * error.detail; // "exec plugin cannot support interactive mode: standard input is not a terminal"
 * ```
 */
export class ExecInteractiveModeError extends ExecPluginError {
  /** Why interactive mode is impossible. */
  readonly reason: string;

  /** Creates the error for `command` with the reason client-go would give. */
  constructor(command: string, reason: string, options?: CredentialErrorOptions) {
    super(command, `exec plugin cannot support interactive mode: ${reason}`, options);
    this.name = "ExecInteractiveModeError";
    this.reason = reason;
  }
}

/**
 * A legacy in-tree auth-provider that client-go removed in Kubernetes 1.26 (`gcp`, `azure`).
 *
 * @example
 * ```ts
 * import { AuthProviderRemovedError } from "./errors.ts";
 * const error = new AuthProviderRemovedError("gcp", "gke-gcloud-auth-plugin", "The gcp auth plugin …");
 * error.replacement; // "gke-gcloud-auth-plugin"
 * ```
 */
export class AuthProviderRemovedError extends CredentialError {
  /** The `auth-provider` name from the kubeconfig. */
  readonly provider: string;
  /** The exec credential plugin that replaces it. */
  readonly replacement: string;

  /** Creates the error; `message` is the full user-facing text. */
  constructor(
    provider: string,
    replacement: string,
    message: string,
    options?: CredentialErrorOptions,
  ) {
    super(message, options);
    this.name = "AuthProviderRemovedError";
    this.provider = provider;
    this.replacement = replacement;
  }
}

/**
 * An `auth-provider` name that neither client-go nor kubexec knows.
 *
 * @example
 * ```ts
 * import { UnknownAuthProviderError } from "./errors.ts";
 * new UnknownAuthProviderError("openstack").message; // 'no Auth Provider found for name "openstack"'
 * ```
 */
export class UnknownAuthProviderError extends CredentialError {
  /** The unknown name. */
  readonly provider: string;

  /** Creates the error for `provider`. */
  constructor(provider: string) {
    super(`no Auth Provider found for name ${JSON.stringify(provider)}`);
    this.name = "UnknownAuthProviderError";
    this.provider = provider;
  }
}

/**
 * The `oidc` auth-provider could not produce a valid id-token (bad configuration, an expired token
 * without refresh token, a failing issuer, or a failed write-back).
 *
 * @example
 * ```ts
 * import { OidcError } from "./errors.ts";
 * new OidcError("Must provide client-id").message; // "Must provide client-id"
 * ```
 */
export class OidcError extends CredentialError {
  /** Creates the error with a message free of tokens and client secrets. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "OidcError";
  }
}
