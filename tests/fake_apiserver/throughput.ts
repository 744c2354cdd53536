/**
 * Measures how fast the fake API server pushes exec output, so benchmarks know whether the
 * server or the client is the bottleneck. Not a test (nothing is asserted on time); run with
 *
 *     deno run --allow-all tests/fake_apiserver/throughput.ts [BYTES] [RUNS] [node|deno]
 *
 * It reports MB/s (10^6 bytes per second) for: a minimal raw TLS reader of a v5 exec stream
 * generated in-process (`__kubexec_generate`, the server's ceiling), the same through kubectl,
 * a real process (`head -c BYTES /dev/zero`) through kubectl, and stdin toward the in-process
 * sink through kubectl; for the kubectl runs also the server's own CPU seconds per GiB, which
 * unlike wall time does not depend on what else the machine is doing. The last argument picks
 * the server transport (default `deno`, the cheaper one).
 *
 * @module
 */
// deno-lint-ignore-file no-console

import process from "node:process";
import { startFakeApiServer } from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";

const bytes = Number(Deno.args[0] ?? 1024 * 1024 * 1024);
const runs = Number(Deno.args[1] ?? 3);
const transport = Deno.args[2] === "node" ? "node" : "deno";

const server = await startFakeApiServer({
  pods: [{ name: "bench", containers: [{ name: "app" }] }],
  transport,
});
const kubeconfig = await writeKubeconfig(server, { user: "token" });
const home = await Deno.makeTempDir({ prefix: "kubexec-throughput-home-" });

async function rawReader(): Promise<number> {
  const conn = await Deno.connectTls({
    hostname: server.hostname,
    port: server.port,
    caCerts: [server.caPem],
  });
  const target =
    `/api/v1/namespaces/default/pods/bench/exec?command=__kubexec_generate&command=${bytes}&stdout=true`;
  await conn.write(new TextEncoder().encode(
    `GET ${target} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
      "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\nAuthorization: Bearer admin-token\r\n\r\n",
  ));
  const buffer = new Uint8Array(256 * 1024);
  let total = 0;
  const start = performance.now();
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) total += n;
  const seconds = (performance.now() - start) / 1000;
  conn.close();
  if (total < bytes) throw new Error(`only ${total} bytes arrived`);
  return bytes / seconds / 1e6;
}

async function kubectl(args: string[], stdinBytes = 0): Promise<number> {
  const start = performance.now();
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      stdinBytes > 0
        ? `head -c ${stdinBytes} /dev/zero | kubectl --kubeconfig "$0" "$@" > /dev/null`
        : `kubectl --kubeconfig "$0" "$@" > /dev/null`,
      kubeconfig,
      ...args,
    ],
    env: { HOME: home },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const status = await child.status;
  if (!status.success) throw new Error(`kubectl ${args.join(" ")} failed`);
  return bytes / ((performance.now() - start) / 1000) / 1e6;
}

interface Sample {
  rate: number;
  serverCpuPerGiB?: number;
}

async function withServerCpu(run: () => Promise<number>): Promise<Sample> {
  const before = process.cpuUsage();
  const rate = await run();
  const used = process.cpuUsage(before);
  return { rate, serverCpuPerGiB: (used.user + used.system) / 1e6 / (bytes / 2 ** 30) };
}

const scenarios: [string, () => Promise<Sample>][] = [
  [
    "raw TLS reader (same process), in-process generator",
    async () => ({ rate: await rawReader() }),
  ],
  [
    "kubectl exec -- __kubexec_generate > /dev/null",
    () =>
      withServerCpu(() => kubectl(["exec", "bench", "--", "__kubexec_generate", String(bytes)])),
  ],
  [
    "kubectl exec -- head -c N /dev/zero > /dev/null",
    () =>
      withServerCpu(() =>
        kubectl(["exec", "bench", "--", "head", "-c", String(bytes), "/dev/zero"])
      ),
  ],
  [
    "head -c N /dev/zero | kubectl exec -i -- __kubexec_sink",
    () => withServerCpu(() => kubectl(["exec", "-i", "bench", "--", "__kubexec_sink"], bytes)),
  ],
];

try {
  console.log(`${bytes} bytes per run, ${runs} runs, ${transport} transport, MB/s = 10^6 bytes/s`);
  for (const [name, run] of scenarios) {
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) samples.push(await run());
    const rates = samples.map((s) => s.rate.toFixed(0)).join(", ");
    const cpu = samples[0].serverCpuPerGiB === undefined
      ? ""
      : `; server CPU s/GiB ${samples.map((s) => s.serverCpuPerGiB!.toFixed(2)).join(", ")}`;
    console.log(`${name}: ${rates} MB/s${cpu}`);
  }
} finally {
  await server.close();
  await Deno.remove(home, { recursive: true });
}
