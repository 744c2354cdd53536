/**
 * Writes throwaway kubeconfig files pointing at a {@linkcode FakeApiServer}: the server's CA as
 * `certificate-authority-data`, its URL, and one kind of credential. Files go into the server's
 * temporary directory, so {@linkcode FakeApiServer.close} removes them.
 *
 * @module
 */

import type { FakeApiServer } from "./fake_apiserver.ts";
import { ADMIN_BASIC, ADMIN_TOKEN } from "./fake_apiserver.ts";
import { testPki } from "./pki.ts";

/** Options of {@linkcode writeKubeconfig}. */
export interface KubeconfigFixtureOptions {
  /** The credential kind; `none` writes a user without credentials. */
  user: "token" | "cert" | "basic" | "none";
  /** Bearer token (default: the server's admin token). */
  token?: string;
  /** Basic-auth user name and password (default: the server's admin user). */
  username?: string;
  password?: string;
  /** Certificate subject for `cert` (default `admin` in `system:masters`). */
  certUser?: string;
  certGroups?: string[];
  /** Issue an expired client certificate. */
  expiredCert?: boolean;
  /** Context namespace. */
  namespace?: string;
  /** Override the server URL (e.g. to point at a proxy). */
  server?: string;
  /** Leave out the CA and set `insecure-skip-tls-verify: true`. */
  insecure?: boolean;
  /** `tls-server-name` for the cluster. */
  tlsServerName?: string;
  /** Extra fields merged into `users[0].user` (e.g. `as`, `exec`). */
  userExtra?: Record<string, unknown>;
  /** File name inside the server's temp directory (default `kubeconfig-N.yaml`). */
  fileName?: string;
}

let counter = 0;

function toBase64(text: string): string {
  return new TextEncoder().encode(text).toBase64();
}

function yamlValue(value: unknown, indent: string): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return "\n" + value.map((item) => `${indent}- ${yamlValue(item, indent + "  ").trimStart()}`)
      .join("\n");
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return "{}";
  return "\n" +
    entries.map(([key, item]) =>
      `${indent}${JSON.stringify(key)}: ${yamlValue(item, indent + "  ")}`
    )
      .join("\n");
}

/**
 * Renders a JSON-compatible value as block YAML (strings double-quoted), which both kubectl and
 * kubexec's YAML parser read.
 *
 * @example
 * ```ts
 * import { toYaml } from "./kubeconfig_fixture.ts";
 * toYaml({ kind: "Config", clusters: [] });
 * ```
 */
export function toYaml(value: Record<string, unknown>): string {
  return yamlValue(value, "").trimStart() + "\n";
}

/**
 * Writes a kubeconfig for `server` and returns its path.
 *
 * @example
 * ```ts ignore
 * import { startFakeApiServer } from "./fake_apiserver.ts";
 * import { writeKubeconfig } from "./kubeconfig_fixture.ts";
 * const server = await startFakeApiServer();
 * const path = await writeKubeconfig(server, { user: "token" });
 * await server.close(); // also removes the file
 * ```
 */
export async function writeKubeconfig(
  server: FakeApiServer,
  options: KubeconfigFixtureOptions,
): Promise<string> {
  const cluster: Record<string, unknown> = { server: options.server ?? server.url };
  if (options.insecure) cluster["insecure-skip-tls-verify"] = true;
  else if (server.url.startsWith("https:")) {
    cluster["certificate-authority-data"] = toBase64(server.caPem);
  }
  if (options.tlsServerName) cluster["tls-server-name"] = options.tlsServerName;
  const user: Record<string, unknown> = {};
  switch (options.user) {
    case "token":
      user.token = options.token ?? ADMIN_TOKEN;
      break;
    case "basic":
      user.username = options.username ?? ADMIN_BASIC.username;
      user.password = options.password ?? ADMIN_BASIC.password;
      break;
    case "cert": {
      const pki = await testPki();
      const certUser = options.certUser ?? "admin";
      const groups = options.certGroups ?? (options.certUser ? [] : ["system:masters"]);
      const issued = await pki.issueClient({
        user: certUser,
        groups,
        expired: options.expiredCert,
        name: `kubeconfig-${certUser.replace(/[^a-z0-9]/gi, "_")}-${groups.join("_")}-${
          options.expiredCert ? "expired" : "valid"
        }`,
      });
      user["client-certificate-data"] = toBase64(issued.certPem);
      user["client-key-data"] = toBase64(issued.keyPem);
      break;
    }
    case "none":
      break;
  }
  Object.assign(user, options.userExtra ?? {});
  const context: Record<string, unknown> = { cluster: "fake", user: "fake-user" };
  if (options.namespace) context.namespace = options.namespace;
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "fake", cluster }],
    users: [{ name: "fake-user", user }],
    contexts: [{ name: "fake", context }],
    "current-context": "fake",
  };
  const path = `${server.tempDir}/${options.fileName ?? `kubeconfig-${++counter}.yaml`}`;
  await Deno.writeTextFile(path, toYaml(config), { mode: 0o600 });
  return path;
}
