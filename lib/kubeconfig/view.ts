/**
 * What `config view`, `config current-context` and `config get-contexts` print, as pure functions
 * of a {@linkcode LoadedConfig}: the v1 object kubectl prints (its field order, `null` for empty
 * lists, entries sorted by name), kubectl's redaction (`DATA+OMITTED`, `REDACTED`) unless raw,
 * `--minify` and `--flatten`, and the get-contexts table laid out like Go's tabwriter.
 *
 * @module
 */
import type { AuthInfo, Cluster, Context } from "./types.ts";
import { type LoadedConfig, resolveEntryPath } from "./config.ts";
import { FileReadError, KubeconfigError } from "./errors.ts";
import { encodeBase64 } from "./base64.ts";
import { stringify } from "../yaml/stringify.ts";
import { redactUrlPassword } from "../log.ts";

/** Options of {@linkcode viewConfig}, named after kubectl's flags. */
export interface ViewOptions {
  /** Keep only the current context (or `context`) and its cluster and user. */
  minify?: boolean;
  /** Inline referenced certificate files as `-data` fields; implies `raw`. */
  flatten?: boolean;
  /** Show secrets and certificate data instead of `REDACTED` / `DATA+OMITTED`. */
  raw?: boolean;
  /** `--context`: the context `--minify` keeps. */
  context?: string;
}

/** A JSON value, as the printed config is made of. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** The object kubectl prints for `config view`, keys in kubectl's order. */
export type ConfigView = { [key: string]: JsonValue };

const DATA_OMITTED = "DATA+OMITTED";
const REDACTED = "REDACTED";

function sortedKeys(value: unknown): JsonValue {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value !== null && typeof value === "object") {
    const result: { [key: string]: JsonValue } = {};
    for (const key of Object.keys(value).sort()) {
      result[key] = sortedKeys((value as Record<string, unknown>)[key]);
    }
    return result;
  }
  if (value === undefined) return null;
  if (typeof value === "bigint") return Number(value);
  return value as JsonValue;
}

function extensionList(entries: Iterable<[string, unknown]>): JsonValue[] | undefined {
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (sorted.length === 0) return undefined;
  return sorted.map(([name, extension]) => ({ name, extension: sortedKeys(extension) }));
}

function namedExtensions(list: { name: string; extension: unknown }[] | undefined) {
  return extensionList((list ?? []).map((entry) => [entry.name, entry.extension]));
}

/** Adds `key: value` unless the value is unset (Go's `omitempty`). */
function add(target: { [key: string]: JsonValue }, key: string, value: JsonValue | undefined) {
  if (value === undefined || value === "" || value === false) return;
  if (Array.isArray(value) && value.length === 0) return;
  if (
    value !== null && typeof value === "object" && !Array.isArray(value) &&
    Object.keys(value).length === 0
  ) return;
  target[key] = value;
}

function clusterView(cluster: Cluster): JsonValue {
  const view: { [key: string]: JsonValue } = { server: cluster.server ?? "" };
  add(view, "tls-server-name", cluster["tls-server-name"]);
  add(view, "insecure-skip-tls-verify", cluster["insecure-skip-tls-verify"]);
  add(view, "certificate-authority", cluster["certificate-authority"]);
  add(view, "certificate-authority-data", cluster["certificate-authority-data"]);
  add(view, "proxy-url", cluster["proxy-url"]);
  add(view, "disable-compression", cluster["disable-compression"]);
  add(view, "extensions", namedExtensions(cluster.extensions));
  return view;
}

function userView(user: AuthInfo): JsonValue {
  const view: { [key: string]: JsonValue } = {};
  add(view, "client-certificate", user["client-certificate"]);
  add(view, "client-certificate-data", user["client-certificate-data"]);
  add(view, "client-key", user["client-key"]);
  add(view, "client-key-data", user["client-key-data"]);
  add(view, "token", user.token);
  add(view, "tokenFile", user.tokenFile);
  add(view, "as", user.as);
  add(view, "as-uid", user["as-uid"]);
  add(view, "as-groups", user["as-groups"]);
  add(view, "as-user-extra", user["as-user-extra"] && sortedKeys(user["as-user-extra"]));
  add(view, "username", user.username);
  add(view, "password", user.password);
  const provider = user["auth-provider"];
  if (provider) {
    view["auth-provider"] = {
      name: provider.name,
      config: provider.config ? sortedKeys(provider.config) : null,
    };
  }
  const exec = user.exec;
  if (exec) {
    const execView: { [key: string]: JsonValue } = {
      command: exec.command,
      args: exec.args ?? null,
      env: exec.env ? exec.env.map(({ name, value }) => ({ name, value })) : null,
    };
    add(execView, "apiVersion", exec.apiVersion);
    add(execView, "installHint", exec.installHint);
    execView.provideClusterInfo = exec.provideClusterInfo ?? false;
    add(execView, "interactiveMode", exec.interactiveMode);
    view.exec = execView;
  }
  add(view, "extensions", namedExtensions(user.extensions));
  return view;
}

