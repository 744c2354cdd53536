/**
 * kubectl cp over an injected {@linkcode RemoteExec}: upload streams a tar of the local tree into the
 * container's `tar`, download streams the container's `tar cf -` into the safe extractor, with resume
 * (`--retries`), verification, a `cat` fallback when the container has no `tar`, progress and a summary.
 *
 * Remote commands (kubectl's, with the differences noted):
 * - upload: `test -d DEST` (exit 0 ⇒ the target is `DEST/<local base name>`, else `DEST` itself), then
 *   `tar -xf - -C DIR(target)` with members named `BASE(target)/…`. kubectl passes `-m` (mtimes not
 *   restored); kubexec restores mtimes unless `noPreserve`, where it sends kubectl's exact
 *   `tar --no-same-permissions --no-same-owner -xmf - -C DIR`. A directory is first probed with
 *   `test -e TARGET`: a new tree carries every directory's mode and mtime, one merged into an
 *   existing target only its empty directories, as kubectl's archive does.
 * - download: `tar cf - SRC`; a resumed attempt runs
 *   `sh -c '… tar "$3" - "$1" | tail -c "+$2" …' sh SRC OFFSET cf` (kubectl's `tail -c+OFFSET`, with the path
 *   passed as an argument instead of quoted into the script, and tar's exit status kept rather than
 *   tail's).
 * - verification: `sha256sum PATH` for single files, when the container has it.
 * - no tar: download falls back to `cat SRC` (resumed with `tail -c +OFFSET SRC`), upload to
 *   `sh -c 'cat > "$1"' sh TARGET`; directories need tar ({@linkcode RemoteToolMissingError}).
 * - a source that is a symlink is copied through: `tar cf - SRC/.` (to a directory) or
 *   `tar chf - SRC` (to a file), where kubectl copies nothing.
 *
 * Success means the remote command exited 0 and everything was written locally (or remotely). The
 * remote stderr (e.g. `tar: Removing leading '/' from member names`) goes to `warn` and never fails a copy.
 *
 * @module
 */
import { directSourceOf, withDirectSink, withDirectSource } from "../stream/direct_io.ts";
import {
  type NamedDestination,
  openNamedDestination,
  type OutputDestination,
} from "./destination.ts";
import {
  FileSpecError,
  RemoteCommandError,
  RemoteToolMissingError,
  SourceChangedError,
  TarFormatError,
  VerificationError,
} from "./errors.ts";
import { type ExtractProgress, type ExtractResult, extractTar } from "./extract.ts";
import {
  cleanRemotePath,
  joinRemotePath,
  remoteArchivePrefix,
  remoteBaseName,
  remoteDirName,
} from "./file_spec.ts";
import { chunkHandoff } from "./handoff.ts";
import { measureLocalPath, packLocalPath } from "./pack.ts";
import type { RemoteExec } from "./remote_exec.ts";
import { RemoteExecError } from "./remote_exec.ts";
import {
  isMissingExecutableError,
  isMissingExecutableExit,
  type LineSink,
  lineSink,
  runCaptured,
} from "./remote_io.ts";
import { sha256 } from "./sha256.ts";

/** Progress of a copy, reported as bytes move. */
export type CopyProgress = ExtractProgress;

/** Options shared by {@linkcode upload} and {@linkcode download}. */
export interface CopyOptions {
  /**
   * Do not carry ownership, permissions and mtimes over (kubectl's `--no-preserve`; kubexec applies it
   * to downloads too).
   */
  noPreserve?: boolean;
  /** Check single files with sha256 on both sides when the container has `sha256sum`; default true. */
  verify?: boolean;
  /** Progress callback; the CLI renders bytes, rate and ETA. */
  onProgress?: (progress: CopyProgress) => void;
  /**
   * Warnings: `"remote"` for the remote command's stderr lines (kubectl prints them to stdout on
   * download), `"local"` for kubexec's own (skipped members, fallbacks). No `warning: ` prefix.
   */
  warn?: (message: string, source: "remote" | "local") => void;
  /** Size of the chunks an upload hands to `exec` as stdin; default 128 KiB. */
  chunkSize?: number;
}

