/**
 * TLS and TCP connection behaviour through `createApiClient`: custom CA, wrong CA, hostname
 * mismatch, `tls-server-name`, insecure mode, expired certificates, mutual TLS, refused and
 * unresolvable addresses — on both TLS engines where both apply.
 *
 * @module
 */
import assert from "node:assert/strict";
import { connectTls } from "../../lib/transport/tls.ts";
import { X509Certificate } from "node:crypto";
import type { TlsConfig } from "../../lib/kubeconfig/types.ts";
import { createApiClient } from "../../lib/transport/api_client.ts";
import {
  CaBundleError,
  ConnectError,
  TlsError,
  TlsHandshakeTimeoutError,
  TransportTimeoutError,
} from "../../lib/transport/errors.ts";
import type { ClientCertificate } from "../../lib/auth/types.ts";
import { testPki } from "../support/pki.ts";
import { noCredentials } from "../support/transport_credentials.ts";
import {
  startSilentServer,
  startTestServer,
  type TestServer,
  type TestServerTls,
} from "../support/transport_server.ts";

async function serve(tls: TestServerTls): Promise<TestServer> {
  return await startTestServer({
    tls,
    handler: (request, conn) =>
      conn.respond(200, "OK", JSON.stringify({ cn: request.clientCommonName ?? null }), [[
        "Content-Type",
        "application/json",
      ]]),
  });
}

function clientFor(
  server: string,
  tls: TlsConfig,
  strictCaTrust: boolean,
  clientCert?: ClientCertificate,
) {
  return createApiClient(
    { server, tls, auth: {}, namespace: "default", namespaceExplicit: false },
    noCredentials(clientCert),
    { env: () => undefined, strictCaTrust },
  );
}

