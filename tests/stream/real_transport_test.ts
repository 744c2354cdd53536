import assert from "node:assert/strict";
import { runStreamSession } from "../../lib/stream/exec.ts";
import { ProtocolError } from "../../lib/stream/errors.ts";
import { withDirectSink, withDirectSource } from "../../lib/stream/direct_io.ts";
import { DEFAULT_PROTOCOLS } from "../../lib/stream/protocol.ts";
import { connectTcp } from "../../lib/transport/tcp.ts";
import { openWebSocket } from "../../lib/transport/websocket.ts";
import { concat, randomBytes } from "./bytes.ts";

/**
 * A loopback server speaking v5 like the API server's translator running `cat`: channel 0 comes
 * back on channel 1, `FF 00` ends the command with Success, then a close 1000.
 */
function catServer(options: { status: string; onStdinMessage?: (length: number) => void }) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request, { protocol: "v5.channel.k8s.io" });
    socket.binaryType = "arraybuffer";
    socket.onopen = () => socket.send(new Uint8Array([1]));
    socket.onmessage = (event) => {
      const data = new Uint8Array(event.data as ArrayBuffer);
      if (data[0] === 0) {
        options.onStdinMessage?.(data.length);
        socket.send(concat([new Uint8Array([1]), data.subarray(1)]));
      } else if (data[0] === 0xff && data[1] === 0) {
        socket.send(concat([new Uint8Array([3]), new TextEncoder().encode(options.status)]));
        socket.close(1000);
      }
    };
    return response;
  });
  return server;
}

/** A v5-or-v4 exec WebSocket to `server` over the raw client. */
function openCatSession(server: Deno.HttpServer<Deno.NetAddr>) {
  return connectTcp("127.0.0.1", server.addr.port).then((conn) =>
    openWebSocket(conn, {
      target: "/api/v1/namespaces/default/pods/web/exec?command=cat&stdin=true&stdout=true",
      host: `127.0.0.1:${server.addr.port}`,
      protocols: [...DEFAULT_PROTOCOLS],
    })
  );
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)).toHex();
}

Deno.test("over the raw RFC 6455 client: 4 MiB through cat arrive byte-exact, then Success", async () => {
  const server = catServer({ status: '{"metadata":{},"status":"Success"}' });
  try {
    const ws = await openCatSession(server);
    assert.equal(ws.protocol, "v5.channel.k8s.io");
    const input = randomBytes(4 << 20);
    const output: Uint8Array[] = [];
    const result = await runStreamSession(ws, {
      stdin: ReadableStream.from([input.subarray(0, 3_000_000), input.subarray(3_000_000)]),
      stdout: new WritableStream({ write: (chunk) => void output.push(chunk.slice()) }),
      tty: false,
    });
    assert.equal(result.exitCode, 0);
    assert.equal(result.bytesOut, input.length);
    assert.equal(result.bytesIn, input.length);
    assert.equal(await sha256(concat(output)), await sha256(input));
    assert.equal(ws.closeInfo?.code, 1000);
  } finally {
    await server.shutdown();
  }
});

Deno.test("over the raw RFC 6455 client: a direct stdin source and a direct stdout sink move 8 MiB byte-exact", async () => {
  const server = catServer({ status: '{"metadata":{},"status":"Success"}' });
  try {
    const ws = await openCatSession(server);
    const input = randomBytes(8 << 20);
    let offset = 0;
    let reads = 0;
    // Reads of varying sizes into the session's own buffers; a buffer reused before its chunk
    // went out would change what arrives.
    const source = {
      read(buffer: Uint8Array): Promise<number | null> {
        if (offset === input.length) return Promise.resolve(null);
        const count = Math.min(buffer.length - (reads++ % 3) * 1000, input.length - offset);
        buffer.set(input.subarray(offset, offset + count));
        offset += count;
        return Promise.resolve(count);
      },
    };
    const output: Uint8Array[] = [];
    const sink = { write: (chunk: Uint8Array) => void output.push(chunk.slice()) };
    const result = await runStreamSession(ws, {
      stdin: withDirectSource(new ReadableStream<Uint8Array>(), source),
      stdout: withDirectSink(new WritableStream<Uint8Array>(), sink),
      tty: false,
    });
    assert.equal(result.exitCode, 0);
    assert.equal(result.bytesOut, input.length);
    assert.ok(reads > 100, "the direct source was used");
    assert.ok(output.length > 100, "the direct sink was used");
    assert.equal(await sha256(concat(output)), await sha256(input));
  } finally {
    await server.shutdown();
  }
});

