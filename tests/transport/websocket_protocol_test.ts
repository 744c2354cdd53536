/**
 * RFC 6455 violations by the server, replayed over an in-memory connection: a bad 101 response and
 * every frame-level error the raw client checks. Each fails the connection with the right close
 * code (1002 protocol error, 1009 too big) and a close frame sent back when possible.
 *
 * @module
 */
import assert from "node:assert/strict";
import { UpgradeError, WebSocketProtocolError } from "../../lib/transport/errors.ts";
import type { ByteConn } from "../../lib/transport/types.ts";
import {
  expectedAccept,
  MAX_RECEIVE_FRAGMENTS,
  openWebSocket,
} from "../../lib/transport/websocket.ts";
import { ServerWebSocket } from "../support/transport_server.ts";

/** A connection whose server answers the upgrade with `head` (accept key filled in), then `after`. */
function upgradeConn(
  head: (accept: string) => string,
  after: Uint8Array = new Uint8Array(),
): ByteConn & { written: Uint8Array[]; closed: boolean } {
  let pending: Uint8Array | undefined;
  const conn = {
    written: [] as Uint8Array[],
    closed: false,
    async read(buffer: Uint8Array) {
      if (!pending) {
        const request = new TextDecoder().decode(conn.written[0]);
        const key = /Sec-WebSocket-Key: (\S+)/.exec(request)![1];
        const headBytes = new TextEncoder().encode(head(await expectedAccept(key)));
        pending = new Uint8Array(headBytes.length + after.length);
        pending.set(headBytes);
        pending.set(after, headBytes.length);
      }
      if (pending.length === 0) return null;
      const count = Math.min(buffer.length, pending.length);
      buffer.set(pending.subarray(0, count));
      pending = pending.subarray(count);
      return count;
    },
    writeAll(data: Uint8Array) {
      conn.written.push(data.slice());
      return Promise.resolve();
    },
    closeWrite: () => Promise.resolve(),
    close() {
      conn.closed = true;
    },
  };
  return conn;
}

const good = (accept: string) =>
  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
  `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n`;
const handshake = { target: "/x", host: "h", protocols: ["v5.channel.k8s.io"] };
const frame = ServerWebSocket.frame;

function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

Deno.test("a 101 without the right Upgrade/Connection headers or with an extension is refused", async () => {
  const cases: [string, (accept: string) => string, RegExp][] = [
    ["upgrade", (a) => good(a).replace("Upgrade: websocket", "Upgrade: h2c"), /'upgrade' header/],
    [
      "connection",
      (a) => good(a).replace("Connection: Upgrade", "Connection: keep-alive"),
      /'connection' header/,
    ],
    [
      "extension",
      (a) =>
        good(a).replace("\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"),
      /extension/,
    ],
  ];
  for (const [name, head, pattern] of cases) {
    const conn = upgradeConn(head);
    await assert.rejects(
      openWebSocket(conn, handshake),
      (error: Error) => error instanceof WebSocketProtocolError && pattern.test(error.message),
      name,
    );
    assert.ok(conn.closed, `${name}: the connection is closed`);
  }
});

Deno.test("frame-level violations fail the connection with 1002/1009 and a close frame", async () => {
  const masked = frame(2, Uint8Array.of(1));
  masked[1] |= 0x80;
  const withMask = join(masked.subarray(0, 2), Uint8Array.of(0, 0, 0, 0), masked.subarray(2));
  const reserved = frame(2, Uint8Array.of(1));
  reserved[0] |= 0x40;
  const cases: [string, Uint8Array, RegExp, number][] = [
    ["masked", withMask, /masked frame/, 1002],
    ["reserved bits", reserved, /reserved bits/, 1002],
    ["fragmented ping", frame(9, new Uint8Array(), false), /invalid control frame/, 1002],
    ["long ping", frame(9, new Uint8Array(126)), /invalid control frame/, 1002],
    ["unknown data opcode", frame(3, Uint8Array.of(1)), /unknown opcode 3/, 1002],
    ["unknown control opcode", frame(0xb, new Uint8Array()), /unknown control opcode 11/, 1002],
    ["orphan continuation", frame(0, Uint8Array.of(1)), /continuation frame without/, 1002],
    [
      "interleaved message",
      join(frame(2, Uint8Array.of(1), false), frame(2, Uint8Array.of(2))),
      /new message before the fragmented one ended/,
      1002,
    ],
    [
      "fragments over the cap",
      join(
        frame(2, new Uint8Array(8), false),
        frame(0, new Uint8Array(0), false, 64 * 1024 * 1024),
      ),
      /larger than/,
      1009,
    ],
    [
      // Empty continuations add no bytes: the frame count is what stops them.
      "a flood of empty continuation frames",
      join(
        frame(2, Uint8Array.of(1), false),
        ...Array.from({ length: MAX_RECEIVE_FRAGMENTS }, () => frame(0, new Uint8Array(), false)),
      ),
      /in more than 65536 fragments/,
      1009,
    ],
    ["a 1-byte close payload", frame(8, Uint8Array.of(3)), /1-byte payload/, 1002],
    [
      "close code 1005 on the wire",
      frame(8, Uint8Array.of(0x03, 0xed)),
      /invalid close code 1005/,
      1002,
    ],
    ["close code 999", frame(8, Uint8Array.of(0x03, 0xe7)), /invalid close code 999/, 1002],
    [
      "length beyond 2^53",
      Uint8Array.of(0x82, 127, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0),
      /2\^53/,
      1009,
    ],
  ];
  for (const [name, bytes, pattern, code] of cases) {
    const conn = upgradeConn(good, bytes);
    const ws = await openWebSocket(conn, handshake);
    await assert.rejects(
      ws.receive(),
      (error: Error) =>
        error instanceof WebSocketProtocolError && pattern.test(error.message) &&
        error.closeCode === code,
      name,
    );
    assert.equal(ws.closeInfo?.code, code, name);
    const closeFrame = conn.written.at(-1)!;
    assert.equal(closeFrame[0], 0x88, `${name}: a close frame was sent`);
    assert.equal(await ws.receive(), null, `${name}: receive after failure ends`);
    assert.ok(conn.closed);
  }
});

