/**
 * `kubexec exec -l SELECTOR` through the real CLI (in-process) against the fake API server: 20 pods
 * with mixed exit codes, prefixes and the summary, skipped pods, --all-containers, --max-parallel,
 * --stdin-broadcast, colour rules and the refusals; and the pieces (line prefixing, broadcast).
 */
import assert from "node:assert/strict";
import { type FakeApiServer, startFakeApiServer } from "../support/fake_apiserver.ts";
import type { PodInput } from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { captureIo } from "../support/cli_io.ts";
import type { EndingSignal } from "../../lib/cli/io.ts";
import { runCli } from "../../lib/cli/app.ts";
import { rootCommand } from "../../lib/cli/root.ts";
import { broadcast, LinePrefixer, summaryTable } from "../../lib/cli/fanout.ts";
import type { AuditRecord } from "../../lib/record/audit.ts";

async function withServer(
  pods: PodInput[],
  body: (server: FakeApiServer, kubeconfig: string) => Promise<void>,
): Promise<void> {
  const server = await startFakeApiServer({ pods });
  try {
    await body(server, await writeKubeconfig(server, { user: "token" }));
  } finally {
    await server.close();
  }
}

async function run(
  kubeconfig: string,
  args: string[],
  options: { stdin?: string; env?: Record<string, string>; terminal?: boolean } = {},
) {
  const captured = captureIo({ stdin: options.stdin, env: { USER: "ops", ...options.env } });
  if (options.terminal) {
    captured.io.stdoutIsTerminal = true;
    captured.io.stderrIsTerminal = true;
  }
  const code = await runCli(rootCommand, ["--kubeconfig", kubeconfig, ...args], captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

function webPods(count: number, extra: Partial<PodInput> = {}): PodInput[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `web-${String(i).padStart(2, "0")}`,
    labels: { app: "web" },
    containers: [{ name: "app" }],
    env: { CODE: String(i % 4 === 3 ? i : 0) },
    ...extra,
  }));
}

function execRequests(server: FakeApiServer) {
  return server.requests.filter((request) => request.url.pathname.endsWith("/exec"));
}

Deno.test("fan-out over 20 pods with mixed exit codes: prefixed lines, summary, exit 1, one audit line each", async () => {
  await withServer(
    [...webPods(20), { name: "other", containers: [{ name: "x" }] }],
    async (server, kubeconfig) => {
      const audit = `${server.tempDir}/fan.jsonl`;
      const result = await run(kubeconfig, [
        "exec",
        "-l",
        "app=web",
        "--audit-log",
        audit,
        "--",
        "sh",
        "-c",
        'echo "out $HOSTNAME"; echo "err $HOSTNAME" >&2; exit $CODE',
      ]);
      assert.equal(result.code, 1);
      const outLines = result.stdout.trimEnd().split("\n").sort();
      assert.deepEqual(
        outLines,
        webPods(20).map((pod) => `[${pod.name}/app] out ${pod.name}`),
      );
      const [streamed, summary] = result.stderr.split("\n\nPOD");
      assert.deepEqual(
        streamed.split("\n").sort(),
        webPods(20).map((pod) => `[${pod.name}/app] err ${pod.name}`),
      );
      const rows = `POD${summary}`.trimEnd().split("\n");
      assert.equal(rows[0], "POD     CONTAINER  EXIT  RESULT");
      assert.equal(rows[1], "web-00  app        0     ok");
      assert.equal(rows[4], "web-03  app        3     command terminated with exit code 3");
      assert.equal(rows[20], "web-19  app        19    command terminated with exit code 19");
      assert.equal(rows.at(-1), "15 succeeded, 5 failed, 0 skipped");
      assert.equal(execRequests(server).length, 20, "the pod without the label is not touched");
      const lines: AuditRecord[] = (await Deno.readTextFile(audit)).trimEnd().split("\n").map((l) =>
        JSON.parse(l)
      );
      assert.equal(lines.length, 20);
      const codes = Object.fromEntries(lines.map((line) => [line.pod, line.exitCode]));
      assert.equal(codes["web-03"], 3);
      assert.equal(codes["web-04"], 0);
      assert.ok(lines.every((line) => line.endedBy === "status" && line.container === "app"));
    },
  );
});

