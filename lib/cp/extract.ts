/**
 * Safe extraction of a tar stream into a local destination, the kubectl cp download side done right.
 *
 * Rules (each a past kubectl CVE or bug — PEERS.md 2f):
 * - Every member path is resolved under the destination. Absolute names and names with a `..`
 *   component are skipped with kubectl's warning (`file "…" is outside target destination, skipping`);
 *   members outside the expected remote prefix fail the copy with kubectl's `tar contents corrupted`.
 * - Symlinks are never followed when writing: each parent component is checked with `lstat` and must be
 *   a real directory (members below a symlink are skipped with a warning), files are created with
 *   `O_EXCL` after unlinking what was there, so not even a last-component symlink is written through.
 *   The one exception is the single file the user named as the destination, which is written the
 *   way kubectl and cp(1) write it: through the user's own symlink, into a FIFO or device, an
 *   existing file truncated in place (lib/cp/destination.ts).
 * - Symlink members are created only when their target stays inside the destination: relative, any
 *   `..` only at the start and not climbing above the destination, and not passing through a symlink
 *   that this extraction did not create. Others are skipped with a warning.
 * - Hard links are created only to regular files inside the destination.
 * - A member that would replace a directory with a non-directory, or needs a directory where a file is,
 *   fails the copy ({@linkcode ExtractError}); sockets, devices, FIFOs and sparse files are skipped.
 * - Modes (permission bits only, never setuid/setgid/sticky, and less the process's umask, as GNU
 *   tar applies them for a user who is not root) and mtimes are applied unless `preserve: false`;
 *   directory modes and mtimes are applied at the end so that read-only directories can still be
 *   filled. A directory that already existed (the destination, or one inside it) keeps its own:
 *   an archive from a pod must not open up a directory the user had.
 * - Optional limits on member size, total size and member count.
 *
 * File system calls are synchronous: each is short (metadata, or one chunk into the page cache), and
 * a thread-pool round trip per call made a 1,000-file download several times slower.
 *
 * @module
 */
import { openNamedDestination, type OutputDestination } from "./destination.ts";
import { ExtractError, ExtractLimitError, LocalWriteError } from "./errors.ts";
import { goReason } from "../fs_errors.ts";
import { type Sha256, sha256 } from "./sha256.ts";
import type { TarHeader } from "./tar_format.ts";
import { readTar, type TarSource } from "./tar_reader.ts";

/** Progress of an extraction. */
export interface ExtractProgress {
  /** Body bytes written so far. */
  bytes: number;
  /**
   * The bytes the whole copy will write, when known: a single file's size. A tree's total is not
   * known from its archive, so it is left out rather than given as the current member's size.
   */
  total?: number;
  /** Local path of the file being written. */
  file?: string;
}

/** Options of {@linkcode extractTar}. */
export interface ExtractOptions {
  /**
   * The archive path every member must be under (the remote source path as tar names it, without the
   * leading `/`); it is replaced by the destination. Empty: members map directly under the destination.
   */
  prefix?: string;
  /** Apply modes and mtimes from the archive; default true. */
  preserve?: boolean;
  /** When the archive is a single file and the destination is an existing directory, write into it. */
  fileIntoExistingDirectory?: boolean;
  /**
   * The destination is this output, not a path (`/dev/stdout`, see {@linkcode OutputDestination}):
   * a root file is written to it; a root directory fails with {@linkcode ExtractError}, as a
   * destination that is not a directory does.
   */
  output?: OutputDestination;
  /**
   * A root member that is a symlink cannot be placed safely (its target is unknown locally): `"warn"`
   * (default) skips it with a warning, `"report"` skips it silently and sets `rootSymlink` in the result
   * so the caller can fetch the target instead.
   */
  rootSymlink?: "warn" | "report";
  /** Called when the root member turns out to be a regular file, before its body is written. */
  onRootFile?: (header: TarHeader) => void;
  /** Compute the sha256 of the root member when it is a regular file (single-file verification). */
  hashRootFile?: boolean;
  /** Largest accepted member body, in bytes. */
  maxEntrySize?: number;
  /** Largest accepted sum of member bodies, in bytes. */
  maxTotalSize?: number;
  /** Largest accepted number of members. */
  maxEntries?: number;
  /** Receives each skipped member's explanation (no `warning: ` prefix). */
  onWarning?: (message: string) => void;
  /** Receives progress after every written piece. */
  onProgress?: (progress: ExtractProgress) => void;
}

