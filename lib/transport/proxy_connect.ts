/**
 * Opening a tunnel through an HTTP(S) proxy with `CONNECT host:port`, authenticating with
 * `Proxy-Authorization: Basic` when the proxy URL carries `user:password@` (as Go's transport does).
 *
 * @module
 */
import { BufferedReader } from "./buffered_reader.ts";
import { ProxyError } from "./errors.ts";
import { readResponseBody, readResponseHead, writeRequest } from "./http1.ts";
import { displayProxyUrl } from "./proxy.ts";
import type { ByteConn } from "./types.ts";

/**
 * The `Proxy-Authorization` value for a proxy URL's userinfo, or `undefined` without one.
 *
 * @example
 * ```ts
 * import { proxyAuthorization } from "./proxy_connect.ts";
 * proxyAuthorization(new URL("http://al%40ice:pw@proxy:3128")); // "Basic YWxAaWNlOnB3"
 * ```
 */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined;
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  const bytes = new TextEncoder().encode(credentials);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

/**
 * Asks the proxy on `conn` to connect to `authority` (`host:port`, IPv6 in brackets). Resolves
 * once the proxy answered `2xx`; the connection then carries the tunnel. A refusal throws
 * `ProxyError` with the status (`407` when the proxy wants credentials).
 *
 * @example
 * ```ts ignore
 * import { httpConnect } from "./proxy_connect.ts";
 * await httpConnect(conn, new URL("http://proxy:3128"), "api.example:6443");
 * ```
 */
export async function httpConnect(
  conn: ByteConn,
  proxy: URL,
  authority: string,
  userAgent?: string,
): Promise<void> {
  const headers: [string, string][] = [["Host", authority]];
  if (userAgent) headers.push(["User-Agent", userAgent]);
  const authorization = proxyAuthorization(proxy);
  if (authorization) headers.push(["Proxy-Authorization", authorization]);
  await writeRequest(conn, "CONNECT", authority, headers);
  // A small buffer: nothing but the response head may arrive before we speak inside the tunnel.
  const reader = new BufferedReader(conn, 16 * 1024);
  let head;
  try {
    head = await readResponseHead(reader);
  } catch (error) {
    throw new ProxyError(displayProxyUrl(proxy), (error as Error).message, undefined, {
      cause: error,
    });
  }
  if (head.status < 200 || head.status > 299) {
    await readResponseBody(reader, head, { limit: 4096, truncate: true, method: "CONNECT" })
      .catch(() => undefined);
    throw new ProxyError(
      displayProxyUrl(proxy),
      `${head.status} ${head.statusText}`.trimEnd(),
      head.status,
    );
  }
  if (reader.buffered > 0) {
    throw new ProxyError(displayProxyUrl(proxy), "proxy sent data before the tunnel was used");
  }
}
