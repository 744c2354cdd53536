/**
 * One exec session after the upgrade: the ready marker, the command as a local process, stdin
 * with back-pressure and v5 half-close, resize, output pumps, and the status on channel 3 worded
 * like the v5 translator or, on legacy protocols, like the CRI streaming server behind it.
 *
 * @module
 */

import { CommandNotFoundError, type RunningCommand, startCommand } from "./process.ts";
import { EarlyStdin, ResizeDecoder, type SessionOutput } from "./session_io.ts";
import { internalError, nonZeroExit, type StatusFields } from "./status.ts";
import type { TerminalSize } from "./types.ts";
import { decodeChannelMessage } from "./channels.ts";

/** What the exec request asked for and where it runs. */
export interface ExecParams {
  argv: string[];
  container: string;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  /** `false` for a container that is in the spec but not started. */
  containerRunning: boolean;
  cwd: string;
  env: Record<string, string>;
  scratchDir: string;
  ttyWaitMs: number;
  /** Aborted when the pod is deleted: the process is killed, as the runtime would. */
  podGone: AbortSignal;
}

/**
 * The channel of the "stream ready" message: the lowest writable one.
 *
 * @example
 * ```ts
 * import { readyChannel } from "./exec.ts";
 * readyChannel({ stdout: false, stderr: true, tty: false }); // 2
 * ```
 */
export function readyChannel(p: { stdout: boolean; stderr: boolean; tty: boolean }): number {
  if (p.stdout) return 1;
  if (p.stderr && !p.tty) return 2;
  return 3;
}

/**
 * The status for a container that is not running, as the v5 translator reports it.
 *
 * @example
 * ```ts
 * import { containerNotFound } from "./exec.ts";
 * containerNotFound("app").message;
 * ```
 */
export function containerNotFound(container: string): StatusFields {
  return internalError(`unable to upgrade connection: container not found ("${container}")`);
}

function execFailure(error: CommandNotFoundError, translator: boolean): StatusFields {
  const runtime = "error executing command in container: failed to exec in container: " +
    `failed to start exec "${crypto.randomUUID().replaceAll("-", "")}": OCI runtime exec failed: ` +
    `exec failed: unable to start container process: ${error.message}: unknown`;
  // The CRI server wraps once; the translator wraps the CRI status message again.
  return translator ? internalError(internalError(runtime).message!) : internalError(runtime);
}

/** What a session does with the client's messages. */
export interface ClientHandlers {
  /** Stdin payload; awaiting it back-pressures the client. */
  stdin(bytes: Uint8Array): Promise<void>;
  /** The v5 CLOSE for stdin. */
  closeStdin(): Promise<void>;
  resize(size: TerminalSize): void;
}

/**
 * Reads the client's messages (stdin, v5 CLOSE, resize) until the client is gone; one message at
 * a time like the Go server, so unread stdin holds back later messages.
 *
 * @example
 * ```ts ignore
 * await readClientMessages(output, handlers);
 * ```
 */
export async function readClientMessages(
  out: SessionOutput,
  handlers: ClientHandlers,
): Promise<void> {
  const resize = new ResizeDecoder();
  while (true) {
    const message = await out.ws.receive();
    if (message === null) return;
    const decoded = decodeChannelMessage(out.codec, message.data);
    if (!decoded) continue;
    if (decoded.channel === 255 && out.codec.closeSignal) {
      if (message.data.length !== 2 || decoded.payload[0] >= 5) {
        out.log.protocolErrors.push(`invalid CLOSE message of ${message.data.length} bytes`);
        out.ws.destroy();
        return;
      }
      if (decoded.payload[0] === 0 && !out.log.stdinClosed) {
        out.log.stdinClosed = true;
        await handlers.closeStdin();
      }
    } else if (decoded.channel === 0) {
      out.log.stdinBytes += decoded.payload.length;
      if (!out.log.stdinClosed) await handlers.stdin(decoded.payload);
    } else if (decoded.channel === 4) {
      for (const size of resize.push(decoded.payload)) {
        out.log.resizes.push(size);
        handlers.resize(size);
      }
    }
  }
}

/**
 * Runs one exec session to its end.
 *
 * @example
 * ```ts ignore
 * await serveExec(output, params);
 * ```
 */
export async function serveExec(out: SessionOutput, params: ExecParams): Promise<void> {
  let command: RunningCommand | undefined;
  let firstSize: (size: TerminalSize) => void = () => {};
  const sized = new Promise<TerminalSize>((resolve) => (firstSize = resolve));
  let stdinWriter: WritableStreamDefaultWriter<Uint8Array> | undefined;
  const early = new EarlyStdin();
  const client = readClientMessages(out, {
    stdin: (bytes) => early.write(bytes),
    closeStdin: () => early.close(),
    resize: (size) => {
      firstSize(size);
      if (params.tty) void command?.resize(size);
    },
  });
  const clientGone = client.then(() => "gone" as const);
  try {
    await out.ready(readyChannel(params));
    await out.preamble();
    if (!out.open) return;
    if (!params.containerRunning) {
      await out.status(containerNotFound(params.container));
      return;
    }
    let size: TerminalSize | undefined;
    if (params.tty) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), params.ttyWaitMs);
      });
      size = await Promise.race([sized, timeout]) ?? { width: 80, height: 24 };
      clearTimeout(timer);
    }
    try {
      command = await startCommand({
        argv: params.argv,
        cwd: params.cwd,
        env: params.env,
        stdin: params.stdin,
        stdout: params.stdout,
        stderr: params.stderr,
        tty: size,
        scratchDir: params.scratchDir,
      });
    } catch (error) {
      if (!(error instanceof CommandNotFoundError)) throw error;
      await out.status(execFailure(error, out.codec.closeSignal));
      return;
    }
    const started = command;
    if (params.podGone.aborted) started.kill();
    params.podGone.addEventListener("abort", () => started.kill(), { once: true });
    stdinWriter = command.stdin;
    const writer = params.stdin ? stdinWriter : undefined;
    const running = command;
    const pumps = Promise.all([
      running.stdout ? out.pump(running.stdout, 1) : undefined,
      running.stderr ? out.pump(running.stderr, 2) : undefined,
    ]);
    // Not awaited: the kept stdin can exceed the pipe buffers, and the process only drains it
    // while its output is being pumped.
    void early.attach({
      write: async (bytes) => await writer?.write(bytes).catch(() => {}),
      close: async () => await writer?.close().catch(() => {}),
    });
    const outcome = await Promise.race([
      Promise.all([pumps, running.exit]).then(([, code]) => code),
      clientGone,
    ]);
    if (outcome === "gone") {
      running.kill();
      await pumps;
      out.log.exitCode = await running.exit;
      return;
    }
    out.log.exitCode = outcome;
    if (!out.open) return;
    if (outcome === 0) {
      await out.status({ status: "Success" });
    } else {
      await out.status(
        nonZeroExit(
          outcome,
          out.codec.closeSignal
            ? `command terminated with exit code ${outcome}`
            : `error executing command [${params.argv.join(" ")}], exit code ${outcome}`,
        ),
      );
    }
  } finally {
    early.abandon();
    command?.kill();
    await stdinWriter?.close().catch(() => {});
    out.stopPings();
    await out.finish();
    await client;
    if (command) await command.exit;
  }
}
