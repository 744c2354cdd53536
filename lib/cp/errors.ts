/**
 * The named errors of the cp part. Each carries the facts a user-facing message needs, so the CLI can
 * render one line (and a hint where useful) without parsing message text.
 *
 * @module
 */

/**
 * A tar archive is malformed: bad checksum, truncated header or body, unparsable numeric field,
 * oversized extended header, missing end-of-archive marker.
 *
 * @example
 * ```ts
 * import { TarFormatError } from "./errors.ts";
 * const error = new TarFormatError("unexpected end of archive", 1024);
 * error.name; // "TarFormatError"
 * ```
 */
export class TarFormatError extends Error {
  override name = "TarFormatError";
  /** Byte offset in the archive where the problem was found. */
  readonly offset: number;
  /** Creates the error; `offset` is the archive byte offset of the problem. */
  constructor(message: string, offset: number) {
    super(`malformed tar archive at byte ${offset}: ${message}`);
    this.offset = offset;
  }
}

/**
 * Writing an archive failed: an entry does not fit the format, a body was shorter or longer than the
 * declared size, or a local file changed while it was read.
 *
 * @example
 * ```ts
 * import { TarWriteError } from "./errors.ts";
 * const error = new TarWriteError("data/log.txt", "file shrank while being read");
 * error.name; // "TarWriteError"
 * ```
 */
export class TarWriteError extends Error {
  override name = "TarWriteError";
  /** The archive (or local) path of the entry concerned. */
  readonly path: string;
  /** Creates the error for the entry at `path`. */
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.path = path;
  }
}

/**
 * Extraction stopped: an entry conflicts with what is on disk (for example a file where the archive
 * needs a directory), the destination is unusable, or an archive-wide rule was broken.
 *
 * @example
 * ```ts
 * import { ExtractError } from "./errors.ts";
 * const error = new ExtractError("logs/a", "a file exists where the archive has a directory");
 * error.name; // "ExtractError"
 * ```
 */
export class ExtractError extends Error {
  override name = "ExtractError";
  /** The entry or local path concerned. */
  readonly path: string;
  /** Creates the error for `path`. */
  constructor(path: string, reason: string) {
    super(`cannot extract ${JSON.stringify(path)}: ${reason}`);
    this.path = path;
  }
}

/**
 * Writing a copied file locally failed (a full disk, a quota, a read-only file system); worded as
 * kubectl's `write PATH: no space left on device`.
 *
 * @example
 * ```ts
 * import { LocalWriteError } from "./errors.ts";
 * new LocalWriteError("/tmp/x", "no space left on device").message;
 * // "write /tmp/x: no space left on device"
 * ```
 */
export class LocalWriteError extends Error {
  override name = "LocalWriteError";
  /** The local file being written. */
  readonly path: string;
  /** Creates the error for `path`. */
  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(`write ${path}: ${reason}`, options);
    this.path = path;
  }
}

/**
 * A configured extraction limit (entry size, total size, entry count) was exceeded.
 *
 * @example
 * ```ts
 * import { ExtractLimitError } from "./errors.ts";
 * const error = new ExtractLimitError("maxEntrySize", 1024, 4096, "big.bin");
 * error.name; // "ExtractLimitError"
 * ```
 */
export class ExtractLimitError extends Error {
  override name = "ExtractLimitError";
  /** The option whose limit was hit. */
  readonly limit: "maxEntrySize" | "maxTotalSize" | "maxEntries";
  /** The configured limit. */
  readonly allowed: number;
  /** The value that exceeded it. */
  readonly actual: number;
  /** Creates the error; `path` names the entry that crossed the limit. */
  constructor(
    limit: "maxEntrySize" | "maxTotalSize" | "maxEntries",
    allowed: number,
    actual: number,
    path: string,
  ) {
    super(`archive exceeds ${limit} (${actual} > ${allowed}) at ${JSON.stringify(path)}`);
    this.limit = limit;
    this.allowed = allowed;
    this.actual = actual;
  }
}