Deno.test("fan-out exits 0 when every session succeeded; partial last lines are flushed", async () => {
  await withServer(webPods(3, { env: {} }), async (_server, kubeconfig) => {
    const result = await run(kubeconfig, [
      "exec",
      "-l",
      "app=web",
      "--",
      "sh",
      "-c",
      "printf 'a\\nno newline'",
    ]);
    assert.equal(result.code, 0);
    for (const pod of ["web-00", "web-01", "web-02"]) {
      assert.ok(result.stdout.includes(`[${pod}/app] a\n`));
      assert.ok(result.stdout.includes(`[${pod}/app] no newline\n`));
    }
    assert.match(result.stderr, /3 succeeded, 0 failed, 0 skipped\n$/);
  });
});

Deno.test("fan-out: pods not running are skipped, a lost connection counts as failed, --all-containers", async () => {
  await withServer([
    { name: "a", labels: { app: "x" }, containers: [{ name: "main" }, { name: "side" }] },
    { name: "b", labels: { app: "x" }, containers: [{ name: "main" }], phase: "Pending" },
    { name: "c", labels: { app: "x" }, containers: [{ name: "main" }] },
    // A stale default-container annotation is passed over, as kubectl does.
    {
      name: "d",
      labels: { app: "y" },
      annotations: { "kubectl.kubernetes.io/default-container": "gone" },
      containers: [{ name: "main" }],
    },
    // A pod with no container to default to fails alone, before any session.
    { name: "g", labels: { app: "y" }, containers: [] },
    { name: "e", labels: { app: "y" }, containers: [{ name: "main" }] },
    { name: "f", labels: { app: "z" }, containers: [{ name: "main" }], phase: "Succeeded" },
  ], async (server, kubeconfig) => {
    const all = await run(kubeconfig, [
      "exec",
      "-l",
      "app=x",
      "--all-containers",
      "--",
      "echo",
      "hi",
    ]);
    assert.equal(all.code, 0);
    assert.deepEqual(all.stdout.trimEnd().split("\n").sort(), [
      "[a/main] hi",
      "[a/side] hi",
      "[c/main] hi",
    ]);
    assert.match(all.stderr, /\nb +- +- +skipped: pod is Pending\n/);
    assert.match(all.stderr, /3 succeeded, 0 failed, 1 skipped\n$/);
    server.faults.next({ kind: "closeAfterBytes", bytes: 2 });
    const lost = await run(kubeconfig, [
      "exec",
      "-l",
      "app=x",
      "--max-parallel",
      "1",
      "--",
      "sh",
      "-c",
      "echo hi; sleep 0.2; echo bye",
    ]);
    assert.equal(lost.code, 1);
    assert.match(lost.stderr, /^\[a\/main\] error: connection to the server was lost/m);
    assert.match(lost.stderr, /\na +main +255 +error: connection to the server was lost/);
    assert.match(lost.stderr, /\nc +main +0 +ok\n/);
    assert.match(lost.stderr, /1 succeeded, 1 failed, 1 skipped\n$/);
    const named = await run(kubeconfig, ["exec", "-l", "app=x", "-c", "side", "--", "true"]);
    assert.equal(named.code, 1, "a container missing from one pod fails that pod");
    assert.match(
      named.stderr,
      /^\[c\/side\] Error from server \(BadRequest\): container side is not valid for pod c\n/m,
    );
    assert.match(named.stderr, /\na +side +0 +ok\n/);
    const annotated = await run(kubeconfig, ["exec", "-l", "app=y", "--", "true"]);
    assert.equal(annotated.code, 1);
    assert.match(annotated.stderr, /\nd +main +0 +ok\n/);
    assert.match(annotated.stderr, /\ne +main +0 +ok\n/);
    assert.match(annotated.stderr, /\ng +- +1 +error: pod default\/g does not have any containers/);
    assert.match(annotated.stderr, /2 succeeded, 1 failed, 0 skipped\n$/);
    const finished = await run(kubeconfig, ["exec", "-l", "app=z", "--", "true"]);
    assert.equal(finished.code, 1);
    assert.equal(
      finished.stderr,
      'error: no running pods in namespace "default" match the selector "app=z" (1 matched but none can run the command)\n',
    );
  });
});

