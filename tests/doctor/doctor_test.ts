/**
 * `runDoctor` against the fake API server and small loopback proxies: every diagnosis the issue
 * names (wrong CA, expired client certificate, hostname mismatch, proxy refusing CONNECT, a proxy
 * dropping the Upgrade headers, 401, 403, exec plugin missing) is provoked once, plus the
 * passing run and the other failure paths of each step.
 *
 * @module
 */
import assert from "node:assert/strict";
import { startSilentServer } from "../support/transport_server.ts";
import { runDoctor, type StepResult } from "../../lib/doctor/mod.ts";
import type { ConfigOverrides } from "../../lib/kubeconfig/mod.ts";
import { type FakeApiServer, startFakeApiServer } from "../support/fake_apiserver.ts";
import type { FakeServerOptions } from "../support/fake_apiserver.ts";
import { type KubeconfigFixtureOptions, writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { testPki } from "../support/pki.ts";
import { startConnectProxy, startSocks5Proxy } from "../support/transport_proxies.ts";
import { startRefusingProxy, withProxyUrl } from "./fixtures.ts";

const POD = { name: "web-0", containers: [{ name: "app" }] };

async function withServer(
  options: FakeServerOptions,
  body: (server: FakeApiServer) => Promise<void>,
): Promise<void> {
  const server = await startFakeApiServer({ pods: [POD], ...options });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

async function diagnose(
  overrides: ConfigOverrides,
  extra: {
    target?: string;
    env?: Record<string, string>;
    lookup?: (host: string) => Promise<string[]>;
  } = {},
): Promise<StepResult[]> {
  const env = extra.env ?? {};
  return await Array.fromAsync(runDoctor({
    overrides,
    env: (name) => env[name],
    target: extra.target,
    lookup: extra.lookup,
    timeoutMs: 5000,
  }));
}

async function kubeconfig(server: FakeApiServer, options: KubeconfigFixtureOptions) {
  return { kubeconfig: await writeKubeconfig(server, options) };
}

function line(results: StepResult[], step: string, index = 0): StepResult {
  const found = results.filter((result) => result.step === step)[index];
  assert.ok(found, `no result for ${step}[${index}] in ${JSON.stringify(results, null, 1)}`);
  return found;
}

function failures(results: StepResult[]): string[] {
  return results.filter((result) => result.status === "fail").map((result) => result.step);
}

Deno.test("doctor: every step passes against a healthy server, and names the user", async () => {
  await withServer({}, async (server) => {
    const results = await diagnose(await kubeconfig(server, { user: "token" }), {
      target: "web-0",
    });
    assert.deepEqual(
      results.map((result) => `${result.step}:${result.status}`),
      [
        "kubeconfig:ok",
        "credentials:ok",
        "dns:ok",
        "tcp:ok",
        "proxy:ok",
        "tls:ok",
        "authentication:ok",
        "authorization:ok",
        "authorization:ok",
        "authorization:ok",
        "protocol:ok",
      ],
    );
    assert.match(
      line(results, "authentication").summary,
      /authenticated as "admin", groups system:masters/,
    );
    assert.match(line(results, "tls").summary, /CN=localhost.*trusted and valid for 127\.0\.0\.1/);
    assert.match(line(results, "protocol").summary, /v5\.channel\.k8s\.io, v4\.channel\.k8s\.io/);
    assert.match(line(results, "authorization", 2).summary, /pods\/portforward .*\(pod web-0\)/);
  });
});

Deno.test("doctor: without a target the protocol step is skipped, not failed", async () => {
  await withServer({}, async (server) => {
    const results = await diagnose(await kubeconfig(server, { user: "basic" }));
    assert.equal(line(results, "protocol").status, "skip");
    assert.deepEqual(failures(results), []);
    assert.match(line(results, "credentials").summary, /basic authentication as user "admin"/);
  });
});

Deno.test("doctor: wrong CA names the server's issuer and the configured CA", async () => {
  const pki = await testPki();
  await withServer({}, async (server) => {
    const overrides = {
      ...(await kubeconfig(server, { user: "token" })),
      certificateAuthority: pki.otherCa.certFile,
    };
    const results = await diagnose(overrides);
    const tls = line(results, "tls");
    assert.equal(tls.status, "fail");
    assert.match(tls.summary, /signed by unknown authority/);
    assert.match(tls.cause!, /issued by CN=.*but the kubeconfig's certificate-authority is CN=/);
    assert.match(tls.fix!, /certificate-authority-data/);
    assert.equal(line(results, "authentication").status, "skip");
  });
});

Deno.test("doctor: hostname mismatch lists the certificate's names and suggests tls-server-name", async () => {
  await withServer({}, async (server) => {
    const overrides = {
      ...(await kubeconfig(server, { user: "token" })),
      tlsServerName: "api.wrong.example",
    };
    const tls = line(await diagnose(overrides), "tls");
    assert.equal(tls.status, "fail");
    assert.match(tls.summary, /not valid for api\.wrong\.example \(tls-server-name\)/);
    assert.match(tls.cause!, /valid for localhost, kubernetes\.default, 127\.0\.0\.1, ::1 only/);
    assert.match(tls.fix!, /tls-server-name/);
  });
});

Deno.test("doctor: an expired client certificate fails TLS's client line and authentication", async () => {
  await withServer({}, async (server) => {
    const results = await diagnose(await kubeconfig(server, { user: "cert", expiredCert: true }));
    const client = line(results, "tls", 1);
    assert.equal(client.status, "fail");
    assert.match(
      client.summary,
      /client certificate for user admin \(groups system:masters\) expired on/,
    );
    const authentication = line(results, "authentication");
    assert.equal(authentication.status, "fail");
    assert.match(authentication.summary, /401/);
    assert.match(authentication.cause!, /client certificate is expired/);
    assert.equal(line(results, "authorization").status, "skip");
  });
});

Deno.test("doctor: a client key that is not the certificate's fails the client line, not the server's", async () => {
  await withServer({}, async (server) => {
    const other = await (await testPki()).issueClient({ user: "someone-else", name: "other-key" });
    const results = await diagnose(
      await kubeconfig(server, {
        user: "cert",
        userExtra: { "client-key-data": btoa(other.keyPem) },
      }),
    );
    const serverLine = line(results, "tls");
    assert.equal(serverLine.status, "ok", serverLine.summary);
    const client = line(results, "tls", 1);
    assert.equal(client.status, "fail");
    assert.match(
      client.summary,
      /client certificate for user admin .*its private key does not match it/,
    );
    assert.match(client.fix!, /key that was issued with this certificate/);
  });
});

Deno.test("doctor: a valid client certificate is reported with its user and expiry", async () => {
  await withServer({}, async (server) => {
    const results = await diagnose(await kubeconfig(server, { user: "cert" }));
    assert.equal(line(results, "tls", 1).status, "ok");
    assert.match(line(results, "tls", 1).summary, /client certificate for user admin.*valid until/);
    assert.equal(line(results, "credentials").summary, "client certificate from the kubeconfig");
  });
});

Deno.test("doctor: a proxy refusing CONNECT is named with its answer", async () => {
  const proxy = await startRefusingProxy(403, "Forbidden");
  try {
    await withServer({}, async (server) => {
      const path = await writeKubeconfig(server, { user: "token" });
      await withProxyUrl(path, proxy.url);
      const results = await diagnose({ kubeconfig: path });
      assert.match(line(results, "dns").summary, /127\.0\.0\.1 \(the proxy\)/);
      const step = line(results, "proxy");
      assert.equal(step.status, "fail");
      assert.match(step.summary, /refused CONNECT \(403 Forbidden\)/);
      assert.match(step.fix!, /allow CONNECT/);
      assert.equal(line(results, "tls").status, "skip");
    });
  } finally {
    await proxy.close();
  }
});

Deno.test("doctor: a proxy wanting credentials (407) says so", async () => {
  const proxy = await startConnectProxy({ credentials: { username: "u", password: "p" } });
  try {
    await withServer({}, async (server) => {
      const path = await writeKubeconfig(server, { user: "token" });
      await withProxyUrl(path, proxy.url.href);
      const step = line(await diagnose({ kubeconfig: path }), "proxy");
      assert.equal(step.status, "fail");
      assert.match(step.summary, /407/);
      assert.match(step.fix!, /user:password@/);
    });
  } finally {
    await proxy.close();
  }
});

Deno.test("doctor: wrong proxy credentials are named as wrong, not as missing", async () => {
  const http = await startConnectProxy({ credentials: { username: "u", password: "right" } });
  const socks = await startSocks5Proxy({ credentials: { username: "u", password: "right" } });
  try {
    await withServer({}, async (server) => {
      for (const proxy of [http.url, socks.url]) {
        const path = await writeKubeconfig(server, { user: "token" });
        await withProxyUrl(path, `${proxy.protocol}//u:wrong@${proxy.host}`);
        const step = line(await diagnose({ kubeconfig: path }), "proxy");
        assert.equal(step.status, "fail", proxy.href);
        assert.match(step.cause!, /refused the user name and password in the proxy URL/);
        assert.doesNotMatch(step.summary + step.cause + step.fix, /wrong/, "no password shown");
      }
    });
  } finally {
    await http.close();
    await socks.close();
  }
});

Deno.test("doctor: an API server that is down behind a proxy is named, not the proxy", async () => {
  const http = await startConnectProxy();
  const socks = await startSocks5Proxy();
  // A port nothing listens on, where the API server should be.
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (closed.addr as Deno.NetAddr).port;
  closed.close();
  try {
    await withServer({}, async (server) => {
      for (const proxy of [http.url.href, socks.url.href]) {
        const path = await writeKubeconfig(server, { user: "token" });
        const text = await Deno.readTextFile(path);
        await Deno.writeTextFile(path, text.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`));
        await withProxyUrl(path, proxy);
        const step = line(await diagnose({ kubeconfig: path }), "proxy");
        assert.equal(step.status, "fail", proxy);
        assert.match(step.cause!, /could not reach 127\.0\.0\.1:\d+: the API server is down/);
      }
    });
  } finally {
    await http.close();
    await socks.close();
  }
});

Deno.test("doctor: through a working CONNECT proxy every step passes", async () => {
  const proxy = await startConnectProxy();
  try {
    await withServer({}, async (server) => {
      const path = await writeKubeconfig(server, { user: "token" });
      await withProxyUrl(path, proxy.url.href);
      const results = await diagnose({ kubeconfig: path }, { target: "web-0" });
      assert.deepEqual(failures(results), []);
      assert.match(
        line(results, "proxy").summary,
        /http proxy .* \(from proxy-url\) opened a tunnel/,
      );
    });
  } finally {
    await proxy.close();
  }
});

Deno.test("doctor: a proxy dropping the Upgrade headers is diagnosed on the exec upgrade", async () => {
  await withServer({}, async (server) => {
    server.faults.always({ kind: "upgradeRequired" });
    const results = await diagnose(await kubeconfig(server, { user: "token" }), {
      target: "web-0",
    });
    const protocol = line(results, "protocol");
    assert.equal(protocol.status, "fail");
    assert.match(protocol.summary, /400 Upgrade request required/);
    assert.match(protocol.cause!, /dropped the Upgrade: websocket and Connection: Upgrade headers/);
  });
});

Deno.test("doctor: 401 for an unknown token skips the steps after authentication", async () => {
  await withServer({}, async (server) => {
    const results = await diagnose(
      await kubeconfig(server, { user: "token", token: "not-a-known-token" }),
      { target: "web-0" },
    );
    const authentication = line(results, "authentication");
    assert.equal(authentication.status, "fail");
    assert.match(authentication.cause!, /bearer token is expired, revoked or for another cluster/);
    assert.deepEqual(failures(results), ["authentication"]);
    assert.equal(line(results, "protocol").status, "skip");
  });
});

Deno.test("doctor: 403 — RBAC denials per subresource, and the refused upgrade", async () => {
  const rbac = [
    { users: ["alice"], verbs: ["get", "list"], resources: ["pods"] },
    { users: ["alice"], verbs: ["get"], resources: ["pods/attach"] },
  ];
  await withServer(
    { rbac, tokens: { "alice-token": { name: "alice", groups: ["dev"] } } },
    async (server) => {
      const results = await diagnose(
        await kubeconfig(server, { user: "token", token: "alice-token" }),
        { target: "web-0" },
      );
      assert.match(line(results, "authentication").summary, /"alice", groups dev/);
      const [exec, attach, portforward] = results.filter((r) => r.step === "authorization");
      assert.equal(exec.status, "fail");
      assert.match(exec.summary, /pods\/exec .*get and create denied for "alice"/);
      assert.equal(attach.status, "warn", "get alone works before 1.35");
      assert.match(attach.summary, /pods\/attach .*: create denied/);
      assert.match(attach.cause!, /from 1\.35 also check create/);
      assert.equal(portforward.status, "fail");
      assert.match(exec.cause!, /does not grant get on pods\/exec here/);
      assert.match(
        exec.fix!,
        /verbs \[get, create\] on resource pods\/exec in namespace "default"/,
      );
      const protocol = line(results, "protocol");
      assert.equal(protocol.status, "fail");
      assert.match(protocol.summary, /403/);
      assert.match(protocol.cause!, /RBAC denies exec/);
    },
  );
});

Deno.test("doctor: a missing exec plugin is named, with the kubeconfig's install hint", async () => {
  await withServer({}, async (server) => {
    const results = await diagnose(
      await kubeconfig(server, {
        user: "none",
        userExtra: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1",
            command: "kubexec-test-no-such-plugin",
            installHint: "brew install no-such-plugin",
            interactiveMode: "Never",
          },
        },
      }),
    );
    const credentials = line(results, "credentials");
    assert.equal(credentials.status, "fail");
    assert.equal(credentials.summary, 'exec plugin "kubexec-test-no-such-plugin" not found');
    assert.equal(credentials.fix, "brew install no-such-plugin");
    assert.equal(line(results, "tls").status, "ok", "the network is still checked");
    assert.equal(line(results, "authentication").status, "skip");
  });
});

Deno.test("doctor: a server with only v4 warns about the missing v5", async () => {
  await withServer({ protocols: { translator: false } }, async (server) => {
    const results = await diagnose(await kubeconfig(server, { user: "token" }), {
      target: "web-0",
    });
    const protocol = line(results, "protocol");
    assert.equal(protocol.status, "warn");
    assert.match(protocol.summary, /accepted: v4\.channel\.k8s\.io \(no v5\)/);
    assert.deepEqual(failures(results), []);
  });
});

Deno.test("doctor: a server speaking neither v5 nor v4 fails the protocol step", async () => {
  await withServer(
    { protocols: { translator: false, kubelet: ["channel.k8s.io"] } },
    async (server) => {
      const protocol = line(
        await diagnose(await kubeconfig(server, { user: "token" }), { target: "web-0" }),
        "protocol",
      );
      assert.equal(protocol.status, "fail");
      assert.match(protocol.summary, /refused every offered subprotocol/);
    },
  );
});

Deno.test("doctor: an unknown target fails the protocol step with the server's message", async () => {
  await withServer({}, async (server) => {
    const protocol = line(
      await diagnose(await kubeconfig(server, { user: "token" }), { target: "nope" }),
      "protocol",
    );
    assert.equal(protocol.status, "fail");
    assert.match(protocol.summary, /pods "nope" not found/);
  });
});

Deno.test("doctor: insecure-skip-tls-verify warns, plain HTTP warns", async () => {
  await withServer({}, async (server) => {
    const tls = line(
      await diagnose(await kubeconfig(server, { user: "token", insecure: true })),
      "tls",
    );
    assert.equal(tls.status, "warn");
    assert.match(tls.summary, /NOT verified/);
  });
  await withServer({ tls: false }, async (server) => {
    const results = await diagnose(await kubeconfig(server, { user: "token" }));
    assert.equal(line(results, "tls").status, "warn");
    assert.match(line(results, "tls").summary, /plain HTTP/);
    assert.match(line(results, "credentials").summary, /none sent: the server URL is plain http/);
    assert.match(line(results, "authentication").cause!, /only sent to https:\/\/ servers/);
  });
});

Deno.test("doctor: a name that does not resolve stops at DNS", async () => {
  await withServer({}, async (server) => {
    const path = await writeKubeconfig(server, {
      user: "token",
      server: "https://api.cluster.invalid:6443",
    });
    const results = await diagnose({ kubeconfig: path }, {
      lookup: () => Promise.reject(new Error("getaddrinfo ENOTFOUND")),
    });
    const dns = line(results, "dns");
    assert.equal(dns.status, "fail");
    assert.match(dns.summary, /cannot resolve api\.cluster\.invalid \(the API server\)/);
    assert.deepEqual(
      results.slice(results.indexOf(dns) + 1).map((result) => result.status),
      ["skip", "skip", "skip", "skip", "skip", "skip"],
    );
  });
});

Deno.test("doctor: a resolvable name is shown with its addresses", async () => {
  await withServer({}, async (server) => {
    const port = new URL(server.url).port;
    const path = await writeKubeconfig(server, {
      user: "token",
      server: `https://localhost:${port}`,
    });
    const dns = line(
      await diagnose({ kubeconfig: path }, { lookup: () => Promise.resolve(["127.0.0.1"]) }),
      "dns",
    );
    assert.equal(dns.summary, "localhost (the API server) resolves to 127.0.0.1");
  });
});

Deno.test("doctor: connection refused stops at TCP", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await withServer({}, async (server) => {
    const path = await writeKubeconfig(server, {
      user: "token",
      server: `https://127.0.0.1:${port}`,
    });
    const results = await diagnose({ kubeconfig: path });
    const tcp = line(results, "tcp");
    assert.equal(tcp.status, "fail");
    assert.match(tcp.cause!, /nothing accepts connections on 127\.0\.0\.1:\d+/);
    assert.equal(line(results, "proxy").status, "skip");
  });
});

Deno.test("doctor: an unreadable kubeconfig fails the first step and skips the rest", async () => {
  const results = await diagnose({ kubeconfig: "/nonexistent/kubexec-doctor/config" });
  assert.equal(results[0].step, "kubeconfig");
  assert.equal(results[0].status, "fail");
  assert.match(results[0].summary, /nonexistent/);
  assert.ok(results.slice(1).every((result) => result.status === "skip"));
  assert.equal(results.length, 9);
});

Deno.test("doctor: a user without credentials warns, and the server's 401 fails", async () => {
  await withServer({}, async (server) => {
    const results = await diagnose(await kubeconfig(server, { user: "none" }));
    assert.equal(line(results, "credentials").status, "warn");
    assert.match(line(results, "authentication").cause!, /no credentials/);
  });
});

Deno.test("doctor: through a SOCKS5 proxy and through an https proxy every step passes", async () => {
  const pki = await testPki();
  const socks = await startSocks5Proxy();
  const https = await startConnectProxy({
    tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem },
  });
  try {
    await withServer({}, async (server) => {
      for (const [proxy, kind] of [[socks.url.href, "socks5"], [https.url.href, "https"]]) {
        const path = await writeKubeconfig(server, { user: "token" });
        await withProxyUrl(path, proxy);
        const results = await diagnose({ kubeconfig: path });
        assert.deepEqual(failures(results), [], kind);
        assert.match(
          line(results, "proxy").summary,
          new RegExp(`^${kind} proxy .* opened a tunnel`),
        );
        assert.equal(line(results, "tls").status, "ok");
      }
    });
  } finally {
    await socks.close();
    await https.close();
  }
});

Deno.test("doctor: a port that accepts TCP but never answers TLS times out at the TLS step", async () => {
  const pki = await testPki();
  await using stalled = await startSilentServer();
  const port = stalled.port;
  {
    const results = await diagnose({
      server: `https://127.0.0.1:${port}`,
      certificateAuthority: pki.ca.certFile,
      token: "t",
      requestTimeout: "200ms",
    }, { env: { HOME: "/nonexistent" } });
    const tls = line(results, "tls");
    assert.equal(tls.status, "fail");
    assert.match(tls.summary, /no answer within 200 ms/);
    assert.equal(line(results, "authentication").status, "skip");
  }
});

Deno.test("doctor: a target the user may not read is named as forbidden, not missing", async () => {
  const rbac = [{ users: ["bob"], verbs: ["get", "create"], resources: ["pods/exec"] }];
  await withServer({ rbac, tokens: { "bob-token": { name: "bob" } } }, async (server) => {
    const protocol = line(
      await diagnose(await kubeconfig(server, { user: "token", token: "bob-token" }), {
        target: "web-0",
      }),
      "protocol",
    );
    assert.equal(protocol.status, "fail");
    assert.match(protocol.summary, /cannot find web-0: Error from server \(Forbidden\)/);
    assert.match(protocol.cause!, /your user may not read web-0 in namespace "default"/);
  });
});

Deno.test("doctor: TYPE/NAME is reviewed for the pod it resolves to (RBAC by resourceNames)", async () => {
  const rbac = [
    { users: ["bob"], verbs: ["get", "list"], resources: ["pods", "deployments"] },
    // Exec in web-0 only: a namespace-wide review would say "denied".
    {
      users: ["bob"],
      verbs: ["get", "create"],
      resources: ["pods/exec", "pods/attach", "pods/portforward"],
      resourceNames: ["web-0"],
    },
  ];
  await withServer({
    rbac,
    tokens: { "bob-token": { name: "bob" } },
    pods: [{ ...POD, labels: { app: "web" } }],
    objects: [{
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "default" },
      spec: { selector: { matchLabels: { app: "web" } } },
    }],
  }, async (server) => {
    const results = await diagnose(
      await kubeconfig(server, { user: "token", token: "bob-token" }),
      { target: "deploy/web" },
    );
    const reviews = results.filter((result) => result.step === "authorization");
    assert.equal(reviews.length, 3);
    for (const review of reviews) {
      assert.equal(review.status, "ok", review.summary);
      assert.match(review.summary, /\(pod web-0\)/);
    }
    assert.equal(line(results, "protocol").status, "ok");
  });
});

Deno.test("doctor: http:// to a port that speaks TLS suggests https://", async () => {
  await withServer({}, async (server) => {
    const path = await writeKubeconfig(server, { user: "token" });
    await Deno.writeTextFile(path, (await Deno.readTextFile(path)).replace("https://", "http://"));
    const authentication = line(await diagnose({ kubeconfig: path }), "authentication");
    assert.equal(authentication.status, "fail");
    assert.match(authentication.cause!, /port may expect TLS/);
    assert.match(authentication.fix!, /https:\/\//);
  });
});

Deno.test("doctor: HTTP_PROXY in a CGI environment is refused and explained", async () => {
  const results = await diagnose({ server: "http://api.example:8080", token: "t" }, {
    env: { HOME: "/nonexistent", REQUEST_METHOD: "GET", HTTP_PROXY: "http://127.0.0.1:9" },
  });
  const dns = line(results, "dns");
  assert.equal(dns.status, "fail");
  assert.match(dns.summary, /refusing to use HTTP_PROXY value in CGI environment/);
  assert.match(dns.cause!, /REQUEST_METHOD is set/);
  assert.equal(line(results, "tcp").status, "skip");
});

Deno.test("doctor: a server URL that is not http(s) fails the kubeconfig step", async () => {
  const results = await diagnose({ server: "ftp://files.example:21", token: "t" }, {
    env: { HOME: "/nonexistent" },
  });
  assert.equal(results[0].status, "fail");
  assert.match(results[0].summary, /invalid server URL: server URL scheme must be http or https/);
  assert.match(results[0].fix!, /server: https:\/\/HOST:PORT/);
  assert.ok(results.slice(1).every((result) => result.status === "skip"));
});
