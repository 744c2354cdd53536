/**
 * `kubexec doctor` as a library: walks a connection step by step — kubeconfig → credentials →
 * DNS → TCP → proxy → TLS → authentication → authorization → protocol — and yields one
 * {@linkcode StepResult} per check as soon as it is known, each failure with its likely cause and
 * fix. Steps that cannot run because an earlier one failed are yielded as `skip`. No terminal
 * access: the CLI renders the results.
 *
 * @example
 * ```ts ignore
 * import { runDoctor } from "./mod.ts";
 * for await (const result of runDoctor({ overrides: {}, env: (name) => Deno.env.get(name) })) {
 *   console.log(result.status, result.step, result.summary);
 * }
 * ```
 *
 * @module
 */
import { createCredentialProvider } from "../auth/mod.ts";
import {
  CredentialError,
  ExecPluginError,
  ExecPluginExitError,
  ExecPluginNotFoundError,
  TokenFileError,
} from "../auth/errors.ts";
import type { ClientCertificate, CredentialProvider } from "../auth/types.ts";
import { type ConfigOverrides, resolveRestConfig } from "../kubeconfig/mod.ts";
import type { RestConfig } from "../kubeconfig/types.ts";
import { parseTarget, resolvePod, type TargetRef } from "../kube/target.ts";
import type { ApiClient } from "../transport/types.ts";
import type { Pod } from "../kube/pods.ts";
import { type Logger, redactUrlPassword, silentLogger } from "../log.ts";
import { createApiClient, parseServerUrl } from "../transport/api_client.ts";
import { CgiProxyError } from "../transport/errors.ts";
import { type EnvReader, resolveProxy } from "../transport/proxy.ts";
import { userAgent } from "../version.ts";
import { formatGoDuration } from "../duration.ts";
import {
  checkAuthentication,
  checkAuthorization,
  checkProtocol,
  type CredentialKind,
} from "./api_checks.ts";
import { checkDns, checkProxy, checkTcp, firstHop, type HostLookup } from "./network.ts";
import { checkTls } from "./tls_check.ts";
import { type StepName, type StepResult, stepResult } from "./types.ts";

export type { StepName, StepResult, StepStatus } from "./types.ts";

/** Limit for each network step when `--request-timeout` is not set. */
export const DEFAULT_STEP_TIMEOUT_MS = 10_000;

/** What {@linkcode runDoctor} needs. */
export interface DoctorOptions {
  /** The kubeconfig override flags (`--context`, `--kubeconfig`, …). */
  overrides: ConfigOverrides;
  /** Environment (`KUBECONFIG`, `HTTPS_PROXY`, `NO_PROXY`, …). */
  env: EnvReader;
  /** A pod or TYPE/NAME to try the exec upgrade against; the protocol step is skipped without. */
  target?: string;
  /** The container for the exec upgrade (default: kubectl's choice). */
  container?: string;
  /** Limit per network step when the kubeconfig sets no request timeout. */
  timeoutMs?: number;
  /** `-v` logging of the requests made. */
  logger?: Logger;
  /** The current time (certificate validity). */
  now?: () => Date;
  /** Host name resolution (tests inject one); the system resolver by default. */
  lookup?: HostLookup;
  /** WebSocket client for the protocol step. */
  transport?: "raw" | "native";
  /** A configured CA is the only one trusted (`--strict-ca-trust`), as commands would. */
  strictCaTrust?: boolean;
  /** Whether an interactive exec plugin may prompt on our terminal. */
  stdinIsTerminal?: boolean;
  /** What an interactive exec plugin reads. */
  pluginStdin?: ReadableStream<Uint8Array> | "inherit";
  /** Where exec plugins' stderr goes (discarded when absent). */
  pluginStderr?: WritableStream<Uint8Array> | "inherit";
  /**
   * Told once when an exec plugin has not answered within `waitNoticeMs` (default 10 s): doctor
   * keeps waiting (a login may take that long) but says what it waits for.
   */
  onWaiting?: (notice: string) => void;
  /** See `onWaiting`. */
  waitNoticeMs?: number;
}

