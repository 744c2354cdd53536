/**
 * The flags every command accepts (`kubexec options`): kubeconfig overrides with kubectl's names
 * and meaning, verbosity and colour.
 *
 * @module
 */
import type { FlagSpec } from "./flags.ts";
import { type FlagValues, UsageError } from "./command.ts";
import type { ConfigOverrides } from "../kubeconfig/overrides.ts";
import type { Logger } from "../log.ts";

/** Global options after parsing. */
export interface GlobalOptions {
  overrides: ConfigOverrides;
  /** `-v` level, 0–9. */
  verbosity: number;
  logger: Logger;
  /** Colour allowed on stdout/stderr (`--no-color`, `NO_COLOR`, terminal). */
  color: boolean;
  /** WebSocket client for upgrades (hidden `--transport`); the raw RFC 6455 client when absent. */
  transport?: WebSocketTransport;
  /** `--strict-ca-trust`: a configured CA is the only one trusted (client-go's rule). */
  strictCaTrust?: boolean;
}

/** The WebSocket clients `--transport` selects between. */
export type WebSocketTransport = "raw" | "native";

const WEBSOCKET_TRANSPORTS: readonly WebSocketTransport[] = ["raw", "native"];

/** kubectl's global flags: the ones kubexec honours, then the ones it accepts and ignores. */
export const GLOBAL_FLAGS: FlagSpec[] = [
  {
    name: "as",
    type: "string",
    usage:
      "Username to impersonate for the operation. User could be a regular user or a service account in a namespace.",
  },
  {
    name: "as-group",
    type: "stringArray",
    usage:
      "Group to impersonate for the operation, this flag can be repeated to specify multiple groups.",
  },
  { name: "as-uid", type: "string", usage: "UID to impersonate for the operation." },
  {
    name: "certificate-authority",
    type: "string",
    usage: "Path to a cert file for the certificate authority",
  },
  {
    name: "client-certificate",
    type: "string",
    usage: "Path to a client certificate file for TLS",
  },
  { name: "client-key", type: "string", usage: "Path to a client key file for TLS" },
  { name: "cluster", type: "string", usage: "The name of the kubeconfig cluster to use" },
  { name: "context", type: "string", usage: "The name of the kubeconfig context to use" },
  {
    name: "insecure-skip-tls-verify",
    type: "bool",
    usage:
      "If true, the server's certificate will not be checked for validity. This will make your HTTPS connections insecure",
  },
  {
    name: "kubeconfig",
    type: "string",
    usage: "Path to the kubeconfig file to use for CLI requests.",
  },
  {
    name: "namespace",
    short: "n",
    type: "string",
    usage: "If present, the namespace scope for this CLI request",
  },
  {
    name: "password",
    type: "string",
    usage: "Password for basic authentication to the API server",
  },
  {
    name: "request-timeout",
    type: "string",
    default: "0",
    usage:
      "The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don't timeout requests.",
  },
  {
    name: "server",
    short: "s",
    type: "string",
    usage: "The address and port of the Kubernetes API server",
  },
  {
    name: "tls-server-name",
    type: "string",
    usage:
      "Server name to use for server certificate validation. If it is not provided, the hostname used to contact the server is used",
  },
  {
    name: "token",
    type: "string",
    usage: "Bearer token for authentication to the API server",
  },
  { name: "user", type: "string", usage: "The name of the kubeconfig user to use" },
  {
    name: "username",
    type: "string",
    usage: "Username for basic authentication to the API server",
  },
  { name: "v", short: "v", type: "int", usage: "number for the log level verbosity" },
  {
    name: "no-color",
    type: "bool",
    usage: "Never colour output (also when NO_COLOR is set)",
  },
  {
    name: "strict-ca-trust",
    type: "bool",
    usage:
      "When the kubeconfig names a certificate authority, trust only it, as kubectl does; by default it is trusted in addition to the default roots (a faster TLS engine). Slower bulk transfers",
  },
  // kubectl's global flags that have nothing to act on here: accepted, so that a kubectl command
  // line (an alias, a script) still runs, and otherwise ignored (docs/differences.md).
  {
    name: "cache-dir",
    type: "string",
    usage: "Accepted for kubectl compatibility; kubexec keeps no discovery cache",
  },
  {
    name: "disable-compression",
    type: "bool",
    usage: "Accepted for kubectl compatibility; kubexec never asks for compressed responses",
  },
  {
    name: "log-flush-frequency",
    type: "duration",
    default: 5000,
    usage: "Accepted for kubectl compatibility; kubexec's log lines are written at once",
  },
  {
    name: "match-server-version",
    type: "bool",
    usage: "Accepted for kubectl compatibility; kubexec does not compare versions",
  },
  {
    name: "profile",
    type: "string",
    default: "none",
    usage: "Accepted for kubectl compatibility; kubexec writes no Go profiles",
  },
  {
    name: "profile-output",
    type: "string",
    default: "profile.pprof",
    usage: "Accepted for kubectl compatibility; kubexec writes no Go profiles",
  },
  {
    name: "vmodule",
    type: "string",
    usage: "Accepted for kubectl compatibility; -v sets kubexec's verbosity for every part",
  },
  {
    name: "warnings-as-errors",
    type: "bool",
    usage: "Accepted for kubectl compatibility; exec, attach, port-forward and cp get no warnings",
  },
  {
    // Hidden: for tests that run one protocol suite over both clients, and for operators
    // diagnosing a client difference; the raw client is the one kubexec is tuned for.
    name: "transport",
    type: "string",
    default: "raw",
    hidden: true,
    usage:
      "WebSocket client for exec/attach/port-forward upgrades: raw (RFC 6455 over TLS) or native",
  },
];

