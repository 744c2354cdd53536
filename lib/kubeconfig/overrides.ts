/**
 * kubectl's global connection flags as one value, and the one flag that needs parsing
 * (`--request-timeout`). How each override combines with the kubeconfig is client-go's
 * (`clientcmd/overrides.go`, `client_config.go`) and is applied in `resolve.ts`.
 *
 * @module
 */
import { parseGoDuration } from "../duration.ts";
import { KubeconfigError } from "./errors.ts";

/** Values of kubectl's global flags that shape the connection; unset fields change nothing. */
export interface ConfigOverrides {
  /** `--kubeconfig`: the only file to load. */
  kubeconfig?: string;
  /** `--context`: the context to use instead of `current-context`. */
  context?: string;
  /** `--cluster`: the cluster entry to use instead of the context's. */
  cluster?: string;
  /** `--user`: the user entry to use instead of the context's. */
  user?: string;
  /** `-n/--namespace`: beats the context's namespace. */
  namespace?: string;
  /** `-s/--server`: replaces the cluster's server and drops its `tls-server-name`. */
  server?: string;
  /** `--token`: a bearer token (a configured `tokenFile` still wins when readable, as in kubectl). */
  token?: string;
  /** `--as`: user to impersonate. */
  as?: string;
  /** `--as-group` (repeatable): groups to impersonate. */
  asGroups?: string[];
  /** `--as-uid`: UID to impersonate. */
  asUid?: string;
  /** `--certificate-authority`: CA file; clears the cluster's CA data and `insecure-skip-tls-verify`. */
  certificateAuthority?: string;
  /** `--client-certificate`: replaces the user's certificate file and data. */
  clientCertificate?: string;
  /** `--client-key`: replaces the user's key file and data. */
  clientKey?: string;
  /** `--insecure-skip-tls-verify`: when true, clears the cluster's CA file and data. */
  insecureSkipTlsVerify?: boolean;
  /** `--tls-server-name`: name for SNI and certificate verification. */
  tlsServerName?: string;
  /** `--username`: basic-auth user name. */
  username?: string;
  /** `--password`: basic-auth password. */
  password?: string;
  /** `--request-timeout`: `0`, integer seconds, or a Go duration (`30s`, `1m`, `1h30m`). */
  requestTimeout?: string;
}

/**
 * `--request-timeout` is neither a non-negative integer nor a Go duration. Worded as kubectl.
 *
 * @example
 * ```ts
 * import { InvalidTimeoutError } from "./overrides.ts";
 * new InvalidTimeoutError("abc").message.startsWith("Invalid timeout value."); // true
 * ```
 */
export class InvalidTimeoutError extends KubeconfigError {
  /** The flag value as given. */
  readonly value: string;

  /** @param value the rejected flag value */
  constructor(value: string) {
    super(
      "Invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)",
    );
    this.name = "InvalidTimeoutError";
    this.value = value;
  }
}

/**
 * Parses `--request-timeout` like kubectl's `ParseTimeout`: a non-negative integer is seconds,
 * anything else must be a Go duration. Returns milliseconds (`0` = no timeout; negative
 * durations, which kubectl accepts, also mean none).
 *
 * @throws {InvalidTimeoutError} for anything else
 *
 * @example
 * ```ts
 * import { parseRequestTimeout } from "./overrides.ts";
 * parseRequestTimeout("30"); // 30000
 * parseRequestTimeout("1m"); // 60000
 * ```
 */
export function parseRequestTimeout(value: string): number {
  if (/^\+?[0-9]+$/.test(value)) return Number(value) * 1000;
  let duration: number;
  try {
    duration = parseGoDuration(value);
  } catch {
    throw new InvalidTimeoutError(value);
  }
  return Math.max(0, Math.round(duration));
}
