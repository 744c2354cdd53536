/**
 * Attach: each container's main process is started on the first attach (from the container's
 * `command`, default `sh`) and keeps running between sessions; its output is broadcast to every
 * attached session (the slowest one back-pressures the process), stdin from any session is
 * forwarded when the container has `stdin: true`. When the process ends, attached sessions get
 * the Success status, and the next attach starts it again (like a restarted container).
 *
 * @module
 */

import { readClientMessages, readyChannel } from "./exec.ts";
import { containerNotFound } from "./exec.ts";
import { type RunningCommand, startCommand, type StartOptions } from "./process.ts";
import { EarlyStdin, type SessionOutput } from "./session_io.ts";
import type { TerminalSize } from "./types.ts";

interface Listener {
  out: SessionOutput;
  stdout: boolean;
  stderr: boolean;
}

/** A container's running main process and the sessions attached to it. */
export class AttachedProcess {
  readonly command: RunningCommand;
  readonly listeners = new Set<Listener>();
  /** Resolves with the exit code after the output was fully broadcast. */
  readonly ended: Promise<number>;
  stdinClosed = false;

  constructor(command: RunningCommand) {
    this.command = command;
    const pumps = Promise.all([
      command.stdout ? this.#broadcast(command.stdout, 1) : undefined,
      command.stderr ? this.#broadcast(command.stderr, 2) : undefined,
    ]);
    this.ended = Promise.all([pumps, command.exit]).then(([, code]) => code);
  }

  async #broadcast(stream: ReadableStream<Uint8Array>, channel: 1 | 2): Promise<void> {
    const reader = stream.getReader();
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) return;
        await Promise.all(
          [...this.listeners]
            .filter((l) => (channel === 1 ? l.stdout : l.stderr) && l.out.open)
            .map((l) => l.out.write(channel, value)),
        );
      }
    } catch {
      // the process was killed
    } finally {
      reader.releaseLock();
    }
  }

  /** Forwards stdin bytes (back-pressured by the process). */
  async write(bytes: Uint8Array): Promise<void> {
    if (!this.stdinClosed) await this.command.stdin?.write(bytes).catch(() => {});
  }

  /** Closes the process's stdin (stdinOnce semantics). */
  async closeStdin(): Promise<void> {
    if (this.stdinClosed) return;
    this.stdinClosed = true;
    await this.command.stdin?.close().catch(() => {});
  }
}

/** What one attach request asked for. */
export interface AttachParams {
  container: string;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  containerRunning: boolean;
  /** The container spec's `stdin`. */
  containerStdin: boolean;
  /** The container spec's `stdinOnce`. */
  stdinOnce: boolean;
  ttyWaitMs: number;
}

/**
 * Attached processes by `namespace/pod/container`.
 *
 * @example
 * ```ts ignore
 * const registry = new AttachRegistry();
 * await registry.stopAll();
 * ```
 */
export class AttachRegistry {
  #processes = new Map<string, Promise<AttachedProcess>>();

  /** The running process for `key`, started with `options(size)` when there is none. */
  obtain(
    key: string,
    size: TerminalSize | undefined,
    options: (size: TerminalSize | undefined) => StartOptions,
  ): Promise<AttachedProcess> {
    let existing = this.#processes.get(key);
    if (!existing) {
      existing = startCommand(options(size)).then((command) => {
        const attached = new AttachedProcess(command);
        void attached.ended.then(() => {
          if (this.#processes.get(key) === existing) this.#processes.delete(key);
        });
        return attached;
      });
      this.#processes.set(key, existing);
      existing.catch(() => this.#processes.delete(key));
    }
    return existing;
  }

  /** Whether a process for `key` exists (so a TTY size need not be awaited). */
  has(key: string): boolean {
    return this.#processes.has(key);
  }

  /** Kills the processes whose key starts with `prefix` and waits for them. */
  async stop(prefix: string): Promise<void> {
    const matching = [...this.#processes.entries()].filter(([key]) => key.startsWith(prefix));
    await Promise.all(matching.map(async ([key, pending]) => {
      this.#processes.delete(key);
      const attached = await pending.catch(() => undefined);
      if (!attached) return;
      attached.command.kill();
      await attached.command.stdin?.close().catch(() => {});
      await attached.ended;
    }));
  }

  /** Kills every process. */
  stopAll(): Promise<void> {
    return this.stop("");
  }
}

/**
 * Runs one attach session to its end.
 *
 * @example
 * ```ts ignore
 * await serveAttach(output, params, (size) => registry.obtain(key, size, optionsFor));
 * ```
 */
export async function serveAttach(
  out: SessionOutput,
  params: AttachParams,
  obtain: (size: TerminalSize | undefined) => Promise<AttachedProcess>,
  alreadyRunning: boolean,
): Promise<void> {
  let target: AttachedProcess | undefined;
  const early = new EarlyStdin();
  let firstSize: (size: TerminalSize) => void = () => {};
  const sized = new Promise<TerminalSize>((resolve) => (firstSize = resolve));
  const client = readClientMessages(out, {
    stdin: (bytes) => early.write(bytes),
    closeStdin: () => early.close(),
    resize: (size) => {
      firstSize(size);
      if (params.tty) void target?.command.resize(size);
    },
  });
  const listener = { out, stdout: params.stdout, stderr: params.stderr && !params.tty };
  try {
    await out.ready(readyChannel(params));
    await out.preamble();
    if (!out.open) return;
    if (!params.containerRunning) {
      await out.status(containerNotFound(params.container));
      return;
    }
    let size: TerminalSize | undefined;
    if (params.tty && !alreadyRunning) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), params.ttyWaitMs);
      });
      size = await Promise.race([sized, timeout]) ?? { width: 80, height: 24 };
      clearTimeout(timer);
    }
    target = await obtain(size);
    target.listeners.add(listener);
    const process = target;
    // Not awaited, so a client leaving while its kept stdin is still being delivered is noticed.
    void early.attach({
      write: async (bytes) => {
        if (params.stdin && params.containerStdin) await process.write(bytes);
      },
      close: async () => {
        if (params.stdinOnce) await process.closeStdin();
      },
    });
    const outcome = await Promise.race([target.ended, client.then(() => "gone" as const)]);
    if (outcome !== "gone" && out.open) await out.status({ status: "Success" });
  } finally {
    early.abandon();
    target?.listeners.delete(listener);
    out.stopPings();
    await out.finish();
    await client;
  }
}
