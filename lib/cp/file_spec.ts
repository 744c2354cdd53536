/**
 * kubectl cp's argument syntax, `[[namespace/]pod:]file/path`, and the remote-path arithmetic that goes
 * with it (cleaning, base/dir, the member prefix tar produces). Local Windows paths such as `C:\dir`
 * are never taken for `pod:path` (kubectl#1375 / kubernetes#77310).
 *
 * @module
 */
import { FileSpecError } from "./errors.ts";

/** One parsed cp argument: remote when `pod` is set. */
export interface CopySpec {
  namespace?: string;
  pod?: string;
  path: string;
}

/** The direction and both ends of a copy, from the two arguments. */
export interface CopyPlan {
  direction: "upload" | "download";
  localPath: string;
  remote: { namespace?: string; pod: string; path: string };
}

const FORMAT_MESSAGE = "filespec must match the canonical format: [[namespace/]pod:]file/path";

function isWindowsDrivePath(arg: string, windows: boolean): boolean {
  if (/^[A-Za-z]:\\/.test(arg)) return true;
  // Pod names are lower-case DNS labels, so an upper-case drive letter can only be a drive.
  if (/^[A-Z]:\//.test(arg)) return true;
  return windows && /^[a-z]:\//.test(arg);
}

/**
 * Parses one cp argument with kubectl's rules: the first `:` separates `[namespace/]pod` from the path,
 * a leading `:` or more than one `/` before the `:` is an error, no `:` means a local path. Windows
 * drive paths (`C:\x`, `C:/x`, and `c:/x` on Windows) are local.
 *
 * @example
 * ```ts
 * import { parseCopySpec } from "./file_spec.ts";
 * parseCopySpec("prod/web-0:/var/log"); // { namespace: "prod", pod: "web-0", path: "/var/log" }
 * parseCopySpec("C:\\Users\\me\\x.txt"); // { path: "C:\\Users\\me\\x.txt" }
 * ```
 */
export function parseCopySpec(
  arg: string,
  options: { windows?: boolean } = {},
): CopySpec {
  const windows = options.windows ?? Deno.build.os === "windows";
  if (isWindowsDrivePath(arg, windows)) return { path: arg };
  const colon = arg.indexOf(":");
  if (colon === 0) throw new FileSpecError(FORMAT_MESSAGE);
  if (colon === -1) return { path: arg };
  const podPart = arg.slice(0, colon);
  const path = arg.slice(colon + 1);
  const pieces = podPart.split("/");
  if (pieces.length === 1) return { pod: pieces[0], path };
  if (pieces.length === 2) return { namespace: pieces[0], pod: pieces[1], path };
  throw new FileSpecError(FORMAT_MESSAGE);
}

/**
 * Parses both arguments and decides the direction, with kubectl's errors: both remote
 * (`one of src or dest must be a local file specification`), an empty path
 * (`filepath can not be empty`), both local (`one of src or dest must be a remote file specification`).
 *
 * @example
 * ```ts
 * import { planCopy } from "./file_spec.ts";
 * planCopy("./site", "web-0:/usr/share/nginx").direction; // "upload"
 * ```
 */
export function planCopy(
  source: string,
  destination: string,
  options: { windows?: boolean } = {},
): CopyPlan {
  const from = parseCopySpec(source, options);
  const to = parseCopySpec(destination, options);
  if (from.pod !== undefined && to.pod !== undefined) {
    throw new FileSpecError("one of src or dest must be a local file specification");
  }
  if (from.path === "" || to.path === "") throw new FileSpecError("filepath can not be empty");
  if (from.pod !== undefined) {
    return {
      direction: "download",
      localPath: to.path,
      remote: { namespace: from.namespace, pod: from.pod, path: from.path },
    };
  }
  if (to.pod !== undefined) {
    return {
      direction: "upload",
      localPath: from.path,
      remote: { namespace: to.namespace, pod: to.pod, path: to.path },
    };
  }
  throw new FileSpecError("one of src or dest must be a remote file specification");
}

/**
 * Cleans a remote (POSIX) path lexically like Go's `path.Clean`: collapses `//`, `.` and `x/..`,
 * keeps a leading `/`, returns `.` for an empty result. Backslashes are taken as separators, as kubectl
 * does for remote paths.
 *
 * @example
 * ```ts
 * import { cleanRemotePath } from "./file_spec.ts";
 * cleanRemotePath("/var//log/./app/"); // "/var/log/app"
 * ```
 */
export function cleanRemotePath(path: string): string {
  const normalized = path.replaceAll("\\", "/");
  const absolute = normalized.startsWith("/");
  const out: string[] = [];
  for (const part of normalized.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
      continue;
    }
    out.push(part);
  }
  const joined = out.join("/");
  if (absolute) return `/${joined}`;
  return joined === "" ? "." : joined;
}

/**
 * The last element of a remote path (after cleaning).
 *
 * @example
 * ```ts
 * import { remoteBaseName } from "./file_spec.ts";
 * remoteBaseName("/usr/share/nginx/"); // "nginx"
 * ```
 */
export function remoteBaseName(path: string): string {
  const clean = cleanRemotePath(path);
  if (clean === "/") return "/";
  return clean.slice(clean.lastIndexOf("/") + 1);
}

/**
 * The directory part of a remote path (after cleaning), `.` for a bare name.
 *
 * @example
 * ```ts
 * import { remoteDirName } from "./file_spec.ts";
 * remoteDirName("/usr/share/nginx"); // "/usr/share"
 * ```
 */
export function remoteDirName(path: string): string {
  const clean = cleanRemotePath(path);
  const slash = clean.lastIndexOf("/");
  if (slash === -1) return ".";
  if (slash === 0) return "/";
  return clean.slice(0, slash);
}

/**
 * Joins a remote directory and a name.
 *
 * @example
 * ```ts
 * import { joinRemotePath } from "./file_spec.ts";
 * joinRemotePath("/usr/share", "site"); // "/usr/share/site"
 * ```
 */
export function joinRemotePath(directory: string, name: string): string {
  return cleanRemotePath(`${directory}/${name}`);
}

/**
 * The member-name prefix `tar cf - PATH` produces for `PATH`. GNU tar removes a leading `/` and
 * everything up to the last `..` component ("Removing leading `a/b/../' from member names"), so
 * that is removed first, then the rest is cleaned; `""` for the root. Where the path has no `..`
 * this is kubectl's `stripPathShortcuts(StripSlashes(Clean(path)))`; with one, kubectl's prefix
 * (`rem/d/f` for `rem/d/../d/f`) names no member and its copy fails, where this one (`d/f`) is
 * what tar wrote.
 *
 * @example
 * ```ts
 * import { remoteArchivePrefix } from "./file_spec.ts";
 * remoteArchivePrefix("/var/log/app/"); // "var/log/app"
 * remoteArchivePrefix("../../etc/passwd"); // "etc/passwd"
 * remoteArchivePrefix("logs/app/../app/current"); // "app/current"
 * ```
 */
export function remoteArchivePrefix(path: string): string {
  const parts = path.replaceAll("\\", "/").split("/");
  const lastUp = parts.lastIndexOf("..");
  const clean = cleanRemotePath(parts.slice(lastUp + 1).join("/")).replace(/^\/+/, "");
  return clean === "." ? "" : clean;
}