for (const strictCaTrust of [false, true]) {
  const engine = strictCaTrust ? "strict (node:tls)" : "default (Deno.connectTls)";

  Deno.test(`${engine}: a server signed by the configured CA is trusted`, async () => {
    const pki = await testPki();
    const server = await serve({ certPem: pki.server.certPem, keyPem: pki.server.keyPem });
    try {
      for (const host of ["127.0.0.1", "localhost"]) {
        const url = `https://${host}:${server.port}`;
        const response = await clientFor(url, { caPem: pki.ca.certPem }, strictCaTrust).request({
          path: "/",
        });
        assert.equal(response.status, 200);
      }
    } finally {
      await server.close();
    }
  });

  Deno.test(`${engine}: a server signed by another CA is an unknown authority`, async () => {
    const pki = await testPki();
    const server = await serve({ certPem: pki.server.certPem, keyPem: pki.server.keyPem });
    try {
      // The other CA has the issuer's name ("ca") but not its key, as a rotated CA: Go's hint.
      const client = clientFor(server.url.href, { caPem: pki.otherCa.certPem }, strictCaTrust);
      await assert.rejects(client.request({ path: "/" }), (error: Error) => {
        assert.ok(error instanceof TlsError, String(error));
        assert.equal(error.failure, "unknown-authority");
        assert.equal(
          error.message,
          "tls: failed to verify certificate: x509: certificate signed by unknown authority " +
            '(possibly because of "x509: ECDSA verification failure" while trying to verify ' +
            'candidate authority certificate "ca")',
        );
        return true;
      });
      // A CA bundle without the issuer's name: the plain message.
      const unrelated = clientFor(server.url.href, { caPem: pki.server.certPem }, strictCaTrust);
      await assert.rejects(
        unrelated.request({ path: "/" }),
        (error: Error) =>
          error instanceof TlsError && error.message ===
            "tls: failed to verify certificate: x509: certificate signed by unknown authority",
      );
    } finally {
      await server.close();
    }
  });

  Deno.test(`${engine}: an expired server certificate is refused`, async () => {
    const pki = await testPki();
    const expired = await pki.issueServer({
      names: ["localhost", "127.0.0.1"],
      expired: true,
      name: "expired-server",
    });
    const server = await serve({ certPem: expired.certPem, keyPem: expired.keyPem });
    try {
      const client = clientFor(server.url.href, { caPem: pki.ca.certPem }, strictCaTrust);
      await assert.rejects(
        client.request({ path: "/" }),
        (error: Error) => {
          assert.ok(error instanceof TlsError, String(error));
          assert.equal(error.failure, "expired");
          // Go's text: the current time (local zone), then the certificate's end (UTC).
          const notAfter = new Date(new X509Certificate(expired.certPem).validTo);
          const match =
            /^tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time (\S+) is after (\S+)$/
              .exec(error.message);
          assert.ok(match, error.message);
          assert.equal(match[2], notAfter.toISOString().replace(/\.000Z$/, "Z"));
          assert.ok(Math.abs(Date.parse(match[1]) - Date.now()) < 60_000, match[1]);
          return true;
        },
      );
    } finally {
      await server.close();
    }
  });

  Deno.test(`${engine}: a certificate for another name is a hostname mismatch`, async () => {
    const pki = await testPki();
    const other = await pki.issueServer({ names: ["only.example"], name: "only-example" });
    const server = await serve({ certPem: other.certPem, keyPem: other.keyPem });
    try {
      const client = clientFor(server.url.href, { caPem: pki.ca.certPem }, strictCaTrust);
      await assert.rejects(client.request({ path: "/" }), (error: Error) => {
        assert.ok(error instanceof TlsError, String(error));
        assert.equal(error.failure, "hostname-mismatch");
        assert.equal(
          error.message,
          "tls: failed to verify certificate: x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs",
        );
        return true;
      });
      const byName = clientFor(
        `https://localhost:${server.port}`,
        { caPem: pki.ca.certPem },
        strictCaTrust,
      );
      await assert.rejects(
        byName.request({ path: "/" }),
        (error: Error) =>
          error instanceof TlsError &&
          error.message ===
            "tls: failed to verify certificate: x509: certificate is valid for only.example, not localhost",
      );
    } finally {
      await server.close();
    }
  });

  Deno.test(`${engine}: mutual TLS presents the configured or the credential's certificate`, async () => {
    const pki = await testPki();
    const alice = await pki.issueClient({ user: "alice", groups: ["dev"] });
    const bob = await pki.issueClient({ user: "bob", keyType: "rsa" });
    const server = await serve({
      certPem: pki.server.certPem,
      keyPem: pki.server.keyPem,
      clientCaPem: pki.ca.certPem,
    });
    try {
      const tls = { caPem: pki.ca.certPem, certPem: alice.certPem, keyPem: alice.keyPem };
      const fromConfig = await clientFor(server.url.href, tls, strictCaTrust).request({
        path: "/",
      });
      assert.deepEqual(JSON.parse(new TextDecoder().decode(fromConfig.body)), { cn: "alice" });
      const fromCredentials = await clientFor(server.url.href, tls, strictCaTrust, {
        certPem: bob.certPem,
        keyPem: bob.keyPem,
      }).request({ path: "/" });
      assert.deepEqual(JSON.parse(new TextDecoder().decode(fromCredentials.body)), { cn: "bob" });
      assert.deepEqual(server.requests.map((r) => r.authorized), [true, true]);
    } finally {
      await server.close();
    }
  });
}

Deno.test("tls-server-name is sent as SNI and verified instead of the URL host", async () => {
  const pki = await testPki();
  const internal = await pki.issueServer({ names: ["api.internal"], name: "api-internal" });
  const server = await serve({ certPem: internal.certPem, keyPem: internal.keyPem });
  try {
    const ok = await clientFor(
      server.url.href,
      { caPem: pki.ca.certPem, serverName: "api.internal" },
      false,
    ).request({ path: "/" });
    assert.equal(ok.status, 200);
    assert.equal(server.requests[0].serverName, "api.internal");
    assert.equal(server.requests[0].headers.get("host"), `127.0.0.1:${server.port}`);
    const wrong = clientFor(server.url.href, {
      caPem: pki.ca.certPem,
      serverName: "other.internal",
    }, false);
    await assert.rejects(
      wrong.request({ path: "/" }),
      (error: Error) =>
        error instanceof TlsError && error.failure === "hostname-mismatch" &&
        error.message.endsWith("x509: certificate is valid for api.internal, not other.internal"),
    );
  } finally {
    await server.close();
  }
});

