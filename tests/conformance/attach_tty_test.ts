/**
 * `kubexec attach -it POD` under a real terminal (tmux) to a container whose main process is a
 * shell on a PTY: the pane's size reaches the remote PTY, the detach keys (ctrl-p,ctrl-q) end the
 * attach without ending the process, kubexec exits 0 and the local terminal is restored; a second
 * attach finds the same shell still running.
 */
import assert from "node:assert/strict";
import { startFakeApiServer } from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { SHIPPED_PERMISSIONS } from "../support/oracle.ts";
import { isCooked, tmuxAvailable, TmuxPane } from "../support/tmux.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

function count(text: string, pattern: RegExp): number {
  return [...text.matchAll(pattern)].length;
}

Deno.test({
  name: "attach tty: size, detach keys, terminal restored, the process lives on",
  ignore: !(await tmuxAvailable()),
  async fn() {
    const server = await startFakeApiServer({ pods: [] });
    let pane: TmuxPane | undefined;
    try {
      const remoteRc = `${server.tempDir}/remote.rc`;
      const localRc = `${server.tempDir}/local.rc`;
      await Deno.writeTextFile(remoteRc, "PS1='remote$ '\n");
      await Deno.writeTextFile(localRc, "PS1='local$ '\n");
      server.pods.add({
        name: "shell",
        containers: [{ name: "app", command: ["sh", "-i"], stdin: true, tty: true }],
        env: { ENV: remoteRc },
      });
      const kubeconfig = await writeKubeconfig(server, { user: "token" });
      pane = await TmuxPane.start({
        columns: 90,
        rows: 25,
        command: ["/bin/sh"],
        env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: server.tempDir, ENV: localRc },
      });
      await pane.waitFor(/local\$$/);
      const cooked = await pane.stty("-g");
      const attachLine = [Deno.execPath(), "run", ...SHIPPED_PERMISSIONS, MAIN]
        .concat(["--kubeconfig", kubeconfig, "attach", "-it", "-q", "shell"]).join(" ");

      await pane.type(`${attachLine}\n`);
      await pane.type("echo first-$$\n");
      const [, firstPid] = await pane.waitFor(/(?:^|\$ )first-(\d+)$/m);
      assert.equal(isCooked(await pane.stty("-a")), false, "local terminal must be raw");
      await pane.type("stty size\n");
      await pane.waitFor(/(^|\$ )25 90$/m);

      await pane.key("C-p");
      await pane.key("C-q");
      await pane.waitUntil(
        "the local prompt after detaching",
        async () => count(await pane!.screen(), /local\$/g) >= 2,
      );
      assert.equal(await pane.stty("-g"), cooked);
      await pane.type("echo rc=$?\n");
      await pane.waitFor(/^rc=0$/m);

      // The shell was not ended by the detach: a new attach reaches the same process.
      await pane.type(`${attachLine}\n`);
      await pane.type("echo second-$$\n");
      const [, secondPid] = await pane.waitFor(/(?:^|\$ )second-(\d+)$/m);
      assert.equal(secondPid, firstPid, "the same shell, not a new one");
      await pane.key("C-p");
      await pane.key("C-q");
      await pane.waitUntil(
        "the local prompt after the second detach",
        async () => count(await pane!.screen(), /local\$/g) >= 4,
      );
      assert.equal(await pane.stty("-g"), cooked);
    } finally {
      await pane?.close();
      await server.close();
    }
  },
});