Deno.test("--max-parallel bounds how many sessions run at once", async () => {
  await withServer(webPods(6, { env: {} }), async (server, kubeconfig) => {
    const log = `${server.tempDir}/concurrency.log`;
    const result = await run(kubeconfig, [
      "exec",
      "-l",
      "app=web",
      "--max-parallel",
      "2",
      "--",
      "sh",
      "-c",
      `echo start >> ${log}; sleep 0.1; echo end >> ${log}`,
    ]);
    assert.equal(result.code, 0);
    let running = 0;
    let peak = 0;
    for (const line of (await Deno.readTextFile(log)).trimEnd().split("\n")) {
      running += line === "start" ? 1 : -1;
      peak = Math.max(peak, running);
    }
    assert.equal(peak, 2);
  });
});

Deno.test("--stdin-broadcast sends the same input to every pod", async () => {
  await withServer(webPods(4, { env: {} }), async (server, kubeconfig) => {
    const audit = `${server.tempDir}/b.jsonl`;
    const result = await run(kubeconfig, [
      "exec",
      "-l",
      "app=web",
      "--stdin-broadcast",
      "--audit-log",
      audit,
      "--",
      "sh",
      "-c",
      "cat; echo done",
    ], { stdin: "line one\nline two\n" });
    assert.equal(result.code, 0);
    for (const pod of ["web-00", "web-01", "web-02", "web-03"]) {
      assert.ok(result.stdout.includes(`[${pod}/app] line one\n[${pod}/app] line two\n`));
    }
    const lines: AuditRecord[] = (await Deno.readTextFile(audit)).trimEnd().split("\n").map((l) =>
      JSON.parse(l)
    );
    assert.ok(lines.every((line) => line.bytesOut === 18 && line.stdin === true));
    const tooMany = await run(kubeconfig, [
      "exec",
      "-l",
      "app=web",
      "--stdin-broadcast",
      "--max-parallel",
      "2",
      "--",
      "cat",
    ], { stdin: "x" });
    assert.equal(tooMany.code, 1);
    assert.match(
      tooMany.stderr,
      /^error: --stdin-broadcast sends stdin to every session at once: 4 targets exceed --max-parallel 2; raise --max-parallel\n/,
    );
  });
});

Deno.test("fan-out colours prefixes per pod only on a terminal without NO_COLOR or --no-color", async () => {
  await withServer(webPods(2, { env: {} }), async (_server, kubeconfig) => {
    const args = ["exec", "-l", "app=web", "--", "echo", "hi"];
    const coloured = await run(kubeconfig, args, { terminal: true });
    assert.ok(coloured.stdout.includes("\x1b[36m[web-00/app]\x1b[0m hi\n"));
    assert.ok(coloured.stdout.includes("\x1b[33m[web-01/app]\x1b[0m hi\n"));
    const noColorEnv = await run(kubeconfig, args, { terminal: true, env: { NO_COLOR: "1" } });
    assert.ok(!noColorEnv.stdout.includes("\x1b["));
    const noColorFlag = await run(kubeconfig, ["--no-color", ...args], { terminal: true });
    assert.ok(!noColorFlag.stdout.includes("\x1b["));
    const pipe = await run(kubeconfig, args);
    assert.ok(!pipe.stdout.includes("\x1b["));
  });
});

Deno.test("fan-out refusals name the fix, before any request", async () => {
  await withServer(webPods(2, { env: {} }), async (server, kubeconfig) => {
    const cases: [string[], RegExp][] = [
      [
        ["-l", "app=web", "-it", "--", "sh"],
        /^error: --tty cannot be used with --selector: fan-out runs without a terminal \(drop -t\)/,
      ],
      [
        ["-l", "app=web", "-i", "--", "cat"],
        /^error: --stdin cannot be used with --selector: add --stdin-broadcast/,
      ],
      [
        ["web-00", "-l", "app=web", "--", "date"],
        /^error: a pod \(web-00\) and --selector cannot both be given/,
      ],
      [
        ["-l", "app=web", "--max-parallel", "0", "--", "date"],
        /^error: --max-parallel must be at least 1, not 0/,
      ],
      [
        ["-l", "app=web", "--all-containers", "-c", "app", "--", "date"],
        /^error: --all-containers and --container cannot both be given/,
      ],
      [
        ["web-00", "--all-containers", "--", "date"],
        /^error: --all-containers, --max-parallel and --stdin-broadcast only apply with --selector/,
      ],
      [["-l", "app=web"], /^error: you must specify at least one command for the container\n$/],
    ];
    for (const [args, expected] of cases) {
      const result = await run(kubeconfig, ["exec", ...args]);
      assert.equal(result.code, 1, args.join(" "));
      assert.match(result.stderr, expected);
    }
    assert.equal(server.requests.length, 0);
    const none = await run(kubeconfig, ["exec", "-l", "app=none", "--", "date"]);
    assert.equal(none.code, 1);
    assert.equal(
      none.stderr,
      'error: no running pods in namespace "default" match the selector "app=none"\n',
    );
  });
});

