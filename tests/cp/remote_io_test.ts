import assert from "node:assert/strict";
import {
  looksLikeMissingExecutable,
  type RemoteExec,
  RemoteExecError,
} from "../../lib/cp/remote_exec.ts";
import { isMissingExecutableExit, lineSink, runCaptured } from "../../lib/cp/remote_io.ts";

const encoder = new TextEncoder();

Deno.test("remote io: line sink splits across chunks, strips CR, bounds a runaway line", async () => {
  const lines: string[] = [];
  const sink = lineSink((line) => lines.push(line));
  const first = sink.stream().getWriter();
  await first.write(encoder.encode("tar: Removing lead"));
  await first.write(encoder.encode("ing `/'\r\nsecond\nthi"));
  await first.close();
  // A later command gets its own stream; the sink carries the partial line over.
  const second = sink.stream().getWriter();
  await second.write(encoder.encode("rd"));
  sink.flush();
  assert.deepEqual(lines, ["tar: Removing leading `/'", "second", "third"]);
  await second.write(encoder.encode("x".repeat(70 * 1024)));
  assert.equal(lines.at(-1)!.length, 70 * 1024);
  assert.equal(sink.tail().split("\n").length, 4);
});

Deno.test("remote io: missing executables are recognized from runtimes and shells, not other errors", () => {
  assert.ok(
    looksLikeMissingExecutable(
      'OCI runtime exec failed: exec: "tar": executable file not found in $PATH: unknown',
    ),
  );
  assert.ok(
    looksLikeMissingExecutable('exec: "/bin/tar": stat /bin/tar: no such file or directory'),
  );
  assert.ok(looksLikeMissingExecutable("sh: 1: tar: not found"));
  assert.ok(looksLikeMissingExecutable("bash: tar: command not found"));
  assert.ok(!looksLikeMissingExecutable('pods "web-0" not found in namespace'));
  assert.ok(!looksLikeMissingExecutable("tar: /x: Cannot stat: No such file or directory"));
  assert.ok(isMissingExecutableExit(127, "sh: 1: tar: not found"));
  assert.ok(!isMissingExecutableExit(2, "sh: 1: tar: not found"));
});

Deno.test("remote io: runCaptured turns a failed start into missingExecutable and rethrows lost connections", async () => {
  const notFound: RemoteExec = () =>
    Promise.reject(
      new RemoteExecError('exec: "sha256sum": executable file not found in $PATH', {
        connectionLost: false,
      }),
    );
  const run = await runCaptured(notFound, ["sha256sum", "/x"]);
  assert.equal(run.missingExecutable, true);
  assert.equal(run.exitCode, 127);
  const lost: RemoteExec = () =>
    Promise.reject(new RemoteExecError("reset", { connectionLost: true }));
  await assert.rejects(runCaptured(lost, ["test", "-d", "/"]), RemoteExecError);
  const chatty: RemoteExec = async (_command, { stdout }) => {
    const writer = stdout.getWriter();
    await writer.write(new Uint8Array(100 * 1024).fill(0x61));
    writer.releaseLock();
    return { exitCode: 0 };
  };
  assert.equal((await runCaptured(chatty, ["cat"])).stdout.length, 64 * 1024);
});
