/**
 * The `-v=N` logger: klog-shaped lines (`I1126 01:46:36.963862   6411 kubexec] …`) on stderr.
 * Parts log through the {@linkcode Logger} they receive; only this module writes the lines.
 *
 * @module
 */
import type { Logger } from "../log.ts";

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/**
 * Formats one klog-style line for `now`.
 *
 * @example
 * ```ts
 * import { formatLogLine } from "./logging.ts";
 * formatLogLine(new Date(0), 42, "GET https://h/api 200 OK");
 * ```
 */
export function formatLogLine(now: Date, pid: number, message: string): string {
  const stamp = `${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())} ${pad(now.getUTCHours())}:${
    pad(now.getUTCMinutes())
  }:${pad(now.getUTCSeconds())}.${pad(now.getUTCMilliseconds() * 1000, 6)}`;
  return `I${stamp} ${String(pid).padStart(7)} kubexec] ${message}\n`;
}

/**
 * A logger that writes lines at or below `verbosity` through `write` (synchronous, so log lines
 * never wait behind a stream that a session holds).
 *
 * @example
 * ```ts
 * import { createLogger } from "./logging.ts";
 * const lines: string[] = [];
 * const log = createLogger(6, (line) => lines.push(line));
 * log(6, () => "shown");
 * log(7, () => "not shown");
 * ```
 */
export function createLogger(verbosity: number, write: (line: string) => void): Logger {
  if (verbosity <= 0) return () => {};
  return (level, message) => {
    if (level <= verbosity) write(formatLogLine(new Date(), Deno.pid, message()));
  };
}
