/**
 * Resolves the loaded kubeconfig and kubectl's override flags into the one {@linkcode RestConfig}
 * the rest of kubexec consumes, following client-go's `DirectClientConfig` and
 * `DeferredLoadingClientConfig`: context selection, overrides, `ConfirmUsable` validation with
 * kubectl's wording, files read into PEM, token/tokenFile precedence, exec and auth-provider
 * passed through, impersonation, proxy-url, namespace order and the in-cluster fallback.
 *
 * Like client-go, credentials and TLS settings are attached only when the server URL is `https`:
 * a plain `http://` (or scheme-less) server gets neither, so a token can never leak in clear text.
 *
 * @module
 */
import type {
  AuthConfig,
  AuthInfo,
  Cluster,
  Context,
  ExecClusterInfo,
  Impersonation,
  RestConfig,
  TlsConfig,
} from "./types.ts";
import { type Logger, redactUrlPassword } from "../log.ts";
import { type LoadedConfig, resolveEntryPath } from "./config.ts";
import { ConfigurationInvalidError, FileReadError, KubeconfigError } from "./errors.ts";
import { goReason } from "../fs_errors.ts";
import { defaultEnv, type EnvLookup, loadingPrecedence, loadKubeconfig } from "./load.ts";
import { type ConfigOverrides, parseRequestTimeout } from "./overrides.ts";
import {
  inClusterConfig,
  inClusterNamespace,
  type InClusterOptions,
  inClusterPossible,
} from "./incluster.ts";
import { hasPathSeparator } from "./paths.ts";
import { decodeBase64, encodeBase64 } from "./base64.ts";

/**
 * Extension name whose value an exec plugin receives as `spec.cluster.config`.
 *
 * @example
 * ```ts
 * import { EXEC_CLUSTER_EXTENSION } from "./resolve.ts";
 * EXEC_CLUSTER_EXTENSION; // "client.authentication.k8s.io/exec"
 * ```
 */
export const EXEC_CLUSTER_EXTENSION = "client.authentication.k8s.io/exec";

/** Options of {@linkcode resolveRestConfig}. */
export interface ResolveOptions {
  /** Environment lookup; defaults to `Deno.env.get`. */
  env?: EnvLookup;
  /** Service-account paths for the in-cluster fallback (tests point them at temp files). */
  inCluster?: Omit<InClusterOptions, "env">;
  /** Receives non-fatal warnings (an unreadable in-cluster CA, which client-go logs as an error). */
  warn?: (message: string) => void;
  /**
   * Receives what client-go logs only at `-v=4` (every `KUBECONFIG` file missing); the logger's
   * level 4 when absent. doctor reports it as a warning.
   */
  verbose?: (message: string) => void;
  /** `-v` logging. */
  logger?: Logger;
}

function invalid(problems: string[]): ConfigurationInvalidError {
  return new ConfigurationInvalidError(problems);
}

async function readFileProblem(path: string): Promise<string | undefined> {
  try {
    const file = await Deno.open(path, { read: true });
    file.close();
    return undefined;
  } catch (error) {
    return `open ${path}: ${goReason(error)}`;
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    // Go's os.ReadFile opens a directory and fails on the read.
    const operation = error instanceof Deno.errors.IsADirectory ? "read" : "open";
    throw FileReadError.from(operation, path, error);
  }
}

function pemFromData(data: string): string {
  return new TextDecoder().decode(decodeBase64(data));
}

const PROXY_SCHEMES = new Set(["http:", "https:", "socks5:"]);

/**
 * Checks a `proxy-url` as client-go does: it must parse and use http, https or socks5.
 *
 * @example
 * ```ts
 * import { proxyUrlProblem } from "./resolve.ts";
 * proxyUrlProblem("ftp://x"); // 'unsupported scheme "ftp", must be http, https, or socks5'
 * ```
 */
export function proxyUrlProblem(proxyUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(proxyUrl);
  } catch {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(proxyUrl)?.[1] ?? "";
    if (scheme === "" || !PROXY_SCHEMES.has(`${scheme.toLowerCase()}:`)) {
      return `unsupported scheme "${scheme}", must be http, https, or socks5`;
    }
    return `could not parse: ${redactUrlPassword(proxyUrl)}`;
  }
  if (!PROXY_SCHEMES.has(url.protocol)) {
    return `unsupported scheme "${url.protocol.slice(0, -1)}", must be http, https, or socks5`;
  }
  return undefined;
}