/**
 * Reads and checks the hidden `--transport` flag.
 *
 * @example
 * ```ts ignore
 * import { transportFromFlags } from "./global_flags.ts";
 * transportFromFlags(flags); // "raw" unless --transport=native was given
 * ```
 */
export function transportFromFlags(flags: FlagValues): WebSocketTransport {
  const value = flags.string("transport");
  const known = WEBSOCKET_TRANSPORTS.find((transport) => transport === value);
  if (!known) {
    throw new UsageError(
      `invalid argument "${value}" for "--transport" flag: must be one of ${
        WEBSOCKET_TRANSPORTS.join(", ")
      }`,
    );
  }
  return known;
}

/**
 * Builds the kubeconfig overrides from parsed global flags; only flags given on the command line
 * override anything.
 *
 * @example
 * ```ts
 * import { overridesFromFlags } from "./global_flags.ts";
 * // overridesFromFlags(flags) → { namespace: "kube-system", context: "prod" }
 * ```
 */
export function overridesFromFlags(flags: FlagValues): ConfigOverrides {
  const overrides: ConfigOverrides = {};
  const text = (name: string) => (flags.changed(name) ? flags.string(name) : undefined);
  overrides.kubeconfig = text("kubeconfig");
  overrides.context = text("context");
  overrides.cluster = text("cluster");
  overrides.user = text("user");
  overrides.namespace = text("namespace");
  overrides.server = text("server");
  overrides.token = text("token");
  overrides.as = text("as");
  overrides.asUid = text("as-uid");
  if (flags.changed("as-group")) overrides.asGroups = flags.strings("as-group");
  overrides.certificateAuthority = text("certificate-authority");
  overrides.clientCertificate = text("client-certificate");
  overrides.clientKey = text("client-key");
  if (flags.changed("insecure-skip-tls-verify")) {
    overrides.insecureSkipTlsVerify = flags.bool("insecure-skip-tls-verify");
  }
  overrides.tlsServerName = text("tls-server-name");
  overrides.username = text("username");
  overrides.password = text("password");
  overrides.requestTimeout = text("request-timeout");
  for (const key of Object.keys(overrides) as (keyof ConfigOverrides)[]) {
    if (overrides[key] === undefined) delete overrides[key];
  }
  return overrides;
}
