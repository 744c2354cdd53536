/**
 * exec and attach through the real CLI (subprocess, shipped permissions) against the fake API
 * server, with kubectl as the oracle: for each scenario both run with the same kubeconfig, stdin
 * and server state, and stdout, stderr and the exit code must be equal. Scenarios where kubexec is
 * deliberately different (docs/differences.md) assert kubexec's own expectation instead.
 */
import assert from "node:assert/strict";
import { type FakeApiServer, startFakeApiServer } from "../support/fake_apiserver.ts";
import type { Fault } from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { kubectlPath, runKubectl, runKubexec, type RunResult } from "../support/oracle.ts";

interface Scenario {
  name: string;
  args: string[];
  kubeconfig?: "admin" | "alice" | "bad" | "cert" | "basic" | "empty";
  stdin?: string;
  fault?: Fault;
  /** kubexec's expected result; required when kubectl differs on purpose. */
  expect?: Partial<RunResult> & { stderrMatch?: RegExp };
  /** Why kubectl's result is not the oracle here (documented in docs/differences.md). */
  differs?: string;
}

/** Manifests for `exec -f`, written before any scenario runs. */
const MANIFESTS = Deno.makeTempDirSync({ prefix: "kubexec-exec-manifests-" });
const manifest = (name: string, text: string) => {
  Deno.writeTextFileSync(`${MANIFESTS}/${name}`, text);
  return `${MANIFESTS}/${name}`;
};
const POD_MANIFEST = manifest(
  "pod.yaml",
  "apiVersion: v1\nkind: Pod\nmetadata: {name: web-0}\nspec: {containers: [{name: app}]}\n",
);
const DEPLOYMENT_MANIFEST = manifest(
  "deploy.json",
  '{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}\n',
);
// A workload the server does not have: kubectl uses the file's selector (web-0 has app=web).
const FILE_ONLY_DEPLOYMENT_MANIFEST = manifest(
  "elsewhere.yaml",
  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: elsewhere}\n" +
    "spec: {selector: {matchLabels: {app: web}}}\n",
);
// The server's Service "nosel" has no selector; this file gives it one.
const SELECTOR_IN_FILE_SERVICE_MANIFEST = manifest(
  "nosel.yaml",
  "apiVersion: v1\nkind: Service\nmetadata: {name: nosel}\nspec: {selector: {app: web}}\n",
);
const OTHER_NAMESPACE_MANIFEST = manifest(
  "side.yaml",
  "apiVersion: v1\nkind: Pod\nmetadata: {name: side, namespace: other}\n" +
    "spec: {containers: [{name: app}]}\n",
);
// kubectl takes the pod as the file describes it: without containers there is none to default to.
const NO_CONTAINERS_MANIFEST = manifest(
  "bare.yaml",
  "apiVersion: v1\nkind: Pod\nmetadata: {name: side, namespace: other}\n",
);
// A directory: its .yaml, .yml and .json files are read, anything else is not.
Deno.mkdirSync(`${MANIFESTS}/dir`);
manifest(
  "dir/pod.yml",
  "apiVersion: v1\nkind: Pod\nmetadata: {name: web-0}\n" +
    "spec: {containers: [{name: app}]}\n",
);
manifest("dir/notes.txt", "apiVersion: v1\nkind: Pod\nmetadata: {name: multi}\n");
const MANIFEST_DIR = `${MANIFESTS}/dir`;
const TWO_PODS_MANIFEST = manifest(
  "two.yaml",
  "apiVersion: v1\nkind: Pod\nmetadata: {name: web-0}\n---\n" +
    "apiVersion: v1\nkind: Pod\nmetadata: {name: multi}\n",
);

