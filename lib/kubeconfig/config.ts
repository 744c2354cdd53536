/**
 * The in-memory shape of a loaded kubeconfig: client-go's internal `api.Config`, where named lists
 * became maps and every cluster, user and context remembers the file that defined it (relative
 * paths are resolved against that file's directory, and oidc writes refreshed tokens back to it).
 *
 * Paths are kept as written; {@linkcode resolveEntryPath} makes one absolute when it is used, so
 * `config view` can print the file's own text.
 *
 * @module
 */
import type { AuthInfo, Cluster, Context } from "./types.ts";
import { absolutePath, dirname, isAbsolute, joinPath } from "./paths.ts";

/** A named entry and the file it came from (`""` when it came from no file). */
export interface Located<T> {
  value: T;
  origin: string;
}

/** A loaded (possibly merged) kubeconfig. Map order is insertion order; printers sort by name. */
export interface LoadedConfig {
  preferences: { colors?: boolean; extensions: Map<string, unknown> };
  clusters: Map<string, Located<Cluster>>;
  users: Map<string, Located<AuthInfo>>;
  contexts: Map<string, Located<Context>>;
  currentContext: string;
  extensions: Map<string, unknown>;
  /** The files that were read, in precedence order. */
  files: string[];
}

/**
 * A config with nothing in it.
 *
 * @example
 * ```ts
 * import { emptyConfig } from "./config.ts";
 * emptyConfig().clusters.size; // 0
 * ```
 */
export function emptyConfig(): LoadedConfig {
  return {
    preferences: { extensions: new Map() },
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
    currentContext: "",
    extensions: new Map(),
    files: [],
  };
}

/**
 * Makes a path from a kubeconfig absolute against the directory of the file that defined it, as
 * client-go's `ResolveLocalPaths` does (no `~` expansion; empty and absolute paths unchanged).
 *
 * @example
 * ```ts
 * import { resolveEntryPath } from "./config.ts";
 * resolveEntryPath("certs/ca.crt", "/home/me/.kube/config"); // "/home/me/.kube/certs/ca.crt"
 * ```
 */
export function resolveEntryPath(path: string, origin: string): string {
  if (path === "" || origin === "" || isAbsolute(path)) return path;
  return joinPath(absolutePath(dirname(origin)), path);
}
