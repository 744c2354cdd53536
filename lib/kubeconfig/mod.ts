/**
 * kubeconfig for kubexec: kubectl's loading rules, merging, override flags, resolving a context to
 * a {@linkcode RestConfig}, the in-cluster fallback, and what the `config` commands print.
 *
 * @example
 * ```ts
 * import { resolveRestConfig } from "./mod.ts";
 * const config = await resolveRestConfig({ server: "https://127.0.0.1:6443", token: "t" }, {
 *   env: () => undefined,
 * });
 * config.auth.token; // "t"
 * ```
 *
 * @module
 */
export type * from "./types.ts";
export * from "./errors.ts";
export { emptyConfig, type LoadedConfig, type Located } from "./config.ts";
export {
  defaultEnv,
  type EnvLookup,
  homeDirectory,
  type LoadingOptions,
  type LoadingPrecedence,
  loadingPrecedence,
  loadKubeconfig,
  loadKubeconfigFile,
  loadStartingConfig,
} from "./load.ts";
export { mergeConfigs } from "./merge.ts";
export { type ConfigOverrides, InvalidTimeoutError, parseRequestTimeout } from "./overrides.ts";
export {
  cleanAnsiEscapeCodes,
  EXEC_CLUSTER_EXTENSION,
  proxyUrlProblem,
  resolveLoadedConfig,
  type ResolveOptions,
  resolveRestConfig,
} from "./resolve.ts";
export {
  inClusterConfig,
  inClusterNamespace,
  type InClusterOptions,
  inClusterPossible,
  NotInClusterError,
  SERVICE_ACCOUNT_DIRECTORY,
} from "./incluster.ts";
export { persistAuthProviderConfig } from "./persist.ts";
export {
  type ConfigView,
  type ContextsTable,
  contextsTable,
  type ContextsTableOptions,
  currentContextName,
  type JsonValue,
  renderJson,
  renderYaml,
  sortKeysDeep,
  tabulate,
  viewConfig,
  type ViewOptions,
} from "./view.ts";