/** What an extraction did. */
export interface ExtractResult {
  /** Regular files written (hard links included). */
  files: number;
  directories: number;
  symlinks: number;
  /** Body bytes written. */
  bytes: number;
  /** Warnings, in order (members skipped). */
  warnings: string[];
  /** Set when the root member was a regular file: where it went, its size and (if asked) sha256. */
  rootFile?: { path: string; size: number; sha256?: string };
  /** The link target when the root member was a symlink and `rootSymlink: "report"` was asked. */
  rootSymlink?: string;
}

const SEPARATOR = Deno.build.os === "windows" ? "\\" : "/";
/** Windows has no POSIX permission bits (Deno.chmod throws there). */
const SUPPORTS_CHMOD = Deno.build.os !== "windows";
const NAME_SPLIT = Deno.build.os === "windows" ? /[\\/]/ : /\//;

function components(name: string): string[] {
  return name.split(NAME_SPLIT).filter((part) => part !== "" && part !== ".");
}

function isAbsoluteName(name: string): boolean {
  return name.startsWith("/") || name.startsWith("\\") || /^[A-Za-z]:[\\/]/.test(name);
}

function join(base: string, parts: string[]): string {
  if (parts.length === 0) return base;
  const trimmed = base.endsWith(SEPARATOR) ? base.slice(0, -1) : base;
  return `${trimmed}${SEPARATOR}${parts.join(SEPARATOR)}`;
}

/** The directory holding `path` (`.` for a bare name). */
function dirname(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf(SEPARATOR));
  return cut < 0 ? "." : cut === 0 ? path.slice(0, 1) : path.slice(0, cut);
}

function lstatOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** Outcome of mapping a member name onto the destination. */
type Mapped = { kind: "inside"; parts: string[] } | { kind: "outside"; shown: string };

class Extraction {
  readonly #options: ExtractOptions;
  readonly #prefix: string[];
  readonly #preserve: boolean;
  /** The destination as given; becomes its real path once it exists. */
  #root: string;
  #rootReady = false;
  /** Whether this extraction created the destination directory (else its mode and mtime are kept). */
  #rootCreated = false;
  /** Relative paths (joined with "/") known to be real directories. */
  readonly #directories = new Set<string>();
  /** Relative paths of symlinks this extraction created. */
  readonly #createdSymlinks = new Set<string>();
  /** Relative paths of directories this extraction created (parents made for members included). */
  readonly #createdDirectories = new Set<string>();
  /** Directory modes and mtimes to apply at the end, deepest last. */
  readonly #deferredDirectories: Array<{ path: string; mode: number; mtime: number }> = [];
  /** When the root member is a file written into an existing directory: its new relative name. */
  #rootRename: string[] | undefined;
  readonly result: ExtractResult = {
    files: 0,
    directories: 0,
    symlinks: 0,
    bytes: 0,
    warnings: [],
  };
  #members = 0;
  #declaredTotal = 0;
  /** The process's umask, once learnt (see {@linkcode Extraction.#umask}). */
  #umaskBits: number | undefined;

  constructor(destination: string, options: ExtractOptions) {
    const trimmed = destination.replace(/[\\/]+$/, "");
    this.#root = trimmed === "" ? destination.slice(0, 1) : trimmed;
    this.#options = options;
    this.#prefix = components(options.prefix ?? "");
    this.#preserve = options.preserve ?? true;
  }

  warn(message: string): void {
    this.result.warnings.push(message);
    this.#options.onWarning?.(message);
  }

