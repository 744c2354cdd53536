/**
 * The TLS checks of `kubexec doctor`: the server certificate (chain, names including
 * `tls-server-name`, validity) and the client certificate (validity).
 *
 * Two handshakes: one that only looks (verification off, over the connection the earlier steps
 * opened), to read the certificate even when it would be refused; and the real one, through
 * `dial` exactly as every kubexec command connects, whose verdict counts. The certificate read by
 * the first explains the verdict of the second.
 *
 * @module
 */
import type { ClientCertificate } from "../auth/types.ts";
import type { TlsConfig } from "../kubeconfig/types.ts";
import { dial } from "../transport/connect.ts";
import { withDeadline } from "../transport/deadline.ts";
import { CaBundleError, TlsError, TransportTimeoutError } from "../transport/errors.ts";
import { hostOf, portOf, type ProxyRoute } from "../transport/proxy.ts";
import { connectTls } from "../transport/tls.ts";
import type { ByteConn } from "../transport/types.ts";
import { type StepResult, stepResult } from "./types.ts";
import {
  type CertificateInfo,
  certificateNames,
  parseCertificate,
  pemCertificates,
} from "./x509.ts";

/** Days before expiry from which doctor warns about a long-lived certificate. */
export const EXPIRY_WARNING_DAYS = 14;

const DAY_MS = 86_400_000;

/**
 * Whether a certificate is close enough to its end to warn: within
 * {@linkcode EXPIRY_WARNING_DAYS}, or within the last tenth of its lifetime when that is shorter —
 * so certificates issued for hours or days (by exec plugins, or test clusters) do not warn on
 * every run.
 *
 * @example
 * ```ts
 * import { expiresSoon } from "./tls_check.ts";
 * const day = 86_400_000;
 * expiresSoon({ notBefore: new Date(0), notAfter: new Date(365 * day) }, new Date(360 * day)); // true
 * expiresSoon({ notBefore: new Date(0), notAfter: new Date(day) }, new Date(day / 2)); // false
 * ```
 */
export function expiresSoon(
  certificate: Pick<CertificateInfo, "notBefore" | "notAfter">,
  now: Date,
): boolean {
  const lifetime = certificate.notAfter.getTime() - certificate.notBefore.getTime();
  const threshold = Math.min(EXPIRY_WARNING_DAYS * DAY_MS, lifetime / 10);
  return certificate.notAfter.getTime() - now.getTime() < threshold;
}

/** What {@linkcode checkTls} needs. */
export interface TlsCheck {
  /** A connection to the API server (through the proxy tunnel, if any), for the inspecting handshake. */
  conn: ByteConn;
  /** The API server URL. */
  server: URL;
  /** CA, server name and insecure mode from the kubeconfig. */
  tls: TlsConfig;
  /** The client certificate from the kubeconfig or the credential plugin. */
  clientCert?: ClientCertificate;
  /** The proxy the verifying connection goes through, as every command's would. */
  route?: ProxyRoute;
  /** Limit for each handshake; 0 or absent: none. */
  timeoutMs?: number;
  /** The current time. */
  now: Date;
  /** A configured CA is the only one trusted (`--strict-ca-trust`), as commands would. */
  strictCaTrust?: boolean;
}

/**
 * Formats a time as `2026-11-26 02:12 UTC`.
 *
 * @example
 * ```ts
 * import { formatTime } from "./tls_check.ts";
 * formatTime(new Date(Date.UTC(2026, 10, 26, 2, 12))); // "2026-11-26 02:12 UTC"
 * ```
 */
