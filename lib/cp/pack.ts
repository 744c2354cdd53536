/**
 * Turns a local file or directory tree into a tar stream, walking the tree lazily: one directory
 * listing and one open file at a time, bounded memory whatever the sizes, no temporary files.
 *
 * File system calls are synchronous: each is short (metadata, or one chunk from the page cache), and
 * a thread-pool round trip per call made a 1,000-file upload about four times slower.
 *
 * @module
 */
import { createTarStream, type TarWriterEntry, type TarWriterInput } from "./tar_writer.ts";

/** Options of {@linkcode packLocalPath}. */
export interface PackOptions {
  /** The member name the root gets in the archive (the remote target's base name). */
  archiveName: string;
  /** Called for things that are left out (sockets, devices, files that vanished). */
  onWarning?: (message: string) => void;
  /** Called with every body slice as it is written, with the member's name (progress, hashing). */
  onBody?: (bytes: Uint8Array, archiveName: string) => void;
  /** Called when a regular file starts. */
  onFile?: (file: { localPath: string; archiveName: string; size: number }) => void;
  /** Write sub-second mtimes (one extra PAX header per member). Default false. */
  subSecondMtime?: boolean;
  /** Output chunk size; default 128 KiB. */
  chunkSize?: number;
  /**
   * Which directories get a member of their own. `"all"` (the default) carries every directory's
   * mode and mtime. `"empty"` writes one only for empty directories, as kubectl does: the others
   * are created by tar as it extracts the files below them. Use it when extracting into a tree that
   * may exist already, where tar would give an existing directory the archive's mode, owner and
   * mtime, and would remove a file that stands where the archive has a directory; with `"empty"`,
   * tar leaves existing directories alone and fails on the members below such a file instead.
   */
  directories?: "all" | "empty";
}

const SEPARATOR = Deno.build.os === "windows" ? "\\" : "/";

function joinLocal(directory: string, name: string): string {
  return directory.endsWith(SEPARATOR) ? `${directory}${name}` : `${directory}${SEPARATOR}${name}`;
}

function baseEntry(info: Deno.FileInfo): Omit<TarWriterEntry, "name" | "type"> {
  return {
    mode: (info.mode ?? 0o644) & 0o7777,
    uid: info.uid ?? 0,
    gid: info.gid ?? 0,
    mtime: (info.mtime?.getTime() ?? 0) / 1000,
  };
}

async function* members(
  root: string,
  options: PackOptions,
): AsyncGenerator<TarWriterInput> {
  // The root is followed when it is a symlink (what a user naming it means); links below it are kept.
  const rootInfo = await Deno.stat(root);
  const seenInodes = new Map<string, string>();

  async function* visit(
    path: string,
    name: string,
    info: Deno.FileInfo,
  ): AsyncGenerator<TarWriterInput> {
    if (info.isDirectory) {
      const children: string[] = [];
      for (const child of Deno.readDirSync(path)) children.push(child.name);
      if (children.length === 0 || options.directories !== "empty") {
        yield { entry: { ...baseEntry(info), name, type: "directory" } };
      }
      children.sort();
      for (const child of children) {
        const childPath = joinLocal(path, child);
        let childInfo: Deno.FileInfo;
        try {
          childInfo = Deno.lstatSync(childPath);
        } catch (error) {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
          options.onWarning?.(`skipping ${JSON.stringify(childPath)}: it vanished during the copy`);
          continue;
        }
        yield* visit(childPath, `${name}/${child}`, childInfo);
      }
    } else if (info.isSymlink) {
      const target = Deno.readLinkSync(path);
      yield { entry: { ...baseEntry(info), name, type: "symlink", linkname: target, mode: 0o777 } };
    } else if (info.isFile) {
      const inodeKey = info.nlink !== null && info.nlink > 1 && info.ino !== null
        ? `${info.dev}:${info.ino}`
        : undefined;
      const firstName = inodeKey === undefined ? undefined : seenInodes.get(inodeKey);
      if (firstName !== undefined) {
        yield { entry: { ...baseEntry(info), name, type: "hardlink", linkname: firstName } };
        return;
      }
      if (inodeKey !== undefined) seenInodes.set(inodeKey, name);
      const file = Deno.openSync(path, { read: true });
      try {
        // Size as of opening: a file that grows meanwhile is copied up to this size.
        const size = file.statSync().size;
        options.onFile?.({ localPath: path, archiveName: name, size });
        const onBody = options.onBody;
        yield {
          entry: { ...baseEntry(info), name, type: "file", size },
          body: { read: (buffer: Uint8Array) => Promise.resolve(file.readSync(buffer)) },
          onBody: onBody === undefined ? undefined : (bytes) => onBody(bytes, name),
        };
      } finally {
        file.close();
      }
    } else {
      options.onWarning?.(
        `skipping ${JSON.stringify(path)}: not a regular file, directory or symlink`,
      );
    }
  }

  yield* visit(root, options.archiveName, rootInfo);
}

/**
 * Streams `localPath` (a file, or a directory and everything below it) as a tar archive whose root
 * member is named `options.archiveName`. Symlinks below the root are archived as links, hard-linked
 * files once plus link members, sockets and devices skipped with a warning.
 *
 * @example
 * ```ts
 * import { packLocalPath } from "./pack.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "hi");
 * const archive = packLocalPath(dir, { archiveName: "site" });
 * await new Response(archive).arrayBuffer();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function packLocalPath(localPath: string, options: PackOptions): ReadableStream<Uint8Array> {
  return createTarStream(members(localPath, options), {
    subSecondMtime: options.subSecondMtime,
    chunkSize: options.chunkSize,
  });
}

/**
 * Counts the regular files and their bytes below `localPath` (for a progress total), without reading
 * file contents. Follows the root like {@linkcode packLocalPath}.
 *
 * @example
 * ```ts
 * import { measureLocalPath } from "./pack.ts";
 * const dir = await Deno.makeTempDir();
 * (await measureLocalPath(dir)).files; // 0
 * await Deno.remove(dir);
 * ```
 */
export async function measureLocalPath(
  localPath: string,
): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const pending: Array<{ path: string; info: Deno.FileInfo }> = [{
    path: localPath,
    info: await Deno.stat(localPath),
  }];
  while (pending.length > 0) {
    const { path, info } = pending.pop()!;
    if (info.isFile) {
      files++;
      bytes += info.size;
    } else if (info.isDirectory) {
      for await (const child of Deno.readDir(path)) {
        const childPath = joinLocal(path, child.name);
        try {
          pending.push({ path: childPath, info: await Deno.lstat(childPath) });
        } catch (error) {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        }
      }
    }
  }
  return { files, bytes };
}
