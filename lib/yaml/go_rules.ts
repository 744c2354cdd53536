/**
 * The decisions Go's YAML encoder (`sigs.k8s.io/yaml`, a fork of go-yaml v2) makes before it writes a
 * scalar: whether a string would read back as something other than a string (and so must be
 * quoted), how a number is spelled, and in which order map keys come out. `stringify.ts` uses them
 * so that `kubexec config view` prints what `kubectl config view` prints.
 *
 * These follow YAML 1.1 as go-yaml v2 does (`yes`, `on`, `0755`, `2006-01-02` are not strings
 * there), which is why they differ from the parser's YAML 1.2 core schema.
 *
 * @module
 */

/**
 * Plain scalars go-yaml v2 reads as booleans, nulls or special floats. (Its merge key `<<` is not
 * here: go-yaml only looks words up when the first character may start one, and `<` may not.)
 */
// deno-fmt-ignore
const GO_NON_STRING_WORDS = new Set([
  "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
  "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
  "", "~", "null", "Null", "NULL",
  ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
  "-.INF",
]);

const YAML_STYLE_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const BASE_60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const GO_DECIMAL_FLOAT =
  /^[-+]?(?:[0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?|\.[0-9](?:_?[0-9])*)(?:[eE][-+]?[0-9]+)?$/;
const GO_HEX_FLOAT =
  /^[-+]?0[xX](?:_?[0-9a-fA-F])*(?:\.(?:[0-9a-fA-F](?:_?[0-9a-fA-F])*)?)?[pP][-+]?[0-9]+$/;
const GO_SPECIAL_FLOAT = /^(?:[-+]?(?:inf|infinity)|nan)$/i;
const TIMESTAMP =
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?(?:Z|[-+][0-9]{2}:[0-9]{2}))|(?: ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?))?$/;
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * Whether go-yaml v2 would read `text`, written plain, back as a string. When it would not
 * (`"true"`, `"123"`, `"2024-01-02"`, `"12:30"`, `""`), the encoder double-quotes it.
 *
 * @example
 * ```ts
 * import { goReadsAsString } from "./go_rules.ts";
 * goReadsAsString("dev-cluster"); // true
 * goReadsAsString("yes"); // false
 * ```
 */
export function goReadsAsString(text: string): boolean {
  if (GO_NON_STRING_WORDS.has(text)) return false;
  if (BASE_60_FLOAT.test(text)) return false;
  const first = text.charCodeAt(0);
  if (first === 0x2e /* . */) return !isGoFloat(text);
  const isDigit = first >= 0x30 && first <= 0x39;
  if (!isDigit && first !== 0x2b /* + */ && first !== 0x2d /* - */) return true;
  if (isGoTimestamp(text)) return false;
  const plain = text.replaceAll("_", "");
  if (parsesAsGoInteger(plain)) return false;
  if (YAML_STYLE_FLOAT.test(plain) && isGoFloat(plain)) return false;
  if (/^-?0b[01]+$/.test(plain)) return false;
  return true;
}

/** `strconv.ParseFloat(text, 64)` succeeding (in range). */
function isGoFloat(text: string): boolean {
  if (GO_SPECIAL_FLOAT.test(text)) return true;
  if (GO_DECIMAL_FLOAT.test(text)) return Number.isFinite(Number(text.replaceAll("_", "")));
  return GO_HEX_FLOAT.test(text);
}

/** `strconv.ParseInt(text, 0, 64)` or `strconv.ParseUint(text, 0, 64)` succeeding. */
function parsesAsGoInteger(text: string): boolean {
  const match = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(
    text,
  );
  if (match === null) return false;
  const digits = match[2];
  let magnitude: bigint;
  if (/^0[oO]/.test(digits)) magnitude = BigInt(`0o${digits.slice(2)}`);
  else if (/^0[0-7]+$/.test(digits)) magnitude = BigInt(`0o${digits.slice(1)}`);
  else magnitude = BigInt(digits);
  if (match[1] === "-") return magnitude <= INT64_MAX + 1n;
  if (match[1] === "+") return magnitude <= INT64_MAX;
  return magnitude <= UINT64_MAX;
}

