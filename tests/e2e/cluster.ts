/**
 * What the e2e tests know about the running control plane: the harness's ready line, saved by
 * `tests/e2e/run.ts` into a JSON file named by the `KUBEXEC_E2E_CLUSTER` environment variable.
 * When the variable is missing (a plain `deno test`, or a direct run of one file) {@linkcode cluster}
 * is `undefined` and every e2e test registers as ignored instead of failing.
 *
 * @module
 */

/** The harness's ready line (see `tests/e2e/harness/main.go`). */
export interface ClusterInfo {
  /** The kube-apiserver URL, `https://127.0.0.1:PORT`. */
  server: string;
  /** The namespace every kubeconfig's context selects. */
  namespace: string;
  /** Scratch directory of this run; removed by the driver afterwards. */
  runDir: string;
  /** The cluster CA certificate file. */
  caFile: string;
  /**
   * Kubeconfig paths by name: admin, admin-files, alice, alice-tokenfile, alice-exec, carol-oidc,
   * carol-oidc-refresh, viewer, nobody.
   */
  kubeconfigs: Record<string, string>;
  /** Pod names by role: shell, legacy, multi, multi-noanno, attach, pf, web, other/shell. */
  pods: Record<string, string>;
  /** The Deployment whose pod `deploy/NAME` resolves to. */
  deployment: string;
  /** Container ports of the `pf` and `legacy` pods, each served by a greeting echo server. */
  portForwardPorts: number[];
  /** The harness's process id. */
  pid: number;
}

/** The environment variable naming the cluster file. */
export const CLUSTER_ENV = "KUBEXEC_E2E_CLUSTER";

async function loadCluster(): Promise<ClusterInfo | undefined> {
  const path = Deno.env.get(CLUSTER_ENV);
  if (!path) return undefined;
  return JSON.parse(await Deno.readTextFile(path)) as ClusterInfo;
}

/**
 * The running cluster, or `undefined` when no harness is running.
 *
 * @example
 * ```ts
 * import { cluster } from "./cluster.ts";
 * Deno.test({ name: "x", ignore: !cluster, fn: () => {} });
 * ```
 */
export const cluster: ClusterInfo | undefined = await loadCluster();

/**
 * The kubeconfig path for a user name, failing loudly on a name the harness did not write.
 *
 * @example
 * ```ts
 * import { kubeconfig } from "./cluster.ts";
 * const path = kubeconfig("alice");
 * ```
 */
export function kubeconfig(name: string): string {
  const path = cluster?.kubeconfigs[name];
  if (!path) throw new Error(`the harness wrote no kubeconfig named "${name}"`);
  return path;
}
