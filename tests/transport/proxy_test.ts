/**
 * Proxy selection (kubeconfig `proxy-url`, `HTTPS_PROXY`/`HTTP_PROXY`, `NO_PROXY` with Go's
 * matching rules) and tunnelling through loopback HTTP CONNECT, https and SOCKS5 proxies, for REST
 * calls and WebSocket upgrades alike.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createApiClient } from "../../lib/transport/api_client.ts";
import { ConnectError, ProxyError, TlsError } from "../../lib/transport/errors.ts";
import { parseProxyUrl, resolveProxy, useProxy } from "../../lib/transport/proxy.ts";
import { CgiProxyError } from "../../lib/transport/errors.ts";
import { proxyAuthorization } from "../../lib/transport/proxy_connect.ts";
import { testPki } from "../support/pki.ts";
import { noCredentials } from "../support/transport_credentials.ts";
import {
  startConnectProxy,
  startSocks5Proxy,
  type TestProxy,
} from "../support/transport_proxies.ts";
import { acceptWebSocket, startTestServer } from "../support/transport_server.ts";

Deno.test("NO_PROXY matching follows golang.org/x/net/http/httpproxy", () => {
  const table: [string, string, string, boolean][] = [
    // [host, port, NO_PROXY, proxied?]
    ["api.example.com", "443", "", true],
    ["localhost", "443", "", false],
    ["127.0.0.1", "6443", "", false],
    ["127.9.9.9", "6443", "", false],
    ["::1", "6443", "", false],
    ["example.com", "443", "example.com", false],
    ["api.example.com", "443", "example.com", false],
    ["notexample.com", "443", "example.com", true],
    ["example.com", "443", ".example.com", true],
    ["api.example.com", "443", ".example.com", false],
    ["example.com", "443", "*.example.com", true],
    ["a.b.example.com", "443", "*.example.com", false],
    ["api.example.com", "443", " Example.COM ", false],
    ["api.example.com", "443", "other.org, example.com", false],
    ["anything.at.all", "443", "*", false],
    ["10.1.2.3", "443", "*", false],
    ["10.1.2.3", "443", "10.0.0.0/8", false],
    ["11.1.2.3", "443", "10.0.0.0/8", true],
    ["k8s.internal", "443", "10.0.0.0/8", true],
    ["10.1.2.3", "443", "10.1.2.3", false],
    ["10.1.2.4", "443", "10.1.2.3", true],
    ["10.1.2.3", "6443", "10.1.2.3:6443", false],
    ["10.1.2.3", "443", "10.1.2.3:6443", true],
    ["api.example.com", "6443", "example.com:6443", false],
    ["api.example.com", "443", "example.com:6443", true],
    ["2001:db8::1", "443", "2001:db8::/32", false],
    ["2001:db9::1", "443", "2001:db8::/32", true],
    ["2001:db8::1", "443", "2001:db8::1", false],
    ["2001:db8::1", "6443", "[2001:db8::1]:6443", false],
    ["2001:db8::1", "443", "[2001:db8::1]:6443", true],
    ["10.0.0.1", "443", "::ffff:10.0.0.1", false],
    ["10.1.2.3", "443", "10.0.0.0/33", true],
    ["api.example.com", "443", ":6443", true],
    ["api.example.com", "443", ",,", true],
    // Domain entries never match an IP server, even when its text ends with theirs.
    ["192.0.2.2", "443", ".0.2.2", true],
    ["192.0.2.2", "443", "0.2.2", true],
    // The server's host arrives in punycode (URL parsing); Go converts NO_PROXY entries too.
    ["api.xn--bcher-kva.example", "443", "bücher.example", false],
    ["xn--bcher-kva.example", "443", "*.bücher.example", true],
    ["api.xn--bcher-kva.example", "443", ".BÜCHER.example", false],
  ];
  for (const [host, port, noProxy, proxied] of table) {
    assert.equal(
      useProxy(host, port, noProxy),
      proxied,
      `${host}:${port} with NO_PROXY=${noProxy}`,
    );
  }
});

Deno.test("the environment proxy depends on the scheme, upper case first, NO_PROXY applied", () => {
  const envOf = (values: Record<string, string>) => (name: string) => values[name];
  const https = new URL("https://api.example.com:6443");
  const http = new URL("http://api.example.com");
  const both = envOf({ HTTPS_PROXY: "secure:3128", HTTP_PROXY: "http://plain:3128" });
  assert.equal(resolveProxy(https, { env: both })?.url.href, "http://secure:3128/");
  assert.equal(resolveProxy(https, { env: both })?.source, "HTTPS_PROXY");
  assert.equal(resolveProxy(http, { env: both })?.url.href, "http://plain:3128/");
  assert.equal(resolveProxy(https, { env: envOf({ HTTP_PROXY: "plain:3128" }) }), undefined);
  const lower = envOf({ https_proxy: "socks5://lower:1080", no_proxy: "other.org" });
  assert.equal(resolveProxy(https, { env: lower })?.kind, "socks5");
  assert.equal(resolveProxy(https, { env: lower })?.source, "https_proxy");
  const upperWins = envOf({ HTTPS_PROXY: "upper:1", https_proxy: "lower:2" });
  assert.equal(resolveProxy(https, { env: upperWins })?.url.host, "upper:1");
  const excluded = envOf({ HTTPS_PROXY: "p:3128", NO_PROXY: ".example.com" });
  assert.equal(resolveProxy(https, { env: excluded }), undefined);
  const loopback = new URL("https://127.0.0.1:6443");
  assert.equal(resolveProxy(loopback, { env: both }), undefined);
  assert.equal(resolveProxy(https, { env: envOf({ HTTPS_PROXY: "" }) }), undefined);
});

Deno.test("an explicit proxy-url wins and applies even to loopback and NO_PROXY hosts", () => {
  const env = (name: string) =>
    ({ HTTPS_PROXY: "env:3128", NO_PROXY: "*" } as Record<string, string>)[name];
  const route = resolveProxy(new URL("https://127.0.0.1:6443"), {
    proxyUrl: "socks5h://u:p@127.0.0.1:1080",
    env,
  });
  assert.equal(route?.kind, "socks5h");
  assert.equal(route?.source, "proxy-url");
  assert.throws(
    () => parseProxyUrl("ftp://proxy:21"),
    (error: Error) =>
      error instanceof ProxyError && /unsupported proxy scheme "ftp"/.test(error.message),
  );
  assert.throws(() => parseProxyUrl("::not a url::"), ProxyError);
  assert.equal(
    proxyAuthorization(new URL("http://al%40ice:p%3Ass@proxy:3128")),
    `Basic ${btoa("al@ice:p:ss")}`,
  );
  assert.equal(proxyAuthorization(new URL("http://proxy:3128")), undefined);
});

async function throughProxy(
  proxyUrl: string,
  options: { server?: "localhost"; transport?: "raw" | "native" } = {},
) {
  const pki = await testPki();
  const server = await startTestServer({
    tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem },
    handler: async (request, conn) => {
      if (request.headers.get("upgrade") === "websocket") {
        await (await acceptWebSocket(request, conn)).echo();
      } else {
        await conn.respond(200, "OK", "through");
      }
    },
  });
  const logs: string[] = [];
  const client = createApiClient(
    {
      server: `https://${options.server ?? "127.0.0.1"}:${server.port}`,
      tls: { caPem: pki.ca.certPem },
      auth: {},
      namespace: "default",
      namespaceExplicit: false,
      proxyUrl,
    },
    noCredentials(),
    {
      env: () => undefined,
      logger: (_level, message) => logs.push(message()),
      transport: options.transport,
    },
  );
  try {
    const response = await client.request({ path: "/" }).then((r) => r, (e) => e as Error);
    if (response instanceof Error) return { error: response, logs, port: server.port };
    assert.equal(new TextDecoder().decode(response.body), "through");
    const ws = await client.upgrade("/ws", ["v5.channel.k8s.io"]);
    await ws.send(Uint8Array.of(1, 2, 3));
    assert.deepEqual((await ws.receive())?.data, Uint8Array.of(1, 2, 3));
    await ws.close(1000);
    return { error: undefined, logs, port: server.port };
  } finally {
    await server.close();
  }
}

function withCredentials(proxy: TestProxy, username: string, password: string): string {
  const url = new URL(proxy.url);
  url.username = username;
  url.password = password;
  return url.href;
}

Deno.test("HTTP CONNECT proxy carries REST calls and upgrades", async () => {
  const proxy = await startConnectProxy();
  try {
    const { error, logs, port } = await throughProxy(proxy.url.href);
    assert.equal(error, undefined);
    assert.deepEqual(proxy.targets, [`127.0.0.1:${port}`, `127.0.0.1:${port}`]);
    assert.ok(
      logs.some((line) => line.includes(`via http proxy ${proxy.url.origin} (from proxy-url)`)),
    );
  } finally {
    await proxy.close();
  }
});

Deno.test("HTTP CONNECT proxy with Basic authentication, and 407 without it", async () => {
  const proxy = await startConnectProxy({
    credentials: { username: "al@ice", password: "s3cr3t!" },
  });
  try {
    const good = await throughProxy(withCredentials(proxy, "al%40ice", "s3cr3t!"));
    assert.equal(good.error, undefined);
    assert.equal(proxy.authorizations[0], `Basic ${btoa("al@ice:s3cr3t!")}`);
    assert.ok(
      good.logs.every((line) => !line.includes("s3cr3t")),
      "the proxy password is never logged",
    );
    const bad = await throughProxy(withCredentials(proxy, "al%40ice", "wrong"));
    assert.ok(bad.error instanceof ProxyError);
    assert.equal(bad.error.status, 407);
    assert.equal(
      bad.error.message,
      `proxyconnect tcp: ${proxy.url.origin}: 407 Proxy Authentication Required`,
    );
    const none = await throughProxy(proxy.url.href);
    assert.ok(none.error instanceof ProxyError && none.error.status === 407);
  } finally {
    await proxy.close();
  }
});

Deno.test("https proxy: TLS to the proxy, CONNECT, then TLS to the server inside", async () => {
  const pki = await testPki();
  const proxy = await startConnectProxy({
    tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem },
  });
  try {
    const { error, port } = await throughProxy(proxy.url.href);
    assert.equal(error, undefined);
    assert.deepEqual(proxy.targets, [`127.0.0.1:${port}`, `127.0.0.1:${port}`]);
  } finally {
    await proxy.close();
  }
});

Deno.test("SOCKS5 proxy without authentication; socks5h sends the host name", async () => {
  const proxy = await startSocks5Proxy();
  try {
    const { error, port } = await throughProxy(proxy.url.href);
    assert.equal(error, undefined);
    const named = await throughProxy(`socks5h://${proxy.url.host}`, { server: "localhost" });
    assert.equal(named.error, undefined);
    assert.deepEqual(proxy.targets, [
      `127.0.0.1:${port}`,
      `127.0.0.1:${port}`,
      `localhost:${named.port}`,
      `localhost:${named.port}`,
    ]);
  } finally {
    await proxy.close();
  }
});

Deno.test("SOCKS5 proxy with username/password, and a refused login", async () => {
  const proxy = await startSocks5Proxy({ credentials: { username: "bob", password: "pw" } });
  try {
    const good = await throughProxy(withCredentials(proxy, "bob", "pw"));
    assert.equal(good.error, undefined);
    assert.deepEqual(proxy.authorizations, ["bob", "bob"]);
    const bad = await throughProxy(withCredentials(proxy, "bob", "nope"));
    assert.ok(bad.error instanceof ProxyError);
    assert.match(bad.error.message, /username\/password authentication failed/);
    const none = await throughProxy(proxy.url.href);
    assert.ok(none.error instanceof ProxyError);
    assert.match(none.error.message, /no acceptable authentication methods/);
  } finally {
    await proxy.close();
  }
});

Deno.test("a proxy that cannot reach the server answers 502 / SOCKS refusal", async () => {
  const closed = await startTestServer({ handler: () => {} });
  const port = closed.port;
  await closed.close();
  const http = await startConnectProxy();
  const socks = await startSocks5Proxy();
  try {
    const pki = await testPki();
    for (
      const [proxy, pattern] of [[http, /502 Bad Gateway/], [socks, /connection refused/]] as const
    ) {
      const client = createApiClient(
        {
          server: `https://127.0.0.1:${port}`,
          tls: { caPem: pki.ca.certPem },
          auth: {},
          namespace: "default",
          namespaceExplicit: false,
          proxyUrl: proxy.url.href,
        },
        noCredentials(),
        { env: () => undefined },
      );
      await assert.rejects(
        client.request({ path: "/" }),
        (error: Error) => error instanceof ProxyError && pattern.test(error.message),
      );
    }
  } finally {
    await http.close();
    await socks.close();
  }
});

Deno.test("native WebSocket upgrades go through HTTP CONNECT and authenticated SOCKS5 proxies", async () => {
  const http = await startConnectProxy();
  const socks = await startSocks5Proxy({ credentials: { username: "u", password: "p" } });
  try {
    const viaHttp = await throughProxy(http.url.href, { transport: "native" });
    assert.equal(viaHttp.error, undefined);
    assert.deepEqual(http.targets, [`127.0.0.1:${viaHttp.port}`, `127.0.0.1:${viaHttp.port}`]);
    const viaSocks = await throughProxy(withCredentials(socks, "u", "p"), { transport: "native" });
    assert.equal(viaSocks.error, undefined);
    assert.deepEqual(socks.targets, [`127.0.0.1:${viaSocks.port}`, `127.0.0.1:${viaSocks.port}`]);
  } finally {
    await http.close();
    await socks.close();
  }
});

Deno.test("an unreachable or untrusted proxy is a ProxyError naming it, with the cause", async () => {
  const pki = await testPki();
  const gone = await startConnectProxy();
  const goneUrl = gone.url;
  await gone.close();
  const refused = await throughProxy(goneUrl.href);
  assert.ok(refused.error instanceof ProxyError);
  assert.equal(
    refused.error.message,
    `proxyconnect tcp: ${goneUrl.origin}: dial tcp ${goneUrl.host}: connect: connection refused`,
  );
  assert.ok(refused.error.cause instanceof ConnectError);
  const proxyCert = await pki.issueServer({ names: ["127.0.0.1"], name: "proxy-cert" });
  const untrusted = await startConnectProxy({
    tls: { certPem: proxyCert.certPem, keyPem: proxyCert.keyPem },
  });
  try {
    const client = createApiClient(
      {
        server: "https://127.0.0.1:1",
        tls: { caPem: pki.otherCa.certPem },
        auth: {},
        namespace: "default",
        namespaceExplicit: false,
        proxyUrl: untrusted.url.href,
      },
      noCredentials(),
      { env: () => undefined },
    );
    await assert.rejects(
      client.request({ path: "/" }),
      (error: Error) =>
        error instanceof ProxyError && error.cause instanceof TlsError &&
        error.message.includes("x509: certificate signed by unknown authority"),
    );
  } finally {
    await untrusted.close();
  }
});

Deno.test("HTTP_PROXY in a CGI environment is refused, as Go refuses it (httpoxy)", () => {
  const envOf = (values: Record<string, string>) => (name: string) => values[name];
  const http = new URL("http://api.example.com");
  const cgi = envOf({ REQUEST_METHOD: "GET", http_proxy: "http://plain:3128", NO_PROXY: "*" });
  assert.throws(
    () => resolveProxy(http, { env: cgi }),
    (error: unknown) =>
      error instanceof CgiProxyError &&
      error.message ===
        "refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy",
  );
  // https is not affected, nor a proxy-url from the kubeconfig, nor http without a proxy set.
  const https = new URL("https://api.example.com");
  assert.equal(
    resolveProxy(https, { env: envOf({ REQUEST_METHOD: "GET", HTTPS_PROXY: "s:3128" }) })?.url
      .host,
    "s:3128",
  );
  assert.equal(resolveProxy(http, { env: cgi, proxyUrl: "http://p:3128" })?.url.host, "p:3128");
  assert.equal(resolveProxy(http, { env: envOf({ REQUEST_METHOD: "GET" }) }), undefined);
});
