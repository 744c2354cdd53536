/**
 * Replay: `kubexec play` in-process (output, errors, Ctrl-C), a session killed with SIGKILL still
 * leaves a playable recording, and under a real terminal (tmux) a recorded `exec -it` session and
 * its `kubexec play` leave the same screen. Also the default shell of `exec -it POD`.
 */
import assert from "node:assert/strict";
import { type FakeApiServer, startFakeApiServer } from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { captureIo } from "../support/cli_io.ts";
import { SHIPPED_PERMISSIONS } from "../support/oracle.ts";
import { tmuxAvailable, TmuxPane } from "../support/tmux.ts";
import { runCli } from "../../lib/cli/app.ts";
import { rootCommand } from "../../lib/cli/root.ts";
import type { TerminalControl } from "../../lib/cli/io.ts";
import { parseMaxWait, parseSpeed } from "../../lib/cli/commands/play.ts";
import { DEFAULT_SHELL_COMMAND } from "../../lib/cli/commands/exec.ts";
import { UsageError } from "../../lib/cli/command.ts";
import { readAsciicast } from "../../lib/record/replay.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kubexec-play-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function play(args: string[], terminal?: TerminalControl) {
  const captured = captureIo({ terminal });
  const code = await runCli(rootCommand, ["play", ...args], captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

const CAST = [
  '{"version":2,"width":80,"height":24}',
  '[0.01,"o","hello "]',
  '[0.02,"i","ignored"]',
  '[0.03,"o","world\\r\\n"]',
  '[0.03,"r","100x30"]',
  "",
].join("\n");

Deno.test("play writes the recorded output; errors name the file and the problem", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/ok.cast`, CAST);
    const ok = await play([`${dir}/ok.cast`, "--speed", "4"]);
    assert.deepEqual(ok, { code: 0, stdout: "hello world\r\n", stderr: "" });
    const missing = await play([`${dir}/missing.cast`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: cannot play .*missing\.cast: No such file or directory/);
    await Deno.writeTextFile(`${dir}/v1.cast`, '{"version":1,"width":80,"height":24}\n');
    const v1 = await play([`${dir}/v1.cast`]);
    assert.equal(v1.code, 1);
    assert.match(
      v1.stderr,
      /^error: cannot play .*v1\.cast: not a valid asciicast v2 recording: line 1: asciicast version 1 is not supported/,
    );
    const noFile = await play([]);
    assert.equal(noFile.code, 1);
    assert.match(noFile.stderr, /^error: play needs exactly one recording file\n/);
    const badSpeed = await play([`${dir}/ok.cast`, "--speed", "fast"]);
    assert.match(badSpeed.stderr, /^error: invalid --speed "fast": must be a number above 0/);
  });
});

Deno.test("play stops at Ctrl-C with exit 130", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/long.cast`,
      '{"version":2,"width":80,"height":24}\n[0,"o","first\\n"]\n[3600,"o","an hour later\\n"]\n',
    );
    let interrupt: (() => void) | undefined;
    const terminal: TerminalControl = {
      size: () => undefined,
      setRaw: () => {},
      onResize: () => () => {},
      onSignal(listener) {
        interrupt = () => listener("SIGINT");
        return () => {
          interrupt = undefined;
        };
      },
    };
    const running = play([`${dir}/long.cast`], terminal);
    while (!interrupt) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 20));
    interrupt();
    const result = await running;
    assert.deepEqual(result, { code: 130, stdout: "first\n", stderr: "" });
  });
});

Deno.test("--max-wait takes seconds or a duration; --speed a positive number", () => {
  assert.equal(parseMaxWait(""), undefined);
  assert.equal(parseMaxWait("2"), 2000);
  assert.equal(parseMaxWait("0.5"), 500);
  assert.equal(parseMaxWait("250ms"), 250);
  assert.throws(() => parseMaxWait("soon"), UsageError);
  assert.throws(() => parseMaxWait("-1s"), /must not be negative/);
  assert.equal(parseSpeed("0.5"), 0.5);
  assert.throws(() => parseSpeed("0"), UsageError);
  assert.throws(() => parseSpeed(""), UsageError);
});

async function withServer(body: (server: FakeApiServer, kubeconfig: string) => Promise<void>) {
  const server = await startFakeApiServer({
    pods: [{ name: "web-0", containers: [{ name: "app" }] }],
  });
  try {
    await body(server, await writeKubeconfig(server, { user: "token" }));
  } finally {
    await server.close();
  }
}

