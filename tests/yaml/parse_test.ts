/**
 * Unit tests of lib/yaml/parse.ts: the values kubeconfig files produce, the core schema, tags,
 * anchors, scalar styles, error positions and messages, and the two limits.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  MAX_ALIAS_EXPANSION,
  MAX_NESTING_DEPTH,
  parse,
  parseAll,
  YamlError,
} from "../../lib/yaml/parse.ts";

/** Runs `action`, asserts it throws a YamlError, and returns it. */
function yamlError(action: () => unknown): YamlError {
  try {
    action();
  } catch (error) {
    if (error instanceof YamlError) return error;
    throw error;
  }
  throw new Error("expected a YamlError, but nothing was thrown");
}

Deno.test("parse: a kubeconfig with block and flow collections, comments and quoting", () => {
  const text = `# kubeconfig
apiVersion: v1
kind: Config
clusters:
- name: dev   # trailing comment
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: LS0tLS1CRUdJTi==
    insecure-skip-tls-verify: false
contexts:
- context: {cluster: dev, user: "admin", namespace: 'kube-system'}
  name: dev
current-context: dev
preferences: {}
users:
- name: admin
  user:
    exec:
      command: aws
      args: [eks, get-token, --cluster-name, dev]
      env: null
`;
  deepStrictEqual(parse(text), {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: "dev",
      cluster: {
        server: "https://10.0.0.1:6443",
        "certificate-authority-data": "LS0tLS1CRUdJTi==",
        "insecure-skip-tls-verify": false,
      },
    }],
    contexts: [{
      context: { cluster: "dev", user: "admin", namespace: "kube-system" },
      name: "dev",
    }],
    "current-context": "dev",
    preferences: {},
    users: [{
      name: "admin",
      user: {
        exec: { command: "aws", args: ["eks", "get-token", "--cluster-name", "dev"], env: null },
      },
    }],
  });
});

Deno.test("parse: core schema scalars", () => {
  deepStrictEqual(
    parse(
      "[~, null, Null, NULL, true, False, 12, -3, +4, 0o17, 0x1F, 1.5, -.5, 1e3, .inf, -.Inf, yes, no, on, 0755, 1_000, 0x, '12', \"true\"]",
    ),
    [
      null,
      null,
      null,
      null,
      true,
      false,
      12,
      -3,
      4,
      15,
      31,
      1.5,
      -0.5,
      1000,
      Infinity,
      -Infinity,
      "yes",
      "no",
      "on",
      755,
      "1_000",
      "0x",
      "12",
      "true",
    ],
  );
  ok(Number.isNaN(parse(".nan")));
  deepStrictEqual(parse("key:"), { key: null });
});

Deno.test("parse: an empty stream or a comment-only stream is null; parseAll gives []", () => {
  strictEqual(parse(""), null);
  strictEqual(parse("# nothing here\n\n"), null);
  deepStrictEqual(parseAll(""), []);
  deepStrictEqual(parseAll("---\n"), [null]);
});

Deno.test("parseAll: several documents with markers and directives", () => {
  deepStrictEqual(
    parseAll(
      "%YAML 1.2\n---\na: 1\n...\n%TAG !e! tag:example.com,2000:\n--- !e!thing\nb\n---\n- c\n",
    ),
    [{ a: 1 }, "b", ["c"]],
  );
});

Deno.test("parse: a second document is an error pointing at it", () => {
  const error = yamlError(() => parse("a: 1\n---\nb: 2\n"));
  strictEqual(error.line, 2);
  strictEqual(error.column, 1);
  ok(error.message.includes("expected a single document"));
});

Deno.test("parse: tags", () => {
  deepStrictEqual(
    parse(
      "a: !!str 12\nb: !!int '7'\nc: !!float 1\nd: !!bool true\ne: !!null ~\nf: !custom 5\ng: ! 12\nh: !!binary aGk=\ni: !!map {x: 1}\nj: !!seq [1]\n",
    ),
    { a: "12", b: 7, c: 1, d: true, e: null, f: 5, g: "12", h: "aGk=", i: { x: 1 }, j: [1] },
  );
  deepStrictEqual(parse("!<tag:yaml.org,2002:str> 3"), "3");
});

