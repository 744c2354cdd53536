/**
 * `createApiClient`: URL joining, the headers every request carries, 401 → invalidate → retry,
 * `--request-timeout` on REST calls and upgrades (but not on the established stream), body caps,
 * `-v` logging with secrets redacted, and the native transport's refusals.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { RestConfig } from "../../lib/kubeconfig/types.ts";
import { createApiClient, parseServerUrl } from "../../lib/transport/api_client.ts";
import {
  BodyTooLargeError,
  NativeTransportUnsupportedError,
  TransportTimeoutError,
  UpgradeError,
} from "../../lib/transport/errors.ts";
import { MAX_REST_BODY_BYTES } from "../../lib/transport/http1.ts";
import { userAgent } from "../../lib/version.ts";
import { testPki } from "../support/pki.ts";
import {
  type CountingProvider,
  noCredentials,
  sequenceCredentials,
} from "../support/transport_credentials.ts";
import { startConnectProxy } from "../support/transport_proxies.ts";
import {
  acceptWebSocket,
  type ServerConn,
  startTestServer,
  type TestRequest,
  type TestServer,
} from "../support/transport_server.ts";

const UNAUTHORIZED = JSON.stringify({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message: "Unauthorized",
  reason: "Unauthorized",
  code: 401,
});

async function tlsServer(
  handler: (request: TestRequest, conn: ServerConn) => Promise<void> | void,
): Promise<TestServer> {
  const pki = await testPki();
  return await startTestServer({
    tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem },
    handler,
  });
}

async function configFor(server: string, extra: Partial<RestConfig> = {}): Promise<RestConfig> {
  const pki = await testPki();
  return {
    server,
    tls: { caPem: pki.ca.certPem },
    auth: {},
    namespace: "default",
    namespaceExplicit: false,
    ...extra,
  };
}

/** Answers 401 to the bearer token `stale`, 200 (or a WebSocket) otherwise. */
function tokenChecking(request: TestRequest, conn: ServerConn): Promise<void> {
  if (request.headers.get("authorization") === "Bearer stale") {
    return conn.respond(401, "Unauthorized", UNAUTHORIZED, [["Content-Type", "application/json"]]);
  }
  if (request.headers.get("upgrade") === "websocket") {
    return acceptWebSocket(request, conn).then((ws) => ws.echo()).then(() => {});
  }
  return conn.respond(200, "OK", "fine");
}

Deno.test("server URLs: scheme defaults to https, only http and https accepted", () => {
  assert.equal(parseServerUrl("10.0.0.1:6443").href, "https://10.0.0.1:6443/");
  assert.equal(parseServerUrl("http://h:8080/p").href, "http://h:8080/p");
  assert.throws(() => parseServerUrl("ftp://h"), TypeError);
});

