/**
 * `kubexec config view | current-context | get-contexts` run in-process through the CLI
 * dispatcher, compared with kubectl (stdout, stderr, exit code) when kubectl is on PATH.
 */
import assert from "node:assert/strict";
import { runCli } from "../../lib/cli/app.ts";
import type { Command } from "../../lib/cli/command.ts";
import { configCommand } from "../../lib/cli/commands/config.ts";
import { captureIo } from "../support/cli_io.ts";
import { kubectlPath, runKubectl } from "../support/oracle.ts";

const CORPUS = new URL("../kubeconfig/corpus/", import.meta.url).pathname;
const MALFORMED = new URL("../kubeconfig/malformed/", import.meta.url).pathname;
const HOME = "/nonexistent-home";

const root: Command = {
  name: "kubexec",
  short: "",
  long: "kubexec",
  usage: "[flags] [options]",
  subcommands: [configCommand],
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function kubexec(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const captured = captureIo({ env: { HOME, ...env } });
  const code = await runCli(root, args, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

const SCENARIOS: { name: string; args: string[]; env?: Record<string, string> }[] = [
  {
    name: "view (yaml)",
    args: ["config", "view", `--kubeconfig=${CORPUS}12-user-fields.kubeconfig`],
  },
  {
    name: "view -o json --raw",
    args: ["--kubeconfig", `${CORPUS}02-kind.kubeconfig`, "config", "view", "-o", "json", "--raw"],
  },
  {
    name: "view's flag before the subcommand (cobra takes -o's value while searching)",
    args: ["config", "-o", "json", "view", `--kubeconfig=${CORPUS}02-kind.kubeconfig`],
  },
  {
    name: "view --minify --context",
    args: ["config", "view", "--minify", "--context", "insecure", "-o", "json"],
    env: { KUBECONFIG: `${CORPUS}11-cluster-fields.kubeconfig` },
  },
  {
    name: "view --flatten of merged files with relative paths",
    args: ["config", "view", "--flatten"],
    env: {
      KUBECONFIG:
        `${CORPUS}34-merge-relative/personal/config:${CORPUS}34-merge-relative/team/config`,
    },
  },
  {
    name: "view --minify without a current context",
    args: ["config", "view", "--minify", `--kubeconfig=${CORPUS}27-no-current-context.kubeconfig`],
  },
  {
    name: "view of a missing --kubeconfig prints an empty config",
    args: ["config", "view", "--kubeconfig=/nonexistent/config"],
  },
  {
    name: "view with every KUBECONFIG file missing (nothing said below -v=4)",
    args: ["config", "view", "-o", "json"],
    env: { KUBECONFIG: "/nonexistent/a:/nonexistent/b" },
  },
  {
    name: "view with nothing configured",
    args: ["config", "view", "-o", "json"],
  },
  {
    name: "current-context",
    args: ["config", "current-context", `--kubeconfig=${CORPUS}08-openshift.kubeconfig`],
  },
  {
    name: "current-context unset",
    args: ["config", "current-context", `--kubeconfig=${CORPUS}25-empty.kubeconfig`],
  },
  {
    name: "get-contexts",
    args: ["config", "get-contexts", `--kubeconfig=${CORPUS}38-many-contexts.kubeconfig`],
  },
  {
    name: "get-contexts -o name",
    args: [
      "config",
      "get-contexts",
      "-o",
      "name",
      `--kubeconfig=${CORPUS}38-many-contexts.kubeconfig`,
    ],
  },
  {
    name: "get-contexts NAME --no-headers",
    args: ["config", "get-contexts", "zeta", "alpha", "--no-headers"],
    env: { KUBECONFIG: `${CORPUS}38-many-contexts.kubeconfig` },
  },
  {
    name: "get-contexts with an unknown name",
    args: [
      "config",
      "get-contexts",
      "nope",
      "zeta",
      `--kubeconfig=${CORPUS}38-many-contexts.kubeconfig`,
    ],
  },
  {
    name: "get-contexts with two unknown names",
    args: [
      "config",
      "get-contexts",
      "a1",
      "a2",
      `--kubeconfig=${CORPUS}38-many-contexts.kubeconfig`,
    ],
  },
  {
    name: "get-contexts of a merge",
    args: ["config", "get-contexts"],
    env: { KUBECONFIG: `${CORPUS}33-merge-three/a/config:${CORPUS}33-merge-three/c.kubeconfig` },
  },
];

for (const scenario of SCENARIOS) {
  Deno.test({
    name: kubectlPath
      ? `config: ${scenario.name} matches kubectl`
      : `config: ${scenario.name}: kubectl comparison skipped: kubectl is not on PATH`,
    ignore: !kubectlPath,
    fn: async () => {
      const ours = await kubexec(scenario.args, scenario.env);
      const theirs = await runKubectl(scenario.args, { env: scenario.env });
      assert.equal(ours.stdout, theirs.stdout);
      assert.equal(ours.stderr, theirs.stderr);
      assert.equal(ours.code, theirs.code);
    },
  });
}

Deno.test("config view: the default output redacts secrets and certificate data", async () => {
  const run = await kubexec(["config", "view", `--kubeconfig=${CORPUS}12-user-fields.kubeconfig`]);
  assert.equal(run.code, 0);
  assert.ok(!run.stdout.includes("corpus-secret"));
  assert.match(run.stdout, /client-key-data: DATA\+OMITTED/);
  assert.match(run.stdout, /token: REDACTED/);
  assert.match(run.stdout, /password: REDACTED/);
});

Deno.test("config view: secrets kubectl shows are hidden too, unless --raw", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/config`;
    await Deno.writeTextFile(
      file,
      `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://admin:server-pw@k8s.example.com", proxy-url: "http://me:proxy-pw@proxy:3128"}
users:
- name: u
  user:
    auth-provider:
      name: oidc
      config: {client-id: kube, client-secret: oidc-secret, id-token: oidc-id, refresh-token: oidc-refresh, idp-issuer-url: "https://issuer"}
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: login
      args: [--token=arg-secret, --client-secret, arg-secret-2, --region, eu-west-1]
      env: [{name: AWS_PROFILE, value: prod}, {name: VAULT_TOKEN, value: env-secret}, {name: AZURE_AUTHORITY_HOST, value: login.example}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
    );
    const shown = await kubexec(["config", "view", `--kubeconfig=${file}`]);
    assert.equal(shown.code, 0, shown.stderr);
    for (
      const secret of [
        "server-pw",
        "proxy-pw",
        "oidc-secret",
        "oidc-id",
        "oidc-refresh",
        "env-secret",
        "arg-secret",
      ]
    ) {
      assert.ok(!shown.stdout.includes(secret), `${secret} shown:\n${shown.stdout}`);
    }
    assert.match(shown.stdout, /server: https:\/\/admin:xxxxx@k8s\.example\.com/);
    assert.match(shown.stdout, /proxy-url: http:\/\/me:xxxxx@proxy:3128/);
    assert.match(shown.stdout, /refresh-token: REDACTED/);
    assert.match(shown.stdout, /value: prod/);
    assert.match(shown.stdout, /value: login\.example/);
    assert.match(shown.stdout, /- eu-west-1/);
    const raw = await kubexec(["config", "view", "--raw", `--kubeconfig=${file}`]);
    for (const secret of ["server-pw", "proxy-pw", "oidc-refresh", "env-secret"]) {
      assert.ok(raw.stdout.includes(secret), secret);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config view: a broken file is one error line and exit code 1", async () => {
  const file = `${MALFORMED}11-server-list.kubeconfig`;
  const run = await kubexec(["config", "view", `--kubeconfig=${file}`]);
  assert.equal(run.code, 1);
  assert.equal(run.stdout, "");
  assert.equal(
    run.stderr,
    `error: error loading config file "${file}": ${file}:7:5: clusters[0].cluster.server: expected a string, found a list\n`,
  );
});

Deno.test("config view: unsupported output and unexpected arguments", async () => {
  const output = await kubexec(["config", "view", "-o", "wide"]);
  assert.equal(output.code, 1);
  assert.equal(
    output.stderr,
    'error: unable to match a printer suitable for the output format "wide", allowed formats are: json,yaml\n',
  );
  const extra = await kubexec(["config", "view", "extra"]);
  assert.equal(extra.code, 1);
  assert.match(
    extra.stderr,
    /^error: unexpected arguments: \[extra\]\nSee 'kubexec config view -h'/,
  );
});

Deno.test("config get-contexts: only -o name is accepted", async () => {
  const run = await kubexec(["config", "get-contexts", "-o", "json"]);
  assert.equal(run.code, 1);
  assert.equal(
    run.stderr,
    "error: --output json is not available in kubexec config get-contexts; resetting to default output format\n",
  );
});

Deno.test("config commands print no secret at the highest verbosity (except view --raw)", async () => {
  const runs: [string[], Record<string, string>?][] = [
    [["config", "view", "-v=9"], { KUBECONFIG: `${CORPUS}12-user-fields.kubeconfig` }],
    [["config", "view", "--minify", "-o", "json", "-v=9"], {
      KUBECONFIG: `${CORPUS}32-merge-two/first.kubeconfig:${CORPUS}32-merge-two/second.kubeconfig`,
    }],
    [["config", "get-contexts", "-v=9"], { KUBECONFIG: `${CORPUS}08-openshift.kubeconfig` }],
    [["config", "current-context", "-v=9"], { KUBECONFIG: `${CORPUS}14-basic-auth.kubeconfig` }],
    [["config", "view", "-v=9", `--kubeconfig=${MALFORMED}17-bad-base64-key.kubeconfig`]],
    [["config", "view", "-v=9", `--kubeconfig=${MALFORMED}03-unclosed-quote.kubeconfig`]],
  ];
  for (const [args, env] of runs) {
    const captured = captureIo({ env: { HOME, ...env } });
    await runCli(root, args, captured.io);
    const everything = captured.stdout() + captured.stderr() + captured.logs.join("\n");
    for (const secret of ["corpus-secret", "malformed-secret"]) {
      assert.ok(!everything.includes(secret), `${args.join(" ")} printed a secret`);
    }
  }
});
