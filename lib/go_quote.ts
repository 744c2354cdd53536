/**
 * Go's `strconv.Quote` (what `%q` prints), for messages kubectl formats with it: printable
 * characters as they are, everything else escaped, so a name from a hostile server cannot put
 * terminal escape sequences into kubexec's own messages. May be imported by any part of `lib/`.
 *
 * @module
 */

/** Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

const SHORT_ESCAPES: Record<string, string> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
  '"': '\\"',
  "\\": "\\\\",
};

/**
 * The characters of `text` as Go's `%q` writes them between its quotes.
 *
 * @example
 * ```ts
 * import { goEscape } from "./go_quote.ts";
 * goEscape("app\x1b[2J"); // "app\\x1b[2J"
 * ```
 */
export function goEscape(text: string): string {
  let out = "";
  for (const char of text) {
    const short = SHORT_ESCAPES[char];
    if (short !== undefined) {
      out += short;
      continue;
    }
    if (PRINTABLE.test(char)) {
      out += char;
      continue;
    }
    const code = char.codePointAt(0)!;
    out += code < 0x80
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : code < 0x10000
      ? `\\u${code.toString(16).padStart(4, "0")}`
      : `\\U${code.toString(16).padStart(8, "0")}`;
  }
  return out;
}

/**
 * `text` as Go's `%q` prints it, quotes included.
 *
 * @example
 * ```ts
 * import { goQuote } from "./go_quote.ts";
 * goQuote("app"); // '"app"'
 * goQuote('a"b'); // '"a\\"b"'
 * ```
 */
export function goQuote(text: string): string {
  return `"${goEscape(text)}"`;
}
