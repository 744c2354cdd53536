/**
 * A {@linkcode WebSocketConn} over Deno's native `WebSocket`, configured through
 * `Deno.createHttpClient({ caCerts, cert, key, proxy })`. An alternative to the raw client in
 * `websocket.ts`, with these limits (each checked by the shared WebSocket test suite):
 *
 * - a refused upgrade yields no status code or body (`UpgradeError` with status 0), so the
 *   API server's `Status` message cannot be shown;
 * - no back-pressure on receive: messages are queued in memory as fast as the server sends them;
 * - no per-connection `insecure-skip-tls-verify` and no `tls-server-name`
 *   (`NativeTransportUnsupportedError`);
 * - `caCerts` are added to Deno's default roots instead of replacing them;
 * - pings cannot be sent and pongs are not observable: `ping()` does nothing and `lastPongAt`
 *   always reads as "now", so dead-peer detection must rely on other signals;
 * - without an explicit proxy Deno applies its own reading of `HTTPS_PROXY`/`NO_PROXY`;
 * - Deno puts its own `User-Agent` in front of kubexec's (`Deno/2.9.6, kubexec/…`);
 * - the `Sec-WebSocket-Accept` key is not verified by Deno (PROTOCOL.md §12).
 *
 * @module
 */
import type { ClientCertificate } from "../auth/types.ts";
import { redactHeaderValue } from "../log.ts";
import type { TlsConfig } from "../kubeconfig/types.ts";
import {
  NativeTransportUnsupportedError,
  TransportTimeoutError,
  UpgradeError,
  WebSocketClosedError,
  WebSocketProtocolError,
} from "./errors.ts";
import type { ProxyRoute } from "./proxy.ts";
import type { WebSocketCloseInfo, WebSocketConn, WebSocketMessage } from "./types.ts";
import { CLOSE_HANDSHAKE_TIMEOUT_MS, MAX_SEND_MESSAGE_BYTES } from "./websocket.ts";

/** Send buffer level above which `send` waits for the native socket to drain. */
const SEND_HIGH_WATER_BYTES = 1024 * 1024;

/** What {@linkcode openNativeWebSocket} needs. */
export interface NativeWebSocketOptions {
  /** `ws:` or `wss:` URL with path and query. */
  url: URL;
  /** Offered subprotocols. */
  protocols: string[];
  /** Extra request headers (credentials, impersonation, user agent). */
  headers?: [string, string][];
  /** CA and client certificate; insecure mode and server name are refused. */
  tls: TlsConfig;
  /** A client certificate from the credential provider. */
  clientCert?: ClientCertificate;
  /** Proxy for `Deno.createHttpClient`. */
  proxy?: ProxyRoute;
  /** Limit for the handshake; 0 or absent: none. */
  timeoutMs?: number;
}

/**
 * Opens a WebSocket with Deno's native client.
 *
 * @example
 * ```ts ignore
 * import { openNativeWebSocket } from "./websocket_native.ts";
 * const ws = await openNativeWebSocket({
 *   url: new URL("wss://127.0.0.1:6443/api/v1/namespaces/default/pods/web/exec?command=ls"),
 *   protocols: ["v5.channel.k8s.io"],
 *   tls: { caPem },
 * });
 * ```
 */
