/**
 * An in-process fake kube-apiserver for tests, the demo and benchmarks.
 *
 * What it serves (details in `fake_apiserver/*.ts`):
 *
 * - **Transport**: HTTPS on a loopback port chosen by the OS (`url`, `caPem`), or plain HTTP
 *   (`tls: false`). `transport: "node"` (default) uses `node:tls` and authenticates client
 *   certificates; `transport: "deno"` uses `Deno.listenTls`, cannot see client certificates, but
 *   costs about a third less CPU per byte (use it for throughput benchmarks).
 * - **Authentication**: client certificates from `testPki()` (CN = user, O = groups), bearer
 *   tokens (`tokens`, default `admin-token` → admin in `system:masters`) in `Authorization` or the
 *   `base64url.bearer.authorization.k8s.io.` subprotocol, basic auth (`basicUsers`, default
 *   `admin`/`admin-password`); otherwise the exact 401 Status. `Impersonate-*` headers are
 *   honoured after an `impersonate` check.
 * - **Authorization**: `rbac` rules (everything allowed when omitted); denials are worded like
 *   kube-apiserver's (`pods "web-0" is forbidden: User "alice" cannot get resource "pods/exec" in
 *   API group "" in the namespace "default"`). `checkCreateOnUpgrade` adds 1.35's `create` check.
 * - **REST**: `/version`, `/api`, `/apis`, `/api/v1`, `/apis/{apps,batch,authentication.k8s.io,
 *   authorization.k8s.io}/v1`; pods (GET, LIST with label/field selectors, WATCH); services,
 *   replicationcontrollers, deployments, statefulsets, daemonsets, replicasets, jobs (GET, LIST);
 *   SelfSubjectReview and SelfSubjectAccessReview. `pods` and `objects` change at runtime.
 * - **Streaming**: exec and attach (v5 through an emulated translator; `channel.k8s.io`,
 *   `base64.channel.k8s.io`, `v4.channel.k8s.io`, `v4.base64.channel.k8s.io` as a kubelet;
 *   choose with `protocols`), and port-forward to loopback ports given by a pod's `portMap`:
 *   the SPDY/3.1 tunnel in a WebSocket (`SPDY/3.1+portforward.k8s.io`, what kubectl ≥ 1.31
 *   speaks; off when `protocols.portForward` omits it) and the legacy WebSocket protocol.
 *   Commands run as local processes in `podDir(ns, pod)` with `HOSTNAME=<pod>`; `tty=true`
 *   runs them under a real pseudo-terminal (util-linux `script`) whose size follows the resize
 *   channel. Two in-process commands avoid spawning: `__kubexec_generate BYTES [zero|counter]`
 *   and `__kubexec_sink` (prints `COUNT SHA256`). Deleting a pod kills its exec processes (exit
 *   137) and ends its port-forwards.
 * - **Faults** (`faults.next(...)` / `faults.always(...)`): abrupt close after N bytes, stall,
 *   truncated / oversized / unknown-channel / text frames, missing status, server pings, Status
 *   or HTML answers, refusing v5, `Upgrade request required`, a bare 403.
 * - **Records**: `requests` keeps every request with raw headers, the authenticated and the
 *   effective user, the status, and for upgrades a `session` log (protocol, resizes, stdin bytes,
 *   half-close, largest client message, pings, close code, exit code, protocol errors).
 *
 * Not served: plain SPDY upgrades (POST with `Upgrade: SPDY/3.1`), HTTP/2, aggregated discovery
 * (kubectl falls back to legacy).
 *
 * @example
 * ```ts ignore
 * import { startFakeApiServer } from "./fake_apiserver.ts";
 * import { writeKubeconfig } from "./kubeconfig_fixture.ts";
 * const server = await startFakeApiServer({
 *   pods: [{ name: "web-0", containers: [{ name: "app" }] }],
 * });
 * try {
 *   const kubeconfig = await writeKubeconfig(server, { user: "token" });
 *   server.faults.next({ kind: "closeAfterBytes", bytes: 10 });
 *   // run the client with --kubeconfig kubeconfig, then look at server.requests
 * } finally {
 *   await server.close();
 * }
 * ```
 *
 * @module
 */

export {
  ADMIN_BASIC,
  ADMIN_TOKEN,
  type FakeApiServer,
  startFakeApiServer,
} from "./fake_apiserver/server.ts";
export { FaultController, streamingRequests } from "./fake_apiserver/faults.ts";
export { ObjectStore, PodStore } from "./fake_apiserver/store.ts";
export type * from "./fake_apiserver/types.ts";
