/**
 * Why a server's certificate was refused, when the TLS engine did not say: `node:tls` under Deno
 * reports every verification failure as `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, so an expired
 * certificate from the right CA read as "signed by unknown authority". After such a refusal (and
 * only then) the server's certificate is fetched by one more handshake that verifies nothing, and
 * compared with the configured CA bundle:
 *
 * - a CA there signed it: the refusal is about its validity period (Go's "has expired or is not
 *   yet valid: current time … is after …");
 * - a CA there has the issuer's name but not its key — a rotated cluster CA, or another cluster's
 *   (every kubeadm cluster's CA is called `kubernetes`): Go's hint `(possibly because of
 *   "x509: ECDSA verification failure" while trying to verify candidate authority certificate
 *   "kubernetes")`.
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

/** What {@linkcode explainRefusal} found. */
export type RefusalExplanation =
  | { kind: "validity"; notBefore: Date; notAfter: Date }
  | { kind: "candidate"; hint: string };

/**
 * Why `leaf` does not verify against the `caPem` bundle at `now`, when a CA there explains it;
 * `undefined` otherwise.
 *
 * @example
 * ```ts ignore
 * import { explainRefusal } from "./refusal_explain.ts";
 * await explainRefusal(serverCertPem, rotatedCaPem);
 * // { kind: "candidate", hint: '(possibly because of "x509: ECDSA verification failure" while trying to verify candidate authority certificate "kubernetes")' }
 * ```
 */
export async function explainRefusal(
  leafPem: string | Uint8Array,
  caPem: string,
  now: Date = new Date(),
): Promise<RefusalExplanation | undefined> {
  const { X509Certificate } = await import("node:crypto");
  const leaf = new X509Certificate(leafPem);
  const blocks = caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  let candidate: RefusalExplanation | undefined;
  for (const block of blocks) {
    let ca: InstanceType<typeof X509Certificate>;
    try {
      ca = new X509Certificate(block);
    } catch {
      continue;
    }
    if (ca.subject !== leaf.issuer) continue;
    if (leaf.verify(ca.publicKey)) {
      const notBefore = new Date(leaf.validFrom);
      const notAfter = new Date(leaf.validTo);
      return now < notBefore || now > notAfter
        ? { kind: "validity", notBefore, notAfter }
        : undefined;
    }
    candidate ??= {
      kind: "candidate",
      hint: `(possibly because of ${
        JSON.stringify(signatureFailure(ca.publicKey.asymmetricKeyType))
      } while trying to verify candidate authority certificate ${
        JSON.stringify(candidateName(ca.subject, ca.serialNumber))
      })`,
    };
  }
  return candidate;
}

/**
 * The server's certificate (DER), by a handshake that verifies nothing and sends nothing after it;
 * `undefined` when there is none within `timeoutMs`.
 *
 * @example
 * ```ts ignore
 * import { fetchServerCertificate } from "./refusal_explain.ts";
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
      let peer: PeerCertificate | undefined;
      try {
        peer = socket.getPeerCertificate();
      } catch {
        // Deno's node:tls can throw here; there is then nothing to explain with.
      }
      done(peer?.raw ? new Uint8Array(peer.raw) : undefined);
    });
  });
}
