/**
 * The YAML 1.2 reader: a recursive-descent parser that walks the text by character codes and builds
 * plain JavaScript values (objects, arrays, strings, numbers, booleans, null) document by document.
 * Block and flow collections, every scalar style, properties (tags and anchors), aliases,
 * directives and document markers are handled here; typing scalars is left to `schema.ts`.
 *
 * Mapping keys become strings: scalars by their JavaScript string form, collections by their JSON
 * text (`? [a, b]` gives the key `["a","b"]`). Duplicate keys are an error.
 *
 * @module
 */

import { YamlError } from "./error.ts";
import { MAX_ALIAS_EXPANSION, MAX_NESTING_DEPTH } from "./limits.ts";
import { displayTag, resolveScalar, TagMismatchError, YAML_TAG_PREFIX } from "./schema.ts";

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const BANG = 0x21;
const DOUBLE_QUOTE = 0x22;
const HASH = 0x23;
const PERCENT = 0x25;
const AMPERSAND = 0x26;
const SINGLE_QUOTE = 0x27;
const ASTERISK = 0x2a;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const COLON = 0x3a;
const LESS_THAN = 0x3c;
const GREATER_THAN = 0x3e;
const QUESTION = 0x3f;
const AT = 0x40;
const LEFT_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RIGHT_BRACKET = 0x5d;
const BACKTICK = 0x60;
const LEFT_BRACE = 0x7b;
const PIPE = 0x7c;
const RIGHT_BRACE = 0x7d;
const BOM = 0xfeff;

/** Where a node sits, as the specification's productions say (it changes what may appear). */
const FLOW_IN = 1;
const FLOW_OUT = 2;
const BLOCK_IN = 3;
const BLOCK_OUT = 4;

/** What the last composed node was: nothing, a scalar still to type, or a finished value. */
const KIND_NONE = 0;
const KIND_SCALAR = 1;
const KIND_VALUE = 2;
const KIND_MAP = 3;
const KIND_SEQ = 4;
type NodeKind =
  | typeof KIND_NONE
  | typeof KIND_SCALAR
  | typeof KIND_VALUE
  | typeof KIND_MAP
  | typeof KIND_SEQ;

/** Block scalar chomping: strip (`-`), clip (default), keep (`+`). */
const CHOMP_STRIP = 1;
const CHOMP_CLIP = 2;
const CHOMP_KEEP = 3;

/** Characters YAML 1.2 does not allow anywhere in a stream (outside c-printable). */
// deno-lint-ignore no-control-regex
const NON_PRINTABLE = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uFFFE\uFFFF]/;

const SIMPLE_ESCAPES: Record<number, string> = {
  0x30: "\0",
  0x61: "\x07",
  0x62: "\b",
  0x74: "\t",
  [TAB]: "\t",
  0x6e: "\n",
  0x76: "\x0B",
  0x66: "\f",
  0x72: "\r",
  0x65: "\x1B",
  [SPACE]: " ",
  [DOUBLE_QUOTE]: '"',
  0x2f: "/",
  [BACKSLASH]: "\\",
  0x4e: "\x85",
  0x5f: "\xA0",
  0x4c: "\u2028",
  0x50: "\u2029",
};
const HEX_ESCAPE_LENGTHS: Record<number, number> = { 0x78: 2, 0x75: 4, 0x55: 8 };

/** A composed stream: each document's value and the offset where the document begins. */
export interface ComposedStream {
  /** One value per document, in order. */
  documents: unknown[];
  /** Offset in the text of each document's first character (its `---` or its content). */
  offsets: number[];
}

interface Anchored {
  value: unknown;
  /** Nodes the anchored node stands for, aliases inside it already expanded. */
  size: number;
}

function isLineBreak(code: number): boolean {
  return code === LF || code === CR;
}

function isWhiteSpace(code: number): boolean {
  return code === SPACE || code === TAB;
}

/** White space, a line break, or the end of the text (the sentinel 0). */
function isBlankOrEnd(code: number): boolean {
  return code === SPACE || code === TAB || code === LF || code === CR || code === 0;
}

function isFlowIndicator(code: number): boolean {
  return code === COMMA || code === LEFT_BRACKET || code === RIGHT_BRACKET ||
    code === LEFT_BRACE || code === RIGHT_BRACE;
}

function isHexDigit(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) ||
    (code >= 0x61 && code <= 0x66);
}

