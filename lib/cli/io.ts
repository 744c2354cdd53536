/**
 * The process's standard streams and terminal, gathered in one value that commands receive, so
 * every command can run in-process against in-memory streams in tests. Only `main.ts` builds the
 * real one ({@linkcode processIo}).
 *
 * @module
 */
import { WriteBehind } from "./write_behind.ts";
import { PipeReader } from "./pipe_reader.ts";
import {
  PROBE_AFTER_BYTES,
  ProbedInput,
  ProbedOutput,
  syncReads,
  type SyncWritable,
  writeAllSync,
} from "./probed_io.ts";
import { type DirectSink, withDirectSink, withDirectSource } from "../stream/direct_io.ts";

/** The signals that end a session (and restore the terminal) instead of killing the process. */
export type EndingSignal = "SIGINT" | "SIGTERM" | "SIGHUP" | "SIGQUIT";

/** Terminal control the CLI needs; a no-op implementation serves tests and pipes. */
export interface TerminalControl {
  /** Current size of the terminal on stdout (or stdin), when there is one. */
  size(): { columns: number; rows: number } | undefined;
  /** Puts stdin in raw mode (`true`) or restores it (`false`). */
  setRaw(raw: boolean): void;
  /** Subscribes to terminal size changes (SIGWINCH, or polling where it does not exist). */
  onResize(listener: () => void): () => void;
  /** Subscribes to SIGINT/SIGTERM/SIGHUP/SIGQUIT; returns an unsubscribe function. */
  onSignal(listener: (signal: EndingSignal) => void): () => void;
}

/** Standard streams, terminal facts and the environment. */
export interface Io {
  stdin: ReadableStream<Uint8Array>;
  stdout: WritableStream<Uint8Array>;
  stderr: WritableStream<Uint8Array>;
  stdinIsTerminal: boolean;
  stdoutIsTerminal: boolean;
  stderrIsTerminal: boolean;
  env: (name: string) => string | undefined;
  terminal: TerminalControl;
  /** Writes one `-v` log line synchronously (never queued behind a busy stderr stream). */
  log: (line: string) => void;
  /** Waits until everything written to stdout and stderr reached the OS (before the process exits). */
  flush?: () => Promise<void>;
}

const encoder = new TextEncoder();

/**
 * Writes `text` to a stream, holding its lock only for the write.
 *
 * @example
 * ```ts
 * import { writeText } from "./io.ts";
 * const chunks: Uint8Array[] = [];
 * await writeText(new WritableStream({ write: (c) => void chunks.push(c) }), "hi\n");
 * ```
 */
export async function writeText(stream: WritableStream<Uint8Array>, text: string): Promise<void> {
  if (text === "") return;
  const writer = stream.getWriter();
  try {
    await writer.write(encoder.encode(text));
  } finally {
    writer.releaseLock();
  }
}

/** A terminal control that does nothing (pipes, tests). */
export const noTerminal: TerminalControl = {
  size: () => undefined,
  setRaw: () => {},
  onResize: () => () => {},
  onSignal: () => () => {},
};

/**
 * Wraps a stream so that closing it does nothing. The process's stdout must stay open after a
 * session finishes with it (later messages, other sessions in fan-out).
 *
 * @example
 * ```ts
 * import { uncloseable } from "./io.ts";
 * const out = uncloseable(new WritableStream());
 * await out.close(); // the inner stream stays open
 * ```
 */
export function uncloseable(stream: WritableStream<Uint8Array>): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    async write(chunk) {
      const writer = stream.getWriter();
      try {
        await writer.write(chunk);
      } finally {
        writer.releaseLock();
      }
    },
  }, new CountQueuingStrategy({ highWaterMark: 1 }));
}

/** The part of `Deno.FsFile` (and `Deno.stdout`) that {@linkcode uncloseableFile} writes with. */
export interface WritableFile {
  /** Writes some of `bytes`; returns how many were written. */
  write(bytes: Uint8Array): Promise<number>;
}

/** How {@linkcode fileSink} writes to its file. */
export interface FileSinkOptions {
  /** The file's synchronous write, for files that can never block. */
  sync?: SyncWritable;
  /** A write-behind buffer over the file. */
  writeBehind?: WriteBehind;
  /** With `sync` and `writeBehind`: start behind, switch on a yes ({@linkcode ProbedOutput}). */
  probe?: () => Promise<boolean>;
}

/**
 * The sink that writes chunks to a file (the process's stdout or stderr): synchronously, behind a
 * write-behind buffer, behind one until a probe says the file never blocks, or with plain
 * `file.write` calls, as `options` say.
 *
 * @example
 * ```ts
 * import { fileSink } from "./io.ts";
 * const sink = fileSink({ write: (bytes) => Promise.resolve(bytes.length) });
 * await sink.write(new Uint8Array(4));
 * ```
 */
