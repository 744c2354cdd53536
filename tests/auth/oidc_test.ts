/**
 * Tests of the `oidc` auth-provider against a local TLS issuer on loopback: using a valid
 * id-token, refreshing an expired one through discovery and the token endpoint, writing the new
 * tokens back, client authentication fallback, and every failure path — none leaking a secret.
 *
 * @module
 */
import assert from "node:assert/strict";
import { OidcError } from "../../lib/auth/errors.ts";
import { oidcProvider } from "../../lib/auth/oidc.ts";
import { testPki } from "../support/pki.ts";

const NOW = Date.parse("2030-06-01T00:00:00Z");
const CLIENT_SECRET = "client-s3cret";
const OLD_REFRESH = "refresh-0ld";

function base64Url(text: string): string {
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** An unsigned JWT whose `exp` is `expiresAt` (ms). */
function idToken(name: string, expiresAt: number): string {
  return `${base64Url('{"alg":"RS256"}')}.${
    base64Url(JSON.stringify({ sub: name, exp: expiresAt / 1000 }))
  }.signature-${name}`;
}

interface Recorded {
  method: string;
  path: string;
  authorization: string | null;
  form: Record<string, string>;
}

type TokenAnswer = (request: Recorded) => { status: number; body: string; type?: string };

/** A TLS issuer on 127.0.0.1 with discovery at the issuer path and a token endpoint. */
async function issuer(answer: TokenAnswer, discovery?: { status: number; body: string }) {
  const pki = await testPki();
  const requests: Recorded[] = [];
  let origin = "";
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: pki.server.certPem,
    key: pki.server.keyPem,
    onListen: () => {},
  }, async (request) => {
    const url = new URL(request.url);
    const text = await request.text();
    const recorded: Recorded = {
      method: request.method,
      path: url.pathname,
      authorization: request.headers.get("authorization"),
      form: Object.fromEntries(new URLSearchParams(text)),
    };
    requests.push(recorded);
    if (url.pathname === "/realm/.well-known/openid-configuration") {
      const found = discovery ?? {
        status: 200,
        body: JSON.stringify({ issuer: `${origin}/realm`, token_endpoint: `${origin}/token` }),
      };
      return new Response(found.body, { status: found.status });
    }
    if (url.pathname === "/token" && request.method === "POST") {
      const reply = answer(recorded);
      return new Response(reply.body, {
        status: reply.status,
        headers: { "content-type": reply.type ?? "application/json" },
      });
    }
    return new Response("not here", { status: 404 });
  });
  origin = `https://127.0.0.1:${server.addr.port}`;
  return {
    issuerUrl: `${origin}/realm/`,
    origin,
    caData: btoa(pki.ca.certPem),
    caFile: pki.ca.certFile,
    requests,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

const freshTokens: TokenAnswer = () => ({
  status: 200,
  body: JSON.stringify({
    access_token: "access",
    token_type: "Bearer",
    id_token: idToken("new", NOW + 3_600_000),
    refresh_token: "refresh-n3w",
  }),
});

function baseConfig(
  server: { issuerUrl: string; caData: string },
  idTokenValue: string,
): Record<string, string> {
  return {
    "idp-issuer-url": server.issuerUrl,
    "client-id": "kubectl",
    "client-secret": CLIENT_SECRET,
    "idp-certificate-authority-data": server.caData,
    "id-token": idTokenValue,
    "refresh-token": OLD_REFRESH,
  };
}

function assertNoSecret(error: unknown, ...secrets: string[]) {
  const text = `${String(error)} ${(error as Error).stack ?? ""}`;
  for (const secret of [CLIENT_SECRET, OLD_REFRESH, "refresh-n3w", ...secrets]) {
    assert.ok(!text.includes(secret), `error text must not contain ${secret}`);
  }
}

Deno.test("oidc: a valid id-token is used as is, without contacting the issuer", async () => {
  await using server = await issuer(freshTokens);
  const token = idToken("valid", NOW + 11_000);
  const provider = oidcProvider(baseConfig(server, token), { now: () => NOW });
  assert.equal(provider.description, `oidc auth-provider ${server.issuerUrl}`);
  assert.deepEqual((await provider.get()).headers, [["Authorization", `Bearer ${token}`]]);
  assert.equal(server.requests.length, 0);
});

Deno.test("oidc: expired id-token is refreshed via discovery and written back", async () => {
  await using server = await issuer(freshTokens);
  const persisted: Record<string, string>[] = [];
  const config = baseConfig(server, idToken("old", NOW + 10_000));
  const provider = oidcProvider(config, {
    now: () => NOW,
    persist: (newConfig) => {
      persisted.push(newConfig);
      return Promise.resolve();
    },
  });
  const expected = idToken("new", NOW + 3_600_000);
  assert.deepEqual((await provider.get()).headers, [["Authorization", `Bearer ${expected}`]]);
  assert.deepEqual(persisted, [{
    ...config,
    "id-token": expected,
    "refresh-token": "refresh-n3w",
  }]);
  assert.deepEqual(server.requests.map((r) => `${r.method} ${r.path}`), [
    "GET /realm/.well-known/openid-configuration",
    "POST /token",
  ]);
  const tokenRequest = server.requests[1];
  assert.deepEqual(tokenRequest.form, { grant_type: "refresh_token", refresh_token: OLD_REFRESH });
  assert.equal(tokenRequest.authorization, `Basic ${btoa(`kubectl:${CLIENT_SECRET}`)}`);

  assert.deepEqual((await provider.get()).headers, [["Authorization", `Bearer ${expected}`]]);
  assert.equal(server.requests.length, 2, "the new token is used without another refresh");
});

Deno.test("oidc: an unchanged refresh-token is kept; idp-certificate-authority file works", async () => {
  await using server = await issuer(() => ({
    status: 200,
    body: JSON.stringify({ access_token: "a", id_token: idToken("n", NOW + 60_000) }),
  }));
  const persisted: Record<string, string>[] = [];
  const config = baseConfig(server, "");
  delete config["idp-certificate-authority-data"];
  config["idp-certificate-authority"] = server.caFile;
  const provider = oidcProvider(config, {
    now: () => NOW,
    persist: (c) => {
      persisted.push(c);
      return Promise.resolve();
    },
  });
  await provider.get();
  assert.equal(persisted[0]["refresh-token"], OLD_REFRESH);
  assert.equal(persisted[0]["id-token"], idToken("n", NOW + 60_000));
});

Deno.test("oidc: client credentials move to the form when basic auth is refused", async () => {
  await using server = await issuer((request) =>
    request.authorization === null && request.form.client_id === "kubectl" &&
      request.form.client_secret === CLIENT_SECRET
      ? {
        status: 200,
        body: `access_token=a&id_token=${idToken("form", NOW + 60_000)}`,
        type: "application/x-www-form-urlencoded",
      }
      : { status: 401, body: JSON.stringify({ error: "invalid_client" }) }
  );
  const provider = oidcProvider(baseConfig(server, ""), { now: () => NOW });
  assert.deepEqual((await provider.get()).headers, [
    ["Authorization", `Bearer ${idToken("form", NOW + 60_000)}`],
  ]);
  assert.equal(server.requests.filter((r) => r.path === "/token").length, 2);
});

Deno.test("oidc: concurrent get() calls share one refresh", async () => {
  await using server = await issuer(freshTokens);
  const provider = oidcProvider(baseConfig(server, ""), { now: () => NOW });
  await Promise.all([provider.get(), provider.get(), provider.get()]);
  assert.equal(server.requests.filter((r) => r.path === "/token").length, 1);
});

Deno.test("oidc: a 401 forces one refresh of a still-valid id-token", async () => {
  await using server = await issuer(freshTokens);
  const valid = idToken("valid", NOW + 600_000);
  const provider = oidcProvider(baseConfig(server, valid), { now: () => NOW });
  assert.deepEqual((await provider.get()).headers, [["Authorization", `Bearer ${valid}`]]);
  assert.equal(await provider.invalidate(), true);
  assert.equal(await provider.invalidate(), false, "once per id-token");
  const fresh = idToken("new", NOW + 3_600_000);
  assert.deepEqual((await provider.get()).headers, [["Authorization", `Bearer ${fresh}`]]);
  assert.equal(await provider.invalidate(), true, "the new id-token is a new generation");
});

Deno.test("oidc: without a refresh-token a 401 changes nothing", async () => {
  const config = {
    "idp-issuer-url": "https://127.0.0.1:1/",
    "client-id": "kubectl",
    "id-token": idToken("valid", NOW + 600_000),
  };
  assert.equal(await oidcProvider(config, { now: () => NOW }).invalidate(), false);
});

Deno.test("oidc: configuration errors are thrown at creation, with client-go's texts", () => {
  assert.throws(
    () => oidcProvider({ "client-id": "x" }),
    /^OidcError: Must provide idp-issuer-url$/,
  );
  assert.throws(
    () => oidcProvider({ "idp-issuer-url": "https://i" }),
    (error: unknown) => error instanceof OidcError && error.message === "Must provide client-id",
  );
});

Deno.test("oidc: failures are named errors without secrets", async (t) => {
  const expired = idToken("old", NOW - 1);
  const cases: {
    name: string;
    answer?: TokenAnswer;
    discovery?: { status: number; body: string };
    config?: (c: Record<string, string>) => void;
    persist?: () => Promise<void>;
    message: string | RegExp;
  }[] = [
    {
      name: "no refresh token",
      config: (c) => delete c["refresh-token"],
      message: "No valid id-token, and cannot refresh without refresh-token",
    },
    {
      name: "not a JWT",
      config: (c) => c["id-token"] = "opaque-token",
      message: "ID Token is not a valid JWT",
    },
    {
      name: "discovery 404",
      discovery: { status: 404, body: "x".repeat(100) },
      message: `oidc: failed to query metadata endpoint 404 Not Found: "${"x".repeat(80)}..."`,
    },
    {
      name: "discovery not JSON",
      discovery: { status: 200, body: "<html>" },
      message: "oidc: failed to decode provider discovery object: invalid JSON",
    },
    {
      name: "discovery without token_endpoint",
      discovery: { status: 200, body: "{}" },
      message: "oidc: discovery object doesn't contain a token_endpoint",
    },
    {
      name: "invalid grant",
      answer: () => ({
        status: 400,
        body: JSON.stringify({ error: "invalid_grant", error_description: `bad ${OLD_REFRESH}` }),
      }),
      message: 'failed to refresh token: oauth2: "invalid_grant" "bad <masked>"',
    },
    {
      name: "error without JSON body",
      answer: () => ({ status: 500, body: `oops ${OLD_REFRESH}`, type: "text/html" }),
      message: "failed to refresh token: oauth2: cannot fetch token: 500 Internal Server Error",
    },
    {
      name: "no access_token",
      answer: () => ({ status: 200, body: JSON.stringify({ id_token: "x.y.z" }) }),
      message: "failed to refresh token: oauth2: server response missing access_token",
    },
    {
      name: "unparseable token response",
      answer: () => ({ status: 200, body: `refresh ${OLD_REFRESH}` }),
      message: "failed to refresh token: oauth2: cannot parse json",
    },
    {
      name: "no id_token",
      answer: () => ({ status: 200, body: JSON.stringify({ access_token: "a" }) }),
      message: /^token response did not contain an id_token, either the scope "openid"/,
    },
    {
      name: "persist fails",
      answer: freshTokens,
      persist: () => Promise.reject(new Error("kubeconfig is read-only")),
      message: "could not persist new tokens: kubeconfig is read-only",
    },
    {
      name: "issuer not trusted",
      config: (c) => delete c["idp-certificate-authority-data"],
      message:
        /^Get "https:\/\/127\.0\.0\.1:\d+\/realm\/\.well-known\/openid-configuration": .*(certificate|issuer|Issuer)/,
    },
    {
      name: "bad CA data",
      config: (c) => c["idp-certificate-authority-data"] = "%%%",
      message: "illegal base64 data in idp-certificate-authority-data",
    },
    {
      name: "missing CA file",
      config: (c) => {
        delete c["idp-certificate-authority-data"];
        c["idp-certificate-authority"] = "/nonexistent/ca.crt";
      },
      message: /^oidc: reading idp-certificate-authority "\/nonexistent\/ca\.crt": /,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await using server = await issuer(c.answer ?? freshTokens, c.discovery);
      const config = baseConfig(server, expired);
      c.config?.(config);
      const provider = oidcProvider(config, {
        now: () => NOW,
        ...(c.persist ? { persist: c.persist } : {}),
      });
      await assert.rejects(provider.get(), (error: unknown) => {
        assert.ok(error instanceof OidcError, String(error));
        if (typeof c.message === "string") assert.equal(error.message, c.message);
        else assert.match(error.message, c.message);
        assertNoSecret(error, config["id-token"]);
        return true;
      });
    });
  }
});

Deno.test("oidc: a failed write-back leaves the old config in place for the next attempt", async () => {
  await using server = await issuer(freshTokens);
  let fail = true;
  const persisted: Record<string, string>[] = [];
  const provider = oidcProvider(baseConfig(server, ""), {
    now: () => NOW,
    persist: (c) => {
      if (fail) return Promise.reject(new Error("disk full"));
      persisted.push(c);
      return Promise.resolve();
    },
  });
  await assert.rejects(provider.get(), /could not persist new tokens: disk full/);
  fail = false;
  await provider.get();
  assert.equal(persisted.length, 1);
  const tokenRequests = server.requests.filter((r) => r.path === "/token");
  assert.equal(tokenRequests.length, 2);
  assert.equal(tokenRequests[1].form.refresh_token, OLD_REFRESH, "old refresh token reused");
});
