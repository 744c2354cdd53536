/**
 * Tests of `installHint` neutralisation (client-go's `cleanANSIEscapeCodes`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { neutraliseInstallHint } from "../../lib/auth/install_hint.ts";

Deno.test("install hint: printable text and whitespace controls are kept", () => {
  const hint = "Install with:\n\tbrew install my-login  # ünïcode ✓\r\n";
  assert.equal(neutraliseInstallHint(hint), hint);
});

Deno.test("install hint: escape sequences and other controls become U+XXXX", () => {
  assert.equal(neutraliseInstallHint("\u001b]0;pwned\u0007x"), "U+001B]0;pwnedU+0007x");
  assert.equal(neutraliseInstallHint("a\u0000b\u007fc\u200bd"), "aU+0000bU+007FcU+200Bd");
  assert.equal(neutraliseInstallHint("\u{e0001}"), "U+E0001");
});
