/**
 * Translating Deno and Node connection/TLS failures into {@linkcode ConnectError} and
 * {@linkcode TlsError} with the wording of Go's `net` and `crypto/x509` packages.
 *
 * @module
 */
import { ConnectError, TlsError } from "./errors.ts";

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
  if (error instanceof ConnectError || error instanceof TlsError) return error;
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
    /Expired|NotValidYet/.test(message)
  ) {
    return new TlsError(
      "expired",
      serverName,
      "x509: certificate has expired or is not yet valid",
      options,
    );
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
