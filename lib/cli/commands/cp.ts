/**
 * `kubexec cp`: copy files and directories to and from containers, as `kubectl cp` does, with tar
 * over exec (lib/cp) on the WebSocket exec session.
 *
 * Where output goes follows kubectl: on a download the remote tar's stderr (`tar: Removing leading
 * '/' …`), the "Defaulted container" notice and the `Resuming copy at …` lines go to stdout, on an
 * upload the remote stderr and the notice go to stderr; kubexec's own warnings (skipped links,
 * fallbacks) go to stderr as `warning: …`. A failed remote command prints kubectl's
 * `command terminated with exit code N` and exits with N; a connection lost beyond `--retries`
 * exits 255. Progress and a summary are drawn on stderr only when it is a terminal (not with `-q`,
 * and not when the file itself goes to stdout or stderr).
 *
 * A single file downloaded to `/dev/stdout` or `/dev/stderr` (or `/dev/fd/1`, `/proc/self/fd/1`,
 * …) is written to the process's own output, in order with the lines above. kubectl opens those
 * paths like any file; Deno keeps them from kubexec's scoped permissions.
 *
 * @module
 */
import type { Command, CommandContext } from "../command.ts";
import { connectCluster } from "../connect.ts";
import { type Io, writeText } from "../io.ts";
import { createProgress, type Progress, type ProgressUpdate } from "../progress.ts";
import { createRemoteExec } from "../remote_exec.ts";
import {
  type CopyPlan,
  type CopyResult,
  download,
  type OutputDestination,
  planCopy,
  RemoteCommandError,
  RemoteExecError,
  upload,
} from "../../cp/mod.ts";
import { FileSpecError } from "../../cp/errors.ts";
import { chooseContainer } from "../../kube/containers.ts";
import { getPod } from "../../kube/pods.ts";
import { ConnectionLostError } from "../../stream/errors.ts";
import { CommandError } from "../command.ts";

/** The completed options of one cp. */
export interface CpOptions {
  plan: CopyPlan;
  container: string;
  noPreserve: boolean;
  /** Resume attempts for downloads; negative means unlimited (kubectl's `--retries`). */
  retries: number;
  quiet: boolean;
  /**
   * Compare a single file's sha256 with the container's `sha256sum`. Always on with `--retries`,
   * where a resumed stream is the risk (kubernetes#107333); otherwise on request, since hashing
   * both sides costs about as much CPU as the copy itself.
   */
  verify: boolean;
  /** A download to `/dev/stdout`, `/dev/stderr` and the like: which of the process's outputs. */
  toOutput?: "stdout" | "stderr";
}

/**
 * Completes and validates cp's options from the command line, with kubectl's messages.
 *
 * @example
 * ```ts ignore
 * import { completeCpOptions } from "./cp.ts";
 * completeCpOptions(context).plan.direction; // "upload" for `cp ./site web-0:/srv`
 * ```
 */
export function completeCpOptions(context: CommandContext): CpOptions {
  const { args, flags } = context;
  if (args.length !== 2) throw new CommandError("source and destination are required");
  const plan = planCopy(args[0], args[1]);
  return {
    plan,
    container: flags.string("container"),
    noPreserve: flags.bool("no-preserve"),
    retries: flags.int("retries"),
    quiet: flags.bool("quiet"),
    verify: flags.changed("verify") ? flags.bool("verify") : flags.int("retries") !== 0,
    toOutput: plan.direction === "download" ? namedOutput(plan.localPath) : undefined,
  };
}

/** kubectl stats the local source before anything else, so its message wins over server errors. */
async function checkLocalSource(path: string): Promise<void> {
  try {
    await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      throw new FileSpecError(`${path} doesn't exist in local filesystem`);
    }
    throw error;
  }
}

/**
 * Which of the process's outputs `path` names, for the paths Deno keeps from kubexec's scoped
 * permissions (lib/fs_errors.ts) that a download can still write: kubectl opens them as files.
 */
