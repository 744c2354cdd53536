/**
 * kubectl keeps us honest: when `kubectl` is on PATH, the same credential configurations are given
 * to kubectl and to kubexec's providers, and the `KUBERNETES_EXEC_INFO` each plugin run received
 * and the credential error texts must be identical. kubectl runs against `https://127.0.0.1:1`
 * (nothing listens), which is enough: credentials are obtained before connecting.
 *
 * Known, deliberate differences are not compared: kubexec words some malformed-output errors
 * without Go type names, and client-go runs a failing plugin twice per command.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createCredentialProvider } from "../../lib/auth/mod.ts";
import { execInfo } from "../../lib/auth/exec_info.ts";
import type { AuthConfig, AuthInfo, ExecClusterInfo } from "../../lib/kubeconfig/types.ts";
import { kubectlPath } from "../support/oracle.ts";
import { testPki } from "../support/pki.ts";

const PLUGIN = new URL("./plugins/test_plugin.sh", import.meta.url).pathname;
const V1 = "client.authentication.k8s.io/v1";
const V1BETA1 = "client.authentication.k8s.io/v1beta1";
const SERVER = "https://127.0.0.1:1";

const KUBECTL = kubectlPath;
const NAME_SUFFIX = KUBECTL ? "" : " (skipped: kubectl is not on PATH)";

interface Scene {
  dir: string;
  record: string;
  caData: string;
  [Symbol.asyncDispose](): Promise<void>;
}

async function scene(): Promise<Scene> {
  const dir = await Deno.makeTempDir({ prefix: "kubexec-kubectl-" });
  const pki = await testPki();
  return {
    dir,
    record: `${dir}/record`,
    caData: btoa(pki.ca.certPem),
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Runs kubectl with `user` and returns its stderr without kubectl's own wrapping prefix. */
async function kubectlError(
  s: Scene,
  user: AuthInfo,
  cluster: Record<string, unknown> = {},
): Promise<string> {
  const kubeconfig = {
    apiVersion: "v1",
    kind: "Config",
    "current-context": "c",
    clusters: [{
      name: "cl",
      cluster: { server: SERVER, "certificate-authority-data": s.caData, ...cluster },
    }],
    users: [{ name: "u", user }],
    contexts: [{ name: "c", context: { cluster: "cl", user: "u" } }],
  };
  const path = `${s.dir}/kubeconfig.json`;
  await Deno.writeTextFile(path, JSON.stringify(kubeconfig));
  await Deno.writeTextFile(s.record, "");
  const output = await new Deno.Command(KUBECTL!, {
    args: ["--kubeconfig", path, "get", "--raw", "/api", "--request-timeout=5s"],
    env: { PATH: Deno.env.get("PATH") ?? "", HOME: s.dir },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 1);
  return new TextDecoder().decode(output.stderr)
    .replace(/^(Unable to connect to the server: |error: )/, "")
    .replace(/\n$/, "");
}

/** The error text our provider gives for the same credential configuration. */
async function ourError(s: Scene, auth: AuthConfig): Promise<string> {
  try {
    const provider = await createCredentialProvider(auth, {
      stdinIsTerminal: false,
      stdinInUse: false,
      env: { PATH: Deno.env.get("PATH") ?? "" },
    });
    await provider.get();
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail(`no error for ${JSON.stringify(auth)} in ${s.dir}`);
}

function pluginEnv(s: Scene, extra: Record<string, string>) {
  return Object.entries({
    PLUGIN_RECORD: s.record,
    PLUGIN_API_VERSION: V1,
    PLUGIN_TOKEN: "t",
    ...extra,
  }).map(([name, value]) => ({ name, value }));
}

Deno.test({
  name: `kubectl comparison: exec plugin error texts${NAME_SUFFIX}`,
  ignore: KUBECTL === undefined,
  async fn(t) {
    await using s = await scene();
    const base = { command: PLUGIN, apiVersion: V1, interactiveMode: "Never" as const };
    const output = (value: unknown) =>
      pluginEnv(s, { PLUGIN_OUTPUT: typeof value === "string" ? value : JSON.stringify(value) });
    const cases: [string, NonNullable<AuthInfo["exec"]>][] = [
      ["missing command with installHint", {
        ...base,
        command: "kubexec-no-such-plugin",
        installHint: "\u001b[31mbrew install it\u001b[0m\n\tthen retry",
      }],
      ["non-zero exit", { ...base, env: pluginEnv(s, { PLUGIN_EXIT: "3" }) }],
      ["other version", {
        ...base,
        env: output({ apiVersion: V1BETA1, kind: "ExecCredential", status: { token: "x" } }),
      }],
      ["no apiVersion", {
        ...base,
        env: output({ kind: "ExecCredential", status: { token: "x" } }),
      }],
      ["blank output", { ...base, env: output(" \n") }],
      ["no status", { ...base, env: output({ apiVersion: V1, kind: "ExecCredential" }) }],
      ["empty status", {
        ...base,
        env: output({ apiVersion: V1, kind: "ExecCredential", status: {} }),
      }],
      ["certificate without key", {
        ...base,
        env: output({
          apiVersion: V1,
          kind: "ExecCredential",
          status: { clientCertificateData: "x" },
        }),
      }],
      ["Always without a terminal", { ...base, interactiveMode: "Always" }],
      ["v1alpha1", { ...base, apiVersion: "client.authentication.k8s.io/v1alpha1" }],
    ];
    for (const [name, exec] of cases) {
      await t.step(name, async () => {
        assert.equal(await ourError(s, { exec }), await kubectlError(s, { exec }));
      });
    }
  },
});

Deno.test({
  name: `kubectl comparison: auth-provider error texts${NAME_SUFFIX}`,
  ignore: KUBECTL === undefined,
  async fn(t) {
    await using s = await scene();
    const cases: [string, { name: string; config?: Record<string, string> }][] = [
      ["gcp", { name: "gcp" }],
      ["azure", { name: "azure" }],
      ["unknown", { name: "keystone" }],
      ["oidc without issuer", { name: "oidc", config: { "client-id": "c" } }],
      ["oidc without client-id", { name: "oidc", config: { "idp-issuer-url": "https://i" } }],
      ["oidc opaque id-token", {
        name: "oidc",
        config: { "idp-issuer-url": "https://i", "client-id": "c", "id-token": "opaque" },
      }],
      ["oidc expired without refresh-token", {
        name: "oidc",
        config: {
          "idp-issuer-url": "https://i",
          "client-id": "c",
          "id-token": `e30.${btoa('{"exp":1}')}.sig`,
        },
      }],
    ];
    for (const [name, authProvider] of cases) {
      await t.step(name, async () => {
        assert.equal(
          await ourError(s, { authProvider }),
          await kubectlError(s, { "auth-provider": authProvider }),
        );
      });
    }
  },
});

Deno.test({
  name: `kubectl comparison: KUBERNETES_EXEC_INFO is byte-identical${NAME_SUFFIX}`,
  ignore: KUBECTL === undefined,
  async fn(t) {
    await using s = await scene();
    const extension = {
      zeta: [1, { b: true, a: null }],
      audience: "a<b>&c\u2028x",
      nested: { z: "1", y: 1.5 },
    };
    const clusterFields = {
      "tls-server-name": "kubernetes.default",
      "proxy-url": "socks5://127.0.0.1:1080",
      "disable-compression": true,
      extensions: [
        { name: "client.authentication.k8s.io/exec", extension },
        { name: "unrelated", extension: { ignored: true } },
      ],
    };
    const clusterInfo: ExecClusterInfo = {
      server: SERVER,
      "tls-server-name": "kubernetes.default",
      "certificate-authority-data": s.caData,
      "proxy-url": "socks5://127.0.0.1:1080",
      "disable-compression": true,
      config: extension,
    };
    const cases: [string, NonNullable<AuthInfo["exec"]>, boolean][] = [
      ["v1 without cluster info", {
        command: PLUGIN,
        apiVersion: V1,
        interactiveMode: "IfAvailable",
        env: pluginEnv(s, {}),
      }, false],
      ["v1beta1 with cluster info", {
        command: PLUGIN,
        apiVersion: V1BETA1,
        provideClusterInfo: true,
        env: pluginEnv(s, { PLUGIN_API_VERSION: V1BETA1 }),
      }, true],
    ];
    for (const [name, exec, withCluster] of cases) {
      await t.step(name, async () => {
        await kubectlError(s, { exec }, clusterFields);
        const received = await Deno.readTextFile(s.record);
        const first = received.slice(0, received.indexOf("\n") + 1);
        assert.equal(
          first,
          execInfo(exec.apiVersion!, false, withCluster ? clusterInfo : undefined),
        );
      });
    }
  },
});
