/**
 * Finds where a value sits in a kubeconfig's text, so decoding errors can say `file:line:col`.
 *
 * The YAML parser returns plain values without positions, so this re-locates the offending key in
 * the source: it walks the error's path, finding each key after the previous one and each list
 * entry by its `name` (every kubeconfig list entry has one). It works for block and flow YAML and
 * for JSON; when a step cannot be found it reports the last position it did find.
 *
 * @module
 */
import type { SourcePosition } from "./errors.ts";

/** One step of a path into a document: a mapping key or a list index. */
export type PathStep = string | number;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function positionAt(text: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Whether `offset` lies in a `#` comment (a `#` at line start or after whitespace). */
function inComment(text: string, offset: number): boolean {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  return /(^|\s)#/.test(text.slice(lineStart, offset));
}

/** Runs `pattern` from `from`, skipping matches inside comments and the first `skip` matches. */
function findMatch(text: string, pattern: RegExp, from: number, skip = 0): RegExpExecArray | null {
  pattern.lastIndex = from;
  let remaining = skip;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    if (inComment(text, match.index + match[1].length)) continue;
    if (remaining-- === 0) return match;
  }
  return null;
}

function findKey(text: string, key: string, from: number): number | undefined {
  // A quoted key may be followed by anything (compact JSON); a plain one needs a space after `:`.
  const name = escapeRegExp(key);
  const pattern = new RegExp(
    `(^|[\\s{,])(?:"${name}"\\s*:|'${name}'\\s*:|${name}\\s*:(?=[\\s"'\\[{]|$))`,
    "gm",
  );
  const match = findMatch(text, pattern, from);
  return match ? match.index + match[1].length : undefined;
}

function findEntryByName(
  text: string,
  name: string,
  from: number,
  earlierTwins: number,
): number | undefined {
  const pattern = new RegExp(
    `(^|[\\s{,])(["']?)name\\2\\s*:\\s*(["']?)${escapeRegExp(name)}\\3\\s*(?=[,}\\r\\n#]|$)`,
    "gm",
  );
  const match = findMatch(text, pattern, from, earlierTwins);
  if (!match) return undefined;
  const nameOffset = match.index + match[1].length;
  const before = text.slice(from, nameOffset);
  let dashOffset = -1;
  for (const dash of before.matchAll(/(^|\n)([ \t]*)-[ \t]/g)) {
    dashOffset = from + dash.index + dash[1].length + dash[2].length;
  }
  const brace = before.lastIndexOf("{");
  const start = Math.max(dashOffset, brace < 0 ? -1 : from + brace);
  return start < 0 ? nameOffset : start;
}

/**
 * Returns the 1-based line and column of the value at `path` in `text`, or `undefined` when not
 * even the first step could be found.
 *
 * @example
 * ```ts
 * import { locatePath } from "./locate.ts";
 * const text = "clusters:\n- name: a\n  cluster:\n    server: [1]\n";
 * const document = { clusters: [{ name: "a", cluster: { server: [1] } }] };
 * locatePath(text, document, ["clusters", 0, "cluster", "server"]); // { line: 4, column: 5 }
 * ```
 */
export function locatePath(
  text: string,
  document: unknown,
  path: readonly PathStep[],
): SourcePosition | undefined {
  let offset = 0;
  let found = false;
  let node: unknown = document;
  for (const step of path) {
    let next: number | undefined;
    if (typeof step === "number") {
      const element = Array.isArray(node) ? node[step] : undefined;
      const name = element !== null && typeof element === "object" && !Array.isArray(element)
        ? (element as Record<string, unknown>).name
        : undefined;
      if (typeof name === "string" && name !== "") {
        const twins = (node as unknown[]).slice(0, step).filter((item) =>
          item !== null && typeof item === "object" && (item as { name?: unknown }).name === name
        ).length;
        next = findEntryByName(text, name, offset, twins);
      }
      node = element;
    } else {
      next = findKey(text, step, offset);
      node = node !== null && typeof node === "object" && !Array.isArray(node)
        ? (node as Record<string, unknown>)[step]
        : undefined;
    }
    if (next === undefined) {
      if (typeof step === "number") continue;
      break;
    }
    offset = next;
    found = true;
  }
  return found ? positionAt(text, offset) : undefined;
}