Deno.test("insecure-skip-tls-verify accepts an unknown, mismatched certificate", async () => {
  const pki = await testPki();
  const server = await serve({ certPem: pki.server.certPem, keyPem: pki.server.keyPem });
  try {
    const logs: [number, string][] = [];
    const logged = createApiClient(
      {
        server: server.url.href,
        tls: { insecure: true },
        auth: {},
        namespace: "default",
        namespaceExplicit: false,
      },
      noCredentials(),
      { env: () => undefined, logger: (level, message) => logs.push([level, message()]) },
    );
    assert.equal((await logged.request({ path: "/" })).status, 200);
    const fingerprint = new X509Certificate(pki.server.certPem).fingerprint256;
    assert.ok(
      logs.some(([level, line]) =>
        level === 6 && line.includes("certificate NOT verified") && !line.includes("trusting")
      ),
    );
    assert.ok(
      logs.some(([level, line]) =>
        level === 6 &&
        line ===
          `Server certificate: subject localhost, issuer ca, valid until ${
            new X509Certificate(pki.server.certPem).validTo
          }, SHA-256 ${fingerprint}`
      ),
      logs.map(([, line]) => line).join("\n"),
    );
    const client = clientFor(
      server.url.href,
      { insecure: true, serverName: "not-in-the-cert.example" },
      false,
    );
    assert.equal((await client.request({ path: "/" })).status, 200);
    const trustingOther = clientFor(
      server.url.href,
      { insecure: true, caPem: pki.otherCa.certPem },
      true,
    );
    assert.equal((await trustingOther.request({ path: "/" })).status, 200);
  } finally {
    await server.close();
  }
});