  map(name: string): Mapped {
    const shownOutside = (parts: string[]) => ({
      kind: "outside" as const,
      shown: join(this.#root, parts),
    });
    // Shown as named: joined to the destination it would read as a path inside it.
    if (isAbsoluteName(name)) return { kind: "outside", shown: name };
    const parts = components(name);
    const underPrefix = this.#prefix.every((part, index) => parts[index] === part);
    if (!underPrefix) {
      throw new ExtractError(
        name,
        `tar contents corrupted (member is not under ${JSON.stringify(this.#prefix.join("/"))})`,
      );
    }
    const rest = parts.slice(this.#prefix.length);
    if (rest.includes("..")) return shownOutside(rest);
    if (this.#rootRename !== undefined) {
      return { kind: "inside", parts: [...this.#rootRename, ...rest] };
    }
    return { kind: "inside", parts: rest };
  }

  checkLimits(header: TarHeader): void {
    const { maxEntries, maxEntrySize, maxTotalSize } = this.#options;
    this.#members++;
    if (maxEntries !== undefined && this.#members > maxEntries) {
      throw new ExtractLimitError("maxEntries", maxEntries, this.#members, header.name);
    }
    if (maxEntrySize !== undefined && header.size > maxEntrySize) {
      throw new ExtractLimitError("maxEntrySize", maxEntrySize, header.size, header.name);
    }
    this.#declaredTotal += header.size;
    if (maxTotalSize !== undefined && this.#declaredTotal > maxTotalSize) {
      throw new ExtractLimitError("maxTotalSize", maxTotalSize, this.#declaredTotal, header.name);
    }
  }

  /** Makes sure the destination directory exists and pins it to its real path. */
  async prepareRootDirectory(): Promise<void> {
    if (this.#rootReady) return;
    if (this.#options.output) {
      throw new ExtractError(this.#root, "the destination exists and is not a directory");
    }
    const info = lstatOrNull(this.#root);
    if (info === null) {
      await Deno.mkdir(this.#root, { recursive: true });
      this.#rootCreated = true;
    } else if (
      !info.isDirectory && !(info.isSymlink && (await Deno.stat(this.#root)).isDirectory)
    ) {
      throw new ExtractError(this.#root, "the destination exists and is not a directory");
    }
    // The destination itself may be a symlink the user chose; below it, nothing is followed.
    this.#root = await Deno.realPath(this.#root);
    this.#rootReady = true;
  }

  /**
   * Ensures every parent of `parts` is a real directory, creating missing ones. Returns false (after a
   * warning) when one is a symlink.
   */
  async prepareParents(parts: string[], name: string): Promise<boolean> {
    await this.prepareRootDirectory();
    for (let depth = 1; depth < parts.length; depth++) {
      const relative = parts.slice(0, depth);
      const key = relative.join("/");
      if (this.#directories.has(key)) continue;
      const path = join(this.#root, relative);
      const info = lstatOrNull(path);
      if (info === null) {
        Deno.mkdirSync(path, { mode: 0o755 });
        this.#createdDirectories.add(key);
      } else if (info.isSymlink) {
        this.warn(
          `skipping ${JSON.stringify(name)}: ${JSON.stringify(path)} is a symlink, not followed`,
        );
        return false;
      } else if (!info.isDirectory) {
        throw new ExtractError(
          name,
          `${JSON.stringify(path)} is a file where the archive needs a directory`,
        );
      }
      this.#directories.add(key);
    }
    return true;
  }

  /** Removes what is at `path` so a non-directory can be created there; directories are refused. */
  clearForNonDirectory(path: string, name: string): void {
    const info = lstatOrNull(path);
    if (info === null) return;
    if (info.isDirectory) {
      throw new ExtractError(
        name,
        `${JSON.stringify(path)} is a directory where the archive has a non-directory`,
      );
    }
    Deno.removeSync(path);
  }

  async directory(header: TarHeader, parts: string[]): Promise<void> {
    if (parts.length === 0) {
      await this.prepareRootDirectory();
      // Merging into a directory the user already had must not change its mode (think of ".").
      if (this.#rootCreated) this.#deferDirectory(this.#root, header);
      this.result.directories++;
      return;
    }
    if (!(await this.prepareParents(parts, header.name))) return;
    const key = parts.join("/");
    const path = join(this.#root, parts);
    let created = false;
    if (!this.#directories.has(key)) {
      const info = lstatOrNull(path);
      if (info === null) {
        Deno.mkdirSync(path, { mode: this.#preserve ? 0o700 : 0o755 });
        created = true;
      } else if (info.isSymlink) {
        this.warn(
          `skipping ${JSON.stringify(header.name)}: ${
            JSON.stringify(path)
          } is a symlink, not followed`,
        );
        return;
      } else if (!info.isDirectory) {
        throw new ExtractError(
          header.name,
          `${JSON.stringify(path)} is a file where the archive has a directory`,
        );
      }
      this.#directories.add(key);
    }
    // Only a directory this extraction made takes the archive's mode and mtime.
    if (created || this.#createdDirectories.has(key)) this.#deferDirectory(path, header);
    if (created) this.#createdDirectories.add(key);
    this.result.directories++;
  }

  #deferDirectory(path: string, header: TarHeader): void {
    if (this.#preserve) {
      this.#deferredDirectories.push({ path, mode: header.mode & 0o777, mtime: header.mtime });
    }
  }

  /**
   * The process's umask, learnt once from a directory created for the purpose in `directory`
   * (`Deno.umask` needs a permission the binary does not hold); 022 if that fails.
   */
  #umask(directory: string): number {
    if (this.#umaskBits !== undefined) return this.#umaskBits;
    const probe = `${directory}/.kubexec-umask-${crypto.randomUUID()}`;
    try {
      Deno.mkdirSync(probe, { mode: 0o777 });
      this.#umaskBits = ~(Deno.lstatSync(probe).mode ?? 0o755) & 0o777;
    } catch {
      this.#umaskBits = 0o022;
    } finally {
      try {
        Deno.removeSync(probe);
      } catch {
        // Never created.
      }
    }
    return this.#umaskBits;
  }

  async #fileTarget(header: TarHeader, parts: string[]): Promise<string[] | null> {
    if (parts.length === 0) {
      if (this.#options.output) return [];
      const info = lstatOrNull(this.#root);
      if (info !== null && this.#options.fileIntoExistingDirectory) {
        const isDirectory = info.isDirectory ||
          (info.isSymlink && (await Deno.stat(this.#root)).isDirectory);
        if (isDirectory) {
          const base = components(header.name).pop() ?? "file";
          this.#rootRename = [base];
          await this.prepareRootDirectory();
          return [base];
        }
      }
      // The destination is the file itself; a missing parent is created when it is opened.
      return [];
    }
    return (await this.prepareParents(parts, header.name)) ? parts : null;
  }

  async file(
    header: TarHeader,
    parts: string[],
    read: () => Promise<Uint8Array | null>,
  ): Promise<void> {
    const target = await this.#fileTarget(header, parts);
    if (target === null) return;
    const path = join(this.#root, target);
    const isRoot = parts.length === 0;
    if (isRoot) this.#options.onRootFile?.(header);
    const hash = isRoot && this.#options.hashRootFile ? await sha256() : undefined;
    // Only a single file's size is the whole copy's.
    const total = isRoot ? header.size : undefined;
    // The path the user named is written the way kubectl writes it (lib/cp/destination.ts);
    // every other path is created fresh, never through what was there.
    const named = isRoot && target.length === 0;
    const output = named ? this.#options.output : undefined;
    if (output) {
      const written = await this.#writeBody(read, output, path, total, hash);
      this.result.files++;
      this.result.rootFile = { path, size: written, sha256: hash?.digest() };
      return;
    }
    const { file, regular } = named
      ? await this.#openNamed(path, header.name)
      : { file: this.#createFile(path, header.name), regular: true };
    const preserve = this.#preserve && regular;
    let written = 0;
    try {
      written = await this.#writeBody(read, file, path, total, hash);
      // Through the open descriptor: no path to resolve again.
      if (preserve) file.utimeSync(header.mtime, header.mtime);
    } finally {
      file.close();
    }
    if (preserve && SUPPORTS_CHMOD) {
      Deno.chmodSync(path, header.mode & 0o777 & ~this.#umask(dirname(path)));
    }
    this.result.files++;
    if (isRoot) this.result.rootFile = { path, size: written, sha256: hash?.digest() };
  }

  /**
   * Writes a member's body to `file` (synchronously, see the module documentation) or to an
   * output, hashing and reporting progress as it goes; returns the bytes written.
   */
  async #writeBody(
    read: () => Promise<Uint8Array | null>,
    to: Deno.FsFile | OutputDestination,
    path: string,
    total: number | undefined,
    hash: Sha256 | undefined,
  ): Promise<number> {
    let written = 0;
    for (let value = await read(); value !== null; value = await read()) {
      try {
        if ("writeSync" in to) {
          let offset = 0;
          while (offset < value.length) offset += to.writeSync(value.subarray(offset));
        } else await to.write(value);
      } catch (error) {
        // A reader that went away (`cp POD:f /dev/stdout | head`) keeps its own meaning.
        if (error instanceof Deno.errors.BrokenPipe) throw error;
        throw new LocalWriteError(path, goReason(error), { cause: error });
      }
      hash?.update(value);
      written += value.length;
      this.result.bytes += value.length;
      this.#options.onProgress?.({ bytes: this.result.bytes, total, file: path });
    }
    return written;
  }

  async #openNamed(path: string, name: string): Promise<{ file: Deno.FsFile; regular: boolean }> {
    try {
      // A missing parent is created, as kubectl does.
      const parent = path.slice(0, Math.max(0, path.lastIndexOf(SEPARATOR)));
      return await openNamedDestination(path, this.#preserve ? 0o600 : 0o666, {
        parent: parent === "" ? undefined : parent,
      });
    } catch (error) {
      if (!(error instanceof Deno.errors.IsADirectory)) throw error;
      throw new ExtractError(
        name,
        `${JSON.stringify(path)} is a directory where the archive has a non-directory`,
      );
    }
  }

  /**
   * Creates the file at `path` with `O_CREAT | O_EXCL`, which never follows a symlink there. Only
   * when something already exists is it looked at (and removed, unless it is a directory): a
   * fresh destination costs one `open` per file instead of a failing `lstat` and an `open`.
   */
  #createFile(path: string, name: string): Deno.FsFile {
    const options = { write: true, createNew: true, mode: this.#preserve ? 0o600 : 0o666 };
    try {
      return Deno.openSync(path, options);
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    this.clearForNonDirectory(path, name);
    return Deno.openSync(path, options);
  }

  async symlink(header: TarHeader, parts: string[]): Promise<void> {
    const shown = JSON.stringify(join(this.#root, parts));
    const target = header.linkname;
    if (parts.length === 0 && this.#options.rootSymlink === "report") {
      this.result.rootSymlink = target;
      return;
    }
    const reason = parts.length === 0
      ? "the copied path itself is a symlink"
      : this.#symlinkEscape(target, parts);
    if (reason !== undefined) {
      this.warn(`skipping symlink: ${shown} -> ${JSON.stringify(target)} (${reason})`);
      return;
    }
    if (!(await this.prepareParents(parts, header.name))) return;
    const path = join(this.#root, parts);
    this.clearForNonDirectory(path, header.name);
    Deno.symlinkSync(target, path);
    this.#createdSymlinks.add(parts.join("/"));
    this.result.symlinks++;
  }

  /** Why a symlink to `target` placed at `parts` could lead outside the destination, if it could. */
  #symlinkEscape(target: string, parts: string[]): string | undefined {
    if (target === "" || isAbsoluteName(target)) return "it points outside the destination";
    const targetParts = components(target);
    const ups = targetParts.findIndex((part) => part !== "..");
    const leading = ups === -1 ? targetParts.length : ups;
    if (targetParts.slice(leading).includes("..")) {
      return "its target climbs through other paths, which cannot be checked";
    }
    const parentDepth = parts.length - 1;
    if (leading > parentDepth) return "it points outside the destination";
    const resolved = [...parts.slice(0, parentDepth - leading), ...targetParts.slice(leading)];
    for (let depth = 1; depth <= resolved.length; depth++) {
      const key = resolved.slice(0, depth).join("/");
      if (this.#createdSymlinks.has(key) || this.#directories.has(key)) continue;
      const info = lstatOrNull(join(this.#root, resolved.slice(0, depth)));
      if (info === null) break;
      if (info.isSymlink) return "its target passes through a symlink that was already there";
    }
    return undefined;
  }

  async hardlink(header: TarHeader, parts: string[]): Promise<void> {
    const shown = JSON.stringify(join(this.#root, parts));
    const mappedSource = isAbsoluteName(header.linkname)
      ? undefined
      : this.#mapLinkSource(header.linkname);
    if (mappedSource === undefined) {
      this.warn(
        `skipping hard link: ${shown} -> ${
          JSON.stringify(header.linkname)
        } (it points outside the destination)`,
      );
      return;
    }
    for (let depth = 1; depth < mappedSource.length; depth++) {
      if (!this.#directories.has(mappedSource.slice(0, depth).join("/"))) {
        this.warn(
          `skipping hard link: ${shown} -> ${
            JSON.stringify(header.linkname)
          } (its target was not extracted)`,
        );
        return;
      }
    }
    const sourcePath = join(this.#root, mappedSource);
    const sourceInfo = mappedSource.length === 0 ? null : lstatOrNull(sourcePath);
    if (sourceInfo === null || !sourceInfo.isFile) {
      this.warn(
        `skipping hard link: ${shown} -> ${
          JSON.stringify(header.linkname)
        } (its target is not a regular file)`,
      );
      return;
    }
    if (!(await this.prepareParents(parts, header.name))) return;
    const path = join(this.#root, parts);
    this.clearForNonDirectory(path, header.name);
    Deno.linkSync(sourcePath, path);
    this.result.files++;
  }

  #mapLinkSource(linkname: string): string[] | undefined {
    const parts = components(linkname);
    if (!this.#prefix.every((part, index) => parts[index] === part)) return undefined;
    const rest = parts.slice(this.#prefix.length);
    if (rest.includes("..")) return undefined;
    return this.#rootRename !== undefined ? [...this.#rootRename, ...rest] : rest;
  }

  async finish(): Promise<void> {
    // Deepest first, so setting a parent's mtime is not undone by touching its children.
    for (const { path, mode, mtime } of this.#deferredDirectories.reverse()) {
      if (SUPPORTS_CHMOD) await Deno.chmod(path, mode & ~this.#umask(this.#root));
      await Deno.utime(path, mtime, mtime);
    }
  }
}

/**
 * Extracts the tar archive in `source` under `destination` following the rules in the module doc.
 * `destination` names the copied root: a directory root is created there (or merged into an existing
 * directory), a file root is written there (or into it with `fileIntoExistingDirectory`).
 *
 * Throws {@linkcode TarFormatError} for malformed input, {@linkcode ExtractError} for conflicts and
 * members outside the prefix, {@linkcode ExtractLimitError} when a limit is exceeded. The source is
 * cancelled on failure, which tells its producer to stop. Every chunk of the source is done with
 * (written, hashed) before the next is read, so its producer may reuse buffers (`handoff.ts`).
 *
 * @example
 * ```ts
 * import { extractTar } from "./extract.ts";
 * import { packLocalPath } from "./pack.ts";
 * const from = await Deno.makeTempDir();
 * const to = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${from}/a.txt`, "hi");
 * const result = await extractTar(packLocalPath(from, { archiveName: "site" }), `${to}/site`, {
 *   prefix: "site",
 * });
 * result.files; // 1
 * await Deno.remove(from, { recursive: true });
 * await Deno.remove(to, { recursive: true });
 * ```
 */
export async function extractTar(
  source: TarSource,
  destination: string,
  options: ExtractOptions = {},
): Promise<ExtractResult> {
  const extraction = new Extraction(destination, options);
  for await (const { header, read } of readTar(source)) {
    extraction.checkLimits(header);
    const mapped = extraction.map(header.name);
    if (mapped.kind === "outside") {
      extraction.warn(
        `file ${JSON.stringify(mapped.shown)} is outside target destination, skipping`,
      );
      continue;
    }
    switch (header.type) {
      case "directory":
        await extraction.directory(header, mapped.parts);
        break;
      case "file":
        await extraction.file(header, mapped.parts, read);
        break;
      case "symlink":
        await extraction.symlink(header, mapped.parts);
        break;
      case "hardlink":
        await extraction.hardlink(header, mapped.parts);
        break;
      default:
        extraction.warn(
          `skipping ${JSON.stringify(header.name)}: unsupported member type ${
            JSON.stringify(header.typeFlag)
          }`,
        );
    }
  }
  await extraction.finish();
  return extraction.result;
}