export function formatTime(time: Date): string {
  return `${time.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/**
 * How long until `end`, in the largest unit that keeps it readable: `3 days`, `5 hours`,
 * `12 minutes`.
 *
 * @example
 * ```ts
 * import { formatRemaining } from "./tls_check.ts";
 * formatRemaining(new Date(5 * 3_600_000), new Date(0)); // "5 hours"
 * ```
 */
export function formatRemaining(end: Date, now: Date): string {
  const ms = end.getTime() - now.getTime();
  const [count, unit] = ms >= 2 * DAY_MS
    ? [Math.floor(ms / DAY_MS), "day"]
    : ms >= 2 * 3_600_000
    ? [Math.floor(ms / 3_600_000), "hour"]
    : [Math.max(0, Math.floor(ms / 60_000)), "minute"];
  return `${count} ${unit}${count === 1 ? "" : "s"}`;
}

function describeValidity(certificate: CertificateInfo, now: Date): string {
  return `valid until ${formatTime(certificate.notAfter)} (${
    formatRemaining(certificate.notAfter, now)
  })`;
}

/**
 * Checks the server certificate (and reports on the client certificate, when there is one).
 * Closes `check.conn`.
 *
 * @example
 * ```ts ignore
 * import { checkTls } from "./tls_check.ts";
 * const results = await checkTls({ conn, server, tls: config.tls, now: new Date() });
 * ```
 */
export async function checkTls(check: TlsCheck): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const mismatch = check.clientCert !== undefined && !keyMatches(check.clientCert);
  if (check.server.protocol === "http:") {
    check.conn.close();
    results.push(stepResult("tls", "warn", `plain HTTP to ${check.server.host}: no TLS`, {
      cause: "nothing is encrypted: credentials and session contents travel in clear text",
      fix: "use the API server's https:// URL",
    }));
  } else {
    // A key that is not the certificate's stops every handshake before it starts: judge the
    // server without it, and put the blame on the client certificate's line.
    const withoutPair = {
      ...check,
      clientCert: undefined,
      tls: { ...check.tls, certPem: undefined, keyPem: undefined },
    };
    results.push(await checkServerCertificate(mismatch ? withoutPair : check));
  }
  if (check.clientCert) {
    results.push(checkClientCertificate(check.clientCert.certPem, check.now, !mismatch));
  }
  return results;
}

/** Whether the private key belongs to the certificate (rustls checks it when the pair loads). */
function keyMatches(pair: { certPem: string; keyPem: string }): boolean {
  try {
    Deno.createHttpClient({ cert: pair.certPem, key: pair.keyPem }).close();
    return true;
  } catch (error) {
    return !/KeyMismatch|keys may not be consistent/.test((error as Error).message);
  }
}

async function inspect(check: TlsCheck): Promise<CertificateInfo | undefined> {
  try {
    const { conn, peer } = await withDeadline(
      connectTls({
        host: hostOf(check.server),
        port: portOf(check.server),
        tls: { serverName: check.tls.serverName, insecure: true },
        clientCert: check.clientCert,
        tunnel: check.conn,
      }),
      check.timeoutMs,
      "TLS handshake",
      () => check.conn.close(),
      (late) => late.conn.close(),
    );
    conn.close();
    return peer?.der ? parseCertificate(peer.der) : undefined;
  } catch {
    check.conn.close();
    return undefined;
  }
}

async function checkServerCertificate(check: TlsCheck): Promise<StepResult> {
  const seen = await inspect(check);
  const name = check.tls.serverName || hostOf(check.server);
  const verdictOf = async (strictCaTrust: boolean | undefined): Promise<unknown> => {
    try {
      const conn = await dial({
        url: check.server,
        tls: check.tls,
        clientCert: check.clientCert,
        proxy: check.route,
        timeoutMs: check.timeoutMs,
        strictCaTrust,
      });
      conn.close();
      return undefined;
    } catch (error) {
      return error;
    }
  };
  const verdict = await verdictOf(check.strictCaTrust);
  const who = seen
    ? `server certificate ${seen.subject.text || "(no subject)"}`
    : "server certificate";
  if (verdict === undefined) {
    if (check.tls.insecure) {
      return stepResult("tls", "warn", `${who} was NOT verified (insecure-skip-tls-verify)`, {
        cause: "anyone between you and the API server can impersonate it and read your credentials",
        fix:
          "set certificate-authority-data of the cluster to its CA and remove insecure-skip-tls-verify",
      });
    }
    // By default a configured CA is trusted beside Deno's default roots (lib/transport/tls.ts):
    // say so when only those roots vouch for the server, which kubectl would refuse.
    if (check.tls.caPem && !check.strictCaTrust) {
      const strict = await verdictOf(true);
      if (strict instanceof TlsError) {
        return stepResult(
          "tls",
          "warn",
          `${who} is trusted through the default roots, not the kubeconfig's CA`,
          {
            cause:
              `the kubeconfig's certificate authority did not sign it (${strict.message}); kubectl trusts only that CA and would refuse this server, kubexec also trusts Deno's default roots (Mozilla's, DENO_CERT)`,
            fix:
              "set the cluster's certificate-authority-data to the CA that signed the server's certificate, or pass --strict-ca-trust to refuse it as kubectl does",
          },
        );
      }
    }
    if (!seen) return stepResult("tls", "ok", `server certificate trusted and valid for ${name}`);
    const summary = `${who}, issued by ${seen.issuer.text}, trusted and valid for ${name}, ${
      describeValidity(seen, check.now)
    }`;
    if (expiresSoon(seen, check.now)) {
      return stepResult("tls", "warn", summary, {
        cause: "the API server's certificate expires soon; connections will then fail",
        fix: "tell the cluster's administrator (kubeadm: kubeadm certs renew apiserver)",
      });
    }
    return stepResult("tls", "ok", summary);
  }
  if (verdict instanceof CaBundleError) {
    return stepResult("tls", "fail", `the kubeconfig's CA: ${verdict.message}`, {
      cause: "the cluster's certificate-authority (or -data) holds no PEM certificate",
      fix:
        "point certificate-authority at the cluster's CA certificate in PEM, or set certificate-authority-data to its base64",
    });
  }
  if (verdict instanceof TransportTimeoutError) {
    return stepResult("tls", "fail", `TLS handshake: no answer within ${verdict.timeoutMs} ms`, {
      cause: "something accepts TCP connections on this port but does not answer TLS",
      fix: "check that the server URL's port is the API server's (and not, say, a filtered port)",
    });
  }
  if (!(verdict instanceof TlsError)) {
    return stepResult("tls", "fail", `TLS connection failed: ${(verdict as Error).message}`, {
      cause: "the connection broke during the TLS handshake",
      fix: "check that the server URL's port serves the Kubernetes API over TLS",
    });
  }
  return serverCertificateFailure(verdict, seen, name, check);
}

