/**
 * The fake kube-apiserver: accepts TLS (with optional client certificates, via `node:tls`) or
 * plain TCP connections, parses HTTP/1.1 itself, records every request, authenticates,
 * impersonates, authorizes, then serves discovery and REST or upgrades exec / attach /
 * port-forward requests to WebSockets. Which code serves an upgrade is decided by the ordered
 * endpoint table of `endpoints.ts`, so a new protocol (SPDY tunnelling for port-forward) is one
 * more entry there.
 *
 * @module
 */

import net from "node:net";
import tls from "node:tls";
import type { Socket } from "node:net";
import { denoConn, nodeConn, type ServerConn } from "./conn.ts";
import { AttachRegistry } from "./attach.ts";
import { type Attributes, authenticate, forbiddenStatus, impersonate, isAllowed } from "./auth.ts";
import { codecFor, offeredProtocols } from "./channels.ts";
import { chooseEndpoint, type StreamRequest } from "./endpoints.ts";
import { isTunnelProtocol } from "./portforward_spdy.ts";
import { FaultController } from "./faults.ts";
import { HttpParseError, readRequest, statusText, writeResponse } from "./http.ts";
import {
  discoveryReply,
  parseResourcePath,
  requestVerb,
  type ResourcePath,
  resourceReply,
  type RestContext,
  type RestReply,
  statusReply,
} from "./rest.ts";
import { SessionOutput } from "./session_io.ts";
import { SocketReader } from "./socket_reader.ts";
import {
  badRequest,
  forbidden,
  internalError,
  notFound,
  type StatusFields,
  UNAUTHORIZED,
} from "./status.ts";
import { ObjectStore, PodStore, type StoredPod } from "./store.ts";
import type {
  FakeServerOptions,
  HttpFault,
  RecordedRequest,
  SessionLog,
  StreamFault,
  UserInfo,
} from "./types.ts";
import { acceptKey, ServerWebSocket, switchingProtocols } from "./websocket.ts";
import { type TestPki, testPki } from "../pki.ts";

/** A running fake API server. */
export interface FakeApiServer {
  /** `https://127.0.0.1:PORT` (or `http://` in plain mode; `[::1]` for IPv6). */
  url: string;
  /** The CA that signed the server certificate and that client certificates must chain to. */
  caPem: string;
  hostname: string;
  port: number;
  /** The options in effect, defaults filled in. */
  options: FakeServerOptions;
  pods: PodStore;
  /** Services and workloads that `TYPE/NAME` targets resolve through. */
  objects: ObjectStore;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  faults: FaultController;
  /** A directory removed on {@linkcode close}; pods' working directories live below it. */
  tempDir: string;
  /** The working directory of a pod's processes (created on first use). */
  podDir(namespace: string, name: string): Promise<string>;
  /** Stops listening, ends every connection and process, removes the temp directory. */
  close(): Promise<void>;
}

/** The default admin token. */
export const ADMIN_TOKEN = "admin-token";
/** The default basic-auth user and password. */
export const ADMIN_BASIC = { username: "admin", password: "admin-password" };

const STREAM_SUBRESOURCES = new Set(["exec", "attach", "portforward"]);

interface ServerState {
  options: FakeServerOptions;
  pods: PodStore;
  objects: ObjectStore;
  requests: RecordedRequest[];
  faults: FaultController;
  attach: AttachRegistry;
  tempDir: string;
  rest: RestContext;
  sessions: Set<Promise<void>>;
  podDir(namespace: string, name: string): Promise<string>;
  /** Aborted when the pod is removed (one controller per pod incarnation). */
  podGone(namespace: string, name: string): AbortSignal;
}

/**
 * What golang.org/x/net/websocket writes when its handshake fails: a status line, no headers,
 * no body, then the connection closes (403 for no subprotocol match, 405 for a non-GET upgrade).
 */
interface BareReply {
  bare: 403 | 405;
}

function isWebSocketUpgrade(headers: Record<string, string[]>): boolean {
  return headers["upgrade"]?.[0]?.toLowerCase() === "websocket" &&
    (headers["connection"] ?? []).some((v) => v.toLowerCase().includes("upgrade"));
}

