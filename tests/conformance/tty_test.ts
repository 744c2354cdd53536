/**
 * `kubexec exec -it POD -- sh` under a real pseudo-terminal (tmux), against the fake API server
 * whose exec runs `sh` under a PTY of its own (util-linux `script`): the initial size matches the
 * pane, a pane resize reaches the remote PTY, the local terminal is raw while the session runs
 * (Ctrl-C interrupts the remote `sleep`, not kubexec), and the local terminal is restored after a
 * normal exit and after SIGTERM or SIGHUP to kubexec, which first sends the EOF byte and the v5
 * stdin close so a remote shell does not linger.
 */
import assert from "node:assert/strict";
import { type FakeApiServer, startFakeApiServer } from "../support/fake_apiserver.ts";
import type { SessionLog } from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { SHIPPED_PERMISSIONS } from "../support/oracle.ts";
import { isCooked, ScreenTimeoutError, tmuxAvailable, TmuxPane } from "../support/tmux.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const LOCAL_PROMPT = "local$ ";
const REMOTE_PROMPT = "remote$ ";

function count(text: string, pattern: RegExp): number {
  return [...text.matchAll(pattern)].length;
}

function execSessions(server: FakeApiServer): SessionLog[] {
  return server.requests
    .filter((request) => request.url.pathname.endsWith("/exec") && request.session)
    .map((request) => request.session!);
}

async function readPid(path: string): Promise<number> {
  const pid = Number((await Deno.readTextFile(path)).trim());
  assert.ok(Number.isInteger(pid) && pid > 0, `no pid in ${path}`);
  return pid;
}

function isAlive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

interface Harness {
  server: FakeApiServer;
  pane: TmuxPane;
  /** The kubexec command line typed into the local shell. */
  kubexecLine: string;
  /** Where the line writes kubexec's pid (it execs kubexec from a `sh -c` that records `$$`). */
  pidFile: string;
  /** `stty -g` of the pane before kubexec ran. */
  cookedSettings: string;
}

async function withHarness(body: (harness: Harness) => Promise<void>): Promise<void> {
  // dash takes its prompt from the $ENV file of an interactive shell, not from PS1 in the
  // environment (it sets "# " for root).
  const server = await startFakeApiServer({ pods: [] });
  let pane: TmuxPane | undefined;
  try {
    const remoteRc = `${server.tempDir}/remote.rc`;
    const localRc = `${server.tempDir}/local.rc`;
    await Deno.writeTextFile(remoteRc, `PS1='${REMOTE_PROMPT}'\n`);
    await Deno.writeTextFile(localRc, `PS1='${LOCAL_PROMPT}'\n`);
    server.pods.add({ name: "web-0", containers: [{ name: "app" }], env: { ENV: remoteRc } });
    const kubeconfig = await writeKubeconfig(server, { user: "token" });
    pane = await TmuxPane.start({
      columns: 100,
      rows: 30,
      command: ["/bin/sh"],
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: server.tempDir,
        ENV: localRc,
        NO_COLOR: "1",
      },
    });
    await pane.waitFor(/local\$$/);
    const pidFile = `${server.tempDir}/kubexec.pid`;
    const kubexecLine = [
      "sh",
      "-c",
      `'echo $$ > ${pidFile}; exec "$0" "$@"'`,
      Deno.execPath(),
      "run",
      ...SHIPPED_PERMISSIONS,
      MAIN,
      "--kubeconfig",
      kubeconfig,
      "exec",
      "-it",
      "web-0",
      "--",
      "sh",
    ].join(" ");
    const cookedSettings = await pane.stty("-g");
    assert.ok(isCooked(await pane.stty("-a")), "the pane starts in cooked mode");
    await body({ server, pane, kubexecLine, pidFile, cookedSettings });
  } finally {
    await pane?.close();
    await server.close();
  }
}

/** Starts kubexec in the pane and waits for the remote prompt of session number `nth`. */
async function startSession(harness: Harness, nth: number): Promise<SessionLog> {
  const { pane, server, kubexecLine } = harness;
  await pane.type(`${kubexecLine}\n`);
  await pane.waitUntil(
    `remote prompt #${nth}`,
    async () => count(await pane.screen(), /remote\$/g) >= nth,
  );
  const sessions = execSessions(server);
  assert.equal(sessions.length, nth);
  return sessions[nth - 1];
}

