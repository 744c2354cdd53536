/**
 * Turns one parsed kubeconfig document into a {@linkcode LoadedConfig}, checking types the way
 * client-go's decoder does: known fields must have the right JSON type (a quoted `"true"` is not a
 * bool, an unquoted `1234` is not a string), unknown fields are ignored, `null` means "unset",
 * `*-data` fields must be standard base64, names must be unique per list, and `kind`/`apiVersion`
 * (when present) must be `Config`/`v1`.
 *
 * @module
 */
import type { AuthInfo, Cluster, Context, ExecConfig, NamedExtension } from "./types.ts";
import { emptyConfig, type LoadedConfig } from "./config.ts";
import { KubeconfigLoadError } from "./errors.ts";
import { locatePath, type PathStep } from "./locate.ts";
import { Base64Error, decodeBase64, encodeBase64 } from "./base64.ts";

type JsonObject = Record<string, unknown>;

/** A type problem found while decoding, before the file name and position are attached. */
class DecodeProblem extends Error {
  readonly path: PathStep[];
  constructor(path: PathStep[], message: string) {
    super(message);
    this.path = path;
  }
}

function describeType(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  switch (typeof value) {
    case "object":
      return "a mapping";
    case "string":
      return "a string";
    case "number":
    case "bigint":
      return "a number";
    case "boolean":
      return "a boolean";
    default:
      return typeof value;
  }
}

function formatPath(path: readonly PathStep[]): string {
  let text = "";
  for (const step of path) {
    text += typeof step === "number" ? `[${step}]` : text ? `.${step}` : step;
  }
  return text;
}

function wrongType(path: PathStep[], expected: string, value: unknown): DecodeProblem {
  return new DecodeProblem(
    path,
    `${formatPath(path)}: expected ${expected}, found ${describeType(value)}`,
  );
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value) &&
    !(value instanceof Date);
}

function objectAt(value: unknown, path: PathStep[]): JsonObject | undefined {
  if (value === null || value === undefined) return undefined;
  if (!isObject(value)) throw wrongType(path, "a mapping", value);
  return value;
}

function stringAt(value: unknown, path: PathStep[]): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== "string") throw wrongType(path, "a string", value);
  return value;
}

/**
 * kubectl reads YAML 1.1, where these plain words are booleans; a YAML 1.2 parser leaves them
 * strings. Accepting them in boolean fields keeps such kubeconfigs working (`"true"` in quotes
 * stays an error, as it is for kubectl).
 */
const YAML11_BOOLEANS = new Map<string, boolean>([
  ..."y Y yes Yes YES on On ON".split(" ").map((word): [string, boolean] => [word, true]),
  ..."n N no No NO off Off OFF".split(" ").map((word): [string, boolean] => [word, false]),
]);

function boolAt(value: unknown, path: PathStep[]): boolean | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "string" && YAML11_BOOLEANS.has(value)) return YAML11_BOOLEANS.get(value);
  if (typeof value !== "boolean") throw wrongType(path, "a boolean (true or false)", value);
  return value;
}

function listAt(value: unknown, path: PathStep[]): unknown[] | undefined {
  if (value === null || value === undefined) return undefined;
  if (!Array.isArray(value)) throw wrongType(path, "a list", value);
  return value;
}

function stringListAt(value: unknown, path: PathStep[]): string[] | undefined {
  return listAt(value, path)?.map((item, index) => stringAt(item, [...path, index]) ?? "");
}

function base64At(value: unknown, path: PathStep[]): string | undefined {
  const text = stringAt(value, path);
  if (text === undefined) return undefined;
  try {
    return encodeBase64(decodeBase64(text));
  } catch (error) {
    if (error instanceof Base64Error) {
      throw new DecodeProblem(path, `${formatPath(path)}: ${error.message}`);
    }
    throw error;
  }
}

/** Copies `value` into `target[key]` unless it is unset or Go's zero value (omitempty). */
function put<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined) {
  if (value === undefined || value === "" || value === false) return;
  target[key] = value;
}

function decodeExtensions(value: unknown, path: PathStep[]): Map<string, unknown> {
  const extensions = new Map<string, unknown>();
  for (const [index, item] of (listAt(value, path) ?? []).entries()) {
    const entry = objectAt(item, [...path, index]) ?? {};
    const name = stringAt(entry.name, [...path, index, "name"]) ?? "";
    if (extensions.has(name)) {
      throw new DecodeProblem([...path, index], `duplicate name "${name}" in ${formatPath(path)}`);
    }
    extensions.set(name, entry.extension ?? null);
  }
  return extensions;
}

function extensionList(value: unknown, path: PathStep[]): NamedExtension[] | undefined {
  const map = decodeExtensions(value, path);
  if (map.size === 0) return undefined;
  return [...map].map(([name, extension]) => ({ name, extension }));
}