function namedOutput(path: string): "stdout" | "stderr" | undefined {
  const match = /^\/(?:dev\/(?:std(out|err)|fd\/([12]))|proc\/self\/fd\/([12]))$/.exec(path);
  if (match === null) return undefined;
  return match[1] === "out" || match[2] === "1" || match[3] === "1" ? "stdout" : "stderr";
}

/**
 * Writes to stdout and stderr in the order they were asked for, from callbacks that cannot wait:
 * tar's stderr lines, `Resuming copy at …` and, for `cp POD:FILE /dev/stdout`, the file itself.
 * One at a time, so no write finds a stream locked by another.
 */
export interface LineWriter {
  /** Queues `text`; a failed write is dropped (a warning line must not fail the copy). */
  write(stream: WritableStream<Uint8Array>, text: string): void;
  /** Queues `bytes` behind the lines before them; settles when written, rejects when that fails. */
  writeBytes(stream: WritableStream<Uint8Array>, bytes: Uint8Array): Promise<void>;
  /** Settles once everything queued so far was written or dropped. */
  flushed(): Promise<void>;
}

/**
 * A {@linkcode LineWriter} that clears `progress` before each write.
 *
 * @example
 * ```ts
 * import { lineWriter } from "./cp.ts";
 * const chunks: Uint8Array[] = [];
 * const out = new WritableStream<Uint8Array>({ write: (chunk) => void chunks.push(chunk) });
 * const lines = lineWriter({ clear: () => Promise.resolve() });
 * lines.write(out, "Resuming copy at 512 bytes, retry 1/3\n");
 * await lines.writeBytes(out, new TextEncoder().encode("the rest of the file"));
 * chunks.length; // 2
 * ```
 */
export function lineWriter(progress: Pick<Progress, "clear">): LineWriter {
  let chain = Promise.resolve();
  return {
    write(stream, text) {
      chain = chain.then(async () => {
        await progress.clear();
        await writeText(stream, text);
      }).catch(() => {});
    },
    writeBytes(stream, bytes) {
      const written = chain.then(async () => {
        await progress.clear();
        const writer = stream.getWriter();
        try {
          await writer.write(bytes);
        } finally {
          writer.releaseLock();
        }
      });
      chain = written.catch(() => {});
      return written;
    },
    flushed: () => chain,
  };
}

/**
 * A download only learns sizes file by file (the archive has no index), so its `total` is the
 * current file's: right for a single file, meaningless once a second file shows up.
 */
function downloadProgress(progress: Progress): (update: ProgressUpdate) => void {
  let firstFile: string | undefined;
  let several = false;
  return (update) => {
    firstFile ??= update.file;
    several ||= update.file !== firstFile;
    progress.update(several ? { bytes: update.bytes, file: update.file } : update);
  };
}

async function runCopy(
  options: CpOptions,
  io: Io,
  exec: ReturnType<typeof createRemoteExec>,
  progress: Progress,
): Promise<CopyResult> {
  const { plan } = options;
  const lines = lineWriter(progress);
  const downloading = plan.direction === "download";
  const { toOutput } = options;
  const output: OutputDestination | undefined = toOutput && {
    write: (bytes) => lines.writeBytes(io[toOutput], bytes),
  };
  const warn = (message: string, source: "remote" | "local") => {
    if (source === "remote") lines.write(downloading ? io.stdout : io.stderr, `${message}\n`);
    else lines.write(io.stderr, `warning: ${message}\n`);
  };
  const common = {
    noPreserve: options.noPreserve,
    verify: options.verify,
    // Without a display there is nothing to feed, and an upload then skips measuring its tree.
    onProgress: progress.enabled
      ? (downloading ? downloadProgress(progress) : progress.update)
      : undefined,
    warn,
  };
  let resumed = 0;
  try {
    if (!downloading) return await upload(exec, plan.localPath, plan.remote.path, common);
    return await download(exec, plan.remote.path, plan.localPath, {
      ...common,
      output,
      retries: options.retries,
      onRetry: ({ attempt, retries, offset }) => {
        resumed = attempt;
        lines.write(io.stdout, `Resuming copy at ${offset} bytes, retry ${attempt}/${retries}\n`);
      },
    });
  } catch (error) {
    // kubectl's line, when the retries ran out (not for another command's lost connection).
    if (
      downloading && options.retries > 0 && resumed === options.retries &&
      error instanceof RemoteExecError && error.connectionLost
    ) {
      lines.write(io.stdout, `Dropping out copy after ${resumed} retries\n`);
    }
    throw error;
  } finally {
    await lines.flushed();
  }
}

