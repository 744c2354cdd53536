/**
 * `checkTls` and `checkClientCertificate` on their own: an expired server certificate, a server
 * certificate about to expire, a TLS handshake with something that is not TLS, and client
 * certificates not yet valid, about to expire or unreadable.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  checkClientCertificate,
  checkTls,
  expiresSoon,
  formatRemaining,
  formatTime,
} from "../../lib/doctor/tls_check.ts";
import { parseCertificate, pemCertificates } from "../../lib/doctor/x509.ts";
import { connectTcp } from "../../lib/transport/tcp.ts";
import { testPki } from "../support/pki.ts";
import { startTestServer } from "../support/transport_server.ts";

const DAY_MS = 86_400_000;

async function tlsResult(certPem: string, keyPem: string, caPem: string, now?: Date) {
  const server = await startTestServer({
    tls: { certPem, keyPem },
    handler: (_request, conn) => conn.respond(200, "OK", ""),
  });
  try {
    const conn = await connectTcp("127.0.0.1", server.port);
    const [result] = await checkTls({
      conn,
      server: new URL(`https://127.0.0.1:${server.port}`),
      tls: { caPem },
      timeoutMs: 5000,
      now: now ?? new Date(),
    });
    return result;
  } finally {
    await server.close();
  }
}

Deno.test("checkTls: an expired server certificate shows its validity and the local clock", async () => {
  const pki = await testPki();
  const expired = await pki.issueServer({
    names: ["127.0.0.1"],
    expired: true,
    name: "doctor-expired",
  });
  const result = await tlsResult(expired.certPem, expired.keyPem, pki.ca.certPem);
  assert.equal(result.status, "fail");
  assert.match(result.summary, /has expired or is not yet valid/);
  assert.match(result.cause!, /valid from .* UTC to .* UTC; this machine's clock says/);
  assert.match(result.fix!, /renewed/);
});

Deno.test("checkTls: a CA that holds no certificate is named, before any handshake", async () => {
  const pki = await testPki();
  const result = await tlsResult(pki.server.certPem, pki.server.keyPem, "not a certificate\n");
  assert.equal(result.status, "fail");
  assert.equal(
    result.summary,
    "the kubeconfig's CA: unable to load root certificates: unable to parse bytes as PEM block",
  );
  assert.match(result.fix!, /certificate-authority/);
});

Deno.test("checkTls: a server certificate expiring within two weeks warns", async () => {
  const pki = await testPki();
  const notAfter = parseCertificate(pemCertificates(pki.server.certPem)[0]).notAfter;
  const result = await tlsResult(
    pki.server.certPem,
    pki.server.keyPem,
    pki.ca.certPem,
    new Date(notAfter.getTime() - 3 * DAY_MS),
  );
  assert.equal(result.status, "warn");
  assert.match(result.summary, /\(3 days\)/);
});

Deno.test("checkTls: a port that does not speak TLS fails the handshake", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const answering = (async () => {
    for await (const conn of listener) {
      await conn.write(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n"));
      conn.close();
    }
  })();
  try {
    const [result] = await checkTls({
      conn: await connectTcp("127.0.0.1", port),
      server: new URL(`https://127.0.0.1:${port}`),
      tls: {},
      timeoutMs: 5000,
      now: new Date(),
    });
    assert.equal(result.status, "fail");
    assert.match(result.summary, /TLS/);
  } finally {
    listener.close();
    await answering;
  }
});

Deno.test("checkClientCertificate: not yet valid, about to expire, unreadable", async () => {
  const pki = await testPki();
  const client = await pki.issueClient({ user: "bob", name: "doctor-bob" });
  const info = parseCertificate(pemCertificates(client.certPem)[0]);
  const early = checkClientCertificate(client.certPem, new Date(info.notBefore.getTime() - DAY_MS));
  assert.equal(early.status, "fail");
  assert.match(early.summary, new RegExp(`is not valid before ${formatTime(info.notBefore)}`));
  const late = checkClientCertificate(client.certPem, new Date(info.notAfter.getTime() - DAY_MS));
  assert.equal(late.status, "warn");
  assert.match(late.summary, /client certificate for user bob, valid until .* \(24 hours\)/);
  assert.equal(checkClientCertificate(client.certPem, new Date()).status, "ok");
  const broken = checkClientCertificate("not a certificate", new Date());
  assert.equal(broken.status, "fail");
  assert.match(broken.summary, /unreadable/);
});

Deno.test("expiresSoon: 14 days for long-lived certificates, the last tenth for short-lived ones", () => {
  const year = { notBefore: new Date(0), notAfter: new Date(365 * DAY_MS) };
  assert.equal(expiresSoon(year, new Date(350 * DAY_MS)), false);
  assert.equal(expiresSoon(year, new Date(352 * DAY_MS)), true);
  const day = { notBefore: new Date(0), notAfter: new Date(DAY_MS) };
  assert.equal(expiresSoon(day, new Date(DAY_MS * 0.85)), false);
  assert.equal(expiresSoon(day, new Date(DAY_MS * 0.95)), true);
});

Deno.test("formatRemaining: days, hours or minutes", () => {
  const start = new Date(0);
  assert.equal(formatRemaining(new Date(3 * DAY_MS + 5), start), "3 days");
  assert.equal(formatRemaining(new Date(DAY_MS), start), "24 hours");
  assert.equal(formatRemaining(new Date(2 * 3_600_000), start), "2 hours");
  assert.equal(formatRemaining(new Date(61_000), start), "1 minute");
  assert.equal(formatRemaining(new Date(0), new Date(5)), "0 minutes");
});
