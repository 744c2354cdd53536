import assert from "node:assert/strict";
import { goEscape, goQuote } from "../lib/go_quote.ts";

Deno.test("goQuote: Go's %q — printable as is, control and invisible characters escaped", () => {
  const cases: [string, string][] = [
    ["app", '"app"'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    ["tab\there\n", '"tab\\there\\n"'],
    ["\x1b[31mred", '"\\x1b[31mred"'],
    ["\x7f\x9b", '"\\x7f\\u009b"'],
    ["ünïcødé ✓", '"ünïcødé ✓"'],
    ["no\u00a0break", '"no\\u00a0break"'],
    ["\u{1F600}", '"\u{1F600}"'],
    ["\u{E0001}", '"\\U000e0001"'],
  ];
  for (const [text, quoted] of cases) assert.equal(goQuote(text), quoted, JSON.stringify(text));
  assert.equal(goEscape("web-0"), "web-0");
});
