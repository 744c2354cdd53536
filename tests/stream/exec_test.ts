import assert from "node:assert/strict";
import { runStreamSession, type SessionOptions } from "../../lib/stream/exec.ts";
import {
  ConnectionLostError,
  ProtocolError,
  RemoteStatusError,
  SessionLimitError,
} from "../../lib/stream/errors.ts";
import { TerminalSizeQueue } from "../../lib/stream/resize.ts";
import type { WebSocketMessage } from "../../lib/transport/types.ts";
import { type MemoryWebSocket, memoryWebSocketPair } from "../support/memory_websocket.ts";
import { concat, randomBytes } from "./bytes.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const SUCCESS = '{"metadata":{},"status":"Success"}';
const exitStatus = (code: number) =>
  JSON.stringify({
    metadata: {},
    status: "Failure",
    message:
      `command terminated with non-zero exit code: command terminated with exit code ${code}`,
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: String(code) }] },
  });

/** A binary message: channel byte then payload. */
function frame(channel: number, payload: string | Uint8Array = ""): Uint8Array {
  const bytes = typeof payload === "string" ? encoder.encode(payload) : payload;
  return concat([new Uint8Array([channel]), bytes]);
}

/** A writable that records what it got; `gate` makes every write wait for its release. */
function recorder(options: { gate?: Promise<void>; failWith?: Error } = {}) {
  const chunks: Uint8Array[] = [];
  let writes = 0;
  const stream = new WritableStream<Uint8Array>({
    async write(chunk) {
      writes++;
      if (options.failWith) throw options.failWith;
      if (options.gate) await options.gate;
      chunks.push(chunk.slice());
    },
  });
  return {
    stream,
    chunks,
    get writes() {
      return writes;
    },
    text: () => decoder.decode(concat(chunks)),
  };
}

/** Collects everything the client sends until the connection closes. */
async function drain(server: MemoryWebSocket): Promise<WebSocketMessage[]> {
  const messages: WebSocketMessage[] = [];
  while (true) {
    const message = await server.receive();
    if (message === null) return messages;
    messages.push(message);
  }
}

/** Reads client messages until one satisfies `done`; returns all read. */
async function readUntil(
  server: MemoryWebSocket,
  done: (message: WebSocketMessage) => boolean,
): Promise<WebSocketMessage[]> {
  const messages: WebSocketMessage[] = [];
  while (true) {
    const message = await server.receive();
    assert.ok(message, "the client closed before the expected message");
    messages.push(message);
    if (done(message)) return messages;
  }
}

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
const isHalfClose = (message: WebSocketMessage) => hex(message.data) === "ff 00";
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

function openStdin(chunks: Uint8Array[] = []) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      for (const chunk of chunks) c.enqueue(chunk);
    },
  });
  return { stream, controller };
}

function finiteStdin(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks);
}

function logs(): { logger: SessionOptions["logger"]; lines: [number, string][] } {
  const lines: [number, string][] = [];
  return { logger: (level, message) => lines.push([level, message()]), lines };
}

Deno.test("v5: output is written, the empty ready marker ignored, Success gives exit 0", async () => {
  const { client, server } = memoryWebSocketPair();
  const stdout = recorder();
  const stderr = recorder();
  const output: [number, string][] = [];
  let counted = 0;
  const session = runStreamSession(client, {
    stdout: stdout.stream,
    stderr: stderr.stream,
    tty: false,
  }, {
    onOutput: (channel, bytes) => output.push([channel, decoder.decode(bytes)]),
    onBytes: (direction, bytes) => {
      assert.equal(direction, "in");
      counted += bytes;
    },
  });
  await server.send(frame(1));
  await server.send(frame(1, "hello\n"));
  await server.send(frame(2, "warn\n"));
  await server.send(frame(3, SUCCESS));
  await server.close(1000);
  const result = await session;
  assert.deepEqual(result, {
    exitCode: 0,
    status: { metadata: {}, status: "Success" },
    ended: "status",
    protocol: "v5.channel.k8s.io",
    bytesIn: 11,
    bytesOut: 0,
  });
  assert.equal(stdout.text(), "hello\n");
  assert.equal(stderr.text(), "warn\n");
  assert.equal(stdout.writes, 1, "the empty marker must not reach stdout");
  assert.deepEqual(output, [[1, "hello\n"], [2, "warn\n"]]);
  assert.equal(counted, 11);
  assert.equal(client.closeInfo?.code, 1000);
});

