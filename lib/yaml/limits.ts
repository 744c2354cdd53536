/**
 * Bounds that keep a hostile or broken YAML file from exhausting memory or the stack. They are far
 * above anything a real kubeconfig needs (a 1 MiB kubeconfig holds about 15,000 nodes, nested six
 * deep).
 *
 * @module
 */

/**
 * Most nodes the aliases of one stream may stand for, counted as if every alias were copied out.
 * A "billion laughs" document reaches this after a few lines and fails at once, instead of handing
 * its consumer a graph that explodes when walked.
 *
 * @example
 * ```ts
 * import { MAX_ALIAS_EXPANSION } from "./limits.ts";
 * MAX_ALIAS_EXPANSION; // 1000000
 * ```
 */
export const MAX_ALIAS_EXPANSION = 1_000_000;

/**
 * Deepest nesting of collections (block or flow) a document may have; deeper input is rejected
 * before the parser's recursion could overflow the stack.
 *
 * @example
 * ```ts
 * import { MAX_NESTING_DEPTH } from "./limits.ts";
 * MAX_NESTING_DEPTH; // 500
 * ```
 */
export const MAX_NESTING_DEPTH = 500;
