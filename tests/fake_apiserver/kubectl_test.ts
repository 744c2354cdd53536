/**
 * kubectl (the oracle) against the fake API server: if kubectl's own client code accepts the
 * fake's discovery, errors, negotiation and framing and prints what it prints against a real
 * cluster, the fake is honest enough to test kubexec with. Skipped, with a printed reason, when
 * kubectl is not on PATH.
 *
 * What kubectl 1.32 requests, recorded from these runs (a fresh, empty HOME, so no discovery
 * cache):
 *
 * - `kubectl exec web-0 -- echo hi`: `GET /version?timeout=5s` (no cache → `/api?timeout=32s`
 *   and `/apis?timeout=32s` asking for aggregated discovery
 *   `application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,...,application/json`;
 *   the fake answers legacy JSON, so kubectl then reads `/api/v1` and every `/apis/G/V`), then
 *   `GET /api/v1/namespaces/default/pods/web-0`, then the upgrade
 *   `GET .../pods/web-0/exec?command=echo&command=hi&container=app&stderr=true&stdout=true`
 *   offering only `v5.channel.k8s.io`. With a warm cache only `/version` (sometimes), the pod
 *   GET and the upgrade remain.
 * - `-i` adds `stdin=true`; the container is always sent, defaulted client-side.
 * - `exec deploy/web`: `GET /apis/apps/v1/namespaces/default/deployments/web`, then
 *   `GET /api/v1/namespaces/default/pods?labelSelector=app%3Dweb`, then the chosen pod's exec
 *   (no separate GET of that pod).
 * - `attach -i web-0`: the pod GET, then
 *   `GET .../pods/web-0/attach?container=app&stderr=true&stdin=true&stdout=true` (v5), and
 *   "If you don't see a command prompt, try pressing enter." on stderr unless `-q`.
 * - An upgrade refused with 403/400 is retried as a SPDY `POST` (`Upgrade: SPDY/3.1`), which
 *   RBAC checks with verb `create`; the fake does not serve SPDY (it answers 400), so only the
 *   error paths go that way here.
 * - `kubectl port-forward` (≥ 1.31) tunnels SPDY inside a WebSocket
 *   (`SPDY/3.1+portforward.k8s.io`) and with `KUBECTL_PORT_FORWARD_WEBSOCKETS=false` speaks
 *   plain SPDY: neither is served yet, so port-forward parity is not tested here.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type FakeApiServer,
  type FakeServerOptions,
  startFakeApiServer,
} from "../support/fake_apiserver.ts";
import { type KubeconfigFixtureOptions, writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { kubectlPath } from "../support/oracle.ts";

const hasKubectl = kubectlPath !== undefined;
if (!hasKubectl) {
  // deno-lint-ignore no-console
  console.warn("kubectl_test: kubectl is not on PATH, skipping the oracle tests");
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface Harness {
  server: FakeApiServer;
  /** Runs kubectl, or with `script` a shell line under util-linux `script` (a real PTY). */
  kubectl(
    args: string[],
    options?: { stdin?: string; kubeconfig?: string; script?: string },
  ): Promise<Run>;
  kubeconfig(options: KubeconfigFixtureOptions): Promise<string>;
}

const PODS: FakeServerOptions["pods"] = [
  { name: "web-0", labels: { app: "web" }, containers: [{ name: "app" }] },
  { name: "multi", containers: [{ name: "a" }, { name: "b" }] },
];

async function withKubectl(
  options: FakeServerOptions,
  test: (h: Harness) => Promise<void>,
): Promise<void> {
  const server = await startFakeApiServer({ pods: PODS, ...options });
  const home = await Deno.makeTempDir({ prefix: "kubexec-kubectl-home-" });
  try {
    const defaultConfig = await writeKubeconfig(server, { user: "token" });
    await test({
      server,
      kubeconfig: (o) => writeKubeconfig(server, o),
      kubectl: async (args, runOptions = {}) => {
        const command = runOptions.script === undefined
          ? ["kubectl", "--kubeconfig", runOptions.kubeconfig ?? defaultConfig, ...args]
          : ["script", "-qfec", runOptions.script, "/dev/null"];
        const child = new Deno.Command(command[0], {
          args: command.slice(1),
          env: { HOME: home, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", SHELL: "/bin/sh" },
          clearEnv: true,
          stdin: runOptions.stdin === undefined ? "null" : "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        if (runOptions.stdin !== undefined) {
          const writer = child.stdin.getWriter();
          await writer.write(new TextEncoder().encode(runOptions.stdin));
          await writer.close();
        }
        const out = await child.output();
        return {
          code: out.code,
          stdout: new TextDecoder().decode(out.stdout),
          stderr: new TextDecoder().decode(out.stderr),
        };
      },
    });
  } finally {
    await server.close();
    await Deno.remove(home, { recursive: true });
  }
}

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name: `kubectl: ${name}`, ignore: !hasKubectl, fn });

test("exec echo, exit codes 0 and 3, stdin to cat", async () => {
  await withKubectl({}, async ({ kubectl, server }) => {
    assert.deepEqual(await kubectl(["exec", "web-0", "--", "echo", "hi"]), {
      code: 0,
      stdout: "hi\n",
      stderr: "",
    });
    const upgrade = server.requests.find((r) => r.session)!;
    assert.equal(upgrade.session!.protocol, "v5.channel.k8s.io");
    assert.deepEqual(upgrade.headers["sec-websocket-protocol"], ["v5.channel.k8s.io"]);
    assert.deepEqual(await kubectl(["exec", "web-0", "--", "sh", "-c", "exit 3"]), {
      code: 3,
      stdout: "",
      stderr: "command terminated with exit code 3\n",
    });
    assert.deepEqual(await kubectl(["exec", "-i", "web-0", "--", "cat"], { stdin: "foo\n" }), {
      code: 0,
      stdout: "foo\n",
      stderr: "",
    });
    assert.equal(server.requests.at(-1)!.session!.stdinClosed, true);
  });
});