async function reply(conn: ServerConn, value: RestReply): Promise<void> {
  if ("stream" in value) {
    await value.stream(conn);
    return;
  }
  await writeResponse(
    conn,
    value.code,
    [
      ["Audit-Id", crypto.randomUUID()],
      ["Cache-Control", "no-cache, private"],
      ["Content-Type", value.contentType ?? "application/json"],
    ],
    value.body,
  );
}

function faultReply(fault: HttpFault, url: URL): RestReply | BareReply | undefined {
  switch (fault.kind) {
    case "html":
      return {
        code: fault.code ?? 200,
        contentType: "text/html; charset=utf-8",
        body: "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>" +
          "<body><h1>Corporate proxy</h1><p>Please sign in.</p></body></html>\n",
      };
    case "status": {
      const name = url.pathname.match(/\/pods\/([^/]+)/)?.[1] ?? "";
      const defaults: Record<number, StatusFields> = {
        401: UNAUTHORIZED,
        403: forbidden({ group: "", resource: "pods" }, name, "fault injected"),
        404: notFound({ group: "", resource: "pods" }, name),
        500: internalError("fault injected"),
      };
      const base = defaults[fault.code] ??
        { status: "Failure", message: "fault injected", code: fault.code };
      return statusReply({
        ...base,
        message: fault.message ?? base.message,
        reason: fault.reason ?? base.reason,
        code: fault.code,
      });
    }
    case "emptyForbidden":
      return { bare: 403 };
    default:
      return undefined;
  }
}

function newSessionLog(protocol: string, done: Promise<void>): SessionLog {
  return {
    protocol,
    resizes: [],
    stdinBytes: 0,
    stdinClosed: false,
    outputBytes: 0,
    maxClientMessageBytes: 0,
    clientMessages: 0,
    pingsReceived: 0,
    pongsReceived: 0,
    protocolErrors: [],
    done,
  };
}

/** Checks before the upgrade, as the API server does in `streamLocation`. */
function validateContainer(
  stored: StoredPod,
  container: string | null,
): { ok: true; name: string } | { ok: false; status: StatusFields } {
  const pod = stored.input;
  const all = [
    ...(pod.initContainers ?? []),
    ...pod.containers,
    ...(pod.ephemeralContainers ?? []),
  ];
  if (!container) {
    if (pod.containers.length === 1) return { ok: true, name: pod.containers[0].name };
    if (pod.containers.length === 0) {
      return {
        ok: false,
        status: badRequest(`a container name must be specified for pod ${pod.name}`),
      };
    }
    return {
      ok: false,
      status: badRequest(
        `a container name must be specified for pod ${pod.name}, choose one of: [${
          all.map((c) => c.name).join(" ")
        }]`,
      ),
    };
  }
  if (!all.some((c) => c.name === container)) {
    return {
      ok: false,
      status: badRequest(`container ${container} is not valid for pod ${pod.name}`),
    };
  }
  return { ok: true, name: container };
}

