/**
 * Opens the files recordings and audit records go to: created with mode 0600 (readable by their
 * owner only, since they hold whatever the session showed), and brought to 0600 when they already
 * existed with a wider mode; never through a symlink.
 *
 * @module
 */

/**
 * A recording or audit file could not be opened for writing.
 *
 * @example
 * ```ts
 * import { RecordFileError } from "./files.ts";
 * new RecordFileError("audit log", "/x/a.jsonl", new Error("denied")).message;
 * // "cannot write the audit log /x/a.jsonl: denied"
 * ```
 */
export class RecordFileError extends Error {
  override name = "RecordFileError";
  /** The path that could not be opened. */
  readonly path: string;
  /** What the file is for: `recording` or `audit log`. */
  readonly purpose: string;

  /**
   * @param purpose what the file is for
   * @param path the file
   * @param cause the file system's error
   */
  constructor(purpose: string, path: string, cause: unknown) {
    super(
      `cannot write the ${purpose} ${path}: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.path = path;
    this.purpose = purpose;
  }
}

/** How an existing file is treated. */
export type OpenMode =
  /** Keep its content and add to its end (audit logs). */
  | "append"
  /** Replace its content (a recording the user named). */
  | "truncate"
  /** Fail when it exists (names generated in a shared directory). */
  | "create-new";

const PRIVATE_MODE = 0o600;

/**
 * Opens `path` for writing with mode 0600. Never through a symlink at `path` (another user who can
 * write to the directory could plant one to make kubexec append to, truncate or `chmod` a file of
 * the user's): one is refused, and the opened file must be the one `path` names afterwards, before
 * anything is truncated or its mode changed.
 *
 * @example
 * ```ts ignore
 * import { openPrivateFile } from "./files.ts";
 * const file = await openPrivateFile("/var/log/kubexec/audit.jsonl", "append", "audit log");
 * file.close();
 * ```
 */
export async function openPrivateFile(
  path: string,
  mode: OpenMode,
  purpose: string,
): Promise<Deno.FsFile> {
  const checkIdentity = Deno.build.os !== "windows";
  let existing: Deno.FileInfo | null = null;
  if (checkIdentity && mode !== "create-new") {
    try {
      existing = await lstatOrNull(path);
    } catch (error) {
      throw new RecordFileError(purpose, path, error);
    }
    if (existing?.isSymlink) throw new RecordFileError(purpose, path, new Error(SYMLINK_REFUSED));
  }
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, {
      write: true,
      append: mode === "append",
      // Truncated below, once the file is known to be the one the path names. A path that did
      // not exist is created exclusively, so a link planted meanwhile fails the open instead of
      // creating its target.
      create: mode !== "create-new" && !(checkIdentity && existing === null),
      createNew: mode === "create-new" || (checkIdentity && existing === null),
      mode: PRIVATE_MODE,
    });
  } catch (error) {
    throw new RecordFileError(purpose, path, error);
  }
  try {
    if (checkIdentity) {
      const info = await file.stat();
      const named = await lstatOrNull(path);
      // A symlink put in place between the check and the open: the file is not the path's.
      if (named === null || named.isSymlink || named.ino !== info.ino || named.dev !== info.dev) {
        throw new Error(SYMLINK_REFUSED);
      }
      // Devices and pipes (/dev/null, a FIFO read by a collector) keep their own mode.
      if (info.isFile && info.mode !== null && (info.mode & 0o777) !== PRIVATE_MODE) {
        await Deno.chmod(path, PRIVATE_MODE);
      }
      if (mode === "truncate" && info.isFile) await file.truncate(0);
    } else if (mode === "truncate") {
      await file.truncate(0);
    }
  } catch (error) {
    file.close();
    throw new RecordFileError(purpose, path, error);
  }
  return file;
}

const SYMLINK_REFUSED =
  "it is a symlink (recordings and audit logs are never written through one; name the file itself)";

async function lstatOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * A stream that writes each chunk to `file` at once with `write(2)` and closes the file when the
 * stream closes. (`FsFile.writable` buffers: a killed process would lose what it held.)
 *
 * @example
 * ```ts ignore
 * import { openPrivateFile, unbufferedFileSink } from "./files.ts";
 * const sink = unbufferedFileSink(await openPrivateFile("s.cast", "truncate", "recording"));
 * ```
 */
export function unbufferedFileSink(file: Deno.FsFile): WritableStream<Uint8Array> {
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    file.close();
  };
  return new WritableStream<Uint8Array>({
    async write(chunk) {
      let offset = 0;
      while (offset < chunk.length) offset += await file.write(chunk.subarray(offset));
    },
    close,
    abort: close,
  }, new CountQueuingStrategy({ highWaterMark: 1 }));
}
