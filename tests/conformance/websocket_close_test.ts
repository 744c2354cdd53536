/**
 * The closing handshake when a receive is still pending: a session ended by a signal abandons its
 * read and closes. The server then sends what it had left (the status) and its close frame; the
 * client must read on to that close frame instead of waiting out the handshake timeout (found by
 * `signals_test.ts`: kubexec lingered 5 s after SIGTERM on the raw client). The close the client
 * reports is the server's (its reason shows it), not the timeout's 1006.
 */
import assert from "node:assert/strict";
import { createApiClient } from "../../lib/transport/api_client.ts";
import { testPki } from "../support/pki.ts";
import { noCredentials } from "../support/transport_credentials.ts";
import { acceptWebSocket, startTestServer } from "../support/transport_server.ts";

const CLOSE_OPCODE = 8;

for (const kind of ["raw", "native"] as const) {
  Deno.test(`websocket close (${kind}): an abandoned receive does not hide the server's close`, async () => {
    const pki = await testPki();
    const server = await startTestServer({
      tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem },
      async handler(request, conn) {
        const ws = await acceptWebSocket(request, conn);
        let frame;
        do frame = await ws.readFrame(); while (frame && frame.opcode !== CLOSE_OPCODE);
        // What a server has left after the client's close: a last message, then its close.
        await ws.sendMessage(Uint8Array.of(3, 0x7b, 0x7d));
        await ws.sendClose(1000, "server-bye");
      },
    });
    const client = createApiClient(
      {
        server: server.url.href,
        tls: { caPem: pki.ca.certPem },
        auth: {},
        namespace: "default",
        namespaceExplicit: false,
      },
      noCredentials(),
      { transport: kind, env: () => undefined },
    );
    try {
      const ws = await client.upgrade("/exec", ["v5.channel.k8s.io"]);
      const abandoned = ws.receive();
      await ws.close(1000);
      assert.deepEqual(ws.closeInfo, { code: 1000, reason: "server-bye" });
      assert.deepEqual(await abandoned, { binary: true, data: Uint8Array.of(3, 0x7b, 0x7d) });
    } finally {
      await server.close();
    }
  });
}
