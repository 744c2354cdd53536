/**
 * port-forward benchmark: `kubexec port-forward` against `kubectl port-forward` on the same fake
 * API server (both through the SPDY tunnel), moving data both ways through one connection and
 * through 32 parallel connections, every byte checked with sha256. Throughput is the bytes moved
 * in both directions divided by the wall time of the transfer (the forwarder already listening),
 * in MB/s (10^6 bytes). A third row shows kubexec's legacy protocol (one WebSocket per
 * connection) on the same transfer.
 *
 * The pod side (an exchange service on loopback) and the checking client run in this process,
 * with the fake server; they are the same for both clients.
 *
 * `deno run --allow-all bench/portforward.ts [runs]` starts its own server and prints the rows;
 * bench/main.ts calls {@linkcode portForwardRows} with its server.
 *
 * @module
 */
import type { FakeApiServer } from "../tests/support/fake_apiserver.ts";
import { kubectlPath, SHIPPED_PERMISSIONS } from "../tests/support/oracle.ts";
import {
  runExchange,
  startExchangeService,
} from "../tests/support/fake_apiserver/portforward_pod_services.ts";

/** One benchmark row: median throughput of each client. */
export interface PortForwardRow {
  name: string;
  kubexec: number;
  /** `undefined` when kubectl is not on PATH or the row is kubexec-only. */
  kubectl: number | undefined;
  unit: "MB/s";
  kubexecRuns: number[];
  kubectlRuns: number[];
}

/** Options of {@linkcode portForwardRows}. */
export interface PortForwardBenchOptions {
  /** Runs per row and client (default 3). */
  runs?: number;
  /** Bytes each way through the single connection (default 256 MiB). */
  singleBytes?: number;
  /** Bytes each way per connection of the parallel row (default 16 MiB, 32 connections). */
  parallelBytes?: number;
  /** How to start kubexec (default: `deno run` of main.ts with the shipped permissions). */
  kubexecCommand?: string[];
  /** Called after each timed run. */
  onRun?: (row: string, client: string, mbPerSecond: number) => void;
}

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const MIB = 1024 * 1024;
const POD = "pf-bench";
const PARALLEL = 32;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Starts a port-forward and resolves once it listens on `port`. */
async function startForwarder(argv: string[], port: number): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
    env: { HOME: "/nonexistent-home", NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "" },
    clearEnv: true,
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes(`127.0.0.1:${port} ->`)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`port-forward ended before listening: ${seen}`);
    seen += value;
  }
  // Keep draining "Handling connection" lines so the forwarder never blocks on stdout.
  void (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })().catch(() => {});
  return child;
}

async function stopForwarder(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGINT");
  } catch {
    // already gone
  }
  await child.status;
}

/** Moves `bytes` each way through each of `connections`; resolves to MB/s (both directions). */
async function transfer(port: number, connections: number, bytes: number): Promise<number> {
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: connections }, () => runExchange(port, bytes, bytes)),
  );
  const seconds = (performance.now() - started) / 1000;
  const failed = results.find((r) => !r.ok);
  if (failed) throw new Error(`port-forward transfer failed: ${failed.problem}`);
  return (2 * bytes * connections) / 1e6 / seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Runs the port-forward scenarios with both clients against `server`; one row per scenario.
 *
 * @example
 * ```ts ignore
 * import { portForwardRows } from "./portforward.ts";
 * const rows = await portForwardRows(server, kubeconfigPath, { runs: 3 });
 * ```
 */
