/**
 * Builds and starts `bench/server` (Go, standard library only): the benchmark's API server. It
 * serves exec over WebSocket with in-memory commands (`__kubexec_generate`, `__kubexec_sink`),
 * a second raw-TLS listener for the limit rows, and — for pods that have a directory under
 * {@linkcode BenchServer.podsDir} — real processes in that directory (the cp rows).
 *
 * @module
 */

const SERVER_DIR = new URL("./server", import.meta.url).pathname;

/** A running bench server. */
export interface BenchServer {
  /** `host:port` of the API listener. */
  api: string;
  /** `host:port` of the raw-TLS listener. */
  raw: string;
  /** The built binary, also the "server alone" client (`-client ...`). */
  binary: string;
  /**
   * Where the commands of pod NAME in namespace NS run as processes, once the directory
   * `${podsDir}/NS/NAME` exists (pods without one get the in-memory commands).
   */
  podsDir: string;
  /** Stops the server. */
  stop(): Promise<void>;
}

/**
 * Builds the server into `dir` with `go build` and starts it with the given certificate.
 *
 * @example
 * ```ts ignore
 * import { startBenchServer } from "./bench_server.ts";
 * const server = await startBenchServer(dir, pki.server.certFile, pki.server.keyFile);
 * await Deno.mkdir(`${server.podsDir}/default/box`, { recursive: true });
 * await server.stop();
 * ```
 */
export async function startBenchServer(
  dir: string,
  certFile: string,
  keyFile: string,
): Promise<BenchServer> {
  const binary = `${dir}/benchserver`;
  const build = await new Deno.Command("go", {
    args: ["build", "-o", binary, "."],
    cwd: SERVER_DIR,
    env: { GOFLAGS: "-buildvcs=false", GOPROXY: "off" },
    stdout: "inherit",
    stderr: "inherit",
  }).output().catch(() => undefined);
  if (!build?.success) throw new Error("go build of bench/server failed (Go 1.22 or newer needed)");
  const podsDir = `${dir}/pods`;
  const child = new Deno.Command(binary, {
    args: ["-cert", certFile, "-key", keyFile, "-pods", podsDir],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the bench server exited before it listened");
    text += value;
  }
  const { api, raw } = JSON.parse(text.split("\n")[0]);
  return {
    api,
    raw,
    binary,
    podsDir,
    async stop() {
      child.kill();
      await child.status;
      await reader.cancel().catch(() => {});
    },
  };
}

/**
 * Writes a kubeconfig for `server` (its CA file, a bearer token, namespace `default`) to `path`.
 *
 * @example
 * ```ts ignore
 * import { writeBenchKubeconfig } from "./bench_server.ts";
 * await writeBenchKubeconfig(`${dir}/kubeconfig.yaml`, server, pki.ca.certFile, "bench-token");
 * ```
 */
export async function writeBenchKubeconfig(
  path: string,
  server: BenchServer,
  caFile: string,
  token: string,
): Promise<void> {
  await Deno.writeTextFile(
    path,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: bench",
      "  cluster:",
      `    server: https://${server.api}`,
      `    certificate-authority: ${caFile}`,
      "users:",
      "- name: bench",
      "  user:",
      `    token: ${token}`,
      "contexts:",
      "- name: bench",
      "  context: {cluster: bench, user: bench, namespace: default}",
      "current-context: bench",
      "",
    ].join("\n"),
  );
}
