/**
 * An exec credential plugin and `exec -i` / `attach -i` on a terminal: the credentials are fetched
 * before stdin is streamed, so the plugin may be interactive, as under kubectl (which never marks
 * stdin unavailable). An `interactiveMode: Always` plugin must not fail these commands.
 */
import assert from "node:assert/strict";
import { ADMIN_TOKEN, startFakeApiServer } from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { captureIo } from "../support/cli_io.ts";
import { runCli } from "../../lib/cli/app.ts";
import { rootCommand } from "../../lib/cli/root.ts";

const V1 = "client.authentication.k8s.io/v1";

Deno.test("an exec plugin is interactive before exec -i and attach -i stream a terminal's stdin", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kubexec-plugin-stdin-" });
  const server = await startFakeApiServer({
    pods: [
      { name: "web-0", containers: [{ name: "app" }] },
      { name: "main-0", containers: [{ name: "main", command: ["sh", "-c", "sleep 0.2"] }] },
    ],
  });
  try {
    // The plugin keeps the `interactive` flag of every request it was run with.
    const plugin = `${dir}/plugin.sh`;
    await Deno.writeTextFile(
      plugin,
      [
        "#!/bin/sh",
        `printf '%s\\n' "$KUBERNETES_EXEC_INFO" >> "${dir}/seen"`,
        `printf '{"apiVersion":"${V1}","kind":"ExecCredential","status":{"token":"${ADMIN_TOKEN}"}}\\n'`,
      ].join("\n"),
    );
    await Deno.chmod(plugin, 0o755);
    const kubeconfig = await writeKubeconfig(server, {
      user: "none",
      userExtra: { exec: { apiVersion: V1, command: plugin, interactiveMode: "Always" } },
    });
    const run = async (args: string[]) => {
      const captured = captureIo({ stdin: "", stdinIsTerminal: true });
      const code = await runCli(rootCommand, ["--kubeconfig", kubeconfig, ...args], captured.io);
      return { code, stderr: captured.stderr() };
    };

    const exec = await run(["exec", "-i", "web-0", "--", "true"]);
    assert.equal(exec.stderr, "");
    assert.equal(exec.code, 0);
    // The container's main process ends on its own, and the attach with it.
    const attach = await run(["attach", "-i", "main-0", "-q"]);
    assert.equal(attach.stderr, "");
    assert.equal(attach.code, 0);

    const seen = (await Deno.readTextFile(`${dir}/seen`)).split("\n").filter((line) => line)
      .map((line) => JSON.parse(line).spec.interactive);
    assert.deepEqual(seen, [true, true]);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