Deno.test("a stream cut mid-frame ends with 1006, and concurrent receive is refused", async () => {
  const cut = frame(2, new Uint8Array(100)).subarray(0, 50);
  const ws = await openWebSocket(upgradeConn(good, cut), handshake);
  assert.equal(await ws.receive(), null);
  assert.equal(ws.closeInfo?.code, 1006);

  const idle = await openWebSocket(
    upgradeConn(good, join(frame(2, Uint8Array.of(1)), frame(2, Uint8Array.of(2)).subarray(0, 1))),
    handshake,
  );
  // The first frame is buffered whole and returned at once; the second is incomplete, so the
  // next receive has to read, and a receive meanwhile is refused.
  assert.deepEqual((await idle.receive())?.data, Uint8Array.of(1));
  const reading = idle.receive();
  await assert.rejects(idle.receive(), /concurrently/);
  assert.equal(await reading, null);
  await idle.close();
});

Deno.test("close() without a code drops the connection; sending afterwards fails", async () => {
  const conn = upgradeConn(good);
  const ws = await openWebSocket(conn, handshake);
  await ws.close();
  assert.equal(ws.closeInfo?.code, 1006);
  assert.ok(conn.closed);
  await assert.rejects(ws.send(Uint8Array.of(1)), /closed/);
  await assert.rejects(ws.ping(), /closed/);
});

Deno.test("a refusal without a length on a kept-open connection yields what arrived", async () => {
  const pending = Promise.withResolvers<void>();
  let sent = false;
  const conn: ByteConn & { closed: boolean } = {
    closed: false,
    async read(buffer) {
      if (!sent) {
        sent = true;
        const bytes = new TextEncoder().encode("HTTP/1.1 403 Forbidden\r\n\r\npartial");
        buffer.set(bytes);
        return bytes.length;
      }
      await pending.promise;
      return null;
    },
    writeAll: () => Promise.resolve(),
    closeWrite: () => Promise.resolve(),
    close() {
      conn.closed = true;
      pending.resolve();
    },
  };
  await assert.rejects(
    openWebSocket(conn, { ...handshake, refusalBodyWaitMs: 50 }),
    (error: Error) =>
      error instanceof UpgradeError && error.status === 403 &&
      new TextDecoder().decode(error.body) === "partial",
  );
  assert.ok(conn.closed);
});

Deno.test("close() after a refused concurrent receive completes the handshake instead of spinning", async () => {
  // Run in a child process: the bug this guards against was a microtask loop in close()'s drain
  // (waiting on a settled stand-in for the receive in flight), which starves timers and I/O, so
  // it cannot be caught from inside the same event loop. It stalled `port-forward` on the API
  // server's tunnel route after Ctrl-C.
  const script = `
    import { expectedAccept, openWebSocket } from ${
    JSON.stringify(
      new URL("../../lib/transport/websocket.ts", import.meta.url).href,
    )
  };
    const accept = (key) =>
      "HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n" +
      "Sec-WebSocket-Accept: " + key + "\\r\\nSec-WebSocket-Protocol: v5.channel.k8s.io\\r\\n\\r\\n";
    let written = [];
    let step = 0;
    const conn = {
      async read(buffer) {
        if (step++ === 0) {
          const key = /Sec-WebSocket-Key: (\\S+)/.exec(new TextDecoder().decode(written[0]))[1];
          const head = new TextEncoder().encode(accept(await expectedAccept(key)));
          buffer.set(head);
          return head.length;
        }
        // The server answers the close after a macrotask: a spinning drain never lets it run.
        await new Promise((resolve) => setTimeout(resolve, 20));
        buffer.set([0x88, 0x02, 0x03, 0xe8]);
        return 4;
      },
      writeAll(data) { written.push(data.slice()); return Promise.resolve(); },
      closeWrite: () => Promise.resolve(),
      close() {},
    };
    const ws = await openWebSocket(conn, { target: "/x", host: "h", protocols: ["v5.channel.k8s.io"] });
    const inFlight = ws.receive();
    await ws.receive().catch(() => {});
    await ws.close(1000);
    await inFlight;
    console.log("closed " + ws.closeInfo.code);
  `;
  const file = await Deno.makeTempFile({ suffix: ".js" });
  try {
    await Deno.writeTextFile(file, script);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", file],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const output = await child.output();
    clearTimeout(timer);
    assert.equal(
      new TextDecoder().decode(output.stdout),
      "closed 1000\n",
      new TextDecoder().decode(output.stderr),
    );
  } finally {
    await Deno.remove(file);
  }
});