Deno.test("parse: a scalar that does not fit its tag is an error at the scalar", () => {
  const error = yamlError(() => parse("x: !!int abc\n"));
  strictEqual(error.line, 1);
  strictEqual(error.column, 10);
  ok(error.reason.includes("!!int"));
  yamlError(() => parse("x: !!map [1]\n"));
  yamlError(() => parse("x: !undeclared!tag 1\n"));
});

Deno.test("parse: anchors and aliases share the anchored value", () => {
  const value = parse("base: &b {k: v}\nother: *b\nlist: [&x 1, *x]\n") as Record<string, unknown>;
  strictEqual(value.other, value.base);
  deepStrictEqual(value.list, [1, 1]);
  const error = yamlError(() => parse("a: *missing\n"));
  ok(error.reason.includes('unknown anchor "missing"'));
});

Deno.test("parse: plain multi-line, single- and double-quoted scalars", () => {
  deepStrictEqual(parse("a: one\n  two\n\n  three\n"), { a: "one two\nthree" });
  deepStrictEqual(parse("a: 'it''s\n  folded'\n"), { a: "it's folded" });
  deepStrictEqual(
    parse(
      '"\\0\\a\\b\\t\\n\\v\\f\\r\\e\\ \\"\\/\\\\\\N\\_\\L\\P\\x41\\u00e9\\U0001F600 end\\\n  joined"',
    ),
    '\0\x07\b\t\n\x0b\f\r\x1b "/\\\x85\xa0\u2028\u2029A\u00e9\u{1F600} endjoined',
  );
  yamlError(() => parse('"\\q"'));
  yamlError(() => parse('"\\x4"'));
  yamlError(() => parse("'open"));
});

Deno.test("parse: literal and folded block scalars with chomping and indentation indicators", () => {
  deepStrictEqual(parse("a: |\n  x\n   y\n\nb: 1\n"), { a: "x\n y\n", b: 1 });
  deepStrictEqual(parse("a: |-\n  x\n\n"), { a: "x" });
  deepStrictEqual(parse("a: |+\n  x\n\n"), { a: "x\n\n" });
  deepStrictEqual(parse("a: >\n  folded\n  text\n\n  para\n"), { a: "folded text\npara\n" });
  deepStrictEqual(parse("a: |2\n   indented\n"), { a: " indented\n" });
  yamlError(() => parse("a: |0\n  x\n"));
  yamlError(() => parse("a: |\n    \n  x\n"));
});

Deno.test("parse: duplicate keys are rejected at the second key", () => {
  const error = yamlError(() => parse("clusters: []\nusers: []\nclusters: []\n"));
  strictEqual(error.line, 3);
  strictEqual(error.column, 1);
  ok(error.reason.includes('duplicated mapping key "clusters"'));
  yamlError(() => parse("{a: 1, a: 2}"));
});

Deno.test("parse: duplicateKeys 'last' lets the later entry win, at any depth", () => {
  const last = { duplicateKeys: "last" } as const;
  deepStrictEqual(parse("users: [a]\nclusters: []\nusers: [b]\n", last), {
    users: ["b"],
    clusters: [],
  });
  deepStrictEqual(parse("u: {token: one, token: two}\n", last), { u: { token: "two" } });
  const proto = parse("__proto__: 1\n__proto__: 2\n", last) as Record<string, unknown>;
  strictEqual(Object.getOwnPropertyDescriptor(proto, "__proto__")?.value, 2);
  strictEqual(Object.getPrototypeOf(proto), Object.prototype);
});

Deno.test("parse: collection keys become their JSON text", () => {
  deepStrictEqual(parse("? [a, b]\n: c\n"), { '["a","b"]': "c" });
});

Deno.test("parse: __proto__ is an ordinary key", () => {
  const value = parse("__proto__: {polluted: true}\n") as Record<string, unknown>;
  deepStrictEqual(Object.keys(value), ["__proto__"]);
  strictEqual(Object.getPrototypeOf(value), Object.prototype);
  strictEqual(({} as Record<string, unknown>).polluted, undefined);
});

