/**
 * SOCKS5 and HTTP CONNECT handshakes against scripted proxies: the bytes kubexec sends and every
 * way a proxy can answer wrongly.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ProxyError } from "../../lib/transport/errors.ts";
import { httpConnect } from "../../lib/transport/proxy_connect.ts";
import { socks5Connect } from "../../lib/transport/socks5.ts";
import { scriptedConn } from "../support/transport_scripted.ts";

const SUCCESS_V4 = Uint8Array.of(5, 0, 0, 1, 10, 0, 0, 1, 0x1f, 0x90);

Deno.test("SOCKS5 requests encode IPv4, IPv6 and host names; credentials per RFC 1929", async () => {
  const cases: [string, number[]][] = [
    ["10.1.2.3", [5, 1, 0, 1, 10, 1, 2, 3, 0x19, 0x2b]],
    ["::1", [5, 1, 0, 4, ...new Array(15).fill(0), 1, 0x19, 0x2b]],
    ["api.example", [5, 1, 0, 3, 11, ...new TextEncoder().encode("api.example"), 0x19, 0x2b]],
  ];
  for (const [host, request] of cases) {
    const conn = scriptedConn([Uint8Array.of(5, 0), SUCCESS_V4]);
    await socks5Connect(conn, new URL("socks5://127.0.0.1:1080"), host, 6443);
    assert.deepEqual(conn.written.map((w) => [...w]), [[5, 1, 0], request]);
  }
  const withAuth = scriptedConn([
    Uint8Array.of(5, 2),
    Uint8Array.of(1, 0),
    Uint8Array.of(5, 0, 0, 3, 3, 97, 98, 99, 0, 80),
  ]);
  await socks5Connect(withAuth, new URL("socks5://b%40b:pw@127.0.0.1:1080"), "h", 443);
  assert.deepEqual([...withAuth.written[0]], [5, 2, 0, 2]);
  assert.deepEqual([...withAuth.written[1]], [1, 3, 98, 64, 98, 2, 112, 119]);
});

Deno.test("SOCKS5 failures are ProxyErrors with the reason", async () => {
  const long = "x".repeat(256);
  const cases: [string, (string | Uint8Array)[], string, RegExp][] = [
    ["bad version", [Uint8Array.of(4, 0)], "socks5://p", /unexpected protocol version 4/],
    ["no method", [Uint8Array.of(5, 0xff)], "socks5://p", /no acceptable authentication methods/],
    ["unasked method", [Uint8Array.of(5, 2)], "socks5://p", /unsupported authentication method 2/],
    [
      "auth refused",
      [Uint8Array.of(5, 2), Uint8Array.of(1, 1)],
      "socks5://u:p@p",
      /authentication failed/,
    ],
    ["long user", [], `socks5://${long}:p@p`, /username or password too long/],
    [
      "ruleset",
      [Uint8Array.of(5, 0), Uint8Array.of(5, 2, 0, 1)],
      "socks5://p",
      /not allowed by ruleset/,
    ],
    [
      "unknown reply",
      [Uint8Array.of(5, 0), Uint8Array.of(5, 42, 0, 1)],
      "socks5://p",
      /unknown error 42/,
    ],
    [
      "reply version",
      [Uint8Array.of(5, 0), Uint8Array.of(4, 0, 0, 1)],
      "socks5://p",
      /unexpected protocol version 4/,
    ],
    [
      "address type",
      [Uint8Array.of(5, 0), Uint8Array.of(5, 0, 0, 9)],
      "socks5://p",
      /unknown address type 9/,
    ],
    ["eof", [Uint8Array.of(5, 0), Uint8Array.of(5, 0)], "socks5://p", /unexpected EOF/],
    [
      "early data",
      [Uint8Array.of(5, 0), Uint8Array.of(...SUCCESS_V4, 1)],
      "socks5://p",
      /sent data before the tunnel/,
    ],
  ];
  for (const [name, script, proxy, pattern] of cases) {
    await assert.rejects(
      socks5Connect(scriptedConn(script), new URL(proxy), "h", 443),
      (error: Error) =>
        error instanceof ProxyError && pattern.test(error.message) && !error.message.includes("@"),
      name,
    );
  }
  await assert.rejects(
    socks5Connect(scriptedConn([Uint8Array.of(5, 0)]), new URL("socks5://p"), long, 443),
    /host name too long/,
  );
});

Deno.test("HTTP CONNECT request bytes, and proxies that answer wrongly", async () => {
  const ok = scriptedConn(["HTTP/1.1 200 Connection established\r\n\r\n"]);
  await httpConnect(ok, new URL("http://u:p@proxy:3128"), "[::1]:6443", "kubexec/test");
  assert.equal(
    new TextDecoder().decode(ok.written[0]),
    `CONNECT [::1]:6443 HTTP/1.1\r\nHost: [::1]:6443\r\nUser-Agent: kubexec/test\r\nProxy-Authorization: Basic ${
      btoa("u:p")
    }\r\n\r\n`,
  );
  const cases: [string, string[], RegExp, number | undefined][] = [
    ["garbage", ["SSH-2.0\r\n\r\n"], /malformed HTTP response/, undefined],
    ["eof", [], /without a response/, undefined],
    ["forbidden", ["HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno"], /403 Forbidden$/, 403],
    ["early data", ["HTTP/1.1 200 OK\r\n\r\nSSH-2.0"], /sent data before the tunnel/, undefined],
  ];
  for (const [name, script, pattern, status] of cases) {
    await assert.rejects(
      httpConnect(scriptedConn(script), new URL("http://u:secret@proxy:3128"), "h:443"),
      (error: Error) =>
        error instanceof ProxyError && pattern.test(error.message) && error.status === status &&
        !error.message.includes("secret"),
      name,
    );
  }
});
