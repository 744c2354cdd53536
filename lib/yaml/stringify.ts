/**
 * Writing plain data as YAML the way Go's `sigs.k8s.io/yaml` (go-yaml v2) writes it, so that
 * `kubexec config view` prints byte for byte what `kubectl config view` prints: block style with a
 * two-space indent, sequences under a key not indented, `{}` and `[]` for empty collections,
 * strings quoted only when needed (single quotes, or double quotes when escapes are needed or the
 * text would read back as another type), multi-line strings as literal blocks, and long lines with
 * spaces folded at 80 columns as go-yaml does (base64 has no spaces, so it stays on one line).
 *
 * The emitter keeps the same little state libyaml's emitter keeps (column, indent, whether the
 * last thing written was white space or indentation) because go-yaml's layout decisions depend on
 * it.
 *
 * @module
 */

import { compareGoKeys, formatGoNumber, goReadsAsString } from "./go_rules.ts";

/** Options of {@linkcode stringify}. */
export interface StringifyOptions {
  /**
   * Order map keys as Go does for a `map` (what `kubectl ... -o yaml` prints) instead of keeping
   * the caller's insertion order. Default `false`.
   */
  sortKeys?: boolean;
}

/**
 * Raised for values YAML cannot hold: functions, symbols, cycles.
 *
 * @example
 * ```ts
 * import { StringifyError } from "./stringify.ts";
 * new StringifyError("cyclic value", "users[0]").message; // "cyclic value at users[0]"
 * ```
 */
export class StringifyError extends Error {
  override name = "StringifyError";
  /** Where in the value the problem is, as a path like `clusters[0].cluster`. */
  readonly path: string;

  constructor(reason: string, path: string) {
    super(`${reason} at ${path === "" ? "the top level" : path}`);
    this.path = path;
  }
}

/** Where go-yaml folds a long plain or quoted scalar. */
const BEST_WIDTH = 80;
const BEST_INDENT = 2;
/** Longest key (in UTF-8 bytes) written as `key: value`; longer keys use `? key`. */
const MAX_SIMPLE_KEY_BYTES = 128;

const STYLE_PLAIN = 1;
const STYLE_SINGLE = 2;
const STYLE_DOUBLE = 3;
const STYLE_LITERAL = 4;

/**
 * Writes `value` (null, booleans, numbers, bigints, strings, arrays and plain objects; `undefined`
 * members are skipped as JSON skips them, `toJSON` is honoured) as one YAML document ending in a
 * line break.
 *
 * @throws {StringifyError} for functions, symbols and cyclic values.
 * @example
 * ```ts
 * import { stringify } from "./stringify.ts";
 * stringify({ clusters: [{ name: "dev", cluster: { server: "https://10.0.0.1" } }] });
 * // "clusters:\n- name: dev\n  cluster:\n    server: https://10.0.0.1\n"
 * ```
 */
export function stringify(value: unknown, options: StringifyOptions = {}): string {
  const emitter = new Emitter(options.sortKeys === true);
  emitter.emitNode(value, { root: true, mapping: false, simpleKey: false }, "");
  emitter.writeIndent();
  return emitter.output.join("");
}

interface NodeContext {
  root: boolean;
  mapping: boolean;
  simpleKey: boolean;
}

/** What go-yaml's scalar analysis concludes about a string. */
interface ScalarAnalysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

function isSpace(char: string | undefined): boolean {
  return char === " ";
}

function isBreak(char: string | undefined): boolean {
  return char === "\n" || char === "\r" || char === "\x85" || char === "\u2028" ||
    char === "\u2029";
}

function isBlank(char: string | undefined): boolean {
  return char === " " || char === "\t";
}

/** libyaml's printable set (tab, CR, C1 controls, BOM and astral characters are not). */
function isPrintable(char: string): boolean {
  const code = char.codePointAt(0)!;
  return code === 0x0a || (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd && code !== 0xfeff);
}

function analyzeScalar(chars: string[]): ScalarAnalysis {
  if (chars.length === 0) {
    return {
      multiline: false,
      blockPlainAllowed: true,
      singleQuotedAllowed: true,
      blockAllowed: false,
    };
  }
  let blockIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let precededByWhitespace = true;
  let previousSpace = false;
  let previousBreak = false;
  const head = chars.slice(0, 3).join("");
  if (head === "---" || head === "...") blockIndicators = true;
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i];
    const followedByWhitespace = i + 1 >= chars.length || isBlank(chars[i + 1]);
    if (i === 0) {
      if ("#,[]{}&*!|>'\"%@`".includes(char)) blockIndicators = true;
      if ((char === "?" || char === ":" || char === "-") && followedByWhitespace) {
        blockIndicators = true;
      }
    } else if (char === ":" && followedByWhitespace) {
      blockIndicators = true;
    } else if (char === "#" && precededByWhitespace) {
      blockIndicators = true;
    }
    // go-yaml writes U+2028 and U+2029 raw as YAML 1.1 line breaks; YAML 1.2 readers (this one
    // included) take them as content, so they are escaped instead (a deliberate difference).
    if (!isPrintable(char) || char === "\u2028" || char === "\u2029") specialCharacters = true;
    if (isSpace(char)) {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(char)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlank(char) || isBreak(char);
  }
  let blockPlainAllowed = !(leadingSpace || leadingBreak || trailingSpace || trailingBreak);
  let singleQuotedAllowed = true;
  let blockAllowed = !trailingSpace;
  if (breakSpace) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
  }
  if (spaceBreak || specialCharacters) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
    blockAllowed = false;
  }
  if (lineBreaks || blockIndicators) blockPlainAllowed = false;
  return { multiline: lineBreaks, blockPlainAllowed, singleQuotedAllowed, blockAllowed };
}

