/**
 * Merges kubeconfig files the way client-go's loading rules do: the first file that defines a
 * named cluster, user, context or extension wins that entry whole (no field-level merge), and the
 * first non-empty scalar (`current-context`, `preferences.colors`) wins.
 *
 * @module
 */
import { emptyConfig, type LoadedConfig } from "./config.ts";

function mergeMaps<V>(target: Map<string, V>, source: Map<string, V>): void {
  for (const [name, value] of source) if (!target.has(name)) target.set(name, value);
}

/**
 * Merges configs given in precedence order (highest first).
 *
 * @example
 * ```ts
 * import { emptyConfig } from "./config.ts";
 * import { mergeConfigs } from "./merge.ts";
 * const first = emptyConfig();
 * first.currentContext = "a";
 * const second = emptyConfig();
 * second.currentContext = "b";
 * mergeConfigs([first, second]).currentContext; // "a"
 * ```
 */
export function mergeConfigs(configs: readonly LoadedConfig[]): LoadedConfig {
  const merged = emptyConfig();
  for (const config of configs) {
    mergeMaps(merged.clusters, config.clusters);
    mergeMaps(merged.users, config.users);
    mergeMaps(merged.contexts, config.contexts);
    mergeMaps(merged.extensions, config.extensions);
    mergeMaps(merged.preferences.extensions, config.preferences.extensions);
    if (merged.currentContext === "") merged.currentContext = config.currentContext;
    if (config.preferences.colors) merged.preferences.colors = true;
    merged.files.push(...config.files);
  }
  return merged;
}
