/**
 * kubectl parity for port-forward: kubectl (the oracle, when on PATH; ≥ 1.31 speaks the SPDY
 * tunnel) and kubexec run as subprocesses against the same fake API server in the same test,
 * with the same arguments; their printed lines, the bytes they carry and their exit codes are
 * compared. Deliberate differences are named per scenario (and listed in docs/differences.md).
 */
import assert from "node:assert/strict";
import { kubectlPath, SHIPPED_PERMISSIONS } from "../support/oracle.ts";
import {
  type FakeApiServer,
  type FakeServerOptions,
  startFakeApiServer,
} from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import {
  runExchange,
  startExchangeService,
} from "../support/fake_apiserver/portforward_pod_services.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const MIB = 1024 * 1024;

/** A running port-forward subprocess. */
interface Running {
  /** Resolves once `text` was printed on stdout. */
  printed(text: string): Promise<void>;
  /** SIGINT, then the exit code and everything printed. */
  stop(): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Exit code and output once it ends by itself. */
  ended: Promise<{ code: number; stdout: string; stderr: string }>;
}

function spawn(client: "kubectl" | "kubexec", args: string[]): Running {
  const [command, prefix] = client === "kubectl"
    ? [kubectlPath!, []]
    : [Deno.execPath(), ["run", ...SHIPPED_PERMISSIONS, MAIN]];
  const child = new Deno.Command(command, {
    args: [...prefix, "port-forward", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { HOME: "/nonexistent-home", NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "" },
    clearEnv: true,
  }).spawn();
  let stdout = "";
  let stderr = "";
  const waiters: (() => void)[] = [];
  const collect = async (stream: ReadableStream<Uint8Array>, into: "out" | "err") => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      if (into === "out") stdout += text;
      else stderr += text;
      waiters.splice(0).forEach((wake) => wake());
    }
  };
  const collected = Promise.all([collect(child.stdout, "out"), collect(child.stderr, "err")]);
  const ended = (async () => {
    const status = await child.status;
    await collected;
    waiters.splice(0).forEach((wake) => wake());
    return { code: status.code, stdout, stderr };
  })();
  let done = false;
  ended.then(() => done = true);
  return {
    async printed(text) {
      while (!stdout.includes(text)) {
        if (done) throw new Error(`${client} ended before printing ${text}: ${stdout}${stderr}`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    async stop() {
      if (!done) child.kill("SIGINT");
      return await ended;
    },
    ended,
  };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Lines with the local port replaced, for comparing two runs on different ports. */
function normalise(text: string, port: number): string[] {
  return text.split("\n").filter((line) => line !== "").map((line) =>
    line.replaceAll(String(port), "LOCAL")
  );
}

async function withServer(
  body: (server: FakeApiServer, kubeconfig: string) => Promise<void>,
  options: Pick<FakeServerOptions, "rbac" | "tokens"> & { token?: string } = {},
) {
  const exchange = startExchangeService();
  const server = await startFakeApiServer({
    pods: [{
      name: "web-0",
      containers: [{ name: "app", ports: [{ name: "http", containerPort: 80 }] }],
      portMap: { 80: exchange.port },
    }],
    ...(options.rbac ? { rbac: options.rbac } : {}),
    ...(options.tokens ? { tokens: options.tokens } : {}),
  });
  try {
    await body(
      server,
      await writeKubeconfig(server, {
        user: "token",
        ...(options.token ? { token: options.token } : {}),
      }),
    );
  } finally {
    await server.close();
    await exchange.close();
  }
}

Deno.test({
  name: "port-forward oracle: same lines and bytes as kubectl through the SPDY tunnel",
  ignore: kubectlPath === undefined,
  async fn() {
    await withServer(async (server, kubeconfig) => {
      const outputs: string[][] = [];
      for (const client of ["kubectl", "kubexec"] as const) {
        const port = freePort();
        const running = spawn(client, ["--kubeconfig", kubeconfig, "web-0", `${port}:http`]);
        await running.printed(`Forwarding from [::1]:${port} -> 80\n`);
        const results = await Promise.all([
          runExchange(port, 4 * MIB, 4 * MIB),
          runExchange(port, 1024, 3 * MIB, { halfClose: true }),
          runExchange(port, 0, 0),
        ]);
        for (const result of results) assert.equal(result.ok, true, `${client}: ${result.problem}`);
        const { code, stdout, stderr } = await running.stop();
        // Both exit 0 on SIGINT and print nothing on stderr.
        assert.equal(code, 0, `${client}: ${stderr}`);
        assert.equal(stderr, "");
        outputs.push(normalise(stdout, port).sort());
      }
      assert.deepEqual(outputs[1], outputs[0]);
      const tunnels = server.requests.filter((r) => r.path.endsWith("/portforward"));
      assert.equal(tunnels.length, 2);
      for (const request of tunnels) {
        assert.equal(request.session?.protocol, "SPDY/3.1+portforward.k8s.io");
        assert.deepEqual(request.session?.protocolErrors, []);
      }
    });
  },
});

Deno.test({
  name: "port-forward oracle: a refused remote port — kubectl ends, kubexec reports and goes on",
  ignore: kubectlPath === undefined,
  async fn() {
    await withServer(async (_server, kubeconfig) => {
      const kubectlPort = freePort();
      const kubectl = spawn("kubectl", [
        "--kubeconfig",
        kubeconfig,
        "web-0",
        `${kubectlPort}:7000`,
      ]);
      await kubectl.printed(`Forwarding from 127.0.0.1:${kubectlPort} -> 7000\n`);
      const refused = await Deno.connect({ hostname: "127.0.0.1", port: kubectlPort });
      await new Response(refused.readable).arrayBuffer();
      const kubectlEnd = await kubectl.ended;
      // client-go closes the whole tunnel after one connection's error (kubectl issue 1169).
      assert.equal(kubectlEnd.code, 1);
      assert.match(kubectlEnd.stderr, /error: lost connection to pod\n$/);
      assert.match(kubectlEnd.stderr, /error forwarding port 7000 to pod/);

      const port = freePort();
      const kubexec = spawn("kubexec", [
        "--kubeconfig",
        kubeconfig,
        "web-0",
        `${port}:7000`,
        `${freePort()}:80`,
      ]);
      await kubexec.printed(`Forwarding from [::1]:${port} -> 7000\n`);
      for (let i = 0; i < 2; i++) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        await new Response(conn.readable).arrayBuffer();
      }
      const end = await kubexec.stop();
      assert.equal(end.code, 0);
      const lines = end.stderr.split("\n").filter((l) => l !== "");
      assert.equal(lines.length, 2);
      for (const line of lines) {
        assert.match(
          line,
          new RegExp(
            `^error: an error occurred forwarding ${port} -> 7000: error forwarding port 7000 to pod `,
          ),
        );
      }
    });
  },
});

Deno.test({
  name: "port-forward oracle: pod deleted — both exit 1 saying the connection to the pod is lost",
  ignore: kubectlPath === undefined,
  async fn() {
    for (const client of ["kubectl", "kubexec"] as const) {
      await withServer(async (server, kubeconfig) => {
        const port = freePort();
        const running = spawn(client, ["--kubeconfig", kubeconfig, "web-0", `${port}:80`]);
        await running.printed(`Forwarding from [::1]:${port} -> 80\n`);
        server.pods.remove("default", "web-0");
        const end = await running.ended;
        assert.equal(end.code, 1, `${client}: ${end.stderr}`);
        // kubexec names the pod and why, and hints at --reconnect.
        assert.match(
          end.stderr,
          client === "kubectl"
            ? /error: lost connection to pod\n$/
            : /^error: lost connection to pod "web-0": pods "web-0" not found\nhint: .*--reconnect/,
        );
      });
    }
  },
});

Deno.test({
  name:
    "port-forward oracle: a user RBAC denies port-forward — both exit 1 at once, listening on nothing",
  ignore: kubectlPath === undefined,
  async fn() {
    const viewer = {
      tokens: { "viewer-token": { name: "viewer", groups: [] } },
      rbac: [{ users: ["viewer"], verbs: ["get", "list"], resources: ["pods"] }],
      token: "viewer-token",
    };
    await withServer(async (_server, kubeconfig) => {
      const ends: Record<string, { code: number; stdout: string; stderr: string }> = {};
      for (const client of ["kubectl", "kubexec"] as const) {
        const running = spawn(client, ["--kubeconfig", kubeconfig, "web-0", `${freePort()}:80`]);
        // A forwarder that keeps listening would never end: stop it and fail (not hang).
        let deadline: ReturnType<typeof setTimeout> | undefined;
        const stillRunning = new Promise<"running">((resolve) =>
          deadline = setTimeout(() => resolve("running"), 20_000)
        );
        const end = await Promise.race([running.ended, stillRunning]);
        clearTimeout(deadline);
        if (end === "running") {
          const { stdout, stderr } = await running.stop();
          assert.fail(`${client} kept running after the denial: ${stdout}${stderr}`);
        }
        ends[client] = end;
      }
      for (const [client, end] of Object.entries(ends)) {
        assert.equal(end.code, 1, `${client}: ${end.stderr}`);
        assert.equal(end.stdout, "", client);
      }
      const denial = (verb: string) =>
        `error: error upgrading connection: pods "web-0" is forbidden: User "viewer" cannot ${verb} resource "pods/portforward" in API group "" in the namespace "default"\n`;
      // kubectl's last attempt is its SPDY POST ("create"); kubexec's is the WebSocket GET, and a
      // hint names both verbs (docs/differences.md).
      assert.equal(ends.kubectl.stderr.replace(/^[EIW]\d{4} .*\n/gm, ""), denial("create"));
      assert.match(ends.kubexec.stderr, new RegExp(`^${escape(denial("get"))}hint: .*"create"`));
    }, viewer);
  },
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