async function runCp(context: CommandContext): Promise<number> {
  const { io, global } = context;
  const options = completeCpOptions(context);
  const { plan } = options;
  if (plan.direction === "upload") await checkLocalSource(plan.localPath);
  const { config, client } = await connectCluster(global, io, { stdinInUse: false });
  const namespace = plan.remote.namespace ?? config.namespace;
  const pod = await getPod(client, namespace, plan.remote.pod);
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") {
    throw new CommandError(
      `cannot exec into a container in a completed pod; current phase is ${phase}`,
    );
  }
  const choice = chooseContainer(pod, options.container);
  if (choice.notice && !options.quiet) {
    // kubectl's download hands the exec's stderr to its own stdout, notice included.
    await writeText(plan.direction === "download" ? io.stdout : io.stderr, `${choice.notice}\n`);
  }
  const exec = createRemoteExec({
    client,
    namespace,
    pod: pod.metadata.name,
    container: choice.container.name,
  }, { logger: global.logger });
  const progress = createProgress({
    stream: io.stderr,
    // Not over a file that is itself being written to the terminal.
    enabled: io.stderrIsTerminal && !options.quiet && options.toOutput === undefined,
    columns: io.terminal.size()?.columns,
  });
  let result: CopyResult;
  try {
    result = await runCopy(options, io, exec, progress);
  } catch (error) {
    await progress.clear();
    if (error instanceof RemoteCommandError) {
      await writeText(io.stderr, `${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof RemoteExecError && error.cause instanceof ConnectionLostError) {
      throw error.cause;
    }
    throw error;
  }
  await progress.finish(result);
  return 0;
}

/** The `cp` command. */
export const cpCommand: Command = {
  name: "cp",
  short: "Copy files and directories to and from containers",
  long: "Copy files and directories to and from containers.",
  usage: "cp <file-spec-src> <file-spec-dest> [options]",
  examples:
    `  # Directories need 'tar' in the container; without it a single file is copied with 'cat'

  # Copy /tmp/foo_dir local directory to /tmp/bar_dir in a remote pod in the default namespace
  kubexec cp /tmp/foo_dir <some-pod>:/tmp/bar_dir

  # Copy /tmp/foo local file to /tmp/bar in a remote pod in a specific container
  kubexec cp /tmp/foo <some-pod>:/tmp/bar -c <specific-container>

  # Copy /tmp/foo local file to /tmp/bar in a remote pod in namespace <some-namespace>
  kubexec cp /tmp/foo <some-namespace>/<some-pod>:/tmp/bar

  # Copy /tmp/foo from a remote pod to /tmp/bar locally, resuming up to 5 times if the connection drops
  kubexec cp --retries=5 <some-namespace>/<some-pod>:/tmp/foo /tmp/bar`,
  flags: [
    {
      name: "container",
      short: "c",
      type: "string",
      usage:
        "Container name. If omitted, use the kubectl.kubernetes.io/default-container annotation for selecting the container to be attached or the first container in the pod will be chosen",
    },
    {
      name: "no-preserve",
      type: "bool",
      usage:
        "The copied file/directory's ownership, permissions and modification times will not be preserved (in the container on upload, locally on download)",
    },
    {
      name: "retries",
      type: "int",
      default: 0,
      usage:
        "Set number of retries to complete a copy operation from a container. Specify 0 to disable or any negative value for infinite retrying. The default is 0 (no retry).",
    },
    {
      name: "verify",
      type: "bool",
      usage:
        "Compare the sha256 of a copied single file with the container's sha256sum (on by default with --retries)",
    },
    {
      name: "quiet",
      short: "q",
      type: "bool",
      usage: "No progress, summary or Defaulted container notice",
    },
  ],
  run: runCp,
};
