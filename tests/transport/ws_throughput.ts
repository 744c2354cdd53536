/**
 * A throughput sanity check run by hand (not a test, nothing asserted): a TLS test server sends
 * 256 MiB as 32 KiB binary WebSocket messages and each client variant receives them, then each
 * variant sends the same amount (masked client frames, each `send` awaited), printing MB/s.
 *
 * ```sh
 * deno run -A tests/transport/ws_throughput.ts [MiB]
 * ```
 *
 * Variants: the raw client over `Deno.connectTls` (the default), the raw client over `node:tls`
 * (`strictCaTrust`), and the native `WebSocket`. Each variant runs in its own process.
 *
 * @module
 */
import { createApiClient } from "../../lib/transport/api_client.ts";
import { testPki } from "../support/pki.ts";
import { noCredentials } from "../support/transport_credentials.ts";
import { acceptWebSocket, ServerWebSocket, startTestServer } from "../support/transport_server.ts";

const MESSAGE_BYTES = 32 * 1024;

function print(line: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
}

async function client(
  url: string,
  ca: string,
  transport: "raw" | "native",
  strictCaTrust: boolean,
  total: number,
) {
  const api = createApiClient(
    {
      server: url,
      tls: { caPem: await Deno.readTextFile(ca) },
      auth: {},
      namespace: "default",
      namespaceExplicit: false,
    },
    noCredentials(),
    { transport, env: () => undefined, strictCaTrust },
  );
  const ws = await api.upgrade(`/stream?bytes=${total}`, ["v5.channel.k8s.io"]);
  let started = performance.now();
  let received = 0;
  for (let message = await ws.receive(); message; message = await ws.receive()) {
    received += message.data.length;
  }
  const receiveSeconds = (performance.now() - started) / 1000;
  const upload = await api.upgrade(`/upload?bytes=${total}`, ["v5.channel.k8s.io"]);
  const chunk = crypto.getRandomValues(new Uint8Array(MESSAGE_BYTES));
  started = performance.now();
  for (let sent = 0; sent < total; sent += MESSAGE_BYTES) await upload.send(chunk);
  await upload.receive();
  const sendSeconds = (performance.now() - started) / 1000;
  print(JSON.stringify({
    received,
    receiveMbPerSecond: received / 1e6 / receiveSeconds,
    sendMbPerSecond: total / 1e6 / sendSeconds,
  }));
}

async function main() {
  const mib = Number(Deno.args[0] ?? "256");
  const total = mib * 1024 * 1024;
  const pki = await testPki();
  const frame = ServerWebSocket.frame(2, crypto.getRandomValues(new Uint8Array(MESSAGE_BYTES)));
  const server = await startTestServer({
    tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem },
    handler: async (request, conn) => {
      const ws = await acceptWebSocket(request, conn);
      if (request.target.startsWith("/upload")) {
        await conn.countIncoming((total / MESSAGE_BYTES) * (MESSAGE_BYTES + 8));
        await ws.sendClose(1000);
        conn.end();
        return;
      }
      for (let sent = 0; sent < total; sent += MESSAGE_BYTES) await conn.write(frame);
      await ws.sendClose(1000);
      await ws.readFrame();
      conn.end();
    },
  });
  const url = `https://localhost:${server.port}`;
  const variants: [string, string[]][] = [
    ["raw over Deno.connectTls (default)", ["raw", "default"]],
    ["raw over node:tls (strictCaTrust)", ["raw", "strict"]],
    ["native WebSocket", ["native", "default"]],
  ];
  for (let run = 0; run < 3; run++) {
    for (const [name, args] of variants) {
      const output = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          import.meta.filename!,
          "--client",
          url,
          pki.ca.certFile,
          ...args,
          String(total),
        ],
        stdout: "piped",
        stderr: "inherit",
      }).output();
      const result = JSON.parse(new TextDecoder().decode(output.stdout));
      print(
        `${name}: receive ${result.receiveMbPerSecond.toFixed(0)} MB/s, send ${
          result.sendMbPerSecond.toFixed(0)
        } MB/s`,
      );
    }
  }
  await server.close();
}

if (Deno.args[0] === "--client") {
  const [, url, ca, transport, trust, total] = Deno.args;
  await client(url, ca, transport as "raw" | "native", trust === "strict", Number(total));
} else {
  await main();
}
