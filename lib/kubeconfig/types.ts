/**
 * Types of kubeconfig files (`clientcmd/api/v1`, JSON field names) and of the resolved
 * {@linkcode RestConfig} that the rest of kubexec consumes.
 *
 * The file types keep kubeconfig's own spelling (`certificate-authority-data`, `tokenFile`), so a
 * parsed file can be checked and printed back (`kubexec config view`) without renaming.
 *
 * @module
 */

/** `clusters[].cluster` of a kubeconfig file. */
export interface Cluster {
  server?: string;
  "tls-server-name"?: string;
  "insecure-skip-tls-verify"?: boolean;
  "certificate-authority"?: string;
  "certificate-authority-data"?: string;
  "proxy-url"?: string;
  "disable-compression"?: boolean;
  extensions?: NamedExtension[];
}

/** `users[].user` of a kubeconfig file. */
export interface AuthInfo {
  "client-certificate"?: string;
  "client-certificate-data"?: string;
  "client-key"?: string;
  "client-key-data"?: string;
  token?: string;
  tokenFile?: string;
  as?: string;
  "as-uid"?: string;
  "as-groups"?: string[];
  "as-user-extra"?: Record<string, string[]>;
  username?: string;
  password?: string;
  "auth-provider"?: AuthProviderConfig;
  exec?: ExecConfig;
  extensions?: NamedExtension[];
}

/** `users[].user.auth-provider`. */
export interface AuthProviderConfig {
  name: string;
  config?: Record<string, string>;
}

/** `users[].user.exec`: an exec credential plugin (client-go `ExecConfig`). */
export interface ExecConfig {
  command: string;
  args?: string[];
  env?: { name: string; value: string }[];
  apiVersion?: string;
  installHint?: string;
  provideClusterInfo?: boolean;
  interactiveMode?: "Never" | "IfAvailable" | "Always";
}

/** `contexts[].context`. */
export interface Context {
  cluster?: string;
  user?: string;
  namespace?: string;
  extensions?: NamedExtension[];
}

/** A named extension entry; kept opaque. */
export interface NamedExtension {
  name: string;
  extension: unknown;
}

/** A kubeconfig file (`kind: Config`, `apiVersion: v1`). */
export interface KubeconfigFile {
  kind?: string;
  apiVersion?: string;
  preferences?: Record<string, unknown>;
  clusters?: { name: string; cluster: Cluster }[];
  users?: { name: string; user: AuthInfo }[];
  contexts?: { name: string; context: Context }[];
  "current-context"?: string;
  extensions?: NamedExtension[];
}

/** TLS settings for connections to the API server, with every file already read. */
export interface TlsConfig {
  /** PEM bundle to trust. When set, client-go trusts only these (see docs/ARCHITECTURE.md). */
  caPem?: string;
  /** Client certificate chain, PEM. */
  certPem?: string;
  /** Client private key, PEM (PKCS#1, SEC1 or PKCS#8). */
  keyPem?: string;
  /** Skip verification of the server certificate (`insecure-skip-tls-verify`). */
  insecure?: boolean;
  /** Name used for SNI and verification instead of the URL's host (`tls-server-name`). */
  serverName?: string;
}

/** Impersonation headers (`--as`, `--as-group`, `--as-uid`, `as-user-extra`). */
export interface Impersonation {
  user?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** The cluster facts an exec plugin receives when `provideClusterInfo` is true. */
export interface ExecClusterInfo {
  server: string;
  "tls-server-name"?: string;
  "insecure-skip-tls-verify"?: boolean;
  "certificate-authority-data"?: string;
  "proxy-url"?: string;
  "disable-compression"?: boolean;
  /** The `client.authentication.k8s.io/exec` extension of the cluster, if any. */
  config?: unknown;
}

/** Where a credential comes from, after precedence rules were applied. */
export interface AuthConfig {
  /** Static bearer token (ignored when `tokenFile` is readable, as client-go does). */
  token?: string;
  /** A file holding the bearer token, re-read periodically. */
  tokenFile?: string;
  username?: string;
  password?: string;
  exec?: ExecConfig & { cluster?: ExecClusterInfo };
  authProvider?: AuthProviderConfig & {
    /** Writes changed provider config (refreshed oidc tokens) back to the kubeconfig file. */
    persist?: (config: Record<string, string>) => Promise<void>;
  };
}

/** Everything needed to talk to one API server as one user: the result of resolving a context. */
export interface RestConfig {
  /** API server URL, possibly with a path prefix (`https://h:6443/prefix`). */
  server: string;
  tls: TlsConfig;
  auth: AuthConfig;
  impersonate?: Impersonation;
  /** Explicit `proxy-url` (http, https, socks5); when absent the environment is consulted. */
  proxyUrl?: string;
  /** `--request-timeout` in milliseconds; 0 or absent means no timeout. */
  timeoutMs?: number;
  /** The namespace to use: flag › context › in-cluster file › `default`. */
  namespace: string;
  /** True when the namespace was given explicitly (flag or context). */
  namespaceExplicit: boolean;
  /** Names for messages and audit records. */
  contextName?: string;
  clusterName?: string;
  userName?: string;
}
