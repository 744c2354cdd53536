/**
 * In-memory {@linkcode Io} for running CLI commands in-process: stdin from bytes, stdout and
 * stderr captured, no terminal.
 *
 * @module
 */
import type { Io, TerminalControl } from "../../lib/cli/io.ts";
import { noTerminal } from "../../lib/cli/io.ts";

/** A captured run's streams. */
export interface CapturedIo {
  io: Io;
  stdout: () => string;
  stderr: () => string;
  logs: string[];
}

function sink(chunks: Uint8Array[]): WritableStream<Uint8Array> {
  return new WritableStream({
    write(chunk) {
      chunks.push(chunk.slice());
    },
  });
}

function text(chunks: Uint8Array[]): string {
  const decoder = new TextDecoder();
  return chunks.map((chunk) => decoder.decode(chunk, { stream: true })).join("") +
    decoder.decode();
}

/**
 * Builds an in-memory Io.
 *
 * @example
 * ```ts
 * import { captureIo } from "./cli_io.ts";
 * const { io, stdout } = captureIo({ env: { HOME: "/nonexistent" } });
 * ```
 */
export function captureIo(options: {
  stdin?: Uint8Array | string;
  env?: Record<string, string>;
  stdinIsTerminal?: boolean;
  terminal?: TerminalControl;
} = {}): CapturedIo {
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  const logs: string[] = [];
  const input = typeof options.stdin === "string"
    ? new TextEncoder().encode(options.stdin)
    : options.stdin ?? new Uint8Array();
  const env = options.env ?? {};
  return {
    io: {
      stdin: ReadableStream.from([input]),
      stdout: sink(out),
      stderr: sink(err),
      stdinIsTerminal: options.stdinIsTerminal ?? false,
      stdoutIsTerminal: false,
      stderrIsTerminal: false,
      env: (name) => env[name],
      terminal: options.terminal ?? noTerminal,
      log: (line) => void logs.push(line),
    },
    stdout: () => text(out),
    stderr: () => text(err),
    logs,
  };
}
