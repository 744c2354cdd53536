/**
 * Helpers for the kubeconfig tests: temporary directories that are always removed, environment
 * lookups built from plain objects, and kubeconfig text builders.
 *
 * @module
 */

/**
 * An environment lookup backed by a plain object (nothing else is visible).
 *
 * @example
 * ```ts
 * envFrom({ HOME: "/h" })("HOME"); // "/h"
 * ```
 */
export function envFrom(values: Record<string, string>): (name: string) => string | undefined {
  return (name) => Object.hasOwn(values, name) ? values[name] : undefined;
}

/**
 * Runs `body` with a fresh temporary directory and removes it afterwards.
 *
 * @example
 * ```ts
 * await withTempDir(async (dir) => await Deno.writeTextFile(`${dir}/config`, ""));
 * ```
 */
export async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "kubexec-kubeconfig-" });
  try {
    return await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Writes `files` (relative path → text) under `dir`, creating directories.
 *
 * @example
 * ```ts
 * await withTempDir((dir) => writeFiles(dir, { "k/config": "current-context: x\n" }));
 * ```
 */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    const full = `${dir}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(full, text);
  }
}

/**
 * A one-context kubeconfig (JSON, which is YAML) for a cluster `c`, user `u` and context `x`.
 *
 * @example
 * ```ts
 * kubeconfigText({ user: { token: "t" }, context: { namespace: "n" } });
 * ```
 */
export function kubeconfigText(
  parts: {
    cluster?: Record<string, unknown>;
    user?: Record<string, unknown>;
    context?: Record<string, unknown>;
    currentContext?: string;
    extra?: Record<string, unknown>;
  },
): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:6443", ...parts.cluster } }],
    users: [{ name: "u", user: { ...parts.user } }],
    contexts: [{ name: "x", context: { cluster: "c", user: "u", ...parts.context } }],
    "current-context": parts.currentContext ?? "x",
    ...parts.extra,
  });
}