async function handleStreaming(
  state: ServerState,
  conn: ServerConn,
  reader: SocketReader,
  record: RecordedRequest,
  path: ResourcePath,
  query: URLSearchParams,
  headers: Record<string, string[]>,
  protocolLines: string[] | undefined,
  httpFaults: HttpFault[],
  streamFaults: StreamFault[],
): Promise<"upgraded" | RestReply | BareReply> {
  const stored = state.pods.get(path.namespace ?? "", path.name!);
  if (!stored) return statusReply(notFound({ group: "", resource: "pods" }, path.name!));
  if (stored.input.nodeName === "") {
    return statusReply(badRequest(`pod ${path.name} does not have a host assigned`));
  }
  const subresource = path.subresource!;
  let container = "";
  if (subresource !== "portforward") {
    const valid = validateContainer(stored, query.get("container"));
    if (!valid.ok) return statusReply(valid.status);
    container = valid.name;
  }
  let ports: number[] = [];
  if (subresource === "portforward") {
    const raw = query.getAll("ports").flatMap((p) => p.split(",")).filter((p) => p !== "");
    ports = raw.map(Number);
    const bad = raw.find((p, i) => !/^\d+$/.test(p) || ports[i] < 1 || ports[i] > 65535);
    if (bad !== undefined) {
      return statusReply(badRequest(`invalid port ${JSON.stringify(bad)}`));
    }
    if (ports.length === 0 && !offeredProtocols(protocolLines).some(isTunnelProtocol)) {
      return statusReply(badRequest(`query parameter "port" is required`));
    }
  }
  const upgrade = headers["upgrade"]?.[0]?.toLowerCase() ?? "";
  if (upgrade.startsWith("spdy/")) {
    return statusReply(
      badRequest("the fake API server serves WebSocket streaming only (SPDY is not implemented)"),
    );
  }
  if (!isWebSocketUpgrade(headers) || httpFaults.some((f) => f.kind === "upgradeRequired")) {
    return statusReply(badRequest("Upgrade request required"));
  }
  if (record.method !== "GET") return { bare: 405 };
  const namespace = stored.object.metadata.namespace;
  const podName = stored.object.metadata.name;
  const request: StreamRequest = {
    pod: stored,
    container,
    ports,
    query,
    options: state.options,
    refuseV5: httpFaults.some((f) => f.kind === "refuseV5"),
    podDir: () => state.podDir(namespace, podName),
    podGone: state.podGone(namespace, podName),
    attach: state.attach,
    scratchDir: state.tempDir,
  };
  const chosen = chooseEndpoint(subresource, offeredProtocols(protocolLines), request);
  if (!chosen) return { bare: 403 };
  const key = headers["sec-websocket-key"]?.[0];
  if (!key) return statusReply(badRequest("missing Sec-WebSocket-Key"));
  // `done` exists before the 101 is sent, so a client may await it as soon as it is upgraded.
  let sessionEnded: () => void = () => {};
  const log = newSessionLog(chosen.protocol, new Promise((resolve) => (sessionEnded = resolve)));
  record.session = log;
  record.status = 101;
  await conn.write(
    new TextEncoder().encode(switchingProtocols(await acceptKey(key), chosen.protocol)),
  );
  const out = new SessionOutput(
    new ServerWebSocket(conn, reader, log),
    codecFor(chosen.protocol),
    log,
    streamFaults,
    state.options.maxMessageBytes ?? 32 * 1024 + 1,
  );
  const session = chosen.endpoint.serve(out, request);
  const done = session.catch(() => {}).finally(() => {
    out.stopPings();
    // End rather than destroy, so a close frame still in the buffer reaches the client.
    conn.end();
    state.sessions.delete(done);
    sessionEnded();
  });
  state.sessions.add(done);
  return "upgraded";
}

