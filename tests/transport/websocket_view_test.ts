/**
 * `receiveView` and the buffered fast path of the raw WebSocket client: every frame size and
 * every way the bytes can be split across reads gives the same messages as `receive`, views are
 * only handed out for whole frames that fit the read buffer, and a close after a view leaves the
 * view's bytes alone.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { ByteConn, WebSocketConn, WebSocketMessage } from "../../lib/transport/types.ts";
import { expectedAccept, openWebSocket } from "../../lib/transport/websocket.ts";
import { DEFAULT_READ_BUFFER_BYTES } from "../../lib/transport/buffered_reader.ts";
import { ServerWebSocket } from "../support/transport_server.ts";

const frame = ServerWebSocket.frame;
const handshake = { target: "/x", host: "h", protocols: ["v5.channel.k8s.io"] };

/**
 * A connection that answers the upgrade, then serves `parts` in order, at most `readBytes` per
 * read (a TLS record is 16 KiB; small values split headers too). `later` parts are served only
 * once `release()` was called.
 */
function scriptedConn(parts: Uint8Array[], readBytes: number) {
  const queue: Uint8Array[] = [];
  let headSent = false;
  let released: () => void = () => {};
  const gate = new Promise<void>((resolve) => (released = resolve));
  const conn = {
    written: [] as Uint8Array[],
    held: [] as Uint8Array[],
    async read(buffer: Uint8Array): Promise<number | null> {
      if (!headSent) {
        headSent = true;
        const request = new TextDecoder().decode(conn.written[0]);
        const key = /Sec-WebSocket-Key: (\S+)/.exec(request)![1];
        queue.push(
          new TextEncoder().encode(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
              `Sec-WebSocket-Accept: ${await expectedAccept(key)}\r\n` +
              "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n",
          ),
          ...parts,
        );
      }
      if (queue.length === 0 && conn.held.length > 0) {
        await gate;
        queue.push(...conn.held.splice(0));
      }
      const next = queue[0];
      if (!next) return null;
      const count = Math.min(buffer.length, next.length, readBytes);
      buffer.set(next.subarray(0, count));
      if (count === next.length) queue.shift();
      else queue[0] = next.subarray(count);
      return count;
    },
    writeAll(data: Uint8Array) {
      conn.written.push(data.slice());
      return Promise.resolve();
    },
    closeWrite: () => Promise.resolve(),
    close() {},
    release: () => released(),
  };
  return conn satisfies ByteConn;
}

