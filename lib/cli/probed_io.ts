/**
 * Standard streams whose kind the process may not look at.
 *
 * Synchronous reads and writes are much cheaper than Deno's asynchronous ones (each of those is a
 * hop to a blocking thread; a read also duplicates and closes the descriptor around it), but only
 * safe where they cannot wait on another process: a regular file or `/dev/null`, never a pipe or a
 * terminal. Measured on the bench server, 1 GiB: stdout `> /dev/null` 0.66 s of CPU against 0.99
 * s, `> file` 0.87–0.94 s of wall time against 1.27–2.53 s; stdin `< file` 0.81–0.92 s against
 * 1.23–1.41 s (kubectl 0.85–0.99 s). Under the shipped, scoped permissions Deno refuses to `stat`
 * `/dev/stdout` and `/dev/stdin` (it requires `--allow-all` for `/dev` and `/proc` paths) and
 * offers no `fstat` of fds 0 and 1, so the kind is asked of a probe instead, once and only when the
 * stream turns out to be large: small ones (`exec -- true`, a shell prompt) never pay for it. A
 * large stdin that the probe finds is a pipe goes to a reader thread instead
 * (lib/cli/pipe_reader.ts).
 *
 * @module
 */
import type { DirectSink, DirectSource } from "../stream/direct_io.ts";
import type { WriteBehind } from "./write_behind.ts";

/** The synchronous write of `Deno.stdout`. */
export interface SyncWritable {
  /** Writes some of `bytes`; returns how many were written. */
  writeSync(bytes: Uint8Array): number;
}

/** Stream size after which the probe is asked (once). */
export const PROBE_AFTER_BYTES = 4 * 1024 * 1024;

/**
 * Writes `chunk` completely with `file.writeSync`, through short writes.
 *
 * @example
 * ```ts
 * import { writeAllSync } from "./probed_io.ts";
 * writeAllSync({ writeSync: (bytes) => bytes.length }, new Uint8Array(4));
 * ```
 */
export function writeAllSync(file: SyncWritable, chunk: Uint8Array): void {
  if (chunk.length === 0) return;
  // The whole chunk first: a view per write is garbage the bulk path makes 32,768 times a GiB.
  let offset = file.writeSync(chunk);
  while (offset < chunk.length) offset += file.writeSync(chunk.subarray(offset));
}

/** Counts a stream's bytes and, once `after` of them went by, asks `probe` once. */
class ProbeOnce {
  readonly #probe: () => Promise<boolean>;
  readonly #after: number;
  readonly #onAnswer: (neverBlocks: boolean) => void;
  #seen = 0;
  #asked = false;

  constructor(
    probe: () => Promise<boolean>,
    after: number,
    onAnswer: (neverBlocks: boolean) => void,
  ) {
    this.#probe = probe;
    this.#after = after;
    this.#onAnswer = onAnswer;
  }

  /** Adds `bytes`; asks the probe when the threshold is first reached (a failure means no). */
  count(bytes: number): void {
    this.#seen += bytes;
    if (this.#asked || this.#seen < this.#after) return;
    this.#asked = true;
    this.#probe().then((neverBlocks) => this.#onAnswer(neverBlocks), () => this.#onAnswer(false));
  }
}

/**
 * A sink that starts behind a {@linkcode WriteBehind} and, once {@linkcode PROBE_AFTER_BYTES}
 * were written, asks `probe` whether the output can never block. On `true` it lets the
 * write-behind drain and writes synchronously from then on, so bytes keep their order; on `false`
 * or a failed probe it stays behind the buffer.
 *
 * @example
 * ```ts
 * import { ProbedOutput } from "./probed_io.ts";
 * import { WriteBehind } from "./write_behind.ts";
 * const sink = new ProbedOutput(
 *   new WriteBehind({ write: (bytes) => Promise.resolve(bytes.length) }),
 *   { writeSync: (bytes) => bytes.length },
 *   () => Promise.resolve(true),
 * );
 * await sink.write(new Uint8Array(8));
 * await sink.flush();
 * ```
 */
export class ProbedOutput implements DirectSink {
  readonly #behind: WriteBehind;
  readonly #sync: SyncWritable;
  readonly #probe: ProbeOnce;
  /** Set once the probe said yes: resolves when the write-behind has drained. */
  #switching: Promise<void> | undefined;
  #direct = false;

