/**
 * Runs the seeded YAML fuzzer (tests/yaml/fuzz.ts) on 20,000 mutated inputs: each must parse or
 * throw a positioned `YamlError`.
 *
 * @module
 */

import { strictEqual } from "node:assert/strict";
import { fuzzYaml } from "./fuzz.ts";

Deno.test("yaml fuzz: 20,000 mutated suite inputs parse or throw YamlError", () => {
  const report = fuzzYaml({ count: 20_000, seed: 20261126 });
  // deno-lint-ignore no-console
  console.log(
    `yaml fuzz: ${report.inputs} inputs, ${report.parsed} parsed, ${report.rejected} rejected`,
  );
  strictEqual(report.inputs, 20_000);
  strictEqual(report.parsed + report.rejected, 20_000);
  strictEqual(report.parsed > 0 && report.rejected > 0, true);
});