/**
 * Replaces characters that are not letters, marks, numbers, punctuation, symbols, separators or
 * whitespace controls with `U+XXXX`, so an `installHint` cannot drive the terminal (client-go's
 * `cleanANSIEscapeCodes`).
 *
 * @example
 * ```ts
 * import { cleanAnsiEscapeCodes } from "./resolve.ts";
 * cleanAnsiEscapeCodes("\u001b[31mred"); // "U+001B[31mred"
 * ```
 */
export function cleanAnsiEscapeCodes(text: string): string {
  let cleaned = "";
  for (const char of text) {
    if (/[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Z}\t\n\v\f\r]/u.test(char)) cleaned += char;
    else {
      cleaned += `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
    }
  }
  return cleaned;
}

/** The selection a context and the override flags make, before anything is read. */
interface Selection {
  contextName: string;
  context: Context;
  contextError?: string;
  userName: string;
  user: AuthInfo;
  userOrigin: string;
  userError?: string;
  clusterName: string;
  cluster: Cluster;
  clusterOrigin: string;
  clusterError?: string;
}

function absoluteUserPaths(user: AuthInfo, origin: string): AuthInfo {
  const resolved: AuthInfo = { ...user };
  for (const key of ["client-certificate", "client-key", "tokenFile"] as const) {
    if (resolved[key]) resolved[key] = resolveEntryPath(resolved[key]!, origin);
  }
  if (resolved.exec && hasPathSeparator(resolved.exec.command)) {
    resolved.exec = { ...resolved.exec, command: resolveEntryPath(resolved.exec.command, origin) };
  }
  return resolved;
}

/** A stored cluster entry over the default server, its CA path made absolute against `origin`. */
function clusterEntry(cluster: Cluster, origin: string, server: string | undefined): Cluster {
  const resolved: Cluster = { server, ...cluster };
  const authority = resolved["certificate-authority"];
  if (authority) resolved["certificate-authority"] = resolveEntryPath(authority, origin);
  return resolved;
}

function select(
  config: LoadedConfig,
  overrides: ConfigOverrides,
  defaultServer: string,
): Selection {
  const contextName = overrides.context || config.currentContext;
  const storedContext = config.contexts.get(contextName);
  const context: Context = { ...storedContext?.value };
  delete context.extensions;
  if (overrides.cluster) context.cluster = overrides.cluster;
  if (overrides.user) context.user = overrides.user;
  if (overrides.namespace) context.namespace = overrides.namespace;
  const contextError = !storedContext && overrides.context
    ? `context "${contextName}" does not exist`
    : undefined;

  const userName = context.user ?? "";
  const storedUser = config.users.get(userName);
  const user = storedUser ? absoluteUserPaths(storedUser.value, storedUser.origin) : {};
  const userError = !storedUser && overrides.user
    ? `auth info "${userName}" does not exist`
    : undefined;
  if (overrides.token) user.token = overrides.token;
  if (overrides.as) user.as = overrides.as;
  if (overrides.asUid) user["as-uid"] = overrides.asUid;
  if (overrides.asGroups && overrides.asGroups.length > 0) user["as-groups"] = overrides.asGroups;
  if (overrides.username) user.username = overrides.username;
  if (overrides.password) user.password = overrides.password;
  if (overrides.clientCertificate) {
    user["client-certificate"] = overrides.clientCertificate;
    delete user["client-certificate-data"];
  }
  if (overrides.clientKey) {
    user["client-key"] = overrides.clientKey;
    delete user["client-key-data"];
  }

  const clusterName = context.cluster ?? "";
  const storedCluster = config.clusters.get(clusterName);
  const cluster: Cluster = storedCluster
    ? clusterEntry(storedCluster.value, storedCluster.origin, defaultServer)
    : { server: defaultServer };
  const clusterError = !storedCluster && overrides.cluster
    ? `cluster "${clusterName}" does not exist`
    : undefined;
  if (overrides.server) cluster.server = overrides.server;
  if (overrides.insecureSkipTlsVerify || overrides.certificateAuthority) {
    // A CA flag or the insecure flag replaces all three settings together (client-go getCluster).
    cluster["insecure-skip-tls-verify"] = overrides.insecureSkipTlsVerify || undefined;
    cluster["certificate-authority"] = overrides.certificateAuthority || undefined;
    delete cluster["certificate-authority-data"];
  }
  if (overrides.tlsServerName || overrides.server) {
    cluster["tls-server-name"] = overrides.tlsServerName || undefined;
  }

  return {
    contextName,
    context,
    contextError,
    userName,
    user,
    userOrigin: storedUser?.origin ?? "",
    userError,
    clusterName,
    cluster,
    clusterOrigin: storedCluster?.origin ?? "",
    clusterError,
  };
}

async function validateUser(name: string, user: AuthInfo): Promise<string[]> {
  const problems: string[] = [];
  const methods: string[] = [];
  if (user.token) methods.push("token");
  if (user.username || user.password) methods.push("basicAuth");
  if (user["client-certificate"] || user["client-certificate-data"]) {
    if (user["client-certificate"] && user["client-certificate-data"]) {
      problems.push(
        `client-cert-data and client-cert are both specified for ${name}. client-cert-data will override.`,
      );
    }
    if (user["client-key"] && user["client-key-data"]) {
      problems.push(
        `client-key-data and client-key are both specified for ${name}; client-key-data will override`,
      );
    }
    if (!user["client-key"] && !user["client-key-data"]) {
      problems.push(
        `client-key-data or client-key must be specified for ${name} to use the clientCert authentication method.`,
      );
    }
    if (user["client-certificate"]) {
      const problem = await readFileProblem(user["client-certificate"]);
      if (problem) {
        problems.push(
          `unable to read client-cert ${user["client-certificate"]} for ${name} due to ${problem}`,
        );
      }
    }
    if (user["client-key"]) {
      const problem = await readFileProblem(user["client-key"]);
      if (problem) {
        problems.push(
          `unable to read client-key ${user["client-key"]} for ${name} due to ${problem}`,
        );
      }
    }
  }
  if (user.exec) {
    if (user["auth-provider"]) {
      problems.push(
        `authProvider cannot be provided in combination with an exec plugin for ${name}`,
      );
    }
    if (!user.exec.command) {
      problems.push(
        `command must be specified for ${name} to use exec authentication plugin`,
      );
    }
    if (!user.exec.apiVersion) {
      problems.push(
        `apiVersion must be specified for ${name} to use exec authentication plugin`,
      );
    }
    for (const variable of user.exec.env ?? []) {
      if (!variable.name) {
        problems.push(
          `env variable name must be specified for ${name} to use exec authentication plugin`,
        );
      }
    }
    const mode: string | undefined = user.exec.interactiveMode;
    if (!mode) {
      problems.push(
        `interactiveMode must be specified for ${name} to use exec authentication plugin`,
      );
    } else if (mode !== "Never" && mode !== "IfAvailable" && mode !== "Always") {
      problems.push(`invalid interactiveMode for ${name}: "${mode}"`);
    }
  }
  if (methods.length > 1) {
    problems.push(
      `more than one authentication method found for ${name}; found [${
        methods.join(" ")
      }], only one is allowed`,
    );
  }
  if ((user["as-uid"] || user["as-groups"]?.length || user["as-user-extra"]) && !user.as) {
    problems.push(
      `requesting uid, groups or user-extra for ${name} without impersonating a user`,
    );
  }
  return problems;
}

async function validateCluster(name: string, cluster: Cluster): Promise<string[]> {
  const problems: string[] = [];
  if (!cluster.server) {
    problems.push(
      name ? `no server found for cluster "${name}"` : "default cluster has no server defined",
    );
  }
  if (cluster["proxy-url"]) {
    const problem = proxyUrlProblem(cluster["proxy-url"]);
    if (problem) {
      problems.push(
        `invalid 'proxy-url' "${
          redactUrlPassword(cluster["proxy-url"])
        }" for cluster "${name}": ${problem}`,
      );
    }
  }
  if (cluster["certificate-authority"] && cluster["certificate-authority-data"]) {
    problems.push(
      `certificate-authority-data and certificate-authority are both specified for ${name}. certificate-authority-data will override.`,
    );
  }
  if (cluster["certificate-authority"]) {
    const problem = await readFileProblem(cluster["certificate-authority"]);
    if (problem) {
      problems.push(
        `unable to read certificate-authority ${
          cluster["certificate-authority"]
        } for ${name} due to ${problem}`,
      );
    }
  }
  return problems;
}

