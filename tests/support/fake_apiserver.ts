/**
 * An in-process fake kube-apiserver for tests, the demo and benchmarks: TLS with client
 * certificates, bearer tokens and basic auth; RBAC-like denials worded like the real server;
 * discovery, pods and workloads for target resolution; exec, attach and legacy port-forward over
 * WebSocket speaking every protocol version (v5 through the emulated translator, v4 / v1 /
 * base64 as a kubelet would), running real local processes; fault injection.
 *
 * @example
 * ```ts ignore
 * import { startFakeApiServer } from "./fake_apiserver.ts";
 * const server = await startFakeApiServer({
 *   pods: [{ name: "web-0", containers: [{ name: "app" }] }],
 * });
 * try {
 *   server.faults.next({ kind: "closeAfterBytes", bytes: 10 });
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