export function fileSink(file: WritableFile, options: FileSinkOptions = {}): DirectSink {
  const { sync, writeBehind, probe } = options;
  return writeBehind && sync && probe
    ? new ProbedOutput(writeBehind, sync, probe)
    : sync
    ? { write: (chunk) => writeAllSync(sync, chunk) }
    : writeBehind
    ? { write: (chunk) => writeBehind.write(chunk), flush: () => writeBehind.flush() }
    : {
      async write(chunk) {
        let offset = 0;
        while (offset < chunk.length) offset += await file.write(chunk.subarray(offset));
      },
    };
}

/**
 * A stream that writes each chunk to `sink` and that closing leaves open; sessions find `sink`
 * behind it and write through it directly (see lib/stream/direct_io.ts).
 *
 * @example
 * ```ts
 * import { sinkStream } from "./io.ts";
 * const out = sinkStream({ write: () => {} });
 * await out.close(); // nothing is closed
 * ```
 */
export function sinkStream(sink: DirectSink): WritableStream<Uint8Array> {
  return withDirectSink(
    new WritableStream<Uint8Array>({
      async write(chunk) {
        await sink.write(chunk);
      },
    }, new CountQueuingStrategy({ highWaterMark: 1 })),
    sink,
  );
}

/**
 * A stream over a file (the process's stdout or stderr) that closing leaves open. Each chunk goes
 * to `file.write` directly, without the file's own `writable` stream in between: on the hot path
 * of a 1 GiB stdout that layer (a lock taken and released per chunk, a second stream queue and
 * `op_write_all` in place of `op_write`) cost a third of the CPU the session spent on output.
 *
 * @example
 * ```ts
 * import { uncloseableFile } from "./io.ts";
 * const out = uncloseableFile({ write: (bytes) => Promise.resolve(bytes.length) });
 * await out.close(); // nothing is closed
 * ```
 */
export function uncloseableFile(
  file: WritableFile,
  options: FileSinkOptions = {},
): WritableStream<Uint8Array> {
  return sinkStream(fileSink(file, options));
}

/**
 * Whether reading or writing `path` (`/dev/stdin`, `/dev/stdout`) can never block for long: a
 * regular file or a character device that is not a terminal (`/dev/null`). Such a stream is read or
 * written synchronously.
 * An asynchronous write is an operation on a blocking thread; with one per 32 KiB message that hop
 * was the bottleneck of `exec > /dev/null` (512 MiB received and discarded: 0.45 s, with an
 * awaited `write` per message 1.9 s, with `writeSync` 0.44 s). Pipes, sockets and terminals keep
 * asynchronous writes: a reader that stops would otherwise freeze the whole session, signals
 * included.
 *
 * `undefined` when Deno will not let the process look: without `--allow-all` it refuses to
 * `stat` anything under `/dev` or `/proc` except a few harmless devices, `/dev/stdout` included —
 * which is the case of the shipped binary. {@linkcode streamNeverBlocks} answers then.
 *
 * @example
 * ```ts
 * import { neverBlocks } from "./io.ts";
 * neverBlocks("/dev/null", false); // true
 * ```
 */
export function neverBlocks(path: string, isTerminal: boolean): boolean | undefined {
  if (isTerminal) return false;
  try {
    const info = Deno.statSync(path);
    return info.isFile || info.isCharDevice === true;
  } catch (error) {
    return error instanceof Deno.errors.NotCapable ? undefined : false;
  }
}

/**
 * Asks a child shell, which inherits the process's `stream`, whether that stream is a regular file
 * or `/dev/null` (the two {@linkcode neverBlocks} would read or write synchronously). Deno has no
 * `fstat` of fds 0 and 1 and refuses `/dev/stdin` and `/dev/stdout` to a process without
 * `--allow-all`; `node:fs`'s `fstatSync` would do, but loading it costs every command 18 ms and 14
 * MiB, where this costs one `sh` run, only for large streams (see lib/cli/probed_io.ts). Any failure
 * means "no".
 *
 * @example
 * ```ts ignore
 * import { streamNeverBlocks } from "./io.ts";
 * if (await streamNeverBlocks("stdout")) console.error("stdout is a file or /dev/null");
 * ```
 */
export async function streamNeverBlocks(stream: "stdin" | "stdout"): Promise<boolean> {
  const path = `/dev/${stream}`;
  try {
    // An absolute path: no PATH search, and no stranger's `sh` earlier on it.
    const child = new Deno.Command("/bin/sh", {
      args: ["-c", `[ -f ${path} ] || [ ${path} -ef /dev/null ]`],
      stdin: stream === "stdin" ? "inherit" : "null",
      stdout: stream === "stdout" ? "inherit" : "null",
      stderr: "null",
    }).spawn();
    return (await child.status).success;
  } catch {
    return false;
  }
}

