/**
 * Ending the client ends the remote command: SIGINT to `exec POD -- <loop>` while it runs, then
 * the pod's command must be gone — as it is after kubectl's exit. The harness's "containers" are
 * processes on this machine, so the loop prints its own pid and the test looks it up here. Both
 * kubelet routes (the `legacy` pod goes through the apiserver's WebSocket-to-SPDY translation).
 */
import assert from "node:assert/strict";
import { cluster, kubeconfig } from "./cluster.ts";
import { kubexecReady, spawnTool, type Tool } from "./compare.ts";

const decoder = new TextDecoder();

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** Runs the loop through `tool`, interrupts it, and says whether its remote command survived. */
async function interruptedLoop(tool: Tool, pod: string) {
  const child = spawnTool(tool, kubeconfig("admin"), [
    "exec",
    pod,
    "--",
    "sh",
    "-c",
    'echo "pid $$"; while :; do echo tick; sleep 0.1; done',
  ], { stderr: "null", timeoutMs: 60_000 });
  let output = "";
  let pid: number | undefined;
  const reader = child.stdout.getReader();
  while (pid === undefined) {
    const { value, done } = await reader.read();
    if (done) break;
    output += decoder.decode(value, { stream: true });
    const match = /pid (\d+)\n/.exec(output);
    if (match) pid = Number(match[1]);
  }
  assert.ok(pid, `${tool} printed no pid: ${output}`);
  child.kill("SIGINT");
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  const { code } = await child.status;
  // The server ends the command when the client's connection goes: give it a few seconds.
  for (let wait = 0; wait < 50 && alive(pid); wait++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const survived = alive(pid);
  if (survived) Deno.kill(pid, "SIGKILL");
  return { code, survived };
}

for (const pod of ["shell", "legacy"]) {
  Deno.test({
    name: `signal: SIGINT to exec ends the remote command too (${pod})`,
    ignore: !cluster || Deno.build.os !== "linux",
    fn: async (t) => {
      const kubectl = await interruptedLoop("kubectl", pod);
      assert.deepEqual(kubectl, { code: 130, survived: false }, "kubectl");
      await t.step({
        name: "kubexec matches kubectl",
        ignore: !kubexecReady.exec?.ready,
        fn: async () => {
          assert.deepEqual(await interruptedLoop("kubexec", pod), { code: 130, survived: false });
        },
      });
    },
  });
}