function withOrigin(problems: string[], origin: string): string[] {
  return origin ? problems.map((problem) => `${problem} (in ${origin})`) : problems;
}

/** client-go's `DirectClientConfig.ConfirmUsable` for the selected context, user and cluster. */
async function confirmUsable(config: LoadedConfig, selection: Selection): Promise<void> {
  const problems: string[] = [];
  if (selection.contextName && !config.contexts.has(selection.contextName)) {
    problems.push(`context was not found for specified context: ${selection.contextName}`);
  }
  const user = selection.userError ? {} : selection.user;
  const userProblems = await validateUser(selection.userName, user);
  problems.push(
    ...await locateProblems(userProblems, selection.userOrigin, async () => {
      const stored = config.users.get(selection.userName);
      if (!stored) return [];
      return await validateUser(selection.userName, absoluteUserPaths(stored.value, stored.origin));
    }),
  );
  const cluster = selection.clusterError ? {} : selection.cluster;
  const clusterProblems = await validateCluster(selection.clusterName, cluster);
  problems.push(
    ...await locateProblems(clusterProblems, selection.clusterOrigin, async () => {
      const stored = config.clusters.get(selection.clusterName);
      if (!stored) return [];
      const entry = clusterEntry(stored.value, stored.origin, cluster.server);
      return await validateCluster(selection.clusterName, entry);
    }),
  );
  if (problems.length > 0) throw invalid(problems);
}

