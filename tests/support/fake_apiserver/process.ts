/**
 * Runs a "container" command for exec and attach: a real local process (`Deno.Command`), under a
 * pseudo-terminal made by util-linux `script` when a TTY is requested (resizes applied with
 * `stty -F` on that terminal, so `stty size` inside sees them), or one of two in-process
 * built-ins for benchmarks that avoid spawning:
 *
 * - `__kubexec_generate BYTES [zero|counter]` writes BYTES bytes to stdout (zeros, or byte i =
 *   i mod 256) and exits 0;
 * - `__kubexec_sink` reads stdin to EOF and prints `COUNT SHA256HEX\n`.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { TerminalSize } from "./types.ts";

/** The command's executable does not exist (the runtime's "executable file not found"). */
export class CommandNotFoundError extends Error {
  command: string;
  constructor(command: string) {
    super(`exec: "${command}": executable file not found in $PATH`);
    this.name = "CommandNotFoundError";
    this.command = command;
  }
}

/** A started command with the streams that were requested. */
export interface RunningCommand {
  stdin?: WritableStreamDefaultWriter<Uint8Array>;
  stdout?: ReadableStream<Uint8Array>;
  stderr?: ReadableStream<Uint8Array>;
  /** Exit code once the command ended. */
  exit: Promise<number>;
  /** Stops the command (idempotent). */
  kill(): void;
  /** Applies a terminal size (TTY only; otherwise a no-op). */
  resize(size: TerminalSize): Promise<void>;
}

/** How to start a command. */
export interface StartOptions {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** Start under a pseudo-terminal of this size. */
  tty?: TerminalSize;
  /** Directory for the TTY-name file. */
  scratchDir: string;
}

const GENERATE_CHUNK = 64 * 1024;

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

async function resolvable(command: string, env: Record<string, string>): Promise<boolean> {
  const candidates = command.includes("/")
    ? [command]
    : (env.PATH ?? Deno.env.get("PATH") ?? "").split(":").map((dir) => `${dir}/${command}`);
  for (const candidate of candidates) {
    try {
      const info = await Deno.stat(candidate);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

function generate(options: StartOptions): RunningCommand {
  const total = Number(options.argv[1] ?? "0");
  const chunk = new Uint8Array(GENERATE_CHUNK);
  if (options.argv[2] === "counter") {
    for (let i = 0; i < chunk.length; i++) chunk[i] = i & 0xff;
  }
  let remaining = Number.isFinite(total) && total > 0 ? total : 0;
  let finish: (code: number) => void = () => {};
  const exit = new Promise<number>((resolve) => (finish = resolve));
  const stdout = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (remaining === 0) {
        controller.close();
        finish(0);
        return;
      }
      const size = Math.min(remaining, chunk.length);
      remaining -= size;
      controller.enqueue(size === chunk.length ? chunk : chunk.subarray(0, size));
    },
    cancel() {
      finish(137);
    },
  }, { highWaterMark: 0 });
  if (remaining === 0) finish(0);
  return {
    stdout: options.stdout ? stdout : undefined,
    exit,
    kill: () => {
      remaining = 0;
      finish(137);
    },
    resize: () => Promise.resolve(),
  };
}

function sink(options: StartOptions): RunningCommand {
  const hash = createHash("sha256");
  let count = 0;
  let finish: (code: number) => void = () => {};
  const exit = new Promise<number>((resolve) => (finish = resolve));
  let output: ReadableStreamDefaultController<Uint8Array> | undefined;
  const stdout = new ReadableStream<Uint8Array>({
    start(controller) {
      output = controller;
    },
  });
  const report = () => {
    output?.enqueue(new TextEncoder().encode(`${count} ${hash.digest("hex")}\n`));
    output?.close();
    finish(0);
  };
  const stdin = new WritableStream<Uint8Array>({
    write(chunk) {
      count += chunk.length;
      hash.update(chunk);
    },
    close: report,
  });
  if (!options.stdin) report();
  return {
    stdin: options.stdin ? stdin.getWriter() : undefined,
    stdout: options.stdout ? stdout : undefined,
    exit,
    kill: () => {
      try {
        output?.close();
      } catch {
        // already closed
      }
      finish(137);
    },
    resize: () => Promise.resolve(),
  };
}

/**
 * Starts a command; throws {@linkcode CommandNotFoundError} when its executable is missing.
 *
 * @example
 * ```ts ignore
 * const cmd = await startCommand({ argv: ["echo", "hi"], cwd: "/tmp", env: {}, stdin: false,
 *   stdout: true, stderr: true, scratchDir: "/tmp" });
 * ```
 */
export async function startCommand(options: StartOptions): Promise<RunningCommand> {
  const [command] = options.argv;
  if (command === "__kubexec_generate") return generate(options);
  if (command === "__kubexec_sink") return sink(options);
  if (!command || !(await resolvable(command, options.env))) {
    throw new CommandNotFoundError(command ?? "");
  }
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    ...options.env,
  };
  let args = options.argv.slice(1);
  let program = command;
  let ttyFile: string | undefined;
  if (options.tty) {
    ttyFile = `${options.scratchDir}/tty-${crypto.randomUUID()}`;
    const line = `stty rows ${options.tty.height} cols ${options.tty.width} 2>/dev/null; ` +
      `tty > ${shellQuote(ttyFile)}; exec ${options.argv.map(shellQuote).join(" ")}`;
    program = "script";
    args = ["-qfec", line, "/dev/null"];
    env.SHELL = "/bin/sh";
    env.TERM ??= "xterm";
  }
  const child = new Deno.Command(program, {
    args,
    cwd: options.cwd,
    env,
    clearEnv: true,
    stdin: options.stdin || options.tty ? "piped" : "null",
    stdout: options.stdout ? "piped" : "null",
    stderr: options.stderr && !options.tty ? "piped" : "null",
  }).spawn();
  let exited = false;
  const exit = child.status.then((status) => {
    exited = true;
    return status.signal ? 128 + signalNumber(status.signal) : status.code;
  });
  let resizing = Promise.resolve();
  const stdinWriter = options.stdin || options.tty ? child.stdin.getWriter() : undefined;
  if (stdinWriter && !options.stdin) stdinWriter.close().catch(() => {});
  return {
    stdin: options.stdin ? stdinWriter : undefined,
    stdout: options.stdout ? child.stdout : undefined,
    stderr: options.stderr && !options.tty ? child.stderr : undefined,
    exit,
    kill: () => {
      if (exited) return;
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    },
    resize: (size) => {
      if (!ttyFile) return Promise.resolve();
      const file = ttyFile;
      resizing = resizing.then(() => applyTtySize(file, size, () => exited));
      return resizing;
    },
  };
}

function signalNumber(signal: Deno.Signal): number {
  const numbers: Partial<Record<Deno.Signal, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGKILL: 9,
    SIGPIPE: 13,
    SIGTERM: 15,
  };
  return numbers[signal] ?? 0;
}

async function applyTtySize(
  ttyFile: string,
  size: TerminalSize,
  exited: () => boolean,
): Promise<void> {
  let tty = "";
  for (let attempt = 0; attempt < 200 && !exited(); attempt++) {
    tty = await Deno.readTextFile(ttyFile).then((t) => t.trim(), () => "");
    if (tty.startsWith("/dev/")) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  if (!tty.startsWith("/dev/") || exited()) return;
  await new Deno.Command("stty", {
    args: ["-F", tty, "rows", String(size.height), "cols", String(size.width)],
    stdout: "null",
    stderr: "null",
  }).output();
}