async function handleRequest(
  state: ServerState,
  conn: ServerConn,
  reader: SocketReader,
  method: string,
  target: string,
  headers: Record<string, string[]>,
  body: Uint8Array,
): Promise<"upgraded" | "keep" | "close"> {
  const url = new URL(target, `http://${state.rest.serverAddress}`);
  const record: RecordedRequest = { method, path: target, url, headers, status: 0 };
  state.requests.push(record);
  const faults = state.faults.take({ method, url });
  const httpFaults = faults.filter((f): f is HttpFault =>
    ["status", "html", "refuseV5", "upgradeRequired", "emptyForbidden", "delay"].includes(f.kind)
  );
  const streamFaults = faults.filter((f): f is StreamFault => !httpFaults.includes(f as HttpFault));
  const send = async (value: RestReply | BareReply): Promise<"keep" | "close"> => {
    if ("bare" in value) {
      record.status = value.bare;
      const line = `HTTP/1.1 ${value.bare} ${statusText(value.bare)}\r\n\r\n`;
      await conn.write(new TextEncoder().encode(line));
      conn.end();
      return "close";
    }
    record.status = "code" in value ? value.code : 200;
    await reply(conn, value);
    return "stream" in value ? "close" : "keep";
  };
  for (const fault of httpFaults) {
    if (fault.kind === "delay") {
      await new Promise((resolve) => setTimeout(resolve, fault.ms));
      continue;
    }
    const injected = faultReply(fault, url);
    if (injected) return await send(injected);
  }
  const auth = authenticate(state.options, conn, headers);
  if (!auth.user) return await send(statusReply(UNAUTHORIZED));
  record.user = auth.user;
  const impersonated = impersonate(state.options.rbac, auth.user, headers);
  if (!impersonated.ok) return await send(statusReply(impersonated.status));
  const user: UserInfo = impersonated.user;
  record.effectiveUser = user;
  const discovery = discoveryReply(state.rest, url.pathname);
  if (discovery) return await send(discovery);
  const path = parseResourcePath(url.pathname);
  if (!path) {
    return await send({
      code: 404,
      body: "404 page not found\n",
      contentType: "text/plain; charset=utf-8",
    });
  }
  const verb = requestVerb(method, path, url.searchParams);
  const attributes: Attributes = {
    verb,
    group: path.group,
    resource: path.resource,
    subresource: path.subresource,
    namespace: path.namespace,
    name: path.name,
  };
  if (!isAllowed(state.options.rbac, user, attributes)) {
    return await send(statusReply(forbiddenStatus(user, attributes)));
  }
  const streaming = path.group === "" && path.resource === "pods" && path.subresource &&
    STREAM_SUBRESOURCES.has(path.subresource);
  if (streaming) {
    if (method !== "GET" && method !== "POST") {
      return await send(statusReply(badRequest("method not allowed")));
    }
    const create = { ...attributes, verb: "create" };
    if (
      state.options.checkCreateOnUpgrade && verb !== "create" &&
      !isAllowed(state.options.rbac, user, create)
    ) {
      return await send(statusReply(forbiddenStatus(user, create)));
    }
    const outcome = await handleStreaming(
      state,
      conn,
      reader,
      record,
      path,
      url.searchParams,
      headers,
      auth.protocolLines,
      httpFaults,
      streamFaults,
    );
    if (outcome === "upgraded") return "upgraded";
    return await send(outcome);
  }
  return await send(resourceReply(state.rest, method, path, url.searchParams, user, body));
}

async function serveConnection(state: ServerState, conn: ServerConn): Promise<void> {
  const reader = new SocketReader(conn);
  while (!conn.isClosed) {
    let request;
    try {
      request = await readRequest(reader);
    } catch (error) {
      if (!(error instanceof HttpParseError)) throw error;
      await writeResponse(conn, 400, [["Content-Type", "text/plain"]], "400 Bad Request");
      conn.end();
      return;
    }
    if (request === null) {
      conn.end();
      return;
    }
    const outcome = await handleRequest(
      state,
      conn,
      reader,
      request.method,
      request.target,
      request.headers,
      request.body,
    );
    if (outcome !== "keep") return;
    if (request.headers["connection"]?.some((v) => v.toLowerCase() === "close")) {
      conn.end();
      return;
    }
  }
}

interface Listener {
  port: number;
  /** Stops accepting; resolves when the listener is gone. */
  stop(): Promise<void>;
}

