/**
 * A SOCKS5 client handshake (RFC 1928) with no authentication or username/password (RFC 1929).
 * Host names are sent to the proxy to resolve — for `socks5://` as well as `socks5h://`, exactly
 * as Go's SOCKS dialer (and so kubectl) does.
 *
 * @module
 */
import { BufferedReader } from "./buffered_reader.ts";
import { ProxyError, type ProxyRefusal } from "./errors.ts";
import { parseIp } from "./ip.ts";
import { displayProxyUrl } from "./proxy.ts";
import type { ByteConn } from "./types.ts";

const REPLY_MESSAGES: Record<number, string> = {
  1: "general SOCKS server failure",
  2: "connection not allowed by ruleset",
  3: "network unreachable",
  4: "host unreachable",
  5: "connection refused",
  6: "TTL expired",
  7: "command not supported",
  8: "address type not supported",
};

/** What a SOCKS reply says about the target: not allowed, or not reachable from the proxy. */
const REPLY_REFUSALS: Record<number, ProxyRefusal> = {
  2: "forbidden",
  3: "unreachable",
  4: "unreachable",
  5: "unreachable",
  6: "unreachable",
};

/**
 * Asks the SOCKS5 proxy on `conn` to connect to `host:port`; resolves when the tunnel is open.
 *
 * @example
 * ```ts ignore
 * import { socks5Connect } from "./socks5.ts";
 * await socks5Connect(conn, new URL("socks5://user:pw@proxy:1080"), "api.example", 6443);
 * ```
 */
export async function socks5Connect(
  conn: ByteConn,
  proxy: URL,
  host: string,
  port: number,
): Promise<void> {
  const where = displayProxyUrl(proxy);
  const fail = (detail: string, refusal?: ProxyRefusal): never => {
    throw new ProxyError(where, `socks connect ${host}:${port}: ${detail}`, undefined, { refusal });
  };
  const encoder = new TextEncoder();
  const username = encoder.encode(decodeURIComponent(proxy.username));
  const password = encoder.encode(decodeURIComponent(proxy.password));
  const withAuth = username.length > 0 || password.length > 0;
  if (username.length > 255 || password.length > 255) fail("username or password too long");
  const reader = new BufferedReader(conn, 1024);
  const expect = async (count: number): Promise<Uint8Array> => {
    if (!(await reader.ensure(count))) fail("proxy closed the connection (unexpected EOF)");
    const bytes = reader.peek(count).slice();
    reader.consume(count);
    return bytes;
  };

  await conn.writeAll(withAuth ? Uint8Array.of(5, 2, 0, 2) : Uint8Array.of(5, 1, 0));
  const [version, method] = await expect(2);
  if (version !== 5) fail(`unexpected protocol version ${version}`);
  if (method === 0xff) fail("no acceptable authentication methods", "credentials");
  if (method === 2 && withAuth) {
    await conn.writeAll(
      Uint8Array.of(1, username.length, ...username, password.length, ...password),
    );
    const [, status] = await expect(2);
    if (status !== 0) fail("username/password authentication failed", "credentials");
  } else if (method !== 0) {
    fail(`unsupported authentication method ${method}`);
  }

  const ip = parseIp(host);
  const address = ip?.length === 4
    ? Uint8Array.of(1, ...ip)
    : ip
    ? Uint8Array.of(4, ...ip)
    : encoder.encode(host).length > 255
    ? fail("host name too long")
    : Uint8Array.of(3, encoder.encode(host).length, ...encoder.encode(host));
  await conn.writeAll(Uint8Array.of(5, 1, 0, ...address, port >> 8, port & 0xff));
  const [replyVersion, reply, , addressType] = await expect(4);
  if (replyVersion !== 5) fail(`unexpected protocol version ${replyVersion}`);
  if (reply !== 0) fail(REPLY_MESSAGES[reply] ?? `unknown error ${reply}`, REPLY_REFUSALS[reply]);
  const boundLength = addressType === 1
    ? 4
    : addressType === 4
    ? 16
    : addressType === 3
    ? (await expect(1))[0]
    : fail(`unknown address type ${addressType}`);
  await expect(boundLength + 2);
  if (reader.buffered > 0) fail("proxy sent data before the tunnel was used");
}