function sharedSink() {
  const chunks: string[] = [];
  const writer = new WritableStream<Uint8Array>({
    write: (chunk) => void chunks.push(new TextDecoder().decode(chunk)),
  }).getWriter();
  return { chunks, writer };
}

Deno.test("line prefixer: whole lines per write, held partial lines, very long lines split", async () => {
  const { chunks, writer } = sharedSink();
  const prefixer = new LinePrefixer("[p] ", writer);
  const input = prefixer.writable.getWriter();
  const encoder = new TextEncoder();
  await input.write(encoder.encode("one\ntw"));
  await input.write(encoder.encode("o\nthree\nfo"));
  assert.deepEqual(chunks, ["[p] one\n", "[p] two\n[p] three\n"]);
  await prefixer.flush();
  await prefixer.flush();
  assert.deepEqual(chunks.slice(2), ["[p] fo\n"]);
  chunks.length = 0;
  await input.write(new Uint8Array(70 * 1024).fill(0x78));
  assert.equal(chunks.length, 1, "a line past 64 KiB is written instead of held");
  assert.equal(chunks[0].length, 4 + 70 * 1024 + 1);
});

Deno.test("broadcast: every branch sees every chunk; the source is read only as fast as the slowest", async () => {
  let pulls = 0;
  const parts = ["a", "b", "c"];
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      const next = parts.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(new TextEncoder().encode(next));
    },
  }, { highWaterMark: 0 });
  const [fast, slow, dropped] = broadcast(source, 3);
  const fastReader = fast.getReader();
  const slowReader = slow.getReader();
  const decode = (result: ReadableStreamReadResult<Uint8Array>) =>
    result.done ? "<end>" : new TextDecoder().decode(result.value);
  const firstFast = fastReader.read();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(pulls, 0, "not read while a branch has not asked");
  await dropped.cancel();
  assert.equal(decode(await slowReader.read()), "a");
  assert.equal(decode(await firstFast), "a");
  const secondFast = fastReader.read();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(pulls, 1, "the fast branch waits for the slow one");
  assert.equal(decode(await slowReader.read()), "b");
  assert.equal(decode(await secondFast), "b");
  await slowReader.cancel();
  assert.equal(decode(await fastReader.read()), "c");
  assert.equal(decode(await fastReader.read()), "<end>");
});

Deno.test("broadcast: a source error reaches every branch; cancelling all cancels the source", async () => {
  const failing = new ReadableStream<Uint8Array>({
    pull: () => Promise.reject(new Error("stdin broke")),
  });
  const branches = broadcast(failing, 2);
  const results = await Promise.allSettled(branches.map((branch) => branch.getReader().read()));
  assert.ok(results.every((r) => r.status === "rejected" && /stdin broke/.test(String(r.reason))));
  let cancelled = false;
  const source = new ReadableStream<Uint8Array>({
    cancel: () => {
      cancelled = true;
    },
  });
  const [a, b] = broadcast(source, 2);
  await a.cancel();
  assert.equal(cancelled, false, "one branch is still open");
  await b.cancel();
  assert.equal(cancelled, true);
});

Deno.test("summary table aligns columns and counts outcomes", () => {
  assert.equal(
    summaryTable([
      { target: { pod: "web-0", container: "app" }, exitCode: 0, summary: "ok" },
      { target: { pod: "web-10", container: "sidecar" }, exitCode: 255, summary: "error: lost" },
      { target: { pod: "db", container: "-" }, summary: "skipped: pod is Pending" },
    ]),
    "POD     CONTAINER  EXIT  RESULT\n" +
      "web-0   app        0     ok\n" +
      "web-10  sidecar    255   error: lost\n" +
      "db      -          -     skipped: pod is Pending\n" +
      "\n1 succeeded, 1 failed, 1 skipped\n",
  );
});