async function listen(
  transport: "node" | "deno",
  useTls: boolean,
  hostname: string,
  pki: TestPki,
  onConnection: (conn: ServerConn) => void,
): Promise<Listener> {
  if (transport === "deno") {
    const listener = useTls
      ? Deno.listenTls({
        hostname,
        port: 0,
        key: pki.server.keyPem,
        cert: pki.server.certPem,
        alpnProtocols: ["http/1.1"],
      })
      : Deno.listen({ hostname, port: 0 });
    const accepting = (async () => {
      try {
        for await (const conn of listener) {
          if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
          onConnection(denoConn(conn));
        }
      } catch {
        // the listener was closed
      }
    })();
    return {
      port: (listener.addr as Deno.NetAddr).port,
      stop: async () => {
        listener.close();
        await accepting;
      },
    };
  }
  const accept = (socket: Socket) => {
    socket.on("error", () => {});
    socket.setNoDelay?.(true);
    onConnection(nodeConn(socket));
  };
  const server = useTls
    ? tls.createServer({
      key: pki.server.keyPem,
      cert: pki.server.certPem,
      ca: pki.ca.certPem,
      requestCert: true,
      rejectUnauthorized: false,
      ALPNProtocols: ["http/1.1"],
    }, accept)
    : net.createServer(accept);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, hostname, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Starts a fake API server on a loopback port chosen by the OS.
 *
 * @example
 * ```ts ignore
 * import { startFakeApiServer } from "./server.ts";
 * const server = await startFakeApiServer({
 *   pods: [{ name: "web-0", containers: [{ name: "app" }] }],
 * });
 * try {
 *   // point a kubeconfig at server.url with token "admin-token"
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export async function startFakeApiServer(options: FakeServerOptions = {}): Promise<FakeApiServer> {
  const resolved: FakeServerOptions = {
    ...options,
    tokens: options.tokens ?? { [ADMIN_TOKEN]: { name: "admin", groups: ["system:masters"] } },
    basicUsers: options.basicUsers ??
      { [ADMIN_BASIC.username]: { password: ADMIN_BASIC.password, groups: ["system:masters"] } },
  };
  const pki = await testPki();
  const tempDir = await Deno.makeTempDir({ prefix: "kubexec-fake-apiserver-" });
  const pods = new PodStore();
  const objects = new ObjectStore();
  for (const pod of options.pods ?? []) pods.add(pod);
  for (const object of options.objects ?? []) objects.add(object);
  let markClosing: () => void = () => {};
  const closing = new Promise<void>((resolve) => (markClosing = resolve));
  const hostname = options.hostname ?? "127.0.0.1";
  const conns = new Set<ServerConn>();
  const podDirs = new Map<string, Promise<string>>();
  const podAborts = new Map<string, AbortController>();
  const state: ServerState = {
    options: resolved,
    pods,
    objects,
    requests: [],
    faults: new FaultController(),
    attach: new AttachRegistry(),
    tempDir,
    rest: { options: resolved, pods, objects, serverAddress: "", closing },
    sessions: new Set(),
    podGone: (namespace, name) => {
      const key = `${namespace}/${name}`;
      let controller = podAborts.get(key);
      if (!controller) {
        controller = new AbortController();
        podAborts.set(key, controller);
      }
      return controller.signal;
    },
    podDir: (namespace, name) => {
      const key = `${namespace}/${name}`;
      let dir = podDirs.get(key);
      if (!dir) {
        const path = `${tempDir}/pods/${namespace}/${name}`;
        dir = Deno.mkdir(path, { recursive: true }).then(() => path);
        podDirs.set(key, dir);
      }
      return dir;
    },
  };
  pods.onRemove((namespace, name) => {
    const key = `${namespace}/${name}`;
    podAborts.get(key)?.abort();
    podAborts.delete(key);
    void state.attach.stop(`${key}/`);
  });
  const connections = new Set<Promise<void>>();
  const onConnection = (conn: ServerConn) => {
    conns.add(conn);
    void conn.closed.then(() => conns.delete(conn));
    const served: Promise<void> = serveConnection(state, conn)
      .catch(() => conn.destroy())
      .finally(() => connections.delete(served));
    connections.add(served);
  };
  const useTls = options.tls ?? true;
  const listener = await listen(options.transport ?? "node", useTls, hostname, pki, onConnection);
  const port = listener.port;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  state.rest.serverAddress = `${host}:${port}`;
  let closed: Promise<void> | undefined;
  return {
    url: `${useTls ? "https" : "http"}://${host}:${port}`,
    caPem: pki.ca.certPem,
    hostname,
    port,
    options: resolved,
    pods,
    objects,
    requests: state.requests,
    faults: state.faults,
    tempDir,
    podDir: state.podDir,
    close: () => {
      closed ??= (async () => {
        markClosing();
        const stopped = listener.stop();
        for (const conn of conns) conn.destroy();
        await state.attach.stopAll();
        await Promise.all([...state.sessions]);
        for (const conn of conns) conn.destroy();
        await Promise.all([...connections]);
        await stopped;
        await Deno.remove(tempDir, { recursive: true }).catch(() => {});
      })();
      return closed;
    },
  };
}
