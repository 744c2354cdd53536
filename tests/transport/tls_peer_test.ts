/**
 * The server certificate that `connectTls` reports from the `node:tls` engine carries its DER,
 * so `kubexec doctor` can read names and validity of a certificate it did not verify.
 *
 * @module
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { connectTls } from "../../lib/transport/tls.ts";
import { testPki } from "../support/pki.ts";
import { startTestServer } from "../support/transport_server.ts";

Deno.test("connectTls: the node:tls engine reports the server certificate's DER", async () => {
  const pki = await testPki();
  const server = await startTestServer({
    tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem },
    handler: (_request, conn) => conn.respond(200, "OK", ""),
  });
  try {
    const { conn, engine, peer } = await connectTls({
      host: "127.0.0.1",
      port: server.port,
      tls: { insecure: true },
    });
    conn.close();
    assert.equal(engine, "node:tls");
    assert.ok(peer?.der, "DER present");
    const expected = new X509Certificate(pki.server.certPem).raw;
    assert.deepEqual(peer.der, new Uint8Array(expected));
  } finally {
    await server.close();
  }
});