Deno.test("parse: byte order mark and CRLF line breaks", () => {
  deepStrictEqual(parse("\ufeffa: 1\r\nb:\r\n- c\r\n"), { a: 1, b: ["c"] });
});

Deno.test("YamlError: line, column, caret excerpt and filename prefix", () => {
  const text = "apiVersion: v1\nclusters:\n\t- name: x\n";
  const error = yamlError(() => parse(text, { filename: "~/.kube/config" }));
  strictEqual(error.name, "YamlError");
  strictEqual(error.line, 3);
  strictEqual(error.column, 1);
  strictEqual(error.filename, "~/.kube/config");
  strictEqual(
    error.message,
    "~/.kube/config:3:1: tabs must not be used for indentation\n    \t- name: x\n    ^",
  );
  const bare = yamlError(() => parse("a: b: c\n"));
  strictEqual(bare.filename, undefined);
  strictEqual(
    bare.message,
    "line 1, column 5: mapping values are not allowed in this context\n    a: b: c\n        ^",
  );
});

Deno.test("YamlError: a long offending line is shortened around the column", () => {
  const error = yamlError(() => parse(`data: ${"A".repeat(5000)}\\q: [\n`));
  const [, excerpt, caret] = error.message.split("\n");
  ok(excerpt.length < 100, excerpt);
  strictEqual(caret.indexOf("^") <= excerpt.length, true);
});

Deno.test("parse: characters YAML forbids are rejected", () => {
  const error = yamlError(() => parse("a: b\u0001\n"));
  strictEqual(error.column, 5);
  ok(error.reason.includes("U+0001"));
});

Deno.test("limits: a billion-laughs document fails fast with a clear error", () => {
  let text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (let i = 1; i < 10; i++) {
    const refs = Array.from({ length: 10 }, () => `*a${i - 1}`).join(", ");
    text += `a${i}: &a${i} [${refs}]\n`;
  }
  const error = yamlError(() => parse(text));
  ok(error.reason.includes(`more than ${MAX_ALIAS_EXPANSION} nodes`), error.reason);
});

Deno.test("limits: aliases below the expansion cap are fine", () => {
  const value = parse("a: &a [1, 2, 3]\nb: [*a, *a, *a]\n") as { b: unknown[] };
  strictEqual(value.b.length, 3);
});

Deno.test("limits: nesting deeper than MAX_NESTING_DEPTH is rejected, not a stack overflow", () => {
  const depth = MAX_NESTING_DEPTH;
  deepStrictEqual(parse("[".repeat(depth - 1) + "]".repeat(depth - 1)) !== undefined, true);
  const flow = yamlError(() => parse("[".repeat(depth + 1) + "]".repeat(depth + 1)));
  ok(flow.reason.includes(`deeper than ${MAX_NESTING_DEPTH}`));
  const block = Array.from({ length: depth + 1 }, (_, i) => `${" ".repeat(i)}k:`).join("\n");
  yamlError(() => parse(block));
  yamlError(() => parse("- ".repeat(depth + 1) + "x"));
  yamlError(() => parse("[".repeat(100_000)));
});

Deno.test("YamlError: values of secret-named keys are masked in the excerpt", () => {
  const error = yamlError(() => parse('users:\n- user:\n    token: "abc.def\n'));
  ok(!error.message.includes("abc.def"), error.message);
  ok(error.message.includes("    token: ********\n"), error.message);
  const password = yamlError(() => parse("password: s3cr3t: x\n"));
  ok(!password.message.includes("s3cr3t"), password.message);
  const plain = yamlError(() => parse("server: https://x: y\n"));
  ok(plain.message.includes("server: https://x: y"), plain.message);
});

Deno.test("YamlError: go-yaml's wording for a block sequence on a key's line", () => {
  const error = yamlError(() => parse("a: -1\nb: - x\n"));
  strictEqual(error.reason, "block sequence entries are not allowed in this context");
  strictEqual(error.line, 2);
  strictEqual(error.column, 4);
});
