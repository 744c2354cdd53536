/**
 * Secrets are never printed (issue 3, "Proof"): every command runs at `-v=9` with known secret
 * values — bearer token, basic password, client key, exec plugin token and plugin env, oidc
 * id-token / refresh-token / client-secret (also a refreshed pair), proxy password, `--token` and
 * `--password` flags — and none of them (nor the encodings that carry them: base64 of the key,
 * `Basic` and `Proxy-Authorization` header values) appears in stdout or stderr. Error paths too:
 * 401 with a wrong token or password, a failing exec plugin, a plugin answering the wrong
 * apiVersion with a token inside, a refused oidc refresh, a proxy rejecting its password, and
 * unreadable kubeconfigs whose broken line holds the token.
 *
 * Not covered on purpose: `config view --raw`, which prints secrets by design. `config view`
 * without `--raw` redacts what kubectl redacts (token, password, client certificate and key data)
 * and, like kubectl, prints auth-provider config, exec env and `proxy-url` as they are; those
 * secrets are asserted absent from every other command.
 */
import assert from "node:assert/strict";
import { runCli } from "../../lib/cli/app.ts";
import { rootCommand } from "../../lib/cli/root.ts";
import { type FakeApiServer, startFakeApiServer } from "../support/fake_apiserver.ts";
import { toYaml } from "../support/kubeconfig_fixture.ts";
import { captureIo } from "../support/cli_io.ts";
import { testPki } from "../support/pki.ts";
import { startConnectProxy, type TestProxy } from "../support/transport_proxies.ts";
import { runKubexec } from "../support/oracle.ts";

const TOKEN = "tok-SECRET-4c1d9e7a";
const WRONG_TOKEN = "tok-WRONG-SECRET-77aa01";
const FLAG_TOKEN = "flag-tok-SECRET-19fe2c";
const PASSWORD = "pw-SECRET-91b2c3";
const WRONG_PASSWORD = "pw-WRONG-SECRET-0c0c";
const PLUGIN_TOKEN = "plugin-tok-SECRET-5e6f70";
const PLUGIN_ENV_SECRET = "plugin-env-SECRET-0a0b0c";
const REFRESH_TOKEN = "refresh-SECRET-8c8d8e";
const NEW_REFRESH_TOKEN = "refresh-NEW-SECRET-1a2b";
const CLIENT_SECRET = "client-SECRET-3f3f3f";
const PROXY_PASSWORD = "proxy-SECRET-2d2d2d";
const WRONG_PROXY_PASSWORD = "proxy-WRONG-SECRET-6e6e";
// With an `@` in it, which URL parsers take as part of the password (they split at the last one).
const SERVER_URL_PASSWORD_TAIL = "tail-SECRET-7b7b7b";
const SERVER_URL_PASSWORD = `server-url-SECRET@${SERVER_URL_PASSWORD_TAIL}`;

