/**
 * The local file a download writes when the user named it on the command line
 * (`cp pod:/etc/app.conf ./app.conf`).
 *
 * Paths that come from the archive are never written through a symlink and what is in their way
 * is replaced (lib/cp/extract.ts). The path the user typed is different: the user chose it, and
 * kubectl (Go's `os.Create`) and cp(1) write to it as it is — an existing file is truncated in place
 * (its inode, hard links and owner kept), a symlink the user made is followed to its file, and a
 * FIFO or a device is written to, never unlinked (which, for a user running as root and a
 * destination such as `/dev/null`, would replace the device with a regular file). Only a dangling
 * symlink is not followed: it is replaced, as cp(1) refuses to create a file through one.
 *
 * @module
 */

/** A named destination, opened for writing. */
export interface NamedDestination {
  /** The open file; the caller closes it. */
  readonly file: Deno.FsFile;
  /** Whether this open created the file, so that a failed copy may remove it again. */
  readonly created: boolean;
  /**
   * Whether it is a regular file, to which modes and mtimes may be applied (not a FIFO, a terminal
   * or a device).
   */
  readonly regular: boolean;
}

/**
 * A destination that is not a path kubexec opens but an output the process already has: the
 * command line hands its stdout over for `/dev/stdout` (and stderr for `/dev/stderr`), paths
 * Deno keeps from kubexec's scoped permissions. The file written there keeps no mode or mtime.
 *
 * @example
 * ```ts
 * import type { OutputDestination } from "./destination.ts";
 * const chunks: Uint8Array[] = [];
 * const output: OutputDestination = { write: async (bytes) => void chunks.push(bytes.slice()) };
 * await output.write(new TextEncoder().encode("hello\n"));
 * ```
 */
export interface OutputDestination {
  /** Writes all of `bytes`; settles once `bytes` may be reused, rejects when the output fails. */
  write(bytes: Uint8Array): Promise<void>;
}

/** Options of {@linkcode openNamedDestination}. */
export interface NamedDestinationOptions {
  /**
   * The directory `path` is in, created (with its parents) when the file cannot be created for
   * its absence, as kubectl does. Only then: a parent Deno keeps from scoped permissions (`/dev/fd`
   * of `cp POD:FILE >(cmd)`) is never touched when it exists.
   */
  parent?: string;
}

/**
 * Opens `path`, the destination the user named for one downloaded file, for writing: truncates
 * what exists (through the user's symlink), creates what does not with `mode` (before the umask),
 * and replaces a dangling symlink. A directory at `path` fails with `Deno.errors.IsADirectory`.
 *
 * Asynchronous on purpose: opening a FIFO for writing waits for its reader.
 *
 * @example
 * ```ts
 * import { openNamedDestination } from "./destination.ts";
 * const path = await Deno.makeTempFile();
 * const destination = await openNamedDestination(path, 0o666);
 * destination.created; // false: it existed, and was truncated
 * destination.file.close();
 * await Deno.remove(path);
 * ```
 */
export async function openNamedDestination(
  path: string,
  mode: number,
  options: NamedDestinationOptions = {},
): Promise<NamedDestination> {
  try {
    const file = await Deno.open(path, { write: true, truncate: true });
    try {
      return { file, created: false, regular: (await file.stat()).isFile };
    } catch (error) {
      file.close();
      throw error;
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const create = { write: true, createNew: true, mode };
  try {
    return { file: await Deno.open(path, create), created: true, regular: true };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && options.parent) {
      await Deno.mkdir(options.parent, { recursive: true });
      return { file: await Deno.open(path, create), created: true, regular: true };
    }
    // NotFound through the path, AlreadyExists with O_EXCL: a symlink to nothing is there.
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  await Deno.remove(path);
  return { file: await Deno.open(path, create), created: true, regular: true };
}
