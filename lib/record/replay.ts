/**
 * Reads asciicast v2 recordings and plays their output back with the recorded timing, faster
 * with `speed`, and with long pauses cut to `maxWaitMs`. The file is read line by line as it is
 * played, so a long recording is never held in memory whole.
 *
 * A recording cut short by a killed session may end in a partial line; that last line is ignored,
 * as asciinema's player does. Any other malformed line is an error naming its line number.
 *
 * @module
 */
import type { AsciicastHeader } from "./asciicast.ts";

/**
 * A recording that is not asciicast v2, or a malformed line inside one.
 *
 * @example
 * ```ts
 * import { RecordingFormatError } from "./replay.ts";
 * new RecordingFormatError(3, "not JSON").message; // "line 3: not JSON"
 * ```
 */
export class RecordingFormatError extends Error {
  override name = "RecordingFormatError";
  /** 1-based line number of the problem. */
  readonly line: number;

  /**
   * @param line the line number
   * @param problem what is wrong with it
   */
  constructor(line: number, problem: string) {
    super(`line ${line}: ${problem}`);
    this.line = line;
  }
}

/** One event of a recording. */
export interface AsciicastEvent {
  /** Seconds since the start of the recording. */
  time: number;
  /** Event code: `o` output, `i` input, `r` resize, `m` marker, or another code. */
  type: string;
  data: string;
}

/** The longest line accepted (one event carries at most one output chunk). */
const MAX_LINE_CHARACTERS = 8 * 1024 * 1024;

async function* lines(source: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = "";
  let number = 0;
  for await (const chunk of source) {
    const text = decoder.decode(chunk, { stream: true });
    // Only the new text can hold a newline: scanning the held part again would be quadratic.
    let newline = text.indexOf("\n");
    if (newline < 0) {
      pending += text;
    } else {
      number++;
      yield pending + text.slice(0, newline);
      let start = newline + 1;
      while ((newline = text.indexOf("\n", start)) >= 0) {
        number++;
        yield text.slice(start, newline);
        start = newline + 1;
      }
      pending = text.slice(start);
    }
    if (pending.length > MAX_LINE_CHARACTERS) {
      throw new RecordingFormatError(
        number + 1,
        `longer than ${MAX_LINE_CHARACTERS} characters: not an asciicast recording`,
      );
    }
  }
  pending += decoder.decode();
  if (pending !== "") yield pending;
}

function parseHeader(line: string | undefined): AsciicastHeader {
  if (line === undefined) throw new RecordingFormatError(1, "the recording is empty");
  let header: unknown;
  try {
    header = JSON.parse(line);
  } catch {
    throw new RecordingFormatError(1, "the header is not JSON: not an asciicast recording");
  }
  const fields = header as Record<string, unknown>;
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new RecordingFormatError(1, "the header is not a JSON object");
  }
  if (fields.version !== 2) {
    throw new RecordingFormatError(
      1,
      `asciicast version ${JSON.stringify(fields.version)} is not supported (only version 2)`,
    );
  }
  if (typeof fields.width !== "number" || typeof fields.height !== "number") {
    throw new RecordingFormatError(1, "the header has no numeric width and height");
  }
  return header as AsciicastHeader;
}

function parseEvent(line: string, number: number): AsciicastEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new RecordingFormatError(number, "not JSON");
  }
  if (
    !Array.isArray(value) || value.length < 3 || typeof value[0] !== "number" ||
    typeof value[1] !== "string" || typeof value[2] !== "string" || value[0] < 0
  ) {
    throw new RecordingFormatError(number, "an event must be [seconds, code, data]");
  }
  return { time: value[0], type: value[1], data: value[2] };
}

/**
 * Reads a recording: the header first, then its events as they are read.
 *
 * @example
 * ```ts
 * import { readAsciicast } from "./replay.ts";
 * const text = '{"version":2,"width":80,"height":24}\n[0.5,"o","hi"]\n';
 * const { header, events } = await readAsciicast(new Blob([text]).stream());
 * for await (const event of events) console.log(header.width, event.data);
 * ```
 */
export async function readAsciicast(
  source: ReadableStream<Uint8Array>,
): Promise<{ header: AsciicastHeader; events: AsyncGenerator<AsciicastEvent> }> {
  const input = lines(source);
  const first = await input.next();
  let header: AsciicastHeader;
  try {
    header = parseHeader(first.done ? undefined : first.value);
  } catch (error) {
    await input.return(undefined);
    throw error;
  }
  async function* events(): AsyncGenerator<AsciicastEvent> {
    let number = 1;
    let held: { line: string; number: number } | undefined;
    try {
      for await (const line of input) {
        number++;
        if (line.trim() === "") continue;
        if (held) yield parseEvent(held.line, held.number);
        held = { line, number };
      }
    } finally {
      await input.return(undefined);
    }
    if (!held) return;
    try {
      yield parseEvent(held.line, held.number);
    } catch (error) {
      // A killed session may leave half a line at the end; everything before it is still valid.
      if (!(error instanceof RecordingFormatError)) throw error;
    }
  }
  return { header, events: events() };
}

/** Options of {@linkcode replayAsciicast}. */
export interface ReplayOptions {
  /** Playback speed factor (2 = twice as fast). Default 1. */
  speed?: number;
  /** Longest pause between two events, in milliseconds, after `speed` applied. */
  maxWaitMs?: number;
  /** Waits `ms` milliseconds (tests pass a fake clock). */
  sleep?: (ms: number) => Promise<void>;
  /** Stops playback. */
  signal?: AbortSignal;
}

/** What a replay did. */
export interface ReplaySummary {
  header: AsciicastHeader;
  /** Output events written. */
  outputEvents: number;
  /** Milliseconds spent waiting between events. */
  waitedMs: number;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Writes the output events of a recording to `out` with the recorded pauses between them.
 * Input and resize events are not replayed (input is already echoed in the output).
 *
 * @example
 * ```ts ignore
 * import { replayAsciicast } from "./replay.ts";
 * const file = await Deno.open("session.cast");
 * await replayAsciicast(file.readable, Deno.stdout.writable, { speed: 2, maxWaitMs: 1000 });
 * ```
 */
export async function replayAsciicast(
  source: ReadableStream<Uint8Array>,
  out: WritableStream<Uint8Array>,
  options: ReplayOptions = {},
): Promise<ReplaySummary> {
  const speed = options.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) {
    throw new RangeError(`the speed must be a positive number, not ${speed}`);
  }
  const sleep = options.sleep ?? ((ms: number) => abortableSleep(ms, options.signal));
  const { header, events } = await readAsciicast(source);
  const encoder = new TextEncoder();
  const writer = out.getWriter();
  let outputEvents = 0;
  let waitedMs = 0;
  let clock = 0;
  try {
    for await (const event of events) {
      if (options.signal?.aborted) break;
      if (event.type !== "o") continue;
      let waitMs = Math.max(0, event.time - clock) * 1000 / speed;
      clock = Math.max(clock, event.time);
      if (options.maxWaitMs !== undefined) waitMs = Math.min(waitMs, options.maxWaitMs);
      if (waitMs > 0) {
        await sleep(waitMs);
        waitedMs += waitMs;
      }
      if (options.signal?.aborted) break;
      await writer.write(encoder.encode(event.data));
      outputEvents++;
    }
  } finally {
    await events.return(undefined);
    writer.releaseLock();
  }
  return { header, outputEvents, waitedMs };
}