function serverCertificateFailure(
  error: TlsError,
  seen: CertificateInfo | undefined,
  name: string,
  check: TlsCheck,
): StepResult {
  const subject = seen ? ` ${seen.subject.text}` : "";
  switch (error.failure) {
    case "unknown-authority": {
      const configured = check.tls.caPem ? pemCertificates(check.tls.caPem) : [];
      let caNames = "";
      try {
        caNames = configured.map((der) => parseCertificate(der).subject.text).join("; ");
      } catch {
        caNames = "";
      }
      const issuer = seen
        ? seen.issuer.text === seen.subject.text
          ? "it is self-signed"
          : `it was issued by ${seen.issuer.text}`
        : "its issuer is unknown";
      return stepResult(
        "tls",
        "fail",
        `server certificate${subject} is not trusted: x509: certificate signed by unknown authority`,
        {
          cause: check.tls.caPem
            ? `${issuer}, but the kubeconfig's certificate-authority is ${
              caNames || "another CA"
            }: the wrong CA for this cluster`
            : `${issuer}, and no certificate-authority is configured, so only the system's roots are trusted`,
          fix:
            "put the cluster's CA certificate into certificate-authority-data (ask the cluster's administrator, or copy it from a kubeconfig that works); do not switch to insecure-skip-tls-verify",
        },
      );
    }
    case "hostname-mismatch": {
      const names = seen ? certificateNames(seen) : "";
      const first = seen?.dnsNames[0] ?? seen?.ipAddresses[0];
      return stepResult(
        "tls",
        "fail",
        `server certificate${subject} is not valid for ${name}${
          check.tls.serverName ? " (tls-server-name)" : ""
        }`,
        {
          cause: names
            ? `it is valid for ${names} only`
            : "its names do not include the name kubexec verifies",
          fix: check.tls.serverName
            ? `correct tls-server-name of the cluster${first ? ` (for example ${first})` : ""}`
            : `use one of its names in the server URL, or set tls-server-name: ${
              first ?? "<a name of the certificate>"
            } on the cluster`,
        },
      );
    }
    case "expired": {
      const period = seen
        ? `it is valid from ${formatTime(seen.notBefore)} to ${formatTime(seen.notAfter)}`
        : "it is outside its validity period";
      return stepResult(
        "tls",
        "fail",
        `server certificate${subject} has expired or is not yet valid`,
        {
          cause: `${period}; this machine's clock says ${formatTime(check.now)}`,
          fix:
            "the cluster's serving certificate must be renewed (kubeadm: kubeadm certs renew apiserver); if its dates look right, correct this machine's clock",
        },
      );
    }
    default:
      return stepResult("tls", "fail", `TLS handshake failed: ${error.message}`, {
        cause: "the server may not speak TLS on this port, or refused the client certificate",
        fix: "check the server URL (https://, port) and the client certificate and key",
      });
  }
}

