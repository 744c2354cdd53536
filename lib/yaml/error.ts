/**
 * The one error type the YAML parser throws. It carries the 1-based position of the problem and a
 * message that quotes the offending line with a caret under the column, so a user can find the
 * mistake in their kubeconfig without a YAML debugger.
 *
 * @module
 */

/** Widest excerpt of the offending line shown in a message; base64 lines can be megabytes long. */
const EXCERPT_WIDTH = 80;

/**
 * A `key: value` line whose key names a secret (kubeconfig `token`, `password`, `client-key-data`,
 * `client-secret`, `refresh-token`, ...): its value is masked in excerpts, since error messages
 * end up in terminals and logs.
 */
const SECRET_LINE =
  /^(\s*(?:-\s+)?["']?[^"':#]*?(?:token|password|secret|passphrase|key-data|credential)[^"':#]*["']?\s*:)(.*)$/i;

/** Position and wording of a YAML problem, the facts a {@linkcode YamlError} is built from. */
export interface YamlErrorDetails {
  /** What is wrong, lower-case, without position, e.g. `duplicated mapping key "a"`. */
  reason: string;
  /** 1-based line of the problem. */
  line: number;
  /** 1-based column (in UTF-16 code units) of the problem. */
  column: number;
  /** Text of the offending line, without its line break. */
  lineText: string;
  /** File the text came from, used as the message prefix. */
  filename?: string;
}

/**
 * A syntax or limit error in a YAML stream. The message reads
 * `~/.kube/config:12:3: <reason>` (or `line 12, column 3: <reason>` without a filename) followed by
 * the offending line and a caret. On lines whose key names a secret (`token:`, `password:`,
 * `client-key-data:`, ...) the value is masked with `*`.
 *
 * @example
 * ```ts
 * import { YamlError } from "./error.ts";
 * const error = new YamlError({ reason: "unexpected end", line: 2, column: 1, lineText: "" });
 * error.line; // 2
 * ```
 */
export class YamlError extends Error {
  override name = "YamlError";
  /** What is wrong, without position or excerpt. */
  readonly reason: string;
  /** 1-based line of the problem. */
  readonly line: number;
  /** 1-based column of the problem. */
  readonly column: number;
  /** File the text came from, when the caller named it. */
  readonly filename?: string;

  constructor(details: YamlErrorDetails) {
    const where = details.filename === undefined
      ? `line ${details.line}, column ${details.column}`
      : `${details.filename}:${details.line}:${details.column}`;
    super(`${where}: ${details.reason}\n${excerpt(details.lineText, details.column)}`);
    this.reason = details.reason;
    this.line = details.line;
    this.column = details.column;
    if (details.filename !== undefined) this.filename = details.filename;
  }
}

/** Renders the line (shortened around the column when long) with a caret under the column. */
function excerpt(lineText: string, column: number): string {
  const secret = SECRET_LINE.exec(lineText);
  // Masking character by character keeps the caret under the right column.
  if (secret !== null) lineText = secret[1] + secret[2].replace(/[^\s]/g, "*");
  let start = 0;
  let text = lineText;
  if (text.length > EXCERPT_WIDTH) {
    start = Math.max(0, Math.min(column - 1 - EXCERPT_WIDTH / 2, text.length - EXCERPT_WIDTH));
    text = text.slice(start, start + EXCERPT_WIDTH);
  }
  const prefix = start > 0 ? "..." : "";
  const suffix = start + EXCERPT_WIDTH < lineText.length ? "..." : "";
  // Keep tabs in the caret line so the caret lines up under tab-indented text.
  const pad = text.slice(0, Math.max(0, column - 1 - start)).replace(/[^\t]/g, " ");
  return `    ${prefix}${text}${suffix}\n    ${" ".repeat(prefix.length)}${pad}^`;
}