const LATER_STEPS: StepName[] = [
  "credentials",
  "dns",
  "tcp",
  "proxy",
  "tls",
  "authentication",
  "authorization",
  "protocol",
];

function skipFrom(from: StepName, why: string): StepResult[] {
  return LATER_STEPS.slice(LATER_STEPS.indexOf(from)).map((step) =>
    stepResult(step, "skip", `skipped: ${why}`)
  );
}

function credentialKind(config: RestConfig): CredentialKind {
  const { auth, tls } = config;
  if (/^http:/i.test(config.server)) return "plain-http";
  if (tls.certPem && tls.keyPem) return "client-certificate";
  if (auth.exec) return "exec-plugin";
  if (auth.authProvider) return "auth-provider";
  if (auth.tokenFile) return "token-file";
  if (auth.token) return "token";
  if (auth.username) return "basic";
  return "none";
}

function describeCredentials(
  config: RestConfig,
  kind: CredentialKind,
  clientCert: ClientCertificate | undefined,
): string {
  const { auth } = config;
  switch (kind) {
    case "client-certificate":
      return `client certificate from the kubeconfig${
        auth.token || auth.tokenFile ? " (and a bearer token)" : ""
      }`;
    case "exec-plugin":
      return `exec plugin "${auth.exec!.command}" gave ${
        clientCert ? "a client certificate" : "a bearer token"
      }`;
    case "auth-provider":
      return `auth-provider ${auth.authProvider!.name} gave a bearer token`;
    case "token-file":
      return `bearer token from file ${auth.tokenFile}`;
    case "token":
      return "bearer token from the kubeconfig";
    case "basic":
      return `basic authentication as user "${auth.username}"`;
    case "plain-http":
      return "none sent: the server URL is plain http://";
    case "none":
      return "none: requests will be anonymous";
  }
}

function credentialFailure(error: unknown): StepResult {
  if (error instanceof ExecPluginNotFoundError) {
    return stepResult("credentials", "fail", `exec plugin "${error.command}" not found`, {
      cause:
        `the kubeconfig user gets its credentials by running "${error.command}", which is not installed or not on PATH`,
      fix: error.installHint ||
        "install the plugin, or correct users[].user.exec.command in the kubeconfig (an absolute path avoids PATH surprises)",
    });
  }
  if (error instanceof ExecPluginExitError) {
    return stepResult("credentials", "fail", error.detail, {
      cause: "the credential plugin failed — most often the login session behind it has expired",
      fix: `run "${error.command}" by hand to see its error, and log in again with it`,
    });
  }
  if (error instanceof ExecPluginError) {
    return stepResult("credentials", "fail", error.detail.split("\n")[0], {
      cause: "the credential plugin ran but its answer could not be used",
      fix: error.hint ?? `run "${error.command}" by hand and check its ExecCredential output`,
    });
  }
  if (error instanceof TokenFileError) {
    return stepResult("credentials", "fail", error.message, {
      cause: "the tokenFile of the kubeconfig user cannot be read or is empty",
      fix: "check its path and permissions, or refresh the token it should hold",
    });
  }
  const message = (error as Error).message.split("\n")[0];
  return stepResult("credentials", "fail", message, {
    cause: "the kubeconfig user's credentials cannot be obtained",
    fix: error instanceof CredentialError && error.hint
      ? error.hint
      : "check the users[] entry of the kubeconfig",
  });
}

function kubeconfigFailure(error: unknown): StepResult {
  const facts = error as Error & { userMessage?: unknown; hint?: unknown };
  const text = typeof facts.userMessage === "string" ? facts.userMessage : facts.message;
  const summary = text.replace(/^error: /, "").split("\n").join("; ");
  return stepResult("kubeconfig", "fail", summary, {
    cause: "the kubeconfig cannot be loaded or does not describe a usable cluster",
    fix: typeof facts.hint === "string" && facts.hint
      ? facts.hint
      : "check KUBECONFIG / --kubeconfig and the selected context; kubexec config view shows what was loaded",
  });
}

