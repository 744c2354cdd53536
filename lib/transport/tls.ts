/**
 * TLS client connections to the API server (or an https proxy), with kubeconfig semantics, and
 * translation of TLS and TCP failures into `TlsError` / `ConnectError` (see `tls_errors.ts`).
 *
 * Two engines, chosen per connection by {@linkcode tlsEngineFor}:
 *
 * - `Deno.connectTls` (the default for a direct connection): fastest (≈830–880 MB/s receiving
 *   32 KiB WebSocket messages on loopback, `tests/transport/ws_throughput.ts`) with real
 *   back-pressure. Presents a client certificate if given.
 * - `node:tls` `connect()` over a connection kubexec opened itself, when Deno's API cannot serve:
 *   `insecure-skip-tls-verify` (`rejectUnauthorized: false`), `tls-server-name` (`servername`
 *   differs from the dialled host), TLS inside a proxy tunnel, or `strictCaTrust`. Slower
 *   (≈430–540 MB/s) because its reads are gated through a `Duplex` for back-pressure (see
 *   `byte_conn.ts`).
 *
 * How close to client-go's trust rules: when a CA is configured (`certificate-authority[-data]`),
 * client-go trusts only that CA. `node:tls` with `ca` does the same — a test puts the server's real
 * CA into `DENO_CERT` (which extends Deno's root store), configures another CA, and the connection
 * is refused. `Deno.connectTls` with `caCerts` instead trusts the CA *in addition to* Deno's default
 * roots (Mozilla's bundle, or the system store with `DENO_TLS_CA_STORE=system`), so a server holding
 * a publicly trusted certificate for the API server's name would also be accepted. Without a
 * configured CA both engines trust the default roots, like client-go trusts the system roots.
 * `strictCaTrust: true` selects `node:tls` whenever a CA is configured, for client-go's exact rule
 * at roughly 60% of the throughput.
 *
 * A `tls-server-name` is used both as SNI and as the name verified, as in Go; an IP address without
 * one is verified against the certificate's IP SANs and sent without SNI.
 *
 * Timeouts: both engines give up on a stalled handshake when the caller's deadline passes, but
 * only the `node:tls` engine can close the socket then; `Deno.connectTls` offers no way to cancel
 * its handshake, so that socket lingers until the peer or the kernel ends it (the CLI exits first).
 *
 * @module
 */
import type { PeerCertificate } from "node:tls";
import type { ClientCertificate } from "../auth/types.ts";
import type { TlsConfig } from "../kubeconfig/types.ts";
import type { Socket } from "node:net";
import { denoByteConn, nodeByteConn, ReadGate } from "./byte_conn.ts";
import { connectTcp } from "./tcp.ts";
import { classifyConnectionError, formatAuthority, goExpiryDetail } from "./tls_errors.ts";
import { parseIp } from "./ip.ts";
import {
  CaBundleError,
  TLS_HANDSHAKE_TIMEOUT_MS,
  TlsError,
  TlsHandshakeTimeoutError,
} from "./errors.ts";
import { certificateBlocks } from "../pem.ts";
import type { ByteConn } from "./types.ts";

/** Which TLS implementation carried a connection (for `-v` logs). */
export type TlsEngine = "Deno.connectTls" | "node:tls";

/** What {@linkcode connectTls} needs. */
export interface TlsConnectOptions {
  /** Host to dial (ignored with `tunnel`) and, without `tls.serverName`, the name to verify. */
  host: string;
  /** Port to dial. */
  port: number;
  /** CA, client certificate, server name and insecure mode. */
  tls: TlsConfig;
  /** A client certificate from the credential provider; wins over `tls.certPem`. */
  clientCert?: ClientCertificate;
  /** Run TLS over this established stream (a proxy tunnel) instead of dialling. */
  tunnel?: ByteConn;
  /** Trust only `tls.caPem` when set (client-go's rule), at the cost of the slower engine. */
  strictCaTrust?: boolean;
  /**
   * Receives each connection as soon as it is open, before the handshake, so a caller enforcing a
   * deadline can close it while the handshake is stalled.
   */
  onOpen?: (conn: ByteConn) => void;
  /** Limit for the handshake itself (Go's 10 s `TLSHandshakeTimeout` by default; tests shorten it). */
  handshakeTimeoutMs?: number;
}

/** An established TLS connection. */
export interface TlsConnection {
  /** The decrypted byte stream. */
  conn: ByteConn;
  /** Which engine carries it. */
  engine: TlsEngine;
  /** The name sent as SNI and verified; `undefined` for an IP address without `tls-server-name`. */
  serverName: string | undefined;
  /**
   * The server certificate's subject, issuer, validity end and SHA-256 fingerprint, when the
   * `node:tls` engine carried the connection (always the case with `insecure-skip-tls-verify`), so
   * an operator can see what was accepted without verification.
   */
  peer?: PeerCertificateSummary;
}

