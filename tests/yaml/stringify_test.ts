/**
 * Tests of lib/yaml/stringify.ts: the layout and quoting go-yaml v2 uses, byte-for-byte agreement
 * with `kubectl config view --raw` (a golden file made with kubectl 1.32, and kubectl itself when it
 * is on PATH), and round trips through `parse`.
 *
 * @module
 */

import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { parse } from "../../lib/yaml/parse.ts";
import { stringify, StringifyError } from "../../lib/yaml/stringify.ts";

const TESTDATA = new URL("./testdata/", import.meta.url);

Deno.test("stringify: kubeconfig layout (indentless sequences, {} and [], null)", () => {
  const config = {
    apiVersion: "v1",
    clusters: [{ cluster: { server: "https://10.0.0.1:6443" }, name: "dev" }],
    contexts: [],
    "current-context": "",
    preferences: {},
    users: [{ name: "admin", user: { exec: { args: ["a", ["b", "c"]], env: null } } }],
  };
  strictEqual(
    stringify(config),
    `apiVersion: v1
clusters:
- cluster:
    server: https://10.0.0.1:6443
  name: dev
contexts: []
current-context: ""
preferences: {}
users:
- name: admin
  user:
    exec:
      args:
      - a
      - - b
        - c
      env: null
`,
  );
});

Deno.test("stringify: strings are quoted only when go-yaml would quote them", () => {
  const cases: [string, string][] = [
    ["plain", "plain"],
    ["it's", "it's"],
    ["true", '"true"'],
    ["yes", '"yes"'],
    ["Off", '"Off"'],
    ["~", '"~"'],
    ["", '""'],
    ["123", '"123"'],
    ["0755", '"0755"'],
    ["1e3", '"1e3"'],
    [".5", '".5"'],
    ["12:30", '"12:30"'],
    ["2024-01-02", '"2024-01-02"'],
    ["2024-02-30", "2024-02-30"],
    ["<<", "<<"],
    ["- x", "'- x'"],
    ["a: b", "'a: b'"],
    ["a #b", "'a #b'"],
    ["a#b", "a#b"],
    ["*ref", "'*ref'"],
    [" lead", "' lead'"],
    ["trail ", "'trail '"],
    ["---", "'---'"],
    ["tab\there", '"tab\\there"'],
    ["emoji \u{1F600}", '"emoji \\U0001F600"'],
    ["caf\u00e9", "caf\u00e9"],
  ];
  for (const [value, written] of cases) {
    strictEqual(stringify({ k: value }), `k: ${written}\n`, `for ${JSON.stringify(value)}`);
  }
});

Deno.test("stringify: multi-line strings become literal blocks with go-yaml's chomping", () => {
  strictEqual(stringify({ k: "a\nb\n" }), "k: |\n  a\n  b\n");
  strictEqual(stringify({ k: "a\nb" }), "k: |-\n  a\n  b\n");
  strictEqual(stringify({ k: "a\n\n" }), "k: |+\n  a\n\n");
  strictEqual(stringify({ k: " a\nb\n" }), "k: |2\n   a\n  b\n");
  strictEqual(stringify({ k: "a \nb" }), 'k: "a \\nb"\n');
  strictEqual(stringify("a\nb\n"), "|\n  a\n  b\n");
});

Deno.test("stringify: long plain text folds at 80 columns, long base64 stays on one line", () => {
  const words = Array.from({ length: 30 }, (_, i) => `word${i}`).join(" ");
  const written = stringify({ description: words });
  strictEqual(written.split("\n").length > 2, true);
  deepStrictEqual(parse(written), { description: words });
  const base64 = "QUJD".repeat(5000);
  strictEqual(stringify({ data: base64 }), `data: ${base64}\n`);
});

Deno.test("stringify: numbers, booleans, bigints, toJSON and undefined members", () => {
  strictEqual(
    stringify([1, -2, 1.5, 1234567.5, 1e21, 0.00001, Infinity, -Infinity, NaN, true, 10n]),
    "- 1\n- -2\n- 1.5\n- 1.2345675e+06\n- 1e+21\n- 1e-05\n- .inf\n- -.inf\n- .nan\n- true\n- 10\n",
  );
  strictEqual(stringify({ a: undefined, b: new Date(0) }), 'b: "1970-01-01T00:00:00.000Z"\n');
  strictEqual(stringify({}), "{}\n");
  strictEqual(stringify(null), "null\n");
});

Deno.test("stringify: keys longer than 128 bytes use the explicit ? form", () => {
  const key = "k".repeat(129);
  strictEqual(stringify({ [key]: "v" }), `? ${key}\n: v\n`);
});

