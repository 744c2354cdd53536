/**
 * exec with a TTY: the client runs inside a pseudo-terminal made by util-linux `script`, sized
 * 120x40, so kubectl (and kubexec) see a real terminal on stdin. The remote command runs on a pty
 * (the harness uses creack/pty), reports its size, and sees a resize when the outer terminal
 * changes to 100x30 (SIGWINCH → resize channel → pty). Output over a TTY mixes echo and CRLF and
 * depends on when the resize lands, so each client is checked against the same expectations
 * rather than byte-compared.
 */
import assert from "node:assert/strict";
import { cluster, kubeconfig } from "./cluster.ts";
import {
  clientEnv,
  commandLine,
  kubexecReady,
  kubexecRoot,
  repoRoot,
  type Tool,
} from "./compare.ts";

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'"'"'`)}'`;
}

async function hasScript(): Promise<boolean> {
  try {
    const output = await new Deno.Command("script", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return output.success;
  } catch {
    return false;
  }
}

const scriptAvailable = cluster ? await hasScript() : false;

/** Runs `tool args` on a 120x40 terminal that becomes 100x30 after `resizeAfter` seconds. */
async function runInTerminal(tool: Tool, args: string[], resizeAfter?: number) {
  const command = commandLine(tool, kubeconfig("admin"), args).map(shellQuote).join(" ");
  const resize = resizeAfter === undefined
    ? ""
    : `(sleep ${resizeAfter}; stty cols 100 rows 30 < /dev/tty) & `;
  const inner = `stty cols 120 rows 40; ${resize}${command}; echo "rc=$?"`;
  const child = new Deno.Command("script", {
    args: ["-qec", inner, "/dev/null"],
    cwd: tool === "kubexec" ? kubexecRoot : repoRoot,
    env: clientEnv(),
    clearEnv: true,
    // Held open and silent: an ended stdin would make `script` type an EOF into the session.
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).spawn();
  const [stdout, stderr, status] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.status,
  ]);
  await child.stdin.close();
  return { stdout, stderr, code: status.code };
}

function bothTools(name: string, check: (tool: Tool) => Promise<void>) {
  Deno.test({
    name,
    ignore: !cluster || !scriptAvailable,
    fn: async (t) => {
      await check("kubectl");
      await t.step({
        name: "kubexec meets the same expectations",
        ignore: !kubexecReady.exec?.ready,
        fn: () => check("kubexec"),
      });
    },
  });
}

bothTools(
  "tty: the remote command gets a terminal of the client's size and its exit code",
  async (tool) => {
    const result = await runInTerminal(tool, [
      "exec",
      "-it",
      "shell",
      "--",
      "sh",
      "-c",
      "stty size; tty; exit 3",
    ]);
    assert.match(result.stdout, /40 120\r\n/, `${tool}: ${JSON.stringify(result)}`);
    assert.match(result.stdout, /\/dev\/pts\/\d+\r\n/, `${tool}: ${JSON.stringify(result)}`);
    assert.match(
      result.stdout,
      /command terminated with exit code 3\r\n/,
      `${tool}: ${JSON.stringify(result)}`,
    );
    assert.match(result.stdout, /rc=3\r\n/, `${tool}: ${JSON.stringify(result)}`);
  },
);

bothTools("tty: a resize of the client's terminal reaches the remote pty", async (tool) => {
  // The remote shell prints its size, then prints it again on SIGWINCH and exits; if the resize
  // beat the trap, the first size is already the new one and the loop ends by count.
  const remote = "trap 'stty size; exit 0' WINCH; stty size; n=0; while [ \"$n\" -lt 100 ]; do " +
    "sleep 0.1; n=$((n+1)); done; stty size";
  const result = await runInTerminal(tool, ["exec", "-it", "shell", "--", "sh", "-c", remote], 3);
  assert.match(result.stdout, /30 100\r\n/, `${tool}: ${JSON.stringify(result)}`);
  assert.match(result.stdout, /rc=0\r\n/, `${tool}: ${JSON.stringify(result)}`);
});
