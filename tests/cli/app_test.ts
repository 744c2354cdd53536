import assert from "node:assert/strict";
import { runCli } from "../../lib/cli/app.ts";
import { rootCommand } from "../../lib/cli/root.ts";
import { captureIo } from "../support/cli_io.ts";
import { VERSION } from "../../lib/version.ts";
import { kubectlPath, runKubectl } from "../support/oracle.ts";

Deno.test("version prints the version from deno.json, also as JSON", async () => {
  const plain = captureIo();
  assert.equal(await runCli(rootCommand, ["version"], plain.io), 0);
  assert.match(plain.stdout(), new RegExp(`^Client Version: v${VERSION.replaceAll(".", "\\.")}\n`));
  const json = captureIo();
  assert.equal(await runCli(rootCommand, ["version", "-o", "json"], json.io), 0);
  const doc = JSON.parse(json.stdout());
  assert.equal(doc.clientVersion.gitVersion, `v${VERSION}`);
  assert.equal(doc.clientVersion.denoVersion, Deno.version.deno);
  const bad = captureIo();
  assert.equal(await runCli(rootCommand, ["version", "-o", "xml"], bad.io), 1);
  // kubectl's line, without a "See … -h" line.
  assert.equal(bad.stderr(), "error: --output must be 'yaml' or 'json'\n");
  // kubectl's global flags that have nothing to act on here are accepted.
  const compat = captureIo();
  assert.equal(
    await runCli(rootCommand, [
      "--cache-dir=/tmp/x",
      "--disable-compression",
      "--warnings-as-errors",
      "--log-flush-frequency=5s",
      "--vmodule=x=2",
      "--profile=none",
      "--profile-output=p.pprof",
      "--match-server-version",
      "version",
      "--client",
    ], compat.io),
    0,
    compat.stderr(),
  );
});

Deno.test("root help lists commands kubectl-style; unknown commands fail", async () => {
  const help = captureIo();
  assert.equal(await runCli(rootCommand, ["--help"], help.io), 0);
  assert.match(help.stdout(), /Available Commands:\n {2}exec +Execute a command in a container/);
  assert.match(help.stdout(), /Use "kubexec options" for a list of global command-line options/);
  const bare = captureIo();
  assert.equal(await runCli(rootCommand, [], bare.io), 0);
  // cobra's words, as kubectl prints them (its own commands differ, so its suggestions do too).
  const cases: [string[], number, string, string][] = [
    [["frobnicate"], 1, "", 'Error: unknown command "frobnicate" for "kubexec"\n'],
    [
      ["exex"],
      1,
      "",
      'Error: unknown command "exex" for "kubexec"\n\nDid you mean this?\n\texec\n\n',
    ],
    [
      ["config", "frobnicate"],
      1,
      "",
      "error: unknown command \"frobnicate\"\nSee 'kubexec config -h' for help and examples\n",
    ],
  ];
  for (const [argv, code, stdout, stderr] of cases) {
    const captured = captureIo();
    assert.equal(await runCli(rootCommand, argv, captured.io), code, argv.join(" "));
    assert.equal(captured.stdout(), stdout, argv.join(" "));
    assert.equal(captured.stderr(), stderr, argv.join(" "));
  }
  // A command group without its subcommand: its help as a usage error (stderr, 1); with --help
  // (even after an unknown name) its help on stdout.
  const group = captureIo();
  assert.equal(await runCli(rootCommand, ["config"], group.io), 1);
  assert.equal(group.stdout(), "");
  assert.match(group.stderr(), /^Display kubeconfig files/);
  const groupHelp = captureIo();
  assert.equal(await runCli(rootCommand, ["config", "bogus", "--help"], groupHelp.io), 0);
  assert.match(groupHelp.stdout(), /^Display kubeconfig files/);
});

Deno.test("the command search follows cobra's rule; its flag errors are kubectl's", async () => {
  // While searching, a flag without "=" takes the next argument unless it is a known boolean; an
  // unknown flag (and -h, not yet defined) is taken to have one; with at most one argument after
  // such a flag the search stops.
  const cases: { argv: string[]; code: number; stderr?: string; rootHelp?: boolean }[] = [
    {
      argv: ["--foo", "version"],
      code: 1,
      stderr: "Error: unknown flag: --foo\nSee 'kubexec --help' for usage.\n",
    },
    {
      argv: ["--foo", "bar", "version"],
      code: 1,
      stderr: "Error: unknown flag: --foo\nSee 'kubexec version --help' for usage.\n",
    },
    {
      argv: ["options", "--bogus"],
      code: 1,
      stderr: "Error: unknown flag: --bogus\nRun 'kubexec options' without flags.\n",
    },
    {
      argv: ["config", "--foo", "x", "view"],
      code: 1,
      stderr: "Error: unknown flag: --foo\nSee 'kubexec config view --help' for usage.\n",
    },
    { argv: ["-h", "exec"], code: 0, rootHelp: true },
    { argv: ["--help", "exec"], code: 0, rootHelp: true },
    { argv: ["exec", "-h"], code: 0, rootHelp: false },
    { argv: ["--insecure-skip-tls-verify", "exec", "--help"], code: 0, rootHelp: false },
  ];
  const isRootHelp = (text: string, name: string) =>
    text.includes(`Use "${name} <command> --help" for more information about a given command.`);
  for (const { argv, code, stderr, rootHelp } of cases) {
    const captured = captureIo();
    assert.equal(await runCli(rootCommand, argv, captured.io), code, argv.join(" "));
    if (stderr !== undefined) assert.equal(captured.stderr(), stderr, argv.join(" "));
    if (rootHelp !== undefined) {
      assert.equal(isRootHelp(captured.stdout(), "kubexec"), rootHelp, argv.join(" "));
    }
    if (!kubectlPath) continue;
    const theirs = await runKubectl(argv, { env: { HOME: "/nonexistent" } });
    assert.equal(theirs.code, code, `kubectl ${argv.join(" ")}`);
    if (stderr !== undefined) {
      assert.equal(theirs.stderr.replaceAll("kubectl", "kubexec"), stderr, `kubectl ${argv}`);
    }
    if (rootHelp !== undefined) {
      assert.equal(isRootHelp(theirs.stdout, "kubectl"), rootHelp, `kubectl ${argv.join(" ")}`);
    }
  }
});