/** What `-v` shows of the server certificate. */
export interface PeerCertificateSummary {
  /** Subject common name (or the whole subject). */
  subject: string;
  /** Issuer common name (or the whole issuer). */
  issuer: string;
  /** `notAfter`, as the runtime formats it. */
  validTo: string;
  /** SHA-256 fingerprint, colon-separated hex. */
  fingerprint256: string;
  /** The certificate itself, DER, for callers that inspect names and validity (`kubexec doctor`). */
  der?: Uint8Array;
}

/**
 * Which engine {@linkcode connectTls} uses for these settings.
 *
 * @example
 * ```ts
 * import { tlsEngineFor } from "./tls.ts";
 * tlsEngineFor({ caPem: "..." }, { tunnelled: false }); // "Deno.connectTls"
 * tlsEngineFor({ caPem: "..." }, { tunnelled: false, strictCaTrust: true }); // "node:tls"
 * tlsEngineFor({ insecure: true }, { tunnelled: false }); // "node:tls"
 * ```
 */
export function tlsEngineFor(
  tls: TlsConfig,
  options: { tunnelled: boolean; strictCaTrust?: boolean },
): TlsEngine {
  return tls.insecure || tls.serverName || options.tunnelled ||
      (options.strictCaTrust && tls.caPem)
    ? "node:tls"
    : "Deno.connectTls";
}

/**
 * Opens a TLS connection with ALPN `http/1.1` and waits for the handshake to finish.
 *
 * @example
 * ```ts ignore
 * import { connectTls } from "./tls.ts";
 * const { conn } = await connectTls({ host: "127.0.0.1", port: 6443, tls: { caPem } });
 * ```
 */
export async function connectTls(given: TlsConnectOptions): Promise<TlsConnection> {
  const options = { ...given, tls: { ...given.tls, caPem: usableCa(given.tls.caPem) } };
  const { tls } = options;
  const cert = options.clientCert ??
    (tls.certPem && tls.keyPem ? { certPem: tls.certPem, keyPem: tls.keyPem } : undefined);
  const serverName = tls.serverName || (parseIp(options.host) ? undefined : options.host);
  const engine = tlsEngineFor(tls, {
    tunnelled: options.tunnel !== undefined,
    strictCaTrust: options.strictCaTrust,
  });
  try {
    if (engine === "Deno.connectTls") {
      return {
        conn: await denoTls(
          options.host,
          options.port,
          tls.caPem,
          cert,
          options.onOpen,
          options.handshakeTimeoutMs ?? TLS_HANDSHAKE_TIMEOUT_MS,
        ),
        engine,
        serverName,
      };
    }
    const { conn, peer } = await nodeTlsConnect(options, cert, serverName);
    return { conn, engine, serverName, peer };
  } catch (error) {
    throw await explained(error, options, serverName);
  }
}

/**
 * The CA bundle as Go reads it: empty is none (client-go then uses the system roots); blocks that
 * hold no certificate are passed over (rustls would fail the whole bundle on one, `node:tls` crash
 * on it); a bundle with no certificate at all is client-go's error, where Deno would ignore it and
 * report "unknown authority" later.
 */
function usableCa(caPem: string | undefined): string | undefined {
  if (caPem === undefined || caPem.trim() === "") return undefined;
  const blocks = certificateBlocks(caPem);
  if (blocks.length === 0) throw new CaBundleError();
  return blocks.join("");
}

/**
 * An unknown-authority refusal explained as Go would when the configured CA bundle tells why (see
 * `refusal_explain.ts`): an expired certificate from that CA, or a CA with the issuer's name but
 * another key. Other errors unchanged. Direct connections only: a proxy tunnel is spent by then.
 */
async function explained(
  error: unknown,
  options: TlsConnectOptions,
  serverName: string | undefined,
): Promise<unknown> {
  const caPem = options.tls.caPem;
  if (
    !(error instanceof TlsError) || error.failure !== "unknown-authority" || !caPem ||
    options.tunnel
  ) {
    return error;
  }
  try {
    const { explainRefusal, fetchServerCertificate } = await import("./refusal_explain.ts");
    const leaf = await fetchServerCertificate(options.host, options.port, serverName);
    const why = leaf && await explainRefusal(leaf, caPem);
    if (!why) return error;
    const cause = { cause: error.cause ?? error };
    return why.kind === "validity"
      ? new TlsError("expired", error.serverName, goExpiryDetail(new Date(), why), cause)
      : new TlsError(
        "unknown-authority",
        error.serverName,
        `x509: certificate signed by unknown authority ${why.hint}`,
        cause,
      );
  } catch {
    return error;
  }
}

async function denoTls(
  host: string,
  port: number,
  caPem: string | undefined,
  cert: ClientCertificate | undefined,
  onOpen: ((conn: ByteConn) => void) | undefined,
  handshakeTimeoutMs: number,
): Promise<ByteConn> {
  let conn: ByteConn | undefined;
  try {
    const tlsConn = cert
      ? await Deno.connectTls({
        hostname: host,
        port,
        alpnProtocols: ["http/1.1"],
        ...(caPem ? { caCerts: [caPem] } : {}),
        cert: cert.certPem,
        key: cert.keyPem,
      })
      : await startTlsWithoutNagle(host, port, caPem);
    conn = denoByteConn(tlsConn);
    onOpen?.(conn);
    await withinHandshakeLimit(tlsConn.handshake(), handshakeTimeoutMs);
    return conn;
  } catch (error) {
    conn?.close();
    throw classifyConnectionError(error, `${formatAuthority(host, port)}`, host);
  }
}

