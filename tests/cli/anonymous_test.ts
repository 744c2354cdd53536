/**
 * A kubeconfig user without any credential: kubectl would prompt for a user name on stdout and
 * read it from stdin; kubexec sends the request without credentials and shows the server's
 * answer (docs/differences.md), leaving stdin alone.
 */
import assert from "node:assert/strict";
import { startFakeApiServer } from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { runKubexec } from "../support/oracle.ts";

Deno.test("a user without credentials: no prompt, an anonymous request, the server's 401", async () => {
  const server = await startFakeApiServer({
    pods: [{ name: "web-0", containers: [{ name: "app" }] }],
  });
  try {
    const kubeconfig = await writeKubeconfig(server, { user: "none" });
    const result = await runKubexec(["--kubeconfig", kubeconfig, "exec", "web-0", "--", "true"], {
      stdin: "admin\nsecret\n",
    });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "", "no prompt on stdout");
    assert.match(result.stderr, /^error: You must be logged in to the server \(Unauthorized\)\n/);
    const sent = server.requests.filter((request) => request.path.startsWith("/api/"));
    assert.ok(sent.length > 0);
    assert.ok(sent.every((request) => request.headers.authorization === undefined));
  } finally {
    await server.close();
  }
});