/**
 * An argument does not match `[[namespace/]pod:]file/path`, or the pair of arguments is not one local
 * and one remote path. Messages are kubectl's.
 *
 * @example
 * ```ts
 * import { FileSpecError } from "./errors.ts";
 * const error = new FileSpecError("filepath can not be empty");
 * error.name; // "FileSpecError"
 * ```
 */
export class FileSpecError extends Error {
  override name = "FileSpecError";
}

/**
 * The remote command ran and exited non-zero. The message is kubectl's
 * (`command terminated with exit code N`); the CLI exits with {@linkcode exitCode}.
 *
 * @example
 * ```ts
 * import { RemoteCommandError } from "./errors.ts";
 * const error = new RemoteCommandError(["tar", "cf", "-", "/x"], 2, "tar: /x: Cannot stat");
 * error.name; // "RemoteCommandError"
 * ```
 */
export class RemoteCommandError extends Error {
  override name = "RemoteCommandError";
  /** The command that failed. */
  readonly command: string[];
  /** Its exit code. */
  readonly exitCode: number;
  /** The last lines of its stderr (already passed to the warn callback), for hints. */
  readonly stderrTail: string;
  /** Creates the error for `command` exiting with `exitCode`. */
  constructor(command: string[], exitCode: number, stderrTail = "") {
    super(`command terminated with exit code ${exitCode}`);
    this.command = command;
    this.exitCode = exitCode;
    this.stderrTail = stderrTail;
  }
}

/**
 * A tool cp needs (`tar`, or `cat`/`sh` for the single-file fallback) is missing in the container.
 * {@linkcode hint} says what still works.
 *
 * @example
 * ```ts
 * import { RemoteToolMissingError } from "./errors.ts";
 * const error = new RemoteToolMissingError("tar", "only single files can be copied without tar");
 * error.name; // "RemoteToolMissingError"
 * ```
 */
export class RemoteToolMissingError extends Error {
  override name = "RemoteToolMissingError";
  /** The executable that was not found. */
  readonly tool: string;
  /** What the user can do about it. */
  readonly hint: string;
  /** Creates the error for the missing `tool`. */
  constructor(tool: string, hint: string) {
    super(`${JSON.stringify(tool)} not found in the container`);
    this.tool = tool;
    this.hint = hint;
  }
}

/**
 * The copy completed but the result does not match the source (sha256 or byte count differ).
 *
 * @example
 * ```ts
 * import { VerificationError } from "./errors.ts";
 * const error = new VerificationError("/data/x", "sha256", "ab…", "cd…");
 * error.name; // "VerificationError"
 * ```
 */
export class VerificationError extends Error {
  override name = "VerificationError";
  /** The path that failed verification. */
  readonly path: string;
  /** What was compared. */
  readonly check: "sha256" | "size";
  /** The value on the source side. */
  readonly expected: string;
  /** The value on the destination side. */
  readonly actual: string;
  /** Creates the error for `path`. */
  constructor(path: string, check: "sha256" | "size", expected: string, actual: string) {
    super(
      `verification failed for ${
        JSON.stringify(path)
      }: ${check} ${actual} does not match the source's ${expected}`,
    );
    this.path = path;
    this.check = check;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * The file changed in the container while a resumed download copied it: its sha256 when the
 * copy began differs from its sha256 at the end, so the local file may hold parts of both.
 *
 * @example
 * ```ts
 * import { SourceChangedError } from "./errors.ts";
 * new SourceChangedError("/var/log/app.log", "aa", "bb").name; // "SourceChangedError"
 * ```
 */
export class SourceChangedError extends Error {
  override name = "SourceChangedError";
  /** The remote path. */
  readonly path: string;
  /** Creates the error for `path`, with its digest at the start and at the end. */
  constructor(path: string, before: string, after: string) {
    super(
      `${JSON.stringify(path)} changed in the container during the copy (sha256 ${before} when ` +
        `it began, ${after} at the end); the local file may hold parts of both`,
    );
    this.path = path;
  }
}