Deno.test("over the raw RFC 6455 client: a full stdin read is two messages filling four TLS records", async () => {
  // A pipe holds 64 KiB; the session reads a little less so that the two binary messages a read
  // becomes (8-byte frame header and channel byte each) come to exactly 64 KiB on the wire: four
  // full 16 KiB TLS records, not a fifth one for a few bytes.
  const lengths: number[] = [];
  const server = catServer({
    status: '{"metadata":{},"status":"Success"}',
    onStdinMessage: (length) => lengths.push(length),
  });
  try {
    const ws = await openCatSession(server);
    let reads = 0;
    const source = {
      read(buffer: Uint8Array): Promise<number | null> {
        if (reads === 10) return Promise.resolve(null);
        reads++;
        buffer.fill(reads);
        return Promise.resolve(buffer.length);
      },
    };
    const result = await runStreamSession(ws, {
      stdin: withDirectSource(new ReadableStream<Uint8Array>(), source),
      stdout: new WritableStream(),
      tty: false,
    });
    assert.equal(result.exitCode, 0);
    assert.equal(lengths.length, 20, `messages: ${lengths.join(", ")}`);
    for (let i = 0; i < lengths.length; i += 2) {
      assert.equal((8 + lengths[i]) + (8 + lengths[i + 1]), 64 * 1024);
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("over the raw RFC 6455 client: the outcome waits for a direct sink's flush", async () => {
  const server = catServer({ status: '{"metadata":{},"status":"Success"}' });
  try {
    const ws = await openCatSession(server);
    const events: string[] = [];
    // Accepts chunks at once, as the process's write-behind stdout does, and writes them later.
    const sink = {
      write: (_chunk: Uint8Array) => void events.push("accepted"),
      flush: () =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            events.push("flushed");
            resolve();
          }, 50)
        ),
    };
    const result = await runStreamSession(ws, {
      stdin: ReadableStream.from([randomBytes(1000)]),
      stdout: withDirectSink(new WritableStream<Uint8Array>(), sink),
      tty: false,
    });
    events.push(`outcome ${result.exitCode}`);
    assert.deepEqual(events.slice(-2), ["flushed", "outcome 0"]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("over the raw RFC 6455 client: a non-zero exit code comes through", async () => {
  const status = JSON.stringify({
    metadata: {},
    status: "Failure",
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: "7" }] },
  });
  const server = catServer({ status });
  try {
    const conn = await connectTcp("127.0.0.1", server.addr.port);
    const ws = await openWebSocket(conn, {
      target: "/exec",
      host: `127.0.0.1:${server.addr.port}`,
      protocols: ["v5.channel.k8s.io"],
    });
    const result = await runStreamSession(ws, {
      stdin: ReadableStream.from([new TextEncoder().encode("x")]),
      tty: false,
    });
    assert.equal(result.exitCode, 7);
  } finally {
    await server.shutdown();
  }
});

Deno.test("over the raw RFC 6455 client: a signal ends a session whose server went silent mid-stream", async () => {
  // One stdout message, then nothing: no status, no close. The bulk receive path is waiting in a
  // read when the signal comes, and the session must not wait for that read.
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request, { protocol: "v5.channel.k8s.io" });
    socket.onopen = () => socket.send(new Uint8Array([1, 0x68, 0x69]));
    return response;
  });
  try {
    const ws = await openCatSession(server);
    const controller = new AbortController();
    const output: Uint8Array[] = [];
    const sink = {
      write: (chunk: Uint8Array) => {
        output.push(chunk.slice());
        setTimeout(() => controller.abort(), 10);
      },
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hung = new Promise<"hung">((
      resolve,
    ) => (timer = setTimeout(() => resolve("hung"), 5000)));
    const result = await Promise.race([
      runStreamSession(ws, {
        stdout: withDirectSink(new WritableStream<Uint8Array>(), sink),
        tty: false,
      }, { signal: controller.signal, closeGraceMs: 50 }),
      hung,
    ]);
    clearTimeout(timer);
    assert.notEqual(result, "hung", "the session waited for the silent server");
    assert.equal(result !== "hung" && result.ended, "signal");
    assert.deepEqual(concat(output), new Uint8Array([0x68, 0x69]));
  } finally {
    await server.shutdown();
  }
});

Deno.test("over the raw RFC 6455 client: a binary message on a base64 protocol is a ProtocolError, with a direct sink too", async () => {
  // The bulk receive takes a binary message as a channel byte and a payload; on a base64
  // protocol that would pass raw bytes off as output instead of refusing them.
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request, {
      protocol: "v4.base64.channel.k8s.io",
    });
    socket.onopen = () => {
      socket.send(Uint8Array.of(1, 0x68, 0x69));
      socket.close(1000);
    };
    return response;
  });
  try {
    const ws = await openWebSocket(await connectTcp("127.0.0.1", server.addr.port), {
      target: "/api/v1/namespaces/default/pods/web/exec?command=cat&stdout=true",
      host: `127.0.0.1:${server.addr.port}`,
      protocols: ["v4.base64.channel.k8s.io"],
    });
    const written: Uint8Array[] = [];
    const sink = { write: (chunk: Uint8Array) => void written.push(chunk.slice()) };
    await assert.rejects(
      runStreamSession(ws, {
        stdout: withDirectSink(new WritableStream<Uint8Array>(), sink),
        tty: false,
      }),
      (error: unknown) => {
        assert.ok(error instanceof ProtocolError);
        assert.match(error.message, /unexpected message type \(binary\)/);
        return true;
      },
    );
    assert.deepEqual(written, []);
  } finally {
    await server.shutdown();
  }
});
