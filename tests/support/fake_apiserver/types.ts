/**
 * Public types of the fake API server: its options, the pods and users it knows, the requests it
 * records and the faults it can inject.
 *
 * @module
 */

/** An authenticated identity (kube-apiserver `user.Info`). */
export interface UserInfo {
  name: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

/** One RBAC-like rule; a request is allowed when any rule matches it. */
export interface RbacRule {
  /** User names the rule applies to. */
  users?: string[];
  /** Group names the rule applies to. */
  groups?: string[];
  /** Verbs (`get`, `list`, `watch`, `create`, `impersonate`) or `*`. */
  verbs: string[];
  /** Resources with optional subresource (`pods`, `pods/exec`) or `*`. */
  resources: string[];
  /** API groups (`""` is core); every group when omitted. */
  apiGroups?: string[];
  /** Namespaces; every namespace (and cluster scope) when omitted. */
  namespaces?: string[];
  /** Object names; every name when omitted. */
  resourceNames?: string[];
}

/** A container of a fake pod. */
export interface ContainerInput {
  name: string;
  image?: string;
  /** The main process, used by `attach` (default `["sh"]`). */
  command?: string[];
  /** `stdin: true` in the spec: attach forwards stdin only then. */
  stdin?: boolean;
  /** Close the attached process's stdin when the first attach session half-closes it. */
  stdinOnce?: boolean;
  /** `tty: true` in the spec: the attach process runs under a pseudo-terminal. */
  tty?: boolean;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  /** `false` emulates a container that is in the spec but not started (default `true`). */
  running?: boolean;
  /** Restarts reported in the container status (pod sorting prefers fewer). */
  restartCount?: number;
}

/** What a test says about a pod; {@linkcode PodStore.add} turns it into a full Pod object. */
export interface PodInput {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  containers: ContainerInput[];
  initContainers?: ContainerInput[];
  ephemeralContainers?: ContainerInput[];
  /** Default `Running`. */
  phase?: "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";
  /** `spec.restartPolicy`; default `Always`, as the API server fills it in. */
  restartPolicy?: "Always" | "OnFailure" | "Never";
  /** The Ready condition (default `true` when running). */
  ready?: boolean;
  /** Node the pod is bound to; `""` makes it unscheduled (default `node-1`). */
  nodeName?: string;
  /** RFC 3339 time; defaults to the time it was added. */
  creationTimestamp?: string;
  /** Marks the pod as being deleted. */
  deletionTimestamp?: string;
  /** Pod port → loopback TCP port that port-forward connects to. */
  portMap?: Record<number, number>;
  /** Extra environment for processes started in this pod. */
  env?: Record<string, string>;
}

/** The Kubernetes JSON object of a pod, as served. */
export type PodObject = Record<string, unknown> & {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
};

/** Which WebSocket subprotocols the fake accepts, to emulate different servers. */
export interface ProtocolSupport {
  /**
   * Emulate the v5 stream translator of API servers ≥ 1.30: when the first
   * `Sec-WebSocket-Protocol` line contains `v5.channel.k8s.io`, v5 is chosen (default `true`).
   */
  translator?: boolean;
  /**
   * Protocols the (emulated) kubelet accepts for exec/attach, in the server's terms; the client's
   * order decides. Default: `""`, `channel.k8s.io`, `base64.channel.k8s.io`, `v4.channel.k8s.io`,
   * `v4.base64.channel.k8s.io`. Use `[]` for a server that only speaks v5.
   */
  kubelet?: string[];
  /** Protocols accepted for port-forward (default `""`, `v4.channel.k8s.io`, `v4.base64.channel.k8s.io`). */
  portForward?: string[];
}

/** Options of {@linkcode startFakeApiServer}. */
export interface FakeServerOptions {
  /** Serve HTTPS (default) or plain HTTP. */
  tls?: boolean;
  /**
   * `node` (default): `node:tls`/`node:net`, the only transport that can authenticate client
   * certificates. `deno`: `Deno.listenTls`/`Deno.listen`, which costs less CPU per byte (for
   * throughput benchmarks) but cannot request client certificates.
   */
  transport?: "node" | "deno";
  /** Listen address (default `127.0.0.1`; `::1` for IPv6). */
  hostname?: string;
  /** Bearer tokens → users. Default: `admin-token` → admin in `system:masters`. */
  tokens?: Record<string, UserInfo>;
  /** Basic-auth users → password (and groups). Default: `admin` / `admin-password`. */
  basicUsers?: Record<string, { password: string; groups?: string[] }>;
  /** Let unauthenticated requests through as `system:anonymous` (default `false` → 401). */
  anonymous?: boolean;
  /** Authorization rules; everything is allowed when omitted. `system:masters` is always allowed. */
  rbac?: RbacRule[];
  /**
   * Emulate 1.35's extra `create` check on WebSocket upgrades of pods/exec, attach and portforward
   * (default `false`).
   */
  checkCreateOnUpgrade?: boolean;
  /** Subprotocol support (see {@linkcode ProtocolSupport}). */
  protocols?: ProtocolSupport;
  /** Pods present at start. */
  pods?: PodInput[];
  /** Other objects present at start (see {@linkcode ObjectStore.add}). */
  objects?: Record<string, unknown>[];
  /** Largest message the server sends toward the client (default 32 KiB payload + channel byte). */
  maxMessageBytes?: number;
  /** How long a TTY exec waits for the client's first resize before starting (default 2000 ms). */
  ttyInitialSizeWaitMs?: number;
  /** `/version` reply fields (default 1.32.0). */
  version?: { major: string; minor: string; gitVersion: string };
}

/** A terminal size received on the resize channel. */
export interface TerminalSize {
  width: number;
  height: number;
}

/** What happened on one upgraded streaming connection, filled in while it runs. */
export interface SessionLog {
  /** Negotiated subprotocol (`""` when none was offered). */
  protocol: string;
  /** Every resize message decoded, in order. */
  resizes: TerminalSize[];
  /** Payload bytes received on stdin (or port-forward data channels). */
  stdinBytes: number;
  /** `true` once a v5 CLOSE for stdin arrived. */
  stdinClosed: boolean;
  /** Payload bytes sent on stdout and stderr (or port-forward data channels). */
  outputBytes: number;
  /** Largest data message received from the client, in bytes including the channel byte. */
  maxClientMessageBytes: number;
  /** Number of data messages received from the client. */
  clientMessages: number;
  /** Pings received from the client. */
  pingsReceived: number;
  /** Pongs received from the client (answers to fault-injected pings). */
  pongsReceived: number;
  /** Close code of the client's close frame, if it sent one. */
  clientCloseCode?: number;
  /** Exit code of the command (exec) once it ended. */
  exitCode?: number;
  /** Status JSON or text written on the error channel, if any. */
  statusSent?: string;
  /** Protocol violations seen from the client (unmasked frames, fragmentation, bad CLOSE...). */
  protocolErrors: string[];
  /** Resolves when the session is over. */
  done: Promise<void>;
}

/** One request the server received. */
export interface RecordedRequest {
  method: string;
  /** Path and query as sent. */
  path: string;
  url: URL;
  /** Header names lower-cased; every value kept raw (secrets included) for assertions. */
  headers: Record<string, string[]>;
  /** Who the credentials authenticated as (undefined when authentication failed). */
  user?: UserInfo;
  /** The user after impersonation (equals `user` without `Impersonate-*` headers). */
  effectiveUser?: UserInfo;
  /** HTTP status answered (101 for upgrades), 0 while pending. */
  status: number;
  /** Streaming details for upgraded requests. */
  session?: SessionLog;
}

/** Faults applied to an HTTP request before normal handling. */
export type HttpFault =
  /** Answer with a `metav1.Status` body of this code (default messages like the real server). */
  | { kind: "status"; code: 401 | 403 | 404 | 500 | number; message?: string; reason?: string }
  /** Answer with an HTML page (a proxy or login portal in the way). */
  | { kind: "html"; code?: number }
  /** Emulate an API server without the v5 translator for this request. */
  | { kind: "refuseV5" }
  /** `400 Upgrade request required`, as when a proxy drops the Upgrade headers. */
  | { kind: "upgradeRequired" }
  /** A raw `403` with an empty body, as for an unsupported subprotocol. */
  | { kind: "emptyForbidden" }
  /** Hold the request this long, then handle it normally (a slow network or API server). */
  | { kind: "delay"; ms: number };

/** Faults applied inside an upgraded exec/attach/port-forward stream. */
export type StreamFault =
  /** Drop the TCP connection (no close frame, no status) after this many output bytes. */
  | { kind: "closeAfterBytes"; bytes: number }
  /** Stop sending (no close) after this many output bytes. */
  | { kind: "stallAfterBytes"; bytes: number }
  /** Send a frame header promising more payload than follows, then drop the connection. */
  | { kind: "truncatedFrame" }
  /** Send one stdout message of `bytes` payload (filled with `x`) before the real output. */
  | { kind: "oversizedFrame"; bytes: number }
  /** Send a message on an unknown channel (default 7) before the real output. */
  | { kind: "unknownChannel"; channel?: number }
  /** End with a normal close frame but without writing a status. */
  | { kind: "missingStatus" }
  /** Send output as text frames although the protocol is binary. */
  | { kind: "textFrames" }
  /** Send a ping every `intervalMs` during the session. */
  | { kind: "ping"; intervalMs: number };

/** Any injectable fault. */
export type Fault = HttpFault | StreamFault;

/** Chooses the requests a fault applies to. */
export type FaultMatcher = (request: { method: string; url: URL }) => boolean;
