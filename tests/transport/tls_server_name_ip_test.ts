/**
 * `tls-server-name` set to an IP address (an SSH tunnel to a cluster whose certificate lists only
 * IPs): no SNI is sent, the certificate is checked against its IP SANs, and a mismatch names the
 * IP SANs only — through the real CLI, with kubectl as the oracle when it is on PATH.
 */
import assert from "node:assert/strict";
import { startFakeApiServer } from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { kubectlPath, runKubectl, runKubexec } from "../support/oracle.ts";

Deno.test("tls-server-name as an IP address: verified against the IP SANs", async () => {
  const server = await startFakeApiServer({
    pods: [{ name: "web-0", containers: [{ name: "app" }] }],
  });
  try {
    const base = await Deno.readTextFile(await writeKubeconfig(server, { user: "token" }));
    // Dial by name; verify by the IP the kubeconfig names.
    const kubeconfig = async (name: string) => {
      const path = `${server.tempDir}/tls-server-name-${name.replaceAll(/\W/g, "_")}.yaml`;
      const text = base
        .replace(/("server": "https:\/\/)127\.0\.0\.1/, "$1localhost")
        .replace(
          /^(\s*)"server": (.*)$/m,
          (_m, indent: string, value: string) =>
            `${indent}"server": ${value}\n${indent}"tls-server-name": ${JSON.stringify(name)}`,
        );
      assert.notEqual(text, base);
      await Deno.writeTextFile(path, text);
      return path;
    };
    const cases: [string, number, string, string][] = [
      ["127.0.0.1", 0, "ok\n", ""],
      ["::1", 0, "ok\n", ""],
      [
        "10.9.9.9",
        1,
        "",
        "Unable to connect to the server: tls: failed to verify certificate: x509: certificate is valid for 127.0.0.1, ::1, not 10.9.9.9\n",
      ],
    ];
    for (const [name, code, stdout, stderr] of cases) {
      const args = ["--kubeconfig", await kubeconfig(name), "exec", "web-0", "--", "echo", "ok"];
      const ours = await runKubexec(args);
      assert.deepEqual([ours.code, ours.stdout, ours.stderr], [code, stdout, stderr], name);
      if (kubectlPath) {
        const theirs = await runKubectl(args);
        // kubectl's klog lines (discovery errors, client-go's random "Unknown stream id" race)
        // are not its answer; its last other line is.
        const lastLine = theirs.stderr.split("\n")
          .filter((line) => line && !/^[EIW]\d{4} /.test(line)).pop() ?? "";
        assert.deepEqual(
          [theirs.code, theirs.stdout, lastLine ? `${lastLine}\n` : ""],
          [code, stdout, stderr],
          `kubectl, ${name}`,
        );
      }
    }
  } finally {
    await server.close();
  }
});
