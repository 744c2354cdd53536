/**
 * `kubexec doctor` through the CLI: the rendering (ASCII words off a terminal, marks and colour on
 * one), cause and fix lines under failures, and the exit code (0 with no failure, 1 otherwise).
 *
 * @module
 */
import assert from "node:assert/strict";
import { runCli } from "../../lib/cli/app.ts";
import { doctorCommand, renderStep } from "../../lib/cli/commands/doctor.ts";
import type { Command } from "../../lib/cli/command.ts";
import { captureIo } from "../support/cli_io.ts";
import { startFakeApiServer } from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { runKubexec } from "../support/oracle.ts";

const root: Command = {
  name: "kubexec",
  short: "",
  long: "",
  usage: "",
  subcommands: [doctorCommand],
};

Deno.test("renderStep: ASCII words and aligned cause/fix lines off a terminal", () => {
  const text = renderStep(
    { step: "tls", status: "fail", summary: "bad", cause: "why", fix: "how" },
    { glyphs: false, color: false },
  );
  assert.equal(
    text,
    "FAIL tls             bad\n" +
      "                     cause: why\n" +
      "                     fix:   how\n",
  );
  assert.equal(
    renderStep({ step: "dns", status: "ok", summary: "fine", cause: "ignored" }, {
      glyphs: false,
      color: false,
    }),
    "ok   dns             fine\n",
  );
});

Deno.test("renderStep: marks on a terminal, coloured only when colour is allowed", () => {
  const plain = renderStep({ step: "proxy", status: "skip", summary: "s" }, {
    glyphs: true,
    color: false,
  });
  assert.equal(plain, "- proxy           s\n");
  const coloured = renderStep({ step: "tcp", status: "fail", summary: "x", cause: "c" }, {
    glyphs: true,
    color: true,
  });
  assert.equal(coloured, "\x1b[31m✗\x1b[0m tcp             x\n                  cause: c\n");
  assert.match(
    renderStep({ step: "tls", status: "warn", summary: "w" }, { glyphs: true, color: false }),
    /^! tls/,
  );
});

Deno.test("doctor: exit 0 and one line per step when everything passes", async () => {
  const server = await startFakeApiServer({
    pods: [{ name: "web-0", containers: [{ name: "a" }] }],
  });
  try {
    const kubeconfig = await writeKubeconfig(server, { user: "token" });
    const { io, stdout, stderr } = captureIo();
    const code = await runCli(root, ["doctor", "--kubeconfig", kubeconfig, "web-0"], io);
    assert.equal(stderr(), "");
    assert.equal(code, 0, stdout());
    const lines = stdout().trimEnd().split("\n");
    assert.deepEqual(
      lines.slice(0, -2).map((line) => line.slice(0, 20).trimEnd()),
      [
        "ok   kubeconfig",
        "ok   credentials",
        "ok   dns",
        "ok   tcp",
        "ok   proxy",
        "ok   tls",
        "ok   authentication",
        "ok   authorization",
        "ok   authorization",
        "ok   authorization",
        "ok   protocol",
      ],
    );
    assert.equal(lines.at(-1), "No problems found.");
  } finally {
    await server.close();
  }
});

Deno.test("doctor: exit 1 with cause and fix when a step fails", async () => {
  const server = await startFakeApiServer();
  try {
    const kubeconfig = await writeKubeconfig(server, { user: "token", token: "wrong" });
    const { io, stdout } = captureIo();
    const code = await runCli(root, ["doctor", "--kubeconfig", kubeconfig], io);
    assert.equal(code, 1);
    assert.match(stdout(), /^FAIL authentication {2}401 Unauthorized/m);
    assert.match(stdout(), /^ {21}cause: the bearer token is expired/m);
    assert.match(stdout(), /^ {21}fix: {3}get a fresh token/m);
    assert.match(stdout(), /^skip protocol/m);
    assert.match(stdout(), /\n1 check failed\.\n$/);
  } finally {
    await server.close();
  }
});

Deno.test("doctor -o json: every result in one document, the same exit code", async () => {
  const server = await startFakeApiServer();
  try {
    const kubeconfig = await writeKubeconfig(server, { user: "token", token: "wrong" });
    const { io, stdout } = captureIo();
    const code = await runCli(root, ["doctor", "--kubeconfig", kubeconfig, "-o", "json"], io);
    assert.equal(code, 1);
    const report = JSON.parse(stdout());
    assert.equal(report.failed, 1);
    assert.equal(report.steps.length, 9);
    assert.deepEqual(report.steps[6], {
      step: "authentication",
      status: "fail",
      summary: "401 Unauthorized: the server rejected the credentials",
      cause: "the bearer token is expired, revoked or for another cluster",
      fix: "get a fresh token for this cluster",
    });
  } finally {
    await server.close();
  }
});

Deno.test("doctor: an unknown --output is a usage error", async () => {
  const { io, stderr } = captureIo();
  assert.equal(await runCli(root, ["doctor", "-o", "yaml"], io), 1);
  assert.match(stderr(), /^error: --output must be 'json'\n/);
});

Deno.test("doctor: more than one target is a usage error", async () => {
  const { io, stderr } = captureIo();
  const code = await runCli(root, ["doctor", "a", "b"], io);
  assert.equal(code, 1);
  assert.match(stderr(), /^error: doctor takes at most one pod or TYPE\/NAME, got 2\n/);
});

Deno.test("doctor: the shipped permissions suffice (name lookup, TLS inspection, exec upgrade)", async () => {
  const server = await startFakeApiServer({
    pods: [{ name: "web-0", containers: [{ name: "a" }] }],
  });
  try {
    const port = new URL(server.url).port;
    const kubeconfig = await writeKubeconfig(server, {
      user: "token",
      server: `https://localhost:${port}`,
    });
    const result = await runKubexec(["doctor", "--kubeconfig", kubeconfig, "web-0"]);
    assert.equal(result.stderr, "");
    assert.equal(result.code, 0, result.stdout);
    assert.match(result.stdout, /^ok {3}dns {13}localhost \(the API server\) resolves to /m);
    assert.match(result.stdout, /^ok {3}protocol/m);
  } finally {
    await server.close();
  }
});