Deno.test({
  name: "tty: size, resize, raw mode and restoration under a real terminal",
  ignore: !(await tmuxAvailable()),
  async fn() {
    await withHarness(async (harness) => {
      const { pane } = harness;
      const session = await startSession(harness, 1);
      assert.equal(session.protocol, "v5.channel.k8s.io");

      // Raw mode on the local terminal while the session runs.
      assert.equal(isCooked(await pane.stty("-a")), false, "local terminal must be raw");

      // The initial size is the pane's, and the remote PTY has it.
      const initial = await pane.size();
      assert.deepEqual(session.resizes[0], { width: initial.columns, height: initial.rows });
      await pane.type("stty size\n");
      await pane.waitFor(new RegExp(`^${initial.rows} ${initial.columns}$`, "m"));

      // A resize of the pane reaches the server and the remote PTY.
      await pane.resize(123, 41);
      const resized = await pane.size();
      assert.deepEqual(resized, { columns: 123, rows: 41 });
      await pane.waitUntil(
        "the resize in the server's session log",
        () => session.resizes.some((size) => size.width === 123 && size.height === 41),
      );
      await pane.type("stty size\n");
      await pane.waitFor(/^41 123$/m);

      // Ctrl-C goes to the remote foreground job, not to kubexec.
      const kubexecPid = await readPid(harness.pidFile);
      await pane.type("sh -c 'echo sleeping; exec sleep 100'\n");
      await pane.waitFor(/^sleeping$/m);
      const prompts = count(await pane.screen(), /remote\$/g);
      await pane.key("C-c");
      // Typed before the shell's next prompt, the line is echoed at once and its output lands
      // behind that prompt ("remote$ after-42"): wait for the prompt first.
      await pane.waitUntil(
        "the remote prompt after Ctrl-C",
        async () => count(await pane.screen(), /remote\$/g) > prompts,
      );
      await pane.type("echo after-$((40+2))\n");
      await pane.waitFor(/^after-42$/m);
      assert.equal(execSessions(harness.server).length, 1, "still the same session");
      assert.ok(isAlive(kubexecPid), "kubexec survived Ctrl-C");

      // Leaving the remote shell ends kubexec with 0 and restores the terminal exactly.
      await pane.type("exit\n");
      await session.done;
      await pane.waitUntil(
        "the local prompt after exit",
        async () => count(await pane.screen(), /local\$/g) >= 2,
      );
      assert.equal(await pane.stty("-g"), harness.cookedSettings);
      assert.ok(isCooked(await pane.stty("-a")), "icanon, echo and isig are back");
      await pane.type("echo rc=$?\n");
      await pane.waitFor(/^rc=0$/m);
      assert.equal(session.exitCode, 0);
    });
  },
});

for (const [signal, code] of [["SIGTERM", 143], ["SIGHUP", 129], ["SIGQUIT", 131]] as const) {
  Deno.test({
    name:
      `tty: ${signal} to kubexec sends EOF and stdin close, exits ${code}, restores the terminal`,
    ignore: !(await tmuxAvailable()),
    async fn() {
      await withHarness(async (harness) => {
        const { pane } = harness;
        const session = await startSession(harness, 1);
        await pane.type("echo typed-$((6*7))\n");
        await pane.waitFor(/^typed-42$/m);
        assert.equal(isCooked(await pane.stty("-a")), false, "local terminal must be raw");
        const typedBytes = session.stdinBytes;
        const kubexecPid = await readPid(harness.pidFile);
        Deno.kill(kubexecPid, signal);
        await session.done;
        assert.equal(session.stdinClosed, true, "the server saw the v5 stdin CLOSE");
        assert.equal(session.stdinBytes, typedBytes + 1, "exactly one more byte: the EOF (0x04)");
        await pane.waitUntil(
          "the local prompt after the signal",
          async () => count(await pane.screen(), /local\$/g) >= 2,
        );
        assert.equal(await pane.stty("-g"), harness.cookedSettings);
        assert.ok(isCooked(await pane.stty("-a")), "icanon, echo and isig are back");
        await pane.type("echo rc=$?\n");
        await pane.waitFor(new RegExp(`^rc=${code}$`, "m"));
      });
    },
  });
}

Deno.test({
  name: "tty: the tmux helper names what never appeared and shows the screen",
  ignore: !(await tmuxAvailable()),
  async fn() {
    const pane = await TmuxPane.start({
      columns: 40,
      rows: 5,
      command: ["/bin/sh", "-c", "echo ready; exec sleep 60"],
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    });
    try {
      await pane.waitFor(/^ready$/m);
      const error = await pane.waitFor(/never-shown/, 100).catch((e) => e);
      assert.ok(error instanceof ScreenTimeoutError);
      assert.equal(error.awaited, "/never-shown/");
      assert.equal(error.screen, "ready");
    } finally {
      await pane.close();
    }
  },
});