export async function portForwardRows(
  server: FakeApiServer,
  kubeconfig: string,
  options: PortForwardBenchOptions = {},
): Promise<PortForwardRow[]> {
  const runs = options.runs ?? 3;
  const singleBytes = options.singleBytes ?? 256 * MIB;
  const parallelBytes = options.parallelBytes ?? 16 * MIB;
  const kubexecCommand = options.kubexecCommand ??
    [Deno.execPath(), "run", ...SHIPPED_PERMISSIONS, MAIN];
  const service = startExchangeService();
  server.pods.add({ name: POD, containers: [{ name: "app" }], portMap: { 80: service.port } });
  const scenarios = [
    { name: `1 connection, ${singleBytes / MIB} MiB each way`, connections: 1, bytes: singleBytes },
    {
      name: `${PARALLEL} parallel connections, ${parallelBytes / MIB} MiB each way each`,
      connections: PARALLEL,
      bytes: parallelBytes,
    },
  ];
  const clients: { name: "kubexec" | "kubectl" | "legacy"; argv: (port: number) => string[] }[] = [
    {
      name: "kubexec",
      argv: (
        port,
      ) => [...kubexecCommand, "port-forward", "--kubeconfig", kubeconfig, POD, `${port}:80`],
    },
    {
      name: "legacy",
      argv: (port) => [
        ...kubexecCommand,
        "port-forward",
        "--protocol",
        "legacy",
        "--kubeconfig",
        kubeconfig,
        POD,
        `${port}:80`,
      ],
    },
  ];
  if (kubectlPath) {
    clients.push({
      name: "kubectl",
      argv: (port) => [kubectlPath!, "port-forward", "--kubeconfig", kubeconfig, POD, `${port}:80`],
    });
  }
  const rows: PortForwardRow[] = [];
  try {
    for (const scenario of scenarios) {
      const measured: Record<string, number[]> = { kubexec: [], kubectl: [], legacy: [] };
      // Every client's forwarder runs for the whole scenario and the transfers take turns, run by
      // run, after one untimed transfer each: the fake API server runs in this process, and
      // whoever went first used to pay for V8 compiling its paths.
      const running: { name: string; port: number; child: Deno.ChildProcess }[] = [];
      try {
        for (const client of clients) {
          const port = freePort();
          running.push({
            name: client.name,
            port,
            child: await startForwarder(client.argv(port), port),
          });
        }
        for (let run = -1; run < runs; run++) {
          const order = run % 2 === 0 ? running : [...running].reverse();
          for (const { name, port } of order) {
            const rate = await transfer(port, scenario.connections, scenario.bytes);
            if (run < 0) continue;
            measured[name].push(rate);
            options.onRun?.(scenario.name, name, rate);
          }
        }
      } finally {
        for (const { child } of running) await stopForwarder(child);
      }
      rows.push({
        name: scenario.name,
        kubexec: median(measured.kubexec),
        kubectl: measured.kubectl.length ? median(measured.kubectl) : undefined,
        unit: "MB/s",
        kubexecRuns: measured.kubexec,
        kubectlRuns: measured.kubectl,
      });
      rows.push({
        name: `${scenario.name}, kubexec --protocol legacy`,
        kubexec: median(measured.legacy),
        kubectl: undefined,
        unit: "MB/s",
        kubexecRuns: measured.legacy,
        kubectlRuns: [],
      });
    }
  } finally {
    server.pods.remove("default", POD);
    await service.close();
  }
  return rows;
}

if (import.meta.main) {
  const { startFakeApiServer } = await import("../tests/support/fake_apiserver.ts");
  const { writeKubeconfig } = await import("../tests/support/kubeconfig_fixture.ts");
  const server = await startFakeApiServer({ pods: [] });
  try {
    const kubeconfig = await writeKubeconfig(server, { user: "token" });
    const rows = await portForwardRows(server, kubeconfig, {
      runs: Number(Deno.args[0] ?? 3),
      onRun: (row, client, rate) =>
        // deno-lint-ignore no-console
        console.error(`${row} ${client}: ${rate.toFixed(1)} MB/s`),
    });
    const lines = [
      "| scenario | kubexec MB/s | kubectl MB/s | ratio |",
      "| --- | --- | --- | --- |",
    ];
    for (const row of rows) {
      const ratio = row.kubectl ? (row.kubexec / row.kubectl).toFixed(2) : "–";
      lines.push(
        `| ${row.name} | ${row.kubexec.toFixed(1)} | ${
          row.kubectl?.toFixed(1) ?? "–"
        } | ${ratio} |`,
      );
    }
    // deno-lint-ignore no-console
    console.log(lines.join("\n"));
  } finally {
    await server.close();
  }
}
