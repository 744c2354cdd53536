/**
 * The {@linkcode ApiClient}: one API server as one user. Every REST call and every WebSocket
 * upgrade takes the same route (proxy, TLS settings, client certificate) and carries the same
 * headers (`User-Agent`, credentials, impersonation). After a `401` the credential provider is
 * invalidated and, when it says a retry may help, the request is sent once more.
 *
 * Like client-go, credentials are sent to `http://` servers too (client-go does not refuse them);
 * the CLI warns about plain-text servers where it sees fit. Connections are not kept alive: kubexec
 * makes one or two REST calls before its stream, as kubectl does on a fresh connection.
 *
 * `-v` logging: level 6 the request line, status and latency, the proxy and TLS server name, and
 * the negotiated subprotocol; level 7 request headers; level 8 response headers — all redacted
 * with `redactHeaderValue`.
 *
 * @module
 */
import { impersonationHeaders } from "../auth/impersonation.ts";
import type { ClientCertificate, CredentialProvider } from "../auth/types.ts";
import type { RestConfig } from "../kubeconfig/types.ts";
import { type Logger, redactHeaderValue, redactUrlPassword, silentLogger } from "../log.ts";
import { userAgent } from "../version.ts";
import { BufferedReader } from "./buffered_reader.ts";
import { dial } from "./connect.ts";
import { withDeadline } from "./deadline.ts";
import { UpgradeError } from "./errors.ts";
import {
  MAX_REST_BODY_BYTES,
  readResponseBody,
  readResponseHead,
  reusableAfter,
  writeRequest,
} from "./http1.ts";
import { registerIdleCloser } from "./idle_connections.ts";
import { type EnvReader, type ProxyRoute, resolveProxy } from "./proxy.ts";
import type { ApiClient, ApiRequest, ApiResponse, ByteConn, WebSocketConn } from "./types.ts";
import { openWebSocket } from "./websocket.ts";

/** Options of {@linkcode createApiClient}. */
export interface ApiClientOptions {
  /** Receives `-v` messages (level 6–8). */
  logger?: Logger;
  /** Environment lookup for `HTTPS_PROXY`/`NO_PROXY`; defaults to `Deno.env.get`. */
  env?: EnvReader;
  /** WebSocket implementation for upgrades: the raw RFC 6455 client (default) or Deno's native one. */
  transport?: "raw" | "native";
  /**
   * Trust only the kubeconfig CA (client-go's rule) by using `node:tls`; by default the faster
   * `Deno.connectTls` trusts the CA in addition to Deno's default roots (see `tls.ts`).
   */
  strictCaTrust?: boolean;
  /**
   * Keep the connection of a REST response for the next request or upgrade, for up to
   * {@linkcode KEEP_ALIVE_IDLE_MS} (HTTP/1.1 keep-alive, one idle connection). `exec` then upgrades
   * on the connection its `GET pod` used: one TLS handshake instead of two, and for client
   * certificates (whose `Deno.connectTls` connections keep Nagle's algorithm) one delayed-ACK
   * stall fewer. Whoever sets it calls `closeIdleConnections()` when done.
   */
  keepAlive?: boolean;
}

/** How long a kept connection may wait for its next request. */
export const KEEP_ALIVE_IDLE_MS = 5000;

/**
 * Parses the kubeconfig `server`, defaulting a missing scheme to https as client-go does.
 *
 * @example
 * ```ts
 * import { parseServerUrl } from "./api_client.ts";
 * parseServerUrl("10.0.0.1:6443").href; // "https://10.0.0.1:6443/"
 * ```
 */