/**
 * Adds the file to the problems the file's own entry has; a problem that only the override flags
 * brought (`--as-group` without `--as`) is the command line's, and names no file.
 */
async function locateProblems(
  problems: string[],
  origin: string,
  fileProblems: () => Promise<string[]>,
): Promise<string[]> {
  if (problems.length === 0 || !origin) return problems;
  const inFile = new Set(await fileProblems());
  return problems.map((problem) =>
    inFile.has(problem) ? withOrigin([problem], origin)[0] : problem
  );
}

function schemeOf(server: string): string | undefined {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/[^/]/.exec(server);
  return match ? match[1].toLowerCase() : undefined;
}

/** Adds `http://` to a scheme-less server, as client-go does when no TLS is configured yet. */
function serverUrl(server: string): string {
  return schemeOf(server) === undefined ? `http://${server}` : server;
}

async function tlsFor(
  cluster: Cluster,
  user: AuthInfo,
  clusterOrigin: string,
): Promise<TlsConfig> {
  const tls: TlsConfig = {};
  if (cluster["certificate-authority-data"]) {
    tls.caPem = pemFromData(cluster["certificate-authority-data"]);
  } else if (cluster["certificate-authority"]) {
    tls.caPem = await readText(cluster["certificate-authority"]);
  }
  if (cluster["insecure-skip-tls-verify"]) tls.insecure = true;
  if (cluster["tls-server-name"]) tls.serverName = cluster["tls-server-name"];
  if (user["client-certificate"] || user["client-certificate-data"]) {
    tls.certPem = user["client-certificate-data"]
      ? pemFromData(user["client-certificate-data"])
      : await readText(user["client-certificate"]!);
    if (user["client-key-data"]) tls.keyPem = pemFromData(user["client-key-data"]);
    else if (user["client-key"]) tls.keyPem = await readText(user["client-key"]);
  }
  if (tls.caPem !== undefined && tls.insecure) {
    throw invalid(
      withOrigin(
        ["specifying a root certificates file with the insecure flag is not allowed"],
        clusterOrigin,
      ),
    );
  }
  return tls;
}

async function execClusterInfo(server: string, cluster: Cluster): Promise<ExecClusterInfo> {
  const info: ExecClusterInfo = { server };
  if (cluster["tls-server-name"]) info["tls-server-name"] = cluster["tls-server-name"];
  if (cluster["insecure-skip-tls-verify"]) info["insecure-skip-tls-verify"] = true;
  // The plugin gets the CA bytes as they are, so they are not round-tripped through text.
  if (cluster["certificate-authority-data"]) {
    info["certificate-authority-data"] = cluster["certificate-authority-data"];
  } else if (cluster["certificate-authority"]) {
    const path = cluster["certificate-authority"];
    try {
      info["certificate-authority-data"] = encodeBase64(await Deno.readFile(path));
    } catch (error) {
      throw FileReadError.from("open", path, error);
    }
  }
  if (cluster["proxy-url"]) info["proxy-url"] = cluster["proxy-url"];
  if (cluster["disable-compression"]) info["disable-compression"] = true;
  const extension = cluster.extensions?.find((entry) => entry.name === EXEC_CLUSTER_EXTENSION);
  if (extension) info.config = extension.extension;
  return info;
}

