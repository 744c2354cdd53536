/**
 * SPDY/3 pieces of the port-forward tunnel: the dictionary, header blocks (readable by a real
 * zlib inflater, and reading a real deflater's output), framing across arbitrary chunk
 * boundaries, and a client and a server connection talking over an in-memory transport: stream
 * replies, half-close, resets, pings, GOAWAY, flow control and protocol errors.
 */
import assert from "node:assert/strict";
import { constants, createDeflate, createInflate } from "node:zlib";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { SPDY3_DICTIONARY } from "../../lib/stream/spdy/dictionary.ts";
import {
  decodeHeaderPairs,
  encodeHeaderPairs,
  HeaderCompressor,
  HeaderDecompressor,
} from "../../lib/stream/spdy/header_block.ts";
import {
  encodeControlFrame,
  FrameReader,
  FrameType,
  SpdyProtocolError,
  words,
  writeDataFrameHeader,
} from "../../lib/stream/spdy/frames.ts";
import {
  SpdyConnection,
  type SpdyStream,
  SpdyStreamClosedError,
  type SpdyTransport,
} from "../../lib/stream/spdy/connection.ts";

Deno.test("spdy dictionary: the draft's 1,423 bytes", () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423);
  // sha256 of moby/spdystream's headerDictionary (spdy/dictionary.go).
  assert.equal(
    createHash("sha256").update(SPDY3_DICTIONARY).digest("hex"),
    "51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02",
  );
});