/** go-yaml v2's timestamp forms, checked the way Go's `time.Parse` checks them. */
function isGoTimestamp(text: string): boolean {
  const match = TIMESTAMP.exec(text);
  if (match === null) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return false;
  const hour = match[4] ?? match[7];
  if (hour === undefined) return true;
  const minute = match[5] ?? match[8];
  const second = match[6] ?? match[9];
  return Number(hour) < 24 && Number(minute) < 60 && Number(second) < 60;
}

/**
 * Spells a number as go-yaml v2 does: integers in decimal, other floats like Go's
 * `strconv.FormatFloat(x, 'g', -1, 64)` (`1.5`, `1.2345675e+06`), and `.inf`, `-.inf`, `.nan`.
 *
 * @example
 * ```ts
 * import { formatGoNumber } from "./go_rules.ts";
 * formatGoNumber(1234567.5); // "1.2345675e+06"
 * ```
 */
export function formatGoNumber(value: number): string {
  if (Number.isNaN(value)) return ".nan";
  if (value === Infinity) return ".inf";
  if (value === -Infinity) return "-.inf";
  if (Number.isSafeInteger(value)) return String(value === 0 ? 0 : value);
  const [mantissa, exponentText] = value.toExponential().split("e");
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 21 || (!Number.isInteger(value) && exponent >= 6)) {
    const sign = exponent < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  return String(value);
}

/**
 * Orders map keys as go-yaml v2 does: letters before other characters, runs of digits compared
 * by value (`item2` before `item10`), otherwise by code point. Returns a negative number when `a`
 * comes first. Go's comparison is not transitive for some keys that mix digits and letters
 * (`a0b` < `a1` < `a01` < `a0b`); for such maps kubectl's own output order changes from run to
 * run (Go walks maps in random order before sorting), so no fixed order can match it.
 *
 * @example
 * ```ts
 * import { compareGoKeys } from "./go_rules.ts";
 * ["b", "a10", "a2"].sort(compareGoKeys); // ["a2", "a10", "b"]
 * ```
 */
export function compareGoKeys(a: string, b: string): number {
  if (goKeyLess(a, b)) return -1;
  if (goKeyLess(b, a)) return 1;
  return 0;
}

// Built on first use: Unicode property classes cost V8 a fraction of a millisecond each to build,
// at module evaluation on every start-up, and only `config view` sorts keys.
let letter: RegExp | undefined;
let digit: RegExp | undefined;
const isLetter = (character: string) => (letter ??= /\p{L}/u).test(character);
const isDigit = (character: string) => (digit ??= /\p{Nd}/u).test(character);

function goKeyLess(a: string, b: string): boolean {
  const left = Array.from(a);
  const right = Array.from(b);
  for (let i = 0; i < left.length && i < right.length; i++) {
    if (left[i] === right[i]) continue;
    const leftIsLetter = isLetter(left[i]);
    const rightIsLetter = isLetter(right[i]);
    if (leftIsLetter && rightIsLetter) return left[i].codePointAt(0)! < right[i].codePointAt(0)!;
    if (leftIsLetter || rightIsLetter) return rightIsLetter;
    let leftNumber = 0;
    let rightNumber = 0;
    if (left[i] === "0" || right[i] === "0") {
      // A zero after other digits is part of a larger number: compare as if non-zero.
      for (let j = i - 1; j >= 0 && isDigit(left[j]); j--) {
        if (left[j] !== "0") {
          leftNumber = 1;
          rightNumber = 1;
          break;
        }
      }
    }
    let leftEnd = i;
    while (leftEnd < left.length && isDigit(left[leftEnd])) {
      leftNumber = leftNumber * 10 + left[leftEnd].codePointAt(0)! - 0x30;
      leftEnd++;
    }
    let rightEnd = i;
    while (rightEnd < right.length && isDigit(right[rightEnd])) {
      rightNumber = rightNumber * 10 + right[rightEnd].codePointAt(0)! - 0x30;
      rightEnd++;
    }
    if (leftNumber !== rightNumber) return leftNumber < rightNumber;
    if (leftEnd !== rightEnd) return leftEnd < rightEnd;
    return left[i].codePointAt(0)! < right[i].codePointAt(0)!;
  }
  return left.length < right.length;
}
