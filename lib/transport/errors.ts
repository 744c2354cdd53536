/**
 * Named errors of the transport layer. Each carries the facts a user-facing message needs, and
 * their messages follow the wording Go's `net`, `crypto/tls` and `net/http` packages use, so that
 * kubexec's errors read like kubectl's (`dial tcp 10.0.0.1:6443: connect: connection refused`,
 * `tls: failed to verify certificate: x509: certificate signed by unknown authority`). No message
 * ever contains a credential.
 *
 * @module
 */

/** Why a TCP connection could not be made. */
export type ConnectFailure = "refused" | "dns" | "timeout" | "unreachable" | "reset" | "other";

/**
 * A TCP connection (to the API server or to a proxy) could not be opened.
 *
 * @example
 * ```ts
 * import { ConnectError } from "./errors.ts";
 * const error = new ConnectError("refused", "127.0.0.1:1", "connect: connection refused");
 * error.message; // "dial tcp 127.0.0.1:1: connect: connection refused"
 * ```
 */
export class ConnectError extends Error {
  /** The error name, `ConnectError`. */
  override name = "ConnectError";
  /** What went wrong, for hints. */
  readonly failure: ConnectFailure;
  /** `host:port` that was dialled. */
  readonly address: string;
  /** Builds the error from the facts its message needs. */
  constructor(failure: ConnectFailure, address: string, detail: string, options?: ErrorOptions) {
    super(
      failure === "dns"
        ? `dial tcp: lookup ${address}: ${detail}`
        : `dial tcp ${address}: ${detail}`,
      options,
    );
    this.failure = failure;
    this.address = address;
  }
}

/** Why a TLS handshake failed. */
export type TlsFailure =
  | "unknown-authority"
  | "hostname-mismatch"
  | "expired"
  | "bad-certificate"
  | "handshake";

/**
 * The TLS handshake failed or the server certificate was not acceptable.
 *
 * @example
 * ```ts
 * import { TlsError } from "./errors.ts";
 * const error = new TlsError("unknown-authority", "localhost", "x509: certificate signed by unknown authority");
 * error.message; // "tls: failed to verify certificate: x509: certificate signed by unknown authority"
 * ```
 */
export class TlsError extends Error {
  /** The error name, `TlsError`. */
  override name = "TlsError";
  /** What went wrong, for hints. */
  readonly failure: TlsFailure;
  /** The name the certificate was verified against (SNI). */
  readonly serverName: string;
  /** Builds the error from the facts its message needs. */
  constructor(failure: TlsFailure, serverName: string, detail: string, options?: ErrorOptions) {
    super(
      failure === "handshake" ? `tls: ${detail}` : `tls: failed to verify certificate: ${detail}`,
      options,
    );
    this.failure = failure;
    this.serverName = serverName;
  }
}

/**
 * `HTTP_PROXY` is set in a CGI environment (`REQUEST_METHOD` is set), where a client's `Proxy:`
 * header becomes `HTTP_PROXY` ("httpoxy"): Go refuses to use it, and so does kubexec.
 *
 * @example
 * ```ts
 * import { CgiProxyError } from "./errors.ts";
 * new CgiProxyError().message.startsWith("refusing to use HTTP_PROXY"); // true
 * ```
 */
export class CgiProxyError extends Error {
  /** The error name, `CgiProxyError`. */
  override name = "CgiProxyError";
  constructor() {
    super(
      "refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy",
    );
  }
}

/**
 * The configured certificate authority holds no certificate (a file that is not PEM, base64
 * data of something else): client-go's words, before any connection is tried.
 *
 * @example
 * ```ts
 * import { CaBundleError } from "./errors.ts";
 * new CaBundleError().message;
 * // "unable to load root certificates: unable to parse bytes as PEM block"
 * ```
 */
export class CaBundleError extends Error {
  /** The error name, `CaBundleError`. */
  override name = "CaBundleError";
  constructor() {
    super("unable to load root certificates: unable to parse bytes as PEM block");
  }
}

/**
 * A proxy refused or broke the tunnel (HTTP CONNECT status, SOCKS5 reply, bad proxy URL).
 *
 * @example
 * ```ts
 * import { ProxyError } from "./errors.ts";
 * const error = new ProxyError("http://proxy:3128", "407 Proxy Authentication Required", 407);
 * error.message; // "proxyconnect tcp: http://proxy:3128: 407 Proxy Authentication Required"
 * ```
 */
