/**
 * Child process for `portforward_legacy_test.ts` (run with `--v8-flags=--expose-gc`): streams
 * 64 messages of 256 KiB from the "pod" through one legacy forwarded connection whose local side
 * never stops sending, then collects garbage and prints how many received messages are still
 * alive. Each one is written to the local side and dropped, so none should be.
 *
 * @module
 */
import { forwardOverSocket } from "../../lib/stream/portforward_legacy.ts";
import type { ByteConn, WebSocketConn } from "../../lib/transport/types.ts";
import { memoryWebSocketPair } from "../support/memory_websocket.ts";

const MESSAGES = 64;
const SIZE = 256 * 1024;

const { client, server } = memoryWebSocketPair({ protocol: "v4.channel.k8s.io" });
const alive: WeakRef<Uint8Array>[] = [];
const watched: WebSocketConn = Object.create(client);
watched.receive = async () => {
  const message = await client.receive();
  if (message && message.data.length > 3) alive.push(new WeakRef(message.data));
  return message;
};
let written = 0;
let allWritten!: () => void;
const done = new Promise<void>((resolve) => allWritten = resolve);
const local: ByteConn = {
  // The local client keeps its upload open and silent: the race against it is the point.
  read: () => new Promise(() => {}),
  writeAll(data) {
    written += data.length;
    if (written >= MESSAGES * SIZE) allWritten();
    return Promise.resolve();
  },
  closeWrite: () => Promise.resolve(),
  close() {},
};
void forwardOverSocket(watched, local);
await server.send(new Uint8Array([0, 80, 0]));
await server.send(new Uint8Array([1, 80, 0]));
for (let i = 0; i < MESSAGES; i++) {
  const message = new Uint8Array(1 + SIZE);
  message[0] = 0;
  await server.send(message);
}
await done;
for (let i = 0; i < 3; i++) {
  (globalThis as unknown as { gc: () => void }).gc();
  await new Promise((resolve) => setTimeout(resolve, 0));
}
const retained = alive.filter((ref) => ref.deref() !== undefined).length;
Deno.stdout.writeSync(
  new TextEncoder().encode(JSON.stringify({ received: alive.length, retained })),
);
Deno.exit(0);