Deno.test("requests join the path prefix and carry user agent, credentials and impersonation", async () => {
  const server = await tlsServer((_request, conn) => conn.respond(200, "OK", "{}"));
  try {
    const config = await configFor(`${server.url.origin}/prefix/`, {
      impersonate: { user: "jane", groups: ["devs", "ops"], extra: { "acme.io/scopes": ["read"] } },
    });
    const client = createApiClient(
      config,
      sequenceCredentials([[["Authorization", "Bearer tok"]]]),
      { env: () => undefined },
    );
    assert.equal(client.server.href, `${server.url.origin}/prefix/`);
    const response = await client.request({
      method: "POST",
      path: "/api/v1/namespaces/default/pods?limit=1",
      headers: [["Accept", "application/json"]],
      body: new TextEncoder().encode('{"x":1}'),
    });
    assert.equal(response.status, 200);
    const [request] = server.requests;
    assert.equal(request.method, "POST");
    assert.equal(request.target, "/prefix/api/v1/namespaces/default/pods?limit=1");
    assert.deepEqual(request.rawHeaders, [
      ["Host", `127.0.0.1:${server.port}`],
      ["User-Agent", userAgent()],
      ["Authorization", "Bearer tok"],
      ["Impersonate-User", "jane"],
      ["Impersonate-Group", "devs"],
      ["Impersonate-Group", "ops"],
      ["Impersonate-Extra-acme.io%2Fscopes", "read"],
      ["Accept", "application/json"],
      ["Content-Length", "7"],
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("a caller's Authorization header replaces the provider's", async () => {
  const server = await tlsServer((_request, conn) => conn.respond(200, "OK", ""));
  try {
    const client = createApiClient(
      await configFor(server.url.href),
      sequenceCredentials([[["Authorization", "Bearer provider"]]]),
      { env: () => undefined },
    );
    await client.request({ path: "/", headers: [["Authorization", "Bearer caller"]] });
    assert.deepEqual(server.requests[0].headers.get("authorization"), "Bearer caller");
  } finally {
    await server.close();
  }
});

Deno.test("credentials are sent to http:// servers too, as client-go does", async () => {
  const server = await startTestServer({ handler: (_r, conn) => conn.respond(200, "OK", "") });
  try {
    const client = createApiClient(
      await configFor(server.url.href, { tls: {} }),
      sequenceCredentials([[["Authorization", "Bearer plain"]]]),
      { env: () => undefined },
    );
    assert.equal((await client.request({ path: "/version" })).status, 200);
    assert.equal(server.requests[0].headers.get("authorization"), "Bearer plain");
  } finally {
    await server.close();
  }
});

Deno.test("401 invalidates the credentials and retries once with fresh ones", async () => {
  const server = await tlsServer(tokenChecking);
  try {
    const config = await configFor(server.url.href);
    const refreshing: CountingProvider = sequenceCredentials([
      [["Authorization", "Bearer stale"]],
      [["Authorization", "Bearer fresh"]],
    ]);
    const response = await createApiClient(config, refreshing, { env: () => undefined })
      .request({ path: "/" });
    assert.equal(response.status, 200);
    assert.equal(refreshing.invalidations, 1);
    assert.deepEqual(
      server.requests.map((r) => r.headers.get("authorization")),
      ["Bearer stale", "Bearer fresh"],
    );

    const stuck = sequenceCredentials([[["Authorization", "Bearer stale"]]]);
    const refused = await createApiClient(config, stuck, { env: () => undefined }).request({
      path: "/",
    });
    assert.equal(refused.status, 401);
    assert.equal(JSON.parse(new TextDecoder().decode(refused.body)).message, "Unauthorized");
    assert.equal(stuck.invalidations, 1);
    assert.equal(server.requests.length, 3, "no retry when invalidate() says nothing changed");

    const alwaysStale = sequenceCredentials([
      [["Authorization", "Bearer stale"]],
      [["Authorization", "Bearer stale"]],
      [["Authorization", "Bearer fresh"]],
    ]);
    const second = await createApiClient(config, alwaysStale, { env: () => undefined }).request({
      path: "/",
    });
    assert.equal(second.status, 401, "only one retry");
    assert.equal(alwaysStale.invalidations, 1);
  } finally {
    await server.close();
  }
});

Deno.test("a 401 on the upgrade also refreshes and retries once", async () => {
  const server = await tlsServer(tokenChecking);
  try {
    const config = await configFor(server.url.href);
    const refreshing = sequenceCredentials([
      [["Authorization", "Bearer stale"]],
      [["Authorization", "Bearer fresh"]],
    ]);
    const ws = await createApiClient(config, refreshing, { env: () => undefined })
      .upgrade("/exec", ["v5.channel.k8s.io"]);
    assert.equal(ws.protocol, "v5.channel.k8s.io");
    await ws.close(1000);
    assert.equal(refreshing.invalidations, 1);

    const stuck = sequenceCredentials([[["Authorization", "Bearer stale"]]]);
    await assert.rejects(
      createApiClient(config, stuck, { env: () => undefined }).upgrade("/exec", [
        "v5.channel.k8s.io",
      ]),
      (error: Error) =>
        error instanceof UpgradeError && error.status === 401 &&
        JSON.parse(new TextDecoder().decode(error.body)).reason === "Unauthorized",
    );
  } finally {
    await server.close();
  }
});

Deno.test("timeoutMs bounds REST calls and the upgrade handshake, not the stream", async () => {
  const silent = await tlsServer(async (_request, conn) => {
    await conn.readExactly(1);
  });
  const echo = await tlsServer(async (request, conn) => {
    await (await acceptWebSocket(request, conn)).echo();
  });
  try {
    const client = createApiClient(
      await configFor(silent.url.href, { timeoutMs: 150 }),
      noCredentials(),
      { env: () => undefined },
    );
    await assert.rejects(
      client.request({ path: "/slow" }),
      (error: Error) => error instanceof TransportTimeoutError && error.timeoutMs === 150,
    );
    await assert.rejects(client.upgrade("/slow", ["v5.channel.k8s.io"]), TransportTimeoutError);
    const native = createApiClient(
      await configFor(silent.url.href, { timeoutMs: 150 }),
      noCredentials(),
      { env: () => undefined, transport: "native" },
    );
    await assert.rejects(native.upgrade("/slow", ["v5.channel.k8s.io"]), TransportTimeoutError);

    const streaming = createApiClient(
      await configFor(echo.url.href, { timeoutMs: 150 }),
      noCredentials(),
      { env: () => undefined },
    );
    const ws = await streaming.upgrade("/exec", ["v5.channel.k8s.io"]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await ws.send(Uint8Array.of(9));
    assert.deepEqual((await ws.receive())?.data, Uint8Array.of(9));
    await ws.close(1000);
  } finally {
    await silent.close();
    await echo.close();
  }
});

Deno.test("REST bodies over the cap are refused", async () => {
  const server = await tlsServer((_request, conn) =>
    conn.respond(200, "OK", new Uint8Array(MAX_REST_BODY_BYTES + 1))
  );
  try {
    const client = createApiClient(await configFor(server.url.href), noCredentials(), {
      env: () => undefined,
    });
    await assert.rejects(client.request({ path: "/huge" }), BodyTooLargeError);
  } finally {
    await server.close();
  }
});

Deno.test("-v=9 logs requests, statuses, proxy and subprotocol but never a secret", async () => {
  const server = await tlsServer(tokenChecking);
  const proxy = await startConnectProxy({
    credentials: { username: "pu", password: "proxy-secret-77" },
  });
  try {
    const logs: [number, string][] = [];
    const bearerProtocol = "base64url.bearer.authorization.k8s.io.c2VjcmV0LXRva2VuLTQy";
    const client = createApiClient(
      await configFor(server.url.href, {
        proxyUrl: `http://pu:proxy-secret-77@${proxy.url.host}`,
        impersonate: { user: "jane" },
      }),
      sequenceCredentials([
        [["Authorization", "Bearer stale"]],
        [["Authorization", "Basic dXNlcjpiYXNpYy1zZWNyZXQtOTk="]],
      ]),
      { env: () => undefined, logger: (level, message) => logs.push([level, message()]) },
    );
    await client.request({ path: "/api/v1/namespaces/default/pods/web-0" });
    const ws = await client.upgrade("/exec", ["v5.channel.k8s.io", bearerProtocol]);
    await ws.close(1000);
    const text = logs.map(([, line]) => line).join("\n");
    for (
      const secret of [
        "stale",
        "dXNlcjpiYXNpYy1zZWNyZXQtOTk",
        "proxy-secret-77",
        "c2VjcmV0LXRva2VuLTQy",
      ]
    ) {
      assert.ok(!text.includes(secret), `secret ${secret} leaked into the logs:\n${text}`);
    }
    const at = (level: number) => logs.filter(([l]) => l === level).map(([, line]) => line);
    assert.ok(
      at(6).some((line) =>
        new RegExp(
          `^GET ${server.url.origin}/api/v1/namespaces/default/pods/web-0 401 Unauthorized in \\d+ milliseconds$`,
        )
          .test(line)
      ),
    );
    assert.ok(at(6).some((line) => / 200 OK in \d+ milliseconds$/.test(line)));
    assert.ok(
      at(6).some((line) => line === 'Negotiated WebSocket subprotocol "v5.channel.k8s.io"'),
    );
    assert.ok(at(6).some((line) => line.includes(`via http proxy ${proxy.url.origin}`)));
    assert.ok(at(6).some((line) => line.includes("server name (none, IP address)")));
    assert.ok(at(7).some((line) => line.includes("Authorization: Bearer <masked>")));
    assert.ok(at(7).some((line) => line.includes("Authorization: Basic <masked>")));
    assert.ok(at(7).some((line) => line.includes("Impersonate-User: jane")));
    assert.ok(
      at(7).some((line) => line.includes("base64url.bearer.authorization.k8s.io.<masked>")),
    );
    assert.ok(at(8).some((line) => line.startsWith("Response Headers:")));
  } finally {
    await server.close();
    await proxy.close();
  }
});

Deno.test("the native transport refuses settings it cannot honour", async () => {
  for (
    const [tls, setting] of [
      [{ insecure: true }, "insecure-skip-tls-verify"],
      [{ serverName: "api.internal" }, "tls-server-name"],
    ] as const
  ) {
    const client = createApiClient(
      await configFor("https://127.0.0.1:1", { tls }),
      noCredentials(),
      { env: () => undefined, transport: "native" },
    );
    await assert.rejects(
      client.upgrade("/exec", ["v5.channel.k8s.io"]),
      (error: Error) =>
        error instanceof NativeTransportUnsupportedError && error.setting === setting,
    );
  }
});

Deno.test("IPv6 literal servers and plain ws:// upgrades, raw and native", async () => {
  const pki = await testPki();
  const handler = async (request: TestRequest, conn: ServerConn) => {
    if (request.headers.get("upgrade") === "websocket") {
      await (await acceptWebSocket(request, conn)).echo();
    } else {
      await conn.respond(200, "OK", "v6");
    }
  };
  const secure = await startTestServer({
    host: "::1",
    tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem },
    handler,
  });
  const plain = await startTestServer({ handler });
  try {
    for (const transport of ["raw", "native"] as const) {
      for (const server of [secure, plain]) {
        const client = createApiClient(
          await configFor(server.url.href, server === plain ? { tls: {} } : {}),
          noCredentials(),
          { env: () => undefined, transport },
        );
        assert.equal(new TextDecoder().decode((await client.request({ path: "/" })).body), "v6");
        const ws = await client.upgrade("/ws", ["v4.channel.k8s.io"]);
        await ws.send(Uint8Array.of(4, 2));
        assert.deepEqual((await ws.receive())?.data, Uint8Array.of(4, 2));
        await ws.close(1000);
      }
    }
    assert.equal(secure.requests[0].headers.get("host"), `[::1]:${secure.port}`);
  } finally {
    await secure.close();
    await plain.close();
  }
});

Deno.test("keepAlive: the upgrade after a GET reuses its connection; without it, two", async () => {
  const server = await tlsServer(tokenChecking);
  try {
    const config = await configFor(server.url.href);
    const kept = createApiClient(config, noCredentials(), {
      env: () => undefined,
      keepAlive: true,
    });
    assert.equal((await kept.request({ path: "/api/v1/namespaces/default/pods/web" })).status, 200);
    const ws = await kept.upgrade("/exec", ["v5.channel.k8s.io"]);
    await ws.send(new TextEncoder().encode("hi"));
    assert.deepEqual(new TextDecoder().decode((await ws.receive())!.data), "hi");
    await ws.close(1000);
    assert.equal(server.connections, 1);
    kept.closeIdleConnections?.();

    const fresh = createApiClient(config, noCredentials(), { env: () => undefined });
    await fresh.request({ path: "/api/v1/namespaces/default/pods/web" });
    const ws2 = await fresh.upgrade("/exec", ["v5.channel.k8s.io"]);
    await ws2.close(1000);
    assert.equal(server.connections, 3);
  } finally {
    await server.close();
  }
});

Deno.test("keepAlive: a kept connection the server closed is replaced without an error", async () => {
  let served = 0;
  const server = await tlsServer(async (request, conn) => {
    served++;
    await conn.respond(200, "OK", request.target);
    // An idle timeout on the server side: the connection goes away after one response.
    conn.destroy();
  });
  try {
    const config = await configFor(server.url.href);
    const client = createApiClient(config, noCredentials(), {
      env: () => undefined,
      keepAlive: true,
    });
    const first = await client.request({ path: "/one" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await client.request({ path: "/two" });
    assert.equal(new TextDecoder().decode(first.body), "/one");
    assert.equal(new TextDecoder().decode(second.body), "/two");
    assert.equal(served, 2, "each request was served once");
    assert.equal(server.connections, 2);
    client.closeIdleConnections?.();
  } finally {
    await server.close();
  }
});

Deno.test("keepAlive: Connection: close and HTTP/1.0-style bodies are not kept", async () => {
  const server = await tlsServer((request, conn) =>
    conn.respond(200, "OK", "x", request.target === "/close" ? [["Connection", "close"]] : [])
  );
  try {
    const config = await configFor(server.url.href);
    const client = createApiClient(config, noCredentials(), {
      env: () => undefined,
      keepAlive: true,
    });
    await client.request({ path: "/close" });
    await client.request({ path: "/keep" });
    await client.request({ path: "/keep" });
    assert.equal(server.connections, 2, "a new connection after Connection: close only");
    client.closeIdleConnections?.();
  } finally {
    await server.close();
  }
});
