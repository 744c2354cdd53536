/**
 * kubectl's global connection flags as one value, and the one flag that needs parsing
 * (`--request-timeout`). How each override combines with the kubeconfig is client-go's
 * (`clientcmd/overrides.go`, `client_config.go`) and is applied in `resolve.ts`.
 *
 * @module
 */
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

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a Go duration (`1h30m`, `1.5s`, `300ms`, `-2m`, `0`) into milliseconds, or `undefined`.
 *
 * @example
 * ```ts
 * import { parseGoDuration } from "./overrides.ts";
 * parseGoDuration("1m30s"); // 90000
 * ```
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") return undefined;
  let total = 0;
  const component = /^([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest !== "") {
    const match = component.exec(rest);
    if (!match || match[1] === "" || match[1] === ".") return undefined;
    total += Number(match[1]) * UNIT_MS[match[2]];
    rest = rest.slice(match[0].length);
  }
  return sign * total;
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
  const duration = parseGoDuration(value);
  if (duration === undefined) throw new InvalidTimeoutError(value);
  return Math.max(0, Math.round(duration));
}