test("multi-container pod without -c prints the Defaulted container notice", async () => {
  await withKubectl({}, async ({ kubectl }) => {
    assert.deepEqual(await kubectl(["exec", "multi", "--", "sh", "-c", "echo $HOSTNAME"]), {
      code: 0,
      stdout: "multi\n",
      stderr: 'Defaulted container "a" out of: a, b\n',
    });
    assert.deepEqual(await kubectl(["exec", "multi", "-c", "b", "--", "true"]), {
      code: 0,
      stdout: "",
      stderr: "",
    });
  });
});

test("404, 403 and 401 messages", async () => {
  await withKubectl({
    tokens: {
      "admin-token": { name: "admin", groups: ["system:masters"] },
      "t-alice": { name: "alice" },
    },
    rbac: [{ users: ["alice"], verbs: ["get", "list"], resources: ["pods"] }],
  }, async ({ kubectl, kubeconfig }) => {
    assert.deepEqual(await kubectl(["exec", "nope", "--", "true"]), {
      code: 1,
      stdout: "",
      stderr: 'Error from server (NotFound): pods "nope" not found\n',
    });
    const alice = await kubeconfig({ user: "token", token: "t-alice" });
    assert.deepEqual(await kubectl(["exec", "web-0", "--", "true"], { kubeconfig: alice }), {
      code: 1,
      stdout: "",
      stderr: 'Error from server (Forbidden): pods "web-0" is forbidden: User "alice" cannot ' +
        'create resource "pods/exec" in API group "" in the namespace "default"\n',
    });
    const bad = await kubeconfig({ user: "token", token: "wrong" });
    assert.deepEqual(await kubectl(["exec", "web-0", "--", "true"], { kubeconfig: bad }), {
      code: 1,
      stdout: "",
      stderr: "error: You must be logged in to the server (Unauthorized)\n",
    });
  });
});

test("client certificate and basic auth kubeconfigs", async () => {
  await withKubectl({}, async ({ kubectl, kubeconfig, server }) => {
    for (const user of ["cert", "basic"] as const) {
      const config = await kubeconfig({ user });
      assert.deepEqual(
        await kubectl(["exec", "web-0", "--", "echo", user], { kubeconfig: config }),
        {
          code: 0,
          stdout: `${user}\n`,
          stderr: "",
        },
      );
      assert.equal(server.requests.at(-1)!.user!.name, "admin");
    }
  });
});

test("runtime failures on the status channel", async () => {
  await withKubectl({
    pods: [...PODS!, { name: "stopped", containers: [{ name: "app", running: false }] }],
  }, async ({ kubectl }) => {
    const missing = await kubectl(["exec", "web-0", "--", "no-such-binary"]);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /^error: Internal error occurred: Internal error occurred: error executing command in container: .*executable file not found in \$PATH: unknown\n$/,
    );
    assert.deepEqual(await kubectl(["exec", "stopped", "--", "true"]), {
      code: 1,
      stdout: "",
      stderr:
        'error: Internal error occurred: unable to upgrade connection: container not found ("app")\n',
    });
  });
});

test("exec deploy/NAME resolves through the selector", async () => {
  await withKubectl({
    objects: [{
      kind: "Deployment",
      metadata: { name: "web" },
      spec: { selector: { matchLabels: { app: "web" } } },
    }],
  }, async ({ kubectl, server }) => {
    assert.deepEqual(await kubectl(["exec", "deploy/web", "--", "sh", "-c", "echo $HOSTNAME"]), {
      code: 0,
      stdout: "web-0\n",
      stderr: "",
    });
    assert.ok(server.requests.some((r) => r.path.includes("pods?labelSelector=app%3Dweb")));
  });
});

test("attach -i forwards stdin to the main process and ends with it", async () => {
  await withKubectl({
    pods: [{
      name: "web-0",
      containers: [{
        name: "app",
        stdin: true,
        stdinOnce: true,
        command: ["sh", "-c", 'while read l; do echo "got $l"; done; echo bye'],
      }],
    }],
  }, async ({ kubectl }) => {
    const run = await kubectl(["attach", "-i", "-q", "web-0"], { stdin: "hi\n" });
    assert.deepEqual(run, { code: 0, stdout: "got hi\nbye\n", stderr: "" });
  });
});

test("exec -it under a pseudo-terminal: kubectl's size reaches stty inside", async () => {
  await withKubectl({}, async ({ kubectl, server }) => {
    const config = await writeKubeconfig(server, { user: "token" });
    const line =
      `stty rows 30 cols 100; kubectl --kubeconfig '${config}' exec -it web-0 -- stty size`;
    const run = await kubectl([], { script: line });
    assert.equal(run.code, 0);
    assert.match(run.stdout, /30 100\r\n/);
    assert.deepEqual(server.requests.at(-1)!.session!.resizes[0], { width: 100, height: 30 });
    assert.match(server.requests.at(-1)!.path, /tty=true/);
  });
});
