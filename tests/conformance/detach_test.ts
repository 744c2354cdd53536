/**
 * The stream session's `detach` (attach's detach keys), at the protocol level: with a TTY it
 * half-closes stdin WITHOUT the EOF byte a signal sends (the remote shell must live on), closes
 * the connection with 1000 and reports exit code 0, `ended: "detached"`. Found by
 * `attach_tty_test.ts`: typing ctrl-p,ctrl-q only ended stdin and kubexec then waited forever
 * for a process that keeps running.
 */
import assert from "node:assert/strict";
import { runStreamSession } from "../../lib/stream/exec.ts";
import { type MemoryWebSocket, memoryWebSocketPair } from "../support/memory_websocket.ts";

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");

async function drain(server: MemoryWebSocket): Promise<string[]> {
  const messages: string[] = [];
  for (let message = await server.receive(); message; message = await server.receive()) {
    messages.push(hex(message.data));
  }
  return messages;
}

function openStdin() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  return { stream, controller };
}

Deno.test("detach with a TTY: stdin half-closed without EOF byte, exit 0, clean close", async () => {
  const { client, server } = memoryWebSocketPair();
  const stdin = openStdin();
  const detach = new AbortController();
  const session = runStreamSession(client, { stdin: stdin.stream, tty: true }, {
    detach: detach.signal,
    keepaliveMs: 0,
  });
  stdin.controller.enqueue(new TextEncoder().encode("ls"));
  assert.equal(hex((await server.receive())!.data), "00 6c 73");
  detach.abort();
  const result = await session;
  assert.deepEqual([result.exitCode, result.ended], [0, "detached"]);
  assert.deepEqual(await drain(server), ["ff 00"]);
  assert.equal(server.closeInfo?.code, 1000);
});

Deno.test("detach after stdin already ended sends nothing more", async () => {
  const { client, server } = memoryWebSocketPair();
  const session = runStreamSession(client, { stdin: ReadableStream.from([]), tty: true }, {
    keepaliveMs: 0,
    detach: AbortSignal.abort(),
  });
  const result = await session;
  assert.equal(result.ended, "detached");
  assert.ok((await drain(server)).every((message) => message === "ff 00"));
});

Deno.test("detach on v4 (no half-close) just leaves", async () => {
  const { client, server } = memoryWebSocketPair({ protocol: "v4.channel.k8s.io" });
  const detach = new AbortController();
  const session = runStreamSession(client, { stdin: openStdin().stream, tty: true }, {
    detach: detach.signal,
    keepaliveMs: 0,
  });
  detach.abort();
  assert.deepEqual([(await session).exitCode, (await session).ended], [0, "detached"]);
  assert.deepEqual(await drain(server), []);
});