async function authFor(
  selection: Selection,
  server: string,
  persistTarget: string,
): Promise<AuthConfig> {
  const { user, cluster } = selection;
  const auth: AuthConfig = {};
  if (user.token) {
    auth.token = user.token;
    if (user.tokenFile) auth.tokenFile = user.tokenFile;
  } else if (user.tokenFile) {
    auth.token = (await readText(user.tokenFile)).trim();
    auth.tokenFile = user.tokenFile;
  }
  if (user.username || user.password) {
    if (user.username) auth.username = user.username;
    if (user.password) auth.password = user.password;
  }
  const provider = user["auth-provider"];
  if (provider) {
    const userName = selection.userName;
    auth.authProvider = {
      name: provider.name,
      config: { ...provider.config },
      // Loaded when a refreshed token is written back, not with every kubeconfig (it brings the
      // YAML writer along).
      persist: async (config) => {
        const { persistAuthProviderConfig } = await import("./persist.ts");
        await persistAuthProviderConfig(persistTarget, userName, config);
      },
    };
  }
  if (user.exec) {
    const exec: AuthConfig["exec"] = { ...user.exec };
    if (exec.installHint) exec.installHint = cleanAnsiEscapeCodes(exec.installHint);
    if (exec.provideClusterInfo) exec.cluster = await execClusterInfo(server, cluster);
    auth.exec = exec;
  }
  return auth;
}

function impersonationFor(user: AuthInfo): Impersonation | undefined {
  if (!user.as) return undefined;
  const impersonation: Impersonation = { user: user.as };
  if (user["as-uid"]) impersonation.uid = user["as-uid"];
  if (user["as-groups"]?.length) impersonation.groups = [...user["as-groups"]];
  if (user["as-user-extra"]) impersonation.extra = structuredClone(user["as-user-extra"]);
  return impersonation;
}

async function applyInCluster(
  overrides: ConfigOverrides,
  options: ResolveOptions,
  env: EnvLookup,
): Promise<RestConfig> {
  const config = await inClusterConfig({ ...options.inCluster, env, warn: options.warn });
  if (overrides.server) config.server = overrides.server;
  if (overrides.token) config.auth = { token: overrides.token };
  if (overrides.certificateAuthority) {
    config.tls = { ...config.tls, caPem: await readText(overrides.certificateAuthority) };
  }
  if (overrides.namespace) {
    config.namespace = overrides.namespace;
    config.namespaceExplicit = true;
  }
  if (overrides.requestTimeout) config.timeoutMs = parseRequestTimeout(overrides.requestTimeout);
  return config;
}

/**
 * Whether the selection resolves to the connection an empty kubeconfig gives (the default server,
 * no proxy, timeout or impersonation, and, when that server is https, no credentials or TLS
 * settings): client-go's `IsDefaultConfig`, the one case where kubectl tries the in-cluster
 * configuration. A kubeconfig whose current context is unset, or names no cluster, is such a
 * case; `--as` or a non-zero `--request-timeout` makes it a different connection.
 */
function resolvesToDefault(
  selection: Selection,
  overrides: ConfigOverrides,
  defaultServer: string,
): boolean {
  const { cluster, user } = selection;
  if ((cluster.server || defaultServer) !== defaultServer) return false;
  if (cluster["proxy-url"] || cluster["disable-compression"] || user.as) return false;
  if (overrides.requestTimeout && parseRequestTimeout(overrides.requestTimeout) !== 0) {
    return false;
  }
  // Over plain http, client-go leaves credentials and TLS settings out of the connection.
  if (schemeOf(serverUrl(defaultServer)) !== "https") return true;
  const credentials = [
    "token",
    "tokenFile",
    "username",
    "password",
    "client-certificate",
    "client-certificate-data",
    "client-key",
    "client-key-data",
    "auth-provider",
    "exec",
  ] as const;
  const tlsSettings = [
    "certificate-authority",
    "certificate-authority-data",
    "insecure-skip-tls-verify",
    "tls-server-name",
  ] as const;
  return credentials.every((key) => !user[key]) && tlsSettings.every((key) => !cluster[key]);
}

