/**
 * File-system errors in the words users know from kubectl (Go's `syscall` reasons), including the
 * one Deno adds: paths it keeps from any program that does not hold every permission.
 *
 * Deno refuses paths under `/dev`, `/proc` and `/sys` (apart from a few harmless devices such as
 * `/dev/null`) to a process without `--allow-all`, even with `--allow-read --allow-write`, and says
 * "run again with the --allow-all flag" — advice a user of the compiled binary cannot follow.
 * kubexec holds a scoped set of permissions (DESIGN.md), so those paths are named here instead.
 *
 * @module
 */

/** What kubexec says about a path Deno reserves (see the module documentation). */
export const RESERVED_PATH_REASON = "kubexec cannot open paths under /dev, /proc or /sys";

const WHY_RESERVED = "Deno, kubexec's runtime, opens those only for a program that holds every " +
  "permission, and kubexec holds a scoped set";

/** The `hint:` for a path Deno reserves that names a file to read or write. */
export const RESERVED_PATH_HINT = `${WHY_RESERVED}: use a path in another directory`;

/**
 * The path Deno refused because only a process holding every permission may open it, if `error`
 * is that refusal.
 *
 * @example
 * ```ts
 * import { reservedPath } from "./fs_errors.ts";
 * reservedPath(
 *   new Deno.errors.NotCapable('Requires all access to "/dev/shm/k", run again with the --allow-all flag'),
 * ); // "/dev/shm/k"
 * reservedPath(new Deno.errors.NotFound("x")); // undefined
 * ```
 */
export function reservedPath(error: unknown): string | undefined {
  if (!(error instanceof Deno.errors.NotCapable)) return undefined;
  return /^Requires all access to "(.*)", run again/s.exec(error.message)?.[1];
}

/**
 * What the user can do about a path Deno reserved (a `hint:` line), or `undefined` when `error` is
 * not that refusal.
 *
 * @example
 * ```ts
 * import { reservedPathHint } from "./fs_errors.ts";
 * reservedPathHint(
 *   new Deno.errors.NotCapable('Requires all access to "/dev/shm/k", run again with the --allow-all flag'),
 * ); // "Deno, kubexec's runtime, opens those only … use a path in another directory"
 * ```
 */
export function reservedPathHint(error: unknown): string | undefined {
  const path = reservedPath(error);
  if (path === undefined) return undefined;
  if (/^\/(dev\/(stdin|fd\/0$)|proc\/self\/fd\/0$)/.test(path)) {
    return `${WHY_RESERVED}: to copy standard input, name it as a pipe (cp <(cat) POD:FILE) or ` +
      `run "kubexec exec -i POD -- sh -c 'cat > FILE'"`;
  }
  return /^\/(dev\/(stdout|stderr|fd\/)|proc\/self\/fd\/)/.test(path)
    ? `${WHY_RESERVED}: to print a remote file, run "kubexec exec POD -- cat FILE"`
    : RESERVED_PATH_HINT;
}

/**
 * Turns a Deno file-system error into Go's reason wording, so messages read like kubectl's.
 *
 * @example
 * ```ts
 * import { goReason } from "./fs_errors.ts";
 * goReason(new Deno.errors.NotFound("x")); // "no such file or directory"
 * ```
 */
export function goReason(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file or directory";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "is a directory";
  if (error instanceof Deno.errors.NotADirectory) return "not a directory";
  if (reservedPath(error) !== undefined) return RESERVED_PATH_REASON;
  if (error instanceof Deno.errors.NotCapable) return "permission denied (Deno --allow-read)";
  if (error instanceof Error) {
    // Any other system error as Go prints it: libc's text, lower-case, without Rust's suffix
    // ("No space left on device (os error 28)" → "no space left on device").
    const os = /^(.*) \(os error \d+\)$/.exec(error.message);
    return os ? os[1].charAt(0).toLowerCase() + os[1].slice(1) : error.message;
  }
  return String(error);
}