/**
 * Reports on a client certificate: a private key that is not the certificate's
 * (`keyMatchesCertificate` false, see `keyMatches`) fails (no TLS connection can be made), expired or not yet valid fails (the API server answers 401), expiring
 * within {@linkcode EXPIRY_WARNING_DAYS} warns.
 *
 * @example
 * ```ts ignore
 * import { checkClientCertificate } from "./tls_check.ts";
 * checkClientCertificate(certPem, new Date()).status; // "ok"
 * ```
 */
export function checkClientCertificate(
  certPem: string,
  now: Date,
  keyMatchesCertificate = true,
): StepResult {
  let certificate: CertificateInfo;
  try {
    const [der] = pemCertificates(certPem);
    if (!der) throw new Error("no CERTIFICATE block");
    certificate = parseCertificate(der);
  } catch (error) {
    return stepResult("tls", "fail", `client certificate unreadable: ${(error as Error).message}`, {
      cause:
        "client-certificate-data (or the plugin's clientCertificateData) is not a PEM certificate",
      fix: "replace it with the PEM certificate your cluster issued",
    });
  }
  const groups = certificate.subject.organizations.length > 0
    ? ` (groups ${certificate.subject.organizations.join(", ")})`
    : "";
  const who = `client certificate for user ${certificate.subject.commonName ?? "(no CN)"}${groups}`;
  if (!keyMatchesCertificate) {
    return stepResult("tls", "fail", `${who}: its private key does not match it`, {
      cause:
        "client-key (or client-key-data) is not the private key of client-certificate (or -data): no TLS connection can be made with the pair",
      fix: "put the key that was issued with this certificate in the kubeconfig user",
    });
  }
  if (now < certificate.notBefore || now > certificate.notAfter) {
    const expired = now > certificate.notAfter;
    return stepResult(
      "tls",
      "fail",
      `${who} ${
        expired
          ? `expired on ${formatTime(certificate.notAfter)}`
          : `is not valid before ${formatTime(certificate.notBefore)}`
      }`,
      {
        cause: expired
          ? "the API server rejects an expired client certificate: requests get 401 Unauthorized"
          : "this machine's clock is behind the certificate's start, or the certificate is new",
        fix: expired
          ? "get a new certificate (re-run your cluster's login tool, or ask its administrator; kubeadm: kubeadm kubeconfig user)"
          : `check this machine's clock (it says ${formatTime(now)})`,
      },
    );
  }
  const summary = `${who}, ${describeValidity(certificate, now)}`;
  if (expiresSoon(certificate, now)) {
    return stepResult("tls", "warn", summary, {
      cause: "the client certificate expires soon; the API server will then answer 401",
      fix: "renew it before it expires",
    });
  }
  return stepResult("tls", "ok", summary);
}
