/**
 * Tests of the static providers: bearer token, basic auth, anonymous.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  anonymousProvider,
  basicAuthorization,
  basicAuthProvider,
  staticTokenProvider,
} from "../../lib/auth/static.ts";

Deno.test("static token: bearer header, nothing to refresh", async () => {
  const provider = staticTokenProvider("abc.def");
  assert.deepEqual(await provider.get(), { headers: [["Authorization", "Bearer abc.def"]] });
  assert.equal(await provider.invalidate(), false);
  assert.ok(!provider.description.includes("abc"));
});

Deno.test("static token: callers get copies", async () => {
  const provider = staticTokenProvider("t");
  (await provider.get()).headers[0][1] = "changed";
  assert.deepEqual((await provider.get()).headers, [["Authorization", "Bearer t"]]);
});

Deno.test("basic auth: Go SetBasicAuth encoding, UTF-8 and padding included", async () => {
  assert.equal(basicAuthorization("admin", "secret"), "Basic YWRtaW46c2VjcmV0");
  assert.equal(basicAuthorization("a", ""), "Basic YTo=");
  assert.equal(basicAuthorization("jürgen", "pä:ss"), "Basic asO8cmdlbjpww6Q6c3M=");
  const provider = basicAuthProvider("admin", "secret");
  assert.deepEqual((await provider.get()).headers, [["Authorization", "Basic YWRtaW46c2VjcmV0"]]);
  assert.equal(await provider.invalidate(), false);
  assert.ok(!provider.description.includes("secret"));
});

Deno.test("anonymous: no headers, no certificate", async () => {
  const provider = anonymousProvider("anonymous");
  assert.deepEqual(await provider.get(), { headers: [] });
  assert.equal(await provider.invalidate(), false);
  assert.equal(provider.description, "anonymous");
});