Deno.test("spdy header blocks: our stored blocks inflate with zlib, frame after frame", async () => {
  const compressor = new HeaderCompressor();
  const inflate = createInflate({ dictionary: Buffer.from(SPDY3_DICTIONARY) });
  const out: Buffer[] = [];
  inflate.on("data", (chunk: Buffer) => out.push(chunk));
  const blocks: [string, string][][] = [
    [["streamtype", "error"], ["port", "80"], ["requestid", "0"]],
    [],
    [["x", "y".repeat(70_000)]],
  ];
  for (const pairs of blocks) {
    inflate.write(compressor.compress(pairs));
    await new Promise<void>((resolve) => inflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    assert.deepEqual(decodeHeaderPairs(Buffer.concat(out.splice(0))), pairs);
  }
  inflate.destroy();
});

Deno.test("spdy header blocks: a peer's deflated blocks are read with one context", async () => {
  const deflate = createDeflate({ dictionary: Buffer.from(SPDY3_DICTIONARY) });
  const out: Buffer[] = [];
  deflate.on("data", (chunk: Buffer) => out.push(chunk));
  const decompressor = new HeaderDecompressor();
  try {
    for (const id of ["0", "1", "2"]) {
      const pairs: [string, string][] = [["streamtype", "data"], ["port", "8080"], [
        "requestid",
        id,
      ]];
      deflate.write(encodeHeaderPairs(pairs));
      await new Promise<void>((resolve) => deflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
      assert.deepEqual(await decompressor.decompress(Buffer.concat(out.splice(0))), pairs);
    }
  } finally {
    deflate.destroy();
    decompressor.close();
  }
});

Deno.test("spdy header blocks: a block that inflates past the limit stops as it grows", async () => {
  // 64 MiB of zeros deflate to about 64 KiB: a hostile server's bomb. The inflater is stopped
  // once the output passes 256 KiB (the message says so), not after holding all of it.
  const deflate = createDeflate({ dictionary: Buffer.from(SPDY3_DICTIONARY) });
  const out: Buffer[] = [];
  deflate.on("data", (chunk: Buffer) => out.push(chunk));
  const zeros = new Uint8Array(1024 * 1024);
  for (let i = 0; i < 64; i++) deflate.write(zeros);
  await new Promise<void>((resolve) => deflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
  deflate.destroy();
  const decompressor = new HeaderDecompressor();
  try {
    await assert.rejects(
      decompressor.decompress(Buffer.concat(out)),
      (error: unknown) =>
        error instanceof SpdyProtocolError &&
        /header block: larger than 262144 bytes/.test(error.message),
    );
    // The context is spent: later blocks fail too.
    await assert.rejects(decompressor.decompress(new Uint8Array([1])), SpdyProtocolError);
  } finally {
    decompressor.close();
  }
});

Deno.test("spdy header blocks: garbage and truncation are protocol errors", async () => {
  const decompressor = new HeaderDecompressor();
  try {
    await assert.rejects(
      decompressor.decompress(new Uint8Array([1, 2, 3, 4, 5, 6])),
      SpdyProtocolError,
    );
  } finally {
    decompressor.close();
  }
  assert.throws(
    () => decodeHeaderPairs(new Uint8Array([0, 0, 0, 1, 0, 0, 0, 9, 97])),
    /truncated header block/,
  );
});

function chunked(bytes: Uint8Array, size: number): () => Promise<Uint8Array | null> {
  let offset = 0;
  return () => {
    if (offset >= bytes.length) return Promise.resolve(null);
    const chunk = bytes.subarray(offset, offset + size);
    offset += size;
    return Promise.resolve(chunk);
  };
}

Deno.test("spdy frames: read across any chunk boundaries; bad input is a protocol error", async () => {
  const data = new Uint8Array(8 + 5);
  data.set(new TextEncoder().encode("hello"), 8);
  writeDataFrameHeader(data, 3, 1, 5);
  const ping = encodeControlFrame(FrameType.ping, 0, words(7));
  const stream = new Uint8Array([...data, ...ping]);
  for (const size of [1, 3, 8, 100]) {
    const reader = new FrameReader(chunked(stream, size));
    assert.deepEqual(await reader.read(), {
      kind: "data",
      streamId: 3,
      flags: 1,
      data: new TextEncoder().encode("hello"),
    });
    const control = await reader.read();
    assert.equal(control?.kind, "control");
    assert.equal(control?.kind === "control" && control.type, FrameType.ping);
    assert.equal(await reader.read(), null);
  }
  await assert.rejects(
    new FrameReader(chunked(stream.subarray(0, 5), 2)).read(),
    /stream ended inside a frame header/,
  );
  await assert.rejects(
    new FrameReader(chunked(stream.subarray(0, 10), 4)).read(),
    /stream ended inside a frame$/,
  );
  const version2 = ping.slice();
  version2[1] = 2;
  await assert.rejects(new FrameReader(chunked(version2, 64)).read(), /unsupported version 2/);
});

/** Two connected in-memory transports; `sent` counts frames by type per direction. */
function transportPair(): [SpdyTransport, SpdyTransport] {
  const make = (
    inbox: (Uint8Array | null)[],
    waiters: (() => void)[],
    peerInbox: (Uint8Array | null)[],
    peerWaiters: (() => void)[],
  ): SpdyTransport => ({
    async receive() {
      while (inbox.length === 0) await new Promise<void>((resolve) => waiters.push(resolve));
      return inbox.shift()!;
    },
    send(bytes) {
      peerInbox.push(bytes.slice());
      peerWaiters.splice(0).forEach((wake) => wake());
      return Promise.resolve();
    },
    close() {
      inbox.push(null);
      peerInbox.push(null);
      waiters.splice(0).forEach((wake) => wake());
      peerWaiters.splice(0).forEach((wake) => wake());
      return Promise.resolve();
    },
  });
  const a: (Uint8Array | null)[] = [];
  const b: (Uint8Array | null)[] = [];
  const wa: (() => void)[] = [];
  const wb: (() => void)[] = [];
  return [make(a, wa, b, wb), make(b, wb, a, wa)];
}

async function readText(stream: SpdyStream): Promise<string> {
  let text = "";
  for (let chunk = await stream.read(); chunk; chunk = await stream.read()) {
    text += new TextDecoder().decode(chunk);
  }
  return text;
}

Deno.test("spdy connection: streams, replies, half-close both ways, reset", async () => {
  const [clientSide, serverSide] = transportPair();
  const accepted: SpdyStream[] = [];
  const server = new SpdyConnection(serverSide, {
    role: "server",
    onStream(stream) {
      accepted.push(stream);
      void server.reply(stream);
    },
  });
  const client = new SpdyConnection(clientSide, { role: "client" });
  try {
    const stream = client.openStream([["streamtype", "data"], ["port", "80"]]);
    await stream.replied;
    assert.equal(stream.id, 1);
    const remote = accepted[0];
    assert.equal(remote.header("StreamType"), "data");
    await stream.write(new TextEncoder().encode("ping"));
    await stream.closeWrite();
    assert.equal(await readText(remote), "ping");
    await remote.write(new TextEncoder().encode("pong"));
    await remote.closeWrite();
    assert.equal(await readText(stream), "pong");
    assert.equal(client.streamCount, 0);

    const second = client.openStream([["streamtype", "error"]]);
    await second.replied;
    accepted[1].reset();
    assert.equal(await second.read(), null);
    assert.equal(second.resetByPeer, true);
    await assert.rejects(second.write(new Uint8Array([1])), SpdyStreamClosedError);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("spdy connection: a stream refused by a peer that accepts none fails its reply", async () => {
  const [clientSide, serverSide] = transportPair();
  const server = new SpdyConnection(serverSide, { role: "server" });
  const client = new SpdyConnection(clientSide, { role: "client" });
  try {
    const stream = client.openStream([["streamtype", "data"]]);
    await assert.rejects(stream.replied, /reset by the peer \(status 3\)/);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("spdy connection: pings are answered; GOAWAY stops new streams; closing ends all", async () => {
  const [clientSide, serverSide] = transportPair();
  const server = new SpdyConnection(serverSide, { role: "server", pingIntervalMs: 5 });
  const client = new SpdyConnection(clientSide, {
    role: "client",
    onStream: () => assert.fail("the server opens no streams"),
  });
  const received: number[] = [];
  const originalSend = clientSide.send;
  clientSide.send = (bytes) => {
    if (bytes[0] === 0x80 && bytes[3] === FrameType.ping) received.push(bytes[11]);
    return originalSend(bytes);
  };
  try {
    while (received.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    // The client echoes the server's even ids.
    assert.deepEqual(received.slice(0, 2), [2, 4]);
    const open = client.openStream([["streamtype", "data"]]);
    await server.close();
    assert.match((await client.closed).message, /ended|closed/);
    assert.equal(await open.read(), null);
    assert.throws(() => client.openStream([]), /cannot open a stream/);
  } finally {
    await client.close();
  }
});

Deno.test("spdy connection: a peer that keeps windows is never overrun", async () => {
  const [clientSide, serverSide] = transportPair();
  const accepted: SpdyStream[] = [];
  const server = new SpdyConnection(serverSide, {
    role: "server",
    onStream(stream) {
      accepted.push(stream);
      void server.reply(stream);
    },
  });
  const client = new SpdyConnection(clientSide, { role: "client" });
  try {
    const stream = client.openStream([["streamtype", "data"]]);
    await stream.replied;
    // The server announced a 256 KiB window and acknowledges as it reads: a 2 MiB write
    // completes only because the reader keeps reading.
    assert.equal(client.peerKeepsWindows, true);
    let writing = true;
    const write = stream.write(new Uint8Array(2 * 1024 * 1024)).then(() => writing = false);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(writing, true, "the writer waits for the window");
    let total = 0;
    while (total < 2 * 1024 * 1024) total += (await accepted[0].read())!.length;
    await write;
    assert.equal(total, 2 * 1024 * 1024);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("spdy connection: garbage from the peer ends the connection with the reason", async () => {
  const [clientSide, serverSide] = transportPair();
  const client = new SpdyConnection(clientSide, { role: "client" });
  await serverSide.send(new Uint8Array([0x80, 0x09, 0, 1, 0, 0, 0, 0]));
  assert.match((await client.closed).message, /unsupported version 9/);
  await client.close();
  await serverSide.close();
});