export function openNativeWebSocket(options: NativeWebSocketOptions): Promise<WebSocketConn> {
  if (options.tls.insecure) {
    return Promise.reject(new NativeTransportUnsupportedError("insecure-skip-tls-verify"));
  }
  if (options.tls.serverName) {
    return Promise.reject(new NativeTransportUnsupportedError("tls-server-name"));
  }
  const cert = options.clientCert ??
    (options.tls.certPem && options.tls.keyPem
      ? { certPem: options.tls.certPem, keyPem: options.tls.keyPem }
      : undefined);
  const proxy = options.proxy;
  const client = Deno.createHttpClient({
    ...(options.tls.caPem ? { caCerts: [options.tls.caPem] } : {}),
    ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}),
    ...(proxy
      ? {
        proxy: {
          url: `${proxy.url.protocol}//${proxy.url.host}`,
          ...(proxy.url.username || proxy.url.password
            ? {
              basicAuth: {
                username: decodeURIComponent(proxy.url.username),
                password: decodeURIComponent(proxy.url.password),
              },
            }
            : {}),
        },
      }
      : {}),
  });
  const socket = new WebSocket(options.url, {
    protocols: options.protocols,
    headers: options.headers,
    client,
  } as unknown as string[]);
  socket.binaryType = "arraybuffer";
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (options.timeoutMs && options.timeoutMs > 0) {
      timer = setTimeout(() => {
        socket.onclose = () => client.close();
        socket.close();
        reject(
          new TransportTimeoutError(`websocket upgrade ${options.url.host}`, options.timeoutMs!),
        );
      }, options.timeoutMs);
    }
    const adapter = new NativeWebSocket(socket, client);
    socket.onopen = () => {
      clearTimeout(timer);
      if (!options.protocols.includes(socket.protocol)) {
        adapter.close();
        reject(
          new WebSocketProtocolError(
            `the server chose subprotocol ${
              JSON.stringify(redactHeaderValue("Sec-WebSocket-Protocol", socket.protocol))
            }, which was not offered`,
          ),
        );
        return;
      }
      resolve(adapter);
    };
    socket.onerror = (event) => {
      if (socket.readyState === WebSocket.OPEN) return;
      clearTimeout(timer);
      const message = ((event as ErrorEvent).message ?? "").replace(/^NetworkError: /, "");
      const status = /status code:? (\d{3})|(\d{3}) [A-Z]/.exec(message);
      reject(
        new UpgradeError(
          Number(status?.[1] ?? status?.[2] ?? 0),
          message || "WebSocket handshake failed",
          new Headers(),
          new Uint8Array(),
        ),
      );
    };
  });
}

class NativeWebSocket implements WebSocketConn {
  #socket: WebSocket;
  #queue: WebSocketMessage[] = [];
  #waiters: (() => void)[] = [];
  #closeInfo: WebSocketCloseInfo | undefined;

  constructor(socket: WebSocket, client: Deno.HttpClient) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      const data = event.data;
      this.#queue.push(
        typeof data === "string"
          ? { binary: false, data: new TextEncoder().encode(data) }
          : { binary: true, data: new Uint8Array(data as ArrayBuffer) },
      );
      this.#wake();
    };
    socket.onclose = (event) => {
      this.#closeInfo ??= event.wasClean
        ? { code: event.code || 1005, reason: event.reason }
        : { code: 1006, reason: event.reason };
      client.close();
      this.#wake();
    };
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  get protocol(): string {
    return this.#socket.protocol;
  }

  get lastPongAt(): number {
    return Date.now();
  }

  get closeInfo(): WebSocketCloseInfo | undefined {
    return this.#closeInfo;
  }

  async receive(): Promise<WebSocketMessage | null> {
    while (this.#queue.length === 0) {
      if (this.#closeInfo) return null;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return this.#queue.shift()!;
  }

  async send(data: Uint8Array, binary = true): Promise<void> {
    if (this.#closeInfo) throw new WebSocketClosedError(this.#closeInfo.code);
    if (this.#socket.readyState !== WebSocket.OPEN) throw new WebSocketClosedError();
    if (data.length > MAX_SEND_MESSAGE_BYTES) {
      throw new RangeError(
        `WebSocket message of ${data.length} bytes exceeds ${MAX_SEND_MESSAGE_BYTES} bytes`,
      );
    }
    this.#socket.send(binary ? data.slice() : new TextDecoder().decode(data));
    while (this.#socket.bufferedAmount > SEND_HIGH_WATER_BYTES && !this.#closeInfo) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  ping(): Promise<void> {
    if (this.#closeInfo) return Promise.reject(new WebSocketClosedError(this.#closeInfo.code));
    return Promise.resolve();
  }

  async close(code?: number, reason?: string): Promise<void> {
    if (this.#closeInfo) return;
    if (
      this.#socket.readyState === WebSocket.OPEN || this.#socket.readyState === WebSocket.CONNECTING
    ) {
      this.#socket.close(code ?? 1000, reason);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((resolve) => {
        const check = () => (this.#closeInfo ? resolve() : this.#waiters.push(check));
        check();
      }),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_HANDSHAKE_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
  }
}
