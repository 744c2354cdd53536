/**
 * `--record`, `--audit-log`, `--reason` and the KUBEXEC_* policy through the real CLI (in-process)
 * against the fake API server: the recording holds what the screen showed, the audit line is
 * complete for a success, a non-zero exit, a lost connection and a failure before the session, and
 * fail-closed refuses before anything reaches the cluster.
 */
import assert from "node:assert/strict";
import { type FakeApiServer, startFakeApiServer } from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { captureIo } from "../support/cli_io.ts";
import { runCli } from "../../lib/cli/app.ts";
import { rootCommand } from "../../lib/cli/root.ts";
import { policyFromEnv, redactArgv } from "../../lib/cli/recording.ts";
import { registerOutputSinks, type TerminalControl } from "../../lib/cli/io.ts";
import { type AsciicastEvent, readAsciicast } from "../../lib/record/replay.ts";
import type { AuditRecord } from "../../lib/record/audit.ts";

interface Fixture {
  server: FakeApiServer;
  kubeconfig: string;
  dir: string;
}

async function withFixture(body: (fixture: Fixture) => Promise<void>): Promise<void> {
  const server = await startFakeApiServer({
    pods: [
      { name: "web-0", containers: [{ name: "app" }] },
      { name: "multi", containers: [{ name: "a" }, { name: "b" }] },
    ],
  });
  try {
    const kubeconfig = await writeKubeconfig(server, { user: "token", namespace: "default" });
    await body({ server, kubeconfig, dir: server.tempDir });
  } finally {
    await server.close();
  }
}

