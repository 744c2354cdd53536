/**
 * Progress of a copy on a terminal: one line, redrawn in place at most a few times a second, with
 * bytes moved, the total when known, the rate and the time left; then a one-line summary.
 *
 * Shown only when stderr is a terminal and `-q` was not given, so scripts and pipes see exactly
 * kubectl's output. The clock is a parameter, so tests can drive it.
 *
 * @module
 */
import { writeText } from "./io.ts";

/** One progress report (the cp layer's `CopyProgress`). */
export interface ProgressUpdate {
  /** Bytes of file content moved so far. */
  bytes: number;
  /** Bytes expected in all, when known (uploads measure the tree first). */
  total?: number;
  /** The file being copied. */
  file?: string;
}

/** What the summary line says about a finished copy. */
export interface ProgressSummary {
  files: number;
  bytes: number;
  /** `"sha256"` when both sides' digests matched. */
  verified?: "sha256" | "unavailable";
  /** Resume attempts used. */
  retries: number;
  /** Set when `cat` stood in for a missing `tar`. */
  fallback?: "cat";
}

/** Options of {@linkcode createProgress}. */
export interface ProgressOptions {
  /** Where the line is drawn (stderr). */
  stream: WritableStream<Uint8Array>;
  /** Draw anything at all: stderr is a terminal and not `-q`. */
  enabled: boolean;
  /** Milliseconds clock; default `Date.now`. */
  now?: () => number;
  /** Least time between two redraws, in ms (default 200). */
  intervalMs?: number;
  /** Terminal width, to keep the line on one row (default 80). */
  columns?: number;
}

/** A progress display. */
export interface Progress {
  /** Whether anything is drawn; callers skip work (like measuring a tree) that only feeds it. */
  readonly enabled: boolean;
  /** Records an update; redraws when the interval has passed. */
  update(update: ProgressUpdate): void;
  /** Clears the line (before other output, or on failure). Resolves once written. */
  clear(): Promise<void>;
  /** Clears the line and writes the summary. Resolves once written. */
  finish(summary: ProgressSummary): Promise<void>;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/**
 * Formats a byte count with binary units (`512 B`, `1.5 KiB`, `64.0 MiB`).
 *
 * @example
 * ```ts
 * import { formatBytes } from "./progress.ts";
 * formatBytes(64 * 1024 * 1024); // "64.0 MiB"
 * ```
 */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/**
 * Formats a duration in seconds as `4s`, `2m05s` or `1h02m`.
 *
 * @example
 * ```ts
 * import { formatEta } from "./progress.ts";
 * formatEta(125); // "2m05s"
 * ```
 */
export function formatEta(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor(whole / 60) % 60).padStart(2, "0")}m`;
}

/**
 * The progress line for `bytes` moved after `elapsedMs`.
 *
 * @example
 * ```ts
 * import { progressLine } from "./progress.ts";
 * progressLine({ bytes: 1048576, total: 4194304 }, 1000);
 * // "1.0 MiB / 4.0 MiB (25%)  1.0 MiB/s  ETA 3s"
 * ```
 */
export function progressLine(update: ProgressUpdate, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? update.bytes / (elapsedMs / 1000) : 0;
  // A total already passed (a file that grew while being read) says nothing any more.
  const total = update.total !== undefined && update.total > 0 && update.total >= update.bytes
    ? update.total
    : undefined;
  const parts: string[] = [];
  if (total !== undefined) {
    const percent = Math.floor((update.bytes / total) * 100);
    parts.push(`${formatBytes(update.bytes)} / ${formatBytes(total)} (${percent}%)`);
  } else {
    parts.push(formatBytes(update.bytes));
  }
  parts.push(`${formatBytes(Math.round(rate))}/s`);
  if (total !== undefined && rate > 0) {
    parts.push(`ETA ${formatEta((total - update.bytes) / rate)}`);
  }
  return parts.join("  ");
}

/**
 * The summary line of a finished copy.
 *
 * @example
 * ```ts
 * import { summaryLine } from "./progress.ts";
 * summaryLine({ files: 2, bytes: 2048, retries: 0, verified: "sha256" }, 2000);
 * // "copied 2 files, 2.0 KiB in 2.0s (1.0 KiB/s), sha256 verified"
 * ```
 */
export function summaryLine(summary: ProgressSummary, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? summary.bytes / (elapsedMs / 1000) : 0;
  let line = `copied ${summary.files} ${summary.files === 1 ? "file" : "files"}, ${
    formatBytes(summary.bytes)
  } in ${(elapsedMs / 1000).toFixed(1)}s (${formatBytes(Math.round(rate))}/s)`;
  if (summary.verified === "sha256") line += ", sha256 verified";
  if (summary.verified === "unavailable") line += ", not verified (no sha256sum in the container)";
  if (summary.retries > 0) {
    line += `, resumed ${summary.retries} ${summary.retries === 1 ? "time" : "times"}`;
  }
  if (summary.fallback === "cat") line += ", with cat (no tar in the container)";
  return line;
}

/**
 * Creates a progress display; a disabled one does nothing.
 *
 * @example
 * ```ts
 * import { createProgress } from "./progress.ts";
 * const progress = createProgress({ stream: new WritableStream(), enabled: true });
 * progress.update({ bytes: 10, total: 100 });
 * await progress.finish({ files: 1, bytes: 100, retries: 0 });
 * ```
 */
export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 200;
  const columns = Math.max(20, options.columns ?? 80);
  const started = now();
  let lastDraw = -Infinity;
  let drawn = false;
  // Redraws never queue up behind a slow terminal: while one is being written, later ones are dropped.
  let writing: Promise<void> | undefined;
  const write = (text: string): void => {
    if (writing !== undefined) return;
    writing = writeText(options.stream, text).catch(() => {}).finally(() => {
      writing = undefined;
    });
  };
  const clear = async (): Promise<void> => {
    await writing;
    if (!drawn) return;
    drawn = false;
    await writeText(options.stream, "\r\x1b[K").catch(() => {});
  };
  if (!options.enabled) {
    return {
      enabled: false,
      update: () => {},
      clear: () => Promise.resolve(),
      finish: () => Promise.resolve(),
    };
  }
  return {
    enabled: true,
    update(update) {
      const at = now();
      if (at - lastDraw < intervalMs) return;
      lastDraw = at;
      const line = progressLine(update, at - started).slice(0, columns - 1);
      drawn = true;
      write(`\r${line}\x1b[K`);
    },
    clear,
    async finish(summary) {
      await clear();
      await writeText(options.stream, `${summaryLine(summary, now() - started)}\n`).catch(
        () => {},
      );
    },
  };
}