/** Options of {@linkcode download}. */
export interface DownloadOptions extends CopyOptions {
  /** Resume attempts after a lost connection: 0 none (default), negative unlimited (kubectl's `--retries`). */
  retries?: number;
  /** Called before each resume with kubectl's numbers (`Resuming copy at <offset> bytes, retry <attempt>/<retries>`). */
  onRetry?: (retry: { attempt: number; retries: number; offset: number; error: Error }) => void;
  /**
   * Pause before a resume, in ms (default 100): doubled after every attempt that received nothing, up
   * to 5 s, so unlimited retries against a dead pod do not spin.
   */
  retryDelayMs?: number;
  /**
   * The local path names this output rather than a file (the command line passes its stdout for
   * `/dev/stdout`, which Deno keeps from kubexec): a single file is written to it, in order with
   * anything else written there; a directory fails as it would onto a file.
   */
  output?: OutputDestination;
  /** Extraction limits (see {@linkcode extractTar}). */
  maxEntrySize?: number;
  maxTotalSize?: number;
  maxEntries?: number;
}

/** What a copy did. */
export interface CopyResult {
  /** Regular files copied. */
  files: number;
  /** File content bytes copied. */
  bytes: number;
  /** Every warning passed to `warn`, in order. */
  warnings: string[];
  /** Where the copy went: the remote target path (upload) or the local path (download). */
  target: string;
  /** `"sha256"` when a single file was verified on both sides, `"unavailable"` when it could not be. */
  verified?: "sha256" | "unavailable";
  /** Set when the container had no tar and `cat` was used. */
  fallback?: "cat";
  /** Resume attempts used (download). */
  retries: number;
}

const LOCAL_SEPARATORS = Deno.build.os === "windows" ? /[\\/]+/ : /\/+/;

function localBaseName(path: string): string {
  const parts = path.split(LOCAL_SEPARATORS).filter((part) => part !== "");
  return parts.length === 0 ? "/" : parts[parts.length - 1];
}

function safeRemoteArgument(path: string): string {
  return path.startsWith("-") ? `./${path}` : path;
}

class Reporter {
  readonly warnings: string[] = [];
  readonly #warn: CopyOptions["warn"];

  constructor(warn: CopyOptions["warn"]) {
    this.#warn = warn;
  }

  local = (message: string): void => {
    this.warnings.push(message);
    this.#warn?.(message, "local");
  };

  remote = (message: string): void => {
    this.warnings.push(message);
    this.#warn?.(message, "remote");
  };
}

async function remoteSha256(exec: RemoteExec, path: string): Promise<string | undefined> {
  const run = await runCaptured(exec, ["sha256sum", safeRemoteArgument(path)]);
  if (run.exitCode !== 0) return undefined;
  const match = /^\\?([0-9a-f]{64})\b/.exec(run.stdout.trim());
  return match?.[1];
}

async function verifySha256(
  exec: RemoteExec,
  remotePath: string,
  localDigest: string,
  reporter: Reporter,
  remoteDigestPromise?: Promise<string | undefined>,
): Promise<"sha256" | "unavailable"> {
  const remoteDigest = await (remoteDigestPromise ?? remoteSha256(exec, remotePath));
  if (remoteDigest === undefined) {
    reporter.local(
      `could not verify ${JSON.stringify(remotePath)}: sha256sum is not available in the container`,
    );
    return "unavailable";
  }
  if (remoteDigest !== localDigest) {
    throw new VerificationError(remotePath, "sha256", remoteDigest, localDigest);
  }
  return "sha256";
}

async function localInfo(localPath: string): Promise<Deno.FileInfo> {
  try {
    return await Deno.stat(localPath);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new FileSpecError(`${localPath} doesn't exist in local filesystem`);
    }
    throw error;
  }
}

async function isRemoteDirectory(exec: RemoteExec, path: string): Promise<boolean> {
  try {
    return (await runCaptured(exec, ["test", "-d", path])).exitCode === 0;
  } catch (error) {
    // kubectl treats any failure of this probe as "not a directory"; a lost connection is not that.
    if (error instanceof RemoteExecError && error.connectionLost) throw error;
    return false;
  }
}

/**
 * Whether anything (file, directory, link to one) is at `path`: false only when `test -e` says
 * so; a failed probe (no `test` in the container) answers true, the safe assumption.
 */
