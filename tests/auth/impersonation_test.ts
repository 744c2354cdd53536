/**
 * Tests of the impersonation headers and client-go's extra-key escaping.
 *
 * @module
 */
import assert from "node:assert/strict";
import { escapeExtraKey, impersonationHeaders } from "../../lib/auth/impersonation.ts";

Deno.test("impersonation: nothing configured gives no headers", () => {
  assert.deepEqual(impersonationHeaders({}), []);
  assert.deepEqual(impersonationHeaders({ user: "", groups: [], extra: {} }), []);
});

Deno.test("impersonation: user, uid, one line per group and per extra value, in order", () => {
  assert.deepEqual(
    impersonationHeaders({
      user: "jane",
      uid: "1234",
      groups: ["devs", "ops"],
      extra: { "acme.io/scopes": ["read", "write"], reason: ["on call"] },
    }),
    [
      ["Impersonate-User", "jane"],
      ["Impersonate-Uid", "1234"],
      ["Impersonate-Group", "devs"],
      ["Impersonate-Group", "ops"],
      ["Impersonate-Extra-acme.io%2Fscopes", "read"],
      ["Impersonate-Extra-acme.io%2Fscopes", "write"],
      ["Impersonate-Extra-reason", "on call"],
    ],
  );
});

Deno.test("impersonation: groups without a user still send Impersonate-User, as client-go", () => {
  assert.deepEqual(impersonationHeaders({ groups: ["g"] }), [
    ["Impersonate-User", ""],
    ["Impersonate-Group", "g"],
  ]);
});

Deno.test("impersonation: extra keys escape non-token bytes and % as upper-case %XX", () => {
  assert.equal(escapeExtraKey("acme.io/scopes"), "acme.io%2Fscopes");
  assert.equal(escapeExtraKey("a b%c"), "a%20b%25c");
  assert.equal(escapeExtraKey('x:y=z"@'), "x%3Ay%3Dz%22%40");
  assert.equal(escapeExtraKey("ümlaut"), "%C3%BCmlaut");
  assert.equal(escapeExtraKey("ok!#$&'*+-.^_`|~09AZaz"), "ok!#$&'*+-.^_`|~09AZaz");
});