function contextView(context: Context): JsonValue {
  const view: { [key: string]: JsonValue } = {
    cluster: context.cluster ?? "",
    user: context.user ?? "",
  };
  add(view, "namespace", context.namespace);
  add(view, "extensions", namedExtensions(context.extensions));
  return view;
}

function byName<T>(entries: Map<string, T>): [string, T][] {
  return [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** kubectl's `MinifyConfig`: only the current context and what it references. */
function minify(config: LoadedConfig, contextOverride?: string): LoadedConfig {
  const current = contextOverride || config.currentContext;
  if (!current) throw new KubeconfigError("current-context must exist in order to minify");
  const context = config.contexts.get(current);
  if (!context) throw new KubeconfigError(`cannot locate context ${current}`);
  const minified: LoadedConfig = {
    ...config,
    currentContext: current,
    contexts: new Map([[current, context]]),
    clusters: new Map(),
    users: new Map(),
  };
  const clusterName = context.value.cluster;
  if (clusterName) {
    const cluster = config.clusters.get(clusterName);
    if (!cluster) throw new KubeconfigError(`cannot locate cluster ${clusterName}`);
    minified.clusters.set(clusterName, cluster);
  }
  const userName = context.value.user;
  if (userName) {
    const user = config.users.get(userName);
    if (!user) throw new KubeconfigError(`cannot locate user ${userName}`);
    minified.users.set(userName, user);
  }
  return minified;
}

async function inline(path: string, data: string | undefined, origin: string) {
  if (data) throw new KubeconfigError("cannot have values for both path and contents");
  const absolute = resolveEntryPath(path, origin);
  try {
    return encodeBase64(await Deno.readFile(absolute));
  } catch (error) {
    throw FileReadError.from("open", absolute, error);
  }
}

/** kubectl's `FlattenConfig`: certificate files become `-data` fields. */
async function flatten(config: LoadedConfig): Promise<LoadedConfig> {
  const users = new Map(config.users);
  for (const [name, { value, origin }] of users) {
    const user = { ...value };
    if (user["client-certificate"]) {
      user["client-certificate-data"] = await inline(
        user["client-certificate"],
        user["client-certificate-data"],
        origin,
      );
      delete user["client-certificate"];
    }
    if (user["client-key"]) {
      user["client-key-data"] = await inline(user["client-key"], user["client-key-data"], origin);
      delete user["client-key"];
    }
    users.set(name, { value: user, origin });
  }
  const clusters = new Map(config.clusters);
  for (const [name, { value, origin }] of clusters) {
    const cluster = { ...value };
    if (cluster["certificate-authority"]) {
      cluster["certificate-authority-data"] = await inline(
        cluster["certificate-authority"],
        cluster["certificate-authority-data"],
        origin,
      );
      delete cluster["certificate-authority"];
    }
    clusters.set(name, { value: cluster, origin });
  }
  return { ...config, users, clusters };
}

/** Secrets an auth-provider's config holds (oidc and the removed cloud providers). */
const PROVIDER_SECRETS = new Set(["client-secret", "id-token", "refresh-token", "access-token"]);

/**
 * A name part that says a secret follows (`VAULT_TOKEN`, `AZURE_CLIENT_SECRET`,
 * `--api-key`), as a whole word: `AZURE_AUTHORITY_HOST` and `KEYRING_BACKEND` are not secrets.
 */
const SECRET_NAME =
  /(^|[_-])(token|secret|password|passwd|key|apikey|credentials?|private)($|[_-])/i;

/** An exec plugin's arguments with the values of secret-named flags hidden. */
function redactArgs(args: string[]): string[] {
  return args.map((arg, index) => {
    const flag = /^(--?[\w-]+)=/.exec(arg);
    if (flag && SECRET_NAME.test(flag[1].replace(/^-+/, ""))) return `${flag[1]}=${REDACTED}`;
    const previous = args[index - 1];
    const valueOf = previous !== undefined && /^--?[\w-]+$/.test(previous) &&
      SECRET_NAME.test(previous.replace(/^-+/, "")) && !arg.startsWith("-");
    return valueOf ? REDACTED : arg;
  });
}

/**
 * kubectl's `RedactSecrets` + `ShortenConfig`, and more: kubectl prints an oidc refresh token, a
 * client secret, a secret-named exec plugin variable or flag value and a password in a server or
 * proxy URL as they are; kubexec never shows a secret without `--raw` (docs/differences.md).
 */
function redact(config: LoadedConfig): LoadedConfig {
  const users = new Map(config.users);
  for (const [name, { value, origin }] of users) {
    const user = { ...value };
    if (user["client-certificate-data"]) user["client-certificate-data"] = DATA_OMITTED;
    if (user["client-key-data"]) user["client-key-data"] = DATA_OMITTED;
    if (user.token) user.token = REDACTED;
    if (user.password) user.password = REDACTED;
    const provider = user["auth-provider"];
    if (provider?.config) {
      const shown = { ...provider.config };
      for (const key of Object.keys(shown)) {
        if (PROVIDER_SECRETS.has(key) && shown[key]) shown[key] = REDACTED;
      }
      user["auth-provider"] = { ...provider, config: shown };
    }
    if (user.exec?.env) {
      user.exec = {
        ...user.exec,
        env: user.exec.env.map((variable) =>
          SECRET_NAME.test(variable.name) && variable.value
            ? { ...variable, value: REDACTED }
            : variable
        ),
      };
    }
    if (user.exec?.args) user.exec = { ...user.exec, args: redactArgs(user.exec.args) };
    users.set(name, { value: user, origin });
  }
  const clusters = new Map(config.clusters);
  for (const [name, { value, origin }] of clusters) {
    const cluster = { ...value };
    if (cluster["certificate-authority-data"]) {
      cluster["certificate-authority-data"] = DATA_OMITTED;
    }
    if (cluster.server) cluster.server = redactUrlPassword(cluster.server);
    if (cluster["proxy-url"]) cluster["proxy-url"] = redactUrlPassword(cluster["proxy-url"]);
    clusters.set(name, { value: cluster, origin });
  }
  return { ...config, users, clusters };
}

/**
 * Builds the object `kubectl config view` prints for `config`.
 *
 * @throws {KubeconfigError} kubectl's minify errors, or a file `--flatten` cannot read
 *
 * @example
 * ```ts
 * import { emptyConfig } from "./config.ts";
 * import { viewConfig } from "./view.ts";
 * const config = emptyConfig();
 * config.users.set("u", { value: { token: "secret" }, origin: "" });
 * const view = await viewConfig(config, {});
 * JSON.stringify(view.users); // '[{"name":"u","user":{"token":"REDACTED"}}]'
 * ```
 */
export async function viewConfig(
  config: LoadedConfig,
  options: ViewOptions = {},
): Promise<ConfigView> {
  let shown = config;
  if (options.minify) shown = minify(shown, options.context);
  if (options.flatten) shown = await flatten(shown);
  else if (!options.raw) shown = redact(shown);

  const preferences: { [key: string]: JsonValue } = {};
  add(preferences, "colors", shown.preferences.colors);
  add(preferences, "extensions", extensionList(shown.preferences.extensions));
  const clusters = byName(shown.clusters).map(([name, { value }]) => ({
    name,
    cluster: clusterView(value),
  }));
  const users = byName(shown.users).map(([name, { value }]) => ({ name, user: userView(value) }));
  const contexts = byName(shown.contexts).map(([name, { value }]) => ({
    name,
    context: contextView(value),
  }));
  const view: ConfigView = {
    kind: "Config",
    apiVersion: "v1",
    preferences,
    clusters: clusters.length > 0 ? clusters : null,
    users: users.length > 0 ? users : null,
    contexts: contexts.length > 0 ? contexts : null,
    "current-context": shown.currentContext,
  };
  add(view, "extensions", extensionList(shown.extensions));
  return view;
}

/**
 * Renders a view as kubectl's `-o json` does: four-space indent, Go's escaping of `<`, `>`, `&`
 * and the JavaScript line separators, and a final newline.
 *
 * @example
 * ```ts
 * import { renderJson } from "./view.ts";
 * renderJson({ a: "<b>" }); // '{\n    "a": "\\u003cb\\u003e"\n}\n'
 * ```
 */
export function renderJson(value: JsonValue): string {
  const text = JSON.stringify(value, null, 4)
    .replaceAll("<", "\\u003c")
    .replaceAll(">", "\\u003e")
    .replaceAll("&", "\\u0026")
    .replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
  return `${text}\n`;
}

/**
 * Renders a view as kubectl's default `-o yaml` does (sigs.k8s.io/yaml: keys sorted, go-yaml
 * layout).
 *
 * @example
 * ```ts
 * import { renderYaml } from "./view.ts";
 * renderYaml({ kind: "Config", apiVersion: "v1" }); // "apiVersion: v1\nkind: Config\n"
 * ```
 */
export function renderYaml(value: JsonValue): string {
  return stringify(value, { sortKeys: true });
}

/**
 * Returns a copy of `value` with every mapping's keys sorted, the shape kubectl's YAML printer
 * (sigs.k8s.io/yaml) emits; feed it to a YAML stringifier that keeps key order.
 *
 * @example
 * ```ts
 * import { sortKeysDeep } from "./view.ts";
 * Object.keys(sortKeysDeep({ kind: "Config", apiVersion: "v1" }) as object); // ["apiVersion", "kind"]
 * ```
 */
export function sortKeysDeep(value: JsonValue): JsonValue {
  return sortedKeys(value);
}

/**
 * `kubectl config current-context`: the current context's name.
 *
 * @throws {KubeconfigError} `current-context is not set`
 *
 * @example
 * ```ts
 * import { emptyConfig } from "./config.ts";
 * import { currentContextName } from "./view.ts";
 * const config = emptyConfig();
 * config.currentContext = "dev";
 * currentContextName(config); // "dev"
 * ```
 */
export function currentContextName(config: LoadedConfig): string {
  if (!config.currentContext) throw new KubeconfigError("current-context is not set");
  return config.currentContext;
}

/** Options of {@linkcode contextsTable}. */
export interface ContextsTableOptions {
  /** Only these contexts (in any order); unknown names become problems. */
  names?: string[];
  /** `-o name`: one name per line, no header. */
  nameOnly?: boolean;
  /** `--no-headers`. */
  noHeaders?: boolean;
}

/** The text `config get-contexts` prints and the problems it reports after it. */
export interface ContextsTable {
  text: string;
  /** `context <name> not found`, one per unknown name. */
  problems: string[];
}

/**
 * Lays out rows like Go's `text/tabwriter` with kubectl's settings (minimum width 6, padding 3,
 * spaces): every cell but a line's last is padded to its column's width.
 *
 * @example
 * ```ts
 * import { tabulate } from "./view.ts";
 * tabulate([["A", "B"], ["long-cell", "x"]]); // "A           B\nlong-cell   x\n"
 * ```
 */
export function tabulate(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.slice(0, -1).forEach((cell, column) => {
      widths[column] = Math.max(widths[column] ?? 6, [...cell].length + 3);
    });
  }
  return rows.map((row) =>
    row.map((cell, column) =>
      column === row.length - 1 ? cell : cell + " ".repeat(widths[column] - [...cell].length)
    ).join("") + "\n"
  ).join("");
}

/**
 * `kubectl config get-contexts [NAME...] [-o name] [--no-headers]`.
 *
 * @example
 * ```ts
 * import { emptyConfig } from "./config.ts";
 * import { contextsTable } from "./view.ts";
 * const config = emptyConfig();
 * config.contexts.set("dev", { value: { cluster: "c", user: "u" }, origin: "" });
 * contextsTable(config, { nameOnly: true }).text; // "dev\n"
 * ```
 */
export function contextsTable(
  config: LoadedConfig,
  options: ContextsTableOptions = {},
): ContextsTable {
  const problems: string[] = [];
  let names: string[];
  if (options.names && options.names.length > 0) {
    names = options.names.filter((name) => {
      if (config.contexts.has(name)) return true;
      problems.push(`context ${name} not found`);
      return false;
    });
  } else {
    names = [...config.contexts.keys()];
  }
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (options.nameOnly) return { text: names.map((name) => `${name}\n`).join(""), problems };
  const rows: string[][] = [];
  if (!options.noHeaders) rows.push(["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"]);
  for (const name of names) {
    const context = config.contexts.get(name)!.value;
    rows.push([
      config.currentContext === name ? "*" : " ",
      name,
      context.cluster ?? "",
      context.user ?? "",
      context.namespace ?? "",
    ]);
  }
  return { text: tabulate(rows), problems };
}
