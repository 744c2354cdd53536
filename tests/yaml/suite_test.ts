/**
 * Conformance: every case of the official YAML test suite (vendored data, 402 cases). Error cases
 * must throw `YamlError`, cases with expected JSON must load equal to it, other valid cases must
 * parse. The cases listed in known_failures.txt must fail and all others pass.
 *
 * @module
 */

import { deepStrictEqual } from "node:assert/strict";
import { parseAll, YamlError } from "../../lib/yaml/parse.ts";
import { loadSuiteCases, type SuiteCase } from "./suite_support.ts";

/** Returns why a case fails, or `null` when it passes. */
function caseFailure(suiteCase: SuiteCase): string | null {
  let documents: unknown[];
  try {
    documents = parseAll(suiteCase.input);
  } catch (error) {
    if (!(error instanceof YamlError)) return `threw ${String(error)} instead of a YamlError`;
    return suiteCase.isError ? null : `rejected valid input: ${error.reason}`;
  }
  if (suiteCase.isError) return "accepted invalid input";
  if (suiteCase.expected === undefined) return null;
  try {
    deepStrictEqual(documents, suiteCase.expected);
    return null;
  } catch {
    return `loaded ${JSON.stringify(documents)}, expected ${JSON.stringify(suiteCase.expected)}`;
  }
}

function readKnownFailures(): Set<string> {
  const text = Deno.readTextFileSync(new URL("./known_failures.txt", import.meta.url));
  const ids = text.split("\n").map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith("#"))
    .map((line) => line.split(/\s+/)[0]);
  return new Set(ids);
}

Deno.test("yaml test suite: exactly the known failures fail", () => {
  const cases = loadSuiteCases();
  const known = readKnownFailures();
  const unexpected: string[] = [];
  const fixed: string[] = [];
  let passed = 0;
  for (const suiteCase of cases) {
    const failure = caseFailure(suiteCase);
    if (failure === null) passed++;
    if (failure !== null && !known.has(suiteCase.id)) {
      unexpected.push(`${suiteCase.id}: ${failure}`);
    }
    if (failure === null && known.has(suiteCase.id)) fixed.push(suiteCase.id);
  }
  // deno-lint-ignore no-console
  console.log(`yaml test suite: ${passed} of ${cases.length} cases pass`);
  deepStrictEqual(cases.length, 402);
  deepStrictEqual(unexpected, [], "cases failing that are not in known_failures.txt");
  deepStrictEqual(fixed, [], "cases passing that known_failures.txt lists as failing");
});
