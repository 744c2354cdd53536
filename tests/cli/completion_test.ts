/**
 * Shell completion: the hidden `__complete` command's output (commands, flags, kubeconfig names,
 * pods and containers from the fake API server, namespaces from a stub source, the directive),
 * the `completion` command's scripts and errors, and the bash script itself under `bash -c` with
 * COMP_WORDS/COMP_CWORD set, completing pod names from the fake server through a real kubexec.
 *
 * @module
 */
import assert from "node:assert/strict";
import { helpText, runCli } from "../../lib/cli/app.ts";
import { rootCommand } from "../../lib/cli/root.ts";
import { loadCommandTree } from "../../lib/cli/command.ts";
import {
  completeWords,
  type CompletionSources,
  Directive,
  formatCompletion,
  overridesOfWords,
} from "../../lib/cli/commands/complete.ts";
import { COMPLETION_SCRIPTS, completionScript } from "../../lib/cli/commands/completion.ts";
import { captureIo } from "../support/cli_io.ts";
import { type FakeApiServer, startFakeApiServer } from "../support/fake_apiserver.ts";
import { toYaml, writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { SHIPPED_PERMISSIONS } from "../support/oracle.ts";

/** The `TYPE/` forms offered after the pods, in kubectl's order. */
const TYPES = [
  "daemonsets/",
  "deployments/",
  "pods/",
  "jobs/",
  "replicasets/",
  "replicationcontrollers/",
  "services/",
  "statefulsets/",
];

const PODS = [
  { name: "web-0", containers: [{ name: "app" }, { name: "sidecar" }] },
  { name: "web-1", containers: [{ name: "app" }] },
  { name: "db-0", containers: [{ name: "postgres" }] },
  { name: "cache-0", namespace: "shop", containers: [{ name: "redis" }] },
];

async function withServer(body: (server: FakeApiServer, kubeconfig: string) => Promise<void>) {
  const server = await startFakeApiServer({ pods: PODS });
  try {
    await body(server, await writeKubeconfig(server, { user: "token" }));
  } finally {
    await server.close();
  }
}

async function complete(words: string[], env: Record<string, string> = {}) {
  const { io, stdout, stderr } = captureIo({ env });
  const code = await runCli(rootCommand, ["__complete", "--", ...words], io);
  assert.equal(code, 0);
  assert.equal(stderr(), "", "completion never writes to stderr");
  const lines = stdout().trimEnd().split("\n");
  return {
    values: lines.slice(0, -1).map((line) => line.split("\t")[0]),
    lines: lines.slice(0, -1),
    directive: lines[lines.length - 1],
  };
}

Deno.test("__complete: command names with descriptions; hidden commands stay hidden", async () => {
  const all = await complete([""]);
  assert.ok(all.values.includes("exec") && all.values.includes("completion"));
  assert.ok(!all.values.includes("__complete"));
  assert.ok(all.lines.includes("exec\tExecute a command in a container"));
  assert.equal(all.directive, ":4");
  assert.deepEqual((await complete(["ex"])).values, ["exec"]);
  assert.deepEqual((await complete(["config", "get"])).values, ["get-contexts"]);
  assert.ok(!helpText([rootCommand]).includes("__complete"));
});

Deno.test("__complete: flag names of the command and the global flags", async () => {
  const long = await complete(["exec", "--con"]);
  assert.deepEqual(long.values, ["--container", "--context"]);
  assert.equal(long.lines[0], "--container\tContainer name");
  const short = await complete(["exec", "-"]);
  assert.ok(short.values.includes("-c") && short.values.includes("-n"));
  assert.ok(short.values.includes("--help"));
  assert.ok(!short.values.includes("--transport"), "hidden flags are not offered");
});

Deno.test("__complete: pod names from the cluster, by prefix and namespace", async () => {
  await withServer(async (_server, kubeconfig) => {
    const all = await complete(["exec", "--kubeconfig", kubeconfig, ""]);
    assert.deepEqual(all.values, ["web-0", "web-1", "db-0", ...TYPES]);
    assert.equal(all.lines[0], "web-0\tRunning");
    assert.equal(all.directive, ":4");
    assert.deepEqual((await complete(["attach", "--kubeconfig", kubeconfig, "web"])).values, [
      "web-0",
      "web-1",
    ]);
    assert.deepEqual(
      (await complete(["--kubeconfig", kubeconfig, "-n", "shop", "doctor", "c"])).values,
      ["cache-0"],
    );
    assert.deepEqual(
      (await complete(["exec", "-nshop", "-i", "ca"], { KUBECONFIG: kubeconfig })).values,
      ["cache-0"],
    );
    assert.deepEqual(
      (await complete(["exec", "web-0", "--kubeconfig", kubeconfig, ""])).values,
      [],
      "only the first argument is a pod",
    );
  });
});

Deno.test("__complete: TYPE/ forms and object names after the slash, as kubectl", async () => {
  const server = await startFakeApiServer({
    pods: PODS,
    objects: [
      { kind: "Deployment", metadata: { name: "web" }, spec: { selector: { matchLabels: {} } } },
      { kind: "Deployment", metadata: { name: "api" }, spec: { selector: { matchLabels: {} } } },
      { kind: "StatefulSet", metadata: { name: "db" }, spec: { selector: { matchLabels: {} } } },
    ],
  });
  try {
    const kubeconfig = await writeKubeconfig(server, { user: "token" });
    const only = await complete(["exec", "--kubeconfig", kubeconfig, "dep"]);
    assert.deepEqual(only, {
      values: ["deployments/"],
      lines: ["deployments/"],
      directive: ":6",
    }, "no space after a lone TYPE/");
    assert.deepEqual(
      (await complete(["exec", "--kubeconfig", kubeconfig, "d"])).values,
      ["db-0", "daemonsets/", "deployments/"],
    );
    assert.deepEqual(
      (await complete(["exec", "--kubeconfig", kubeconfig, "deploy/"])).values,
      ["deploy/api", "deploy/web"],
    );
    assert.deepEqual(
      (await complete(["attach", "--kubeconfig", kubeconfig, "sts/d"])).values,
      ["sts/db"],
    );
    assert.deepEqual(
      (await complete(["exec", "--kubeconfig", kubeconfig, "pods/web-"])).values,
      ["pods/web-0", "pods/web-1"],
    );
    const unknown = await complete(["exec", "--kubeconfig", kubeconfig, "nope/x"]);
    assert.deepEqual(unknown, { values: [], lines: [], directive: ":4" });
  } finally {
    await server.close();
  }
});

Deno.test("__complete: containers of the named pod for -c", async () => {
  await withServer(async (_server, kubeconfig) => {
    assert.deepEqual(
      (await complete(["exec", "--kubeconfig", kubeconfig, "web-0", "-c", ""])).values,
      ["app", "sidecar"],
    );
    assert.deepEqual(
      (await complete(["exec", "--kubeconfig", kubeconfig, "-c", ""])).values,
      [],
      "no pod named yet",
    );
  });
});

Deno.test("__complete: --context, --cluster and --user from the kubeconfig, also after =", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kubexec-completion-" });
  try {
    const path = `${dir}/config`;
    await Deno.writeTextFile(
      path,
      toYaml({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "c1", cluster: { server: "https://127.0.0.1:1" } }],
        users: [{ name: "u1", user: {} }, { name: "u0", user: {} }],
        contexts: [
          { name: "prod", context: { cluster: "c1", user: "u1" } },
          { name: "dev", context: { cluster: "c1", user: "u0" } },
          { name: "prod-eu", context: { cluster: "c1", user: "u1" } },
        ],
        "current-context": "dev",
      }),
    );
    assert.deepEqual((await complete(["exec", "--kubeconfig", path, "--context", ""])).values, [
      "dev",
      "prod",
      "prod-eu",
    ]);
    assert.deepEqual(
      (await complete(["--context=pr"], { KUBECONFIG: path })).values,
      ["--context=prod", "--context=prod-eu"],
    );
    assert.deepEqual((await complete(["--cluster", ""], { KUBECONFIG: path })).values, ["c1"]);
    assert.deepEqual((await complete(["--user", "u"], { KUBECONFIG: path })).values, ["u0", "u1"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("__complete: shell names, file flags, remote commands and unknown flags", async () => {
  assert.deepEqual((await complete(["completion", ""])).values, [
    "bash",
    "zsh",
    "fish",
    "powershell",
  ]);
  assert.deepEqual((await complete(["completion", "p"])).values, ["powershell"]);
  const file = await complete(["exec", "--kubeconfig", ""]);
  assert.deepEqual(file, { values: [], lines: [], directive: ":0" });
  assert.equal((await complete(["exec", "web-0", "--", "ls", ""])).directive, ":0");
  assert.equal((await complete(["cp", ""])).directive, ":0");
  assert.equal((await complete(["exec", "--request-timeout", ""])).directive, ":4");
  assert.equal((await complete(["--no-such-flag=x"])).directive, ":4");
});

Deno.test("__complete: an unreachable cluster or missing kubeconfig yields nothing, quietly", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const unreachable = await complete(["exec", "--server", `https://127.0.0.1:${port}`, "w"], {
    HOME: "/nonexistent",
  });
  assert.deepEqual(unreachable, { values: [], lines: [], directive: ":6" });
  const missing = await complete(["--kubeconfig", "/nonexistent/config", "--context", ""]);
  assert.deepEqual(missing.values, []);
});

Deno.test("__complete: namespaces from the cluster's namespace list", async () => {
  const stub: CompletionSources = {
    contexts: () => Promise.resolve([]),
    clusters: () => Promise.resolve([]),
    users: () => Promise.resolve([]),
    namespaces: () => Promise.resolve(["default", "kube-system", "shop"]),
    pods: () => Promise.resolve([]),
    containers: () => Promise.resolve([]),
    resourceNames: () => Promise.resolve([]),
  };
  const tree = await loadCommandTree(rootCommand);
  const result = await completeWords(tree, ["exec", "-n", "k"], () => stub);
  assert.equal(formatCompletion(result), "kube-system\n:4\n");
  const joined = await completeWords(tree, ["exec", "--namespace=s"], () => stub);
  assert.deepEqual(joined.candidates, [{ value: "--namespace=shop" }]);
  const failing = { ...stub, namespaces: () => Promise.reject(new Error("403")) };
  const none = await completeWords(tree, ["-n", ""], () => failing);
  assert.deepEqual(none, { candidates: [], directive: Directive.noFileComp });
});

Deno.test("__complete: namespaces are listed from the server (the fake has no list: nothing)", async () => {
  await withServer(async (server, kubeconfig) => {
    const result = await complete(["--kubeconfig", kubeconfig, "-n", ""]);
    assert.deepEqual(result.values, []);
    assert.ok(server.requests.some((request) => request.path === "/api/v1/namespaces"));
  });
});

Deno.test("overridesOfWords: global flags in the words, a completion timeout by default", () => {
  assert.deepEqual(
    overridesOfWords(rootCommand, ["exec", "-n", "shop", "--context=prod", "web-0", ""]),
    { context: "prod", namespace: "shop", requestTimeout: "5s" },
  );
  assert.equal(
    overridesOfWords(rootCommand, ["--request-timeout", "1s", ""]).requestTimeout,
    "1s",
  );
});

Deno.test("completion: one script per shell; kubectl's errors otherwise", async () => {
  for (const shell of ["bash", "zsh", "fish", "powershell"]) {
    const { io, stdout } = captureIo();
    assert.equal(await runCli(rootCommand, ["completion", shell], io), 0);
    assert.equal(stdout(), completionScript(shell));
    assert.match(stdout(), /__complete -- /);
  }
  assert.equal(completionScript("tcsh"), undefined);
  assert.match(COMPLETION_SCRIPTS.zsh, /"\$\{\(@\)words\[2,CURRENT\]\}"/);
  assert.match(COMPLETION_SCRIPTS.fish, /\$tokens "\$current"/, "an empty current word is passed");
  assert.match(COMPLETION_SCRIPTS.powershell, /Register-ArgumentCompleter -CommandName 'kubexec'/);
  const cases: [string[], string][] = [
    [["completion"], "error: Shell not specified.\n"],
    [["completion", "bash", "zsh"], "error: Too many arguments. Expected only the shell type.\n"],
    [["completion", "tcsh"], 'error: Unsupported shell type "tcsh".\n'],
  ];
  for (const [argv, message] of cases) {
    const { io, stderr } = captureIo();
    assert.equal(await runCli(rootCommand, argv, io), 1);
    assert.equal(stderr(), `${message}See 'kubexec completion -h' for help and examples\n`);
  }
});

Deno.test("completion bash: the script parses", async () => {
  const out = await new Deno.Command("bash", {
    args: ["-n"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = out.stdin.getWriter();
  await writer.write(new TextEncoder().encode(COMPLETION_SCRIPTS.bash));
  await writer.close();
  const result = await out.output();
  assert.equal(new TextDecoder().decode(result.stderr), "");
  assert.equal(result.code, 0);
});

/** A `kubexec` on PATH that runs main.ts with the shipped permissions. */
async function kubexecOnPath(dir: string): Promise<void> {
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const permissions = SHIPPED_PERMISSIONS.join(" ");
  await Deno.writeTextFile(
    `${dir}/kubexec`,
    `#!/bin/sh\nexec '${Deno.execPath()}' run ${permissions} '${main}' "$@"\n`,
    { mode: 0o755 },
  );
}

async function bashComplete(dir: string, kubeconfig: string, words: string[], cword: number) {
  const quoted = words.map((word) => `'${word}'`).join(" ");
  const script = `source <(kubexec completion bash)
COMP_WORDS=(${quoted}); COMP_CWORD=${cword}; COMP_LINE='${words.join(" ")}'
__kubexec_complete
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = await new Deno.Command("bash", {
    args: ["-c", script],
    env: { PATH: `${dir}:${Deno.env.get("PATH")}`, KUBECONFIG: kubeconfig, HOME: dir },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(result.stderr), "");
  assert.equal(result.code, 0);
  return new TextDecoder().decode(result.stdout).split("\n").filter((line) => line !== "");
}

Deno.test("completion bash: COMP_WORDS/COMP_CWORD complete pod names from the server", async () => {
  await withServer(async (server, kubeconfig) => {
    await kubexecOnPath(server.tempDir);
    assert.deepEqual(
      await bashComplete(server.tempDir, kubeconfig, ["kubexec", "exec", ""], 2),
      ["web-0", "web-1", "db-0", ...TYPES],
    );
    assert.deepEqual(
      await bashComplete(server.tempDir, kubeconfig, ["kubexec", "exec", "-it", "w"], 3),
      ["web-0", "web-1"],
    );
    // bash splits "--context=f" into three words; the script joins them and replies with the
    // text after "=", which is what bash replaces.
    assert.deepEqual(
      await bashComplete(server.tempDir, kubeconfig, ["kubexec", "--context", "=", "f"], 3),
      ["fake"],
    );
    assert.deepEqual(
      await bashComplete(server.tempDir, kubeconfig, ["kubexec", "ex"], 1),
      ["exec"],
    );
  });
});

async function shellAvailable(shell: string): Promise<boolean> {
  try {
    return (await new Deno.Command(shell, { args: ["-c", "exit 0"] }).output()).success;
  } catch {
    return false;
  }
}

const hasZsh = await shellAvailable("zsh");
const hasFish = await shellAvailable("fish");

async function runShell(shell: string, script: string, dir: string, kubeconfig: string) {
  const result = await new Deno.Command(shell, {
    args: ["-c", script],
    env: { PATH: `${dir}:${Deno.env.get("PATH")}`, KUBECONFIG: kubeconfig, HOME: dir },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(result.stderr), "");
  assert.equal(result.code, 0);
  return new TextDecoder().decode(result.stdout);
}

Deno.test({
  name: "completion zsh: _kubexec hands _describe the pods and containers (zsh installed)",
  ignore: !hasZsh,
  fn: async () => {
    await withServer(async (server, kubeconfig) => {
      await kubexecOnPath(server.tempDir);
      // Completion-system functions stubbed: _describe prints the candidate array it is given.
      const script = `compdef() { :; }
_describe() { print -rl -- "\${(@P)4}" "opts:\${(j: :)@[5,-1]}" }
_files() { print FILES }
source <(kubexec completion zsh)
words=(kubexec exec w); CURRENT=3; _kubexec
words=(kubexec exec web-0 -c ''); CURRENT=5; _kubexec
words=(kubexec exec dep); CURRENT=3; _kubexec
words=(kubexec cp ''); CURRENT=3; _kubexec`;
      assert.equal(
        await runShell("zsh", script, server.tempDir, kubeconfig),
        "web-0:Running\nweb-1:Running\nopts:\n" +
          "app\nsidecar\nopts:\n" +
          "deployments/\nopts:-S \n" +
          "FILES\n",
      );
    });
  },
});

Deno.test({
  name: "completion fish: complete -C lists pods with descriptions (fish installed)",
  ignore: !hasFish,
  fn: async () => {
    await withServer(async (server, kubeconfig) => {
      await kubexecOnPath(server.tempDir);
      const script = `kubexec completion fish | source
complete -C 'kubexec exec w'
complete -C 'kubexec exec web-0 -c '
complete -C 'kubexec --context='`;
      assert.equal(
        await runShell("fish", script, server.tempDir, kubeconfig),
        "web-0\tRunning\nweb-1\tRunning\napp\nsidecar\n--context=fake\n",
      );
    });
  },
});