/** `handshake`, or a {@linkcode TlsHandshakeTimeoutError} once `timeoutMs` has passed. */
function withinHandshakeLimit<T>(handshake: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TlsHandshakeTimeoutError(timeoutMs)), timeoutMs);
  });
  return Promise.race([handshake, limit]).finally(() => clearTimeout(timer));
}

/**
 * TLS over a TCP connection with Nagle's algorithm off, as Go dials. `Deno.connectTls` leaves it
 * on, and the request written right after the handshake then waits for the server's delayed ACK
 * of the client's Finished: measured 45–90 ms per connection on loopback (1.8 ms without), twice
 * per `exec`. `Deno.startTls` cannot present a client certificate, so that case keeps
 * `Deno.connectTls` and the delay.
 */
async function startTlsWithoutNagle(
  host: string,
  port: number,
  caPem: string | undefined,
): Promise<Deno.TlsConn> {
  const tcp = await Deno.connect({ hostname: host, port });
  try {
    tcp.setNoDelay(true);
    return await Deno.startTls(tcp, {
      hostname: host,
      alpnProtocols: ["http/1.1"],
      ...(caPem ? { caCerts: [caPem] } : {}),
    });
  } catch (error) {
    try {
      tcp.close();
    } catch {
      // Already consumed by a failed Deno.startTls.
    }
    throw error;
  }
}

async function nodeTlsConnect(
  options: TlsConnectOptions,
  cert: ClientCertificate | undefined,
  serverName: string | undefined,
): Promise<{ conn: ByteConn; peer: PeerCertificateSummary | undefined }> {
  const { tls } = options;
  const verifyName = serverName ?? options.host;
  const transport = options.tunnel ?? await connectTcp(options.host, options.port);
  if (!options.tunnel) options.onOpen?.(transport);
  const gate = new ReadGate();
  // Loaded here, not at start-up: most connections use Deno.connectTls, and evaluating node:tls
  // and node:stream costs every invocation about 15 ms.
  const [nodeTls, { byteConnDuplex }] = await Promise.all([
    import("node:tls"),
    import("./byte_conn_duplex.ts"),
  ]);
  return await new Promise((resolve, reject) => {
    const socket = nodeTls.connect({
      socket: byteConnDuplex(transport, { gate, readBufferBytes: 128 * 1024 }) as unknown as Socket,
      // SNI carries host names only (RFC 6066; node:tls refuses an IP): an IP tls-server-name
      // is sent as no SNI and checked against the certificate's IP SANs, as Go does.
      ...(serverName && !parseIp(serverName) ? { servername: serverName } : {}),
      ...(tls.caPem ? { ca: tls.caPem } : {}),
      ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}),
      rejectUnauthorized: !tls.insecure,
      ALPNProtocols: ["http/1.1"],
      // With a tls-server-name, verify against it even when dialling an IP address.
      checkServerIdentity: (_host, peer) => nodeTls.checkServerIdentity(verifyName, peer),
    });
    const handshakeTimeoutMs = options.handshakeTimeoutMs ?? TLS_HANDSHAKE_TIMEOUT_MS;
    const timer = setTimeout(
      () => onError(new TlsHandshakeTimeoutError(handshakeTimeoutMs)),
      handshakeTimeoutMs,
    );
    const onError = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      transport.close();
      reject(
        classifyConnectionError(error, formatAuthority(options.host, options.port), verifyName),
      );
    };
    const onClose = () =>
      onError(new Deno.errors.ConnectionReset("connection closed during the TLS handshake"));
    socket.once("error", onError);
    socket.once("close", onClose);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      socket.off("error", onError);
      socket.off("close", onClose);
      resolve({ conn: nodeByteConn(socket, gate), peer: summarize(peerCertificate(socket)) });
    });
  });
}

/** The peer's certificate, or `undefined` when Deno's `node:tls` cannot produce it (it throws). */
function peerCertificate(socket: { getPeerCertificate(): PeerCertificate }) {
  try {
    return socket.getPeerCertificate();
  } catch {
    return undefined;
  }
}

function summarize(peer: PeerCertificate | undefined): PeerCertificateSummary | undefined {
  if (!peer || !peer.fingerprint256) return undefined;
  const name = (entity: unknown) => {
    const fields = (entity ?? {}) as Record<string, unknown>;
    return typeof fields.CN === "string" ? fields.CN : JSON.stringify(fields);
  };
  return {
    subject: name(peer.subject),
    issuer: name(peer.issuer),
    validTo: peer.valid_to,
    fingerprint256: peer.fingerprint256,
    ...(peer.raw ? { der: new Uint8Array(peer.raw) } : {}),
  };
}
