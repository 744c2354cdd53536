/**
 * Credentials and denials against the real kube-apiserver: client certificates (inline and from
 * files), a static token, a token file, an exec credential plugin, the oidc auth-provider (valid
 * token, and an expired one refreshed at the issuer), impersonation with `--as`, and
 * the server's own 401, 403 (RBAC on the pod and on `pods/exec`) messages. Each row runs through
 * kubectl and, once exec works, through kubexec, which must match.
 */
import assert from "node:assert/strict";
import { cluster, kubeconfig } from "./cluster.ts";
import {
  assertOutcome,
  assertSameOutcome,
  kubexecReady,
  runTool,
  scenarioTest,
  type Tool,
} from "./compare.ts";

const whoAmI = ["exec", "shell", "--", "sh", "-c", "echo ok"];

for (
  const [user, credential] of [
    ["admin", "client certificate and CA inline"],
    ["admin-files", "client certificate, key and CA from files"],
    ["alice", "static bearer token"],
    ["alice-tokenfile", "bearer token from tokenFile"],
    ["alice-exec", "exec credential plugin (client.authentication.k8s.io/v1)"],
  ]
) {
  scenarioTest({
    name: `auth: ${credential} (${user})`,
    user,
    args: whoAmI,
    expect: { code: 0, stdout: "ok\n", stderr: "" },
  });
}

scenarioTest({
  name: "auth: impersonation with --as by the admin",
  args: ["--as=alice", ...whoAmI],
  expect: { code: 0, stdout: "ok\n", stderr: "" },
});

scenarioTest({
  name: "auth: impersonated user is held to its own RBAC",
  args: ["--as=alice", "-n", "other", ...whoAmI],
  expect: {
    code: 1,
    stdout: "",
    stderr: 'Error from server (Forbidden): pods "shell" is forbidden: User "alice" cannot get ' +
      'resource "pods" in API group "" in the namespace "other"\n',
  },
});

scenarioTest({
  name: "auth: 401 for a token the server does not know",
  user: "alice",
  args: ["--token=not-a-token-the-server-knows", ...whoAmI],
  expect: {
    code: 1,
    stdout: "",
    stderr: "error: You must be logged in to the server (Unauthorized)\n",
  },
});

scenarioTest({
  name: "auth: 403 for a user without any rights",
  user: "nobody",
  args: whoAmI,
  expect: {
    code: 1,
    stdout: "",
    stderr: 'Error from server (Forbidden): pods "shell" is forbidden: User "nobody" cannot get ' +
      'resource "pods" in API group "" in the namespace "e2e"\n',
  },
});

scenarioTest({
  name: "auth: 403 on pods/exec for a user who may only read pods",
  user: "viewer",
  args: whoAmI,
  expect: {
    code: 1,
    stdout: "",
    stderr:
      'Error from server (Forbidden): pods "shell" is forbidden: User "viewer" cannot create ' +
      'resource "pods/exec" in API group "" in the namespace "e2e"\n',
  },
  difference: {
    reason:
      "kubectl retries a refused WebSocket upgrade (GET) over SPDY (POST, RBAC verb create); " +
      "kubexec speaks WebSocket only, so the server's message names the verb get",
    expect: {
      stderr: new RegExp(
        '^Error from server \\(Forbidden\\): pods "shell" is forbidden: User "viewer" cannot get ' +
          'resource "pods/exec" in API group "" in the namespace "e2e"\\n',
      ),
    },
  },
});

scenarioTest({
  name: "auth: 403 outside the namespace the role is bound in",
  user: "alice",
  args: ["-n", "other", ...whoAmI],
  expect: {
    code: 1,
    stdout: "",
    stderr: 'Error from server (Forbidden): pods "shell" is forbidden: User "alice" cannot get ' +
      'resource "pods" in API group "" in the namespace "other"\n',
  },
});

scenarioTest({
  name: "auth: 403 resolving deploy/NAME without rights on deployments",
  user: "alice",
  args: ["exec", "deploy/web", "--", "true"],
  expect: {
    code: 1,
    stdout: "",
    stderr:
      'Error from server (Forbidden): deployments.apps "web" is forbidden: User "alice" cannot ' +
      'get resource "deployments" in API group "apps" in the namespace "e2e"\n',
  },
});

scenarioTest({
  name: "auth: oidc auth-provider with a valid ID token (carol-oidc)",
  user: "carol-oidc",
  args: whoAmI,
  expect: { code: 0, stdout: "ok\n", stderr: "" },
});

Deno.test({
  name: "auth: oidc auth-provider refreshes an expired ID token and writes it back",
  ignore: !cluster,
  fn: async (t) => {
    // Each client gets its own copy: the refresh rewrites the kubeconfig.
    const original = await Deno.readTextFile(kubeconfig("carol-oidc-refresh"));
    const refreshWith = async (tool: Tool) => {
      const copy = await Deno.makeTempFile({ dir: cluster!.runDir, suffix: ".kubeconfig" });
      try {
        await Deno.writeTextFile(copy, original);
        const outcome = await runTool(tool, "carol-oidc-refresh", whoAmI, { kubeconfigPath: copy });
        const rewritten = idToken(await Deno.readTextFile(copy)) !== idToken(original);
        return { outcome, rewritten };
      } finally {
        await Deno.remove(copy);
      }
    };
    const kubectl = await refreshWith("kubectl");
    assertOutcome("kubectl", kubectl.outcome, { code: 0, stdout: "ok\n", stderr: "" });
    assert.ok(kubectl.rewritten, "kubectl persists the refreshed ID token");
    await t.step({
      name: "kubexec matches kubectl",
      ignore: !kubexecReady.exec?.ready,
      fn: async () => {
        const kubexec = await refreshWith("kubexec");
        assertSameOutcome(kubectl.outcome, kubexec.outcome);
        assert.ok(kubexec.rewritten, "kubexec persists the refreshed ID token");
      },
    });
  },
});

function idToken(kubeconfigText: string): string {
  return kubeconfigText.match(/id-token: (\S+)/)?.[1] ?? "";
}