async function mayExistRemotely(exec: RemoteExec, path: string): Promise<boolean> {
  try {
    return (await runCaptured(exec, ["test", "-e", safeRemoteArgument(path)])).exitCode !== 1;
  } catch (error) {
    if (error instanceof RemoteExecError && error.connectionLost) throw error;
    return true;
  }
}

/**
 * Copies `localPath` (file or directory tree) into the container at `remotePath`, like
 * `kubectl cp LOCAL POD:REMOTE`: into `remotePath/<base name>` when `remotePath` is an existing
 * directory, else to `remotePath` itself. Streams with back-pressure; no temporary files.
 *
 * @example
 * ```ts
 * import { upload } from "./copy.ts";
 * import type { RemoteExec } from "./remote_exec.ts";
 * // `exec` runs commands in one pod's container (the CLI binds it from POD:PATH and -c).
 * async function publishSite(exec: RemoteExec): Promise<number> {
 *   const result = await upload(exec, "./site", "/usr/share/nginx", { warn: console.error });
 *   return result.files;
 * }
 * ```
 */
export async function upload(
  exec: RemoteExec,
  localPath: string,
  remotePath: string,
  options: CopyOptions = {},
): Promise<CopyResult> {
  const info = await localInfo(localPath);
  // A pipe (`cp <(pg_dump …) POD:/tmp/dump.sql`) or a character device has no size for a tar
  // header: its bytes are streamed into the file with `cat`. Anything else that is neither file
  // nor directory (a socket, a block device) is refused rather than skipped into an empty copy.
  const streamed = info.isFifo === true || info.isCharDevice === true;
  if (!info.isFile && !info.isDirectory && !streamed) {
    throw new FileSpecError(
      `${localPath}: not a regular file, directory, pipe or character device, so it cannot be copied`,
    );
  }
  const reporter = new Reporter(options.warn);
  const destination = remotePath.length > 1 ? remotePath.replace(/\/+$/, "") : remotePath;
  const target = (await isRemoteDirectory(exec, destination))
    ? joinRemotePath(destination, localBaseName(localPath))
    : cleanRemotePath(destination);
  if (streamed) return await uploadWithCat(exec, localPath, target, options, reporter, "stream");
  const verify = (options.verify ?? true) && info.isFile;
  const total = options.onProgress === undefined
    ? undefined
    : (await measureLocalPath(localPath)).bytes;
  const hash = verify ? await sha256() : undefined;
  let bytes = 0;
  let files = 0;
  let currentFile: string | undefined;
  const onBody = (piece: Uint8Array) => {
    hash?.update(piece);
    bytes += piece.length;
    options.onProgress?.({ bytes, total, file: currentFile });
  };

  // A new tree is written whole, directories' modes and mtimes included. Into one that exists,
  // only empty directories get a member, as kubectl writes them: tar then leaves the existing
  // directories' modes and owners alone (`cp . POD:/tmp` must not make /tmp 0755) and fails on a
  // file where the tree has a directory instead of replacing it.
  const merging = info.isDirectory && await mayExistRemotely(exec, target);
  const archive = packLocalPath(localPath, {
    archiveName: remoteBaseName(target),
    directories: merging ? "empty" : "all",
    onWarning: reporter.local,
    onFile: (file) => {
      files++;
      currentFile = file.localPath;
    },
    onBody,
    chunkSize: options.chunkSize,
  });
  const command = options.noPreserve
    ? ["tar", "--no-same-permissions", "--no-same-owner", "-xmf", "-", "-C", remoteDirName(target)]
    : ["tar", "-xf", "-", "-C", remoteDirName(target)];
  const outcome = await runWithStdin(exec, command, archive, reporter);
  if (outcome.kind === "missing") {
    if (!info.isFile) {
      throw new RemoteToolMissingError(
        "tar",
        "copying a directory needs tar in the container; single files can be copied without it",
      );
    }
    reporter.local("tar not found in the container; copying the single file with cat");
    return await uploadWithCat(exec, localPath, target, options, reporter, "no-tar");
  }
  if (outcome.exitCode !== 0) {
    throw new RemoteCommandError(command, outcome.exitCode, outcome.stderrTail);
  }
  const result: CopyResult = { files, bytes, warnings: reporter.warnings, target, retries: 0 };
  if (hash !== undefined) {
    result.verified = await verifySha256(exec, target, hash.digest(), reporter);
  }
  return result;
}