/**
 * Resolves an already loaded config. {@linkcode resolveRestConfig} loads and then calls this;
 * embedders holding a {@linkcode LoadedConfig} call it directly.
 *
 * @example
 * ```ts
 * import { emptyConfig } from "./config.ts";
 * import { resolveLoadedConfig } from "./resolve.ts";
 * const config = emptyConfig();
 * config.clusters.set("c", { value: { server: "https://h:6443" }, origin: "" });
 * config.users.set("u", { value: { token: "t" }, origin: "" });
 * config.contexts.set("x", { value: { cluster: "c", user: "u" }, origin: "" });
 * config.currentContext = "x";
 * (await resolveLoadedConfig(config, {}, { env: () => undefined })).auth.token; // "t"
 * ```
 */
export async function resolveLoadedConfig(
  config: LoadedConfig,
  overrides: ConfigOverrides,
  options: ResolveOptions = {},
): Promise<RestConfig> {
  const env = options.env ?? defaultEnv;
  const master = env("KUBERNETES_MASTER");
  const defaultServer = master || "http://localhost:8080";
  const selection = select(config, overrides, defaultServer);
  const inCluster = { ...options.inCluster, env };

  // kubectl asks for the namespace first, which runs ConfirmUsable before anything else.
  if (!overrides.namespace) await confirmUsable(config, selection);
  const selectionError = selection.userError ?? selection.contextError ??
    selection.clusterError;
  if (selectionError) throw new KubeconfigError(selectionError);
  await confirmUsable(config, selection);

  if (
    resolvesToDefault(selection, overrides, defaultServer) && await inClusterPossible(inCluster)
  ) {
    options.logger?.(4, () => "Using in-cluster configuration");
    return await applyInCluster(overrides, options, env);
  }

  const { user, cluster } = selection;
  const server = serverUrl(cluster.server ?? defaultServer);
  const restConfig: RestConfig = {
    server,
    tls: {},
    auth: {},
    namespace: "default",
    namespaceExplicit: false,
  };
  if (cluster["proxy-url"]) restConfig.proxyUrl = cluster["proxy-url"];
  if (overrides.requestTimeout) {
    restConfig.timeoutMs = parseRequestTimeout(overrides.requestTimeout);
  }
  const impersonate = impersonationFor(user);
  if (impersonate) restConfig.impersonate = impersonate;
  if (schemeOf(server) === "https") {
    restConfig.tls = await tlsFor(cluster, user, selection.clusterOrigin);
    const persistTarget = selection.userOrigin ||
      (await loadingPrecedence({ kubeconfig: overrides.kubeconfig, env })).paths[0] || "";
    restConfig.auth = await authFor(selection, server, persistTarget);
  } else {
    options.logger?.(
      2,
      () => `server ${server} is not https: no credentials or TLS settings will be used`,
    );
  }

  if (selection.context.namespace) {
    restConfig.namespace = selection.context.namespace;
    restConfig.namespaceExplicit = true;
  } else if (await inClusterPossible(inCluster)) {
    restConfig.namespace = await inClusterNamespace(inCluster);
  }
  if (selection.contextName && config.contexts.has(selection.contextName)) {
    restConfig.contextName = selection.contextName;
  }
  if (selection.clusterName) restConfig.clusterName = selection.clusterName;
  if (selection.userName) restConfig.userName = selection.userName;
  return restConfig;
}

/**
 * Loads the kubeconfig by kubectl's rules and resolves it with the override flags: the single
 * entry point the CLI and library users call.
 *
 * @throws {KubeconfigError} (or a subclass) with kubectl's wording for every configuration problem
 *
 * @example
 * ```ts
 * import { resolveRestConfig } from "./resolve.ts";
 * const config = await resolveRestConfig({ server: "https://127.0.0.1:6443", token: "t" }, {
 *   env: () => undefined,
 * });
 * config.server; // "https://127.0.0.1:6443"
 * ```
 */
export async function resolveRestConfig(
  overrides: ConfigOverrides,
  options: ResolveOptions = {},
): Promise<RestConfig> {
  const env = options.env ?? defaultEnv;
  const config = await loadKubeconfig({
    kubeconfig: overrides.kubeconfig,
    env,
    verbose: options.verbose ?? ((message) => options.logger?.(4, () => message)),
  });
  return await resolveLoadedConfig(config, overrides, { ...options, env });
}