/** The part of `Deno.FsFile` (and `Deno.stdin`) that {@linkcode fileReadable} reads with. */
export interface ReadableFile {
  /** Reads into `buffer`; returns the byte count, or `null` at the end. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Stops reading early (the stream was cancelled), where the file needs to be told. */
  cancel?(): void;
}

/** How much one read of stdin asks for: a pipe holds 64 KiB. */
export const STDIN_READ_BYTES = 64 * 1024;

/**
 * A stream over a file (the process's stdin) that reads only when pulled, one `file.read` per
 * chunk. Used instead of `Deno.stdin.readable`, whose byte-stream machinery cost 0.78 s of CPU per
 * GiB piped in against 0.26 s for the same reads made directly (both 64 KiB per read): on
 * `exec -i` that was a third of the client's CPU.
 *
 * @example
 * ```ts
 * import { fileReadable } from "./io.ts";
 * const stream = fileReadable({ read: () => Promise.resolve(null) });
 * await stream.getReader().read(); // { done: true, value: undefined }
 * ```
 */
export function fileReadable(
  file: ReadableFile,
  chunkBytes = STDIN_READ_BYTES,
): ReadableStream<Uint8Array> {
  // Sessions read `file` directly into buffers of their own (lib/stream/direct_io.ts).
  return withDirectSource(
    new ReadableStream<Uint8Array>({
      async pull(controller) {
        const buffer = new Uint8Array(chunkBytes);
        const count = await file.read(buffer);
        if (count === null) controller.close();
        else controller.enqueue(buffer.subarray(0, count));
      },
      cancel() {
        file.cancel?.();
      },
    }, { highWaterMark: 0 }),
    { read: (buffer) => file.read(buffer) },
  );
}

const RESIZE_POLL_MS = 250;

function disableOutputProcessing(): void {
  try {
    new Deno.Command("stty", { args: ["-opost"], stdin: "inherit", stdout: "null", stderr: "null" })
      .outputSync();
  } catch {
    // No stty: the session still works, with doubled carriage returns in captured output.
  }
}

function realTerminal(): TerminalControl {
  const size = () => {
    try {
      return Deno.consoleSize();
    } catch {
      return undefined;
    }
  };
  return {
    size,
    setRaw(raw) {
      if (!Deno.stdin.isTerminal()) return;
      Deno.stdin.setRaw(raw, { cbreak: false });
      // Deno's raw mode keeps output post-processing (OPOST), so the remote pty's "\r\n" would
      // reach the screen as "\r\r\n". Go's term.MakeRaw, which kubectl uses, clears it; so do we.
      // Deno.stdin.setRaw(false) restores the saved settings, OPOST included.
      if (raw && Deno.build.os !== "windows") disableOutputProcessing();
    },
    onResize(listener) {
      if (Deno.build.os !== "windows") {
        Deno.addSignalListener("SIGWINCH", listener);
        return () => Deno.removeSignalListener("SIGWINCH", listener);
      }
      let last = JSON.stringify(size());
      const timer = setInterval(() => {
        const now = JSON.stringify(size());
        if (now !== last) {
          last = now;
          listener();
        }
      }, RESIZE_POLL_MS);
      return () => clearInterval(timer);
    },
    onSignal(listener) {
      // SIGQUIT too: left to Deno, it would end the process with the terminal still raw.
      const signals: EndingSignal[] = Deno.build.os === "windows"
        ? ["SIGINT"]
        : ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];
      const handlers = signals.map((signal) => {
        const handler = () => listener(signal);
        Deno.addSignalListener(signal, handler);
        return [signal, handler] as const;
      });
      return () => {
        for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
      };
    },
  };
}

/** A source built by `make` on its first read. */
function lazySource(make: () => ReadableFile): ReadableFile {
  let source: ReadableFile | undefined;
  return {
    read: (buffer) => (source ??= make()).read(buffer),
    cancel: () => source?.cancel?.(),
  };
}

/**
 * `Deno.stdin` as a source: read synchronously when it is a regular file or `/dev/null`; a pipe
 * that turns out large is read by a thread of its own (lib/cli/pipe_reader.ts); a terminal is
 * read asynchronously.
 */
