/**
 * `kubexec doctor` against the real kube-apiserver: the SelfSubjectReview and
 * SelfSubjectAccessReviews of real RBAC, the exec upgrade on both routes (kubelet-side and
 * apiserver-side translation), credentials from a static token, client certificates and an exec
 * plugin, and the failures a real server gives (401, RBAC denials, a pod in a namespace the user
 * may not read). kubectl has no such command, so kubexec's own expectations are asserted.
 */
import assert from "node:assert/strict";
import { cluster } from "./cluster.ts";
import { runTool } from "./compare.ts";

interface DoctorRow {
  name: string;
  user: string;
  args: string[];
  code: number;
  /** Patterns every one of which must match a line of stdout. */
  lines: RegExp[];
}

const rows: DoctorRow[] = [
  {
    name: "admin (client certificate): every step passes, both subprotocols accepted",
    user: "admin",
    args: ["doctor", "shell"],
    code: 0,
    lines: [
      /^ok {3}credentials {5}client certificate from the kubeconfig$/,
      /^ok {3}tls {13}server certificate .* trusted and valid for 127\.0\.0\.1/,
      /^ok {3}tls {13}client certificate for user e2e-admin \(groups system:masters\), valid until/,
      /^ok {3}authentication {2}authenticated as "e2e-admin", groups system:masters/,
      /^ok {3}authorization {3}pods\/exec in namespace "e2e" \(pod shell\): get and create allowed$/,
      /^ok {3}protocol {8}exec upgrade on pod shell, container main accepted: v5\.channel\.k8s\.io, v4\.channel\.k8s\.io$/,
    ],
  },
  {
    name: "admin: the apiserver-translated route (legacy node) accepts the exec upgrade too",
    user: "admin",
    args: ["doctor", "legacy"],
    code: 0,
    lines: [/^ok {3}protocol {8}exec upgrade on pod legacy/],
  },
  {
    name: "alice (static token, Role in e2e): every step passes",
    user: "alice",
    args: ["doctor", "shell"],
    code: 0,
    lines: [
      /^ok {3}credentials {5}bearer token from the kubeconfig$/,
      /^ok {3}authentication {2}authenticated as "alice"/,
      /^ok {3}authorization {3}pods\/portforward in namespace "e2e" \(pod shell\): get and create allowed$/,
      /^ok {3}protocol {8}exec upgrade on pod shell/,
    ],
  },
  {
    name: "admin: deploy/NAME is resolved to its pod for the protocol step",
    user: "admin",
    args: ["doctor", "deploy/web"],
    code: 0,
    lines: [/^ok {3}protocol {8}exec upgrade on pod web-/],
  },
  {
    name: "alice: a workload she may not read is named as such",
    user: "alice",
    args: ["doctor", "deploy/web"],
    code: 1,
    lines: [
      /^FAIL protocol {8}cannot find deploy\/web: Error from server \(Forbidden\)/,
      /^ {21}cause: your user may not read deploy\/web in namespace "e2e"/,
    ],
  },
  {
    name: "alice-exec: the exec plugin's token is named as such",
    user: "alice-exec",
    args: ["doctor"],
    code: 0,
    lines: [
      /^ok {3}credentials {5}exec plugin ".*" gave a bearer token$/,
      /^skip protocol {8}skipped: name a pod/,
    ],
  },
  {
    name: "alice in another namespace: RBAC denials and the pod she may not read",
    user: "alice",
    args: ["doctor", "-n", "other", "shell"],
    code: 1,
    lines: [
      /^FAIL authorization {3}pods\/exec in namespace "other" \(pod shell\): get and create denied for "alice"/,
      /^FAIL protocol {8}cannot find shell: Error from server \(Forbidden\): pods "shell" is forbidden/,
    ],
  },
  {
    name: "viewer: pods/exec denied with the fix",
    user: "viewer",
    args: ["doctor", "shell"],
    code: 1,
    lines: [
      /^FAIL authorization {3}pods\/exec in namespace "e2e" \(pod shell\): get and create denied/,
      /^ {21}fix: {3}ask the cluster's administrator for a Role with verbs \[get, create\] on resource pods\/exec/,
      /^FAIL protocol .*403/,
    ],
  },
  {
    name: "a token the server does not know: 401",
    user: "alice",
    args: ["--token=not-a-token-the-server-knows", "doctor", "shell"],
    code: 1,
    lines: [
      /^FAIL authentication {2}401 Unauthorized: the server rejected the credentials$/,
      /^ {21}cause: the bearer token is expired, revoked or for another cluster$/,
      /^skip authorization/,
    ],
  },
];

for (const row of rows) {
  Deno.test({
    name: `doctor: ${row.name}`,
    ignore: !cluster,
    fn: async () => {
      const outcome = await runTool("kubexec", row.user, row.args);
      const context = `stdout:\n${outcome.stdout}\nstderr:\n${outcome.stderr}`;
      assert.equal(outcome.code, row.code, context);
      const lines = outcome.stdout.split("\n");
      for (const pattern of row.lines) {
        assert.ok(lines.some((line) => pattern.test(line)), `${pattern} in\n${context}`);
      }
    },
  });
}
