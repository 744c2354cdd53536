/**
 * kubectl attach's two lines around a session, in-process against the fake API server: "If you
 * don't see a command prompt, try pressing enter." on stderr unless `-q` (with or without `-i`),
 * and after an `-it` session on a terminal, "Session ended, resume using …" on stdout, only for a
 * pod that restarts its containers (`restartPolicy: Always`), worded for ephemeral containers.
 */
import assert from "node:assert/strict";
import { type FakeApiServer, startFakeApiServer } from "../support/fake_apiserver.ts";
import type { ContainerInput } from "../support/fake_apiserver/types.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { captureIo } from "../support/cli_io.ts";
import { runCli } from "../../lib/cli/app.ts";
import { rootCommand } from "../../lib/cli/root.ts";
import { type EndingSignal, noTerminal } from "../../lib/cli/io.ts";

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

/** A fake API server with `shell`, a pod whose main process is an interactive shell on a TTY. */
async function withShellPod(body: (server: FakeApiServer, kubeconfig: string) => Promise<void>) {
  const server = await startFakeApiServer({ pods: [] });
  try {
    server.pods.add({
      name: "shell",
      containers: [{ name: "app", command: ["sh", "-i"], stdin: true, tty: true }],
    });
    await body(server, await writeKubeconfig(server, { user: "token" }));
  } finally {
    await server.close();
  }
}

Deno.test("attach -it: a signal ends kubexec, not the container's shell (no EOF byte sent)", async () => {
  await withShellPod(async (server, kubeconfig) => {
    const encoder = new TextEncoder();
    /** Attaches, asks the shell its pid, then ends kubexec with `signal`; the pid and exit code. */
    const attachAndSignal = async (signal: "SIGTERM" | "SIGHUP" | "SIGQUIT") => {
      const listeners: ((signal: EndingSignal) => void)[] = [];
      const input = new TransformStream<Uint8Array, Uint8Array>();
      const writer = input.writable.getWriter();
      const captured = captureIo({
        stdinIsTerminal: true,
        terminal: {
          ...noTerminal,
          size: () => ({ columns: 80, rows: 24 }),
          onSignal(listener) {
            listeners.push(listener);
            return () => listeners.splice(listeners.indexOf(listener), 1);
          },
        },
      });
      captured.io.stdin = input.readable;
      const running = runCli(
        rootCommand,
        ["--kubeconfig", kubeconfig, "attach", "-it", "-q", "shell"],
        captured.io,
      );
      await writer.write(encoder.encode("echo pid-$$\n"));
      let pid: string | undefined;
      while (!(pid = /pid-(\d+)/.exec(captured.stdout())?.[1])) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      for (const listener of [...listeners]) listener(signal);
      const code = await running;
      await writer.close().catch(() => {});
      return { pid, code };
    };
    const first = await attachAndSignal("SIGTERM");
    assert.equal(first.code, 143);
    const second = await attachAndSignal("SIGQUIT");
    assert.equal(second.code, 131);
    assert.equal(second.pid, first.pid, "the same shell: the signal did not end it");
    const third = await attachAndSignal("SIGHUP");
    assert.equal(third.pid, first.pid);
    const attaches = server.requests.filter((request) => request.url.pathname.endsWith("/attach"));
    assert.equal(attaches.length, 3);
  });
});

Deno.test("exec -it: a terminal that went away (EIO on stdin) is the hang-up, exit 129", async () => {
  await withShellPod(async (server, kubeconfig) => {
    let fail!: (error: Error) => void;
    const stdin = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("echo up\n"));
        fail = (error) => controller.error(error);
      },
    });
    const captured = captureIo({
      stdinIsTerminal: true,
      terminal: { ...noTerminal, size: () => ({ columns: 80, rows: 24 }) },
    });
    captured.io.stdin = stdin;
    const running = runCli(
      rootCommand,
      ["--kubeconfig", kubeconfig, "exec", "-it", "shell", "--", "sh"],
      captured.io,
    );
    while (!captured.stdout().includes("up")) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // What a closed terminal window does to the next read, before any SIGHUP.
    fail(new Error("Input/output error (os error 5)"));
    assert.equal(await running, 129, captured.stderr());
    assert.doesNotMatch(captured.stderr(), /Input\/output error/);
    const session = server.requests.findLast((request) => request.session)?.session;
    assert.ok(session);
    await session.done;
  });
});

Deno.test("attach -i: piped stdin is not scanned for detach keys", async () => {
  const server = await startFakeApiServer({ pods: [] });
  try {
    server.pods.add({
      name: "cat",
      containers: [{ name: "app", command: ["cat"], stdin: true, stdinOnce: true }],
    });
    const kubeconfig = await writeKubeconfig(server, { user: "token" });
    // ctrl-p, ctrl-q in the data: the default detach keys, meaningless in a pipe.
    const data = "one\x10\x11two\nthree\n";
    const captured = captureIo({ stdin: data, stdinIsTerminal: false });
    const code = await runCli(
      rootCommand,
      ["--kubeconfig", kubeconfig, "attach", "-i", "-q", "cat"],
      captured.io,
    );
    assert.equal(code, 0, captured.stderr());
    assert.equal(captured.stdout(), data);
  } finally {
    await server.close();
  }
});

Deno.test("attach -it: detaching is audited as 'detached', not as a reported status", async () => {
  await withShellPod(async (server, kubeconfig) => {
    const audit = `${server.tempDir}/detach-audit.jsonl`;
    const input = new TransformStream<Uint8Array, Uint8Array>();
    const writer = input.writable.getWriter();
    const captured = captureIo({
      stdinIsTerminal: true,
      terminal: { ...noTerminal, size: () => ({ columns: 80, rows: 24 }) },
    });
    captured.io.stdin = input.readable;
    const running = runCli(
      rootCommand,
      ["--kubeconfig", kubeconfig, "attach", "-it", "-q", "--audit-log", audit, "shell"],
      captured.io,
    );
    await writer.write(new TextEncoder().encode("echo ready\n"));
    while (!captured.stdout().includes("ready")) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await writer.write(Uint8Array.of(0x10, 0x11));
    assert.equal(await running, 0);
    await writer.close().catch(() => {});
    const [line] = (await Deno.readTextFile(audit)).trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(line.endedBy, "detached");
    assert.equal(line.exitCode, 0);
  });
});
