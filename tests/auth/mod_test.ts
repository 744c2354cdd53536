/**
 * Tests of `createCredentialProvider`: client-go's precedence between credential kinds, the
 * refused combinations, removed and unknown auth-providers, and a sweep asserting that no error
 * message, stack or provider description contains a configured secret.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  AuthConfigError,
  AuthProviderRemovedError,
  createCredentialProvider,
  type CredentialProvider,
  type ProviderOptions,
  UnknownAuthProviderError,
} from "../../lib/auth/mod.ts";
import type { AuthConfig } from "../../lib/kubeconfig/types.ts";

const PLUGIN = new URL("./plugins/test_plugin.sh", import.meta.url).pathname;
const V1 = "client.authentication.k8s.io/v1";
const OPTIONS: ProviderOptions = { stdinIsTerminal: false, stdinInUse: false };

async function pluginEnv() {
  const dir = await Deno.makeTempDir({ prefix: "kubexec-auth-mod-" });
  const record = `${dir}/record`;
  await Deno.writeTextFile(record, "");
  return {
    dir,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      PLUGIN_RECORD: record,
      PLUGIN_API_VERSION: V1,
      PLUGIN_TOKEN: "plugin",
    },
    runs: async () => (await Deno.readTextFile(record)).split("\n").length - 1,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const exec = { command: PLUGIN, apiVersion: V1, interactiveMode: "Never" as const };

Deno.test("create: no credentials gives an anonymous provider", async () => {
  const provider = await createCredentialProvider({}, OPTIONS);
  assert.equal(provider.description, "anonymous");
  assert.deepEqual(await provider.get(), { headers: [] });
});

Deno.test("create: token, tokenFile and basic pick their providers", async () => {
  assert.deepEqual(
    (await (await createCredentialProvider({ token: "t" }, OPTIONS)).get()).headers,
    [[
      "Authorization",
      "Bearer t",
    ]],
  );
  const basic = await createCredentialProvider({ username: "u", password: "p" }, OPTIONS);
  assert.deepEqual((await basic.get()).headers, [["Authorization", "Basic dTpw"]]);
  const fromFile = await createCredentialProvider({ token: "inline", tokenFile: "/virtual" }, {
    ...OPTIONS,
    readTextFile: () => Promise.resolve("file\n"),
  });
  assert.deepEqual((await fromFile.get()).headers, [["Authorization", "Bearer file"]]);
  const fallback = await createCredentialProvider({
    token: "inline",
    tokenFile: "/nonexistent/token",
  }, {
    ...OPTIONS,
  });
  assert.deepEqual((await fallback.get()).headers, [["Authorization", "Bearer inline"]]);
});

Deno.test("create: tokenFile honours the injected period and clock", async () => {
  let now = 0;
  let content = "one";
  const provider = await createCredentialProvider({ tokenFile: "/virtual" }, {
    ...OPTIONS,
    now: () => now,
    tokenFilePeriodMs: 20_000,
    readTextFile: () => Promise.resolve(content),
  });
  assert.deepEqual((await provider.get()).headers, [["Authorization", "Bearer one"]]);
  content = "two";
  now = 9_999;
  assert.deepEqual((await provider.get()).headers, [["Authorization", "Bearer one"]]);
  now = 10_000;
  assert.deepEqual((await provider.get()).headers, [["Authorization", "Bearer two"]]);
});

Deno.test("create: refused combinations, with client-go's texts", async () => {
  const cases: [AuthConfig, string][] = [
    [
      { exec, authProvider: { name: "oidc", config: {} } },
      "execProvider and authProvider cannot be used in combination",
    ],
    [{ token: "t", username: "u" }, "username/password or bearer token may be set, but not both"],
    [
      { tokenFile: "/f", username: "u", password: "p" },
      "username/password or bearer token may be set, but not both",
    ],
  ];
  for (const [auth, message] of cases) {
    await assert.rejects(() => createCredentialProvider(auth, OPTIONS), (error: unknown) => {
      assert.ok(error instanceof AuthConfigError);
      assert.equal(error.message, message);
      return true;
    });
  }
});

Deno.test("create: a password without username is not basic auth", async () => {
  const provider = await createCredentialProvider({ password: "p" }, OPTIONS);
  assert.deepEqual((await provider.get()).headers, []);
});

Deno.test("create: an exec plugin runs with the options passed through", async () => {
  await using plugin = await pluginEnv();
  const stderr: string[] = [];
  const provider = await createCredentialProvider(
    { exec: { ...exec, env: [{ name: "PLUGIN_STDERR", value: "hello" }] } },
    {
      ...OPTIONS,
      env: plugin.env,
      pluginStderr: new WritableStream({
        write: (chunk) => void stderr.push(new TextDecoder().decode(chunk)),
      }),
    },
  );
  assert.equal(provider.description, `exec plugin ${PLUGIN}`);
  assert.deepEqual((await provider.get()).headers, [["Authorization", "Bearer plugin-1"]]);
  assert.equal(stderr.join(""), "hello\n");
});

Deno.test("create: stdinInUse and its message reach the interactive decision", async () => {
  await using plugin = await pluginEnv();
  const provider = await createCredentialProvider(
    { exec: { ...exec, interactiveMode: "Always" } },
    {
      stdinIsTerminal: true,
      stdinInUse: true,
      stdinUnavailableMessage: "used by the pod",
      env: plugin.env,
    },
  );
  await assert.rejects(
    provider.get(),
    /^ExecInteractiveModeError: getting credentials: exec plugin cannot support interactive mode: standard input is unavailable: used by the pod$/,
  );
});

Deno.test("create: token, basic auth or a client certificate beat an exec plugin", async () => {
  await using plugin = await pluginEnv();
  const withEnv = { ...OPTIONS, env: plugin.env };
  const byToken = await createCredentialProvider({ token: "t", exec }, withEnv);
  assert.deepEqual((await byToken.get()).headers, [["Authorization", "Bearer t"]]);
  const byBasic = await createCredentialProvider({ username: "u", password: "p", exec }, withEnv);
  assert.deepEqual((await byBasic.get()).headers, [["Authorization", "Basic dTpw"]]);
  const byCert = await createCredentialProvider({ exec }, {
    ...withEnv,
    clientCertConfigured: true,
  });
  assert.equal(byCert.description, "client certificate");
  assert.deepEqual(await byCert.get(), { headers: [] });
  assert.equal(await plugin.runs(), 0);
});

Deno.test("create: a broken exec config is reported even when a token wins", async () => {
  await assert.rejects(
    () =>
      createCredentialProvider({
        token: "t",
        exec: { ...exec, apiVersion: "client.authentication.k8s.io/v1alpha1" },
      }, OPTIONS),
    (error: unknown) =>
      error instanceof AuthConfigError &&
      error.message === 'exec plugin: invalid apiVersion "client.authentication.k8s.io/v1alpha1"',
  );
});

Deno.test("create: gcp and azure were removed; the message names the replacement", async () => {
  const expected: Record<string, [string, RegExp]> = {
    gcp: [
      "gke-gcloud-auth-plugin",
      /^The gcp auth plugin has been removed\.\nPlease use the "gke-gcloud-auth-plugin" kubectl\/client-go credential plugin instead\./,
    ],
    azure: [
      "kubelogin",
      /^The azure auth plugin has been removed\.\nPlease use the https:\/\/github\.com\/Azure\/kubelogin kubectl\/client-go credential plugin instead\./,
    ],
  };
  for (const [name, [replacement, message]] of Object.entries(expected)) {
    for (const auth of [{ authProvider: { name } }, { token: "t", authProvider: { name } }]) {
      await assert.rejects(() => createCredentialProvider(auth, OPTIONS), (error: unknown) => {
        assert.ok(error instanceof AuthProviderRemovedError);
        assert.equal(error.provider, name);
        assert.equal(error.replacement, replacement);
        assert.match(error.message, message);
        assert.match(
          error.hint ?? "",
          new RegExp(
            `^auth-provider ${name} was removed in Kubernetes 1\\.26; install ${replacement} `,
          ),
        );
        return true;
      });
    }
  }
});

Deno.test("create: unknown auth-provider names are refused", async () => {
  for (const name of ["openstack", "constructor", "__proto__"]) {
    await assert.rejects(
      () => createCredentialProvider({ authProvider: { name, config: {} } }, OPTIONS),
      (error: unknown) =>
        error instanceof UnknownAuthProviderError &&
        error.message === `no Auth Provider found for name ${JSON.stringify(name)}`,
    );
  }
});

Deno.test("create: oidc gets persist, and a token beats it", async () => {
  const config = {
    "idp-issuer-url": "https://127.0.0.1:1/",
    "client-id": "c",
    "id-token": "not-a-jwt",
  };
  const oidc = await createCredentialProvider({ authProvider: { name: "oidc", config } }, OPTIONS);
  assert.ok(oidc.description.startsWith("oidc auth-provider"));
  await assert.rejects(oidc.get(), /ID Token is not a valid JWT/);
  const token = await createCredentialProvider(
    { token: "t", authProvider: { name: "oidc", config } },
    OPTIONS,
  );
  assert.deepEqual((await token.get()).headers, [["Authorization", "Bearer t"]]);
});

Deno.test("secrets never appear in errors, stacks or descriptions", async (t) => {
  const secrets = {
    token: "S3CRET-token-value",
    password: "S3CRET-password",
    plugin: "S3CRET-plugin-token",
    idToken: "S3CRET-id-token",
    refresh: "S3CRET-refresh",
    clientSecret: "S3CRET-client",
  };
  const expiredIdToken = `e30.${btoa('{"exp":1}')}.${secrets.idToken}`;
  await using plugin = await pluginEnv();
  const check = (what: unknown) => {
    const text = what instanceof Error
      ? `${String(what)}\n${what.stack ?? ""}\n${JSON.stringify({ ...what })}`
      : String(what);
    for (const secret of Object.values(secrets)) {
      assert.ok(!text.includes(secret), `leaked ${secret} in: ${text}`);
    }
  };
  const attempt = async (auth: AuthConfig, options: Partial<ProviderOptions> = {}) => {
    let provider: CredentialProvider;
    try {
      provider = await createCredentialProvider(auth, {
        ...OPTIONS,
        env: plugin.env,
        logger: (_level, message) => check(message()),
        ...options,
      });
    } catch (error) {
      check(error);
      return;
    }
    check(provider.description);
    await assert.rejects(provider.get(), (error: unknown) => {
      check(error);
      return true;
    });
  };
  await t.step(
    "token with basic auth",
    () => attempt({ token: secrets.token, username: "u", password: secrets.password }),
  );
  await t.step("plugin output malformed", () =>
    attempt({
      exec: {
        ...exec,
        env: [{ name: "PLUGIN_OUTPUT", value: `{"status":{"token":"${secrets.plugin}"}` }],
      },
    }));
  await t.step("plugin wrong version", () =>
    attempt({
      exec: {
        ...exec,
        env: [{
          name: "PLUGIN_OUTPUT",
          value: JSON.stringify({
            apiVersion: "x/v9",
            kind: "ExecCredential",
            status: { token: secrets.plugin },
          }),
        }],
      },
    }));
  await t.step("plugin fails", () =>
    attempt({
      exec: {
        ...exec,
        env: [{ name: "PLUGIN_EXIT", value: "1" }, { name: "PLUGIN_TOKEN", value: secrets.plugin }],
      },
    }));
  await t.step("oidc without refresh", () =>
    attempt({
      authProvider: {
        name: "oidc",
        config: {
          "idp-issuer-url": "https://127.0.0.1:1",
          "client-id": "c",
          "client-secret": secrets.clientSecret,
          "id-token": expiredIdToken,
        },
      },
    }));
  await t.step("oidc issuer unreachable", () =>
    attempt({
      authProvider: {
        name: "oidc",
        config: {
          "idp-issuer-url": "https://127.0.0.1:1",
          "client-id": "c",
          "client-secret": secrets.clientSecret,
          "refresh-token": secrets.refresh,
          "id-token": expiredIdToken,
        },
      },
    }));
  await t.step(
    "oidc removed provider",
    () => attempt({ authProvider: { name: "gcp", config: { "access-token": secrets.token } } }),
  );
});
