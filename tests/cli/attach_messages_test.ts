/**
 * kubectl attach's two lines around a session, in-process against the fake API server: "If you
 * don't see a command prompt, try pressing enter." on stderr unless `-q` (with or without `-i`),
 * and after an `-it` session on a terminal, "Session ended, resume using …" on stdout, only for a
 * pod that restarts its containers (`restartPolicy: Always`), worded for ephemeral containers.
 */
import assert from "node:assert/strict";
import { startFakeApiServer } from "../support/fake_apiserver.ts";
import type { ContainerInput } from "../support/fake_apiserver/types.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { captureIo } from "../support/cli_io.ts";
import { runCli } from "../../lib/cli/app.ts";
import { rootCommand } from "../../lib/cli/root.ts";
import { noTerminal } from "../../lib/cli/io.ts";

const PROMPT = "If you don't see a command prompt, try pressing enter.\n";

Deno.test("attach: the prompt line unless -q, and the resume line only where a restart resumes", async () => {
  const server = await startFakeApiServer({ pods: [] });
  try {
    const shell: ContainerInput = {
      name: "app",
      command: ["sh", "-c", "echo hi"],
      stdin: true,
      tty: true,
    };
    server.pods.add({ name: "always", containers: [shell] });
    server.pods.add({ name: "never", restartPolicy: "Never", containers: [shell] });
    server.pods.add({
      name: "debugged",
      containers: [{ name: "app", command: ["sh", "-c", "echo main"] }],
      ephemeralContainers: [{ ...shell, name: "dbg" }],
    });
    server.pods.add({
      name: "plain",
      containers: [{ name: "app", command: ["sh", "-c", "echo plain"] }],
    });
    const kubeconfig = await writeKubeconfig(server, { user: "token" });
    const run = async (args: string[], terminal: boolean) => {
      const captured = captureIo({
        stdin: "",
        stdinIsTerminal: terminal,
        terminal: { ...noTerminal, size: () => ({ columns: 80, rows: 24 }) },
      });
      const code = await runCli(rootCommand, ["--kubeconfig", kubeconfig, ...args], captured.io);
      return { code, stdout: captured.stdout(), stderr: captured.stderr() };
    };

    // Without -i, as with it (kubectl prints the line whenever it is not quiet).
    const plain = await run(["attach", "plain"], false);
    assert.deepEqual(plain, { code: 0, stdout: "plain\n", stderr: PROMPT });
    assert.equal((await run(["attach", "-q", "plain"], false)).stderr, "");

    const always = await run(["attach", "-it", "always"], true);
    assert.equal(always.code, 0, always.stderr);
    assert.equal(always.stderr, PROMPT);
    assert.match(
      always.stdout,
      /\nSession ended, resume using 'kubexec attach always -c app -i -t' command when the pod is running\n$/,
    );
    const never = await run(["attach", "-it", "never"], true);
    assert.equal(never.code, 0, never.stderr);
    assert.doesNotMatch(never.stdout + never.stderr, /Session ended/);
    const ephemeral = await run(["attach", "-it", "debugged", "-c", "dbg"], true);
    assert.match(
      ephemeral.stdout,
      /\nSession ended, the ephemeral container will not be restarted but may be reattached using 'kubexec attach debugged -c dbg -i -t' if it is still running\n$/,
    );
    assert.doesNotMatch((await run(["attach", "-it", "-q", "always"], true)).stdout, /Session/);
  } finally {
    await server.close();
  }
});
