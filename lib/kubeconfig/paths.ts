/**
 * The few path operations kubeconfig loading needs (Go's `filepath` semantics for the running OS),
 * kept here because kubexec has no dependencies and Deno has no built-in path module.
 *
 * @module
 */

const WINDOWS = Deno.build.os === "windows";

/**
 * Whether `path` is absolute on the running OS (`/x`; on Windows `C:\x`, `C:/x` or `\\host\share`).
 *
 * @example
 * ```ts
 * import { isAbsolute } from "./paths.ts";
 * isAbsolute("/etc/kubernetes/admin.conf"); // true
 * ```
 */
export function isAbsolute(path: string, windows = WINDOWS): boolean {
  if (windows) return /^[A-Za-z]:[\\/]/.test(path) || /^[\\/]{2}/.test(path);
  return path.startsWith("/");
}

/**
 * The directory part of `path` (Go's `filepath.Dir`, without cleaning `..`).
 *
 * @example
 * ```ts
 * import { dirname } from "./paths.ts";
 * dirname("/home/me/.kube/config"); // "/home/me/.kube"
 * ```
 */
export function dirname(path: string, windows = WINDOWS): string {
  const separators = windows ? /[\\/]/ : /\//;
  let end = path.length;
  while (end > 0 && !separators.test(path[end - 1])) end--;
  if (end === 0) return ".";
  let dir = path.slice(0, end);
  while (dir.length > 1 && separators.test(dir[dir.length - 1])) dir = dir.slice(0, -1);
  if (windows && /^[A-Za-z]:$/.test(dir)) dir += "\\";
  return dir;
}

/**
 * Joins a directory and a relative path with the OS separator and cleans the result like Go's
 * `filepath.Join` (`.` segments dropped, `..` segments applied, repeated separators collapsed).
 *
 * @example
 * ```ts
 * import { joinPath } from "./paths.ts";
 * joinPath("/home/me/.kube", "./certs/../ca.crt"); // "/home/me/.kube/ca.crt"
 * ```
 */
export function joinPath(dir: string, relative: string, windows = WINDOWS): string {
  const separator = windows ? "\\" : "/";
  const splitter = windows ? /[\\/]+/ : /\/+/;
  const joined = dir === "" ? relative : `${dir}${separator}${relative}`;
  const rooted = isAbsolute(joined, windows);
  const [head, ...segments] = joined.split(splitter);
  const prefix = rooted ? (windows ? head + separator : "/") : "";
  const parts: string[] = [];
  for (const segment of rooted ? segments : [head, ...segments]) {
    if (segment === "" || segment === ".") continue;
    if (segment === ".." && parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
    else if (segment === ".." && rooted) continue;
    else parts.push(segment);
  }
  const body = parts.join(separator);
  return prefix + body || ".";
}

/**
 * Makes `path` absolute against the current working directory.
 *
 * @example
 * ```ts
 * import { absolutePath } from "./paths.ts";
 * absolutePath("kubeconfig").startsWith(Deno.cwd()); // true
 * ```
 */
export function absolutePath(path: string, windows = WINDOWS): string {
  return isAbsolute(path, windows) ? path : joinPath(Deno.cwd(), path, windows);
}

/**
 * Whether a string contains the OS path separator (`exec.command` is path-resolved only then).
 *
 * @example
 * ```ts
 * import { hasPathSeparator } from "./paths.ts";
 * hasPathSeparator("./bin/helper", false); // true
 * hasPathSeparator("aws", false); // false
 * ```
 */
export function hasPathSeparator(path: string, windows = WINDOWS): boolean {
  return windows ? path.includes("\\") : path.includes("/");
}
