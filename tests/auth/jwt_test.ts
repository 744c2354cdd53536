/**
 * Tests of reading an id-token's expiry.
 *
 * @module
 */
import assert from "node:assert/strict";
import { InvalidJwtError, jwtExpiry } from "../../lib/auth/jwt.ts";

function base64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

const jwt = (payload: string) => `${base64Url('{"alg":"none"}')}.${base64Url(payload)}.sig`;

Deno.test("jwt: exp in seconds, integer or fraction or numeric string", () => {
  assert.equal(jwtExpiry(jwt('{"exp":1700000000}')), 1_700_000_000_000);
  assert.equal(jwtExpiry(jwt('{"exp":1700000000.9}')), 1_700_000_000_000);
  assert.equal(jwtExpiry(jwt('{"exp":"1700000000"}')), 1_700_000_000_000);
  assert.equal(jwtExpiry(jwt('{"sub":"ü/?>"}')), 0, "no exp counts as expired");
});

Deno.test("jwt: malformed tokens are named errors", () => {
  const cases: [string, string][] = [
    ["not-a-jwt", "ID Token is not a valid JWT"],
    ["a.b.c.d", "ID Token is not a valid JWT"],
    ["a.b=.c", "illegal base64 data in the ID Token payload"],
    [`a.${base64Url("not json")}.c`, "parsing claims: the ID Token payload is not JSON"],
    [`a.${base64Url("3")}.c`, "parsing claims: the ID Token payload is not a JSON object"],
    [jwt('{"exp":"soon"}'), "parsing claims: the exp claim is not a number"],
  ];
  for (const [token, problem] of cases) {
    assert.throws(() => jwtExpiry(token), (error: unknown) => {
      assert.ok(error instanceof InvalidJwtError);
      assert.equal(error.message, problem);
      return true;
    });
  }
});