function decodeCluster(value: unknown, path: PathStep[]): Cluster {
  const source = objectAt(value, path) ?? {};
  const at = (key: string) => [...path, key];
  const cluster: Cluster = {};
  put(cluster, "server", stringAt(source.server, at("server")));
  put(cluster, "tls-server-name", stringAt(source["tls-server-name"], at("tls-server-name")));
  put(
    cluster,
    "insecure-skip-tls-verify",
    boolAt(source["insecure-skip-tls-verify"], at("insecure-skip-tls-verify")),
  );
  put(
    cluster,
    "certificate-authority",
    stringAt(source["certificate-authority"], at("certificate-authority")),
  );
  put(
    cluster,
    "certificate-authority-data",
    base64At(source["certificate-authority-data"], at("certificate-authority-data")),
  );
  put(cluster, "proxy-url", stringAt(source["proxy-url"], at("proxy-url")));
  put(
    cluster,
    "disable-compression",
    boolAt(source["disable-compression"], at("disable-compression")),
  );
  put(cluster, "extensions", extensionList(source.extensions, at("extensions")));
  return cluster;
}

function decodeExec(value: unknown, path: PathStep[]): ExecConfig | undefined {
  const source = objectAt(value, path);
  if (source === undefined) return undefined;
  const at = (key: string) => [...path, key];
  const exec: ExecConfig = { command: stringAt(source.command, at("command")) ?? "" };
  const args = stringListAt(source.args, at("args"));
  if (args !== undefined) exec.args = args;
  const env = listAt(source.env, at("env"));
  if (env !== undefined) {
    exec.env = env.map((item, index) => {
      const variable = objectAt(item, [...at("env"), index]) ?? {};
      return {
        name: stringAt(variable.name, [...at("env"), index, "name"]) ?? "",
        value: stringAt(variable.value, [...at("env"), index, "value"]) ?? "",
      };
    });
  }
  put(exec, "apiVersion", stringAt(source.apiVersion, at("apiVersion")));
  put(exec, "installHint", stringAt(source.installHint, at("installHint")));
  put(exec, "provideClusterInfo", boolAt(source.provideClusterInfo, at("provideClusterInfo")));
  const mode = stringAt(source.interactiveMode, at("interactiveMode"));
  if (mode) exec.interactiveMode = mode as ExecConfig["interactiveMode"];
  else if (
    exec.apiVersion === "client.authentication.k8s.io/v1beta1" ||
    exec.apiVersion === "client.authentication.k8s.io/v1alpha1"
  ) {
    // client-go's v1 defaulting: only the pre-v1 plugin APIs imply IfAvailable.
    exec.interactiveMode = "IfAvailable";
  }
  return exec;
}

function decodeUser(value: unknown, path: PathStep[]): AuthInfo {
  const source = objectAt(value, path) ?? {};
  const at = (key: string) => [...path, key];
  const user: AuthInfo = {};
  for (const key of ["client-certificate", "client-key"] as const) {
    put(user, key, stringAt(source[key], at(key)));
  }
  for (const key of ["client-certificate-data", "client-key-data"] as const) {
    put(user, key, base64At(source[key], at(key)));
  }
  for (const key of ["token", "tokenFile", "as", "as-uid", "username", "password"] as const) {
    put(user, key, stringAt(source[key], at(key)));
  }
  const groups = stringListAt(source["as-groups"], at("as-groups"));
  if (groups !== undefined && groups.length > 0) user["as-groups"] = groups;
  const extra = objectAt(source["as-user-extra"], at("as-user-extra"));
  if (extra !== undefined && Object.keys(extra).length > 0) {
    user["as-user-extra"] = Object.fromEntries(
      Object.entries(extra).map((
        [key, values],
      ) => [key, stringListAt(values, [...at("as-user-extra"), key]) ?? []]),
    );
  }
  const provider = objectAt(source["auth-provider"], at("auth-provider"));
  if (provider !== undefined) {
    const providerPath = at("auth-provider");
    const config = objectAt(provider.config, [...providerPath, "config"]);
    user["auth-provider"] = {
      name: stringAt(provider.name, [...providerPath, "name"]) ?? "",
      ...(config === undefined ? {} : {
        config: Object.fromEntries(
          Object.entries(config).map((
            [key, item],
          ) => [key, stringAt(item, [...providerPath, "config", key]) ?? ""]),
        ),
      }),
    };
  }
  const exec = decodeExec(source.exec, at("exec"));
  if (exec !== undefined) user.exec = exec;
  put(user, "extensions", extensionList(source.extensions, at("extensions")));
  return user;
}

function decodeContext(value: unknown, path: PathStep[]): Context {
  const source = objectAt(value, path) ?? {};
  const at = (key: string) => [...path, key];
  const context: Context = {};
  put(context, "cluster", stringAt(source.cluster, at("cluster")));
  put(context, "user", stringAt(source.user, at("user")));
  put(context, "namespace", stringAt(source.namespace, at("namespace")));
  put(context, "extensions", extensionList(source.extensions, at("extensions")));
  return context;
}

