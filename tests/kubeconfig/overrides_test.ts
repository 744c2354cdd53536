import assert from "node:assert/strict";
import { InvalidTimeoutError, parseRequestTimeout } from "../../lib/kubeconfig/overrides.ts";

Deno.test("--request-timeout accepts seconds, Go durations and 0", () => {
  const cases: [string, number][] = [
    ["0", 0],
    ["30", 30_000],
    ["+5", 5_000],
    ["30s", 30_000],
    ["1m", 60_000],
    ["1h30m", 5_400_000],
    ["1.5s", 1_500],
    ["250ms", 250],
    ["-1s", 0],
  ];
  for (const [text, expected] of cases) assert.equal(parseRequestTimeout(text), expected, text);
});

Deno.test("--request-timeout rejects anything else with kubectl's message", () => {
  for (const text of ["", "abc", "1x", "1 s", "s", "1.2.3s"]) {
    assert.throws(
      () => parseRequestTimeout(text),
      (error: unknown) =>
        error instanceof InvalidTimeoutError && error.value === text &&
        error.message ===
          "Invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)",
      text,
    );
  }
});