  /**
   * @param behind the write-behind buffer used until the probe says otherwise
   * @param sync the synchronous write of the same file
   * @param probe whether the file can never block (a regular file or `/dev/null`)
   * @param probeAfterBytes output size after which `probe` is asked
   */
  constructor(
    behind: WriteBehind,
    sync: SyncWritable,
    probe: () => Promise<boolean>,
    probeAfterBytes = PROBE_AFTER_BYTES,
  ) {
    this.#behind = behind;
    this.#sync = sync;
    this.#probe = new ProbeOnce(probe, probeAfterBytes, (neverBlocks) => {
      if (!neverBlocks) return;
      this.#switching = behind.flush().then(() => {
        this.#direct = true;
      });
      // A failed flush reaches the next write through the chain; it must not go unhandled.
      this.#switching.catch(() => {});
    });
  }

  /** Whether writes go straight to the file now. */
  get direct(): boolean {
    return this.#direct;
  }

  /** Writes (or copies) `chunk`. */
  write(chunk: Uint8Array): void | Promise<void> {
    if (this.#direct) return writeAllSync(this.#sync, chunk);
    if (this.#switching) {
      // Chained, so a write made while the buffer drains still goes out after it.
      return this.#switching.then(() => writeAllSync(this.#sync, chunk));
    }
    this.#probe.count(chunk.length);
    return this.#behind.write(chunk);
  }

  /** Resolves once every accepted chunk reached the file. */
  async flush(): Promise<void> {
    if (this.#switching) await this.#switching;
    await this.#behind.flush();
  }
}

/** The synchronous read of `Deno.stdin`. */
export interface SyncReadable {
  /** Reads into `buffer`; returns the byte count, or `null` at the end. */
  readSync(buffer: Uint8Array): number | null;
}

/**
 * `file.readSync` behind the asynchronous read interface (a failure is a rejected promise, never a
 * throw).
 *
 * @example
 * ```ts
 * import { syncReads } from "./probed_io.ts";
 * await syncReads({ readSync: () => null }).read(new Uint8Array(8)); // null
 * ```
 */
export function syncReads(file: SyncReadable): DirectSource {
  return {
    read(buffer) {
      try {
        return Promise.resolve(file.readSync(buffer));
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}

/** A source that can be stopped early (the worker behind a `PipeReader`). */
export interface StoppableSource extends DirectSource {
  /** Stops reading; later reads return `null`. */
  cancel(): void;
}

/**
 * A source that reads with `file.read` and, once {@linkcode PROBE_AFTER_BYTES} were read, asks
 * `probe` whether the input can never block. On `true` later reads use `readSync`; on `false` (a
 * pipe) or a failed probe they go to the source `pipe` makes, when one is given (a
 * `PipeReader`, lib/cli/pipe_reader.ts). Either switch waits until no asynchronous read is in
 * flight, so bytes keep their order even for a caller that overlaps reads.
 *
 * @example
 * ```ts
 * import { ProbedInput } from "./probed_io.ts";
 * const input = new ProbedInput(
 *   { read: () => Promise.resolve(null) },
 *   { readSync: () => null },
 *   () => Promise.resolve(true),
 * );
 * await input.read(new Uint8Array(8)); // null
 * ```
 */
export class ProbedInput implements StoppableSource {
  readonly #file: DirectSource;
  readonly #sync: DirectSource;
  readonly #probe: ProbeOnce;
  /** Where reads go once the probe has answered. */
  #next: DirectSource | undefined;
  /** The source `pipe` made, once it was. */
  #pipe: StoppableSource | undefined;
  #cancelled = false;
  #inFlight = 0;

  /**
   * @param file the asynchronous read used until the probe says otherwise
   * @param sync the synchronous read of the same file
   * @param probe whether the file can never block (a regular file or `/dev/null`)
   * @param probeAfterBytes input size after which `probe` is asked
   * @param pipe makes the source used when the probe says no; without it reads stay asynchronous
   */
  constructor(
    file: DirectSource,
    sync: SyncReadable,
    probe: () => Promise<boolean>,
    probeAfterBytes = PROBE_AFTER_BYTES,
    pipe?: () => StoppableSource,
  ) {
    this.#file = file;
    this.#sync = syncReads(sync);
    this.#probe = new ProbeOnce(probe, probeAfterBytes, (neverBlocks) => {
      if (this.#cancelled) return;
      if (neverBlocks) this.#next = this.#sync;
      else if (pipe) {
        try {
          this.#next = this.#pipe = pipe();
        } catch {
          // No reader thread (a runtime without workers): reads stay asynchronous.
        }
      }
    });
  }

  /** Whether reads go straight to the file now (synchronously). */
  get direct(): boolean {
    return this.#next === this.#sync;
  }

  /** Whether reads go to the source `pipe` made. */
  get piped(): boolean {
    return this.#pipe !== undefined;
  }

  /** Reads up to `buffer.length` bytes into `buffer`; `null` at the end. */
  read(buffer: Uint8Array): Promise<number | null> {
    if (this.#next && this.#inFlight === 0) return this.#next.read(buffer);
    this.#inFlight++;
    const settled = () => void this.#inFlight--;
    return this.#file.read(buffer).finally(settled).then((count) => {
      if (count !== null) this.#probe.count(count);
      return count;
    });
  }

  /** Stops the source `pipe` made, if any (its worker would otherwise read on). */
  cancel(): void {
    this.#cancelled = true;
    this.#pipe?.cancel();
  }
}
