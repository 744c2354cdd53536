/**
 * A throwaway PKI for tests: a CA, a server certificate for loopback names and X.509 v3 client
 * certificates (rustls rejects v1), written with Web Crypto (`x509_writer.ts`, no `openssl` command)
 * into a temporary directory. {@linkcode testPki} caches one PKI per process.
 *
 * @module
 */

import {
  type CertificateSpec,
  generateKeyPair,
  type KeyPairPem,
  writeCertificate,
} from "./x509_writer.ts";

/** A certificate and its key, as PEM text and as files on disk. */
export interface IssuedCert {
  certPem: string;
  keyPem: string;
  certFile: string;
  keyFile: string;
}

/** The test PKI. */
export interface TestPki {
  /** Directory holding every file. */
  dir: string;
  ca: IssuedCert;
  /** Server certificate for `localhost`, `127.0.0.1`, `::1` and `kubernetes.default`. */
  server: IssuedCert;
  /** A second, unrelated CA (to provoke "unknown authority"). */
  otherCa: IssuedCert;
  /** Issues a client certificate (CN = user, O = groups) signed by {@linkcode TestPki.ca}. */
  issueClient(options: ClientCertOptions): Promise<IssuedCert>;
  /** Issues a server certificate with the given DNS/IP names. */
  issueServer(options: { names: string[]; expired?: boolean; name?: string }): Promise<IssuedCert>;
}

/** Options for {@linkcode TestPki.issueClient}. */
export interface ClientCertOptions {
  user: string;
  groups?: string[];
  /** Issue a certificate whose validity already ended. */
  expired?: boolean;
  /** Key algorithm; defaults to `ec` (P-256). */
  keyType?: "rsa" | "ec";
  /** File name stem; defaults to the user name. */
  name?: string;
}

const DAY_MS = 86_400_000;

/** An issuer: its name and the key that signs. */
interface Issuer {
  name: [string, string][];
  key: KeyPairPem;
}

async function save(dir: string, name: string, certPem: string, keyPem: string) {
  const certFile = `${dir}/${name}.crt`;
  const keyFile = `${dir}/${name}.key`;
  await Deno.writeTextFile(certFile, certPem);
  await Deno.writeTextFile(keyFile, keyPem, { mode: 0o600 });
  return { certFile, keyFile, certPem, keyPem };
}

async function makeCa(dir: string, name: string): Promise<{ cert: IssuedCert; issuer: Issuer }> {
  const key = await generateKeyPair("ec");
  const subject: [string, string][] = [["CN", name]];
  const now = Date.now();
  const certPem = await writeCertificate({
    subject,
    issuer: subject,
    spki: key.spki,
    signer: key,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3650 * DAY_MS),
    ca: true,
  });
  return { cert: await save(dir, name, certPem, key.keyPem), issuer: { name: subject, key } };
}

async function issue(
  dir: string,
  name: string,
  issuer: Issuer,
  subject: [string, string][],
  profile: Pick<CertificateSpec, "extendedKeyUsage" | "altNames" | "leafKeyUsage">,
  expired: boolean,
  keyType: "rsa" | "ec",
): Promise<IssuedCert> {
  const key = await generateKeyPair(keyType);
  const now = Date.now();
  const certPem = await writeCertificate({
    subject,
    issuer: issuer.name,
    spki: key.spki,
    signer: issuer.key,
    // An expired certificate ended yesterday.
    notBefore: new Date(expired ? now - 2 * DAY_MS : now - 60_000),
    notAfter: new Date(expired ? now - DAY_MS : now + 365 * DAY_MS),
    ...profile,
  });
  return await save(dir, name, certPem, key.keyPem);
}

let cached: Promise<TestPki> | undefined;

/**
 * Returns this process's test PKI, creating it on first use.
 *
 * @example
 * ```ts
 * import { testPki } from "./pki.ts";
 * const pki = await testPki();
 * const alice = await pki.issueClient({ user: "alice", groups: ["dev"] });
 * ```
 */
export function testPki(): Promise<TestPki> {
  cached ??= createPki();
  return cached;
}

/** Creates a fresh PKI in a new temporary directory (prefer {@linkcode testPki}). */
export async function createPki(): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "kubexec-pki-" });
  // Keys must outlive every test of the process, so the directory goes when the process ends.
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // Already gone.
    }
  });
  const ca = await makeCa(dir, "ca");
  const otherDir = `${dir}/other`;
  await Deno.mkdir(otherDir);
  // The same name, another key: what a rotated CA (or another kubeadm cluster's) looks like.
  const otherCa = await makeCa(otherDir, "ca");
  const issueServer = (options: { names: string[]; expired?: boolean; name?: string }) =>
    issue(
      dir,
      options.name ?? `server-${options.names[0].replace(/[^a-z0-9]/gi, "_")}`,
      ca.issuer,
      [["CN", options.names[0]]],
      { altNames: options.names, extendedKeyUsage: ["serverAuth"] },
      options.expired ?? false,
      "ec",
    );
  const server = await issueServer({
    names: ["localhost", "127.0.0.1", "::1", "kubernetes.default"],
    name: "server",
  });
  return {
    dir,
    ca: ca.cert,
    server,
    otherCa: otherCa.cert,
    issueServer,
    issueClient: (options) =>
      issue(
        dir,
        options.name ?? `client-${options.user.replace(/[^a-z0-9]/gi, "_")}`,
        ca.issuer,
        [["CN", options.user], ...(options.groups ?? []).map((g): [string, string] => ["O", g])],
        { extendedKeyUsage: ["clientAuth"], leafKeyUsage: true },
        options.expired ?? false,
        options.keyType ?? "ec",
      ),
  };
}
