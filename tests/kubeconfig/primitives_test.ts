import assert from "node:assert/strict";
import { Base64Error, decodeBase64, encodeBase64 } from "../../lib/kubeconfig/base64.ts";
import { dirname, isAbsolute, joinPath } from "../../lib/kubeconfig/paths.ts";
import { locatePath } from "../../lib/kubeconfig/locate.ts";
import { cleanAnsiEscapeCodes } from "../../lib/kubeconfig/resolve.ts";
import { redactUrlPassword } from "../../lib/log.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("base64 decodes like Go's StdEncoding: line breaks skipped, padding required", () => {
  assert.equal(text(decodeBase64("aGVsbG8=")), "hello");
  assert.equal(text(decodeBase64("aGVs\r\nbG8K")), "hello\n");
  assert.equal(text(decodeBase64("")), "");
  assert.equal(encodeBase64(decodeBase64("aGVsbG9=")), "aGVsbG8=");
  const offsets: [string, number][] = [["!!notb64", 0], ["aGVsbG8", 4], ["aG=sbG8=", 2], [
    "a b",
    1,
  ]];
  for (const [input, offset] of offsets) {
    assert.throws(
      () => decodeBase64(input),
      (error: unknown) => error instanceof Base64Error && error.offset === offset,
      input,
    );
  }
});

Deno.test("paths: absolute, dirname and join as Go's filepath does", () => {
  assert.equal(isAbsolute("/a", false), true);
  assert.equal(isAbsolute("a/b", false), false);
  assert.equal(isAbsolute("C:\\a", true), true);
  assert.equal(isAbsolute("\\\\server\\share", true), true);
  assert.equal(isAbsolute("a\\b", true), false);
  assert.equal(dirname("/home/me/.kube/config", false), "/home/me/.kube");
  assert.equal(dirname("config", false), ".");
  assert.equal(dirname("/config", false), "/");
  assert.equal(dirname("C:\\config", true), "C:\\");
  assert.equal(joinPath("/a/b", "./c/../d", false), "/a/b/d");
  assert.equal(joinPath("/a", "../../x", false), "/x");
  assert.equal(joinPath("a", "../../x", false), "../x");
  assert.equal(joinPath("C:\\k", "..\\certs/ca.crt", true), "C:\\certs\\ca.crt");
});

Deno.test("locatePath finds keys in block, flow and JSON text, skipping comments", () => {
  const document = {
    users: [{ name: "a", user: { token: "x" } }, { name: "b", user: { token: 5 } }],
  };
  const block = "# token: in a comment\nusers:\n- user:\n    token: x\n  name: a\n" +
    "- name: b\n  user:\n    token: 5\n";
  assert.deepEqual(locatePath(block, document, ["users", 1, "user", "token"]), {
    line: 8,
    column: 5,
  });
  const json = JSON.stringify(document);
  assert.deepEqual(locatePath(json, document, ["users", 1, "user", "token"]), {
    line: 1,
    column: json.lastIndexOf('"token"') + 1,
  });
  assert.equal(locatePath("a: 1\n", { a: 1 }, ["missing"]), undefined);
});

Deno.test("installHint control characters become U+XXXX; proxy passwords are masked", () => {
  assert.equal(cleanAnsiEscapeCodes("a\u001b[1mb\u0007\tc\né"), "aU+001B[1mbU+0007\tc\né");
  assert.equal(redactUrlPassword("socks5://me:secret@p:1080"), "socks5://me:xxxxx@p:1080");
  assert.equal(redactUrlPassword("http://p:3128"), "http://p:3128");
  // Parsers split user info at the last `@`: the whole password goes, whatever it holds.
  assert.equal(redactUrlPassword("https://me:p@ss@h:6443/x?y"), "https://me:xxxxx@h:6443/x?y");
  assert.equal(redactUrlPassword("https://me@h"), "https://me@h");
  assert.equal(redactUrlPassword("https://h/p?q=a:b@c"), "https://h/p?q=a:b@c");
});
