/**
 * Faster ways for a session to hand output to the process's stdout and stderr, and to read the
 * process's stdin.
 *
 * A `WritableStream` costs several promise hops per chunk, and it owns every chunk it is given, so
 * the session must pass copies. A stream built by the CLI for the process's own stdout or stderr
 * can carry a {@linkcode DirectSink} as well: a `write` that has finished with the chunk when it
 * returns (or when its promise settles), so the session may pass views of the connection's read
 * buffer and skip both the copy and the stream machinery. A stream that wraps another (recording,
 * fan-out prefixes, tests) does not carry the sink and is written the ordinary way.
 *
 * Likewise a stream over the process's stdin can carry a {@linkcode DirectSource}: the session
 * then reads into two buffers of its own, alternately, instead of receiving a fresh array per
 * chunk (the garbage of a 1 GiB upload kept tens of MiB alive between collections).
 *
 * @module
 */

/** Consumes each chunk before `write` returns, or before the promise it returns settles. */
export interface DirectSink {
  /** Writes (or copies) `chunk`; must not keep a reference to it afterwards. */
  write(chunk: Uint8Array): void | Promise<void>;
  /**
   * Resolves once every accepted chunk reached the file (a sink that copies into a write-behind
   * buffer has accepted chunks it has not written yet). A session that ends with the command's
   * status waits for it, so its caller's next message and terminal restore come after the output.
   */
  flush?(): Promise<void>;
}

const DIRECT_SINK: unique symbol = Symbol("kubexec.directSink");

type WithSink = WritableStream<Uint8Array> & { [DIRECT_SINK]?: DirectSink };

/**
 * Returns `stream` with `sink` attached, for {@linkcode directSinkOf} to find.
 *
 * @example
 * ```ts
 * import { directSinkOf, withDirectSink } from "./direct_io.ts";
 * const sink = { write(_chunk: Uint8Array) {} };
 * const stream = withDirectSink(new WritableStream<Uint8Array>(), sink);
 * directSinkOf(stream) === sink; // true
 * ```
 */
export function withDirectSink(
  stream: WritableStream<Uint8Array>,
  sink: DirectSink,
): WritableStream<Uint8Array> {
  (stream as WithSink)[DIRECT_SINK] = sink;
  return stream;
}

/**
 * The direct sink attached to `stream`, if any.
 *
 * @example
 * ```ts
 * import { directSinkOf } from "./direct_io.ts";
 * directSinkOf(new WritableStream<Uint8Array>()); // undefined
 * ```
 */
export function directSinkOf(
  stream: WritableStream<Uint8Array> | undefined,
): DirectSink | undefined {
  return (stream as WithSink | undefined)?.[DIRECT_SINK];
}

/** Reads into a buffer the caller owns, like `Deno.FsFile.read`. */
export interface DirectSource {
  /** Reads up to `buffer.length` bytes into `buffer`; `null` at the end. */
  read(buffer: Uint8Array): Promise<number | null>;
}

const DIRECT_SOURCE: unique symbol = Symbol("kubexec.directSource");

type WithSource = ReadableStream<Uint8Array> & { [DIRECT_SOURCE]?: DirectSource };

/**
 * Returns `stream` with `source` attached, for {@linkcode directSourceOf} to find. Reading through
 * either must give the same bytes: a consumer uses one or the other, never both.
 *
 * @example
 * ```ts
 * import { directSourceOf, withDirectSource } from "./direct_io.ts";
 * const source = { read: (_buffer: Uint8Array) => Promise.resolve(null) };
 * const stream = withDirectSource(new ReadableStream<Uint8Array>(), source);
 * directSourceOf(stream) === source; // true
 * ```
 */
export function withDirectSource(
  stream: ReadableStream<Uint8Array>,
  source: DirectSource,
): ReadableStream<Uint8Array> {
  (stream as WithSource)[DIRECT_SOURCE] = source;
  return stream;
}

/**
 * The direct source attached to `stream`, if any.
 *
 * @example
 * ```ts
 * import { directSourceOf } from "./direct_io.ts";
 * directSourceOf(new ReadableStream<Uint8Array>()); // undefined
 * ```
 */
export function directSourceOf(
  stream: ReadableStream<Uint8Array> | undefined,
): DirectSource | undefined {
  return (stream as WithSource | undefined)?.[DIRECT_SOURCE];
}