function base64url(text: string): string {
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** An unsigned-looking JWT whose signature part is the recognisable secret. */
function jwt(expiresInSeconds: number, signature: string): string {
  const exp = Math.floor(Date.now() / 1000) + expiresInSeconds;
  return `${base64url(JSON.stringify({ alg: "RS256", typ: "JWT" }))}.${
    base64url(JSON.stringify({ iss: "https://issuer.test", sub: "oidc-user", exp }))
  }.${base64url(signature)}`;
}

const ID_TOKEN = jwt(3600, "id-token-SECRET-sig-a1");
const EXPIRED_ID_TOKEN = jwt(-3600, "id-token-EXPIRED-SECRET-sig-b2");
const NEW_ID_TOKEN = jwt(3600, "id-token-NEW-SECRET-sig-c3");

/** A secret and whether `config view` (without --raw) hides it, as kubectl's does. */
interface Secret {
  value: string;
  label: string;
  hiddenByConfigView: boolean;
}

const secrets: Secret[] = [];

function secret(label: string, value: string, hiddenByConfigView = true): void {
  secrets.push({ label, value, hiddenByConfigView });
}

secret("token", TOKEN);
secret("wrong token", WRONG_TOKEN);
secret("--token flag", FLAG_TOKEN);
secret("basic password", PASSWORD);
secret("wrong basic password", WRONG_PASSWORD);
secret("Basic header", btoa(`alice:${PASSWORD}`));
secret("wrong Basic header", btoa(`alice:${WRONG_PASSWORD}`));
secret("plugin token", PLUGIN_TOKEN);
secret("plugin env value", PLUGIN_ENV_SECRET, false);
secret("oidc id-token", ID_TOKEN, false);
secret("oidc id-token signature", ID_TOKEN.split(".")[2], false);
secret("expired oidc id-token", EXPIRED_ID_TOKEN, false);
secret("expired oidc id-token signature", EXPIRED_ID_TOKEN.split(".")[2], false);
secret("refreshed oidc id-token", NEW_ID_TOKEN, false);
secret("refreshed oidc id-token signature", NEW_ID_TOKEN.split(".")[2], false);
secret("oidc refresh-token", REFRESH_TOKEN, false);
secret("new oidc refresh-token", NEW_REFRESH_TOKEN, false);
secret("oidc client-secret", CLIENT_SECRET, false);
secret("proxy password", PROXY_PASSWORD, false);
secret("Proxy-Authorization", btoa(`proxyuser:${PROXY_PASSWORD}`), false);
secret("wrong proxy password", WRONG_PROXY_PASSWORD, false);
secret("wrong Proxy-Authorization", btoa(`proxyuser:${WRONG_PROXY_PASSWORD}`), false);
// `config view` prints the server as it is written, as kubectl's does.
secret("password in the server URL", SERVER_URL_PASSWORD, false);
secret("the part of that password after its @", SERVER_URL_PASSWORD_TAIL, false);

/** One kubeconfig user plus optional cluster fields. */
interface Setup {
  name: string;
  user: Record<string, unknown>;
  cluster?: Record<string, unknown>;
  /** Extra global flags. */
  flags?: string[];
  /** The exec run fails (expected exit code 1) instead of printing `ok`. */
  fails?: boolean;
  /** Getting credentials fails, so no request is ever logged. */
  noRequest?: boolean;
}

interface World {
  server: FakeApiServer;
  proxy: TestProxy;
  dir: string;
  issuerUrl: string;
  caData: string;
  keyPemBase64: string;
}

function writeConfig(world: World, setup: Setup): Promise<string> {
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: "fake",
      cluster: {
        server: world.server.url,
        "certificate-authority-data": world.caData,
        ...setup.cluster,
      },
    }],
    users: [{ name: "secret-user", user: setup.user }],
    contexts: [{ name: "fake", context: { cluster: "fake", user: "secret-user" } }],
    "current-context": "fake",
  };
  const path = `${world.dir}/${setup.name.replace(/\W+/g, "-")}.yaml`;
  return Deno.writeTextFile(path, toYaml(config), { mode: 0o600 }).then(() => path);
}

async function writePlugin(dir: string, name: string, body: string): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
}

function oidcUser(world: World, idToken: string, issuerUrl = world.issuerUrl) {
  return {
    "auth-provider": {
      name: "oidc",
      config: {
        "idp-issuer-url": issuerUrl,
        "client-id": "kubectl",
        "client-secret": CLIENT_SECRET,
        "idp-certificate-authority-data": world.caData,
        "id-token": idToken,
        "refresh-token": REFRESH_TOKEN,
      },
    },
  };
}

/** A TLS oidc issuer on loopback: refreshes with `REFRESH_TOKEN` under `/ok/`, refuses under `/no/`. */
async function startIssuer() {
  const pki = await testPki();
  let origin = "";
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: pki.server.certPem,
    key: pki.server.keyPem,
    onListen: () => {},
  }, async (request) => {
    const url = new URL(request.url);
    const form = new URLSearchParams(await request.text());
    const realm = url.pathname.split("/")[1];
    if (url.pathname.endsWith("/.well-known/openid-configuration")) {
      return Response.json({
        issuer: `${origin}/${realm}`,
        token_endpoint: `${origin}/${realm}/token`,
      });
    }
    if (url.pathname === "/ok/token" && form.get("refresh_token") === REFRESH_TOKEN) {
      return Response.json({
        access_token: "unused",
        token_type: "Bearer",
        id_token: NEW_ID_TOKEN,
        refresh_token: NEW_REFRESH_TOKEN,
      });
    }
    return Response.json({ error: "invalid_grant", error_description: "refresh token revoked" }, {
      status: 400,
    });
  });
  origin = `https://127.0.0.1:${server.addr.port}`;
  return { origin, shutdown: () => server.shutdown() };
}

