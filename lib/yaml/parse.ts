/**
 * Parsing YAML 1.2 text into plain JavaScript values, shaped like `@std/yaml`'s `parse` and
 * `parseAll`. kubeconfig files are read with {@linkcode parse}.
 *
 * What the values look like: mappings are plain objects (keys are strings; a key that is itself a
 * collection becomes its JSON text), sequences are arrays, and scalars follow the core schema
 * (null, booleans, integers including `0o`/`0x`, floats including `.inf`/`.nan`, strings). Tags
 * `!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!map`, `!!seq` are honoured; `!!binary` and
 * unknown tags keep the value the node would have had without a tag. Aliases share the anchored
 * value (the same object, not a copy).
 *
 * @module
 */

import { composeStream, type DuplicateKeys } from "./compose.ts";
import { YamlError } from "./error.ts";

export { YamlError } from "./error.ts";
export { MAX_ALIAS_EXPANSION, MAX_NESTING_DEPTH } from "./limits.ts";

/** Options of {@linkcode parse} and {@linkcode parseAll}. */
export interface ParseOptions {
  /** Name of the file the text came from; errors are prefixed `<filename>:<line>:<column>: `. */
  filename?: string;
  /**
   * A repeated mapping key is an error (`"error"`, the default, as YAML 1.2 has it) or replaces
   * the earlier entry (`"last"`, as the Go YAML reader behind kubectl's kubeconfig loading does).
   */
  duplicateKeys?: DuplicateKeys;
}

/**
 * Parses a YAML stream that holds at most one document. An empty stream (nothing, or only
 * comments) gives `null`, as an empty document does.
 *
 * @throws {YamlError} on a syntax error, an exceeded limit, or a second document.
 * @example
 * ```ts
 * import { parse } from "./parse.ts";
 * parse("clusters:\n- name: dev\n  cluster: {server: 'https://10.0.0.1:6443'}\n");
 * // { clusters: [{ name: "dev", cluster: { server: "https://10.0.0.1:6443" } }] }
 * ```
 */
export function parse(text: string, options: ParseOptions = {}): unknown {
  const stream = composeStream(text, options.filename, options.duplicateKeys);
  if (stream.documents.length > 1) {
    throw positionedError(
      text,
      stream.offsets[1],
      "expected a single document, but found more",
      options,
    );
  }
  return stream.documents.length === 0 ? null : stream.documents[0];
}

/**
 * Parses every document of a YAML stream, in order; an empty stream gives `[]`.
 *
 * @throws {YamlError} on a syntax error or an exceeded limit anywhere in the stream.
 * @example
 * ```ts
 * import { parseAll } from "./parse.ts";
 * parseAll("a: 1\n---\n- b\n"); // [{ a: 1 }, ["b"]]
 * ```
 */
export function parseAll(text: string, options: ParseOptions = {}): unknown[] {
  return composeStream(text, options.filename, options.duplicateKeys).documents;
}

function positionedError(
  text: string,
  offset: number,
  reason: string,
  options: ParseOptions,
): YamlError {
  const before = text.slice(0, offset);
  const lineStart = Math.max(before.lastIndexOf("\n"), before.lastIndexOf("\r")) + 1;
  const lineEnd = text.slice(lineStart).search(/[\r\n]|$/) + lineStart;
  return new YamlError({
    reason,
    line: (before.match(/\r\n|\r|\n/g)?.length ?? 0) + 1,
    column: offset - lineStart + 1,
    lineText: text.slice(lineStart, lineEnd),
    filename: options.filename,
  });
}