function decodeNamed<T>(
  value: unknown,
  listKey: string,
  itemKey: string,
  decodeItem: (item: unknown, path: PathStep[]) => T,
  file: string,
): Map<string, { value: T; origin: string }> {
  const entries = new Map<string, { value: T; origin: string }>();
  for (const [index, item] of (listAt(value, [listKey]) ?? []).entries()) {
    const entry = objectAt(item, [listKey, index]) ?? {};
    const name = stringAt(entry.name, [listKey, index, "name"]) ?? "";
    const decoded = decodeItem(entry[itemKey], [listKey, index, itemKey]);
    if (entries.has(name)) {
      throw new DecodeProblem([listKey, index], `duplicate name "${name}" in ${listKey}`);
    }
    entries.set(name, { value: decoded, origin: file });
  }
  return entries;
}

/**
 * Applies YAML 1.1 merge keys (`<<: *anchor`, `<<: [*a, *b]`), which kubectl's YAML reader honours
 * and a YAML 1.2 parser leaves as a plain `<<` key: keys of the merged mappings are added where the
 * mapping does not set them itself, earlier sources winning.
 */
function applyMergeKeys(value: unknown, seen = new Map<object, unknown>()): unknown {
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const list: unknown[] = [];
    seen.set(value, list);
    for (const item of value) list.push(applyMergeKeys(item, seen));
    return list;
  }
  const result: JsonObject = {};
  seen.set(value, result);
  const source = value as JsonObject;
  for (const [key, item] of Object.entries(source)) {
    if (key !== "<<") result[key] = applyMergeKeys(item, seen);
  }
  const merge = source["<<"];
  const sources = Array.isArray(merge) ? merge : [merge];
  if ("<<" in source && sources.every(isObject)) {
    for (const mergeSource of sources) {
      const merged = applyMergeKeys(mergeSource, seen) as JsonObject;
      for (const [key, item] of Object.entries(merged)) if (!(key in result)) result[key] = item;
    }
  } else if ("<<" in source) {
    result["<<"] = applyMergeKeys(merge, seen);
  }
  return result;
}

/**
 * Checks and converts one parsed kubeconfig document. `text` is the file's source, used only to
 * locate problems; `file` is recorded as every entry's origin.
 *
 * @throws {KubeconfigLoadError} naming the file, the position and the field when a type is wrong
 *
 * @example
 * ```ts
 * import { decodeKubeconfig } from "./decode.ts";
 * const document = { clusters: [{ name: "c", cluster: { server: "https://h" } }] };
 * const config = decodeKubeconfig(document, "/k/config", JSON.stringify(document));
 * config.clusters.get("c")?.origin; // "/k/config"
 * ```
 */
export function decodeKubeconfig(document: unknown, file: string, text: string): LoadedConfig {
  try {
    return decodeDocument(applyMergeKeys(document), file);
  } catch (error) {
    if (error instanceof DecodeProblem) {
      throw new KubeconfigLoadError(file, error.message, locatePath(text, document, error.path));
    }
    throw error;
  }
}

function decodeDocument(document: unknown, file: string): LoadedConfig {
  const config = emptyConfig();
  config.files = [file];
  if (document === null || document === undefined) return config;
  if (!isObject(document)) {
    throw new DecodeProblem(
      [],
      `a kubeconfig must be a mapping (kind: Config), found ${describeType(document)}`,
    );
  }
  const kind = stringAt(document.kind, ["kind"]) ?? "";
  const apiVersion = stringAt(document.apiVersion, ["apiVersion"]) ?? "";
  if ((kind !== "" && kind !== "Config") || (apiVersion !== "" && apiVersion !== "v1")) {
    throw new DecodeProblem(
      [kind !== "" && kind !== "Config" ? "kind" : "apiVersion"],
      `not a kubeconfig: kind "${kind || "Config"}" of apiVersion "${
        apiVersion || "v1"
      }" (expected kind: Config, apiVersion: v1)`,
    );
  }
  const preferences = objectAt(document.preferences, ["preferences"]);
  if (preferences !== undefined) {
    const colors = boolAt(preferences.colors, ["preferences", "colors"]);
    if (colors) config.preferences.colors = true;
    config.preferences.extensions = decodeExtensions(preferences.extensions, [
      "preferences",
      "extensions",
    ]);
  }
  config.clusters = decodeNamed(document.clusters, "clusters", "cluster", decodeCluster, file);
  config.users = decodeNamed(document.users, "users", "user", decodeUser, file);
  config.contexts = decodeNamed(document.contexts, "contexts", "context", decodeContext, file);
  config.currentContext = stringAt(document["current-context"], ["current-context"]) ?? "";
  config.extensions = decodeExtensions(document.extensions, ["extensions"]);
  return config;
}
