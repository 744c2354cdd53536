/**
 * Tests of the `KUBERNETES_EXEC_INFO` encoding.
 *
 * @module
 */
import assert from "node:assert/strict";
import { execInfo } from "../../lib/auth/exec_info.ts";

Deno.test("exec info: minimal request, trailing newline", () => {
  assert.equal(
    execInfo("client.authentication.k8s.io/v1beta1", true),
    '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1",' +
      '"spec":{"interactive":true}}\n',
  );
});

Deno.test("exec info: empty optional cluster fields are left out, server never", () => {
  assert.equal(
    execInfo("client.authentication.k8s.io/v1", false, { server: "" }),
    '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1",' +
      '"spec":{"cluster":{"server":""},"interactive":false}}\n',
  );
});

Deno.test("exec info: insecure flag, HTML-escaped strings and sorted config keys", () => {
  assert.equal(
    execInfo("client.authentication.k8s.io/v1", false, {
      server: "https://h?a=1&b=<2>",
      "insecure-skip-tls-verify": true,
      config: { b: "\u2028", a: [{ d: 1, c: 2 }] },
    }),
    '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{' +
      '"server":"https://h?a=1\\u0026b=\\u003c2\\u003e","insecure-skip-tls-verify":true,' +
      '"config":{"a":[{"c":2,"d":1}],"b":"\\u2028"}},"interactive":false}}\n',
  );
});