Deno.test("a session killed with SIGKILL leaves a valid recording up to its last event", async () => {
  await withServer(async (server, kubeconfig) => {
    const cast = `${server.tempDir}/killed.cast`;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...SHIPPED_PERMISSIONS,
        MAIN,
        "--kubeconfig",
        kubeconfig,
        "exec",
        "web-0",
        "--record",
        cast,
        "--",
        "sh",
        "-c",
        "echo started; sleep 0.1; echo still here; exec sleep 30",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
      env: { HOME: server.tempDir, NO_COLOR: "1" },
      clearEnv: true,
    }).spawn();
    try {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const text = await Deno.readTextFile(cast).catch(() => "");
        if (text.includes(`"o","still here`)) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      child.kill("SIGKILL");
      await child.status;
    }
    assert.equal((await Deno.stat(cast)).mode! & 0o777, 0o600);
    const file = await Deno.open(cast);
    const { header, events } = await readAsciicast(file.readable);
    let output = "";
    for await (const event of events) output += event.data;
    assert.equal(header.width, 80);
    assert.equal(output, "started\nstill here\n");
  });
});

Deno.test("exec -it without a command runs bash when the container has it, else sh", async () => {
  await withServer(async (server, kubeconfig) => {
    const shOnly = `${server.tempDir}/sh-only`;
    await Deno.mkdir(shOnly);
    await Deno.symlink("/bin/sh", `${shOnly}/sh`);
    server.pods.add({ name: "no-bash", containers: [{ name: "app" }], env: { PATH: shOnly } });
    const shell = async (pod: string) => {
      const captured = captureIo({ stdin: 'echo "bash=${BASH_VERSION:-none}"\n' });
      const code = await runCli(
        rootCommand,
        ["--kubeconfig", kubeconfig, "exec", "-it", pod],
        captured.io,
      );
      return { code, stdout: captured.stdout(), stderr: captured.stderr() };
    };
    const withBash = await shell("web-0");
    assert.equal(withBash.code, 0);
    assert.match(withBash.stdout, /^bash=\d/);
    assert.equal(
      withBash.stderr,
      "Unable to use a TTY - input is not a terminal or the right kind of file\n",
    );
    const withoutBash = await shell("no-bash");
    assert.equal(withoutBash.code, 0);
    assert.equal(withoutBash.stdout, "bash=none\n");
    const request = server.requests.find((r) => r.url.pathname.endsWith("/exec"))!;
    assert.deepEqual(request.url.searchParams.getAll("command"), DEFAULT_SHELL_COMMAND);
  });
});

const tmux = await tmuxAvailable();

async function finalScreen(pane: TmuxPane): Promise<string> {
  await pane.waitUntil(
    "the program to exit",
    async () => (await pane.display("#{pane_dead}")) === "1",
  );
  return (await pane.screen()).split("\n").filter((line) => !line.startsWith("Pane is dead"))
    .join("\n").trimEnd();
}

Deno.test({
  name: "under a real terminal, kubexec play leaves the screen the recorded session left",
  ignore: !tmux,
  async fn() {
    await withServer(async (server, kubeconfig) => {
      const cast = `${server.tempDir}/tty.cast`;
      const env = {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: server.tempDir,
        NO_COLOR: "1",
      };
      const kubexec = [Deno.execPath(), "run", ...SHIPPED_PERMISSIONS, MAIN];
      const script = "printf 'hello\\n'; printf '\\033[1mbold\\033[0m and plain\\n'; " +
        "printf 'abcdef\\rXY\\n'; printf '\\033[2;30Hmoved'; printf '\\033[5;1H'; stty size";
      const session = await TmuxPane.start({
        columns: 90,
        rows: 20,
        command: [
          ...kubexec,
          "--kubeconfig",
          kubeconfig,
          "exec",
          "-it",
          "web-0",
          "--record",
          cast,
          "--",
          "sh",
          "-c",
          script,
        ],
        env,
      });
      let recorded: string;
      try {
        recorded = await finalScreen(session);
      } finally {
        await session.close();
      }
      assert.match(recorded, /^hello$/m);
      assert.match(recorded, /^XYcdef$/m);
      assert.match(recorded, /moved/);
      assert.match(recorded, /^20 90$/m);
      const replay = await TmuxPane.start({
        columns: 90,
        rows: 20,
        command: [...kubexec, "play", cast, "--max-wait", "0.05"],
        env,
      });
      try {
        assert.equal(await finalScreen(replay), recorded);
      } finally {
        await replay.close();
      }
    });
  },
});
