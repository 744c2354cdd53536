import assert from "node:assert/strict";
import { DurationError, formatGoDuration, parseGoDuration } from "../lib/duration.ts";

Deno.test("Go durations parse like time.ParseDuration", () => {
  assert.equal(parseGoDuration("1m0s"), 60_000);
  assert.equal(parseGoDuration("1.5h"), 5_400_000);
  assert.equal(parseGoDuration("300ms"), 300);
  assert.equal(parseGoDuration("1h2m3s4ms5us6ns"), 3_723_004.005006);
  assert.equal(parseGoDuration("2µs"), 0.002);
  assert.equal(parseGoDuration("0"), 0);
  assert.equal(parseGoDuration("-0"), 0);
  assert.equal(parseGoDuration("-2s"), -2000);
  for (const junk of ["5", "", ".s", "s", "1.5"]) {
    assert.throws(() => parseGoDuration(junk), DurationError, junk);
  }
  assert.throws(() => parseGoDuration("5d"), /time: unknown unit "d" in duration "5d"/);
  assert.throws(() => parseGoDuration("soon"), /time: invalid duration "soon"/);
});

Deno.test("bad durations get time.ParseDuration's own messages", () => {
  // Each message as Go 1.26's time.ParseDuration returned it for the same text.
  const go: [string, string][] = [
    ["5", 'time: missing unit in duration "5"'],
    ["5s5", 'time: missing unit in duration "5s5"'],
    ["1.5.5s", 'time: missing unit in duration "1.5.5s"'],
    ["1..5s", 'time: missing unit in duration "1..5s"'],
    ["00", 'time: missing unit in duration "00"'],
    ["5d", 'time: unknown unit "d" in duration "5d"'],
    ["5 s", 'time: unknown unit " s" in duration "5 s"'],
    ["1e3s", 'time: unknown unit "e" in duration "1e3s"'],
    [".s", 'time: invalid duration ".s"'],
    ["-.s", 'time: invalid duration "-.s"'],
    [".", 'time: invalid duration "."'],
    ["++1s", 'time: invalid duration "++1s"'],
  ];
  for (const [text, message] of go) {
    assert.throws(() => parseGoDuration(text), (error: unknown) => {
      assert.ok(error instanceof DurationError);
      assert.equal(error.message, message);
      return true;
    });
  }
  assert.equal(parseGoDuration("1.s"), 1000);
  assert.equal(parseGoDuration(".5s"), 500);
});

Deno.test("durations print like time.Duration.String", () => {
  assert.equal(formatGoDuration(60_000), "1m0s");
  assert.equal(formatGoDuration(3_600_000), "1h0m0s");
  assert.equal(formatGoDuration(5000), "5s");
  assert.equal(formatGoDuration(1500), "1.5s");
  assert.equal(formatGoDuration(500), "500ms");
  assert.equal(formatGoDuration(0), "0s");
  assert.equal(formatGoDuration(-90_000), "-1m30s");
});
