/**
 * A {@linkcode RemoteExec} that runs commands as local processes, standing in for a container: real
 * GNU tar, sh, tail, cat and sha256sum, with a PATH limited to a chosen set of tools (so "no tar in the
 * image" can be staged) and fault injection (connection cut after N stdout bytes, custom producers).
 *
 * @module
 */
import { type RemoteExec, RemoteExecError } from "../../lib/cp/remote_exec.ts";
import { directSinkOf } from "../../lib/stream/direct_io.ts";

/** Options of {@linkcode localExec}. */
export interface LocalExecOptions {
  /** Tools the "container" has; each becomes a symlink in a private bin directory on PATH. */
  tools?: string[];
  /**
   * Per data-streaming call (tar, sh, cat, tail — not probes like test or sha256sum, in call order):
   * cut the connection after this many stdout bytes.
   */
  cutStdoutAfter?: Array<number | undefined>;
  /** Replaces the stdout of calls whose argv[0] matches with these bytes (malicious producers). */
  fakeStdout?: { command: string; data: Uint8Array; exitCode?: number };
  /**
   * Hand stdout to a direct sink when the stream carries one, as the exec session does: every
   * chunk is a view of one buffer, scribbled over as soon as the write settles, so a consumer that
   * keeps a view past its write reads garbage. Default true; false writes fresh chunks through
   * the stream.
   */
  directStdout?: boolean;
}

/** Bytes of the one buffer a direct stdout reuses (the session's is 64 KiB). */
const DIRECT_BUFFER_BYTES = 4096;

/** A local RemoteExec plus what it saw; dispose it to remove its bin directory. */
export interface LocalExec extends AsyncDisposable {
  exec: RemoteExec;
  /** Every command run, in order. */
  commands: string[][];
}

const STREAMING_COMMANDS = new Set(["tar", "sh", "cat", "tail"]);

/** The tools a default sandbox has. */
export const DEFAULT_TOOLS = ["tar", "sh", "cat", "tail", "test", "sha256sum", "echo"];

async function which(tool: string): Promise<string> {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    const candidate = `${dir}/${tool}`;
    try {
      if ((await Deno.stat(candidate)).isFile) return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`test host lacks ${tool}`);
}

/**
 * Creates a local exec sandbox.
 *
 * @example
 * ```ts
 * import { localExec } from "./local_exec.ts";
 * await using sandbox = await localExec({ tools: ["sh", "cat"] });
 * ```
 */
export async function localExec(options: LocalExecOptions = {}): Promise<LocalExec> {
  const bin = await Deno.makeTempDir({ prefix: "kubexec-cp-bin-" });
  for (const tool of options.tools ?? DEFAULT_TOOLS) {
    await Deno.symlink(await which(tool), `${bin}/${tool}`);
  }
  const commands: string[][] = [];
  let streamingCalls = 0;

  const exec: RemoteExec = async (command, streams) => {
    commands.push(command);
    const streaming = STREAMING_COMMANDS.has(command[0]);
    const cutAfter = streaming ? options.cutStdoutAfter?.[streamingCalls++] : undefined;
    const fake = options.fakeStdout?.command === command[0] ? options.fakeStdout : undefined;
    const program = fake !== undefined ? "true" : command[0];
    let resolved: string | undefined;
    try {
      const info = await Deno.lstat(`${bin}/${program}`);
      if (info.isSymlink) resolved = `${bin}/${program}`;
    } catch {
      resolved = fake !== undefined ? await which("true") : undefined;
    }
    if (resolved === undefined) {
      throw new RemoteExecError(
        `OCI runtime exec failed: exec failed: unable to start container process: exec: "${program}": executable file not found in $PATH: unknown`,
        { connectionLost: false },
      );
    }
    const child = new Deno.Command(resolved, {
      args: fake !== undefined ? [] : command.slice(1),
      clearEnv: true,
      env: { PATH: bin, LC_ALL: "C" },
      stdin: streams.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stdinDone = streams.stdin === undefined
      ? Promise.resolve()
      : streams.stdin.pipeTo(child.stdin).catch(() => {});

    let cut = false;
    const stdoutSource = fake !== undefined ? ReadableStream.from([fake.data]) : child.stdout;
    if (fake !== undefined) await child.stdout.cancel();
    const direct = (options.directStdout ?? true) ? directSinkOf(streams.stdout) : undefined;
    const pumpStdout = async () => {
      if (direct) {
        const buffer = new Uint8Array(DIRECT_BUFFER_BYTES);
        let sent = 0;
        for await (const chunk of stdoutSource) {
          const end = cutAfter === undefined
            ? chunk.length
            : Math.min(chunk.length, cutAfter - sent);
          for (let offset = 0; offset < end; offset += buffer.length) {
            const piece = chunk.subarray(offset, Math.min(end, offset + buffer.length));
            buffer.set(piece);
            await direct.write(buffer.subarray(0, piece.length));
            buffer.fill(0xa5);
          }
          sent += end;
          if (end < chunk.length || sent === cutAfter) {
            cut = true;
            break;
          }
        }
        return;
      }
      const writer = streams.stdout.getWriter();
      let sent = 0;
      try {
        for await (const chunk of stdoutSource) {
          if (cutAfter !== undefined && sent + chunk.length >= cutAfter) {
            if (cutAfter > sent) await writer.write(chunk.slice(0, cutAfter - sent));
            cut = true;
            break;
          }
          await writer.write(chunk);
          sent += chunk.length;
        }
      } finally {
        writer.releaseLock();
      }
    };
    const pumpStderr = async () => {
      const writer = streams.stderr.getWriter();
      try {
        for await (const chunk of child.stderr) await writer.write(chunk);
      } finally {
        writer.releaseLock();
      }
    };
    let streamError: unknown;
    await Promise.all([
      pumpStdout().catch((error) => {
        streamError = error;
      }),
      pumpStderr().catch((error) => {
        streamError ??= error;
      }),
    ]).finally(() => {});
    if (cut || streamError !== undefined) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await child.stdout.cancel().catch(() => {});
      await child.stderr.cancel().catch(() => {});
    }
    const status = await child.status;
    await stdinDone;
    if (streamError !== undefined) throw streamError;
    if (cut) throw new RemoteExecError("connection lost (injected)", { connectionLost: true });
    return { exitCode: fake?.exitCode ?? status.code };
  };

  return {
    exec,
    commands,
    async [Symbol.asyncDispose]() {
      await Deno.remove(bin, { recursive: true });
    },
  };
}
