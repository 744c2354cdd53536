/**
 * `kubexec play FILE`: replays an asciicast v2 recording (from `--record` or asciinema) to stdout
 * with its timing, faster with `--speed`, long pauses cut with `--max-wait`. Ctrl-C stops it.
 *
 * @module
 */
import type { Command, CommandContext } from "../command.ts";
import { UsageError } from "../command.ts";
import { parseGoDuration } from "../../duration.ts";
import { RecordingFormatError, replayAsciicast } from "../../record/replay.ts";

/**
 * A recording that cannot be opened or played.
 *
 * @example
 * ```ts
 * import { PlaybackError } from "./play.ts";
 * new PlaybackError("s.cast", "No such file or directory").message;
 * // "cannot play s.cast: No such file or directory"
 * ```
 */
export class PlaybackError extends Error {
  override name = "PlaybackError";
  /** The recording's path. */
  readonly path: string;

  /**
   * @param path the recording
   * @param problem what went wrong
   * @param cause the underlying error
   */
  constructor(path: string, problem: string, cause?: unknown) {
    super(`cannot play ${path}: ${problem}`, { cause });
    this.path = path;
  }
}

/**
 * Parses `--max-wait`: seconds (`2`, `0.5`) like asciinema's `--idle-time-limit`, or a Go
 * duration (`2s`, `500ms`). Empty means no limit.
 *
 * @example
 * ```ts
 * import { parseMaxWait } from "./play.ts";
 * parseMaxWait("1.5"); // 1500
 * parseMaxWait("250ms"); // 250
 * ```
 */
export function parseMaxWait(text: string): number | undefined {
  if (text === "") return undefined;
  const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : undefined;
  let ms: number;
  try {
    ms = seconds ?? parseGoDuration(text);
  } catch {
    throw new UsageError(
      `invalid --max-wait "${text}": give seconds (2, 0.5) or a duration (2s, 500ms)`,
    );
  }
  if (ms < 0) throw new UsageError(`invalid --max-wait "${text}": must not be negative`);
  return ms;
}

/**
 * Parses `--speed`: a positive number.
 *
 * @example
 * ```ts
 * import { parseSpeed } from "./play.ts";
 * parseSpeed("2"); // 2
 * ```
 */
export function parseSpeed(text: string): number {
  const speed = Number(text);
  if (text.trim() === "" || !Number.isFinite(speed) || speed <= 0) {
    throw new UsageError(`invalid --speed "${text}": must be a number above 0 (like 2 or 0.5)`);
  }
  return speed;
}

async function runPlay(context: CommandContext): Promise<number> {
  const { args, flags, io } = context;
  if (args.length !== 1) throw new UsageError("play needs exactly one recording file");
  const path = args[0];
  const speed = parseSpeed(flags.string("speed"));
  const maxWaitMs = parseMaxWait(flags.string("max-wait"));
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw new PlaybackError(path, error instanceof Error ? error.message : String(error), error);
  }
  const stop = new AbortController();
  const unsubscribe = io.terminal.onSignal(() => stop.abort());
  try {
    await replayAsciicast(file.readable, io.stdout, { speed, maxWaitMs, signal: stop.signal });
  } catch (error) {
    if (error instanceof RecordingFormatError) {
      throw new PlaybackError(path, `not a valid asciicast v2 recording: ${error.message}`, error);
    }
    throw error;
  } finally {
    unsubscribe();
  }
  return stop.signal.aborted ? 130 : 0;
}

/** The `play` command. */
export const playCommand: Command = {
  name: "play",
  short: "Replay a session recorded with --record",
  long:
    "Replay a session recording (asciicast v2, as written by --record or asciinema) in the terminal with its original timing.",
  usage: "play FILE [--speed N] [--max-wait SECONDS]",
  examples: `  # Replay a recording at its original speed
  kubexec play session.cast

  # Replay twice as fast, never pausing more than a second
  kubexec play session.cast --speed 2 --max-wait 1`,
  flags: [
    {
      name: "speed",
      type: "string",
      default: "1",
      usage: "Playback speed factor (2 plays twice as fast)",
    },
    {
      name: "max-wait",
      type: "string",
      usage: "Longest pause between two outputs, in seconds or as a duration (1, 0.5, 2s)",
    },
  ],
  run: runPlay,
};