export class ProxyError extends Error {
  /** The error name, `ProxyError`. */
  override name = "ProxyError";
  /** The proxy URL without userinfo. */
  readonly proxy: string;
  /** HTTP status of a refused CONNECT (407 = proxy authentication required), if any. */
  readonly status: number | undefined;
  /**
   * Why the proxy gave no tunnel, when it said: it wants (other) credentials, it could not reach
   * the target, or its rules forbid the target.
   */
  readonly refusal: ProxyRefusal | undefined;
  /** Builds the error from the facts its message needs. */
  constructor(
    proxy: string,
    detail: string,
    status?: number,
    options?: ErrorOptions & { refusal?: ProxyRefusal },
  ) {
    super(`proxyconnect tcp: ${proxy}: ${detail}`, options);
    this.proxy = proxy;
    this.status = status;
    this.refusal = options?.refusal ?? refusalOfStatus(status);
  }
}

/** Why a proxy refused a tunnel. */
export type ProxyRefusal = "credentials" | "unreachable" | "forbidden";

/** An HTTP CONNECT answer's reason: 407, a gateway error (502/503/504), or a refusal. */
function refusalOfStatus(status: number | undefined): ProxyRefusal | undefined {
  if (status === undefined) return undefined;
  if (status === 407) return "credentials";
  if (status === 502 || status === 503 || status === 504) return "unreachable";
  return "forbidden";
}

/**
 * The peer sent bytes that are not valid HTTP/1.1 (or closed the connection mid-message).
 *
 * @example
 * ```ts
 * import { HttpProtocolError } from "./errors.ts";
 * const error = new HttpProtocolError("malformed HTTP status line");
 * error.name; // "HttpProtocolError"
 * ```
 */
export class HttpProtocolError extends Error {
  /** The error name, `HttpProtocolError`. */
  override name = "HttpProtocolError";
}

/**
 * A request header value holds a control character (a token or user name pasted with one): the
 * request is not sent, as Go's `net/http` refuses it. The message names the header, never the value.
 *
 * @example
 * ```ts
 * import { InvalidHeaderError } from "./errors.ts";
 * new InvalidHeaderError("Authorization").message;
 * // 'net/http: invalid header field value for "Authorization"'
 * ```
 */
export class InvalidHeaderError extends Error {
  /** The error name, `InvalidHeaderError`. */
  override name = "InvalidHeaderError";
  /** The header whose value was refused. */
  readonly header: string;
  /** @param header the header whose value was refused */
  constructor(header: string) {
    super(`net/http: invalid header field value for ${JSON.stringify(header)}`);
    this.header = header;
  }
}

/**
 * A response body exceeded the size kubexec is willing to buffer.
 *
 * @example
 * ```ts
 * import { BodyTooLargeError } from "./errors.ts";
 * new BodyTooLargeError(16 * 1024 * 1024).message;
 * ```
 */
export class BodyTooLargeError extends Error {
  /** The error name, `BodyTooLargeError`. */
  override name = "BodyTooLargeError";
  /** The cap in bytes. */
  readonly limit: number;
  /** Builds the error from the facts its message needs. */
  constructor(limit: number) {
    super(`response body larger than ${limit} bytes`);
    this.limit = limit;
  }
}

/**
 * The server answered a WebSocket upgrade with something other than `101 Switching Protocols`.
 * `body` holds up to 64 KiB of the response body (a `metav1.Status` JSON, an HTML page, or empty
 * for a subprotocol mismatch). Status 0 means the status is unknown (Deno's native `WebSocket`
 * does not expose it); `statusText` then carries the runtime's message.
 *
 * @example
 * ```ts
 * import { UpgradeError } from "./errors.ts";
 * const error = new UpgradeError(403, "Forbidden", new Headers(), new Uint8Array());
 * error.message; // "unable to upgrade connection: 403 Forbidden"
 * ```
 */
export class UpgradeError extends Error {
  /** The error name, `UpgradeError`. */
  override name = "UpgradeError";
  /** HTTP status of the refusal; 0 when unknown (native transport). */
  readonly status: number;
  /** Reason phrase, or the runtime's message when the status is unknown. */
  readonly statusText: string;
  /** Response headers. */
  readonly headers: Headers;
  /** Up to 64 KiB of the response body. */
  readonly body: Uint8Array;
  /** Builds the error from the facts its message needs. */
  constructor(status: number, statusText: string, headers: Headers, body: Uint8Array) {
    super(
      `unable to upgrade connection: ${status === 0 ? statusText : `${status} ${statusText}`}`
        .trimEnd(),
    );
    this.status = status;
    this.statusText = statusText;
    this.headers = headers;
    this.body = body;
  }
}