async function run(
  fixture: Fixture,
  args: string[],
  options: {
    stdin?: string;
    env?: Record<string, string>;
    stdinIsTerminal?: boolean;
    terminal?: TerminalControl;
  } = {},
) {
  const captured = captureIo({
    stdin: options.stdin,
    env: { USER: "ops", ...options.env },
    stdinIsTerminal: options.stdinIsTerminal,
    terminal: options.terminal,
  });
  const code = await runCli(
    rootCommand,
    ["--kubeconfig", fixture.kubeconfig, ...args],
    captured.io,
  );
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

async function castOf(path: string) {
  const file = await Deno.open(path);
  const { header, events } = await readAsciicast(file.readable);
  const all: AsciicastEvent[] = [];
  for await (const event of events) all.push(event);
  return {
    header,
    events: all,
    output: all.filter((e) => e.type === "o").map((e) => e.data).join(""),
  };
}

async function auditLines(path: string): Promise<AuditRecord[]> {
  return (await Deno.readTextFile(path)).trimEnd().split("\n").map((line) => JSON.parse(line));
}

async function modeOf(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

function execRequests(server: FakeApiServer) {
  return server.requests.filter((request) => request.url.pathname.endsWith("/exec"));
}

Deno.test("a recorded session holds what the screen showed; the audit line of a success is complete", async () => {
  await withFixture(async (fixture) => {
    const cast = `${fixture.dir}/s.cast`;
    const audit = `${fixture.dir}/audit.jsonl`;
    const result = await run(fixture, [
      "exec",
      "-i",
      "web-0",
      "--record",
      cast,
      "--audit-log",
      audit,
      "--reason",
      "INC-42 disk check",
      "--",
      "sh",
      "-c",
      "cat; echo to-stderr >&2",
    ], { stdin: "typed input\n" });
    assert.equal(result.code, 0);
    assert.equal(result.stdout, "typed input\n");
    assert.equal(result.stderr, "to-stderr\n");
    const recording = await castOf(cast);
    assert.equal(recording.output, "typed input\nto-stderr\n");
    assert.equal(recording.events.filter((e) => e.type === "i").length, 0, "no input by default");
    assert.equal(recording.header.width, 80);
    assert.match(recording.header.command!, /^kubexec --kubeconfig .* exec -i web-0 --record /);
    assert.equal(recording.header.title, "kubexec exec web-0");
    assert.equal(await modeOf(cast), 0o600);
    assert.equal(await modeOf(audit), 0o600);
    const [line, ...rest] = await auditLines(audit);
    assert.equal(rest.length, 0);
    assert.ok(Date.parse(line.started) <= Date.parse(line.ended));
    assert.deepEqual(
      { ...line, started: "", ended: "", server: "" },
      {
        started: "",
        ended: "",
        server: "",
        localUser: "ops",
        verb: "exec",
        argv: [
          "--kubeconfig",
          fixture.kubeconfig,
          "exec",
          "-i",
          "web-0",
          "--record",
          cast,
          "--audit-log",
          audit,
          "--reason",
          "INC-42 disk check",
          "--",
          "sh",
          "-c",
          "cat; echo to-stderr >&2",
        ],
        reason: "INC-42 disk check",
        context: "fake",
        cluster: "fake",
        kubeconfigUser: "fake-user",
        namespace: "default",
        pod: "web-0",
        container: "app",
        command: ["sh", "-c", "cat; echo to-stderr >&2"],
        tty: false,
        stdin: true,
        subprotocol: "v5.channel.k8s.io",
        bytesIn: 22,
        bytesOut: 12,
        exitCode: 0,
        endedBy: "status",
        recordings: [cast],
      },
    );
    assert.equal(line.server, fixture.server.url);
  });
});

Deno.test("audit: a non-zero exit, a lost connection and a failure before the session", async () => {
  await withFixture(async (fixture) => {
    const audit = `${fixture.dir}/audit.jsonl`;
    const failed = await run(fixture, [
      "exec",
      "web-0",
      "--audit-log",
      audit,
      "--",
      "sh",
      "-c",
      "exit 3",
    ]);
    assert.equal(failed.code, 3);
    fixture.server.faults.next({ kind: "closeAfterBytes", bytes: 6 });
    const lost = await run(fixture, [
      "exec",
      "web-0",
      "--audit-log",
      audit,
      "--",
      "sh",
      "-c",
      "echo begin; sleep 0.3; echo never",
    ]);
    assert.equal(lost.code, 255);
    const missing = await run(fixture, ["exec", "nope", "--audit-log", audit, "--", "true"]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error from server (NotFound): pods "nope" not found\n');
    const [exit3, dropped, notFound] = await auditLines(audit);
    assert.equal(exit3.exitCode, 3);
    assert.equal(exit3.endedBy, "status");
    assert.equal(exit3.error, undefined);
    assert.equal(dropped.exitCode, 255);
    assert.equal(dropped.endedBy, "lost");
    assert.equal(dropped.pod, "web-0");
    assert.equal(dropped.subprotocol, "v5.channel.k8s.io");
    assert.equal(dropped.bytesIn, 6, "bytes counted although the session failed");
    assert.match(dropped.error!, /^connection to the server was lost before the command finished/);
    assert.equal(notFound.exitCode, 1);
    assert.equal(notFound.endedBy, "error");
    assert.equal(notFound.pod, undefined);
    assert.equal(notFound.namespace, "default");
    assert.equal(notFound.context, "fake");
    assert.match(notFound.error!, /pods "nope" not found/);
  });
});

Deno.test("--record-input records typed input as i events; multi-byte output stays whole", async () => {
  await withFixture(async (fixture) => {
    const cast = `${fixture.dir}/input.cast`;
    const result = await run(fixture, [
      "exec",
      "-i",
      "web-0",
      "--record",
      cast,
      "--record-input",
      "--",
      "cat",
    ], { stdin: "héllo €\n" });
    assert.equal(result.code, 0);
    const recording = await castOf(cast);
    assert.equal(
      recording.events.filter((e) => e.type === "i").map((e) => e.data).join(""),
      "héllo €\n",
    );
    assert.equal(recording.output, "héllo €\n");
  });
});

Deno.test("--reason is required by --require-reason and by KUBEXEC_REQUIRE_REASON, before any request", async () => {
  await withFixture(async (fixture) => {
    const byFlag = await run(fixture, ["exec", "web-0", "--require-reason", "--", "true"]);
    assert.equal(byFlag.code, 1);
    assert.equal(
      byFlag.stderr,
      `error: a reason is required: add --reason "…" saying why this session is needed\nSee 'kubexec exec -h' for help and examples\n`,
    );
    const byPolicy = await run(fixture, ["exec", "web-0", "--reason", "  ", "--", "true"], {
      env: { KUBEXEC_REQUIRE_REASON: "1" },
    });
    assert.equal(byPolicy.code, 1);
    assert.match(byPolicy.stderr, /\(required by KUBEXEC_REQUIRE_REASON\)/);
    assert.equal(fixture.server.requests.length, 0);
    const given = await run(fixture, ["exec", "web-0", "--reason", "ok", "--", "true"], {
      env: { KUBEXEC_REQUIRE_REASON: "true" },
    });
    assert.equal(given.code, 0);
  });
});

Deno.test("fail-closed refuses an unwritable recording or audit log; fail-open warns and runs", async () => {
  await withFixture(async (fixture) => {
    const unwritable = `${fixture.dir}/missing-dir/s.cast`;
    const closed = await run(fixture, [
      "exec",
      "web-0",
      "--record",
      unwritable,
      "--fail-closed",
      "--",
      "echo",
      "hi",
    ]);
    assert.equal(closed.code, 1);
    assert.equal(closed.stdout, "");
    assert.match(
      closed.stderr,
      /^error: cannot write the recording .*missing-dir\/s\.cast: No such file or directory.*\nhint: the session was not started because recording is fail-closed/,
    );
    const byPolicy = await run(fixture, ["exec", "web-0", "--", "echo", "hi"], {
      env: { KUBEXEC_AUDIT_LOG: `${fixture.dir}/missing-dir/a.jsonl`, KUBEXEC_FAIL_CLOSED: "yes" },
    });
    assert.equal(byPolicy.code, 1);
    assert.match(byPolicy.stderr, /^error: cannot write the audit log /);
    assert.equal(execRequests(fixture.server).length, 0, "nothing reached the cluster");
    assert.equal(fixture.server.requests.length, 0);
    const open = await run(fixture, ["exec", "web-0", "--record", unwritable, "--", "echo", "hi"]);
    assert.equal(open.code, 0);
    assert.equal(open.stdout, "hi\n");
    assert.match(
      open.stderr,
      /^Warning: cannot write the recording .*missing-dir\/s\.cast: .*; continuing without it \(--fail-closed refuses instead\)\n$/,
    );
  });
});

Deno.test("policy: KUBEXEC_RECORD_DIR records every session into a new 0600 file, KUBEXEC_AUDIT_LOG audits it", async () => {
  await withFixture(async (fixture) => {
    const dir = `${fixture.dir}/recordings`;
    await Deno.mkdir(dir);
    const audit = `${fixture.dir}/policy.jsonl`;
    const env = { KUBEXEC_RECORD_DIR: dir, KUBEXEC_AUDIT_LOG: audit };
    const mine = `${fixture.dir}/mine.cast`;
    assert.equal((await run(fixture, ["exec", "web-0", "--", "echo", "one"], { env })).code, 0);
    assert.equal(
      (await run(fixture, ["exec", "web-0", "--record", mine, "--", "echo", "two"], { env })).code,
      0,
    );
    const files = [];
    for await (const entry of Deno.readDir(dir)) files.push(entry.name);
    files.sort();
    assert.equal(files.length, 2);
    for (const name of files) {
      assert.match(name, /^\d{8}T\d{6}Z-ops-[0-9a-f]{8}\.cast$/);
      assert.equal(await modeOf(`${dir}/${name}`), 0o600);
    }
    const outputs = await Promise.all(
      files.map(async (name) => (await castOf(`${dir}/${name}`)).output),
    );
    assert.deepEqual(outputs.sort(), ["one\n", "two\n"]);
    assert.equal((await castOf(mine)).output, "two\n", "the user's own recording as well");
    const lines = await auditLines(audit);
    assert.equal(lines.length, 2);
    assert.equal(lines[1].recordings?.length, 2);
  });
});

Deno.test("secrets on the command line never reach the recording or the audit log", async () => {
  await withFixture(async (fixture) => {
    const cast = `${fixture.dir}/t.cast`;
    const audit = `${fixture.dir}/t.jsonl`;
    const result = await run(fixture, [
      "--token",
      "admin-token",
      "exec",
      "web-0",
      "--record",
      cast,
      "--audit-log",
      audit,
      "--",
      "echo",
      "--token",
      "shown",
    ]);
    assert.equal(result.code, 0);
    const files = (await Deno.readTextFile(cast)) + (await Deno.readTextFile(audit));
    assert.ok(!files.includes("admin-token"));
    assert.ok(files.includes("REDACTED"));
    assert.deepEqual(
      redactArgv(["--password=p", "--token", "t", "x", "--", "--token", "kept"]),
      ["--password=REDACTED", "--token", "REDACTED", "x", "--", "--token", "kept"],
    );
    // A password in the server URL, in each form pflag reads.
    assert.deepEqual(
      redactArgv([
        "--server",
        "https://me:pw1@h",
        "--server=https://me:pw2@h",
        "-s",
        "https://me:pw3@h",
        "-s=https://me:pw4@h",
        "-shttps://me:pw5@h",
        "-shttps://h",
      ]),
      [
        "--server",
        "https://me:xxxxx@h",
        "--server=https://me:xxxxx@h",
        "-s",
        "https://me:xxxxx@h",
        "-s=https://me:xxxxx@h",
        "-shttps://me:xxxxx@h",
        "-shttps://h",
      ],
    );
  });
});

Deno.test("a TTY session records its size and resize events", async () => {
  await withFixture(async (fixture) => {
    const cast = `${fixture.dir}/tty.cast`;
    let size = { columns: 100, rows: 30 };
    const listeners: (() => void)[] = [];
    const terminal: TerminalControl = {
      size: () => size,
      setRaw: () => {},
      onResize(listener) {
        listeners.push(listener);
        return () => listeners.splice(listeners.indexOf(listener), 1);
      },
      onSignal: () => () => {},
    };
    const input = new TransformStream<Uint8Array, Uint8Array>();
    const writer = input.writable.getWriter();
    const captured = captureIo({ env: { USER: "ops" }, stdinIsTerminal: true, terminal });
    captured.io.stdin = input.readable;
    const running = runCli(rootCommand, [
      "--kubeconfig",
      fixture.kubeconfig,
      "exec",
      "-it",
      "web-0",
      "--record",
      cast,
      "--",
      "sh",
      "-c",
      "echo ready; read line; stty size",
    ], captured.io);
    while (!captured.stdout().includes("ready")) {
      await new Promise((r) => setTimeout(r, 20));
    }
    size = { columns: 90, rows: 20 };
    for (const listener of [...listeners]) listener();
    const encoder = new TextEncoder();
    // The remote PTY must have the new size before `stty size` runs.
    const session = () => execRequests(fixture.server)[0]?.session;
    while (!session()?.resizes.some((size) => size.width === 90 && size.height === 20)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await writer.write(encoder.encode("go\r"));
    await writer.close();
    assert.equal(await running, 0);
    const recording = await castOf(cast);
    assert.equal(recording.header.width, 100);
    assert.equal(recording.header.height, 30);
    assert.deepEqual(recording.events.filter((e) => e.type === "r").map((e) => e.data), ["90x20"]);
    assert.match(recording.output, /20 90/);
    assert.equal(recording.output, captured.stdout());
  });
});

Deno.test("attach is recorded and audited like exec", async () => {
  await withFixture(async (fixture) => {
    fixture.server.pods.add({
      name: "talker",
      containers: [{ name: "main", command: ["sh", "-c", "echo attached-output; sleep 0.2"] }],
    });
    const cast = `${fixture.dir}/attach.cast`;
    const audit = `${fixture.dir}/attach.jsonl`;
    const result = await run(fixture, ["attach", "talker", "--record", cast, "--audit-log", audit]);
    const [line] = await auditLines(audit);
    assert.equal(line.verb, "attach");
    assert.equal(line.pod, "talker");
    assert.equal(line.container, "main");
    assert.equal(line.exitCode, result.code);
    // kubectl's prompt line (stderr) comes before the session's output.
    assert.match(result.stderr, /^If you don't see a command prompt, try pressing enter\.\n$/);
    assert.equal((await castOf(cast)).output, result.stderr + result.stdout);
  });
});

Deno.test("policy values: empty and 0/false/no/off are off", () => {
  const env = (values: Record<string, string>) => (name: string) => values[name];
  assert.deepEqual(policyFromEnv(env({})), {
    recordDir: undefined,
    auditLog: undefined,
    requireReason: false,
    failClosed: false,
  });
  assert.equal(policyFromEnv(env({ KUBEXEC_REQUIRE_REASON: "off" })).requireReason, false);
  assert.equal(policyFromEnv(env({ KUBEXEC_REQUIRE_REASON: "FALSE" })).requireReason, false);
  assert.equal(policyFromEnv(env({ KUBEXEC_FAIL_CLOSED: "1" })).failClosed, true);
  assert.equal(policyFromEnv(env({ KUBEXEC_RECORD_DIR: "" })).recordDir, undefined);
});

Deno.test("a process Io's output sinks: sessions write to them, and a recording still sees the output", async () => {
  await withFixture(async (fixture) => {
    // An Io like processIo's: streams over the sinks, registered with them. Here the streams
    // keep what they get apart from what reaches the sinks directly.
    const direct = { stdout: "", stderr: "" };
    const viaStreams = { stdout: "", stderr: "" };
    const decoder = new TextDecoder();
    const sinkTo = (key: "stdout" | "stderr") => ({
      write: (chunk: Uint8Array) => void (direct[key] += decoder.decode(chunk)),
    });
    const streamTo = (key: "stdout" | "stderr") =>
      new WritableStream<Uint8Array>({
        write: (chunk) => void (viaStreams[key] += decoder.decode(chunk)),
      });
    const ioWithSinks = () =>
      registerOutputSinks({
        ...captureIo({ env: { USER: "ops" } }).io,
        stdout: streamTo("stdout"),
        stderr: streamTo("stderr"),
      }, { stdout: sinkTo("stdout"), stderr: sinkTo("stderr") });
    const script = ["--", "sh", "-c", "echo out; echo err >&2"];
    const argv = ["--kubeconfig", fixture.kubeconfig, "exec", "web-0"];

    assert.equal(await runCli(rootCommand, [...argv, ...script], ioWithSinks()), 0);
    assert.deepEqual(direct, { stdout: "out\n", stderr: "err\n" });
    assert.deepEqual(viaStreams, { stdout: "", stderr: "" });

    // A recording wraps the Io in one of its own (spread from it): the session must write to the
    // wrapping streams, which feed the recording and then the process's streams.
    direct.stdout = direct.stderr = "";
    const cast = `${fixture.dir}/sinks.cast`;
    const recorded = [...argv, "--record", cast, ...script];
    assert.equal(await runCli(rootCommand, recorded, ioWithSinks()), 0);
    assert.equal((await castOf(cast)).output, "out\nerr\n");
    assert.deepEqual(viaStreams, { stdout: "out\n", stderr: "err\n" });
    assert.deepEqual(direct, { stdout: "", stderr: "" });
  });
});
