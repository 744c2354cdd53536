/**
 * Makes an exec plugin's `installHint` safe to print: a kubeconfig from an untrusted source must
 * not be able to drive the terminal with escape sequences. Like client-go's `cleanANSIEscapeCodes`
 * (`tools/clientcmd/client_config.go`), every character outside letters, marks, numbers,
 * punctuation, symbols, separators and the whitespace controls (tab through carriage return) is
 * replaced by its code point written as `U+XXXX`.
 *
 * @module
 */

const ALLOWED = /[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Z}\t\n\v\f\r]/u;

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
  let cleaned = "";
  for (const character of hint) {
    if (ALLOWED.test(character)) {
      cleaned += character;
    } else {
      const codePoint = character.codePointAt(0) ?? 0;
      cleaned += `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;
    }
  }
  return cleaned;
}
