/**
 * kubectl keeps us honest on the wire: when `kubectl` is on PATH, it sends one request to a local
 * TLS server for each credential configuration, and the authentication and impersonation headers
 * it sent must equal what kubexec's providers and `impersonationHeaders` produce. For the oidc
 * auth-provider the refresh conversation with the issuer (discovery, token request form and client
 * authentication) and the tokens written back to the kubeconfig are compared too.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createCredentialProvider, impersonationHeaders } from "../../lib/auth/mod.ts";
import type { AuthConfig, AuthInfo } from "../../lib/kubeconfig/types.ts";
import { kubectlPath } from "../support/oracle.ts";
import { testPki } from "../support/pki.ts";

const PLUGIN = new URL("./plugins/test_plugin.sh", import.meta.url).pathname;
const V1 = "client.authentication.k8s.io/v1";

const KUBECTL = kubectlPath;
const NAME_SUFFIX = KUBECTL ? "" : " (skipped: kubectl is not on PATH)";

interface Seen {
  method: string;
  path: string;
  headers: [string, string][];
  body: string;
}

const COMPARED = /^(authorization|impersonate-.*)$/;

/**
 * The compared header lines: names lower-cased, repeated lines joined with `, ` in order (as
 * `Request.headers` presents what the server received), sorted by name (Go writes headers sorted).
 */
function comparable(headers: [string, string][]): string[] {
  const joined = new Map<string, string[]>();
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    if (!COMPARED.test(key)) continue;
    joined.set(key, [...(joined.get(key) ?? []), value]);
  }
  return [...joined].map(([name, values]) => `${name}: ${values.join(", ")}`).sort();
}

