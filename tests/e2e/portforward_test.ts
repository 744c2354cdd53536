/**
 * port-forward of two ports with parallel connections, through both kubelet routes: the `pf` pod's
 * node receives the WebSocket tunnel itself, the `legacy` pod's node gets SPDY from the apiserver's
 * tunnelling translator. Each pod port is a loopback server that greets with "port N" and echoes.
 * kubectl must carry every connection byte-exact; kubexec (once its port-forward lands) must do the
 * same and print the same lines, port numbers aside.
 */
import assert from "node:assert/strict";
import { cluster, kubeconfig } from "./cluster.ts";
import {
  clientEnv,
  commandLine,
  kubexecReady,
  kubexecRoot,
  repoRoot,
  scenarioTest,
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

async function readAll(conn: Deno.TcpConn): Promise<string> {
  let text = "";
  for await (const chunk of conn.readable) text += decoder.decode(chunk, { stream: true });
  return text;
}

/** One connection: send a line, half-close, and read until the server closes. */
async function converse(localPort: number, remotePort: number, index: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: localPort });
  const message = `hello ${index} via ${localPort}\n`;
  const writer = conn.writable.getWriter();
  await writer.write(new TextEncoder().encode(message));
  await conn.closeWrite();
  const received = await readAll(conn);
  assert.equal(received, `port ${remotePort}\n${message}`);
}

async function forwardSession(tool: Tool, pod: string, ports: number[]): Promise<SessionOutcome> {
  const specs = ports.map((port) => `0:${port}`);
  const [program, ...args] = commandLine(tool, kubeconfig("admin"), [
    "port-forward",
    pod,
    ...specs,
  ]);
  const child = new Deno.Command(program, {
    args,
    cwd: tool === "kubexec" ? kubexecRoot : repoRoot,
    env: clientEnv(),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).spawn();
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
      ),
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
    name: `port-forward: two ports, ${CONNECTIONS_PER_PORT} parallel connections each (${pod})`,
    ignore: !cluster,
    fn: async (t) => {
      const ports = cluster!.portForwardPorts;
      const kubectl = await forwardSession("kubectl", pod, ports);
      const handled = kubectl.stdoutLines.filter((l) => l === "Handling connection for LOCAL");
      assert.equal(
        handled.length,
        ports.length * CONNECTIONS_PER_PORT,
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
