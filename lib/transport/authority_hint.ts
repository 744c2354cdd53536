/**
 * Go's hint on `x509: certificate signed by unknown authority`: when a configured CA carries the
 * name of the certificate's issuer but its key did not sign it — a rotated cluster CA, or another
 * cluster's (every kubeadm cluster's CA is called `kubernetes`) — Go adds
 * `(possibly because of "x509: ECDSA verification failure" while trying to verify candidate
 * authority certificate "kubernetes")`. Neither TLS engine reports the server's certificate with a
 * failed verification, so it is fetched by one more handshake that verifies nothing, only after a
 * refusal.
 *
 * @module
 */
import type { PeerCertificate } from "node:tls";

/** Go's `CheckSignatureFrom` failure text for the key type of the candidate CA. */
function signatureFailure(keyType: string | undefined): string {
  switch (keyType) {
    case "rsa":
    case "rsa-pss":
      return "crypto/rsa: verification error";
    case "ed25519":
      return "x509: Ed25519 verification failure";
    default:
      return "x509: ECDSA verification failure";
  }
}

/** A subject's name as Go's hint names the candidate: its CN, else its first O, else its serial. */
function candidateName(subject: string, serialHex: string): string {
  const field = (key: string) =>
    subject.split("\n").find((line) => line.startsWith(`${key}=`))?.slice(key.length + 1);
  return field("CN") || field("O") || `serial:${BigInt(`0x${serialHex}`)}`;
}

/**
 * The parenthesised hint Go adds for `leafPem` and the configured `caPem` bundle, or `undefined`
 * when no CA has the issuer's name (or one of them did sign it).
 *
 * @example
 * ```ts ignore
 * import { authorityHintFor } from "./authority_hint.ts";
 * await authorityHintFor(serverCertPem, rotatedCaPem);
 * // '(possibly because of "x509: ECDSA verification failure" while trying to verify candidate authority certificate "kubernetes")'
 * ```
 */
export async function authorityHintFor(
  leafPem: string | Uint8Array,
  caPem: string,
): Promise<string | undefined> {
  const { X509Certificate } = await import("node:crypto");
  const leaf = new X509Certificate(leafPem);
  const blocks = caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  let hint: string | undefined;
  for (const block of blocks) {
    let ca: InstanceType<typeof X509Certificate>;
    try {
      ca = new X509Certificate(block);
    } catch {
      continue;
    }
    if (ca.subject !== leaf.issuer) continue;
    if (leaf.verify(ca.publicKey)) return undefined;
    hint ??= `(possibly because of ${
      JSON.stringify(signatureFailure(ca.publicKey.asymmetricKeyType))
    } while trying to verify candidate authority certificate ${
      JSON.stringify(candidateName(ca.subject, ca.serialNumber))
    })`;
  }
  return hint;
}

/**
 * The server's certificate (DER), by a handshake that verifies nothing and sends nothing after it;
 * `undefined` when there is none within `timeoutMs`.
 *
 * @example
 * ```ts ignore
 * import { fetchServerCertificate } from "./authority_hint.ts";
 * const der = await fetchServerCertificate("127.0.0.1", 6443, "kubernetes");
 * ```
 */
export async function fetchServerCertificate(
  host: string,
  port: number,
  serverName: string | undefined,
  timeoutMs = 2000,
): Promise<Uint8Array | undefined> {
  const nodeTls = await import("node:tls");
  return await new Promise((resolve) => {
    const socket = nodeTls.connect({
      host,
      port,
      ...(serverName ? { servername: serverName } : {}),
      rejectUnauthorized: false,
      ALPNProtocols: ["http/1.1"],
    });
    const done = (der: Uint8Array | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(der);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.once("error", () => done(undefined));
    socket.once("secureConnect", () => {
      const peer: PeerCertificate | undefined = socket.getPeerCertificate();
      done(peer?.raw ? new Uint8Array(peer.raw) : undefined);
    });
  });
}
