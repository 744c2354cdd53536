/**
 * In-cluster configuration: what a pod's service account provides (client-go's
 * `rest.InClusterConfig`). The server comes from `KUBERNETES_SERVICE_HOST`/`_PORT`, the token from
 * the mounted token file (re-read by the token provider so rotation works), the CA from the mounted
 * `ca.crt`, the namespace from `POD_NAMESPACE` or the mounted `namespace` file. Every path is
 * injectable so tests need no real mount.
 *
 * @module
 */
import type { RestConfig } from "./types.ts";
import { FileReadError, KubeconfigError } from "./errors.ts";
import { goReason } from "../fs_errors.ts";
import { defaultEnv, type EnvLookup } from "./load.ts";
import { pemHoldsCertificate } from "../pem.ts";

/**
 * Where the service account is mounted in every pod.
 *
 * @example
 * ```ts
 * import { SERVICE_ACCOUNT_DIRECTORY } from "./incluster.ts";
 * `${SERVICE_ACCOUNT_DIRECTORY}/token`; // "/var/run/secrets/kubernetes.io/serviceaccount/token"
 * ```
 */
export const SERVICE_ACCOUNT_DIRECTORY = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Inputs of in-cluster configuration. */
export interface InClusterOptions {
  env?: EnvLookup;
  /** Defaults to `${SERVICE_ACCOUNT_DIRECTORY}/token`. */
  tokenPath?: string;
  /** Defaults to `${SERVICE_ACCOUNT_DIRECTORY}/ca.crt`. */
  caPath?: string;
  /** Defaults to `${SERVICE_ACCOUNT_DIRECTORY}/namespace`. */
  namespacePath?: string;
  /** Told when the CA file cannot be read (client-go logs it and uses the system roots). */
  warn?: (message: string) => void;
}

/**
 * `KUBERNETES_SERVICE_HOST` or `KUBERNETES_SERVICE_PORT` is missing. Worded as client-go's
 * `ErrNotInCluster`.
 *
 * @example
 * ```ts
 * import { NotInClusterError } from "./incluster.ts";
 * new NotInClusterError().message.startsWith("unable to load in-cluster configuration"); // true
 * ```
 */
export class NotInClusterError extends KubeconfigError {
  constructor() {
    super(
      "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined",
    );
    this.name = "NotInClusterError";
  }
}

function paths(options: InClusterOptions) {
  return {
    env: options.env ?? defaultEnv,
    tokenPath: options.tokenPath ?? `${SERVICE_ACCOUNT_DIRECTORY}/token`,
    caPath: options.caPath ?? `${SERVICE_ACCOUNT_DIRECTORY}/ca.crt`,
    namespacePath: options.namespacePath ?? `${SERVICE_ACCOUNT_DIRECTORY}/namespace`,
  };
}

/**
 * Whether in-cluster configuration can work: both service variables set and the token file a
 * regular file (client-go's `Possible`).
 *
 * @example
 * ```ts
 * import { inClusterPossible } from "./incluster.ts";
 * await inClusterPossible({ env: () => undefined }); // false
 * ```
 */
export async function inClusterPossible(options: InClusterOptions = {}): Promise<boolean> {
  const { env, tokenPath } = paths(options);
  if (!env("KUBERNETES_SERVICE_HOST") || !env("KUBERNETES_SERVICE_PORT")) return false;
  try {
    return (await Deno.stat(tokenPath)).isFile;
  } catch {
    return false;
  }
}

/**
 * The namespace a pod runs in: `POD_NAMESPACE`, else the mounted namespace file, else `default`.
 *
 * @example
 * ```ts
 * import { inClusterNamespace } from "./incluster.ts";
 * await inClusterNamespace({ env: (n) => n === "POD_NAMESPACE" ? "web" : undefined }); // "web"
 * ```
 */
export async function inClusterNamespace(options: InClusterOptions = {}): Promise<string> {
  const { env, namespacePath } = paths(options);
  const fromEnv = env("POD_NAMESPACE");
  if (fromEnv) return fromEnv;
  try {
    const fromFile = (await Deno.readTextFile(namespacePath)).trim();
    if (fromFile) return fromFile;
  } catch {
    // An unreadable namespace file means "not set", as in client-go.
  }
  return "default";
}

function joinHostPort(host: string, port: string): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Builds the {@linkcode RestConfig} of the pod's service account.
 *
 * @throws {NotInClusterError} when the service variables are not set
 * @throws {FileReadError} when the token file cannot be read
 *
 * @example
 * ```ts
 * import { inClusterConfig } from "./incluster.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/token`, "t\n");
 * const env = (n: string) => ({ KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" } as Record<string, string>)[n];
 * const config = await inClusterConfig({ env, tokenPath: `${dir}/token`, caPath: `${dir}/ca.crt`, namespacePath: `${dir}/namespace` });
 * config.server; // "https://10.0.0.1:443"
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function inClusterConfig(options: InClusterOptions = {}): Promise<RestConfig> {
  const { env, tokenPath, caPath } = paths(options);
  const host = env("KUBERNETES_SERVICE_HOST");
  const port = env("KUBERNETES_SERVICE_PORT");
  if (!host || !port) throw new NotInClusterError();
  let token: string;
  try {
    token = await Deno.readTextFile(tokenPath);
  } catch (error) {
    throw FileReadError.from("open", tokenPath, error);
  }
  let caPem: string | undefined;
  try {
    caPem = await Deno.readTextFile(caPath);
  } catch (error) {
    options.warn?.(
      `Expected to load root CA config from ${caPath}, but got err: ${goReason(error)}`,
    );
  }
  if (caPem !== undefined && !pemHoldsCertificate(caPem)) {
    // client-go's certutil.NewPool error; it then goes on with the system roots.
    options.warn?.(
      `Expected to load root CA config from ${caPath}, but got err: data does not contain any valid RSA or ECDSA certificates`,
    );
    caPem = undefined;
  }
  const namespace = await inClusterNamespace(options);
  return {
    server: `https://${joinHostPort(host, port)}`,
    tls: caPem === undefined ? {} : { caPem },
    auth: { token: token.trim(), tokenFile: tokenPath },
    namespace,
    namespaceExplicit: false,
  };
}