Deno.test("stringify: sortKeys orders keys as Go does", () => {
  strictEqual(
    stringify({ b10: 1, b9: 2, B: 3, a: 4, _x: 5, "1": 6 }, { sortKeys: true }),
    '_x: 5\n"1": 6\nB: 3\na: 4\nb9: 2\nb10: 1\n',
  );
});

Deno.test("stringify: cycles, functions and symbols are errors naming the path", () => {
  const cyclic: Record<string, unknown> = { name: "x" };
  cyclic.self = { again: cyclic };
  throws(
    () => stringify(cyclic),
    (error: unknown) => error instanceof StringifyError && error.path === "self.again",
  );
  throws(
    () => stringify({ list: [() => 1] }),
    (error: unknown) => error instanceof StringifyError && error.path === "list[0]",
  );
  throws(() => stringify(Symbol("s")), StringifyError);
});

Deno.test("stringify: matches the kubectl 1.32 golden output byte for byte", () => {
  const json = JSON.parse(Deno.readTextFileSync(new URL("kubectl_view.json.golden", TESTDATA)));
  const yaml = Deno.readTextFileSync(new URL("kubectl_view.view.golden", TESTDATA));
  strictEqual(stringify(json, { sortKeys: true }), yaml);
  deepStrictEqual(parse(yaml), json);
});

function kubectlAvailable(): boolean {
  try {
    return new Deno.Command("kubectl", {
      args: ["version", "--client"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "stringify: matches `kubectl config view --raw` run now on the same kubeconfig",
  ignore: !kubectlAvailable(),
  fn: async () => {
    const kubeconfig = new URL("kubectl_view.kubeconfig", TESTDATA).pathname;
    const view = async (...extra: string[]) => {
      const output = await new Deno.Command("kubectl", {
        args: ["config", "view", "--raw", "--kubeconfig", kubeconfig, ...extra],
        env: { KUBECONFIG: "" },
      }).output();
      strictEqual(output.success, true, new TextDecoder().decode(output.stderr));
      return new TextDecoder().decode(output.stdout);
    };
    const yaml = await view();
    const json = JSON.parse(await view("-o", "json"));
    strictEqual(stringify(json, { sortKeys: true }), yaml);
  },
});

/** A small seeded generator (mulberry32) so failures reproduce. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  "a",
  "Z",
  "0",
  "7",
  " ",
  "  ",
  ":",
  ": ",
  "#",
  " #",
  "-",
  "- ",
  "?",
  "'",
  '"',
  "\\",
  "\n",
  "\n\n",
  "\t",
  "\r",
  ",",
  "[",
  "]",
  "{",
  "}",
  "&",
  "*",
  "!",
  "|",
  ">",
  "%",
  "@",
  "`",
  ".",
  "e",
  "+",
  "~",
  "null",
  "true",
  "yes",
  "0x1F",
  "0o7",
  "1.5",
  "---",
  "...",
  "\u00e9",
  "\u2028",
  "\x85",
  "\ufeff",
  "\u{1F600}",
  "\x00",
  "\x7f",
  "<<",
  "_",
  "12:30",
  "2024-01-02",
]; // deno-fmt-ignore

function randomString(random: () => number): string {
  let text = "";
  const length = Math.floor(random() * 6);
  for (let i = 0; i < length; i++) text += PIECES[Math.floor(random() * PIECES.length)];
  return text;
}

function randomValue(random: () => number, depth: number): unknown {
  const choice = Math.floor(random() * (depth > 3 ? 5 : 8));
  switch (choice) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return Math.floor((random() - 0.5) * 1e6);
    case 3:
      return (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
    case 4:
      return randomString(random);
    case 5:
    case 6: {
      const map: Record<string, unknown> = {};
      const size = Math.floor(random() * 4);
      for (let i = 0; i < size; i++) map[randomString(random)] = randomValue(random, depth + 1);
      return map;
    }
    default:
      return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1));
  }
}

Deno.test("stringify: 3,000 random values round-trip through parse", () => {
  const random = seededRandom(20261126);
  for (let i = 0; i < 3000; i++) {
    const value = randomValue(random, 0);
    const written = stringify(value);
    let reread: unknown;
    try {
      reread = parse(written);
    } catch (error) {
      throw new Error(`case ${i}: ${JSON.stringify(value)} wrote\n${written}\n${error}`);
    }
    deepStrictEqual(reread, value, `case ${i}: ${JSON.stringify(value)} wrote\n${written}`);
  }
});