const scenarios: Scenario[] = [
  {
    name: "-f: the pod a manifest names",
    args: ["exec", "-f", POD_MANIFEST, "--", "echo", "from-file"],
    expect: { code: 0, stdout: "from-file\n", stderr: "" },
  },
  {
    name: "-f: a deployment manifest (JSON) resolves to its pod",
    args: ["exec", "-f", DEPLOYMENT_MANIFEST, "--", "echo", "deployed"],
    expect: { code: 0, stdout: "deployed\n" },
  },
  {
    name: "-f: a workload's selector is the file's, even when the server has none of it",
    args: ["exec", "-f", FILE_ONLY_DEPLOYMENT_MANIFEST, "--", "echo", "from-file-selector"],
    expect: { code: 0, stdout: "from-file-selector\n", stderr: "" },
  },
  {
    name: "-f: a Service's selector is the file's, not the server copy's",
    args: ["exec", "-f", SELECTOR_IN_FILE_SERVICE_MANIFEST, "--", "echo", "selected"],
    expect: { code: 0, stdout: "selected\n", stderr: "" },
  },
  {
    name: "TYPE with the core group spelt out (pod.v1.)",
    args: ["exec", "pod.v1./web-0", "--", "echo", "core"],
    expect: { code: 0, stdout: "core\n", stderr: "" },
  },
  {
    name: "a kind without pods is looked up, then refused in kubectl's words",
    args: ["exec", "cm/settings", "--", "true"],
    expect: {
      code: 1,
      stdout: "",
      stderr: "error: cannot attach to *v1.ConfigMap: selector for *v1.ConfigMap not implemented\n",
    },
  },
  {
    name: "a kind without pods that does not exist is the server's NotFound",
    args: ["exec", "configmap/nope", "--", "true"],
    expect: {
      code: 1,
      stdout: "",
      stderr: 'Error from server (NotFound): configmaps "nope" not found\n',
    },
  },
  {
    name: "-f: the object's own namespace",
    args: ["exec", "-f", OTHER_NAMESPACE_MANIFEST, "--", "echo", "other"],
    expect: { code: 0, stdout: "other\n" },
  },
  {
    name: "-f: -n naming another namespace than the object's",
    args: ["exec", "-n", "default", "-f", OTHER_NAMESPACE_MANIFEST, "--", "true"],
    expect: {
      code: 1,
      stderr:
        'error: the namespace from the provided object "other" does not match the namespace "default". You must pass \'--namespace=other\' to perform this operation.\n',
    },
  },
  {
    name: "-f: a pod manifest without containers",
    args: ["exec", "-f", NO_CONTAINERS_MANIFEST, "--", "true"],
    expect: { code: 1, stderr: "error: pod other/side does not have any containers\n" },
  },
  {
    name: "-f with a pod name too",
    args: ["exec", "web-0", "-f", POD_MANIFEST, "--", "true"],
    expect: {
      code: 1,
      stderr: "error: resource/name arguments cannot be provided when a path is specified\n",
    },
  },
  {
    name: "-f DIR: the one manifest in a directory",
    args: ["exec", "-f", MANIFEST_DIR, "--", "echo", "from-dir"],
    expect: { code: 0, stdout: "from-dir\n", stderr: "" },
  },
  {
    name: "-f -: the manifest on stdin",
    differs: "kubectl reads stdin as a list and refuses even one object there",
    args: ["exec", "-f", "-", "--", "echo", "from-stdin"],
    stdin:
      "apiVersion: v1\nkind: Pod\nmetadata: {name: web-0}\nspec: {containers: [{name: app}]}\n",
    expect: { code: 0, stdout: "from-stdin\n", stderr: "" },
  },
  {
    name: "-f: missing paths are all named, one line each",
    args: [
      "exec",
      "-f",
      "/nonexistent/a.yaml,/nonexistent/b.yaml",
      "-f",
      POD_MANIFEST,
      "--",
      "true",
    ],
    expect: {
      code: 1,
      stdout: "",
      stderr: 'the path "/nonexistent/a.yaml" does not exist\n' +
        'the path "/nonexistent/b.yaml" does not exist\n',
    },
  },
  {
    name: "-f: one missing path beside an existing one",
    args: ["exec", "-f", `/nonexistent/a.yaml,${POD_MANIFEST}`, "--", "true"],
    expect: {
      code: 1,
      stdout: "",
      stderr: 'error: the path "/nonexistent/a.yaml" does not exist\n',
    },
  },
  {
    name: "-f: two objects",
    args: ["exec", "-f", TWO_PODS_MANIFEST, "--", "true"],
    expect: { code: 1, stderr: "error: cannot exec into multiple objects at a time\n" },
  },
  {
    name: "output",
    args: ["exec", "web-0", "--", "echo", "hi"],
    expect: { code: 0, stdout: "hi\n" },
  },
  {
    name: "exit code 42 with kubectl's message",
    args: ["exec", "web-0", "--", "sh", "-c", "exit 42"],
    expect: { code: 42, stderr: "command terminated with exit code 42\n" },
  },
  {
    name: "exit code 1",
    args: ["exec", "web-0", "--", "false"],
    expect: { code: 1, stderr: "command terminated with exit code 1\n" },
  },
  {
    name: "stdin piped to cat ends at EOF",
    args: ["exec", "-i", "web-0", "--", "cat"],
    stdin: "foo\n",
    expect: { code: 0, stdout: "foo\n" },
  },
  {
    name: "stdout and stderr stay apart",
    args: ["exec", "web-0", "--", "sh", "-c", "echo out; echo err >&2"],
    expect: { code: 0, stdout: "out\n", stderr: "err\n" },
  },
  {
    name: "multi-container pod: Defaulted container notice",
    args: ["exec", "multi", "--", "echo", "x"],
    expect: { code: 0, stderr: 'Defaulted container "a" out of: a, b\n' },
  },
  {
    name: "-q silences the notice",
    args: ["exec", "-q", "multi", "--", "echo", "x"],
    expect: { stderr: "" },
  },
  {
    name: "default-container annotation, no notice",
    args: ["exec", "annotated", "--", "sh", "-c", "echo $KUBEXEC_CONTAINER"],
    expect: { code: 0, stderr: "" },
  },
  { name: "-c picks a container", args: ["exec", "multi", "-c", "b", "--", "echo", "x"] },
  {
    name: "deploy/NAME resolves to a pod",
    args: ["exec", "deploy/web", "--", "sh", "-c", "echo $HOSTNAME"],
    expect: { code: 0, stdout: "web-0\n" },
  },
  { name: "svc/NAME resolves to a pod", args: ["exec", "svc/web", "--", "echo", "svc"] },
  {
    name: "-t without a terminal warns and continues",
    args: ["exec", "-it", "web-0", "--", "echo", "hi"],
    expect: {
      code: 0,
      stdout: "hi\n",
      stderr: "Unable to use a TTY - input is not a terminal or the right kind of file\n",
    },
  },
  {
    name: "namespace flag",
    args: ["exec", "-n", "other", "side", "--", "echo", "ns"],
    expect: { stdout: "ns\n" },
  },
  {
    name: "missing pod: 404",
    args: ["exec", "nope", "--", "echo"],
    expect: { code: 1, stderr: 'Error from server (NotFound): pods "nope" not found\n' },
  },
  {
    name: "unknown container: the server's 400",
    args: ["exec", "web-0", "-c", "zz", "--", "echo"],
    expect: {
      code: 1,
      stderr: "Error from server (BadRequest): container zz is not valid for pod web-0\n",
    },
  },
  {
    name: "command not found in the container",
    args: ["exec", "web-0", "--", "nonexistent-command-xyz"],
    expect: { code: 1, stderrMatch: /^error: Internal error occurred: Internal error occurred: / },
  },
  {
    name: "bad token: 401",
    kubeconfig: "bad",
    args: ["exec", "web-0", "--", "echo"],
    differs: "kubexec adds a hint line",
    expect: {
      code: 1,
      stderr:
        "error: You must be logged in to the server (Unauthorized)\nhint: the server rejected your credentials: check the token, client certificate or exec plugin of your kubeconfig user\n",
    },
  },
  {
    name: "RBAC denial on pods/exec: 403 with the verbs hint",
    kubeconfig: "alice",
    args: ["exec", "web-0", "--", "echo"],
    differs:
      "kubectl retries over SPDY (POST, verb create); kubexec reports the WebSocket GET's denial and names both verbs",
    expect: {
      code: 1,
      stderrMatch:
        /^Error from server \(Forbidden\): pods "web-0" is forbidden: User "alice" cannot get resource "pods\/exec" in API group "" in the namespace "default"\nhint: WebSocket exec needs both "get" and "create" on pods\/exec/,
    },
  },
  {
    name: "client certificate credentials",
    kubeconfig: "cert",
    args: ["exec", "web-0", "--", "echo", "cert"],
    expect: { code: 0, stdout: "cert\n" },
  },
  {
    name: "lost connection mid-stream exits 255",
    args: ["exec", "web-0", "--", "sh", "-c", "head -c 200000 /dev/zero"],
    fault: { kind: "closeAfterBytes", bytes: 5000 },
    differs:
      "kubectl exits 1 with 'error reading from error stream'; kubexec says the connection was lost and exits 255",
    expect: { code: 255, stderrMatch: /^error: connection to the server was lost/ },
  },
  {
    name: "stream without status is never success",
    args: ["exec", "web-0", "--", "echo", "hi"],
    fault: { kind: "missingStatus" },
    differs: "kubectl exits 0 without a status; kubexec exits 255",
    expect: { code: 255, stdout: "hi\n", stderrMatch: /without sending the command's status/ },
  },
  {
    name: "old server without v5: v4 is negotiated",
    args: ["exec", "web-0", "--", "echo", "v4"],
    fault: { kind: "refuseV5" },
    differs: "kubectl falls back to SPDY, which the fake server does not serve",
    expect: { code: 0, stdout: "v4\n" },
  },
  {
    name: "proxy that drops Upgrade: 400 with a hint",
    args: ["exec", "web-0", "--", "echo"],
    fault: { kind: "upgradeRequired" },
    differs: "kubectl falls back to SPDY, which the fake server does not serve",
    expect: { code: 1, stderrMatch: /Upgrade request required\nhint: a proxy or load balancer/ },
  },
  {
    name: "no subprotocol matched: bare 403 explained",
    args: ["exec", "web-0", "--", "echo"],
    fault: { kind: "emptyForbidden" },
    differs: "kubectl falls back to SPDY, which the fake server does not serve",
    expect: { code: 1, stderrMatch: /supports none of the offered subprotocols/ },
  },
  {
    name: "HTML instead of an API server",
    args: ["exec", "web-0", "--", "echo"],
    fault: { kind: "html", code: 502 },
    differs: "kubectl falls back to SPDY, which the fake server does not serve",
    expect: { code: 1, stderrMatch: /with an HTML page .*\nhint: an HTML page usually comes from/ },
  },
  {
    name: "server error 500 on the upgrade",
    args: ["exec", "web-0", "--", "echo"],
    fault: { kind: "status", code: 500, message: "boom" },
    differs: "kubectl falls back to SPDY, which the fake server does not serve",
    expect: { code: 1, stderr: "Error from server (InternalError): boom\n" },
  },
  {
    name: "attach: an unknown container is refused before connecting",
    args: ["attach", "web-0", "-c", "nope"],
    expect: {
      code: 1,
      stderr: "error: cannot attach to the container: container nope not found in pod web-0\n",
    },
  },
  {
    name: "a default-container annotation naming no container: the first, with the notice",
    args: ["exec", "badanno", "--", "echo", "x"],
    expect: { code: 0, stdout: "x\n", stderr: 'Defaulted container "a" out of: a, b\n' },
  },
  {
    name: "attach without -i: the prompt line all the same",
    args: ["attach", "talker"],
    expect: {
      code: 0,
      stdout: "attached\n",
      stderr: "If you don't see a command prompt, try pressing enter.\n",
    },
  },
  {
    name: "an empty kubeconfig: kubectl's default server, refused",
    kubeconfig: "empty",
    args: ["exec", "web-0", "--", "true"],
    expect: {
      code: 1,
      stdout: "",
      stderr:
        "The connection to the server localhost:8080 was refused - did you specify the right host or port?\n",
    },
  },
  {
    name: "TYPE/NAME with two slashes",
    args: ["exec", "deploy/web/x", "--", "true"],
    expect: {
      code: 1,
      stderr: "error: arguments in resource/name form may not have more than one slash\n",
    },
  },
  {
    name: "a short form is matched as written",
    args: ["exec", "Deploy/web", "--", "true"],
    expect: { code: 1, stderr: 'error: the server doesn\'t have a resource type "Deploy"\n' },
  },
  {
    name: "TYPE with version and group",
    args: ["exec", "deployment.v1.apps/web", "--", "echo", "v"],
    expect: { code: 0, stdout: "v\n" },
  },
  {
    name: "attach TYPE NAME as two arguments",
    args: ["attach", "pod", "talker"],
    expect: {
      code: 0,
      stdout: "attached\n",
      stderr: "If you don't see a command prompt, try pressing enter.\n",
    },
  },
  {
    name: "attach with three arguments",
    args: ["attach", "talker", "web-0", "x"],
    expect: {
      code: 1,
      stderr:
        "error: expected POD, TYPE/NAME, or TYPE NAME, (at most 2 arguments) saw 3: [talker web-0 x]\n",
    },
  },
  {
    name: "attach TYPE/NAME EXTRA: the first of two is a type",
    args: ["attach", "pod/talker", "extra"],
    expect: { code: 1, stderr: 'error: the server doesn\'t have a resource type "pod/talker"\n' },
  },
  {
    name: "attach POD EXTRA: the first is taken for a type",
    args: ["attach", "talker", "extra"],
    expect: { code: 1, stderr: 'error: the server doesn\'t have a resource type "talker"\n' },
  },
  {
    name: "a service without a selector",
    args: ["exec", "svc/nosel", "--", "true"],
    expect: {
      code: 1,
      stderr:
        "error: cannot attach to *v1.Service: invalid service 'nosel': Service is defined without a selector\n",
    },
  },
  {
    // kubectl looks the namespace up after the pod's 404; the fake server serves no namespaces,
    // so both report its 404 for that path (a real server says `namespaces "nons" not found`).
    name: "a pod in a namespace that does not exist",
    args: ["exec", "-n", "nons", "nope", "--", "true"],
    expect: {
      code: 1,
      stderr: "Error from server (NotFound): the server could not find the requested resource\n",
    },
  },
  {
    name: "base64 protocol on request",
    args: ["exec", "--protocol=base64.channel.k8s.io", "web-0", "--", "echo", "b64"],
    differs: "kubectl has no --protocol flag",
    expect: { code: 0, stdout: "b64\n" },
  },
];

/**
 * Exec ids the fake runtime makes up per call differ between runs, and client-go sometimes logs
 * klog lines (`E1126 … Unknown stream id 1, discarding message`) that are not kubectl's output.
 */
function normalize(result: RunResult): RunResult {
  const stderr = result.stderr
    .split("\n")
    .filter((line) => !/^[EIW]\d{4} \d{2}:\d{2}:\d{2}\.\d+ /.test(line))
    .join("\n")
    .replace(/"[0-9a-f]{32}"/g, '"<exec-id>"');
  return { ...result, stderr };
}

let server: FakeApiServer;
const kubeconfigs: Record<string, string> = {};

async function setup(): Promise<void> {
  server = await startFakeApiServer({
    tokens: {
      "admin-token": { name: "admin", groups: ["system:masters"] },
      "alice-token": { name: "alice" },
    },
    rbac: [{ users: ["alice"], verbs: ["get", "list"], resources: ["pods"] }],
    pods: [
      { name: "web-0", labels: { app: "web" }, containers: [{ name: "app" }] },
      { name: "multi", containers: [{ name: "a" }, { name: "b" }] },
      {
        name: "annotated",
        annotations: { "kubectl.kubernetes.io/default-container": "b" },
        containers: [{ name: "a" }, { name: "b" }],
        env: { KUBEXEC_CONTAINER: "b" },
      },
      { name: "side", namespace: "other", containers: [{ name: "app" }] },
      {
        name: "badanno",
        annotations: { "kubectl.kubernetes.io/default-container": "zz" },
        containers: [{ name: "a" }, { name: "b" }],
      },
      { name: "talker", containers: [{ name: "app", command: ["echo", "attached"] }] },
    ],
    objects: [
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "settings", namespace: "default" },
        data: { a: "b" },
      },
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", namespace: "default" },
        spec: { selector: { matchLabels: { app: "web" } } },
      },
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "web", namespace: "default" },
        spec: { selector: { app: "web" } },
      },
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "nosel", namespace: "default" },
        spec: {},
      },
    ],
  });
  kubeconfigs.admin = await writeKubeconfig(server, { user: "token" });
  kubeconfigs.alice = await writeKubeconfig(server, { user: "token", token: "alice-token" });
  kubeconfigs.bad = await writeKubeconfig(server, { user: "token", token: "wrong" });
  kubeconfigs.cert = await writeKubeconfig(server, { user: "cert" });
  kubeconfigs.empty = `${server.tempDir}/empty-kubeconfig.yaml`;
  await Deno.writeTextFile(kubeconfigs.empty, "apiVersion: v1\nkind: Config\n");
}