type StdinOutcome =
  | { kind: "exited"; exitCode: number; stderrTail: string }
  | { kind: "missing" };

/**
 * Runs `command` with `input` as stdin. Errors reading `input` are told apart from the remote side
 * going away (a remote tar that exits early breaks the pipe; that is not a local failure), the input
 * is cancelled when the command ends so local files are closed, and a local read error wins over the
 * remote outcome.
 */
async function runWithStdin(
  exec: RemoteExec,
  command: string[],
  input: ReadableStream<Uint8Array>,
  reporter: Reporter,
): Promise<StdinOutcome> {
  const stderr = lineSink(reporter.remote);
  const stdout = lineSink(reporter.remote);
  const source = input.getReader();
  let localError: unknown;
  const stdin = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await source.read();
      } catch (error) {
        localError = error;
        throw error;
      }
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel(reason) {
      return source.cancel(reason);
    },
  }, { highWaterMark: 0 });
  const direct = directSourceOf(input);
  if (direct) {
    withDirectSource(stdin, {
      async read(buffer) {
        try {
          return await direct.read(buffer);
        } catch (error) {
          localError = error;
          throw error;
        }
      },
    });
  }
  let exitCode: number;
  try {
    ({ exitCode } = await exec(command, {
      stdin,
      stdout: stdout.stream(),
      stderr: stderr.stream(),
    }));
  } catch (error) {
    await source.cancel().catch(() => {});
    if (localError !== undefined) throw localError;
    if (isMissingExecutableError(error)) return { kind: "missing" };
    throw error;
  } finally {
    stdout.flush();
    stderr.flush();
  }
  await source.cancel().catch(() => {});
  if (localError !== undefined) throw localError;
  if (isMissingExecutableExit(exitCode, stderr.tail())) return { kind: "missing" };
  return { kind: "exited", exitCode, stderrTail: stderr.tail() };
}

/**
 * Writes the local file into `target` with `sh -c 'cat > "$1"'`: when the container has no tar
 * (`"no-tar"`), or when the source is a pipe or device whose size is unknown (`"stream"`).
 */
async function uploadWithCat(
  exec: RemoteExec,
  localPath: string,
  target: string,
  options: CopyOptions,
  reporter: Reporter,
  why: "no-tar" | "stream",
): Promise<CopyResult> {
  const hash = (options.verify ?? true) ? await sha256() : undefined;
  const file = await Deno.open(localPath, { read: true });
  const info = await file.stat();
  const total = info.isFile ? info.size : undefined;
  let bytes = 0;
  const counted = file.readable.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        hash?.update(chunk);
        bytes += chunk.length;
        options.onProgress?.({ bytes, total, file: localPath });
        controller.enqueue(chunk);
      },
    }),
  );
  const command = ["sh", "-c", 'cat > "$1"', "sh", target];
  const outcome = await runWithStdin(exec, command, counted, reporter);
  if (outcome.kind === "missing") {
    throw why === "no-tar"
      ? new RemoteToolMissingError(
        "tar",
        "the container has neither tar nor sh, so cp cannot write files",
      )
      : new RemoteToolMissingError(
        "sh",
        "streaming a pipe or device into a file needs sh and cat in the container",
      );
  }
  if (outcome.exitCode !== 0) {
    throw new RemoteCommandError(command, outcome.exitCode, outcome.stderrTail);
  }
  const result: CopyResult = {
    files: 1,
    bytes,
    warnings: reporter.warnings,
    target,
    ...(why === "no-tar" ? { fallback: "cat" as const } : {}),
    retries: 0,
  };
  if (hash !== undefined) {
    result.verified = await verifySha256(exec, target, hash.digest(), reporter);
  }
  return result;
}

/** The script of a resumed download: tar piped through tail, exiting with tar's status (not tail's). */
const RESUME_TAR_SCRIPT =
  '( ( ( tar "$3" - "$1"; echo $? >&3 ) | tail -c "+$2" >&4 ) 3>&1 | ( read -r s; exit "${s:-1}" ) ) 4>&1';

/** How a resumable stream ended. */
type ResumableOutcome =
  | { kind: "exited"; exitCode: number; stderrTail: string; retries: number }
  | { kind: "missing"; stderrTail: string }
  | { kind: "sinkFailed" };

/** Where a download's bytes go: `write` settles once `chunk` is written and may be reused. */
interface ChunkSink {
  write(chunk: Uint8Array): Promise<void>;
}

