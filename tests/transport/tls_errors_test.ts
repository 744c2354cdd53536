/**
 * Classification of runtime connection and TLS errors (Deno's and Node's shapes) into
 * `ConnectError` / `TlsError` with Go's wording.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ConnectError, TlsError } from "../../lib/transport/errors.ts";
import {
  classifyConnectionError,
  formatAuthority,
  goExpiryDetail,
} from "../../lib/transport/tls_errors.ts";

function nodeError(code: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code }, extra);
}

Deno.test("connection failures map to ConnectError kinds", () => {
  const cases: [unknown, string, string][] = [
    [
      new Deno.errors.ConnectionRefused("Connection refused (os error 111)"),
      "refused",
      "dial tcp h:1: connect: connection refused",
    ],
    [
      nodeError("ECONNREFUSED", "connect ECONNREFUSED"),
      "refused",
      "dial tcp h:1: connect: connection refused",
    ],
    [
      new Error("failed to lookup address information: Name or service not known"),
      "dns",
      "dial tcp: lookup h: no such host",
    ],
    [nodeError("ENOTFOUND", "getaddrinfo ENOTFOUND h"), "dns", "dial tcp: lookup h: no such host"],
    [new Deno.errors.TimedOut("timed out"), "timeout", "dial tcp h:1: i/o timeout"],
    [
      nodeError("EHOSTUNREACH", "connect EHOSTUNREACH"),
      "unreachable",
      "dial tcp h:1: connect: no route to host",
    ],
    [
      new Deno.errors.ConnectionReset("reset"),
      "reset",
      "dial tcp h:1: read: connection reset by peer",
    ],
  ];
  for (const [error, failure, message] of cases) {
    const classified = classifyConnectionError(error, "h:1", "h");
    assert.ok(classified instanceof ConnectError, String(error));
    assert.equal(classified.failure, failure);
    assert.equal(classified.message, message);
    assert.equal(classified.cause, error);
  }
});

Deno.test("TLS failures map to TlsError kinds", () => {
  const cases: [Error, string, string][] = [
    [
      new Error("invalid peer certificate: UnknownIssuer"),
      "unknown-authority",
      "x509: certificate signed by unknown authority",
    ],
    [
      nodeError("SELF_SIGNED_CERT_IN_CHAIN", "self-signed certificate in certificate chain"),
      "unknown-authority",
      "x509: certificate signed by unknown authority",
    ],
    [
      nodeError("CERT_NOT_YET_VALID", "certificate is not yet valid"),
      "expired",
      "x509: certificate has expired or is not yet valid",
    ],
    // rustls' words for a validity period (a certificate that ended, or has not begun), with
    // the times Go prints (the current time in the local zone: see the next test).
    [
      new Error(
        "invalid peer certificate: certificate expired: verification time 1795734670 (UNIX), but certificate is not valid after 1795648268 (86402 seconds ago)",
      ),
      "expired",
      " is after 2026-11-25T23:11:08Z",
    ],
    [
      new Error(
        "invalid peer certificate: certificate not valid yet: verification time 1795648268 (UNIX), but certificate is not valid before 1795734670 (86402 seconds in the future)",
      ),
      "expired",
      " is before 2026-11-26T23:11:10Z",
    ],
    [
      nodeError("ERR_TLS_CERT_ALTNAME_INVALID", "Hostname/IP does not match", {
        cert: { subjectaltname: "DNS:a.example, DNS:b.example" },
      }),
      "hostname-mismatch",
      "x509: certificate is valid for a.example, b.example, not h",
    ],
    [
      new Error('invalid peer certificate: certificate not valid for name "h"'),
      "hostname-mismatch",
      "x509: certificate is not valid for h",
    ],
    [
      new Error("invalid peer certificate: UnsupportedCertVersion"),
      "bad-certificate",
      "x509: invalid peer certificate: UnsupportedCertVersion",
    ],
    [
      new Error("received fatal alert: CertificateRequired"),
      "handshake",
      "received fatal alert: CertificateRequired",
    ],
  ];
  for (const [error, failure, detail] of cases) {
    const classified = classifyConnectionError(error, "h:1", "h");
    assert.ok(classified instanceof TlsError, error.message);
    assert.equal(classified.failure, failure, error.message);
    assert.ok(
      classified.message.endsWith(detail),
      `${classified.message} should end with ${detail}`,
    );
  }
});

Deno.test("an expired certificate's current time is in the local zone, as Go prints it", () => {
  const now = new Date("2026-11-26T23:11:10Z");
  const detail = goExpiryDetail(now, { notAfter: new Date("2026-11-25T23:11:08Z") });
  const match = /^x509: certificate has expired or is not yet valid: current time (\S+) is after/
    .exec(detail);
  assert.ok(match, detail);
  // RFC 3339 with the zone's offset (Z in UTC), and the same instant.
  assert.match(match[1], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
  assert.equal(Date.parse(match[1]), now.getTime());
  assert.equal(
    goExpiryDetail(now, {}),
    "x509: certificate has expired or is not yet valid",
  );
});

Deno.test("other errors pass through; non-errors become errors; authorities bracket IPv6", () => {
  const other = new TypeError("something else");
  assert.equal(classifyConnectionError(other, "h:1", "h"), other);
  assert.equal(classifyConnectionError("text", "h:1", "h").message, "text");
  const already = new ConnectError("refused", "h:1", "x");
  assert.equal(classifyConnectionError(already, "h:1", "h"), already);
  assert.equal(formatAuthority("::1", 443), "[::1]:443");
  assert.equal(formatAuthority("h", 443), "h:443");
});

Deno.test("a client key that is not the certificate's gets Go's words", () => {
  // What rustls (Deno.connectTls, Deno.createHttpClient) says when the pair is loaded.
  const classified = classifyConnectionError(
    new Error("keys may not be consistent: KeyMismatch"),
    "h:1",
    "h",
  );
  assert.ok(classified instanceof TlsError);
  assert.equal(classified.message, "tls: private key does not match public key");
});