Deno.test("a refused connection and an unknown host are ConnectErrors with Go's wording", async () => {
  const pki = await testPki();
  const server = await serve({ certPem: pki.server.certPem, keyPem: pki.server.keyPem });
  const port = server.port;
  await server.close();
  for (const strict of [false, true]) {
    await assert.rejects(
      clientFor(`https://127.0.0.1:${port}`, { caPem: pki.ca.certPem }, strict).request({
        path: "/",
      }),
      (error: Error) =>
        error instanceof ConnectError && error.failure === "refused" &&
        error.message === `dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
  }
  await assert.rejects(
    clientFor("https://no-such-host.invalid:6443", {}, false).request({ path: "/" }),
    (error: Error) =>
      error instanceof ConnectError && error.failure === "dns" &&
      error.message === "dial tcp: lookup no-such-host.invalid: no such host",
  );
  await assert.rejects(
    clientFor("http://127.0.0.1:" + port, {}, false).request({ path: "/" }),
    (error: Error) => error instanceof ConnectError && error.failure === "refused",
  );
});

Deno.test("with a configured CA, strict mode trusts only it; the default engine also trusts the roots", async () => {
  // DENO_CERT adds the test CA to Deno's root store in the child process; the kubeconfig names
  // another CA. client-go would refuse; so does strict mode. The default engine accepts.
  const pki = await testPki();
  const server = await serve({ certPem: pki.server.certPem, keyPem: pki.server.keyPem });
  try {
    const run = async (strict: boolean) => {
      const output = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-net",
          "--allow-read",
          "--allow-env",
          new URL("./trust_probe.ts", import.meta.url).pathname,
        ],
        env: {
          DENO_CERT: pki.ca.certFile,
          URL: server.url.href,
          CA_FILE: pki.otherCa.certFile,
          STRICT: strict ? "1" : "0",
        },
        stdout: "piped",
        stderr: "piped",
      }).output();
      return new TextDecoder().decode(output.stdout);
    };
    assert.equal(
      await run(true),
      "TlsError: tls: failed to verify certificate: x509: certificate signed by unknown authority " +
        '(possibly because of "x509: ECDSA verification failure" while trying to verify candidate ' +
        'authority certificate "ca")',
    );
    assert.equal(await run(false), "ok 200");
  } finally {
    await server.close();
  }
});

Deno.test("an empty CA is no CA: the connection is tried, as client-go tries it", async () => {
  for (const caPem of ["", "\n"]) {
    await assert.rejects(
      clientFor("https://127.0.0.1:9", { caPem }, false).request({ path: "/" }),
      (error: Error) => error instanceof ConnectError && error.failure === "refused",
    );
  }
});

Deno.test("a broken block in a CA bundle is passed over, as Go passes it over", async () => {
  const pki = await testPki();
  const server = await serve({ certPem: pki.server.certPem, keyPem: pki.server.keyPem });
  try {
    const broken = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
    for (const strictCaTrust of [false, true]) {
      const client = clientFor(server.url.href, { caPem: pki.ca.certPem + broken }, strictCaTrust);
      const response = await client.request({ path: "/" });
      assert.equal(response.status, 200, `strict ${strictCaTrust}`);
    }
  } finally {
    await server.close();
  }
});

Deno.test("a CA bundle without a certificate is client-go's error, before any connection", async () => {
  for (
    const caPem of ["just text\n", "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n"]
  ) {
    for (const strictCaTrust of [false, true]) {
      // Port 9 on loopback: nothing is dialled, so nothing answers or refuses.
      await assert.rejects(
        clientFor("https://127.0.0.1:9", { caPem }, strictCaTrust).request({ path: "/" }),
        (error: Error) =>
          error instanceof CaBundleError &&
          error.message === "unable to load root certificates: unable to parse bytes as PEM block",
      );
    }
  }
});

Deno.test("without a request timeout a stalled handshake still ends, as Go's 10 s limit ends it", async () => {
  await using stalled = await startSilentServer();
  const port = stalled.port;
  {
    for (const strictCaTrust of [false, true]) {
      // A guard that turns a hang (the defect) into a failure.
      let guard: ReturnType<typeof setTimeout> | undefined;
      const hung = new Promise<never>((_, reject) =>
        guard = setTimeout(() => reject(new Error("the handshake was never given up")), 10_000)
      );
      const attempt = connectTls({
        host: "127.0.0.1",
        port,
        tls: { caPem: (await testPki()).ca.certPem },
        strictCaTrust,
        handshakeTimeoutMs: 200,
      });
      await assert.rejects(
        Promise.race([attempt, hung]).finally(() => clearTimeout(guard)),
        (error: unknown) =>
          error instanceof TlsHandshakeTimeoutError &&
          error.message === "net/http: TLS handshake timeout",
        `strict ${strictCaTrust}`,
      );
    }
  }
});

Deno.test("a server that never completes the TLS handshake hits the timeout", async () => {
  // A TCP server that reads the ClientHello and never answers; it counts client hang-ups. Only
  // the node:tls engine can hang up mid-handshake: Deno.connectTls's handshake cannot be
  // cancelled, so its socket lingers until the peer gives up (documented in tls.ts).
  await using stalled = await startSilentServer();
  const port = stalled.port;
  {
    for (const strictCaTrust of [false, true]) {
      const client = createApiClient(
        {
          server: `https://127.0.0.1:${port}`,
          tls: { caPem: (await testPki()).ca.certPem },
          auth: {},
          namespace: "default",
          namespaceExplicit: false,
          timeoutMs: 100,
        },
        noCredentials(),
        { env: () => undefined, strictCaTrust },
      );
      await assert.rejects(client.request({ path: "/" }), TransportTimeoutError);
      await assert.rejects(client.upgrade("/", ["v5.channel.k8s.io"]), TransportTimeoutError);
    }
    for (let wait = 0; wait < 100 && stalled.hungUp < 2; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(stalled.hungUp, 2, "both node:tls connections were closed by the client");
  }
});
