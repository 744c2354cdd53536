/**
 * Writes a session as an asciicast v2 recording (https://docs.asciinema.org/manual/asciicast/v2/):
 * one JSON header line, then one JSON line per event `[seconds, type, data]`, where type is `o`
 * (output), `i` (input) or `r` (resize, `COLSxROWS`).
 *
 * Every event is one write of one complete line, issued as soon as it happens, so a session that
 * is killed leaves a file that players read up to its last event. Events are written in the order
 * they were given; each call resolves once its line was handed to the sink, so callers that await
 * it inherit the sink's back-pressure.
 *
 * @module
 */

/** The asciicast v2 header (the fields kubexec writes). */
export interface AsciicastHeader {
  /** Terminal width in columns. */
  width: number;
  /** Terminal height in rows. */
  height: number;
  /** Unix time (seconds) the recording started. */
  timestamp?: number;
  /** A title for players. */
  title?: string;
  /** The command that was recorded, as one string. */
  command?: string;
  /** Environment facts such as `SHELL` and `TERM`. */
  env?: Record<string, string>;
}

/** Event codes of asciicast v2 that kubexec writes. */
export type AsciicastEventType = "o" | "i" | "r";

/**
 * One sink line could not be written; the recording is incomplete from this event on.
 *
 * @example
 * ```ts
 * import { RecordingWriteError } from "./asciicast.ts";
 * new RecordingWriteError("s.cast", new Error("disk full")).message;
 * // "writing the session recording s.cast failed: disk full"
 * ```
 */
export class RecordingWriteError extends Error {
  override name = "RecordingWriteError";
  /** Where the recording goes (a path, or a description of the sink). */
  readonly target: string;

  /**
   * @param target the recording's path
   * @param cause the sink's error
   */
  constructor(target: string, cause: unknown) {
    super(
      `writing the session recording ${target} failed: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.target = target;
  }
}

const encoder = new TextEncoder();

/**
 * An incremental asciicast v2 writer over a byte sink. Output and input bytes are decoded as UTF-8
 * per direction with streaming state, so a character split across two chunks is written whole in
 * the later event.
 *
 * @example
 * ```ts
 * import { AsciicastWriter } from "./asciicast.ts";
 * const lines: string[] = [];
 * const sink = new WritableStream<Uint8Array>({
 *   write: (chunk) => void lines.push(new TextDecoder().decode(chunk)),
 * });
 * const cast = await AsciicastWriter.start(sink, { width: 80, height: 24 });
 * await cast.output(new TextEncoder().encode("hi\r\n"));
 * await cast.close();
 * // lines: ['{"version":2,"width":80,"height":24}\n', '[0.000123,"o","hi\r\n"]\n']
 * ```
 */
export class AsciicastWriter {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #target: string;
  readonly #startedAt: number;
  readonly #now: () => number;
  readonly #outputDecoder = new TextDecoder();
  readonly #inputDecoder = new TextDecoder();
  #failure: RecordingWriteError | undefined;
  #closed = false;

  private constructor(
    writer: WritableStreamDefaultWriter<Uint8Array>,
    target: string,
    now: () => number,
  ) {
    this.#writer = writer;
    this.#target = target;
    this.#now = now;
    this.#startedAt = now();
  }

  /**
   * Writes the header and returns a writer whose clock starts now.
   *
   * @param sink where the lines go (the writer holds its lock until {@linkcode close})
   * @param header the header fields; `version` is always 2
   * @param options `target` names the sink in errors; `now` is a millisecond clock for tests
   */
  static async start(
    sink: WritableStream<Uint8Array>,
    header: AsciicastHeader,
    options: { target?: string; now?: () => number } = {},
  ): Promise<AsciicastWriter> {
    const cast = new AsciicastWriter(
      sink.getWriter(),
      options.target ?? "(stream)",
      options.now ?? (() => performance.now()),
    );
    await cast.#line(JSON.stringify(headerObject(header)));
    return cast;
  }

  /** The first write error, when a write failed (later events are then dropped). */
  get failure(): RecordingWriteError | undefined {
    return this.#failure;
  }

  /** Records output shown on the terminal. */
  output(bytes: Uint8Array): Promise<void> {
    return this.#event("o", this.#outputDecoder.decode(bytes, { stream: true }));
  }

  /** Records input typed by the user. */
  input(bytes: Uint8Array): Promise<void> {
    return this.#event("i", this.#inputDecoder.decode(bytes, { stream: true }));
  }

  /** Records a terminal resize. */
  resize(width: number, height: number): Promise<void> {
    return this.#event("r", `${width}x${height}`);
  }

  /** Flushes bytes of an incomplete character, then closes the sink. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    const tailOut = this.#outputDecoder.decode();
    const tailIn = this.#inputDecoder.decode();
    if (tailOut) await this.#event("o", tailOut);
    if (tailIn) await this.#event("i", tailIn);
    this.#closed = true;
    await this.#writer.close().catch((error) => {
      this.#failure ??= new RecordingWriteError(this.#target, error);
    });
  }

  #event(type: AsciicastEventType, data: string): Promise<void> {
    if (data === "" || this.#closed) return Promise.resolve();
    const seconds = Math.max(0, this.#now() - this.#startedAt) / 1000;
    return this.#line(JSON.stringify([Number(seconds.toFixed(6)), type, data]));
  }

  async #line(json: string): Promise<void> {
    if (this.#failure) return;
    try {
      await this.#writer.write(encoder.encode(`${json}\n`));
    } catch (error) {
      this.#failure = new RecordingWriteError(this.#target, error);
    }
  }
}

function headerObject(header: AsciicastHeader): Record<string, unknown> {
  const object: Record<string, unknown> = {
    version: 2,
    width: header.width,
    height: header.height,
  };
  if (header.timestamp !== undefined) object.timestamp = header.timestamp;
  if (header.command !== undefined) object.command = header.command;
  if (header.title !== undefined) object.title = header.title;
  if (header.env !== undefined) object.env = header.env;
  return object;
}