export function parseServerUrl(server: string): URL {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `https://${server}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // URL's own message quotes the input, password and all.
    throw new TypeError(`Invalid URL: '${redactUrlPassword(text)}'`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new TypeError(
      `server URL scheme must be http or https, got "${url.protocol.slice(0, -1)}"`,
    );
  }
  return url;
}

function headerLines(headers: [string, string][]): string {
  return headers.map(([name, value]) => `    ${name}: ${redactHeaderValue(name, value)}`).join(
    "\n",
  );
}

/**
 * Creates the client for `config`, authenticating with `credentials`.
 *
 * @example
 * ```ts ignore
 * import { createApiClient } from "./api_client.ts";
 * const client = createApiClient(restConfig, provider, { logger });
 * const pod = await client.request({ path: "/api/v1/namespaces/default/pods/web-0" });
 * const ws = await client.upgrade("/api/v1/namespaces/default/pods/web-0/exec?command=ls&stdout=1", [
 *   "v5.channel.k8s.io",
 *   "v4.channel.k8s.io",
 * ]);
 * ```
 */
export function createApiClient(
  config: RestConfig,
  credentials: CredentialProvider,
  options: ApiClientOptions = {},
): ApiClient {
  const server = parseServerUrl(config.server);
  const logger = options.logger ?? silentLogger;
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const prefix = server.pathname.replace(/\/+$/, "");
  const agent = userAgent();
  let proxy: ProxyRoute | undefined | null = null;
  const route = (): ProxyRoute | undefined => {
    if (proxy === null) proxy = resolveProxy(server, { proxyUrl: config.proxyUrl, env });
    return proxy;
  };
  const targetOf = (path: string) => prefix + (path.startsWith("/") ? path : `/${path}`);
  const urlOf = (target: string) => `${server.origin}${target}`;

  const headersFor = async (extra: [string, string][] = []) => {
    const creds = await credentials.get();
    const callerHasAuthorization = extra.some(([name]) => /^authorization$/i.test(name));
    const headers: [string, string][] = [
      ["Host", server.host],
      ["User-Agent", agent],
      ...creds.headers.filter(([name]) =>
        !(callerHasAuthorization && /^authorization$/i.test(name))
      ),
      ...(config.impersonate ? impersonationHeaders(config.impersonate) : []),
      ...extra,
    ];
    return { headers, clientCert: creds.clientCert };
  };

  const retryAfter401 = async (status: number, attempt: number): Promise<boolean> => {
    if (status !== 401 || attempt > 0) return false;
    const retry = await credentials.invalidate();
    logger(
      6,
      () =>
        `Got 401 Unauthorized from ${server.origin}; ${credentials.description}: ${
          retry ? "retrying with fresh credentials" : "no fresh credentials to retry with"
        }`,
    );
    return retry;
  };

  let idle:
    | { conn: ByteConn; clientCert: ClientCertificate | undefined; since: number }
    | undefined;

  /** The kept connection, when it suits a request with `clientCert` and is fresh enough. */
  const takeIdle = (clientCert: ClientCertificate | undefined): ByteConn | undefined => {
    const kept = idle;
    idle = undefined;
    if (!kept) return undefined;
    if (kept.clientCert !== clientCert || performance.now() - kept.since > KEEP_ALIVE_IDLE_MS) {
      kept.conn.close();
      return undefined;
    }
    return kept.conn;
  };

  const closeIdleConnections = () => {
    idle?.conn.close();
    idle = undefined;
  };

  const keep = (conn: ByteConn, clientCert: ClientCertificate | undefined): void => {
    closeIdleConnections();
    idle = { conn, clientCert, since: performance.now() };
  };

  /**
   * Dials the server (same TLS, proxy and client certificate for REST and upgrades), or takes the
   * kept connection, and runs `use` on it within the request timeout. A kept connection that
   * fails before the server sent a single byte back is one the server had closed meanwhile: the
   * request is sent again on a new connection, as HTTP clients do for idempotent requests (the
   * server never saw it). When the deadline passes first, the connection is closed, and a result
   * that still arrives is handed to `discard`.
   */
  const overConnection = <T>(
    clientCert: ClientCertificate | undefined,
    what: string,
    use: (conn: ByteConn) => Promise<T>,
    discard: (late: T) => void,
  ): Promise<T> => {
    let conn: ByteConn | undefined;
    let abandoned = false;
    const work = async () => {
      const kept = options.keepAlive ? takeIdle(clientCert) : undefined;
      if (kept) {
        const watched = watchReads(kept);
        conn = kept;
        try {
          return await use(watched);
        } catch (error) {
          if (watched.bytesRead > 0 || abandoned) throw error;
          logger(6, () => `${what}: the kept connection was closed (${error}); reconnecting`);
          kept.close();
        }
      }
      const opened = await dial({
        url: server,
        tls: config.tls,
        clientCert,
        proxy: route(),
        logger,
        userAgent: agent,
        strictCaTrust: options.strictCaTrust,
        timeoutMs: config.timeoutMs,
      });
      if (abandoned) {
        opened.close();
        throw new Error(`${what}: abandoned after the deadline`);
      }
      conn = opened;
      return await use(opened);
    };
    return withDeadline(work(), config.timeoutMs, what, () => {
      abandoned = true;
      conn?.close();
    }, discard);
  };

  const roundTrip = async (request: ApiRequest): Promise<ApiResponse> => {
    const method = request.method ?? "GET";
    const target = targetOf(request.path);
    const { headers, clientCert } = await headersFor(request.headers);
    logger(7, () => `Request Headers:\n${headerLines(headers)}`);
    const started = performance.now();
    try {
      const response = await overConnection(
        clientCert,
        `${method} ${urlOf(target)}`,
        async (opened) => {
          let conn: ByteConn | undefined = opened;
          try {
            await writeRequest(conn, method, target, headers, request.body);
            const reader = new BufferedReader(conn, 64 * 1024);
            const head = await readResponseHead(reader);
            const body = await readResponseBody(reader, head, {
              limit: MAX_REST_BODY_BYTES,
              method,
            });
            if (options.keepAlive && reusableAfter(head) && reader.buffered === 0) {
              keep(conn, clientCert);
              conn = undefined;
            }
            return {
              status: head.status,
              statusText: head.statusText,
              headers: head.headers,
              body,
            };
          } finally {
            conn?.close();
          }
        },
        () => {},
      );
      logger(
        6,
        () =>
          `${method} ${urlOf(target)} ${response.status} ${response.statusText} in ${
            Math.round(performance.now() - started)
          } milliseconds`,
      );
      logger(8, () => `Response Headers:\n${headerLines([...response.headers])}`);
      return response;
    } catch (error) {
      logger(
        6,
        () =>
          `${method} ${urlOf(target)} failed in ${
            Math.round(performance.now() - started)
          } milliseconds: ${(error as Error).message}`,
      );
      throw error;
    }
  };

  const upgradeOnce = async (path: string, protocols: string[]): Promise<WebSocketConn> => {
    const target = targetOf(path);
    const { headers, clientCert } = await headersFor();
    const started = performance.now();
    const url = urlOf(target);
    logger(
      7,
      () =>
        `Request Headers:\n${
          headerLines([...headers, ["Sec-WebSocket-Protocol", protocols.join(", ")]])
        }`,
    );
    try {
      let ws: WebSocketConn;
      if (options.transport === "native") {
        const wsUrl = new URL(url);
        wsUrl.protocol = server.protocol === "https:" ? "wss:" : "ws:";
        const { openNativeWebSocket } = await import("./websocket_native.ts");
        ws = await openNativeWebSocket({
          url: wsUrl,
          protocols,
          headers: headers.filter(([name]) => !/^host$/i.test(name)),
          tls: config.tls,
          clientCert,
          proxy: route(),
          timeoutMs: config.timeoutMs,
        });
      } else {
        ws = await overConnection(
          clientCert,
          `GET ${url}`,
          (conn) => openWebSocket(conn, { target, host: server.host, protocols, headers }),
          (late) => late.close(),
        );
      }
      logger(
        6,
        () =>
          `GET ${url} 101 Switching Protocols in ${
            Math.round(performance.now() - started)
          } milliseconds (${options.transport === "native" ? "native" : "raw"} WebSocket)`,
      );
      logger(6, () => `Negotiated WebSocket subprotocol ${JSON.stringify(ws.protocol)}`);
      return ws;
    } catch (error) {
      logger(
        6,
        () =>
          error instanceof UpgradeError
            ? `GET ${url} ${error.status} ${error.statusText} in ${
              Math.round(performance.now() - started)
            } milliseconds`
            : `GET ${url} upgrade failed in ${
              Math.round(performance.now() - started)
            } milliseconds: ${(error as Error).message}`,
      );
      if (error instanceof UpgradeError) {
        logger(8, () => `Response Headers:\n${headerLines([...error.headers])}`);
      }
      throw error;
    }
  };

  if (options.keepAlive) registerIdleCloser(closeIdleConnections);

  return {
    server,
    closeIdleConnections,
    async request(request) {
      for (let attempt = 0;; attempt++) {
        const response = await roundTrip(request);
        if (!(await retryAfter401(response.status, attempt))) return response;
      }
    },
    async upgrade(path, protocols) {
      for (let attempt = 0;; attempt++) {
        try {
          return await upgradeOnce(path, protocols);
        } catch (error) {
          if (!(error instanceof UpgradeError) || !(await retryAfter401(error.status, attempt))) {
            throw error;
          }
        }
      }
    },
  };
}

/**
 * `conn`, noting whether any read returned bytes. After the first bytes the wrapper's `read`
 * becomes a plain forward, so a WebSocket streaming over it pays nothing for the watch.
 */
function watchReads(conn: ByteConn): ByteConn & { readonly bytesRead: number } {
  let bytesRead = 0;
  const watched = {
    get bytesRead() {
      return bytesRead;
    },
    read: async (buffer: Uint8Array): Promise<number | null> => {
      const count = await conn.read(buffer);
      if (count) {
        bytesRead += count;
        watched.read = (next: Uint8Array) => conn.read(next);
      }
      return count;
    },
    writeAll: (data: Uint8Array) => conn.writeAll(data),
    closeWrite: () => conn.closeWrite(),
    close: () => conn.close(),
  };
  return watched;
}
