import assert from "node:assert/strict";
import { FlagError, type FlagSpec, formatFlagHelp, parseFlags } from "../../lib/cli/flags.ts";

const specs: FlagSpec[] = [
  { name: "stdin", short: "i", type: "bool", usage: "Pass stdin to the container" },
  { name: "tty", short: "t", type: "bool", usage: "Stdin is a TTY" },
  { name: "container", short: "c", type: "string", usage: "Container name." },
  { name: "namespace", short: "n", type: "string", usage: "ns" },
  { name: "v", short: "v", type: "int", usage: "level" },
  { name: "pod-running-timeout", type: "duration", default: 60_000, usage: "wait" },
  { name: "as-group", type: "stringArray", usage: "groups" },
  { name: "address", type: "stringSlice", default: ["localhost"], usage: "addresses" },
];

Deno.test("combined shorthand booleans and a dash", () => {
  const parsed = parseFlags(["-it", "web-0", "--", "sh", "-c", "echo -i"], specs);
  assert.equal(parsed.values.get("stdin"), true);
  assert.equal(parsed.values.get("tty"), true);
  assert.deepEqual(parsed.args, ["web-0", "sh", "-c", "echo -i"]);
  assert.equal(parsed.argsLenAtDash, 1);
});

Deno.test("shorthand values: attached, separate, with =", () => {
  for (const argv of [["-nkube-system"], ["-n", "kube-system"], ["-n=kube-system"]]) {
    assert.equal(parseFlags(argv, specs).values.get("namespace"), "kube-system");
  }
  const grouped = parseFlags(["-ic", "app"], specs);
  assert.equal(grouped.values.get("stdin"), true);
  assert.equal(grouped.values.get("container"), "app");
  // Nothing after `=`: the value is "=" itself, as pflag reads it (kubectl then asks the server
  // for namespace "="), never an empty value that would fall back to the default.
  assert.equal(parseFlags(["-n="], specs).values.get("namespace"), "=");
  assert.equal(parseFlags(["-i=false"], specs).values.get("stdin"), false);
});

Deno.test("long flags: =value, separate value, bool=false, interspersed", () => {
  const parsed = parseFlags(
    ["web", "--container=app", "--namespace", "prod", "--tty=false", "-v=6", "date"],
    specs,
  );
  assert.equal(parsed.values.get("container"), "app");
  assert.equal(parsed.values.get("namespace"), "prod");
  assert.equal(parsed.values.get("tty"), false);
  assert.equal(parsed.values.get("v"), 6);
  assert.deepEqual(parsed.args, ["web", "date"]);
  assert.equal(parsed.argsLenAtDash, -1);
  assert.ok(parsed.changed.has("tty"));
  assert.ok(!parsed.changed.has("stdin"));
});

Deno.test("a bool flag does not swallow the next argument", () => {
  const parsed = parseFlags(["--stdin", "false"], specs);
  assert.equal(parsed.values.get("stdin"), true);
  assert.deepEqual(parsed.args, ["false"]);
});

Deno.test("repeatable and comma-separated flags replace defaults then accumulate", () => {
  const parsed = parseFlags(
    ["--as-group", "a", "--as-group=b", "--address", "0.0.0.0,::", "--address=1.2.3.4"],
    specs,
  );
  assert.deepEqual(parsed.values.get("as-group"), ["a", "b"]);
  assert.deepEqual(parsed.values.get("address"), ["0.0.0.0", "::", "1.2.3.4"]);
  assert.deepEqual(parseFlags([], specs).values.get("address"), ["localhost"]);
});

Deno.test("pflag error messages, word for word", () => {
  const cases: [string[], string][] = [
    [["--foo"], "unknown flag: --foo"],
    [["-x"], "unknown shorthand flag: 'x' in -x"],
    // pflag names the letters left, not the whole group (checked against kubectl).
    [["-ix"], "unknown shorthand flag: 'x' in -x"],
    [["-c"], "flag needs an argument: 'c' in -c"],
    [["-ic"], "flag needs an argument: 'c' in -c"],
    // `-i=` is `-i` then the letter `=`: `=` separates a value only when one follows it.
    [["-i="], "unknown shorthand flag: '=' in -="],
    [["--container"], "flag needs an argument: --container"],
    [
      ["-i=x"],
      `invalid argument "x" for "-i, --stdin" flag: strconv.ParseBool: parsing "x": invalid syntax`,
    ],
    [
      ["--v=abc"],
      `invalid argument "abc" for "-v, --v" flag: strconv.ParseInt: parsing "abc": invalid syntax`,
    ],
    [
      ["--pod-running-timeout=soon"],
      `invalid argument "soon" for "--pod-running-timeout" flag: time: invalid duration "soon"`,
    ],
    [["---x"], "bad flag syntax: ---x"],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseFlags(argv, specs), (error: unknown) => {
      assert.ok(error instanceof FlagError);
      assert.equal(error.message, message);
      return true;
    });
  }
});

Deno.test("help lists flags sorted, kubectl style", () => {
  const text = formatFlagHelp(specs.slice(0, 3));
  assert.equal(
    text,
    "    -c, --container='':\n\tContainer name.\n\n    -i, --stdin=false:\n\tPass stdin to the container\n\n    -t, --tty=false:\n\tStdin is a TTY\n",
  );
  assert.match(formatFlagHelp(specs), /--pod-running-timeout=1m0s:/);
});
