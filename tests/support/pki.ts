/**
 * A throwaway PKI for tests: a CA, a server certificate for loopback names and X.509 v3 client
 * certificates (rustls rejects v1), generated with the `openssl` command into a temporary
 * directory. Generating keys is slow-ish, so {@linkcode testPki} caches one PKI per process.
 *
 * @module
 */

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

async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

async function read(dir: string, name: string, file: string): Promise<IssuedCert> {
  const certFile = `${dir}/${name}.crt`;
  const keyFile = `${dir}/${file}.key`;
  return {
    certFile,
    keyFile,
    certPem: await Deno.readTextFile(certFile),
    keyPem: await Deno.readTextFile(keyFile),
  };
}

function keyArgs(keyType: "rsa" | "ec"): string[] {
  return keyType === "rsa"
    ? ["-newkey", "rsa:2048"]
    : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
}

async function makeCa(dir: string, name: string): Promise<IssuedCert> {
  await openssl([
    "req",
    "-x509",
    ...keyArgs("ec"),
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
    "-days",
    "3650",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ], dir);
  return await read(dir, name, name);
}

async function issue(
  dir: string,
  name: string,
  subject: string,
  extensions: string,
  expired: boolean,
  keyType: "rsa" | "ec",
): Promise<IssuedCert> {
  await Deno.writeTextFile(`${dir}/${name}.ext`, extensions);
  await openssl([
    "req",
    ...keyArgs(keyType),
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    subject,
  ], dir);
  await openssl([
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    `${name}.crt`,
    "-days",
    expired ? "-1" : "365",
    "-extfile",
    `${name}.ext`,
  ], dir);
  return await read(dir, name, name);
}

function sanList(names: string[]): string {
  return names.map((n) => (/^[0-9.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
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
  const otherCa = await makeCa(otherDir, "ca");
  const issueServer = (options: { names: string[]; expired?: boolean; name?: string }) =>
    issue(
      dir,
      options.name ?? `server-${options.names[0].replace(/[^a-z0-9]/gi, "_")}`,
      `/CN=${options.names[0]}`,
      `subjectAltName=${
        sanList(options.names)
      }\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`,
      options.expired ?? false,
      "ec",
    );
  const server = await issueServer({
    names: ["localhost", "127.0.0.1", "::1", "kubernetes.default"],
    name: "server",
  });
  return {
    dir,
    ca,
    server,
    otherCa,
    issueServer,
    issueClient: (options) =>
      issue(
        dir,
        options.name ?? `client-${options.user.replace(/[^a-z0-9]/gi, "_")}`,
        `/CN=${options.user}${(options.groups ?? []).map((g) => `/O=${g}`).join("")}`,
        "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n",
        options.expired ?? false,
        options.keyType ?? "ec",
      ),
  };
}
