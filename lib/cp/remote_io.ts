/**
 * Small helpers for talking to a {@linkcode RemoteExec}: turning a command's stderr into warning lines,
 * running short probe commands with bounded captured output, and recognizing "executable not found".
 *
 * @module
 */
import { looksLikeMissingExecutable, type RemoteExec, RemoteExecError } from "./remote_exec.ts";

/** A stderr sink that reports complete lines and remembers the last few. */
export interface LineSink {
  /**
   * A fresh stream feeding this sink, one per command: an implementation that closes the streams it
   * was given cannot break later commands (retries) that share the sink.
   */
  stream(): WritableStream<Uint8Array>;
  /** Reports a final unterminated line, if any. */
  flush(): void;
  /** The last lines seen (at most 20), for error hints. */
  tail(): string;
}

/**
 * Creates a sink that decodes UTF-8 and calls `onLine` for every line (without the newline).
 *
 * @example
 * ```ts
 * import { lineSink } from "./remote_io.ts";
 * const lines: string[] = [];
 * const sink = lineSink((line) => lines.push(line));
 * const writer = sink.stream().getWriter();
 * await writer.write(new TextEncoder().encode("a\nb"));
 * sink.flush(); // lines: ["a", "b"]
 * ```
 */
export function lineSink(onLine: (line: string) => void): LineSink {
  const decoder = new TextDecoder();
  let partial = "";
  const recent: string[] = [];
  const emit = (line: string) => {
    recent.push(line);
    if (recent.length > 20) recent.shift();
    onLine(line);
  };
  const write = (chunk: Uint8Array) => {
    const text = partial + decoder.decode(chunk, { stream: true });
    const lines = text.split("\n");
    partial = lines.pop() ?? "";
    // Bound memory when a command writes a huge line without newlines.
    if (partial.length > 64 * 1024) {
      lines.push(partial);
      partial = "";
    }
    for (const line of lines) emit(line.replace(/\r$/, ""));
  };
  return {
    stream: () => new WritableStream<Uint8Array>({ write }),
    flush() {
      const rest = partial + decoder.decode();
      partial = "";
      if (rest !== "") emit(rest);
    },
    tail() {
      return recent.join("\n");
    },
  };
}

/** Output of {@linkcode runCaptured}. */
export interface CapturedRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The command could not be started because its executable does not exist. */
  missingExecutable: boolean;
}

function boundedText(limit: number): { writable: WritableStream<Uint8Array>; text(): string } {
  const parts: Uint8Array[] = [];
  let size = 0;
  return {
    writable: new WritableStream<Uint8Array>({
      write(chunk) {
        if (size >= limit) return;
        const piece = chunk.subarray(0, limit - size);
        parts.push(piece.slice());
        size += piece.length;
      },
    }),
    text() {
      const all = new Uint8Array(size);
      let offset = 0;
      for (const part of parts) {
        all.set(part, offset);
        offset += part.length;
      }
      return new TextDecoder().decode(all);
    },
  };
}

/**
 * Runs a short command without stdin, capturing at most 64 KiB of each output stream. A start failure
 * for a missing executable is returned (`missingExecutable: true`, exit code 127), not thrown; a lost
 * connection is thrown.
 *
 * @example
 * ```ts
 * import { runCaptured } from "./remote_io.ts";
 * import type { RemoteExec } from "./remote_exec.ts";
 * const exec: RemoteExec = () => Promise.resolve({ exitCode: 1 });
 * (await runCaptured(exec, ["test", "-d", "/tmp"])).exitCode; // 1
 * ```
 */
export async function runCaptured(exec: RemoteExec, command: string[]): Promise<CapturedRun> {
  const stdout = boundedText(64 * 1024);
  const stderr = boundedText(64 * 1024);
  try {
    const { exitCode } = await exec(command, { stdout: stdout.writable, stderr: stderr.writable });
    const stderrText = stderr.text();
    return {
      exitCode,
      stdout: stdout.text(),
      stderr: stderrText,
      missingExecutable: isMissingExecutableExit(exitCode, stderrText),
    };
  } catch (error) {
    if (isMissingExecutableError(error)) {
      return {
        exitCode: 127,
        stdout: "",
        stderr: (error as Error).message,
        missingExecutable: true,
      };
    }
    throw error;
  }
}

/**
 * Whether an exit code and stderr mean "executable not found" (126/127 plus a runtime or shell message).
 *
 * @example
 * ```ts
 * import { isMissingExecutableExit } from "./remote_io.ts";
 * isMissingExecutableExit(127, "sh: 1: tar: not found"); // true
 * ```
 */
export function isMissingExecutableExit(exitCode: number, stderr: string): boolean {
  return (exitCode === 126 || exitCode === 127 || exitCode === 128) &&
    looksLikeMissingExecutable(stderr);
}

/**
 * Whether a thrown error means the command's executable does not exist (a failed start, not a lost
 * connection). Any error type is accepted, since the CLI's exec adapter may throw its own status errors.
 *
 * @example
 * ```ts
 * import { isMissingExecutableError } from "./remote_io.ts";
 * isMissingExecutableError(new Error('exec: "tar": executable file not found in $PATH')); // true
 * ```
 */
export function isMissingExecutableError(error: unknown): boolean {
  if (error instanceof RemoteExecError && error.connectionLost) return false;
  return error instanceof Error && looksLikeMissingExecutable(error.message);
}