Deno.test("exec: kubexec and kubectl agree on every scenario", async (t) => {
  await setup();
  await using _manifests = {
    [Symbol.asyncDispose]: () => Deno.remove(MANIFESTS, { recursive: true }),
  };
  try {
    if (!kubectlPath) {
      // deno-lint-ignore no-console
      console.log("kubectl not on PATH: comparing kubexec with its expectations only");
    }
    for (const scenario of scenarios) {
      await t.step(scenario.name, async () => {
        const args = [
          "--kubeconfig",
          kubeconfigs[scenario.kubeconfig ?? "admin"],
          ...scenario.args,
        ];
        const options = {
          stdin: scenario.stdin,
          before: () => scenario.fault && server.faults.next(scenario.fault),
        };
        const ours = await runKubexec(args, options);
        const { stderrMatch, ...exact } = scenario.expect ?? {};
        for (const [key, value] of Object.entries(exact)) {
          assert.equal(ours[key as keyof RunResult], value, `${key} of kubexec`);
        }
        if (stderrMatch) assert.match(ours.stderr, stderrMatch);
        if (kubectlPath && !scenario.differs) {
          const theirs = await runKubectl(args, options);
          assert.deepEqual(normalize(ours), normalize(theirs), "kubexec must match kubectl");
        }
      });
    }
  } finally {
    await server.close();
  }
});
