/**
 * port-forward of two ports with parallel connections, through both kubelet routes: the `pf` pod's
 * node receives the WebSocket tunnel itself, the `legacy` pod's node gets SPDY from the apiserver's
 * tunnelling translator. Each pod port is a loopback server that greets with "port N" and echoes.
 * kubectl must carry every connection byte-exact; kubexec (once its port-forward lands) must do the
 * same and print the same lines, port numbers aside.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cluster, kubeconfig } from "./cluster.ts";
import {
  kubexecReady,
  pseudoRandomChunks,
  scenarioTest,
  spawnTool,
  type Tool,
  withoutKlogLines,
} from "./compare.ts";

const CONNECTIONS_PER_PORT = 4;
const decoder = new TextDecoder();

/** What a port-forward session printed, with local port numbers replaced by LOCAL. */
interface SessionOutcome {
  code: number;
  stdoutLines: string[];
  stderr: string;
}

/** Reads until `length` bytes arrived or the server closed. */
async function readAtLeast(conn: Deno.TcpConn, length: number): Promise<string> {
  const bytes: number[] = [];
  const buffer = new Uint8Array(4096);
  while (bytes.length < length) {
    const n = await conn.read(buffer);
    if (n === null) break;
    bytes.push(...buffer.subarray(0, n));
  }
  return decoder.decode(new Uint8Array(bytes));
}

/**
 * One connection: send a line, read the greeting and the echo, close. The client does not
 * half-close: the WebSocket port-forward protocol (v4.channel.k8s.io) cannot carry a half-close,
 * only kubectl's SPDY-over-WebSocket tunnel can, so the scenario stays within what both can do.
 */
async function converse(localPort: number, remotePort: number, index: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: localPort });
  try {
    const message = `hello ${index} via ${localPort}\n`;
    const expected = `port ${remotePort}\n${message}`;
    await conn.write(new TextEncoder().encode(message));
    const received = await readAtLeast(conn, new TextEncoder().encode(expected).length);
    assert.equal(received, expected);
  } finally {
    conn.close();
  }
}

/** Bytes pushed through each port's bulk connection, echoed back while still being sent. */
const BULK_BYTES = 4 * 1024 * 1024;

/** One connection that streams {@linkcode BULK_BYTES} both ways at once and checks every byte. */
async function converseBulk(localPort: number, remotePort: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: localPort });
  try {
    const greeting = new TextEncoder().encode(`port ${remotePort}\n`);
    const sent = createHash("sha256");
    const sending = (async () => {
      for (const chunk of pseudoRandomChunks(BULK_BYTES, remotePort)) {
        sent.update(chunk);
        for (let offset = 0; offset < chunk.length;) {
          offset += await conn.write(chunk.subarray(offset));
        }
      }
    })();
    const received = createHash("sha256");
    const buffer = new Uint8Array(64 * 1024);
    let skip = greeting.length;
    let total = 0;
    while (total < BULK_BYTES) {
      const n = await conn.read(buffer);
      if (n === null) break;
      const drop = Math.min(skip, n);
      skip -= drop;
      received.update(buffer.subarray(drop, n));
      total += n - drop;
    }
    await sending;
    assert.equal(total, BULK_BYTES, "bulk echo was cut short");
    assert.equal(received.digest("hex"), sent.digest("hex"), "bulk echo differs");
  } finally {
    conn.close();
  }
}

async function forwardSession(tool: Tool, pod: string, ports: number[]): Promise<SessionOutcome> {
  const specs = ports.map((port) => `0:${port}`);
  const child = spawnTool(tool, kubeconfig("admin"), ["port-forward", pod, ...specs], {
    timeoutMs: 120_000,
  });
  const stderr = new Response(child.stderr).text();
  const local = new Map<number, number>();
  let stdout = "";
  let announced: () => void = () => {};
  const allAnnounced = new Promise<void>((resolve) => announced = resolve);
  const stdoutDone = (async () => {
    for await (const chunk of child.stdout) {
      stdout += decoder.decode(chunk, { stream: true });
      for (const match of stdout.matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/g)) {
        local.set(Number(match[2]), Number(match[1]));
      }
      if (ports.every((port) => local.has(port))) announced();
    }
    announced();
  })();
  try {
    await allAnnounced;
    assert.ok(ports.every((port) => local.has(port)), `no forwarding announced:\n${stdout}`);
    await Promise.all(
      ports.flatMap((port) =>
        Array.from(
          { length: CONNECTIONS_PER_PORT },
          (_, i) => converse(local.get(port)!, port, i),
        )
      ).concat(ports.map((port) => converseBulk(local.get(port)!, port))),
    );
  } finally {
    try {
      child.kill("SIGINT");
    } catch {
      // Already gone; its status says how.
    }
  }
  const status = await child.status;
  await stdoutDone;
  let normalized = stdout;
  for (const localPort of local.values()) {
    normalized = normalized.replaceAll(String(localPort), "LOCAL");
  }
  return {
    code: status.code,
    stdoutLines: normalized.split("\n").filter((line) => line !== "").sort(),
    stderr: tool === "kubectl" ? withoutKlogLines(await stderr) : await stderr,
  };
}

for (const pod of ["pf", "legacy"]) {
  Deno.test({
    name:
      `port-forward: two ports, ${CONNECTIONS_PER_PORT} + 1 bulk parallel connections each (${pod})`,
    ignore: !cluster,
    fn: async (t) => {
      const ports = cluster!.portForwardPorts;
      const kubectl = await forwardSession("kubectl", pod, ports);
      const handled = kubectl.stdoutLines.filter((l) => l === "Handling connection for LOCAL");
      assert.equal(
        handled.length,
        ports.length * (CONNECTIONS_PER_PORT + 1),
        kubectl.stdoutLines.join("\n"),
      );
      for (const port of ports) {
        assert.ok(kubectl.stdoutLines.includes(`Forwarding from 127.0.0.1:LOCAL -> ${port}`));
      }
      await t.step({
        name: "kubexec matches kubectl",
        ignore: !kubexecReady["port-forward"]?.ready,
        fn: async () => {
          const kubexec = await forwardSession("kubexec", pod, ports);
          assert.deepEqual(kubexec.stdoutLines, kubectl.stdoutLines);
          assert.equal(kubexec.code, kubectl.code);
          assert.equal(kubexec.stderr, kubectl.stderr);
        },
      });
    },
  });
}

scenarioTest({
  name: "port-forward: a pod that is not running is refused",
  args: ["port-forward", "unscheduled", "0:80"],
  expect: {
    code: 1,
    stdout: "",
    stderr: "error: unable to forward port because pod is not running. Current status=Pending\n",
  },
});

scenarioTest({
  name: "port-forward: a user RBAC denies is refused at once, listening on nothing",
  args: ["port-forward", "pf", "0:80"],
  user: "viewer",
  expect: {
    code: 1,
    stdout: "",
    stderr:
      /^error: error upgrading connection: pods "pf" is forbidden: User "viewer" cannot create resource "pods\/portforward" in API group "" in the namespace "e2e"\n$/,
  },
  difference: {
    reason:
      "kubectl's last attempt is its SPDY POST (verb create); kubexec's is the WebSocket GET, with a hint naming both verbs (docs/differences.md)",
    expect: {
      stderr:
        /^error: error upgrading connection: pods "pf" is forbidden: User "viewer" cannot get resource "pods\/portforward" in API group "" in the namespace "e2e"\nhint: .*"create"/,
    },
  },
});