/**
 * The WebSocket handshake response or a frame violated RFC 6455 (bad accept key, a subprotocol we
 * did not offer, a masked server frame, an oversized message, …).
 *
 * @example
 * ```ts
 * import { WebSocketProtocolError } from "./errors.ts";
 * const error = new WebSocketProtocolError("server chose subprotocol \"x\" which was not offered", 1002);
 * error.name; // "WebSocketProtocolError"
 * ```
 */
export class WebSocketProtocolError extends Error {
  /** The error name, `WebSocketProtocolError`. */
  override name = "WebSocketProtocolError";
  /** The close code sent to the peer for this violation (1002 protocol error, 1009 too big). */
  readonly closeCode: number;
  /** Builds the error from the facts its message needs. */
  constructor(message: string, closeCode = 1002) {
    super(message);
    this.closeCode = closeCode;
  }
}

/**
 * An operation did not finish within `--request-timeout`.
 *
 * @example
 * ```ts
 * import { TransportTimeoutError } from "./errors.ts";
 * new TransportTimeoutError("GET https://h/api", 5000).message;
 * ```
 */
export class TransportTimeoutError extends Error {
  /** The error name, `TransportTimeoutError`. */
  override name = "TransportTimeoutError";
  /** The limit that was exceeded. */
  readonly timeoutMs: number;
  /** Builds the error from the facts its message needs. */
  constructor(what: string, timeoutMs: number) {
    super(`${what}: timed out after ${timeoutMs}ms (Client.Timeout exceeded)`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The TLS handshake did not finish within Go's `TLSHandshakeTimeout` (10 s), which client-go
 * applies whatever `--request-timeout` says: a server (or something in between) that accepts
 * the connection and then stays silent.
 *
 * @example
 * ```ts
 * import { TlsHandshakeTimeoutError } from "./errors.ts";
 * new TlsHandshakeTimeoutError().message; // "net/http: TLS handshake timeout"
 * ```
 */
export class TlsHandshakeTimeoutError extends TransportTimeoutError {
  override name = "TlsHandshakeTimeoutError";
  /** @param timeoutMs the limit (10 s unless a test shortens it) */
  constructor(timeoutMs = TLS_HANDSHAKE_TIMEOUT_MS) {
    super("TLS handshake", timeoutMs);
    this.message = "net/http: TLS handshake timeout";
  }
}

/** Go's `http.DefaultTransport.TLSHandshakeTimeout`, which client-go keeps. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * The native `WebSocket` transport was asked for something it cannot do (skip TLS verification,
 * a `tls-server-name`, a CA that must be the only trusted root, …).
 *
 * @example
 * ```ts
 * import { NativeTransportUnsupportedError } from "./errors.ts";
 * const error = new NativeTransportUnsupportedError("insecure-skip-tls-verify");
 * error.name; // "NativeTransportUnsupportedError"
 * ```
 */
export class NativeTransportUnsupportedError extends Error {
  /** The error name, `NativeTransportUnsupportedError`. */
  override name = "NativeTransportUnsupportedError";
  /** The setting the native transport cannot honour. */
  readonly setting: string;
  /** Builds the error from the facts its message needs. */
  constructor(setting: string) {
    super(`the native WebSocket transport does not support ${setting}; use the raw transport`);
    this.setting = setting;
  }
}

/**
 * A message was sent on a WebSocket that is closing or closed.
 *
 * @example
 * ```ts
 * import { WebSocketClosedError } from "./errors.ts";
 * const error = new WebSocketClosedError(1000);
 * error.name; // "WebSocketClosedError"
 * ```
 */
export class WebSocketClosedError extends Error {
  /** The error name, `WebSocketClosedError`. */
  override name = "WebSocketClosedError";
  /** The close code, when the connection has closed. */
  readonly code: number | undefined;
  /** Builds the error from the facts its message needs. */
  constructor(code?: number) {
    super(
      code === undefined ? "websocket: close sent" : `websocket: connection closed (code ${code})`,
    );
    this.code = code;
  }
}