/** Stores `key: value` in a plain object, rejecting duplicates; `__proto__` stays an own key. */
function storeEntry(map: Record<string, unknown>, key: string, value: unknown): boolean {
  if (Object.hasOwn(map, key)) return false;
  if (key === "__proto__") {
    Object.defineProperty(map, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    map[key] = value;
  }
  return true;
}

/** The string a mapping key is stored under. */
function keyString(key: unknown): string {
  if (typeof key === "string") return key;
  if (key !== null && typeof key === "object") return JSON.stringify(key);
  return String(key);
}

/**
 * Parses every document of a YAML stream.
 *
 * @throws {YamlError} on any syntax error or exceeded limit.
 * @example
 * ```ts
 * import { composeStream } from "./compose.ts";
 * composeStream("a: 1\n---\nb\n").documents; // [{ a: 1 }, "b"]
 * ```
 */
export function composeStream(
  text: string,
  filename?: string,
  duplicateKeys: DuplicateKeys = "error",
): ComposedStream {
  return new Composer(text, filename, duplicateKeys).readStream();
}

/**
 * What a repeated mapping key does: `"error"` (YAML 1.2: keys are unique) or `"last"` (the later
 * entry wins, as Go's YAML v2 reader used for kubeconfig files lets it).
 */
export type DuplicateKeys = "error" | "last";

class Composer {
  /** The text as given, and with the end sentinel appended. */
  readonly text: string;
  readonly input: string;
  readonly length: number;
  readonly filename: string | undefined;
  pos = 0;
  line = 0;
  lineStart = 0;
  /** Spaces that indent the current line (counted when a line break is skipped). */
  lineIndent = 0;
  /** Offset of the first tab in the current line's leading white space, or -1. */
  firstTabInLine = -1;

  /** Properties and value of the node being composed. */
  tag: string | null = null;
  anchor: string | null = null;
  kind: NodeKind = KIND_NONE;
  result: unknown = null;
  /** Whether the scalar in `result` (kind KIND_SCALAR) was written plain. */
  plain = false;
  /** Facts about the last node composed, for the block mapping's "was it a key?" decision. */
  lastHadProperties = false;
  lastTag: string | null = null;
  lastAnchor: string | null = null;
  lastWasScalar = false;
  lastJsonLike = false;
  lastScalarText = "";
  lastScalarPlain = false;

  anchors = new Map<string, Anchored>();
  tagHandles = new Map<string, string>();
  /** Nodes composed so far, aliases counted at their expanded size. */
  nodeCount = 0;
  aliasExpansion = 0;
  depth = 0;

  readonly duplicateKeys: DuplicateKeys;

  constructor(text: string, filename: string | undefined, duplicateKeys: DuplicateKeys) {
    this.filename = filename;
    this.duplicateKeys = duplicateKeys;
    this.text = text;
    this.length = text.length;
    // The sentinel 0 marks the end; it cannot occur inside the text (see NON_PRINTABLE).
    this.input = text + "\0";
  }

  readStream(): ComposedStream {
    const documents: unknown[] = [];
    const offsets: number[] = [];
    const nonPrintable = NON_PRINTABLE.exec(this.text);
    if (nonPrintable !== null) {
      this.fail(
        `character U+${
          nonPrintable[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")
        } is not allowed in YAML`,
        nonPrintable.index,
      );
    }
    if (this.code() === BOM) this.lineStart = ++this.pos;
    let directivesAllowed = true;
    while (true) {
      this.skipSeparationSpace(true);
      if (this.pos >= this.length) break;
      if (this.pos === this.lineStart && this.isDocumentMarker(DOT)) {
        this.pos += 3;
        this.expectLineEnd("a document end marker");
        directivesAllowed = true;
        continue;
      }
      if (this.code() === BOM && this.pos === this.lineStart) {
        this.lineStart = ++this.pos;
        continue;
      }
      offsets.push(this.pos);
      directivesAllowed = this.readDocument(directivesAllowed, documents);
    }
    return { documents, offsets };
  }

  /** Reads one document; returns whether it closed with `...` (so directives may follow). */
  readDocument(directivesAllowed: boolean, documents: unknown[]): boolean {
    this.anchors = new Map();
    this.tagHandles = new Map();
    let hasDirectives = false;
    let hasYamlDirective = false;
    while (this.pos === this.lineStart && this.code() === PERCENT) {
      if (!directivesAllowed) {
        this.fail("a directive must come before the document or after a document end marker");
      }
      hasDirectives = true;
      hasYamlDirective = this.readDirective(hasYamlDirective);
      this.skipSeparationSpace(true);
    }
    if (this.pos === this.lineStart && this.isDocumentMarker(MINUS)) {
      this.pos += 3;
      // Content may share the marker's line, but a block collection may not start there.
      this.composeNode(-1, BLOCK_OUT, true, false);
    } else if (hasDirectives) {
      this.fail('a directives end marker "---" is expected after directives');
    } else {
      this.composeNode(-1, BLOCK_OUT, false, true);
    }
    documents.push(this.result);
    this.skipSeparationSpace(true);
    if (this.pos >= this.length) return false;
    if (this.pos === this.lineStart) {
      if (this.isDocumentMarker(DOT)) {
        this.pos += 3;
        this.expectLineEnd("a document end marker");
        return true;
      }
      if (this.isDocumentMarker(MINUS)) return false;
    }
    this.fail("expected the end of the document, a document marker or the end of the stream");
  }

  /** Reads a `%YAML` or `%TAG` directive (others are ignored, as the specification asks). */
  readDirective(hasYamlDirective: boolean): boolean {
    this.pos++;
    const nameStart = this.pos;
    while (!isBlankOrEnd(this.code())) this.pos++;
    const name = this.input.slice(nameStart, this.pos);
    const args: string[] = [];
    while (true) {
      while (isWhiteSpace(this.code())) this.pos++;
      const code = this.code();
      if (code === HASH || isLineBreak(code) || code === 0) break;
      const argStart = this.pos;
      while (!isBlankOrEnd(this.code())) this.pos++;
      args.push(this.input.slice(argStart, this.pos));
    }
    this.expectLineEnd("a directive");
    if (name === "YAML") {
      if (hasYamlDirective) this.fail("duplicate %YAML directive", nameStart);
      if (args.length !== 1 || !/^[0-9]+\.[0-9]+$/.test(args[0])) {
        this.fail("the %YAML directive needs one version argument like 1.2", nameStart);
      }
      if (!args[0].startsWith("1.")) this.fail(`unsupported YAML version ${args[0]}`, nameStart);
      return true;
    }
    if (name === "TAG") {
      if (args.length !== 2) this.fail("the %TAG directive needs a handle and a prefix", nameStart);
      const [handle, prefix] = args;
      if (!/^!(?:[0-9A-Za-z-]*!)?$/.test(handle)) {
        this.fail(`invalid tag handle ${handle}`, nameStart);
      }
      if (this.tagHandles.has(handle)) {
        this.fail(`duplicate %TAG directive for ${handle}`, nameStart);
      }
      this.tagHandles.set(handle, prefix);
    }
    return hasYamlDirective;
  }

  code(): number {
    return this.input.charCodeAt(this.pos);
  }

  peek(offset: number): number {
    return this.input.charCodeAt(this.pos + offset);
  }

  fail(reason: string, at: number = this.pos): never {
    const position = Math.min(at, this.length);
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < position; i++) {
      const code = this.input.charCodeAt(i);
      if (code === LF || (code === CR && this.input.charCodeAt(i + 1) !== LF)) {
        line++;
        lineStart = i + 1;
      }
    }
    // A byte order mark is invisible in editors: columns start after it.
    if (this.input.charCodeAt(lineStart) === BOM && position > lineStart) lineStart++;
    let lineEnd = lineStart;
    while (lineEnd < this.length && !isLineBreak(this.input.charCodeAt(lineEnd))) lineEnd++;
    throw new YamlError({
      reason,
      line,
      column: position - lineStart + 1,
      lineText: this.input.slice(lineStart, lineEnd),
      filename: this.filename,
    });
  }

  /** Consumes a line break (LF, CR LF or CR) at the current position. */
  readLineBreak(): void {
    const code = this.code();
    if (code === LF) {
      this.pos++;
    } else if (code === CR) {
      this.pos++;
      if (this.code() === LF) this.pos++;
    } else {
      this.fail("a line break is expected");
    }
    this.line++;
    this.lineStart = this.pos;
    this.firstTabInLine = -1;
  }

  /**
   * Skips white space, line breaks and (when allowed) comments; returns how many line breaks were
   * crossed. `lineIndent` is updated for every new line.
   */
  skipSeparationSpace(allowComments: boolean): number {
    let lineBreaks = 0;
    let code = this.code();
    while (code !== 0) {
      while (isWhiteSpace(code)) {
        if (code === TAB && this.firstTabInLine === -1) this.firstTabInLine = this.pos;
        code = this.input.charCodeAt(++this.pos);
      }
      if (allowComments && code === HASH && this.isCommentStart()) {
        do {
          code = this.input.charCodeAt(++this.pos);
        } while (!isLineBreak(code) && code !== 0);
      }
      if (!isLineBreak(code)) break;
      this.readLineBreak();
      lineBreaks++;
      this.lineIndent = 0;
      code = this.code();
      while (code === SPACE) {
        this.lineIndent++;
        code = this.input.charCodeAt(++this.pos);
      }
    }
    return lineBreaks;
  }

  /** A `#` starts a comment only at a line start or after white space. */
  isCommentStart(): boolean {
    return this.pos === this.lineStart || isBlankOrEnd(this.input.charCodeAt(this.pos - 1));
  }

  /** After a marker or directive only white space and a comment may end the line. */
  expectLineEnd(what: string): void {
    while (isWhiteSpace(this.code())) this.pos++;
    if (this.code() === HASH && this.isCommentStart()) {
      while (!isLineBreak(this.code()) && this.code() !== 0) this.pos++;
    }
    if (!isLineBreak(this.code()) && this.code() !== 0) {
      this.fail(`unexpected content after ${what}`);
    }
  }

  /** Whether `---` (marker MINUS) or `...` (DOT) starts here, followed by a blank or the end. */
  isDocumentMarker(marker: number): boolean {
    return this.code() === marker && this.peek(1) === marker && this.peek(2) === marker &&
      isBlankOrEnd(this.peek(3));
  }

  /** Whether a document marker of either kind starts at the current position, a line start. */
  atDocumentBoundary(): boolean {
    return this.pos === this.lineStart &&
      (this.isDocumentMarker(MINUS) || this.isDocumentMarker(DOT));
  }

  /**
   * Composes one node into `result`. `parentIndent` is the indentation of the enclosing block
   * collection (-1 at the top); `allowToSeek` lets the node start on a later line; `allowCompact`
   * lets a block collection start on the current line (after `- ` or `? `). Returns whether a node
   * (possibly empty but with properties) was found.
   */
  composeNode(
    parentIndent: number,
    context: number,
    allowToSeek: boolean,
    allowCompact: boolean,
  ): boolean {
    if (++this.depth > MAX_NESTING_DEPTH) {
      this.fail(`nesting is deeper than ${MAX_NESTING_DEPTH} levels`);
    }
    const countBefore = this.nodeCount;
    this.tag = null;
    this.anchor = null;
    this.kind = KIND_NONE;
    this.result = null;
    this.plain = false;
    const isBlock = context === BLOCK_IN || context === BLOCK_OUT;
    let allowBlockCollections = isBlock;
    let implicitKeyOnly = false;
    let atNewLine = false;
    let indentStatus = 1;
    if (allowToSeek && this.skipSeparationSpace(true) > 0) {
      atNewLine = true;
      indentStatus = this.compareIndent(parentIndent);
    }
    if (indentStatus === 1 && this.isPropertyStart()) {
      const nodeStart = this.pos;
      const mayBeKey = isBlock && (atNewLine || allowCompact);
      let crossedLine = this.readProperties(context);
      while (crossedLine && isBlock && this.isPropertyStart() && this.lineIndent > parentIndent) {
        // Properties on several lines merge into one node, unless the last set shares its line
        // with content: then it belongs to that content (often an implicit key).
        const setStart = this.pos;
        const firstTag: string | null = this.tag;
        const firstAnchor: string | null = this.anchor;
        this.tag = null;
        this.anchor = null;
        crossedLine = this.readProperties(context);
        const code = this.code();
        if (!crossedLine && code !== 0 && code !== PIPE && code !== GREATER_THAN) {
          this.pos = setStart;
          this.tag = firstTag;
          this.anchor = firstAnchor;
          crossedLine = true;
          break;
        }
        if (
          (firstTag !== null && this.tag !== null) || (firstAnchor !== null && this.anchor !== null)
        ) {
          this.fail("a node may have only one tag and one anchor", setStart);
        }
        this.tag ??= firstTag;
        this.anchor ??= firstAnchor;
      }
      if (crossedLine) {
        atNewLine = true;
        allowBlockCollections = isBlock;
        indentStatus = this.compareIndent(parentIndent);
      } else if (
        mayBeKey && this.code() !== 0 && this.code() !== PIPE && this.code() !== GREATER_THAN
      ) {
        // Properties on the same line as an implicit key belong to the key (`&a key: value`):
        // read again from the start as a block mapping whose first key carries them.
        this.pos = nodeStart;
        this.tag = null;
        this.anchor = null;
        implicitKeyOnly = true;
      } else {
        allowBlockCollections = false;
      }
    }
    if (allowBlockCollections) allowBlockCollections = atNewLine || allowCompact;

    let hasContent = false;
    const contentStart = this.pos;
    if (indentStatus === 1 || context === BLOCK_OUT) {
      const flowIndent = context === FLOW_IN || context === FLOW_OUT
        ? parentIndent
        : parentIndent + 1;
      const blockIndent = this.pos - this.lineStart;
      if (indentStatus === 1) {
        if (
          allowBlockCollections &&
          ((!implicitKeyOnly && this.readBlockSequence(blockIndent)) ||
            this.readBlockMapping(blockIndent, flowIndent))
        ) {
          hasContent = true;
        } else if (this.readFlowCollection(flowIndent)) {
          hasContent = true;
        } else if (
          (isBlock && this.readBlockScalar(flowIndent)) ||
          this.readSingleQuoted(flowIndent) || this.readDoubleQuoted(flowIndent)
        ) {
          hasContent = true;
        } else if (this.readAlias()) {
          hasContent = true;
        } else if (this.readPlainScalar(flowIndent, context === FLOW_IN)) {
          hasContent = true;
        }
      } else if (
        indentStatus === 0 && allowBlockCollections && this.readBlockSequence(blockIndent)
      ) {
        hasContent = true;
      }
    }
    this.finishNode(countBefore, contentStart);
    this.depth--;
    return hasContent || this.lastHadProperties;
  }

  /** Types the node, checks its tag, registers its anchor and counts it. */
  finishNode(countBefore: number, contentStart: number): void {
    const tag = this.tag;
    this.lastHadProperties = tag !== null || this.anchor !== null;
    this.lastTag = tag;
    this.lastAnchor = this.anchor;
    this.lastWasScalar = this.kind === KIND_SCALAR;
    this.lastJsonLike = this.kind === KIND_MAP || this.kind === KIND_SEQ ||
      (this.kind === KIND_SCALAR && !this.plain);
    if (this.lastWasScalar) {
      this.lastScalarText = this.result as string;
      this.lastScalarPlain = this.plain;
    }
    if (this.kind === KIND_SCALAR || this.kind === KIND_NONE) {
      const text = this.kind === KIND_NONE ? "" : this.result as string;
      const plain = this.kind === KIND_NONE || this.plain;
      try {
        this.result = resolveScalar(text, tag, plain);
      } catch (error) {
        if (error instanceof TagMismatchError) this.fail(error.message, contentStart);
        throw error;
      }
    } else if (tag !== null && tag !== "!" && tag.startsWith(YAML_TAG_PREFIX)) {
      const expected = this.kind === KIND_MAP ? "map" : this.kind === KIND_SEQ ? "seq" : null;
      const name = tag.slice(YAML_TAG_PREFIX.length);
      if (
        expected !== null && name !== expected &&
        (name === "map" || name === "seq" || name === "str" ||
          name === "int" || name === "float" || name === "bool" || name === "null")
      ) {
        this.fail(
          `a ${expected === "map" ? "mapping" : "sequence"} cannot be tagged ${displayTag(tag)}`,
        );
      }
    }
    this.nodeCount++;
    if (this.anchor !== null) {
      this.anchors.set(this.anchor, { value: this.result, size: this.nodeCount - countBefore });
    }
  }

  compareIndent(parentIndent: number): number {
    return this.lineIndent > parentIndent ? 1 : this.lineIndent === parentIndent ? 0 : -1;
  }

  isPropertyStart(): boolean {
    const code = this.code();
    return code === BANG || code === AMPERSAND;
  }

  /**
   * Reads a tag and/or an anchor in either order and the separation after them; returns whether
   * that separation crossed a line break (later properties then belong to the next node).
   */
  readProperties(context: number): boolean {
    while (true) {
      const code = this.code();
      if (code === BANG) {
        if (this.tag !== null) this.fail("a node may have only one tag");
        this.tag = this.readTag(context);
      } else if (code === AMPERSAND) {
        if (this.anchor !== null) this.fail("a node may have only one anchor");
        this.pos++;
        this.anchor = this.readAnchorName();
      } else {
        return false;
      }
      const before = this.pos;
      if (this.skipSeparationSpace(true) > 0) return true;
      if (!this.isPropertyStart()) return false;
      if (this.pos === before) this.fail("properties must be separated by white space");
    }
  }

  readAnchorName(): string {
    const start = this.pos;
    let code = this.code();
    while (!isBlankOrEnd(code) && !isFlowIndicator(code)) code = this.input.charCodeAt(++this.pos);
    if (this.pos === start) this.fail("an anchor or alias name is expected");
    return this.input.slice(start, this.pos);
  }

  readTag(context: number): string {
    const start = this.pos;
    this.pos++;
    if (this.code() === LESS_THAN) {
      this.pos++;
      const uriStart = this.pos;
      while (this.code() !== GREATER_THAN) {
        if (isBlankOrEnd(this.code())) this.fail("unterminated verbatim tag", start);
        this.pos++;
      }
      const uri = this.input.slice(uriStart, this.pos);
      this.pos++;
      if (uri.length === 0 || uri === "!") this.fail("a verbatim tag must not be empty", start);
      return this.decodeTagText(uri, start);
    }
    let handle = "!";
    let suffixStart = this.pos;
    let code = this.code();
    while (!isBlankOrEnd(code) && !(context === FLOW_IN && isFlowIndicator(code))) {
      if (code === BANG) {
        if (handle !== "!") this.fail("a tag may contain only one named handle", start);
        handle = this.input.slice(start, this.pos + 1);
        if (!/^!(?:[0-9A-Za-z-]*!)$/.test(handle)) this.fail(`invalid tag handle ${handle}`, start);
        suffixStart = this.pos + 1;
      }
      code = this.input.charCodeAt(++this.pos);
    }
    const suffix = this.input.slice(suffixStart, this.pos);
    if (handle === "!" && suffix.length === 0) return "!";
    if (handle !== "!" && suffix.length === 0) this.fail("a tag suffix is expected", start);
    if (/[{}[\],]/.test(suffix)) this.fail("a tag must not contain flow indicators", start);
    let prefix = this.tagHandles.get(handle);
    if (prefix === undefined) {
      if (handle === "!") prefix = "!";
      else if (handle === "!!") prefix = YAML_TAG_PREFIX;
      else this.fail(`undeclared tag handle ${handle}`, start);
    }
    return prefix + this.decodeTagText(suffix, start);
  }

  decodeTagText(text: string, start: number): string {
    if (!text.includes("%")) return text;
    try {
      return decodeURIComponent(text);
    } catch {
      this.fail("invalid percent-encoding in tag", start);
    }
  }

  readAlias(): boolean {
    if (this.code() !== ASTERISK) return false;
    const start = this.pos;
    if (this.tag !== null || this.anchor !== null) {
      this.fail("an alias node must not have properties");
    }
    this.pos++;
    const name = this.readAnchorName();
    const anchored = this.anchors.get(name);
    if (anchored === undefined) this.fail(`unknown anchor "${name}"`, start);
    this.aliasExpansion += anchored.size;
    if (this.aliasExpansion > MAX_ALIAS_EXPANSION) {
      this.fail(
        `aliases expand to more than ${MAX_ALIAS_EXPANSION} nodes (an alias bomb?)`,
        start,
      );
    }
    this.nodeCount += anchored.size - 1;
    this.kind = KIND_VALUE;
    this.result = anchored.value;
    return true;
  }

  readBlockSequence(nodeIndent: number): boolean {
    if (this.firstTabInLine !== -1) return false;
    const tag = this.tag;
    const anchor = this.anchor;
    const items: unknown[] = [];
    let detected = false;
    while (this.code() !== 0) {
      if (this.firstTabInLine !== -1) {
        this.fail("tabs must not be used for indentation", this.firstTabInLine);
      }
      if (this.code() !== MINUS || !isBlankOrEnd(this.peek(1))) break;
      if (this.atDocumentBoundary()) break;
      detected = true;
      this.pos++;
      const entryLine = this.line;
      if (this.skipSeparationSpace(true) > 0 && this.lineIndent <= nodeIndent) {
        items.push(null);
      } else {
        this.composeNode(nodeIndent, BLOCK_IN, false, true);
        items.push(this.result);
        this.skipSeparationSpace(true);
      }
      if ((this.line === entryLine || this.lineIndent > nodeIndent) && this.code() !== 0) {
        if (this.atDocumentBoundary()) break;
        this.fail("bad indentation of a sequence entry");
      }
      if (this.lineIndent < nodeIndent) break;
    }
    if (!detected) return false;
    this.tag = tag;
    this.anchor = anchor;
    this.kind = KIND_SEQ;
    this.result = items;
    return true;
  }

  readBlockMapping(nodeIndent: number, flowIndent: number): boolean {
    if (this.firstTabInLine !== -1) return false;
    const tag = this.tag;
    const anchor = this.anchor;
    const map: Record<string, unknown> = {};
    let key: unknown = null;
    let keyPos = this.pos;
    let value: unknown = null;
    let atExplicitKey = false;
    let detected = false;
    let allowCompact = false;
    let code = this.code();
    while (code !== 0) {
      if (!atExplicitKey && this.firstTabInLine !== -1) {
        this.fail("tabs must not be used for indentation", this.firstTabInLine);
      }
      if (this.atDocumentBoundary()) break;
      const following = this.peek(1);
      const entryLine = this.line;
      if ((code === QUESTION || code === COLON) && isBlankOrEnd(following)) {
        if (code === QUESTION) {
          if (atExplicitKey) {
            this.storePair(map, key, null, keyPos);
            key = value = null;
          }
          detected = true;
          atExplicitKey = true;
          allowCompact = true;
          keyPos = this.pos;
        } else if (atExplicitKey) {
          atExplicitKey = false;
          allowCompact = true;
        } else {
          // `: value` with an empty implicit key is valid YAML; a missing key is stored as null.
          detected = true;
          key = null;
          keyPos = this.pos;
          allowCompact = true;
        }
        this.pos++;
      } else {
        const keyStart = this.pos;
        const keyLineStart = this.lineStart;
        if (!this.composeNode(flowIndent, FLOW_OUT, false, true)) break;
        if (this.line === entryLine) {
          const keyKind = this.kind;
          const keyResult = this.result;
          const keyHadProperties = this.lastHadProperties;
          code = this.code();
          while (isWhiteSpace(code)) code = this.input.charCodeAt(++this.pos);
          if (code === COLON) {
            code = this.input.charCodeAt(++this.pos);
            if (!isBlankOrEnd(code)) {
              this.fail("a space is expected after the colon of a mapping entry");
            }
            if (keyStart - keyLineStart !== nodeIndent && detected) {
              this.fail("bad indentation of a mapping entry", keyStart);
            }
            if (atExplicitKey) {
              this.storePair(map, key, null, keyPos);
              key = value = null;
            }
            detected = true;
            atExplicitKey = false;
            allowCompact = false;
            key = keyResult;
            keyPos = keyStart;
          } else if (detected) {
            this.fail("could not find the colon of an implicit mapping entry");
          } else {
            this.adoptFallback(tag, anchor, keyKind, keyResult, keyHadProperties);
            return true;
          }
        } else if (detected) {
          this.fail("an implicit mapping key must fit on one line", keyStart);
        } else {
          this.adoptFallback(tag, anchor, this.kind, this.result, this.lastHadProperties);
          return true;
        }
      }

      if (this.line === entryLine || this.lineIndent > nodeIndent) {
        if (this.composeNode(nodeIndent, BLOCK_OUT, true, allowCompact)) {
          if (atExplicitKey) key = this.result;
          else value = this.result;
        } else if (atExplicitKey) {
          key = null;
        } else {
          value = null;
        }
        if (!atExplicitKey) {
          this.storePair(map, key, value, keyPos);
          key = value = null;
        }
        this.skipSeparationSpace(true);
      }
      code = this.code();
      if ((this.line === entryLine || this.lineIndent > nodeIndent) && code !== 0) {
        if (this.atDocumentBoundary()) break;
        const sameLine = this.line === entryLine;
        this.fail(
          sameLine && code === COLON
            ? "mapping values are not allowed in this context"
            : sameLine && code === MINUS && isBlankOrEnd(this.peek(1))
            ? "block sequence entries are not allowed in this context"
            : "bad indentation of a mapping entry",
        );
      }
      if (this.lineIndent < nodeIndent) break;
    }
    if (atExplicitKey) this.storePair(map, key, null, keyPos);
    if (!detected) return false;
    this.tag = tag;
    this.anchor = anchor;
    this.kind = KIND_MAP;
    this.result = map;
    return true;
  }

  /**
   * The would-be key turned out to be a whole node (no `:` followed): hand it back as the result of
   * the enclosing node, letting that node's own properties (if any) apply to it.
   */
  adoptFallback(
    tag: string | null,
    anchor: string | null,
    keyKind: NodeKind,
    keyResult: unknown,
    keyHadProperties: boolean,
  ): void {
    if (keyHadProperties) {
      if (
        (tag !== null && this.lastTag !== null) || (anchor !== null && this.lastAnchor !== null)
      ) {
        this.fail("a node may have only one tag and one anchor");
      }
      tag ??= this.lastTag;
      anchor ??= this.lastAnchor;
    }
    this.tag = tag;
    this.anchor = anchor;
    if (tag !== null && this.lastWasScalar) {
      // Retype the raw scalar under the enclosing node's tag.
      this.kind = KIND_SCALAR;
      this.result = this.lastScalarText;
      this.plain = this.lastScalarPlain;
      return;
    }
    this.kind = keyKind === KIND_MAP || keyKind === KIND_SEQ ? keyKind : KIND_VALUE;
    this.result = keyResult;
  }

  storePair(map: Record<string, unknown>, key: unknown, value: unknown, keyPos: number): void {
    const name = keyString(key);
    if (storeEntry(map, name, value)) return;
    // Null and collection keys have no faithful string form, so two of them are not a duplicate
    // in YAML's sense even when their strings collide: the later entry wins.
    if (key === null || typeof key === "object" || this.duplicateKeys === "last") {
      Object.defineProperty(map, name, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      return;
    }
    this.fail(`duplicated mapping key "${name}"`, keyPos);
  }

  readFlowCollection(nodeIndent: number): boolean {
    const open = this.code();
    let isMapping: boolean;
    if (open === LEFT_BRACKET) isMapping = false;
    else if (open === LEFT_BRACE) isMapping = true;
    else return false;
    const close = isMapping ? RIGHT_BRACE : RIGHT_BRACKET;
    const tag = this.tag;
    const anchor = this.anchor;
    const map: Record<string, unknown> = {};
    const items: unknown[] = [];
    const openPos = this.pos;
    this.pos++;
    let readNext = true;
    while (this.code() !== 0) {
      this.skipFlowSpace(nodeIndent);
      let code = this.code();
      if (code === close) {
        this.pos++;
        this.tag = tag;
        this.anchor = anchor;
        this.kind = isMapping ? KIND_MAP : KIND_SEQ;
        this.result = isMapping ? map : items;
        return true;
      }
      if (!readNext) this.fail("a comma or the end of the flow collection is expected");
      if (code === COMMA) this.fail("an entry is expected before the comma");
      let isPair = false;
      let isExplicit = false;
      const entryPos = this.pos;
      if (
        code === QUESTION && isBlankOrEnd(this.peek(1)) ||
        code === QUESTION && isFlowIndicator(this.peek(1))
      ) {
        isPair = isExplicit = true;
        this.pos++;
        this.skipFlowSpace(nodeIndent);
      }
      const keyLine = this.line;
      const keyStart = this.pos;
      const hasKey = this.composeNode(nodeIndent, FLOW_IN, false, true);
      const key = this.result;
      const keyIsJsonLike = this.lastJsonLike;
      this.skipFlowSpace(nodeIndent);
      code = this.code();
      let value: unknown = null;
      if ((isExplicit || isMapping || this.line === keyLine) && code === COLON) {
        const following = this.peek(1);
        if (
          !isBlankOrEnd(following) && !isFlowIndicator(following) && !(hasKey && keyIsJsonLike)
        ) {
          this.fail("a space is expected after the colon of a flow mapping entry");
        }
        isPair = true;
        this.pos++;
        this.skipFlowSpace(nodeIndent);
        this.composeNode(nodeIndent, FLOW_IN, false, true);
        value = this.result;
      } else if (code === COLON && !isExplicit) {
        this.fail("an implicit key in a flow sequence must fit on one line", keyStart);
      } else if (!hasKey && !isExplicit) {
        this.fail("a flow collection entry is expected", entryPos);
      }
      if (isMapping) {
        this.storePair(map, key, value, keyStart);
      } else if (isPair) {
        const pair: Record<string, unknown> = {};
        this.storePair(pair, key, value, keyStart);
        items.push(pair);
      } else {
        items.push(key);
      }
      this.skipFlowSpace(nodeIndent);
      code = this.code();
      if (code === COMMA) {
        readNext = true;
        this.pos++;
      } else {
        readNext = false;
      }
    }
    this.fail("the flow collection is not closed", openPos);
  }

  /** Separation inside a flow collection: continuation lines must stay indented past the parent. */
  skipFlowSpace(nodeIndent: number): void {
    if (this.skipSeparationSpace(true) > 0) {
      if (this.atDocumentBoundary()) this.fail("a document marker inside a flow collection");
      if (this.lineIndent < nodeIndent && this.code() !== 0) {
        this.fail("a flow collection line is indented less than its parent");
      }
    }
  }

  setScalar(text: string, plain: boolean): void {
    this.kind = KIND_SCALAR;
    this.result = text;
    this.plain = plain;
  }

  readPlainScalar(nodeIndent: number, withinFlowCollection: boolean): boolean {
    let code = this.code();
    if (this.atDocumentBoundary()) return false;
    if (
      isBlankOrEnd(code) || isFlowIndicator(code) || code === HASH || code === AMPERSAND ||
      code === ASTERISK || code === BANG || code === PIPE || code === GREATER_THAN ||
      code === SINGLE_QUOTE || code === DOUBLE_QUOTE || code === PERCENT || code === AT ||
      code === BACKTICK
    ) {
      return false;
    }
    if (code === QUESTION || code === MINUS || code === COLON) {
      const following = this.peek(1);
      if (isBlankOrEnd(following) || (withinFlowCollection && isFlowIndicator(following))) {
        return false;
      }
    }
    let text = "";
    let segmentStart = this.pos;
    let segmentEnd = this.pos;
    let pendingBreaks = 0;
    let savedLine = 0;
    let savedLineStart = 0;
    let savedLineIndent = 0;
    let savedTab = -1;
    let savedEnd = 0;
    while (code !== 0) {
      if (code === COLON) {
        const following = this.peek(1);
        if (isBlankOrEnd(following) || (withinFlowCollection && isFlowIndicator(following))) break;
      } else if (code === HASH) {
        if (isBlankOrEnd(this.input.charCodeAt(this.pos - 1))) break;
      } else if (withinFlowCollection && isFlowIndicator(code)) {
        break;
      } else if (isLineBreak(code)) {
        if (pendingBreaks === 0) {
          text += this.input.slice(segmentStart, segmentEnd);
          savedLine = this.line;
          savedLineStart = this.lineStart;
          savedLineIndent = this.lineIndent;
          savedTab = this.firstTabInLine;
          savedEnd = segmentEnd;
        }
        pendingBreaks += this.skipSeparationSpace(false);
        if (this.lineIndent < nodeIndent || this.code() === 0 || this.atDocumentBoundary()) break;
        code = this.code();
        segmentStart = segmentEnd = this.pos;
        continue;
      }
      if (pendingBreaks > 0) {
        text += pendingBreaks === 1 ? " " : "\n".repeat(pendingBreaks - 1);
        pendingBreaks = 0;
        segmentStart = this.pos;
      }
      if (!isWhiteSpace(code)) segmentEnd = this.pos + 1;
      code = this.input.charCodeAt(++this.pos);
    }
    if (pendingBreaks > 0) {
      // The scalar ended on an earlier line: go back to just after its last character.
      this.line = savedLine;
      this.lineStart = savedLineStart;
      this.lineIndent = savedLineIndent;
      this.firstTabInLine = savedTab;
      this.pos = savedEnd;
    } else {
      text += this.input.slice(segmentStart, segmentEnd);
      this.pos = segmentEnd;
    }
    this.setScalar(text, true);
    return true;
  }

  readSingleQuoted(nodeIndent: number): boolean {
    if (this.code() !== SINGLE_QUOTE) return false;
    const start = this.pos;
    this.pos++;
    let text = "";
    let segmentStart = this.pos;
    let segmentEnd = this.pos;
    while (true) {
      const code = this.code();
      if (code === 0) this.fail("the single-quoted scalar is not closed", start);
      if (code === SINGLE_QUOTE) {
        text += this.input.slice(segmentStart, this.pos);
        this.pos++;
        if (this.code() === SINGLE_QUOTE) {
          text += "'";
          this.pos++;
          segmentStart = segmentEnd = this.pos;
          continue;
        }
        this.setScalar(text, false);
        return true;
      }
      if (isLineBreak(code)) {
        text += this.input.slice(segmentStart, segmentEnd);
        text += this.foldQuotedLines(nodeIndent, start);
        segmentStart = segmentEnd = this.pos;
        continue;
      }
      this.pos++;
      if (!isWhiteSpace(code)) segmentEnd = this.pos;
    }
  }

  /** Folds the line breaks inside a quoted scalar: one break is a space, n breaks n-1 newlines. */
  foldQuotedLines(nodeIndent: number, start: number): string {
    const breaks = this.skipSeparationSpace(false);
    if (this.atDocumentBoundary()) this.fail("a document marker inside a quoted scalar", start);
    if (this.code() === 0) this.fail("the quoted scalar is not closed", start);
    if (this.lineIndent < nodeIndent) {
      this.fail("a quoted scalar line is indented less than its parent");
    }
    return breaks === 1 ? " " : "\n".repeat(breaks - 1);
  }

  readDoubleQuoted(nodeIndent: number): boolean {
    if (this.code() !== DOUBLE_QUOTE) return false;
    const start = this.pos;
    this.pos++;
    let text = "";
    let segmentStart = this.pos;
    let segmentEnd = this.pos;
    while (true) {
      let code = this.code();
      if (code === 0) this.fail("the double-quoted scalar is not closed", start);
      if (code === DOUBLE_QUOTE) {
        text += this.input.slice(segmentStart, this.pos);
        this.pos++;
        this.setScalar(text, false);
        return true;
      }
      if (code === BACKSLASH) {
        text += this.input.slice(segmentStart, this.pos);
        code = this.input.charCodeAt(++this.pos);
        if (isLineBreak(code)) {
          // An escaped line break joins the lines without a space; leading blanks are dropped.
          this.skipSeparationSpace(false);
          if (this.atDocumentBoundary()) {
            this.fail("a document marker inside a quoted scalar", start);
          }
          if (this.lineIndent < nodeIndent && this.code() !== 0) {
            this.fail("a quoted scalar line is indented less than its parent");
          }
        } else if (SIMPLE_ESCAPES[code] !== undefined) {
          text += SIMPLE_ESCAPES[code];
          this.pos++;
        } else if (HEX_ESCAPE_LENGTHS[code] !== undefined) {
          const digits = HEX_ESCAPE_LENGTHS[code];
          const hexStart = this.pos + 1;
          for (let i = 0; i < digits; i++) {
            if (!isHexDigit(this.input.charCodeAt(hexStart + i))) {
              this.fail(`the escape needs ${digits} hexadecimal digits`, this.pos - 1);
            }
          }
          const codePoint = parseInt(this.input.slice(hexStart, hexStart + digits), 16);
          if (codePoint > 0x10ffff) {
            this.fail("the escaped code point is out of range", this.pos - 1);
          }
          text += String.fromCodePoint(codePoint);
          this.pos = hexStart + digits;
        } else {
          this.fail("unknown escape sequence", this.pos - 1);
        }
        segmentStart = segmentEnd = this.pos;
        continue;
      }
      if (isLineBreak(code)) {
        text += this.input.slice(segmentStart, segmentEnd);
        text += this.foldQuotedLines(nodeIndent, start);
        segmentStart = segmentEnd = this.pos;
        continue;
      }
      this.pos++;
      if (!isWhiteSpace(code)) segmentEnd = this.pos;
    }
  }

  readBlockScalar(nodeIndent: number): boolean {
    let code = this.code();
    let folding: boolean;
    if (code === PIPE) folding = false;
    else if (code === GREATER_THAN) folding = true;
    else return false;
    let chomping = CHOMP_CLIP;
    let textIndent = nodeIndent;
    let detectedIndent = false;
    code = this.input.charCodeAt(++this.pos);
    for (let i = 0; i < 2; i++) {
      if ((code === PLUS || code === MINUS) && chomping === CHOMP_CLIP) {
        chomping = code === PLUS ? CHOMP_KEEP : CHOMP_STRIP;
        code = this.input.charCodeAt(++this.pos);
      } else if (code >= 0x30 && code <= 0x39 && !detectedIndent) {
        if (code === 0x30) this.fail("the indentation indicator must be between 1 and 9");
        // Relative to the parent's indentation; at the top level (no parent) relative to column
        // 0, as libyaml and go-yaml read and write it.
        textIndent = Math.max(nodeIndent - 1, 0) + code - 0x30;
        detectedIndent = true;
        code = this.input.charCodeAt(++this.pos);
      }
    }
    if (isWhiteSpace(code)) {
      while (isWhiteSpace(code)) code = this.input.charCodeAt(++this.pos);
      if (code === HASH) {
        while (!isLineBreak(code) && code !== 0) code = this.input.charCodeAt(++this.pos);
      }
    }
    if (!isLineBreak(code) && code !== 0) {
      this.fail("a block scalar header must end the line");
    }
    let text = "";
    let emptyLines = 0;
    let didReadContent = false;
    let lastLineHadBreak = false;
    let atMoreIndented = false;
    let maxLeadingEmptyIndent = 0;
    while (isLineBreak(this.code())) {
      this.readLineBreak();
      this.lineIndent = 0;
      code = this.code();
      while ((!detectedIndent || this.lineIndent < textIndent) && code === SPACE) {
        this.lineIndent++;
        code = this.input.charCodeAt(++this.pos);
      }
      if (code === TAB && this.lineIndent < textIndent) {
        let ahead = this.pos;
        while (isWhiteSpace(this.input.charCodeAt(ahead))) ahead++;
        if (isBlankOrEnd(this.input.charCodeAt(ahead))) {
          this.fail("tabs must not be used for indentation in a block scalar");
        }
      }
      if (isLineBreak(code)) {
        if (!detectedIndent && this.lineIndent > maxLeadingEmptyIndent) {
          maxLeadingEmptyIndent = this.lineIndent;
        }
        emptyLines++;
        continue;
      }
      if (code === 0) {
        // A last line of only spaces, without a line break, still counts as an empty line.
        if (this.pos > this.lineStart) emptyLines++;
        break;
      }
      if (this.lineIndent === 0 && this.atDocumentBoundary()) break;
      if (!detectedIndent && this.lineIndent >= textIndent) {
        if (this.lineIndent < maxLeadingEmptyIndent) {
          this.fail("a leading empty line of a block scalar is indented more than its text");
        }
        textIndent = this.lineIndent;
        detectedIndent = true;
      }
      if (this.lineIndent < textIndent) break;
      if (folding) {
        if (isWhiteSpace(code)) {
          atMoreIndented = true;
          text += "\n".repeat(didReadContent ? 1 + emptyLines : emptyLines);
        } else if (atMoreIndented) {
          atMoreIndented = false;
          text += "\n".repeat(emptyLines + 1);
        } else if (emptyLines === 0) {
          if (didReadContent) text += " ";
        } else {
          text += "\n".repeat(emptyLines);
        }
      } else {
        text += "\n".repeat(didReadContent ? 1 + emptyLines : emptyLines);
      }
      didReadContent = true;
      emptyLines = 0;
      const contentStart = this.pos;
      while (!isLineBreak(code) && code !== 0) code = this.input.charCodeAt(++this.pos);
      text += this.input.slice(contentStart, this.pos);
      lastLineHadBreak = true;
    }
    if (chomping === CHOMP_KEEP) {
      text += "\n".repeat((didReadContent && lastLineHadBreak ? 1 : 0) + emptyLines);
    } else if (chomping === CHOMP_CLIP && didReadContent && lastLineHadBreak) {
      text += "\n";
    }
    this.setScalar(text, false);
    return true;
  }
}