/**
 * Runs attempt after attempt of a streaming command until one exits, feeding every attempt's stdout
 * into `sink` so the consumer sees one continuous byte stream. Resumes only after a lost connection.
 * As `sink` is done with a chunk when its write settles, the session may hand it views of its read
 * buffer rather than copies (a direct sink, `lib/stream/direct_io.ts`).
 */
async function streamWithResume(
  exec: RemoteExec,
  commandAt: (offset: number) => string[],
  sink: ChunkSink,
  options: DownloadOptions,
  stderr: LineSink,
): Promise<ResumableOutcome> {
  const retries = options.retries ?? 0;
  let received = 0;
  let sinkFailed = false;
  const baseDelay = options.retryDelayMs ?? 100;
  let delay = baseDelay;
  for (let attempt = 0;; attempt++) {
    const receivedBefore = received;
    const deliver = async (chunk: Uint8Array) => {
      try {
        await sink.write(chunk);
      } catch (error) {
        sinkFailed = true;
        throw error;
      }
      received += chunk.length;
    };
    const stdout = withDirectSink(new WritableStream<Uint8Array>({ write: deliver }), {
      write: deliver,
    });
    try {
      const { exitCode } = await exec(commandAt(received), { stdout, stderr: stderr.stream() });
      stderr.flush();
      if (sinkFailed) return { kind: "sinkFailed" };
      if (attempt === 0 && received === 0 && isMissingExecutableExit(exitCode, stderr.tail())) {
        return { kind: "missing", stderrTail: stderr.tail() };
      }
      return { kind: "exited", exitCode, stderrTail: stderr.tail(), retries: attempt };
    } catch (error) {
      stderr.flush();
      if (sinkFailed) return { kind: "sinkFailed" };
      if (attempt === 0 && isMissingExecutableError(error)) {
        return { kind: "missing", stderrTail: (error as Error).message };
      }
      const canRetry = error instanceof RemoteExecError && error.connectionLost &&
        (retries < 0 || attempt < retries);
      if (!canRetry) throw error;
      options.onRetry?.({ attempt: attempt + 1, retries, offset: received, error });
      delay = received > receivedBefore ? baseDelay : Math.min(delay * 2, 5000);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * Copies `remotePath` (file or directory) out of the container to `localPath`, like
 * `kubectl cp POD:REMOTE LOCAL`: a directory's contents land in `localPath` (created or merged), a file
 * is written as `localPath`, or into it when `localPath` is an existing directory. Extraction is safe
 * (see `extract.ts`); with `retries` a lost connection resumes at the byte where it broke.
 *
 * @example
 * ```ts
 * import { download } from "./copy.ts";
 * import type { RemoteExec } from "./remote_exec.ts";
 * async function fetchLogs(exec: RemoteExec): Promise<number> {
 *   const result = await download(exec, "/var/log/app", "./logs", { retries: 3 });
 *   return result.bytes;
 * }
 * ```
 */
export async function download(
  exec: RemoteExec,
  remotePath: string,
  localPath: string,
  options: DownloadOptions = {},
): Promise<CopyResult> {
  const reporter = new Reporter(options.warn);
  const source = remotePath.length > 1 ? remotePath.replace(/\/+$/, "") : remotePath;
  const first = await downloadWithTar(exec, source, localPath, options, reporter, "plain");
  if (first === "missing") {
    reporter.local("tar not found in the container; copying the single file with cat");
    return await downloadWithCat(exec, source, localPath, options, reporter);
  }
  if (first.rootSymlink === undefined) return first.result;
  // tar archives a symlink named on its command line as a link (kubectl then copies nothing, e.g. for
  // a service-account token); copy what it points to instead.
  reporter.local(
    `${source} is a symlink to ${JSON.stringify(first.rootSymlink)}; copying its target`,
  );
  const mode = (await isRemoteDirectory(exec, source)) ? "directory-contents" : "dereference";
  const second = await downloadWithTar(exec, source, localPath, options, reporter, mode);
  if (second === "missing") {
    throw new RemoteToolMissingError("tar", "tar disappeared during the copy");
  }
  return second.result;
}

/**
 * How the remote tar names the source: as is, through `SOURCE/.` (a symlink to a directory), or
 * with `h` (a symlink to a file).
 */
type TarSourceMode = "plain" | "directory-contents" | "dereference";

async function downloadWithTar(
  exec: RemoteExec,
  source: string,
  localPath: string,
  options: DownloadOptions,
  reporter: Reporter,
  mode: TarSourceMode,
): Promise<"missing" | { result: CopyResult; rootSymlink?: string }> {
  const verify = options.verify ?? true;
  // The session's chunks go to the tar reader as they are, one at a time (see handoff.ts).
  const { writer: sink, reader: archive } = chunkHandoff();
  // Hash the remote file while it streams (the remote sha256sum is often the slower side).
  let remoteDigest: Promise<string | undefined> | undefined;
  const extraction = extractTar(archive, localPath, {
    prefix: remoteArchivePrefix(source),
    preserve: !options.noPreserve,
    fileIntoExistingDirectory: true,
    output: options.output,
    hashRootFile: verify,
    rootSymlink: mode === "plain" ? "report" : "warn",
    onRootFile: () => {
      if (!verify) return;
      remoteDigest = remoteSha256(exec, source);
      remoteDigest.catch(() => {});
    },
    maxEntries: options.maxEntries,
    maxEntrySize: options.maxEntrySize,
    maxTotalSize: options.maxTotalSize,
    onWarning: reporter.local,
    onProgress: options.onProgress,
  });
  // Settled below; this keeps an early failure from being reported as unhandled meanwhile.
  extraction.catch(() => {});
  const stderr = lineSink(reporter.remote);
  const tarFlags = mode === "dereference" ? "chf" : "cf";
  const tarPath = mode === "directory-contents" ? `${source}/.` : source;
  const firstCommand = ["tar", tarFlags, "-", tarPath];
  let extracted: ExtractResult;
  let retries: number;
  let resumed = false;
  try {
    const outcome = await streamWithResume(
      exec,
      (offset) =>
        offset === 0
          ? firstCommand
          : ["sh", "-c", RESUME_TAR_SCRIPT, "sh", tarPath, String(offset + 1), tarFlags],
      sink,
      {
        ...options,
        onRetry: (retry) => {
          resumed = true;
          options.onRetry?.(retry);
        },
      },
      stderr,
    );
    if (outcome.kind === "missing") {
      await sink.abort(new Error("tar is missing")).catch(() => {});
      await extraction.catch(() => {});
      return "missing";
    }
    if (outcome.kind === "sinkFailed") {
      await extraction; // rejects with the extraction's own error
      throw new Error("extraction stopped without an error");
    }
    await sink.close().catch(() => {});
    if (outcome.exitCode !== 0) {
      await extraction.catch(() => {});
      throw new RemoteCommandError(firstCommand, outcome.exitCode, outcome.stderrTail);
    }
    retries = outcome.retries;
    extracted = await extraction;
  } catch (error) {
    await sink.abort(error).catch(() => {});
    await extraction.catch(() => {});
    // Do not leave the verification command running behind a failed copy.
    const before = await remoteDigest?.catch(() => undefined);
    // A file that grew or shrank between attempts makes the resumed archive stop lining up with
    // the first one's headers: say that it changed rather than that the archive is malformed.
    if (resumed && error instanceof TarFormatError && before !== undefined) {
      const after = await remoteSha256(exec, source).catch(() => undefined);
      if (after !== undefined && after !== before) {
        throw new SourceChangedError(source, before, after);
      }
    }
    throw error;
  }
  const result: CopyResult = {
    files: extracted.files,
    bytes: extracted.bytes,
    warnings: reporter.warnings,
    target: extracted.rootFile?.path ?? localPath,
    retries,
  };
  if (verify && extracted.rootFile?.sha256 !== undefined) {
    // A resumed copy took its pieces at different times: the file must not have changed between
    // them. Its digest from the first attempt is compared with one taken now — unless that
    // digest lost its connection in the cut that made the copy resume: then there is only now.
    if (retries > 0) {
      const before = await remoteDigest?.catch((error) => {
        if (error instanceof RemoteExecError && error.connectionLost) return undefined;
        throw error;
      });
      const after = await remoteSha256(exec, source);
      if (before !== undefined && after !== undefined && before !== after) {
        throw new SourceChangedError(source, before, after);
      }
      remoteDigest = Promise.resolve(after);
    } else if (remoteDigest !== undefined) {
      // Its own connection can be lost while the copy's was not: taken again, not a failure.
      remoteDigest = digestAgainIfCut(remoteDigest, exec, source);
    }
    result.verified = await verifySha256(
      exec,
      source,
      extracted.rootFile.sha256,
      reporter,
      remoteDigest,
    );
  }
  return { result, rootSymlink: extracted.rootSymlink };
}

/** `digest`, or a new one when its exec lost its connection. */
async function digestAgainIfCut(
  digest: Promise<string | undefined>,
  exec: RemoteExec,
  path: string,
): Promise<string | undefined> {
  try {
    return await digest;
  } catch (error) {
    if (!(error instanceof RemoteExecError && error.connectionLost)) throw error;
    return await remoteSha256(exec, path);
  }
}

async function localFileTarget(localPath: string, remotePath: string): Promise<string> {
  try {
    if ((await Deno.stat(localPath)).isDirectory) {
      const separator = Deno.build.os === "windows" ? "\\" : "/";
      return `${localPath.replace(/[\\/]+$/, "")}${separator}${remoteBaseName(remotePath)}`;
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return localPath;
}

async function downloadWithCat(
  exec: RemoteExec,
  remotePath: string,
  localPath: string,
  options: DownloadOptions,
  reporter: Reporter,
): Promise<CopyResult> {
  const output = options.output;
  const target = output ? localPath : await localFileTarget(localPath, remotePath);
  // The path the user named is written as kubectl writes it (lib/cp/destination.ts); a name
  // kubexec made up inside a directory is created fresh with O_EXCL, never written through.
  const named = target === localPath;
  if (!named) {
    const existing = await Deno.lstat(target).catch(() => null);
    if (existing?.isDirectory) throw new FileSpecError(`${target} is a directory`);
  }
  // Opened at the first byte (or at the end, for an empty file), so that a remote failure before
  // any data leaves an existing destination as it was.
  let destination: NamedDestination | undefined;
  const open = async (): Promise<NamedDestination> => {
    if (destination !== undefined) return destination;
    if (named) return destination = await openNamedDestination(target, 0o666);
    await Deno.remove(target).catch(() => {});
    return destination = {
      file: await Deno.open(target, { write: true, createNew: true }),
      created: true,
      regular: true,
    };
  };
  const hash = (options.verify ?? true) ? await sha256() : undefined;
  let bytes = 0;
  let closed = false;
  const fileSink = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (output) await output.write(chunk);
      else {
        const { file } = await open();
        let offset = 0;
        while (offset < chunk.length) offset += file.writeSync(chunk.subarray(offset));
      }
      hash?.update(chunk);
      bytes += chunk.length;
      options.onProgress?.({ bytes, file: target });
    },
  });
  const writer = fileSink.getWriter();
  const stderr = lineSink(reporter.remote);
  const path = safeRemoteArgument(remotePath);
  try {
    const outcome = await streamWithResume(
      exec,
      (offset) => offset === 0 ? ["cat", path] : ["tail", "-c", `+${offset + 1}`, path],
      writer,
      options,
      stderr,
    );
    if (outcome.kind === "exited" && outcome.exitCode === 0 && !output) await open();
    destination?.file.close();
    closed = true;
    if (outcome.kind === "missing") {
      throw new RemoteToolMissingError(
        "tar",
        "the container has neither tar nor cat, so cp cannot read files",
      );
    }
    if (outcome.kind === "exited" && outcome.exitCode !== 0) {
      if (/Is a directory/.test(outcome.stderrTail)) {
        throw new RemoteToolMissingError(
          "tar",
          "copying a directory needs tar in the container; single files can be copied without it",
        );
      }
      throw new RemoteCommandError(["cat", path], outcome.exitCode, outcome.stderrTail);
    }
    const result: CopyResult = {
      files: 1,
      bytes,
      warnings: reporter.warnings,
      target,
      fallback: "cat",
      retries: outcome.kind === "exited" ? outcome.retries : 0,
    };
    if (hash !== undefined) {
      result.verified = await verifySha256(exec, remotePath, hash.digest(), reporter);
    }
    return result;
  } catch (error) {
    if (!closed) destination?.file.close();
    if (destination?.created) await Deno.remove(target).catch(() => {});
    throw error;
  }
}
