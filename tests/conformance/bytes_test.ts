/**
 * Byte-exactness of exec (issue 4, "Test server and oracle"): 64 MiB of random bytes through
 * `exec -i -- cat` on v5 (stdin half-closed at EOF), and a 64 MiB random file read by
 * `exec -- cat FILE` on v5 and v4, arrive with the same SHA-256 — over the raw RFC 6455 client and
 * over Deno's native WebSocket (hidden `--transport=native`). The runs go through the whole CLI
 * (`runCli`: kubeconfig, credentials, pod lookup, session) in-process, with sources and sinks that
 * hash on the fly, so no run holds 64 MiB in memory. Two further runs go through `main.ts` as a
 * subprocess, so the process's own stdin and stdout pipes are covered too.
 *
 * Run counts: `KUBEXEC_BYTE_RUNS` (default 3 per case and transport, which keeps `deno task test`
 * within its budget); `KUBEXEC_BYTE_RUNS=20` is the full proof.
 */
import assert from "node:assert/strict";
import { runCli } from "../../lib/cli/app.ts";
import { rootCommand } from "../../lib/cli/root.ts";
import { type FakeApiServer, startFakeApiServer } from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import {
  type Digest,
  hashingSink,
  randomSource,
  streamingIo,
  writeRandomFile,
} from "../support/hashing_streams.ts";
import { runKubexec, SHIPPED_PERMISSIONS } from "../support/oracle.ts";

const PAYLOAD_BYTES = 64 * 1024 * 1024;
const RUNS = Number(Deno.env.get("KUBEXEC_BYTE_RUNS") ?? "3");
const TRANSPORTS = ["raw", "native"] as const;
const DATA_FILE = "random-64MiB.bin";

interface Fixture {
  server: FakeApiServer;
  kubeconfig: string;
  fileDigest: string;
}

async function withFixture(body: (fixture: Fixture) => Promise<void>): Promise<void> {
  const server = await startFakeApiServer({
    pods: [{ name: "web-0", containers: [{ name: "app" }] }],
  });
  try {
    const kubeconfig = await writeKubeconfig(server, { user: "token" });
    const podDir = await server.podDir("default", "web-0");
    const fileDigest = (await writeRandomFile(`${podDir}/${DATA_FILE}`, PAYLOAD_BYTES)).hex();
    await body({ server, kubeconfig, fileDigest });
  } finally {
    await server.close();
  }
}

/** Runs the CLI in-process with streaming stdin/stdout; returns code, stderr and the out digest. */
async function runStreaming(
  args: string[],
  stdin?: ReadableStream<Uint8Array>,
): Promise<{ code: number; stderr: string; out: Digest }> {
  const sink = hashingSink();
  const { io, stderr } = streamingIo({ stdin, stdout: sink.stream });
  const code = await runCli(rootCommand, args, io);
  return { code, stderr: stderr(), out: sink.digest };
}

function lastSession(server: FakeApiServer) {
  const session = server.requests.findLast((request) => request.session)?.session;
  assert.ok(session, "the server saw no streaming session");
  return session;
}

function timed(label: string, started: number, runs: number): void {
  const seconds = (performance.now() - started) / 1000;
  // deno-lint-ignore no-console
  console.log(`${label}: ${runs} × 64 MiB in ${seconds.toFixed(1)} s`);
}