Deno.test("v5: stdin EOF sends FF 00, then output after it is still read until status and close", async () => {
  const { client, server } = memoryWebSocketPair();
  const stdout = recorder();
  const session = runStreamSession(client, {
    stdin: finiteStdin([encoder.encode("hello\n")]),
    stdout: stdout.stream,
    tty: false,
  });
  const sent = await readUntil(server, isHalfClose);
  assert.deepEqual(sent.map((m) => hex(m.data)), ["00 68 65 6c 6c 6f 0a", "ff 00"]);
  assert.ok(sent.every((m) => m.binary));
  await server.send(frame(1, "hello\n"));
  await server.send(frame(1, "trailing output\n"));
  await server.send(frame(3, SUCCESS));
  await server.close(1000);
  const result = await session;
  assert.equal(result.exitCode, 0);
  assert.equal(result.bytesOut, 6);
  assert.equal(stdout.text(), "hello\ntrailing output\n");
});

Deno.test("v5: 1 MiB of stdin goes out byte-exact in messages of at most 32 KiB", async () => {
  const { client, server } = memoryWebSocketPair({ capacity: 2 });
  const payload = randomBytes(1 << 20);
  const pieces = [
    payload.subarray(0, 1000),
    payload.subarray(1000, 700_000),
    payload.subarray(700_000),
  ];
  let counted = 0;
  const session = runStreamSession(client, { stdin: finiteStdin(pieces), tty: false }, {
    onBytes: (direction, bytes) => {
      assert.equal(direction, "out");
      counted += bytes;
    },
  });
  const sent = await readUntil(server, isHalfClose);
  const data = sent.slice(0, -1);
  for (const message of data) {
    assert.ok(message.data.length <= 32 * 1024, `message of ${message.data.length} bytes`);
    assert.equal(message.data[0], 0);
  }
  assert.deepEqual(concat(data.map((m) => m.data.subarray(1))), payload);
  await server.send(frame(3, SUCCESS));
  await server.close(1000);
  const result = await session;
  assert.equal(result.bytesOut, 1 << 20);
  assert.equal(counted, 1 << 20);
});

Deno.test("a slow stdout writer stops the session from pulling more messages", async () => {
  const { client, server } = memoryWebSocketPair({ capacity: 2 });
  const gate = Promise.withResolvers<void>();
  const stdout = recorder({ gate: gate.promise });
  const session = runStreamSession(client, { stdout: stdout.stream, tty: false });
  let serverSent = 0;
  const producer = (async () => {
    for (let i = 0; i < 50; i++) {
      await server.send(frame(1, `line ${i}\n`));
      serverSent++;
    }
    await server.send(frame(3, SUCCESS));
    await server.close(1000);
  })();
  for (let i = 0; i < 10; i++) await tick();
  assert.equal(stdout.writes, 1, "only the first write started");
  assert.ok(client.receiveCalls <= 2, `receive called ${client.receiveCalls} times`);
  assert.ok(serverSent <= 2 + client.receiveCalls, `server got ${serverSent} messages out`);
  gate.resolve();
  await producer;
  const result = await session;
  assert.equal(result.exitCode, 0);
  assert.equal(stdout.text(), Array.from({ length: 50 }, (_, i) => `line ${i}\n`).join(""));
});

Deno.test("a server that does not read stdin stops the session from pulling stdin", async () => {
  const { client, server } = memoryWebSocketPair({ capacity: 2 });
  let pulls = 0;
  const stdin = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      controller.enqueue(new Uint8Array(1000).fill(pulls));
      if (pulls === 40) controller.close();
    },
  }, { highWaterMark: 0 });
  const session = runStreamSession(client, { stdin, tty: false });
  for (let i = 0; i < 10; i++) await tick();
  assert.ok(pulls <= 4, `stdin was pulled ${pulls} times while the server read nothing`);
  const sent = await readUntil(server, isHalfClose);
  assert.equal(sent.length, 41);
  assert.equal(pulls, 40);
  await server.send(frame(3, SUCCESS));
  await server.close(1000);
  assert.equal((await session).bytesOut, 40_000);
});

