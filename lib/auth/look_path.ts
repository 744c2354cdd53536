/**
 * Finds an exec credential plugin's executable the way Go's `exec.LookPath` does for client-go:
 * a command with a slash is used as given; a bare name is searched in the `PATH` of the
 * environment kubexec runs in — not the `PATH` a kubeconfig may set in the plugin's own `env`,
 * which only the plugin sees. Relative `PATH` entries (and empty ones, meaning the current
 * directory) are skipped, as Go refuses to run a program found through them.
 *
 * @module
 */

function isExecutableFile(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * Returns the path to run for `command`, or `undefined` when a bare name is found nowhere on
 * `pathList`. On Windows the name is returned unchanged for the OS to resolve.
 *
 * @example
 * ```ts
 * import { lookPath } from "./look_path.ts";
 * lookPath("sh", "/usr/bin:/bin"); // "/usr/bin/sh" (or "/bin/sh")
 * lookPath("./bin/login", "/usr/bin"); // "./bin/login"
 * ```
 */
export function lookPath(command: string, pathList: string): string | undefined {
  if (command.includes("/") || Deno.build.os === "windows") return command;
  for (const dir of pathList.split(":")) {
    if (!dir.startsWith("/")) continue;
    const candidate = `${dir.replace(/\/+$/, "")}/${command}`;
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}