function stdinSource(): ReadableFile {
  const windows = Deno.build.os === "windows";
  const terminal = Deno.stdin.isTerminal();
  const kind = windows ? false : neverBlocks("/dev/stdin", terminal);
  if (kind === true) return syncReads(Deno.stdin);
  if (windows || terminal) return Deno.stdin;
  const probe = kind === false ? () => Promise.resolve(false) : () => streamNeverBlocks("stdin");
  return new ProbedInput(
    Deno.stdin,
    Deno.stdin,
    probe,
    PROBE_AFTER_BYTES,
    () => new PipeReader({ fallback: Deno.stdin }),
  );
}

/** The sinks an {@linkcode Io}'s stdout and stderr streams write through. */
export interface OutputSinks {
  /** What `io.stdout` writes to. */
  stdout: DirectSink;
  /** What `io.stderr` writes to. */
  stderr: DirectSink;
}

const OUTPUT_SINKS = new WeakMap<Io, OutputSinks>();

/**
 * Records that `io.stdout` and `io.stderr` write through `sinks`, so that a session can write to
 * them without the streams ever being built ({@linkcode outputSinks}). Returns `io`.
 *
 * @example
 * ```ts ignore
 * import { registerOutputSinks } from "./io.ts";
 * const io = registerOutputSinks(someIo, { stdout: stdoutSink, stderr: stderrSink });
 * ```
 */
export function registerOutputSinks(io: Io, sinks: OutputSinks): Io {
  OUTPUT_SINKS.set(io, sinks);
  return io;
}

/**
 * The sinks behind `io`'s stdout and stderr, when they were registered for this very object: an
 * `Io` made from another by spreading it (recording, fan-out) has its own streams and no sinks,
 * so its output keeps going through those streams.
 *
 * @example
 * ```ts
 * import { noTerminal, outputSinks, type Io } from "./io.ts";
 * const io: Io = {
 *   stdin: new ReadableStream(),
 *   stdout: new WritableStream(),
 *   stderr: new WritableStream(),
 *   stdinIsTerminal: false,
 *   stdoutIsTerminal: false,
 *   stderrIsTerminal: false,
 *   env: () => undefined,
 *   terminal: noTerminal,
 *   log: () => {},
 * };
 * outputSinks(io); // undefined
 * ```
 */
export function outputSinks(io: Io): OutputSinks | undefined {
  return OUTPUT_SINKS.get(io);
}

/**
 * The real process streams. Only `main.ts` calls this.
 *
 * The streams are built on first use: the first Web stream makes Deno load its streams
 * implementation (in an empty script 2 ms and 2 MiB; `exec -- true` took 1–2 ms and 0.7 MiB less
 * without it), and `exec` and `attach` need none: their sessions write to the registered
 * {@linkcode outputSinks}.
 *
 * @example
 * ```ts
 * import { processIo } from "./io.ts";
 * const io = processIo();
 * ```
 */
export function processIo(): Io {
  // Windows consoles and pipes always take the asynchronous path.
  const stdoutKind = Deno.build.os === "windows"
    ? false
    : neverBlocks("/dev/stdout", Deno.stdout.isTerminal());
  const syncStdout = stdoutKind === true;
  const stdoutBehind = syncStdout ? undefined : new WriteBehind(Deno.stdout);
  const stderrBehind = new WriteBehind(Deno.stderr);
  const sinks: OutputSinks = {
    stdout: fileSink(Deno.stdout, {
      sync: stdoutKind === false ? undefined : Deno.stdout,
      writeBehind: stdoutBehind,
      probe: stdoutKind === undefined ? () => streamNeverBlocks("stdout") : undefined,
    }),
    stderr: fileSink(Deno.stderr, { writeBehind: stderrBehind }),
  };
  let stdin: ReadableStream<Uint8Array> | undefined;
  let stdout: WritableStream<Uint8Array> | undefined;
  let stderr: WritableStream<Uint8Array> | undefined;
  return registerOutputSinks({
    // Examined on the first read: most commands never read stdin.
    get stdin() {
      return stdin ??= fileReadable(lazySource(stdinSource));
    },
    get stdout() {
      return stdout ??= sinkStream(sinks.stdout);
    },
    get stderr() {
      return stderr ??= sinkStream(sinks.stderr);
    },
    flush: async () => {
      await Promise.all(
        [stdoutBehind?.flush(), stderrBehind.flush()].map((p) => p?.catch(() => {})),
      );
    },
    stdinIsTerminal: Deno.stdin.isTerminal(),
    stdoutIsTerminal: Deno.stdout.isTerminal(),
    stderrIsTerminal: Deno.stderr.isTerminal(),
    env: (name) => Deno.env.get(name),
    terminal: realTerminal(),
    log: (line) => {
      try {
        Deno.stderr.writeSync(encoder.encode(line));
      } catch {
        // stderr is gone (closed pipe): logging must never break a session.
      }
    },
  }, sinks);
}
