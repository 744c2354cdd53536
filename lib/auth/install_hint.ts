/**
 * Makes an exec plugin's `installHint` safe to print: a kubeconfig from an untrusted source must
 * not be able to drive the terminal with escape sequences. Like client-go's `cleanANSIEscapeCodes`
 * (`tools/clientcmd/client_config.go`), every character outside letters, marks, numbers,
 * punctuation, symbols, separators and the whitespace controls (tab through carriage return) is
 * replaced by its code point written as `U+XXXX`.
 *
 * @module
 */

/**
 * Built on first use: a regular expression with Unicode property classes costs about 1 ms at
 * module evaluation (V8 builds the classes from ICU data), on every command's start-up, while a
 * hint needs it only when an exec plugin fails.
 */
let allowed: RegExp | undefined;

/**
 * Returns `hint` with control and other unprintable characters replaced by `U+XXXX`.
 *
 * @example
 * ```ts
 * import { neutraliseInstallHint } from "./install_hint.ts";
 * neutraliseInstallHint("\u001b[31mbrew install x\u001b[0m"); // "U+001B[31mbrew install xU+001B[0m"
 * ```
 */
export function neutraliseInstallHint(hint: string): string {
  allowed ??= /[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Z}\t\n\v\f\r]/u;
  let cleaned = "";
  for (const character of hint) {
    if (allowed.test(character)) {
      cleaned += character;
    } else {
      const codePoint = character.codePointAt(0) ?? 0;
      cleaned += `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;
    }
  }
  return cleaned;
}
