/**
 * Go's `time.Duration` text form, which kubectl users type in flags (`--pod-running-timeout=1m`,
 * `--request-timeout=30s`) and see in help (`1m0s`). Durations are milliseconds here.
 *
 * This module imports nothing and may be imported by any part.
 *
 * @module
 */

/** A text that is not a Go duration; the message is Go's (`time: invalid duration "x"`). */
export class DurationError extends Error {
  /** @param message Go's wording */
  constructor(message: string) {
    super(message);
    this.name = "DurationError";
  }
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a Go duration (`1m0s`, `1.5h`, `300ms`, `-2s`, `0`) into milliseconds.
 *
 * @throws {DurationError} with Go's message for anything else (`5`: missing unit, `5d`: unknown
 * unit, `.s`: invalid)
 *
 * @example
 * ```ts
 * import { parseGoDuration } from "./duration.ts";
 * parseGoDuration("1m30s"); // 90000
 * ```
 */
export function parseGoDuration(text: string): number {
  const invalid = () => new DurationError(`time: invalid duration "${text}"`);
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest[0] === "-" ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") throw invalid();
  let total = 0;
  // Go's grammar, [0-9]*(\.[0-9]*)?UNIT repeated, read as Go reads it: the unit is everything up
  // to the next digit or period, so that the messages (missing or unknown unit) are Go's too.
  const number = /^([0-9]*)(\.[0-9]*)?/;
  while (rest.length > 0) {
    const [digits, whole, fraction = ""] = number.exec(rest)!;
    if (whole === "" && fraction.length <= 1) throw invalid();
    rest = rest.slice(digits.length);
    const unitLength = rest.search(/[0-9.]/);
    const unitText = unitLength === -1 ? rest : rest.slice(0, unitLength);
    if (unitText === "") throw new DurationError(`time: missing unit in duration "${text}"`);
    const unit = UNIT_MS[unitText];
    if (unit === undefined) {
      throw new DurationError(`time: unknown unit "${unitText}" in duration "${text}"`);
    }
    total += Number(digits) * unit;
    rest = rest.slice(unitText.length);
  }
  return sign * total;
}

/**
 * Formats milliseconds the way Go prints a `time.Duration` (`1m0s`, `5s`, `1h0m0s`, `500ms`).
 *
 * @example
 * ```ts
 * import { formatGoDuration } from "./duration.ts";
 * formatGoDuration(60_000); // "1m0s"
 * ```
 */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${+rest.toFixed(6)}ms`;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = `${+(rest / 1000).toFixed(9)}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}