/**
 * Runs every check, yielding results in order.
 *
 * @example
 * ```ts ignore
 * import { runDoctor } from "./mod.ts";
 * const results = await Array.fromAsync(runDoctor({ overrides: {}, env: () => undefined, target: "web-0" }));
 * results.some((result) => result.status === "fail"); // false when everything works
 * ```
 */
export async function* runDoctor(options: DoctorOptions): AsyncGenerator<StepResult> {
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? silentLogger;
  const warnings: string[] = [];
  let config: RestConfig;
  try {
    config = await resolveRestConfig(options.overrides, {
      env: options.env,
      logger,
      warn: (message) => void warnings.push(message),
      // kubectl says this only at -v=4; doctor is where it explains a connection to localhost.
      verbose: (message) => void warnings.push(message),
    });
  } catch (error) {
    yield kubeconfigFailure(error);
    yield* skipFrom("credentials", "no usable kubeconfig");
    return;
  }
  let server: URL;
  try {
    server = parseServerUrl(config.server);
  } catch (error) {
    // parseServerUrl's message is already masked.
    yield stepResult("kubeconfig", "fail", `invalid server URL: ${(error as Error).message}`, {
      cause: `the cluster's server field (${
        redactUrlPassword(config.server)
      }) is not an http(s) URL`,
      fix: "set server: https://HOST:PORT on the cluster",
    });
    yield* skipFrom("credentials", "no usable server URL");
    return;
  }
  const timeoutMs = config.timeoutMs || options.timeoutMs || DEFAULT_STEP_TIMEOUT_MS;
  config = { ...config, timeoutMs };
  const described = `context "${config.contextName ?? "(none)"}": server ${
    redactUrlPassword(config.server)
  }${config.userName ? `, user "${config.userName}"` : ""}, namespace "${config.namespace}"`;
  yield warnings.length > 0
    ? stepResult("kubeconfig", "warn", described, {
      cause: warnings.join("; "),
      fix: "correct the kubeconfig entries named above",
    })
    : stepResult("kubeconfig", "ok", described);

  const kind = credentialKind(config);
  let provider: CredentialProvider | undefined;
  let clientCert: ClientCertificate | undefined;
  try {
    provider = await createCredentialProvider(config.auth, {
      stdinIsTerminal: options.stdinIsTerminal ?? false,
      stdinInUse: false,
      clientCertConfigured: Boolean(config.tls.certPem),
      ...(options.pluginStdin ? { pluginStdin: options.pluginStdin } : {}),
      ...(options.pluginStderr ? { pluginStderr: options.pluginStderr } : {}),
      logger,
    });
    const notice = kind === "exec-plugin" && options.onWaiting
      ? setTimeout(
        () =>
          options.onWaiting?.(
            `exec plugin "${config.auth.exec!.command}" has not answered in ${
              formatGoDuration(options.waitNoticeMs ?? 10_000)
            }; it may be waiting for a login in a browser or for input (Ctrl-C stops doctor)`,
          ),
        options.waitNoticeMs ?? 10_000,
      )
      : undefined;
    const credentials = await provider.get().finally(() => clearTimeout(notice));
    clientCert = credentials.clientCert ??
      (config.tls.certPem && config.tls.keyPem
        ? { certPem: config.tls.certPem, keyPem: config.tls.keyPem }
        : undefined);
    const summary = describeCredentials(config, kind, credentials.clientCert);
    if (kind === "none") {
      yield stepResult("credentials", "warn", summary, {
        cause: "the kubeconfig user holds no token, certificate, password or plugin",
        fix: "select the right context (--context) or add credentials to the user",
      });
    } else if (kind === "plain-http") {
      yield stepResult("credentials", "warn", summary, {
        cause:
          "kubexec, like kubectl, attaches credentials only to https:// servers, so they cannot leak in clear text",
        fix: "use the API server's https:// URL",
      });
    } else {
      yield stepResult("credentials", "ok", summary);
    }
  } catch (error) {
    provider = undefined;
    yield credentialFailure(error);
    if (config.tls.certPem && config.tls.keyPem) {
      clientCert = { certPem: config.tls.certPem, keyPem: config.tls.keyPem };
    }
  }

  // resolveRestConfig has validated proxy-url; environment proxies that do not parse are
  // ignored, as Go ignores them. HTTP_PROXY in a CGI environment is refused, as Go refuses it.
  let route: ReturnType<typeof resolveProxy>;
  try {
    route = resolveProxy(server, { proxyUrl: config.proxyUrl, env: options.env });
  } catch (error) {
    if (!(error instanceof CgiProxyError)) throw error;
    yield stepResult("dns", "fail", error.message, {
      cause: "REQUEST_METHOD is set, so this looks like a CGI program, where HTTP_PROXY may come " +
        "from a request's Proxy header",
      fix:
        "use https:// for the API server, set proxy-url in the kubeconfig, or unset REQUEST_METHOD",
    });
    yield* skipFrom("tcp", "no proxy decision");
    return;
  }
  const hop = firstHop(server, route);
  const dns = await checkDns(hop, { timeoutMs, lookup: options.lookup });
  yield dns;
  if (dns.status === "fail") {
    yield* skipFrom("tcp", "the name does not resolve");
    return;
  }
  const tcp = await checkTcp(hop, timeoutMs);
  yield tcp.result;
  if (!tcp.conn) {
    yield* skipFrom(
      "proxy",
      `${hop.role === "proxy" ? "the proxy" : "the API server"} is unreachable`,
    );
    return;
  }
  const proxy = await checkProxy(tcp.conn, {
    route,
    server,
    tls: config.tls,
    userAgent: userAgent(),
    timeoutMs,
  });
  yield proxy.result;
  if (!proxy.conn) {
    yield* skipFrom("tls", "the proxy gave no tunnel");
    return;
  }
  const tlsResults = await checkTls({
    conn: proxy.conn,
    server,
    tls: config.tls,
    clientCert,
    route,
    timeoutMs,
    now: now(),
    strictCaTrust: options.strictCaTrust,
  });
  yield* tlsResults;
  // The server certificate's line comes first; a failing client certificate still lets the
  // server say what it thinks of it (401), so only the first line stops the run.
  if (tlsResults[0].status === "fail") {
    yield* skipFrom("authentication", "TLS failed");
    return;
  }
  if (!provider) {
    yield* skipFrom("authentication", "no credentials");
    return;
  }

  const client = createApiClient(config, provider, {
    logger,
    env: options.env,
    transport: options.transport,
    strictCaTrust: options.strictCaTrust,
  });
  const impersonating = config.impersonate?.user;
  const authentication = await checkAuthentication(client, kind, impersonating);
  yield authentication.result;
  if (authentication.result.status === "fail") {
    yield* skipFrom("authorization", "not authenticated");
    return;
  }
  const found = await targetPod(client, config.namespace, options.target, timeoutMs);
  yield* await checkAuthorization(
    client,
    config.namespace,
    found.name,
    authentication.identity?.username,
  );
  if (!options.target) {
    yield stepResult(
      "protocol",
      "skip",
      "skipped: name a pod (kubexec doctor POD) to try the exec upgrade and its subprotocols",
    );
    return;
  }
  yield await checkProtocol(client, {
    namespace: config.namespace,
    target: options.target,
    pod: found.pod,
    container: options.container ?? "",
    timeoutMs,
  });
}

/**
 * The pod a target names, resolved once for both API steps: the access review asks about it (RBAC
 * may allow exec in that pod only, through resourceNames) and the protocol step tries it. When it
 * cannot be read, a pod's name still serves the review (exec may be allowed where get is not),
 * and the protocol step resolves it again to say why.
 */
async function targetPod(
  client: ApiClient,
  namespace: string,
  target: string | undefined,
  timeoutMs: number,
): Promise<{ name?: string; pod?: Pod }> {
  if (!target) return {};
  let ref: TargetRef;
  try {
    ref = parseTarget(target);
  } catch {
    return {};
  }
  try {
    const pod = await resolvePod(client, namespace, target, { timeoutMs });
    return { name: pod.metadata.name, pod };
  } catch {
    return ref.resource === "pods" ? { name: ref.name } : {};
  }
}