Deno.test("with a TTY the first size goes out before stdin, later sizes as they come", async () => {
  const { client, server } = memoryWebSocketPair();
  const sizes = new TerminalSizeQueue({ width: 80, height: 24 });
  const stdin = openStdin([encoder.encode("ls\n")]);
  const session = runStreamSession(client, { stdin: stdin.stream, resize: sizes, tty: true });
  const first = await server.receive();
  const second = await server.receive();
  assert.equal(hex(first!.data.subarray(0, 1)), "04");
  assert.equal(decoder.decode(first!.data.subarray(1)), '{"Width":80,"Height":24}\n');
  assert.equal(hex(second!.data), "00 6c 73 0a");
  sizes.push({ width: 132, height: 43 });
  const third = await server.receive();
  assert.equal(decoder.decode(third!.data), '\x04{"Width":132,"Height":43}\n');
  await server.send(frame(1, "$ "));
  const again = await server.receive();
  assert.equal(decoder.decode(again!.data), '\x04{"Width":132,"Height":43}\n', "resent once");
  await server.send(frame(1, "more"));
  await server.send(frame(3, SUCCESS));
  await server.close(1000);
  assert.equal((await session).exitCode, 0);
  assert.deepEqual(await drain(server), [], "the size goes out again only once");
  assert.equal(sizes.closed, true, "the session ends the size iteration");
});

Deno.test("with a TTY but no size at the start, stdin is not held back", async () => {
  const { client, server } = memoryWebSocketPair();
  const sizes = new TerminalSizeQueue();
  const stdin = openStdin([encoder.encode("ls\n")]);
  const session = runStreamSession(client, { stdin: stdin.stream, resize: sizes, tty: true });
  assert.equal(hex((await server.receive())!.data), "00 6c 73 0a");
  sizes.push({ width: 80, height: 24 });
  assert.equal(decoder.decode((await server.receive())!.data), '\x04{"Width":80,"Height":24}\n');
  await server.send(frame(3, SUCCESS));
  await server.close(1000);
  assert.equal((await session).exitCode, 0);
});

Deno.test("without a TTY no resize message is ever sent, even when sizes are given", async () => {
  const { client, server } = memoryWebSocketPair();
  const sizes = new TerminalSizeQueue({ width: 80, height: 24 });
  const session = runStreamSession(client, {
    stdin: finiteStdin([encoder.encode("x")]),
    resize: sizes,
    tty: false,
  });
  const sent = await readUntil(server, isHalfClose);
  assert.deepEqual(sent.map((m) => hex(m.data)), ["00 78", "ff 00"]);
  await server.send(frame(3, SUCCESS));
  await server.close(1000);
  await session;
  assert.equal(sizes.closed, false, "the queue was never iterated");
});

Deno.test("NonZeroExitCode 7 gives exit code 7 and the status", async () => {
  const { client, server } = memoryWebSocketPair();
  const session = runStreamSession(client, { tty: false });
  await server.send(frame(3, exitStatus(7)));
  await server.close(1000);
  const result = await session;
  assert.equal(result.exitCode, 7);
  assert.equal(result.status?.reason, "NonZeroExitCode");
});

Deno.test("a double-wrapped InternalError is a RemoteStatusError with the server's message", async () => {
  const { client, server } = memoryWebSocketPair();
  const message = "Internal error occurred: Internal error occurred: error executing command in " +
    "container: failed to exec in container: executable file not found in $PATH";
  const session = runStreamSession(client, { tty: false });
  await server.send(frame(
    3,
    JSON.stringify({
      metadata: {},
      status: "Failure",
      message,
      reason: "InternalError",
      details: { causes: [{ message: "x" }] },
      code: 500,
    }),
  ));
  await server.close(1000);
  await assert.rejects(session, (error: unknown) => {
    assert.ok(error instanceof RemoteStatusError);
    assert.equal(error.message, message);
    assert.equal(error.reason, "InternalError");
    return true;
  });
});

Deno.test("a status split over two messages is joined", async () => {
  const { client, server } = memoryWebSocketPair();
  const session = runStreamSession(client, { tty: false });
  const status = exitStatus(42);
  await server.send(frame(3, status.slice(0, 20)));
  await server.send(frame(3, status.slice(20)));
  await server.close(1000);
  assert.equal((await session).exitCode, 42);
});