/**
 * Starts `exec -l app=web` of a command that prints "begun" and sleeps 5 s, and waits for the
 * first "begun"; `running` is the run's exit code (an object, so that awaiting this does not
 * wait for the run).
 */
async function startSleepers(
  kubeconfig: string,
  captured: ReturnType<typeof captureIo>,
  flags: string[],
): Promise<{ running: Promise<number> }> {
  const running = runCli(rootCommand, [
    "--kubeconfig",
    kubeconfig,
    "exec",
    "-l",
    "app=web",
    ...flags,
    "--",
    "sh",
    "-c",
    "echo begun; exec sleep 5",
  ], captured.io);
  while (!captured.stdout().includes("begun")) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { running };
}

/** A captured Io whose signals the test sends. */
function signallableIo() {
  const listeners = new Set<(signal: EndingSignal) => void>();
  const captured = captureIo({
    env: { USER: "ops" },
    terminal: {
      size: () => undefined,
      setRaw: () => {},
      onResize: () => () => {},
      onSignal(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
  });
  const signal = (name: EndingSignal) => {
    for (const listener of [...listeners]) listener(name);
  };
  return { captured, signal };
}

Deno.test("a signal ends the running sessions and keeps the queued ones from starting", async () => {
  await withServer(webPods(3, { env: {} }), async (server, kubeconfig) => {
    const { captured, signal } = signallableIo();
    const { running } = await startSleepers(kubeconfig, captured, ["--max-parallel", "1"]);
    signal("SIGINT");
    assert.equal(await running, 1);
    const stderr = captured.stderr();
    assert.match(stderr, /\nweb-00 +app +130 +interrupted\n/);
    assert.match(stderr, /\nweb-01 +app +- +not started: interrupted\n/);
    assert.match(stderr, /\nweb-02 +app +- +not started: interrupted\n/);
    assert.equal(execRequests(server).length, 1);
  });
});

Deno.test("a signal while sessions are connecting ends them as soon as they connect", async () => {
  await withServer(webPods(3, { env: {} }), async (server, kubeconfig) => {
    const { captured, signal } = signallableIo();
    // web-01's and web-02's upgrades are held for a while, web-00's is not.
    const slow = ({ url }: { url: URL }) =>
      url.pathname.endsWith("/exec") && !url.pathname.includes("/web-00/");
    server.faults.always({ kind: "delay", ms: 2000 }, slow);
    const { running } = await startSleepers(kubeconfig, captured, []);
    // web-00 runs; the other two are still waiting for their upgrades. Without the interruption
    // reaching them they would connect, run their 5 s and report "0 ok".
    assert.equal(captured.stdout().match(/begun/g)?.length, 1);
    signal("SIGINT");
    assert.equal(await running, 1);
    const stderr = captured.stderr();
    for (const pod of ["web-00", "web-01", "web-02"]) {
      assert.match(stderr, new RegExp(`\\n${pod} +app +130 +interrupted\\n`), stderr);
    }
  });
});

Deno.test("--record in fan-out records the prefixed lines and the summary as shown", async () => {
  await withServer(webPods(3, { env: {} }), async (server, kubeconfig) => {
    const cast = `${server.tempDir}/fan.cast`;
    const result = await run(kubeconfig, [
      "exec",
      "-l",
      "app=web",
      "--record",
      cast,
      "--",
      "sh",
      "-c",
      "echo out; echo err >&2",
    ]);
    assert.equal(result.code, 0);
    const text = await Deno.readTextFile(cast);
    const output = text.trimEnd().split("\n").slice(1).map((line) => JSON.parse(line))
      .filter((event) => event[1] === "o").map((event) => event[2]).join("");
    assert.deepEqual(
      output.split("\n").sort(),
      (result.stdout + result.stderr).split("\n").sort(),
    );
    assert.match(output, /\[web-02\/app\] err\n/);
    assert.match(output, /3 succeeded, 0 failed, 0 skipped\n$/);
  });
});