function payload(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

async function collect(
  ws: WebSocketConn,
  how: "receive" | "receiveView",
): Promise<{ binary: boolean; data: Uint8Array; view: boolean }[]> {
  const out = [];
  while (true) {
    const message: WebSocketMessage | null = how === "receive"
      ? await ws.receive()
      : await ws.receiveView!();
    if (message === null) return out;
    // A view shares its buffer with the reader; an owned message has a buffer of its own.
    const view = message.data.buffer.byteLength !== message.data.byteLength;
    out.push({ binary: message.binary, data: message.data.slice(), view });
  }
}

const SIZES = [0, 1, 125, 126, 127, 65535, 65536, 32 * 1024 + 1, 100_000, 300 * 1024];

for (const readBytes of [1, 7, 16 * 1024, 1 << 20]) {
  Deno.test(`receive and receiveView agree on every frame size (reads of at most ${readBytes} bytes)`, async () => {
    const frames = SIZES.map((size, i) => frame(i % 2 ? 2 : 1, payload(size, i)));
    // A fragmented message between whole ones, and a ping the client must answer on the way.
    frames.push(
      frame(2, payload(10, 50), false),
      frame(9, Uint8Array.of(7)),
      frame(0, payload(20, 51)),
      frame(8, Uint8Array.of(0x03, 0xe8)),
    );
    const viaReceive = await collect(
      await openWebSocket(scriptedConn(frames, readBytes), handshake),
      "receive",
    );
    const viaView = await collect(
      await openWebSocket(scriptedConn(frames, readBytes), handshake),
      "receiveView",
    );
    const expected = [
      ...SIZES.map((size, i) => ({ binary: i % 2 === 1, data: payload(size, i) })),
      { binary: true, data: new Uint8Array([...payload(10, 50), ...payload(20, 51)]) },
    ];
    assert.deepEqual(viaReceive.map(({ binary, data }) => ({ binary, data })), expected);
    assert.deepEqual(viaView.map(({ binary, data }) => ({ binary, data })), expected);
    assert.ok(viaReceive.every((message) => !message.view), "receive must return owned data");
    // Whole frames that fit the buffer come as views; the one larger than it and the fragmented
    // message are assembled into buffers of their own.
    SIZES.forEach((size, i) => {
      if (size === 0) return;
      const fits = size + 14 <= DEFAULT_READ_BUFFER_BYTES;
      assert.equal(viaView[i].view, fits, `frame of ${size} bytes`);
    });
    assert.equal(viaView[SIZES.length].view, false);
  });
}

Deno.test("close() after a view leaves the view's bytes alone while it reads on for the close frame", async () => {
  const first = payload(200 * 1024, 1);
  const conn = scriptedConn([frame(2, first)], 16 * 1024);
  // Arrives only after the view was handed out: 200 KiB more do not fit behind the first frame,
  // so without a fresh buffer the reader would move them over it.
  conn.held.push(frame(2, payload(200 * 1024, 2)), frame(8, Uint8Array.of(0x03, 0xe8)));
  const ws = await openWebSocket(conn, handshake);
  const view = await ws.receiveView!();
  assert.ok(view && view.data.buffer.byteLength > view.data.byteLength, "expected a view");
  conn.release();
  await ws.close(1000);
  assert.equal(ws.closeInfo?.code, 1000);
  assert.deepEqual(view.data, first);
});

Deno.test("receive() after receiveView() returns owned data again", async () => {
  const ws = await openWebSocket(
    scriptedConn([frame(2, payload(1000, 3)), frame(2, payload(1000, 4))], 1 << 20),
    handshake,
  );
  const view = await ws.receiveView!();
  const owned = await ws.receive();
  assert.ok(view && owned);
  assert.equal(owned.data.buffer.byteLength, owned.data.byteLength);
  assert.deepEqual(owned.data, payload(1000, 4));
});

/**
 * Messages taken with `receivePrefixed` (put back together from the prefix and the payload) and,
 * for what it leaves, `receiveView`; which were pumped, and whether the payloads were views.
 */
async function collectPumped(ws: WebSocketConn) {
  const out: { binary: boolean; data: Uint8Array; pumped: boolean; view: boolean }[] = [];
  while (true) {
    await ws.receivePrefixed!((prefix, rest) => {
      const view = rest.buffer.byteLength !== rest.byteLength;
      out.push({ binary: true, data: Uint8Array.of(prefix, ...rest), pumped: true, view });
      return undefined;
    }, () => false);
    const message = await ws.receiveView!();
    if (message === null) return out;
    out.push({ binary: message.binary, data: message.data.slice(), pumped: false, view: false });
  }
}

for (const readBytes of [1, 7, 16 * 1024, 1 << 20]) {
  Deno.test(`receivePrefixed with receiveView for the rest gives receive's messages (reads of at most ${readBytes} bytes)`, async () => {
    const frames = SIZES.map((size, i) => frame(i % 2 ? 2 : 1, payload(size, i)));
    frames.push(
      frame(2, payload(10, 50), false),
      frame(9, Uint8Array.of(7)),
      frame(0, payload(20, 51)),
      frame(2, new Uint8Array(0)),
      frame(2, payload(5, 52)),
      frame(8, Uint8Array.of(0x03, 0xe8)),
    );
    const conn = scriptedConn(frames, readBytes);
    const ws = await openWebSocket(conn, handshake);
    const got = await collectPumped(ws);
    assert.deepEqual(got.map(({ binary, data }) => ({ binary, data })), [
      ...SIZES.map((size, i) => ({ binary: i % 2 === 1, data: payload(size, i) })),
      { binary: true, data: new Uint8Array([...payload(10, 50), ...payload(20, 51)]) },
      { binary: true, data: new Uint8Array(0) },
      { binary: true, data: payload(5, 52) },
    ]);
    // Binary messages of at least the prefix byte that arrive as whole frames fitting the read
    // buffer are pumped (their payloads as views); text and empty messages, the larger frame and
    // the fragmented message go through the general path, which also answers the ping.
    const pumped = got.map((message) => message.pumped);
    const bulk = SIZES.map((size, i) =>
      i % 2 === 1 && size > 0 && size + 14 <= DEFAULT_READ_BUFFER_BYTES
    );
    assert.deepEqual(pumped, [...bulk, false, false, true]);
    assert.ok(
      got.filter((message) => message.pumped && message.data.length > 1).every((m) => m.view),
    );
    const pong = conn.written.find((bytes) => (bytes[0] & 0x0f) === 0xa);
    assert.ok(pong, "the ping was not answered");
    assert.equal(ws.closeInfo?.code, 1000);
  });
}

Deno.test("receivePrefixed reads and delivers nothing more until a delivery's promise settles", async () => {
  const ws = await openWebSocket(
    scriptedConn(
      [frame(2, payload(100, 1)), frame(2, payload(100, 2)), frame(2, payload(100, 3))],
      1 << 20,
    ),
    handshake,
  );
  const delivered: Uint8Array[] = [];
  let release: () => void = () => {};
  const pumping = ws.receivePrefixed!((prefix, rest) => {
    delivered.push(Uint8Array.of(prefix, ...rest));
    if (delivered.length > 1) return undefined;
    return new Promise<void>((resolve) => (release = resolve));
  }, () => false);
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(delivered.length, 1);
  release();
  await pumping;
  assert.deepEqual(delivered, [payload(100, 1), payload(100, 2), payload(100, 3)]);
  assert.equal(ws.closeInfo?.code, 1006, "the scripted connection ended without a close frame");
});

Deno.test("receivePrefixed returns once stopped() is true and leaves the next message to receive()", async () => {
  const ws = await openWebSocket(
    scriptedConn([frame(2, payload(100, 1)), frame(2, payload(100, 2))], 1 << 20),
    handshake,
  );
  let stop = false;
  const delivered: Uint8Array[] = [];
  await ws.receivePrefixed!((prefix, rest) => {
    delivered.push(Uint8Array.of(prefix, ...rest));
    stop = true;
    return undefined;
  }, () => stop);
  assert.deepEqual(delivered, [payload(100, 1)]);
  assert.deepEqual((await ws.receive())?.data, payload(100, 2));
});

Deno.test("receivePrefixed: a connection that ends inside a frame closes with 1006, and receive() says null", async () => {
  const truncated = frame(2, payload(1000, 2)).subarray(0, 500);
  const ws = await openWebSocket(scriptedConn([frame(2, payload(10, 1)), truncated], 7), handshake);
  const delivered: Uint8Array[] = [];
  await ws.receivePrefixed!(
    (prefix, rest) => void delivered.push(Uint8Array.of(prefix, ...rest)),
    () => false,
  );
  assert.deepEqual(delivered, [payload(10, 1)]);
  assert.equal(ws.closeInfo?.code, 1006);
  assert.equal(await ws.receive(), null);
});

Deno.test("receivePrefixed: while it reads, receive() is refused and close() waits for its read", async () => {
  const conn = scriptedConn([frame(2, payload(10, 1))], 1 << 20);
  conn.held.push(frame(8, Uint8Array.of(0x03, 0xe8)));
  const ws = await openWebSocket(conn, handshake);
  const pumping = ws.receivePrefixed!(() => undefined, () => false);
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  await assert.rejects(ws.receive(), /concurrently/);
  const closing = ws.close(1000);
  conn.release();
  await Promise.all([pumping, closing]);
  assert.equal(ws.closeInfo?.code, 1000);
});
