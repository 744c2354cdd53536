/**
 * Tests of lib/yaml/go_rules.ts: go-yaml v2's "would this read back as a string?" decision, its
 * number spelling and its key order.
 *
 * @module
 */

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { compareGoKeys, formatGoNumber, goReadsAsString } from "../../lib/yaml/go_rules.ts";

Deno.test("goReadsAsString: YAML 1.1 words, numbers, timestamps and base-60 are not strings", () => {
  const notStrings = [
    "",
    "~",
    "null",
    "y",
    "N",
    "yes",
    "Off",
    "TRUE",
    ".inf",
    "-.Inf",
    ".NaN",
    "12",
    "-12",
    "+7",
    "0755",
    "0x1f",
    "0o17",
    "0b101",
    "-0b11",
    "1_000",
    "1.5",
    "1e3",
    ".5",
    "+.5",
    "1.",
    "09",
    "18446744073709551615",
    "18446744073709551616",
    "2024-01-02",
    "2024-2-3",
    "2024-02-03T04:05:06Z",
    "2024-02-03t04:05:06.5+01:00",
    "2024-02-03 04:05:06",
    "190:20:30",
    "1:2",
  ]; // deno-fmt-ignore
  for (const text of notStrings) strictEqual(goReadsAsString(text), false, text);
  const strings = [
    "dev",
    "<<",
    "-",
    "+",
    "1e",
    "e1",
    "._1",
    "0.1.2",
    "2024-02-30",
    "2024-13-01",
    "2024-02-03T25:00:00Z",
    "2024-02-03T04:05:06",
    "1:60",
    "yess",
    "nulls",
    "0x",
    "0o8",
    "v1.2",
  ]; // deno-fmt-ignore
  for (const text of strings) strictEqual(goReadsAsString(text), true, text);
});

Deno.test("formatGoNumber: Go's strconv 'g' spelling", () => {
  const cases: [number, string][] = [
    [0, "0"],
    [-0, "0"],
    [42, "42"],
    [-7, "-7"],
    [1.5, "1.5"],
    [123456.5, "123456.5"],
    [1234567.5, "1.2345675e+06"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [1e21, "1e+21"],
    [1.5e300, "1.5e+300"],
    [Infinity, ".inf"],
    [-Infinity, "-.inf"],
    [NaN, ".nan"],
  ]; // deno-fmt-ignore
  for (const [value, written] of cases) strictEqual(formatGoNumber(value), written, String(value));
});

Deno.test("compareGoKeys: letters first, digit runs by value (kubectl 1.32's order)", () => {
  deepStrictEqual(
    ["b10", "b9", "B", "a", "_x", "1", "item2", "item1", "é", "z", "x10y2", "x10y10", "x9", "-a"]
      .sort(compareGoKeys),
    ["-a", "_x", "1", "B", "a", "b9", "b10", "item1", "item2", "x9", "x10y2", "x10y10", "z", "é"],
  );
  strictEqual(compareGoKeys("same", "same"), 0);
});
