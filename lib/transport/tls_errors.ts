/**
 * Translating Deno and Node connection/TLS failures into {@linkcode ConnectError} and
 * {@linkcode TlsError} with the wording of Go's `net` and `crypto/x509` packages.
 *
 * @module
 */
import { ConnectError, TlsError, TransportTimeoutError } from "./errors.ts";

/**
 * `host:port`, bracketing IPv6 addresses, as Go prints addresses.
 *
 * @example
 * ```ts
 * import { formatAuthority } from "./tls_errors.ts";
 * formatAuthority("::1", 443); // "[::1]:443"
 * ```
 */
export function formatAuthority(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

const NODE_UNKNOWN_AUTHORITY = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_SIGNATURE_FAILURE",
]);

/**
 * Turns a Deno or Node connection/TLS error into a `ConnectError` or `TlsError` with Go-like text;
 * other errors are returned unchanged.
 *
 * @example
 * ```ts
 * import { classifyConnectionError } from "./tls_errors.ts";
 * const error = new Deno.errors.ConnectionRefused("Connection refused (os error 111)");
 * classifyConnectionError(error, "127.0.0.1:1", "127.0.0.1").message;
 * // "dial tcp 127.0.0.1:1: connect: connection refused"
 * ```
 */
export function classifyConnectionError(
  error: unknown,
  address: string,
  serverName: string,
): Error {
  if (
    error instanceof ConnectError || error instanceof TlsError ||
    error instanceof TransportTimeoutError
  ) {
    return error;
  }
  if (!(error instanceof Error)) return new Error(String(error));
  const code = (error as { code?: string }).code ?? "";
  const message = error.message;
  const options = { cause: error };
  if (error instanceof Deno.errors.ConnectionRefused || code === "ECONNREFUSED") {
    return new ConnectError("refused", address, "connect: connection refused", options);
  }
  if (
    /failed to lookup address|Name or service not known|nodename nor servname/i.test(message) ||
    code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME"
  ) {
    return new ConnectError(
      "dns",
      address.replace(/:\d+$/, "").replace(/^\[|\]$/g, ""),
      "no such host",
      options,
    );
  }
  if (error instanceof Deno.errors.TimedOut || code === "ETIMEDOUT") {
    return new ConnectError("timeout", address, "i/o timeout", options);
  }
  if (/unreachable/i.test(message) || code === "EHOSTUNREACH" || code === "ENETUNREACH") {
    return new ConnectError("unreachable", address, "connect: no route to host", options);
  }
  if (error instanceof Deno.errors.ConnectionReset || code === "ECONNRESET") {
    return new ConnectError("reset", address, "read: connection reset by peer", options);
  }
  if (/KeyMismatch|keys may not be consistent/.test(message)) {
    // rustls checks the pair before any byte is sent; Go's tls.X509KeyPair words it so.
    return new TlsError("handshake", serverName, "private key does not match public key", options);
  }
  if (NODE_UNKNOWN_AUTHORITY.has(code) || /UnknownIssuer|BadSignature/.test(message)) {
    return new TlsError(
      "unknown-authority",
      serverName,
      "x509: certificate signed by unknown authority",
      options,
    );
  }
  if (
    code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID" ||
    /Expired|NotValidYet|certificate expired|certificate not valid yet/.test(message)
  ) {
    return new TlsError("expired", serverName, expiryDetail(message), options);
  }
  if (
    code === "ERR_TLS_CERT_ALTNAME_INVALID" || /NotValidForName|not valid for name/.test(message)
  ) {
    return new TlsError(
      "hostname-mismatch",
      serverName,
      mismatchDetail(error, serverName),
      options,
    );
  }
  if (/certificate|x509/i.test(message) && /invalid peer|verify/i.test(message)) {
    return new TlsError("bad-certificate", serverName, `x509: ${message}`, options);
  }
  if (
    /tls|handshake|alert|ssl/i.test(message) || code.startsWith("ERR_SSL") ||
    code.startsWith("ERR_TLS")
  ) {
    return new TlsError("handshake", serverName, message, options);
  }
  return error;
}

/**
 * Go's `x509: certificate has expired or is not yet valid: current time … is after …`, with both
 * times in RFC 3339 as Go prints them (the current time in the local zone, the certificate's in
 * UTC).
 *
 * @example
 * ```ts
 * import { goExpiryDetail } from "./tls_errors.ts";
 * goExpiryDetail(new Date("2026-11-26T23:11:10Z"), { notAfter: new Date("2026-11-25T23:11:08Z") });
 * // with TZ=UTC: "x509: certificate has expired or is not yet valid: current time 2026-11-26T23:11:10Z is after 2026-11-25T23:11:08Z"
 * ```
 */
export function goExpiryDetail(
  now: Date,
  bounds: { notBefore?: Date; notAfter?: Date },
): string {
  const base = "x509: certificate has expired or is not yet valid";
  if (bounds.notAfter && now > bounds.notAfter) {
    return `${base}: current time ${rfc3339Local(now)} is after ${rfc3339Utc(bounds.notAfter)}`;
  }
  if (bounds.notBefore && now < bounds.notBefore) {
    return `${base}: current time ${rfc3339Local(now)} is before ${rfc3339Utc(bounds.notBefore)}`;
  }
  return base;
}

function rfc3339Utc(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function rfc3339Local(date: Date): string {
  const offset = -date.getTimezoneOffset();
  if (offset === 0) return rfc3339Utc(date);
  const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 19);
  const sign = offset > 0 ? "+" : "-";
  const minutes = Math.abs(offset);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${local}${sign}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

/** Go's expiry text from rustls' (`verification time N (UNIX), but … not valid after M`). */
function expiryDetail(message: string): string {
  const match =
    /verification time (\d+) \(UNIX\), but certificate is not valid (after|before) (\d+)/
      .exec(message);
  if (!match) return goExpiryDetail(new Date(0), {});
  const now = new Date(Number(match[1]) * 1000);
  const bound = new Date(Number(match[3]) * 1000);
  return goExpiryDetail(now, match[2] === "after" ? { notAfter: bound } : { notBefore: bound });
}

/** Go's wording for a name mismatch, from Node's `cert.subjectaltname` or rustls' message. */
function mismatchDetail(error: Error, serverName: string): string {
  // The certificate's names, each marked as an IP or a DNS name.
  const nodeNames = (error as { cert?: { subjectaltname?: string } }).cert?.subjectaltname
    ?.split(", ").map((entry) => ({
      ip: entry.startsWith("IP Address:"),
      name: entry.replace(/^(DNS|IP Address):/, ""),
    }));
  const rustlsNames = /only valid for (.*)$/.exec(error.message)?.[1]
    .match(/(?:DnsName|IpAddress)\("?([^")]*)"?\)/g)
    ?.map((entry) => ({
      ip: entry.startsWith("IpAddress"),
      name: entry.replace(/^\w+\("?|"?\)$/g, ""),
    }));
  const names = nodeNames ?? rustlsNames;
  if (!names) return `x509: certificate is not valid for ${serverName}`;
  // Go's HostnameError lists the IP SANs for an IP, the DNS names for a host name.
  const isIp = /^[\d.]+$|:/.test(serverName);
  const valid = names.filter((entry) => entry.ip === isIp).map((entry) => entry.name);
  if (isIp && valid.length === 0) {
    return `x509: cannot validate certificate for ${serverName} because it doesn't contain any IP SANs`;
  }
  return valid.length > 0
    ? `x509: certificate is valid for ${valid.join(", ")}, not ${serverName}`
    : `x509: certificate is not valid for any names, but wanted to match ${serverName}`;
}