for (const protocol of ["v5.channel.k8s.io", "v4.channel.k8s.io", "v4.base64.channel.k8s.io"]) {
  Deno.test(`${protocol}: a close without status is ConnectionLostError, never exit 0`, async () => {
    const { client, server } = memoryWebSocketPair({ protocol });
    const session = runStreamSession(client, { stdout: recorder().stream, tty: false });
    await server.close(1000, "bye");
    await assert.rejects(session, (error: unknown) => {
      assert.ok(error instanceof ConnectionLostError);
      assert.equal(error.exitCode, 255);
      assert.equal(error.closeCode, 1000);
      assert.equal(error.closeReason, "bye");
      assert.match(error.message, /connection to the server was lost.*\(code 1000: bye\)/);
      return true;
    });
  });
}

Deno.test("a dropped connection mid-stream is ConnectionLostError with close code 1006", async () => {
  const { client, server } = memoryWebSocketPair();
  const stdout = recorder();
  const session = runStreamSession(client, { stdout: stdout.stream, tty: false });
  await server.send(frame(1, "partial"));
  await server.close();
  await assert.rejects(session, (error: unknown) => {
    assert.ok(error instanceof ConnectionLostError);
    assert.equal(error.closeCode, 1006);
    return true;
  });
  assert.equal(stdout.text(), "partial");
});

/** Wraps a connection so that `receive` fails once the queued messages are read. */
function failingReads(ws: MemoryWebSocket, error: Error): MemoryWebSocket {
  return Object.assign(Object.create(ws), {
    receive: async () => {
      if (ws.queued > 0) return await ws.receive();
      throw error;
    },
    send: ws.send.bind(ws),
    close: ws.close.bind(ws),
    ping: ws.ping.bind(ws),
  });
}

Deno.test("a failing read before the status is ConnectionLostError carrying the transport error", async () => {
  const { client, server } = memoryWebSocketPair();
  const reset = new Error("connection reset by peer");
  const session = runStreamSession(failingReads(client, reset), { tty: false });
  await assert.rejects(session, (error: unknown) => {
    assert.ok(error instanceof ConnectionLostError);
    assert.equal(error.lossCause, "read-error");
    assert.equal(error.cause, reset);
    assert.equal(error.exitCode, 255);
    return true;
  });
  assert.deepEqual(await drain(server), []);
  assert.equal(server.closeInfo?.code, 1006, "a broken connection is dropped");
});

Deno.test("a failing read after the status keeps the status", async () => {
  const { client, server } = memoryWebSocketPair();
  await server.send(frame(3, exitStatus(5)));
  const result = await runStreamSession(failingReads(client, new Error("reset")), { tty: false });
  assert.equal(result.exitCode, 5);
  assert.deepEqual(await drain(server), []);
  assert.equal(server.closeInfo?.code, 1006, "the broken connection is dropped");
});

Deno.test("a status followed by a dropped connection still counts", async () => {
  const { client, server } = memoryWebSocketPair();
  const session = runStreamSession(client, { tty: false });
  await server.send(frame(3, exitStatus(3)));
  await server.close();
  assert.equal((await session).exitCode, 3);
});

Deno.test("a server that never closes after the status is closed after the grace", async () => {
  const { client, server } = memoryWebSocketPair();
  const session = runStreamSession(client, { tty: false }, { closeGraceMs: 5 });
  await server.send(frame(3, SUCCESS));
  const result = await session;
  assert.equal(result.exitCode, 0);
  assert.equal(result.ended, "status");
  assert.deepEqual(await drain(server), []);
  assert.equal(server.closeInfo?.code, 1000);
});