Deno.test("a leading -- is dropped, so `deno task kubexec -- exec …` runs exec", async () => {
  const captured = captureIo();
  assert.equal(await runCli(rootCommand, ["--", "version", "--client"], captured.io), 0);
  assert.match(captured.stdout(), /^Client Version: v/);
  // Through the task itself, as the README tells users to run it.
  const task = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "kubexec", "--", "version", "--client"],
    cwd: new URL("../..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  assert.equal(task.code, 0, text.decode(task.stderr));
  assert.match(text.decode(task.stdout), /^Client Version: v/);
});

Deno.test("global flags may precede the command; help of a command", async () => {
  const captured = captureIo();
  assert.equal(
    await runCli(rootCommand, ["--context", "prod", "-n", "x", "exec", "--help"], captured.io),
    0,
  );
  assert.match(captured.stdout(), /^Execute a command in a container\.\n/);
  // Blank lines between examples are indented as kubectl's are.
  assert.match(captured.stdout(), /-- date\n {2}\n {2}# Get output/);
  assert.match(captured.stdout(), / {4}-c, --container='':\n/);
  assert.match(
    captured.stdout(),
    /Usage:\n {2}kubexec exec \(POD \| TYPE\/NAME\) \[-c CONTAINER\] \[flags\] -- COMMAND \[args\.\.\.\] \[options\]/,
  );
  const options = captureIo();
  assert.equal(await runCli(rootCommand, ["options"], options.io), 0);
  assert.match(options.stdout(), / {4}--kubeconfig='':/);
  // A duration's default in Go's form, as kubectl prints it.
  assert.match(options.stdout(), / {4}--log-flush-frequency=5s:/);
  assert.match(options.stdout(), / {4}--strict-ca-trust=false:/);
});

Deno.test("flag errors print pflag's message and the help pointer, exit 1", async () => {
  const cases: [string[], string][] = [
    [["exec", "--foo"], "Error: unknown flag: --foo\nSee 'kubexec exec --help' for usage.\n"],
    [
      ["exec", "-x"],
      "Error: unknown shorthand flag: 'x' in -x\nSee 'kubexec exec --help' for usage.\n",
    ],
    [
      ["exec", "-c"],
      "Error: flag needs an argument: 'c' in -c\nSee 'kubexec exec --help' for usage.\n",
    ],
    [["exec"], "error: pod, type/name or --filename must be specified\n"],
    [["exec", "p"], "error: you must specify at least one command for the container\n"],
    [
      ["exec", "p", "ls"],
      "error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead\nSee 'kubexec exec -h' for help and examples\n",
    ],
    [
      ["exec", "p", "--pod-running-timeout=0", "--", "ls"],
      "error: --pod-running-timeout must be higher than zero\nSee 'kubexec exec -h' for help and examples\n",
    ],
    [
      ["attach", "p", "--pod-running-timeout=0s"],
      "error: --pod-running-timeout must be higher than zero\nSee 'kubexec attach -h' for help and examples\n",
    ],
    [
      ["port-forward", "p", "80", "--pod-running-timeout=-5s"],
      "error: --pod-running-timeout must be higher than zero\nSee 'kubexec port-forward -h' for help and examples\n",
    ],
    [
      ["exec", "-l", "app=web", "-f", "pod.yaml", "--", "true"],
      "error: --filename and --selector name the pods two ways; use one\nSee 'kubexec exec -h' for help and examples\n",
    ],
    [["attach"], "error: at least 1 argument is required for attach\n"],
  ];
  for (const [argv, expected] of cases) {
    const captured = captureIo({ env: { HOME: "/nonexistent", KUBECONFIG: "/nonexistent" } });
    assert.equal(await runCli(rootCommand, argv, captured.io), 1, argv.join(" "));
    assert.equal(captured.stderr(), expected, argv.join(" "));
  }
});
