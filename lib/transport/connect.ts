/**
 * Dialling the API server: plain TCP for `http://`, TLS (ALPN `http/1.1`) for `https://`, directly
 * or through a proxy — HTTP CONNECT, TLS to an https proxy then CONNECT (TLS inside TLS), or
 * SOCKS5. REST calls and WebSocket upgrades use this one function, so they always take the same
 * route with the same TLS settings.
 *
 * The TLS connection to an https proxy uses the kubeconfig's CA and `insecure-skip-tls-verify` (as
 * Go's transport does) with the proxy's own host name; the client certificate is only presented to
 * the API server. Failing to reach the proxy is a `ProxyError` whose `cause` is the `ConnectError`
 * or `TlsError` (`proxyconnect tcp: http://proxy:3128: dial tcp …: connect: connection refused`).
 *
 * @module
 */
import type { ClientCertificate } from "../auth/types.ts";
import type { TlsConfig } from "../kubeconfig/types.ts";
import { type Logger, silentLogger } from "../log.ts";
import { withDeadline } from "./deadline.ts";
import { ConnectError, ProxyError, TlsError } from "./errors.ts";
import { displayProxyUrl, hostOf, portOf, type ProxyRoute } from "./proxy.ts";
import { connectTls, type TlsEngine } from "./tls.ts";
import { connectTcp as tcp } from "./tcp.ts";
import { formatAuthority } from "./tls_errors.ts";
import type { ByteConn } from "./types.ts";

/** Where and how to connect. */
export interface DialTarget {
  /** The API server URL (`http:` or `https:`); only scheme, host and port are used. */
  url: URL;
  /** CA, client certificate, server name and insecure mode from the kubeconfig. */
  tls: TlsConfig;
  /** A client certificate from the credential provider; wins over `tls.certPem`/`keyPem`. */
  clientCert?: ClientCertificate;
  /** The proxy to tunnel through (see `resolveProxy`); direct when absent. */
  proxy?: ProxyRoute;
  /** Limit for connecting, tunnelling and the TLS handshake; 0 or absent: none. */
  timeoutMs?: number;
  /** Receives the route and TLS details at level 6. */
  logger?: Logger;
  /** Sent to HTTP proxies in CONNECT requests. */
  userAgent?: string;
  /** Trust only the configured CA, as client-go does (slower TLS engine; see `tls.ts`). */
  strictCaTrust?: boolean;
}

/**
 * Connects to `target.url`, returning a byte stream ready for HTTP/1.1.
 *
 * @example
 * ```ts ignore
 * import { dial } from "./connect.ts";
 * const conn = await dial({ url: new URL("https://127.0.0.1:6443"), tls: { caPem } });
 * ```
 */
export function dial(target: DialTarget): Promise<ByteConn> {
  const opened: ByteConn[] = [];
  let abandoned = false;
  const track = (conn: ByteConn): ByteConn => {
    if (abandoned) {
      conn.close();
      throw new Error("connection attempt abandoned");
    }
    opened.push(conn);
    return conn;
  };
  const attempt = dialSteps(target, track).catch((error) => {
    for (const conn of opened) conn.close();
    throw error;
  });
  return withDeadline(
    attempt,
    target.timeoutMs,
    `dial ${target.url.protocol.slice(0, -1)} ${
      formatAuthority(hostOf(target.url), portOf(target.url))
    }`,
    () => {
      abandoned = true;
      for (const conn of opened) conn.close();
    },
    (late) => late.close(),
  );
}

/** Connects to the proxy itself (TCP, or TLS for an https proxy), naming the proxy in failures. */
async function openProxyLeg(
  target: DialTarget,
  proxy: ProxyRoute,
  track: (conn: ByteConn) => ByteConn,
): Promise<ByteConn> {
  const host = hostOf(proxy.url);
  const port = portOf(proxy.url);
  try {
    if (proxy.kind !== "https") return track(await tcp(host, port));
    const viaTls = await connectTls({
      host,
      port,
      tls: { caPem: target.tls.caPem, insecure: target.tls.insecure },
      strictCaTrust: target.strictCaTrust,
      onOpen: track,
    });
    return track(viaTls.conn);
  } catch (error) {
    if (error instanceof ConnectError || error instanceof TlsError) {
      throw new ProxyError(displayProxyUrl(proxy.url), error.message, undefined, { cause: error });
    }
    throw error;
  }
}

async function dialSteps(
  target: DialTarget,
  track: (conn: ByteConn) => ByteConn,
): Promise<ByteConn> {
  const logger = target.logger ?? silentLogger;
  const host = hostOf(target.url);
  const port = portOf(target.url);
  const secure = target.url.protocol === "https:";
  let tunnel: ByteConn | undefined;
  const proxy = target.proxy;
  if (proxy) {
    logger(
      6,
      () =>
        `Connecting to ${formatAuthority(host, port)} via ${proxy.kind} proxy ${
          displayProxyUrl(proxy.url)
        } (from ${proxy.source})`,
    );
    tunnel = await openProxyLeg(target, proxy, track);
    // Loaded on first use: most connections have no proxy, and each module a run loads costs
    // start-up time and memory (docs/performance.md).
    if (proxy.kind === "socks5" || proxy.kind === "socks5h") {
      const { socks5Connect } = await import("./socks5.ts");
      await socks5Connect(tunnel, proxy.url, host, port);
    } else {
      const { httpConnect } = await import("./proxy_connect.ts");
      await httpConnect(tunnel, proxy.url, formatAuthority(host, port), target.userAgent);
    }
  }
  if (!secure) return tunnel ?? track(await tcp(host, port));
  const { conn, engine, serverName, peer } = await connectTls({
    host,
    port,
    tls: target.tls,
    clientCert: target.clientCert,
    tunnel,
    strictCaTrust: target.strictCaTrust,
    onOpen: track,
  });
  logger(
    6,
    () =>
      `TLS to ${formatAuthority(host, port)}: server name ${
        serverName ?? "(none, IP address)"
      }, ${engine}${
        target.tls.insecure ? ", certificate NOT verified (insecure-skip-tls-verify)" : ""
      }${trustNote(target.tls, engine)}`,
  );
  if (peer) {
    logger(
      target.tls.insecure ? 6 : 8,
      () =>
        `Server certificate: subject ${peer.subject}, issuer ${peer.issuer}, valid until ${peer.validTo}, SHA-256 ${peer.fingerprint256}`,
    );
  }
  return track(conn);
}

function trustNote(tls: TlsConfig, engine: TlsEngine): string {
  if (tls.insecure || !tls.caPem) return "";
  return engine === "node:tls"
    ? ", trusting only the configured CA"
    : ", trusting the configured CA and the default roots";
}
