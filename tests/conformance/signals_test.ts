/**
 * SIGTERM and SIGHUP to kubexec during `exec -i POD -- cat` (no TTY): the server sees the v5
 * stdin CLOSE, so the remote command is not left waiting on an open stdin, and kubexec exits with
 * 128 + the signal's number (143, 129) as shells report a command ended by a signal. The TTY
 * variant (EOF byte first, terminal restored) is in `tty_test.ts`.
 */
import assert from "node:assert/strict";
import { startFakeApiServer } from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { SHIPPED_PERMISSIONS } from "../support/oracle.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  expected: string,
): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes(expected)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

for (const [signal, code] of [["SIGTERM", 143], ["SIGHUP", 129], ["SIGQUIT", 131]] as const) {
  Deno.test(`signals: ${signal} during exec -i closes the remote stdin and exits ${code}`, async () => {
    const server = await startFakeApiServer({
      pods: [{ name: "web-0", containers: [{ name: "app" }] }],
    });
    try {
      const kubeconfig = await writeKubeconfig(server, { user: "token" });
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          ...SHIPPED_PERMISSIONS,
          MAIN,
          "--kubeconfig",
          kubeconfig,
          "exec",
          "-i",
          "web-0",
          "--",
          "cat",
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        env: { HOME: server.tempDir, NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "" },
        clearEnv: true,
      }).spawn();
      const stderr = new Response(child.stderr).text();
      const stdin = child.stdin.getWriter();
      const stdout = child.stdout.getReader();
      try {
        await stdin.write(new TextEncoder().encode("ping\n"));
        // The echo proves the session is up and cat is reading; stdin stays open.
        assert.equal(await readUntil(stdout, "ping\n"), "ping\n");
        const session = server.requests.findLast((request) => request.session)?.session;
        assert.ok(session);
        assert.equal(session.stdinClosed, false);
        child.kill(signal);
        const status = await child.status;
        await session.done;
        assert.equal(status.code, code);
        assert.equal(session.stdinClosed, true, "the server saw the v5 stdin CLOSE");
        assert.equal(session.stdinBytes, 5, "no EOF byte without a TTY");
        assert.equal(await readUntil(stdout, "\u0000never"), "");
        assert.equal(await stderr, "");
      } finally {
        await stdin.close().catch(() => {});
        stdout.releaseLock();
        await child.stdout.cancel().catch(() => {});
      }
    } finally {
      await server.close();
    }
  });
}