Deno.test("after the grace, a silent server's answer to our close is not waited for", async () => {
  const { client, server } = memoryWebSocketPair();
  // A server that never answers a close (the real client would wait 5 s for it).
  const deaf = new Proxy(client, {
    get(target, property) {
      if (property === "close") {
        return (code?: number, reason?: string) => {
          void target.close(code, reason);
          return new Promise<void>(() => {});
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const session = runStreamSession(deaf, { tty: false }, { closeGraceMs: 5 });
  await server.send(frame(3, SUCCESS));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const result = await Promise.race([
    session,
    new Promise<"waited">((resolve) => timer = setTimeout(() => resolve("waited"), 2000)),
  ]);
  clearTimeout(timer);
  assert.notEqual(result, "waited", "the session waited for the close handshake");
  assert.equal((result as Awaited<typeof session>).exitCode, 0);
});

Deno.test("v4: stdin EOF cannot be signalled; logged at -v, the session waits for the server", async () => {
  const { client, server } = memoryWebSocketPair({ protocol: "v4.channel.k8s.io" });
  const log = logs();
  const session = runStreamSession(client, {
    stdin: finiteStdin([encoder.encode("data")]),
    tty: false,
  }, { logger: log.logger });
  const first = await server.receive();
  assert.equal(hex(first!.data), "00 64 61 74 61");
  while (!log.lines.some(([, line]) => line.includes("cannot signal"))) await tick();
  assert.equal(server.queued, 0, "nothing after stdin: no FF 00 on v4");
  const [level, line] = log.lines.find(([, line]) => line.includes("cannot signal"))!;
  assert.equal(level, 1);
  assert.match(line, /v4\.channel\.k8s\.io cannot signal that to the server/);
  await server.send(frame(3, exitStatus(2)));
  await server.close(1000);
  assert.equal((await session).exitCode, 2);
  assert.equal(server.queued, 0);
});

Deno.test("v4.base64: text frames both ways, status decoded", async () => {
  const { client, server } = memoryWebSocketPair({ protocol: "v4.base64.channel.k8s.io" });
  const stdout = recorder();
  const session = runStreamSession(client, {
    stdin: finiteStdin([encoder.encode("ls\n")]),
    stdout: stdout.stream,
    tty: false,
  });
  const sent = await server.receive();
  assert.equal(sent!.binary, false);
  assert.equal(decoder.decode(sent!.data), "0bHMK");
  await server.sendText("1");
  await server.sendText("1aGkK");
  await server.sendText("3" + encoder.encode(exitStatus(9)).toBase64());
  await server.close(1000);
  assert.equal((await session).exitCode, 9);
  assert.equal(stdout.text(), "hi\n");
});

for (const protocol of ["channel.k8s.io", "base64.channel.k8s.io"]) {
  const binary = protocol === "channel.k8s.io";
  const send = (server: MemoryWebSocket, channel: number, payload: string) =>
    binary
      ? server.send(frame(channel, payload))
      : server.sendText(String(channel) + encoder.encode(payload).toBase64());

  Deno.test(`${protocol}: a clean close without error text is exit 0`, async () => {
    const { client, server } = memoryWebSocketPair({ protocol });
    const stdout = recorder();
    const session = runStreamSession(client, { stdout: stdout.stream, tty: false });
    await send(server, 1, "out");
    await server.close(1000);
    const result = await session;
    assert.equal(result.exitCode, 0);
    assert.equal(result.ended, "stream-end");
    assert.equal(result.status, undefined);
    assert.equal(stdout.text(), "out");
  });

  Deno.test(`${protocol}: error text is a RemoteStatusError`, async () => {
    const { client, server } = memoryWebSocketPair({ protocol });
    const session = runStreamSession(client, { tty: false });
    await send(server, 3, "command terminated with non-zero exit code: exit status 1");
    await server.close(1000);
    await assert.rejects(session, RemoteStatusError);
  });

  Deno.test(`${protocol}: a dropped connection without error text is ConnectionLostError`, async () => {
    const { client, server } = memoryWebSocketPair({ protocol });
    const session = runStreamSession(client, { tty: false });
    await server.close();
    await assert.rejects(session, ConnectionLostError);
  });
}

Deno.test("messages on unknown channels are logged and ignored; the stream goes on", async () => {
  const { client, server } = memoryWebSocketPair();
  const stdout = recorder();
  const log = logs();
  const session = runStreamSession(client, { stdout: stdout.stream, tty: false }, {
    logger: log.logger,
  });
  await server.send(frame(7, "future"));
  await server.send(frame(255, new Uint8Array([0])));
  await server.send(frame(1, "still here"));
  await server.send(frame(3, SUCCESS));
  await server.close(1000);
  assert.equal((await session).exitCode, 0);
  assert.equal(stdout.text(), "still here");
  assert.ok(log.lines.some(([, line]) => line === "ignoring 6 bytes on unknown channel 7"));
});

Deno.test("output on a stream that was not requested is dropped", async () => {
  const { client, server } = memoryWebSocketPair();
  const session = runStreamSession(client, { tty: false });
  await server.send(frame(1, "nobody listens"));
  await server.send(frame(3, SUCCESS));
  await server.close(1000);
  assert.equal((await session).bytesIn, 0);
});

Deno.test("a text message on v5 is a ProtocolError and the connection closes with 1002", async () => {
  const { client, server } = memoryWebSocketPair();
  const session = runStreamSession(client, { tty: false });
  await server.sendText("1aGkK");
  await assert.rejects(session, (error: unknown) => {
    assert.ok(error instanceof ProtocolError);
    assert.match(error.message, /unexpected message type \(text\) on v5\.channel\.k8s\.io/);
    return true;
  });
  assert.deepEqual(await drain(server), []);
  assert.equal(server.closeInfo?.code, 1002);
});

Deno.test("a status channel flooded beyond 1 MiB is a ProtocolError", async () => {
  const { client, server } = memoryWebSocketPair();
  const session = runStreamSession(client, { tty: false });
  const sending = (async () => {
    for (let i = 0; i < 40; i++) await server.send(frame(3, new Uint8Array(30_000)));
  })().catch(() => {});
  await assert.rejects(session, /the status channel carried more than 1048576 bytes/);
  assert.deepEqual(await drain(server), []);
  assert.equal(server.closeInfo?.code, 1002);
  await sending;
});

Deno.test("an unsupported negotiated protocol is refused and the connection closed", async () => {
  const { client, server } = memoryWebSocketPair({ protocol: "v3.channel.k8s.io" });
  await assert.rejects(runStreamSession(client, { tty: false }), ProtocolError);
  assert.deepEqual(await drain(server), []);
  assert.equal(server.closeInfo?.code, 1002);
});

Deno.test("keepalive pings while the server answers, and the session ends normally", async () => {
  const { client, server } = memoryWebSocketPair();
  const session = runStreamSession(client, { tty: false }, { keepaliveMs: 1, deadPeerMs: 60_000 });
  while (server.pingsReceived < 3) await tick();
  await server.send(frame(3, SUCCESS));
  await server.close(1000);
  assert.equal((await session).exitCode, 0);
});

Deno.test("a server that stops answering pings is a lost connection", async () => {
  const { client, server } = memoryWebSocketPair();
  server.autoPong = false;
  const session = runStreamSession(client, { tty: false }, { keepaliveMs: 2, deadPeerMs: 10 });
  await assert.rejects(session, (error: unknown) => {
    assert.ok(error instanceof ConnectionLostError);
    assert.equal(error.lossCause, "no-pong");
    assert.equal(
      error.message,
      "connection to the server was lost: no pong from the server in 10ms",
    );
    return true;
  });
  assert.ok(server.pingsReceived >= 1);
  assert.deepEqual(await drain(server), []);
  assert.equal(server.closeInfo?.code, 1006, "a dead peer is dropped, not closed politely");
});

Deno.test("time blocked on a slow local stdout does not count against the server", async () => {
  const { client, server } = memoryWebSocketPair();
  server.autoPong = false;
  const gate = Promise.withResolvers<void>();
  const stdout = recorder({ gate: gate.promise });
  let settled = false;
  const session = runStreamSession(client, { stdout: stdout.stream, tty: false }, {
    keepaliveMs: 1,
    deadPeerMs: 10,
  }).finally(() => settled = true);
  await server.send(frame(1, "page"));
  while (stdout.writes < 1) await tick();
  const pingsBefore = server.pingsReceived;
  while (server.pingsReceived < pingsBefore + 30) await tick();
  assert.equal(settled, false, "a blocked local write must not count as a dead server");
  gate.resolve();
  await assert.rejects(session, (error: unknown) => {
    assert.ok(error instanceof ConnectionLostError);
    assert.equal(error.lossCause, "no-pong");
    return true;
  });
  assert.equal(stdout.text(), "page");
  await drain(server);
});

Deno.test("keepalive 0 sends no pings", async () => {
  const { client, server } = memoryWebSocketPair();
  server.autoPong = false;
  const session = runStreamSession(client, { tty: false }, { keepaliveMs: 0, deadPeerMs: 1 });
  for (let i = 0; i < 5; i++) await tick();
  await server.send(frame(3, SUCCESS));
  await server.close(1000);
  assert.equal((await session).exitCode, 0);
  assert.equal(server.pingsReceived, 0);
});

Deno.test("idle timeout ends a silent session with SessionLimitError", async () => {
  const { client, server } = memoryWebSocketPair();
  const session = runStreamSession(client, { tty: false }, { idleTimeoutMs: 10 });
  await assert.rejects(session, (error: unknown) => {
    assert.ok(error instanceof SessionLimitError);
    assert.equal(error.limit, "idle-timeout");
    assert.equal(error.exitCode, 1);
    return true;
  });
  assert.deepEqual(await drain(server), []);
  assert.equal(server.closeInfo?.code, 1000);
});

Deno.test("max session ends even a busy session with SessionLimitError", async () => {
  const { client, server } = memoryWebSocketPair();
  const stdout = recorder();
  const session = runStreamSession(client, { stdout: stdout.stream, tty: false }, {
    maxSessionMs: 10,
  });
  const chatter = (async () => {
    while (!server.closeInfo) {
      await server.send(frame(1, "busy")).catch(() => {});
      await tick();
    }
  })();
  await assert.rejects(session, (error: unknown) => {
    assert.ok(error instanceof SessionLimitError);
    assert.equal(error.limit, "max-session");
    return true;
  });
  await drain(server);
  await chatter;
});

Deno.test("signal with a TTY sends EOF (04), half-closes stdin, drops the connection, reports the signal", async () => {
  const { client, server } = memoryWebSocketPair();
  const stdin = openStdin();
  const abort = new AbortController();
  const session = runStreamSession(client, { stdin: stdin.stream, tty: true }, {
    signal: abort.signal,
  });
  stdin.controller.enqueue(encoder.encode("sh"));
  assert.equal(hex((await server.receive())!.data), "00 73 68");
  abort.abort();
  const result = await session;
  assert.equal(result.ended, "signal");
  assert.equal(result.exitCode, 1);
  assert.deepEqual((await drain(server)).map((m) => hex(m.data)), ["00 04", "ff 00"]);
  // Dropped, not closed: after a close frame the API server may leave the command running.
  assert.equal(server.closeInfo?.code, 1006);
});

Deno.test("signal already aborted without a TTY only half-closes stdin", async () => {
  const { client, server } = memoryWebSocketPair();
  const result = await runStreamSession(client, { stdin: openStdin().stream, tty: false }, {
    signal: AbortSignal.abort(),
  });
  assert.equal(result.ended, "signal");
  assert.deepEqual((await drain(server)).map((m) => hex(m.data)), ["ff 00"]);
});

Deno.test("signal on v4 cannot half-close: only the TTY EOF byte goes out", async () => {
  const { client, server } = memoryWebSocketPair({ protocol: "v4.channel.k8s.io" });
  const abort = new AbortController();
  const session = runStreamSession(client, { stdin: openStdin().stream, tty: true }, {
    signal: abort.signal,
  });
  abort.abort();
  assert.equal((await session).ended, "signal");
  assert.deepEqual((await drain(server)).map((m) => hex(m.data)), ["00 04"]);
});

Deno.test("signal farewell is bounded when the server does not read", async () => {
  const { client, server } = memoryWebSocketPair({ capacity: 1 });
  const abort = new AbortController();
  const stdin = openStdin([new Uint8Array(10), new Uint8Array(10), new Uint8Array(10)]);
  const session = runStreamSession(client, { stdin: stdin.stream, tty: true }, {
    signal: abort.signal,
    closeGraceMs: 5,
  });
  while (server.queued < 1) await tick();
  abort.abort();
  assert.equal((await session).ended, "signal");
  await drain(server);
});

Deno.test("a failing stdout write fails the session with that error", async () => {
  const { client, server } = memoryWebSocketPair();
  const broken = new Error("broken pipe");
  const session = runStreamSession(client, {
    stdout: recorder({ failWith: broken }).stream,
    tty: false,
  });
  await server.send(frame(1, "x"));
  await assert.rejects(session, (error: unknown) => error === broken);
  assert.deepEqual(await drain(server), []);
});

Deno.test("a send failing because the server went away leaves the outcome to the status", async () => {
  const { client, server } = memoryWebSocketPair();
  let serverGone = false;
  const racy: MemoryWebSocket = Object.assign(Object.create(client), {
    send: (data: Uint8Array, binary?: boolean) =>
      serverGone ? Promise.reject(new Error("connection reset")) : client.send(data, binary),
    receive: async () => {
      const message = await client.receive();
      if (message === null) { for (let i = 0; i < 5; i++) await tick(); }
      return message;
    },
    close: client.close.bind(client),
    ping: client.ping.bind(client),
  });
  const stdin = openStdin();
  const session = runStreamSession(racy, { stdin: stdin.stream, tty: false });
  await server.send(frame(3, exitStatus(4)));
  await server.close(1000);
  serverGone = true;
  stdin.controller.enqueue(new Uint8Array(100));
  assert.equal((await session).exitCode, 4);
  await drain(server);
});

Deno.test("a failing stdin source fails the session with that error", async () => {
  const { client, server } = memoryWebSocketPair();
  const failure = new Error("tar producer failed");
  const stdin = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.error(failure);
    },
  });
  await assert.rejects(
    runStreamSession(client, { stdin, tty: false }),
    (e: unknown) => e === failure,
  );
  assert.deepEqual(await drain(server), []);
});

Deno.test("stdin still open when the status arrives is cancelled; stdout stays usable", async () => {
  const { client, server } = memoryWebSocketPair();
  let cancelled = false;
  const stdin = new ReadableStream<Uint8Array>({
    cancel() {
      cancelled = true;
    },
  });
  const stdout = recorder();
  const session = runStreamSession(client, { stdin, stdout: stdout.stream, tty: false });
  await server.send(frame(3, SUCCESS));
  await server.close(1000);
  assert.equal((await session).exitCode, 0);
  assert.equal(cancelled, true);
  const writer = stdout.stream.getWriter();
  await writer.write(encoder.encode("after"));
  await writer.close();
  assert.equal(stdout.text(), "after");
});

Deno.test("a long session does not keep the messages it already wrote reachable", async () => {
  // 384 messages of 1 MiB pass through while the session runs; memory must stay far below that.
  // Measured before the fix: every message stayed reachable until the session ended.
  const { client, server } = memoryWebSocketPair();
  const session = runStreamSession(client, {
    stdout: new WritableStream<Uint8Array>({ write() {} }),
    tty: false,
  });
  const megabyte = 1024 * 1024;
  let peakExternal = 0;
  for (let i = 0; i < 384; i++) {
    const message = new Uint8Array(megabyte + 1);
    message[0] = 1;
    await server.send(message);
    peakExternal = Math.max(peakExternal, Deno.memoryUsage().external);
  }
  await server.send(frame(3, SUCCESS));
  await server.close(1000);
  assert.equal((await session).bytesIn, 384 * megabyte);
  assert.ok(
    peakExternal < 256 * megabyte,
    `${(peakExternal / megabyte).toFixed(0)} MiB of buffers were reachable at once`,
  );
});

Deno.test("stdin is read one chunk ahead while a chunk is being sent", async () => {
  // The server takes one message and then reads nothing: the first chunk is sent, the second
  // waits in send, and exactly one more read is already requested (overlapping local reads with
  // socket writes), and no more.
  const { client, server } = memoryWebSocketPair({ capacity: 1 });
  let pulls = 0;
  const stdin = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      controller.enqueue(new Uint8Array(10).fill(pulls));
      if (pulls === 5) controller.close();
    },
  }, { highWaterMark: 0 });
  const session = runStreamSession(client, { stdin, tty: false });
  for (let i = 0; i < 10; i++) await tick();
  assert.equal(pulls, 3, "chunk 1 sent, chunk 2 waiting to be sent, chunk 3 read ahead");
  const sent = await readUntil(server, isHalfClose);
  assert.equal(sent.length, 6);
  await server.send(frame(3, SUCCESS));
  await server.close(1000);
  assert.equal((await session).bytesOut, 50);
});