const GOOD_COMMANDS = [
  ["exec", "web-0", "--", "echo", "ok"],
  ["attach", "-q", "talker"],
  ["version"],
  ["config", "view"],
  ["config", "view", "--minify", "-o", "json"],
  ["config", "get-contexts"],
  ["config", "current-context"],
];

function assertNoSecrets(text: string, context: string, skipConfigViewShown: boolean): void {
  for (const { value, label, hiddenByConfigView } of secrets) {
    if (skipConfigViewShown && !hiddenByConfigView) continue;
    assert.ok(!text.includes(value), `${context}: the ${label} appeared in the output:\n${text}`);
  }
}

async function runInProcess(args: string[]): Promise<{ code: number; text: string }> {
  const captured = captureIo({ env: { HOME: "/nonexistent-home" } });
  const code = await runCli(rootCommand, args, captured.io);
  // io.log is stderr in the real process.
  return { code, text: captured.stdout() + captured.stderr() + captured.logs.join("") };
}

Deno.test("secrets: no command prints a credential at -v=9, on success or error", async (t) => {
  const pki = await testPki();
  const client = await pki.issueClient({
    user: "admin",
    groups: ["system:masters"],
    name: "secrets-test-admin",
  });
  const keyBody = client.keyPem.split("\n").filter((line) => line && !line.startsWith("-----"));
  secret("client key (PEM line)", keyBody[1]);
  secret("client key (PEM line, last)", keyBody[keyBody.length - 2]);
  const keyPemBase64 = btoa(client.keyPem);
  secret("client-key-data", keyPemBase64.slice(20, 80));

  const server = await startFakeApiServer({
    tokens: {
      [TOKEN]: { name: "admin", groups: ["system:masters"] },
      [PLUGIN_TOKEN]: { name: "plugin-user", groups: ["system:masters"] },
      [ID_TOKEN]: { name: "oidc-user", groups: ["system:masters"] },
      [NEW_ID_TOKEN]: { name: "oidc-user", groups: ["system:masters"] },
    },
    basicUsers: { alice: { password: PASSWORD, groups: ["system:masters"] } },
    pods: [
      { name: "web-0", containers: [{ name: "app" }] },
      { name: "talker", containers: [{ name: "app", command: ["echo", "attached"] }] },
    ],
  });
  const proxy = await startConnectProxy({
    credentials: { username: "proxyuser", password: PROXY_PASSWORD },
  });
  const issuer = await startIssuer();
  try {
    const world: World = {
      server,
      proxy,
      dir: server.tempDir,
      issuerUrl: `${issuer.origin}/ok/`,
      caData: btoa(server.caPem),
      keyPemBase64,
    };
    const plugin = await writePlugin(
      world.dir,
      "plugin-ok",
      `printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${PLUGIN_TOKEN}"}}'`,
    );
    const failingPlugin = await writePlugin(
      world.dir,
      "plugin-fails",
      `echo "vault is unreachable" >&2; exit 3`,
    );
    const wrongVersionPlugin = await writePlugin(
      world.dir,
      "plugin-wrong-version",
      `printf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"${PLUGIN_TOKEN}"}}'`,
    );
    const execUser = (command: string) => ({
      exec: {
        apiVersion: "client.authentication.k8s.io/v1",
        command,
        interactiveMode: "Never",
        env: [{ name: "PLUGIN_ENV_SECRET", value: PLUGIN_ENV_SECRET }],
      },
    });
    const proxyUrl = (password: string) => `http://proxyuser:${password}@${proxy.url.host}`;

    const working: Setup[] = [
      { name: "token", user: { token: TOKEN } },
      { name: "basic", user: { username: "alice", password: PASSWORD } },
      {
        name: "client certificate",
        user: {
          "client-certificate-data": btoa(client.certPem),
          "client-key-data": keyPemBase64,
        },
      },
      { name: "exec plugin", user: execUser(plugin) },
      { name: "oidc valid id-token", user: oidcUser(world, ID_TOKEN) },
      { name: "oidc refresh", user: oidcUser(world, EXPIRED_ID_TOKEN) },
      {
        name: "proxy with password",
        user: { token: TOKEN },
        cluster: { "proxy-url": proxyUrl(PROXY_PASSWORD) },
      },
    ];
    const failing: Setup[] = [
      { name: "401 wrong token", user: { token: WRONG_TOKEN }, fails: true },
      { name: "401 --token flag", user: {}, flags: [`--token=${FLAG_TOKEN}`], fails: true },
      {
        name: "401 wrong password",
        user: { username: "alice", password: WRONG_PASSWORD },
        fails: true,
      },
      {
        name: "401 --password flag",
        user: { username: "alice", password: PASSWORD },
        flags: [`--password=${WRONG_PASSWORD}`],
        fails: true,
      },
      { name: "exec plugin fails", user: execUser(failingPlugin), fails: true, noRequest: true },
      {
        name: "exec plugin wrong apiVersion",
        user: execUser(wrongVersionPlugin),
        fails: true,
        noRequest: true,
      },
      {
        name: "oidc refresh refused",
        user: oidcUser(world, EXPIRED_ID_TOKEN, `${issuer.origin}/no/`),
        fails: true,
        noRequest: true,
      },
      {
        name: "proxy refuses the password",
        user: { token: TOKEN },
        cluster: { "proxy-url": proxyUrl(WRONG_PROXY_PASSWORD) },
        fails: true,
      },
    ];

    for (const setup of [...working, ...failing]) {
      const kubeconfig = await writeConfig(world, setup);
      const base = ["--kubeconfig", kubeconfig, "-v=9", ...(setup.flags ?? [])];
      const commands = setup.fails ? [GOOD_COMMANDS[0]] : GOOD_COMMANDS;
      for (const command of commands) {
        await t.step(`${setup.name}: ${command.slice(0, 3).join(" ")}`, async () => {
          const { code, text } = await runInProcess([...base, ...command]);
          if (Deno.env.get("KUBEXEC_SHOW_SECRET_RUNS")) {
            // deno-lint-ignore no-console
            console.log(`--- ${setup.name}: ${command.join(" ")} → ${code}\n${text}`);
          }
          const isConfigView = command[0] === "config";
          assertNoSecrets(text, `${setup.name} / ${command.join(" ")}`, isConfigView);
          if (command[0] === "exec") {
            // The check means something only if -v=9 really logged (the requests, where sent).
            assert.match(text, setup.noRequest ? /kubexec\] Config loaded/ : /Request Headers:/);
            if (setup.fails) assert.equal(code, 1, text);
            else assert.deepEqual([code, text.match(/^ok$/m)?.[0]], [0, "ok"], text);
          } else {
            assert.equal(code, 0, text);
          }
        });
      }
    }

    await t.step(
      "positive control: config view --raw shows the token, and the check sees it",
      async () => {
        const kubeconfig = await writeConfig(world, working[0]);
        const { code, text } = await runInProcess([
          "--kubeconfig",
          kubeconfig,
          "config",
          "view",
          "--raw",
        ]);
        assert.equal(code, 0);
        assert.throws(() => assertNoSecrets(text, "config view --raw", true), /the token appeared/);
      },
    );

    await t.step("the proxy was used, and the refused one saw the wrong password", () => {
      assert.ok(proxy.targets.includes(new URL(server.url).host));
      assert.ok(proxy.authorizations.includes(`Basic ${btoa(`proxyuser:${PROXY_PASSWORD}`)}`));
      assert.ok(
        proxy.authorizations.includes(`Basic ${btoa(`proxyuser:${WRONG_PROXY_PASSWORD}`)}`),
      );
    });

    await t.step("the refresh really happened (the new id-token was used)", () => {
      const used = server.requests.some((request) =>
        (request.headers.authorization ?? []).includes(`Bearer ${NEW_ID_TOKEN}`)
      );
      assert.ok(used);
    });

    await t.step("unreadable kubeconfigs whose broken line holds the token", async () => {
      const broken = {
        "unterminated quote": `users:\n- name: u\n  user:\n    token: "${TOKEN}\n`,
        "token of the wrong type": `users:\n- name: u\n  user:\n    token: [${TOKEN}]\n`,
        "tab indentation": `users:\n- name: u\n  user:\n\ttoken: ${TOKEN}\n`,
        "password in a broken mapping": `users:\n- name: u\n  user: {password: ${PASSWORD}\n`,
      };
      for (const [name, text] of Object.entries(broken)) {
        const path = `${world.dir}/broken-${name.replace(/\W+/g, "-")}.yaml`;
        await Deno.writeTextFile(path, text);
        for (const command of [["exec", "web-0", "--", "true"], ["config", "view"]]) {
          const result = await runInProcess(["--kubeconfig", path, "-v=9", ...command]);
          assert.equal(result.code, 1, `${name}: ${result.text}`);
          assertNoSecrets(result.text, `broken kubeconfig (${name}) / ${command[0]}`, false);
        }
      }
    });

    await t.step("a password in the server URL: exec at -v=9 and doctor", async () => {
      const withPassword = world.server.url.replace("://", `://admin:${SERVER_URL_PASSWORD}@`);
      const kubeconfig = await writeConfig(world, {
        name: "server url password",
        user: { token: TOKEN },
        cluster: { server: withPassword },
      });
      const exec = await runInProcess([
        "--kubeconfig",
        kubeconfig,
        "-v=9",
        "exec",
        "web-0",
        "--",
        "echo",
        "ok",
      ]);
      assert.match(exec.text, /Config loaded: context=fake server=https:\/\/admin:xxxxx@/);
      assertNoSecrets(exec.text, "server URL password / exec", false);
      const doctor = await runInProcess(["--kubeconfig", kubeconfig, "-v=9", "doctor"]);
      assert.match(doctor.text, /server https:\/\/admin:xxxxx@/);
      assertNoSecrets(doctor.text, "server URL password / doctor", false);
      // The audit log on disk.
      const audit = `${world.dir}/server-url-audit.jsonl`;
      const audited = await runInProcess([
        "--kubeconfig",
        kubeconfig,
        "exec",
        "--audit-log",
        audit,
        "web-0",
        "--",
        "true",
      ]);
      assert.equal(audited.code, 0, audited.text);
      const record = await Deno.readTextFile(audit);
      assert.match(record, /"server":"https:\/\/admin:xxxxx@/);
      assertNoSecrets(record, "server URL password / audit log", false);
      // A server URL that does not parse is quoted in the error, masked.
      const broken = await writeConfig(world, {
        name: "server url password bad port",
        user: { token: TOKEN },
        cluster: { server: `https://admin:${SERVER_URL_PASSWORD}@127.0.0.1:99999` },
      });
      for (const command of [["exec", "web-0", "--", "true"], ["doctor"]]) {
        const failed = await runInProcess(["--kubeconfig", broken, ...command]);
        assert.match(failed.text, /admin:xxxxx@127\.0\.0\.1:99999/, failed.text);
        assertNoSecrets(failed.text, `server URL password / bad port / ${command[0]}`, false);
      }
    });

    await t.step("the real process's stderr at -v=9 (token, basic, plugin)", async () => {
      for (const setup of [working[0], working[1], working[3]]) {
        const kubeconfig = await writeConfig(world, setup);
        const result = await runKubexec(
          ["--kubeconfig", kubeconfig, "-v=9", "exec", "web-0", "--", "echo", "ok"],
        );
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stderr, /Authorization: (Bearer|Basic) <masked>/);
        assertNoSecrets(result.stdout + result.stderr, `subprocess ${setup.name}`, false);
      }
    });
  } finally {
    await issuer.shutdown();
    await proxy.close();
    await server.close();
  }
});
