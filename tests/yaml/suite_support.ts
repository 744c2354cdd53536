/**
 * Reading the vendored YAML test suite (tests/yaml/yaml-test-suite/): the list of cases and the
 * expected values of each, shared by the conformance test and the fuzzer.
 *
 * @module
 */

/** One case of the suite. */
export interface SuiteCase {
  /** The suite's id, e.g. `229Q` or `2G84-01`. */
  id: string;
  /** The YAML input, exact text. */
  input: string;
  /** Whether the input must be rejected. */
  isError: boolean;
  /** The expected documents, when the suite gives them (`in.json`). */
  expected?: unknown[];
}

/** Folder of the vendored suite data. */
export const SUITE_DIR = new URL("./yaml-test-suite/cases/", import.meta.url);

/**
 * Loads every case of the vendored suite, sorted by id.
 *
 * @example
 * ```ts
 * import { loadSuiteCases } from "./suite_support.ts";
 * const cases = loadSuiteCases(); // 402 cases
 * ```
 */
export function loadSuiteCases(): SuiteCase[] {
  const ids = [...Deno.readDirSync(SUITE_DIR)].filter((entry) => entry.isDirectory)
    .map((entry) => entry.name).sort();
  return ids.map((id) => {
    const dir = new URL(`${id}/`, SUITE_DIR);
    const input = Deno.readTextFileSync(new URL("in.yaml", dir));
    const isError = exists(new URL("error", dir));
    const jsonFile = new URL("in.json", dir);
    const suiteCase: SuiteCase = { id, input, isError };
    if (exists(jsonFile)) suiteCase.expected = splitJsonTexts(Deno.readTextFileSync(jsonFile));
    return suiteCase;
  });
}

function exists(url: URL): boolean {
  try {
    Deno.statSync(url);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Parses several JSON texts written one after another (the suite's multi-document `in.json`).
 *
 * @example
 * ```ts
 * import { splitJsonTexts } from "./suite_support.ts";
 * splitJsonTexts('{"a": 1}\n"b"\n3'); // [{ a: 1 }, "b", 3]
 * ```
 */
export function splitJsonTexts(text: string): unknown[] {
  const values: unknown[] = [];
  let index = 0;
  while (true) {
    while (index < text.length && /\s/.test(text[index])) index++;
    if (index >= text.length) return values;
    const end = jsonTextEnd(text, index);
    values.push(JSON.parse(text.slice(index, end)));
    index = end;
  }
}

/** Finds where the JSON text starting at `start` ends: a balanced bracket or the next blank. */
function jsonTextEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === "\\") i++;
      else if (char === '"') {
        inString = false;
        if (depth === 0) return i + 1;
      }
    } else if (char === '"') {
      inString = true;
    } else if (char === "[" || char === "{") {
      depth++;
    } else if (char === "]" || char === "}") {
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && /\s/.test(char)) {
      return i;
    }
  }
  return text.length;
}