function base64Url(text: string): string {
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function jwt(name: string, exp: number): string {
  return `${base64Url('{"alg":"RS256"}')}.${base64Url(JSON.stringify({ sub: name, exp }))}.sig`;
}

/** One TLS server playing API server (`/api`) and oidc issuer (`/realm/…`, `/token`). */
async function server() {
  const pki = await testPki();
  const dir = await Deno.makeTempDir({ prefix: "kubexec-kubectl-req-" });
  const seen: Seen[] = [];
  let origin = "";
  const refreshedIdToken = jwt("refreshed", 4_000_000_000);
  const http = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: pki.server.certPem,
    key: pki.server.keyPem,
    onListen: () => {},
  }, async (request) => {
    const url = new URL(request.url);
    seen.push({
      method: request.method,
      path: url.pathname,
      headers: [...request.headers],
      body: await request.text(),
    });
    if (url.pathname === "/realm/.well-known/openid-configuration") {
      return Response.json({ issuer: `${origin}/realm`, token_endpoint: `${origin}/token` });
    }
    if (url.pathname === "/token") {
      return Response.json({
        access_token: "access",
        token_type: "Bearer",
        id_token: refreshedIdToken,
        refresh_token: "rotated-refresh",
      });
    }
    return Response.json({ kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] });
  });
  origin = `https://127.0.0.1:${http.addr.port}`;
  return {
    origin,
    dir,
    seen,
    refreshedIdToken,
    caData: btoa(pki.ca.certPem),
    /** Runs kubectl with `user` (and `as…` flags) and returns what reached the server. */
    async kubectl(user: AuthInfo, flags: string[] = []): Promise<Seen[]> {
      const path = `${dir}/kubeconfig.json`;
      await Deno.writeTextFile(
        path,
        JSON.stringify({
          apiVersion: "v1",
          kind: "Config",
          "current-context": "c",
          clusters: [{
            name: "cl",
            cluster: { server: origin, "certificate-authority-data": btoa(pki.ca.certPem) },
          }],
          users: [{ name: "u", user }],
          contexts: [{ name: "c", context: { cluster: "cl", user: "u" } }],
        }),
      );
      seen.length = 0;
      const output = await new Deno.Command(KUBECTL!, {
        args: ["--kubeconfig", path, "get", "--raw", "/api", "--request-timeout=10s", ...flags],
        env: { PATH: Deno.env.get("PATH") ?? "", HOME: dir },
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
      return [...seen];
    },
    /** The user as kubectl wrote it back (YAML), read through `kubectl config view -o json`. */
    async kubeconfigUser(): Promise<AuthInfo> {
      const output = await new Deno.Command(KUBECTL!, {
        args: ["config", "view", "--raw", "-o", "json", "--kubeconfig", `${dir}/kubeconfig.json`],
        env: { PATH: Deno.env.get("PATH") ?? "", HOME: dir },
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
      return JSON.parse(new TextDecoder().decode(output.stdout)).users[0].user;
    },
    async [Symbol.asyncDispose]() {
      await http.shutdown();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The request for `/api` (kubectl may first ask for `/version`). */
function apiRequest(seen: Seen[]): Seen {
  const request = seen.find((r) => r.path === "/api");
  assert.ok(request, `no /api request among ${JSON.stringify(seen.map((r) => r.path))}`);
  return request;
}

async function ourHeaders(auth: AuthConfig, env: Record<string, string> = {}) {
  const provider = await createCredentialProvider(auth, {
    stdinIsTerminal: false,
    stdinInUse: false,
    env: { PATH: Deno.env.get("PATH") ?? "", ...env },
  });
  return (await provider.get()).headers;
}

Deno.test({
  name: `kubectl comparison: authentication and impersonation headers${NAME_SUFFIX}`,
  ignore: KUBECTL === undefined,
  async fn(t) {
    await using s = await server();
    const tokenFile = `${s.dir}/token`;
    await Deno.writeTextFile(tokenFile, "  from-file-token\n");
    const record = `${s.dir}/record`;
    const pluginEnv = { PLUGIN_RECORD: record, PLUGIN_API_VERSION: V1, PLUGIN_TOKEN: "plugin" };
    const cases: [string, AuthInfo, AuthConfig][] = [
      ["token", { token: "static-token" }, { token: "static-token" }],
      ["tokenFile beats token", { token: "inline", tokenFile }, { token: "inline", tokenFile }],
      ["basic auth", { username: "jürgen", password: "p:ss wörd" }, {
        username: "jürgen",
        password: "p:ss wörd",
      }],
      ["exec plugin", {
        exec: {
          command: PLUGIN,
          apiVersion: V1,
          interactiveMode: "Never",
          env: Object.entries(pluginEnv).map(([name, value]) => ({ name, value })),
        },
      }, {
        exec: {
          command: PLUGIN,
          apiVersion: V1,
          interactiveMode: "Never",
          env: Object.entries(pluginEnv).map(([name, value]) => ({ name, value })),
        },
      }],
    ];
    for (const [name, user, auth] of cases) {
      await t.step(name, async () => {
        await Deno.writeTextFile(record, "");
        const request = apiRequest(await s.kubectl(user));
        await Deno.writeTextFile(record, "");
        assert.deepEqual(comparable(request.headers), comparable(await ourHeaders(auth)));
      });
    }

    await t.step("impersonation from kubeconfig and flags", async () => {
      const seen = await s.kubectl({
        token: "t",
        as: "jane",
        "as-uid": "1234",
        "as-groups": ["devs", "ops team"],
        "as-user-extra": { "acme.io/scopes": ["read", "write"], "per%cent key": ["x"] },
      });
      const ours = [
        ...await ourHeaders({ token: "t" }),
        ...impersonationHeaders({
          user: "jane",
          uid: "1234",
          groups: ["devs", "ops team"],
          extra: { "acme.io/scopes": ["read", "write"], "per%cent key": ["x"] },
        }),
      ];
      assert.deepEqual(comparable(apiRequest(seen).headers), comparable(ours));
      const byFlags = await s.kubectl({ token: "t" }, [
        "--as",
        "bob",
        "--as-group",
        "g1",
        "--as-group",
        "g2",
        "--as-uid",
        "42",
      ]);
      assert.deepEqual(
        comparable(apiRequest(byFlags).headers),
        comparable([
          ...await ourHeaders({ token: "t" }),
          ...impersonationHeaders({ user: "bob", uid: "42", groups: ["g1", "g2"] }),
        ]),
      );
    });
  },
});

Deno.test({
  name: `kubectl comparison: oidc refresh conversation and write-back${NAME_SUFFIX}`,
  ignore: KUBECTL === undefined,
  async fn() {
    await using s = await server();
    const config = {
      "idp-issuer-url": `${s.origin}/realm`,
      "client-id": "kube client",
      "client-secret": "s3cret/+=",
      "idp-certificate-authority-data": s.caData,
      "id-token": jwt("expired", 1),
      "refresh-token": "original-refresh",
    };
    const kubectlSeen = await s.kubectl({ "auth-provider": { name: "oidc", config } });
    const kubectlWritten = (await s.kubeconfigUser())["auth-provider"]?.config;

    s.seen.length = 0;
    const persisted: Record<string, string>[] = [];
    const headers = await ourHeaders({
      authProvider: {
        name: "oidc",
        config,
        persist: (c) => {
          persisted.push(c);
          return Promise.resolve();
        },
      },
    });
    const ourSeen = [...s.seen];

    const issuerPart = (seen: Seen[]) =>
      seen.filter((r) => r.path.startsWith("/realm/") || r.path === "/token").map((r) => ({
        request: `${r.method} ${r.path}`,
        authorization: r.headers.find(([n]) => n === "authorization")?.[1] ?? null,
        contentType: r.headers.find(([n]) => n === "content-type")?.[1] ?? null,
        form: Object.fromEntries(new URLSearchParams(r.body)),
      }));
    assert.deepEqual(issuerPart(ourSeen), issuerPart(kubectlSeen));
    assert.deepEqual(persisted, [kubectlWritten]);
    assert.deepEqual(comparable(headers), comparable(apiRequest(kubectlSeen).headers));
    assert.deepEqual(comparable(headers), [`authorization: Bearer ${s.refreshedIdToken}`]);
  },
});
