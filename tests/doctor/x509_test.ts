/**
 * The DER reader doctor uses, checked against `node:crypto`'s `X509Certificate` on the test PKI's
 * certificates, plus name matching by Go's rules and malformed input.
 *
 * @module
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import {
  certificateMatchesName,
  certificateNames,
  CertificateParseError,
  parseCertificate,
  pemCertificates,
} from "../../lib/doctor/x509.ts";
import { testPki } from "../support/pki.ts";

Deno.test("x509: subject, issuer, validity and SANs agree with node:crypto", async () => {
  const pki = await testPki();
  const client = await pki.issueClient({ user: "alice", groups: ["dev", "ops"], keyType: "ec" });
  for (const pem of [pki.ca.certPem, pki.server.certPem, client.certPem, pki.otherCa.certPem]) {
    const [der] = pemCertificates(pem);
    const parsed = parseCertificate(der);
    const reference = new X509Certificate(pem);
    assert.equal(parsed.notAfter.getTime(), new Date(reference.validTo).getTime());
    assert.equal(parsed.notBefore.getTime(), new Date(reference.validFrom).getTime());
    assert.equal(parsed.isCa, reference.ca);
    const referenceCn = /CN=([^\n]*)/.exec(reference.subject)?.[1];
    assert.equal(parsed.subject.commonName, referenceCn);
    const sans = (reference.subjectAltName ?? "").split(", ").filter(Boolean);
    assert.deepEqual(
      [
        ...parsed.dnsNames.map((name) => `DNS:${name}`),
        ...parsed.ipAddresses.map((ip) => `IP Address:${ip}`),
      ]
        .sort(),
      sans.map((entry) =>
        entry.replace(/^IP Address:(.*)$/, (_m, ip: string) => `IP Address:${ip.toLowerCase()}`)
      ).sort(),
    );
  }
  const alice = parseCertificate(pemCertificates(client.certPem)[0]);
  assert.deepEqual(alice.subject.organizations, ["dev", "ops"]);
  assert.match(alice.subject.text, /^(O=dev, O=ops, CN=alice|CN=alice, O=dev, O=ops)$/);
  assert.equal(
    alice.issuer.text,
    parseCertificate(pemCertificates(pki.ca.certPem)[0]).subject.text,
  );
});

Deno.test("x509: names match by Go's rules (IP SANs for IPs, one-label wildcards, no CN)", () => {
  const cert = { dnsNames: ["*.example.com", "api.local"], ipAddresses: ["10.0.0.1", "::1"] };
  assert.ok(certificateMatchesName(cert, "web.example.com"));
  assert.ok(certificateMatchesName(cert, "API.local."));
  assert.ok(certificateMatchesName(cert, "10.0.0.1"));
  assert.ok(certificateMatchesName(cert, "0:0:0:0:0:0:0:1"));
  assert.ok(!certificateMatchesName(cert, "example.com"));
  assert.ok(!certificateMatchesName(cert, "a.b.example.com"));
  assert.ok(!certificateMatchesName(cert, "10.0.0.2"));
  assert.equal(certificateNames(cert), "*.example.com, api.local, 10.0.0.1, ::1");
});

Deno.test("x509: malformed input throws CertificateParseError", () => {
  assert.throws(() => parseCertificate(new Uint8Array([0x30, 0x05, 0x01])), CertificateParseError);
  assert.throws(() => parseCertificate(new Uint8Array([0x02, 0x01, 0x00])), CertificateParseError);
  assert.throws(() => parseCertificate(new Uint8Array([0x30])), CertificateParseError);
  assert.throws(
    () => pemCertificates("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----"),
    CertificateParseError,
  );
  assert.deepEqual(pemCertificates("nothing"), []);
});