for (const transport of TRANSPORTS) {
  Deno.test(`bytes (${transport}): 64 MiB random stdin through exec -i -- cat on v5`, async () => {
    await withFixture(async ({ server, kubeconfig }) => {
      const started = performance.now();
      for (let run = 0; run < RUNS; run++) {
        const source = randomSource(PAYLOAD_BYTES);
        const result = await runStreaming(
          ["--kubeconfig", kubeconfig, `--transport=${transport}`, "exec", "-i", "web-0", "--"]
            .concat(["cat"]),
          source.stream,
        );
        assert.equal(result.stderr, "");
        assert.equal(result.code, 0);
        assert.equal(result.out.bytes, PAYLOAD_BYTES);
        assert.equal(result.out.hex(), source.digest.hex(), `run ${run}: sha256 differs`);
        const session = lastSession(server);
        assert.equal(session.protocol, "v5.channel.k8s.io");
        assert.equal(session.stdinBytes, PAYLOAD_BYTES);
        assert.equal(session.stdinClosed, true, "stdin EOF must reach the server as v5 CLOSE");
      }
      timed(`v5 stdin (${transport})`, started, RUNS);
    });
  });

  Deno.test(`bytes (${transport}): 64 MiB file through exec -- cat FILE on v5 and v4`, async () => {
    await withFixture(async ({ server, kubeconfig, fileDigest }) => {
      for (const protocol of ["v5.channel.k8s.io", "v4.channel.k8s.io"]) {
        const started = performance.now();
        for (let run = 0; run < RUNS; run++) {
          const result = await runStreaming([
            "--kubeconfig",
            kubeconfig,
            `--transport=${transport}`,
            "exec",
            `--protocol=${protocol}`,
            "web-0",
            "--",
            "cat",
            DATA_FILE,
          ]);
          assert.equal(result.stderr, "");
          assert.equal(result.code, 0);
          assert.equal(result.out.bytes, PAYLOAD_BYTES);
          assert.equal(result.out.hex(), fileDigest, `${protocol} run ${run}: sha256 differs`);
          const session = lastSession(server);
          assert.equal(session.protocol, protocol);
          assert.equal(session.stdinBytes, 0);
        }
        timed(`${protocol} file (${transport})`, started, RUNS);
      }
    });
  });
}

/** Runs main.ts with streamed random stdin and hashed stdout (the 64 MiB never sit in memory). */
async function runSubprocess(
  args: string[],
  stdinBytes: number,
): Promise<{ code: number; stderr: string; out: Digest; in: Digest }> {
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...SHIPPED_PERMISSIONS, main, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { HOME: "/nonexistent-home", NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "" },
    clearEnv: true,
  }).spawn();
  const source = randomSource(stdinBytes);
  const sink = hashingSink();
  const [, , stderr, status] = await Promise.all([
    source.stream.pipeTo(child.stdin),
    child.stdout.pipeTo(sink.stream),
    new Response(child.stderr).text(),
    child.status,
  ]);
  return { code: status.code, stderr, out: sink.digest, in: source.digest };
}

Deno.test("bytes (subprocess): 64 MiB through the process's own stdin and stdout", async () => {
  await withFixture(async ({ server, kubeconfig, fileDigest }) => {
    const piped = await runSubprocess(
      ["--kubeconfig", kubeconfig, "exec", "-i", "web-0", "--", "cat"],
      PAYLOAD_BYTES,
    );
    assert.equal(piped.stderr, "");
    assert.equal(piped.code, 0);
    assert.equal(piped.out.bytes, PAYLOAD_BYTES);
    assert.equal(piped.out.hex(), piped.in.hex());
    assert.equal(lastSession(server).stdinClosed, true);

    const file = await runSubprocess(
      ["--kubeconfig", kubeconfig, "exec", "--protocol=v4.channel.k8s.io", "web-0", "--"]
        .concat(["cat", DATA_FILE]),
      0,
    );
    assert.equal(file.stderr, "");
    assert.equal(file.code, 0);
    assert.equal(file.out.hex(), fileDigest);
  });
});

Deno.test("bytes: echo foo | kubexec exec -i POD -- cat prints foo and exits 0", async () => {
  const server = await startFakeApiServer({
    pods: [{ name: "web-0", containers: [{ name: "app" }] }],
  });
  try {
    const kubeconfig = await writeKubeconfig(server, { user: "token" });
    const result = await runKubexec([
      "--kubeconfig",
      kubeconfig,
      "exec",
      "-i",
      "web-0",
      "--",
      "cat",
    ], {
      stdin: "foo\n",
    });
    assert.deepEqual(result, { code: 0, stdout: "foo\n", stderr: "" });
    assert.equal(lastSession(server).stdinClosed, true);
  } finally {
    await server.close();
  }
});