/** The escape go-yaml writes for a character in a double-quoted scalar. */
function escapeCharacter(char: string): string {
  switch (char) {
    case "\0":
      return "\\0";
    case "\x07":
      return "\\a";
    case "\b":
      return "\\b";
    case "\t":
      return "\\t";
    case "\n":
      return "\\n";
    case "\x0b":
      return "\\v";
    case "\f":
      return "\\f";
    case "\r":
      return "\\r";
    case "\x1b":
      return "\\e";
    case '"':
      return '\\"';
    case "\\":
      return "\\\\";
    case "\x85":
      return "\\N";
    case "\xa0":
      return "\\_";
    case "\u2028":
      return "\\L";
    case "\u2029":
      return "\\P";
  }
  const code = char.codePointAt(0)!;
  const hex = code.toString(16).toUpperCase();
  if (code <= 0xff) return `\\x${hex.padStart(2, "0")}`;
  if (code <= 0xffff) return `\\u${hex.padStart(4, "0")}`;
  return `\\U${hex.padStart(8, "0")}`;
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

class Emitter {
  readonly output: string[] = [];
  readonly sortKeys: boolean;
  column = 0;
  indent = -1;
  indents: number[] = [];
  whitespace = true;
  indention = true;
  readonly ancestors = new Set<unknown>();

  constructor(sortKeys: boolean) {
    this.sortKeys = sortKeys;
  }

  put(text: string): void {
    this.output.push(text);
    this.column++;
  }

  putBreak(): void {
    this.output.push("\n");
    this.column = 0;
  }

  /** Writes a string whose characters each take one column. */
  write(text: string): void {
    this.output.push(text);
    for (const _ of text) this.column++;
  }

  writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) {
      this.putBreak();
    }
    if (this.column < indent) {
      this.output.push(" ".repeat(indent - this.column));
      this.column = indent;
    }
    this.whitespace = true;
    this.indention = true;
  }

  writeIndicator(
    indicator: string,
    needWhitespace: boolean,
    isWhitespace: boolean,
    isIndention: boolean,
  ): void {
    if (needWhitespace && !this.whitespace) this.put(" ");
    this.write(indicator);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }

  restoreIndent(): void {
    this.indent = this.indents.pop()!;
  }

  emitNode(value: unknown, context: NodeContext, path: string): void {
    if (
      value !== null && typeof value === "object" && "toJSON" in value &&
      typeof value.toJSON === "function"
    ) {
      value = value.toJSON();
    }
    if (value === null || value === undefined) {
      this.emitScalar("null", STYLE_PLAIN, context);
    } else if (typeof value === "boolean") {
      this.emitScalar(value ? "true" : "false", STYLE_PLAIN, context);
    } else if (typeof value === "number") {
      this.emitScalar(formatGoNumber(value), STYLE_PLAIN, context);
    } else if (typeof value === "bigint") {
      this.emitScalar(value.toString(), STYLE_PLAIN, context);
    } else if (typeof value === "string") {
      const style = value.includes("\n")
        ? STYLE_LITERAL
        : goReadsAsString(value)
        ? STYLE_PLAIN
        : STYLE_DOUBLE;
      this.emitScalar(value, style, context);
    } else if (typeof value === "object") {
      if (this.ancestors.has(value)) throw new StringifyError("cyclic value", path);
      this.ancestors.add(value);
      if (Array.isArray(value)) this.emitSequence(value, context, path);
      else this.emitMapping(value as Record<string, unknown>, path);
      this.ancestors.delete(value);
    } else {
      throw new StringifyError(`a ${typeof value} cannot be written as YAML`, path);
    }
  }

  emitSequence(items: unknown[], context: NodeContext, path: string): void {
    if (items.length === 0) {
      this.emitEmptyFlow("[", "]");
      return;
    }
    this.increaseIndent(false, context.mapping && !this.indention);
    items.forEach((item, index) => {
      this.writeIndent();
      this.writeIndicator("-", true, false, true);
      this.emitNode(item, { root: false, mapping: false, simpleKey: false }, `${path}[${index}]`);
    });
    this.restoreIndent();
  }

  emitMapping(map: Record<string, unknown>, path: string): void {
    const keys = Object.keys(map).filter((key) => map[key] !== undefined);
    if (this.sortKeys) keys.sort(compareGoKeys);
    if (keys.length === 0) {
      this.emitEmptyFlow("{", "}");
      return;
    }
    this.increaseIndent(false, false);
    for (const key of keys) {
      const memberPath = path === "" ? key : `${path}.${key}`;
      this.writeIndent();
      const keyChars = Array.from(key);
      const simple = !analyzeScalar(keyChars).multiline && utf8Length(key) <= MAX_SIMPLE_KEY_BYTES;
      if (simple) {
        this.emitNode(key, { root: false, mapping: true, simpleKey: true }, memberPath);
        this.writeIndicator(":", false, false, false);
      } else {
        this.writeIndicator("?", true, false, true);
        this.emitNode(key, { root: false, mapping: true, simpleKey: false }, memberPath);
        this.writeIndent();
        this.writeIndicator(":", true, false, true);
      }
      this.emitNode(map[key], { root: false, mapping: true, simpleKey: false }, memberPath);
    }
    this.restoreIndent();
  }

  emitEmptyFlow(open: string, close: string): void {
    this.writeIndicator(open, true, true, false);
    this.writeIndicator(close, false, false, false);
  }

  emitScalar(text: string, requested: number, context: NodeContext): void {
    const chars = Array.from(text);
    const analysis = analyzeScalar(chars);
    let style = requested;
    if (context.simpleKey && analysis.multiline) style = STYLE_DOUBLE;
    if (style === STYLE_PLAIN) {
      if (!analysis.blockPlainAllowed || (chars.length === 0 && context.simpleKey)) {
        style = STYLE_SINGLE;
      }
    }
    if (style === STYLE_SINGLE && !analysis.singleQuotedAllowed) style = STYLE_DOUBLE;
    if (style === STYLE_LITERAL && (!analysis.blockAllowed || context.simpleKey)) {
      style = STYLE_DOUBLE;
    }
    this.increaseIndent(true, false);
    const allowBreaks = !context.simpleKey;
    if (style === STYLE_PLAIN) this.writePlain(chars, allowBreaks);
    else if (style === STYLE_SINGLE) this.writeSingleQuoted(chars, allowBreaks);
    else if (style === STYLE_DOUBLE) this.writeDoubleQuoted(chars, allowBreaks);
    else this.writeLiteral(chars);
    this.restoreIndent();
  }

  writePlain(chars: string[], allowBreaks: boolean): void {
    if (!this.whitespace) this.put(" ");
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const char = chars[i];
      if (isSpace(char)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && !isSpace(chars[i + 1])) {
          this.writeIndent();
        } else {
          this.write(char);
        }
        spaces = true;
      } else {
        this.write(char);
        this.indention = false;
        spaces = false;
      }
    }
    this.whitespace = false;
    this.indention = false;
  }

  writeSingleQuoted(chars: string[], allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const char = chars[i];
      if (isSpace(char)) {
        if (
          allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < chars.length - 1 &&
          !isSpace(chars[i + 1])
        ) {
          this.writeIndent();
        } else {
          this.write(char);
        }
        spaces = true;
      } else {
        if (char === "'") this.put("'");
        this.write(char);
        this.indention = false;
        spaces = false;
      }
    }
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  writeDoubleQuoted(chars: string[], allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    // libyaml checks for a byte order mark at the start of the value, not at each character.
    const startsWithBom = chars[0] === "\ufeff";
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const char = chars[i];
      if (
        !isPrintable(char) || startsWithBom || isBreak(char) || char === '"' || char === "\\"
      ) {
        this.write(escapeCharacter(char));
        spaces = false;
      } else if (isSpace(char)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < chars.length - 1) {
          this.writeIndent();
          if (isSpace(chars[i + 1])) this.put("\\");
        } else {
          this.write(char);
        }
        spaces = true;
      } else {
        this.write(char);
        spaces = false;
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  writeLiteral(chars: string[]): void {
    this.writeIndicator("|", true, false, false);
    if (isSpace(chars[0]) || isBreak(chars[0])) {
      this.writeIndicator(String(BEST_INDENT), false, false, false);
    }
    const last = chars[chars.length - 1];
    let chomp = "";
    if (!isBreak(last)) chomp = "-";
    else if (chars.length === 1 || isBreak(chars[chars.length - 2])) chomp = "+";
    if (chomp !== "") this.writeIndicator(chomp, false, false, false);
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (const char of chars) {
      if (isBreak(char)) {
        if (char === "\n") this.putBreak();
        else {
          this.write(char);
          this.column = 0;
        }
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.write(char);
        this.indention = false;
        breaks = false;
      }
    }
  }
}
