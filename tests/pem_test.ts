import assert from "node:assert/strict";
import { certificateBlocks, pemHoldsCertificate } from "../lib/pem.ts";
import { testPki } from "./support/pki.ts";

Deno.test("pem: certificate blocks are kept, broken ones and other blocks passed over", async () => {
  const ca = (await testPki()).ca;
  const notBase64 = "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n";
  const notDer = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
  const bundle = `garbage\n${notBase64}${ca.keyPem}${ca.certPem}${notDer}`;
  assert.deepEqual(certificateBlocks(bundle), [ca.certPem]);
  assert.deepEqual(certificateBlocks(ca.certPem.replaceAll("\n", "\r\n")).length, 1);
  assert.equal(pemHoldsCertificate(notBase64 + notDer), false);
  assert.equal(pemHoldsCertificate(""), false);
});
