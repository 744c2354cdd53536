/**
 * Raw-socket tests of the fake API server's streaming side: negotiation, framing of every
 * protocol, status messages, v5 CLOSE, base64, TTY resize, attach, port-forward, strictness
 * towards clients, back-pressure and the stream faults.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type FakeApiServer,
  type FakeServerOptions,
  startFakeApiServer,
} from "../support/fake_apiserver.ts";
import {
  channelBytes,
  channelText,
  execPath,
  framesOf,
  type RawFrame,
  rawRequest,
} from "./raw_client.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The transport of the test that runs now (tests in one file run one after another). */
let transport: "node" | "deno" = "node";

/** Registers a test once per server transport. */
function test(name: string, fn: () => Promise<void>): void {
  for (const variant of ["node", "deno"] as const) {
    Deno.test(`${name} [${variant}]`, async () => {
      transport = variant;
      await fn();
    });
  }
}

async function withServer(
  options: FakeServerOptions,
  test: (server: FakeApiServer) => Promise<void>,
): Promise<void> {
  const server = await startFakeApiServer({
    pods: [{ name: "web-0", containers: [{ name: "app" }] }],
    transport,
    ...options,
  });
  try {
    await test(server);
  } finally {
    await server.close();
  }
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}

function closeCode(frames: RawFrame[]): number | undefined {
  const close = frames.find((f) => f.opcode === 8);
  return close ? (close.data[0] << 8) | close.data[1] : undefined;
}

const SUCCESS = '{"metadata":{},"status":"Success"}';

test("v5: ready marker, stdout, Success status, close 1000", async () => {
  await withServer({}, async (server) => {
    const res = await rawRequest(
      server,
      execPath("web-0", ["echo", "hi"], { stdout: true, stderr: true }),
      {
        protocols: ["v5.channel.k8s.io"],
      },
    );
    assert.equal(res.status, 101);
    assert.equal(res.headers.get("sec-websocket-protocol"), "v5.channel.k8s.io");
    assert.equal(res.headers.get("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    const frames = await res.ws!.all();
    res.ws!.close();
    assert.equal(hex(frames[0].data), "01");
    assert.equal(hex(frames[1].data), "01 68 69 0a");
    assert.equal(channelText(frames, 3), SUCCESS);
    assert.equal(closeCode(frames), 1000);
    assert.ok(frames.every((f) => f.fin));
  });
});

test("v5: non-zero exit is NonZeroExitCode with an ExitCode cause", async () => {
  await withServer({}, async (server) => {
    const frames = await framesOf(
      server,
      execPath("web-0", ["sh", "-c", "exit 3"], { stdout: true }),
      ["v5.channel.k8s.io"],
    );
    assert.equal(
      channelText(frames, 3),
      '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: ' +
        'command terminated with exit code 3","reason":"NonZeroExitCode","details":{"causes":' +
        '[{"reason":"ExitCode","message":"3"}]}}',
    );
    assert.equal(server.requests.at(-1)!.session!.exitCode, 3);
  });
});

test("v5: stdin then FF 00 half-close lets cat finish", async () => {
  await withServer({}, async (server) => {
    const res = await rawRequest(
      server,
      execPath("web-0", ["cat"], { stdin: true, stdout: true, stderr: true }),
      { protocols: ["v5.channel.k8s.io"] },
    );
    const ws = res.ws!;
    await ws.send(new Uint8Array([0, ...enc.encode("hello\n")]));
    await ws.send(new Uint8Array([255, 0]));
    const frames = await ws.all();
    ws.close();
    assert.equal(channelText(frames, 1), "hello\n");
    assert.equal(channelText(frames, 3), SUCCESS);
    const log = server.requests.at(-1)!.session!;
    assert.equal(log.stdinBytes, 6);
    assert.equal(log.stdinClosed, true);
  });
});

test("v5: stderr on channel 2, ready marker on stderr when stdout is off", async () => {
  await withServer({}, async (server) => {
    const frames = await framesOf(
      server,
      execPath("web-0", ["sh", "-c", "echo oops >&2"], { stderr: true }),
      ["v5.channel.k8s.io"],
    );
    assert.equal(hex(frames[0].data), "02");
    assert.equal(channelText(frames, 2), "oops\n");
  });
});

test("negotiation: translator picks v5 wherever it is offered; kubelet follows client order", async () => {
  await withServer({}, async (server) => {
    const a = await rawRequest(server, execPath("web-0", ["true"], { stdout: true }), {
      protocols: ["v4.channel.k8s.io", "v5.channel.k8s.io"],
    });
    a.ws!.close();
    assert.equal(a.headers.get("sec-websocket-protocol"), "v5.channel.k8s.io");
    const b = await rawRequest(server, execPath("web-0", ["true"], { stdout: true }), {
      protocols: ["bogus", "base64.channel.k8s.io", "v4.channel.k8s.io"],
    });
    b.ws!.close();
    assert.equal(b.headers.get("sec-websocket-protocol"), "base64.channel.k8s.io");
    const c = await rawRequest(server, execPath("web-0", ["true"], { stdout: true }));
    c.ws!.close();
    assert.equal(c.headers.get("sec-websocket-protocol"), "");
  });
});

test("negotiation: no supported subprotocol is a bare 403 with an empty body", async () => {
  await withServer({ protocols: { translator: false } }, async (server) => {
    const res = await rawRequest(server, execPath("web-0", ["true"], { stdout: true }), {
      protocols: ["v5.channel.k8s.io"],
    });
    assert.equal(res.statusLine, "HTTP/1.1 403 Forbidden");
    assert.equal(res.body, "");
    assert.equal([...res.headers.keys()].length, 0);
  });
});

test("negotiation: a v5-only server refuses v4", async () => {
  await withServer({ protocols: { kubelet: [] } }, async (server) => {
    const res = await rawRequest(server, execPath("web-0", ["true"], { stdout: true }), {
      protocols: ["v4.channel.k8s.io"],
    });
    assert.equal(res.status, 403);
    assert.equal(res.body, "");
  });
});

test("v4: JSON status with the CRI server's wording; no half-close", async () => {
  await withServer({ protocols: { translator: false } }, async (server) => {
    const res = await rawRequest(
      server,
      execPath("web-0", ["sh", "-c", "exit 2"], { stdout: true }),
      {
        protocols: ["v5.channel.k8s.io", "v4.channel.k8s.io"],
      },
    );
    assert.equal(res.headers.get("sec-websocket-protocol"), "v4.channel.k8s.io");
    const frames = await res.ws!.all();
    res.ws!.close();
    const status = JSON.parse(channelText(frames, 3));
    assert.equal(
      status.message,
      "command terminated with non-zero exit code: error executing command [sh -c exit 2], exit code 2",
    );
    assert.deepEqual(status.details, { causes: [{ reason: "ExitCode", message: "2" }] });
  });
});

test("v4: FF 00 is just an unknown channel, so cat keeps waiting until the client closes", async () => {
  await withServer({}, async (server) => {
    const res = await rawRequest(
      server,
      execPath("web-0", ["cat"], { stdin: true, stdout: true }),
      {
        protocols: ["v4.channel.k8s.io"],
      },
    );
    const ws = res.ws!;
    assert.equal(hex((await ws.next())!.data), "01");
    await ws.send(new Uint8Array([0, ...enc.encode("x\n")]));
    assert.equal(dec.decode((await ws.next())!.data.subarray(1)), "x\n");
    await ws.send(new Uint8Array([255, 0]));
    await ws.send(new Uint8Array([0, ...enc.encode("y\n")]));
    assert.equal(dec.decode((await ws.next())!.data.subarray(1)), "y\n");
    await ws.sendClose(1000);
    const rest = await ws.all();
    ws.close();
    assert.equal(closeCode(rest), 1000);
    await server.requests.at(-1)!.session!.done;
    assert.equal(server.requests.at(-1)!.session!.stdinClosed, false);
  });
});

test("channel.k8s.io: nothing on channel 3 on success, plain text on failure", async () => {
  await withServer({}, async (server) => {
    const okFrames = await framesOf(server, execPath("web-0", ["true"], { stdout: true }), [
      "channel.k8s.io",
    ]);
    assert.equal(okFrames.filter((f) => f.opcode === 2 && f.data[0] === 3).length, 0);
    const badFrames = await framesOf(server, execPath("web-0", ["false"], { stdout: true }), [
      "channel.k8s.io",
    ]);
    assert.equal(
      channelText(badFrames, 3),
      "command terminated with non-zero exit code: error executing command [false], exit code 1",
    );
  });
});

test("base64.channel.k8s.io: text frames, '1' marker, padded base64, base64 stdin", async () => {
  await withServer({}, async (server) => {
    const res = await rawRequest(
      server,
      execPath("web-0", ["cat"], { stdin: true, stdout: true }),
      {
        protocols: ["base64.channel.k8s.io"],
      },
    );
    const ws = res.ws!;
    const marker = (await ws.next())!;
    assert.equal(marker.opcode, 1);
    assert.equal(dec.decode(marker.data), "1");
    await ws.sendText("0" + enc.encode("hi\n").toBase64());
    const echoed = (await ws.next())!;
    assert.equal(echoed.opcode, 1);
    assert.equal(dec.decode(echoed.data), "1aGkK");
    await ws.sendClose();
    await ws.all();
    ws.close();
  });
});

test("v4.base64.channel.k8s.io: status is base64 JSON on '3'", async () => {
  await withServer({}, async (server) => {
    const frames = await framesOf(server, execPath("web-0", ["true"], { stdout: true }), [
      "v4.base64.channel.k8s.io",
    ]);
    const status = frames.find((f) => f.opcode === 1 && f.data[0] === 0x33)!;
    assert.equal(dec.decode(Uint8Array.fromBase64(dec.decode(status.data.subarray(1)))), SUCCESS);
  });
});

test("missing binary: InternalError, double-wrapped through the v5 translator", async () => {
  await withServer({}, async (server) => {
    const frames = await framesOf(server, execPath("web-0", ["no-such-binary"], { stdout: true }), [
      "v5.channel.k8s.io",
    ]);
    const status = JSON.parse(channelText(frames, 3));
    assert.equal(status.reason, "InternalError");
    assert.equal(status.code, 500);
    assert.match(
      status.message,
      /^Internal error occurred: Internal error occurred: error executing command in container: .*exec: "no-such-binary": executable file not found in \$PATH: unknown$/,
    );
    const v4Frames = await framesOf(
      server,
      execPath("web-0", ["no-such-binary"], { stdout: true }),
      ["v4.channel.k8s.io"],
    );
    assert.match(
      JSON.parse(channelText(v4Frames, 3)).message,
      /^Internal error occurred: error executing command in container:/,
    );
  });
});

test("container in the spec but not started: container not found after the upgrade", async () => {
  await withServer({
    pods: [{ name: "web-0", containers: [{ name: "app", running: false }] }],
  }, async (server) => {
    const frames = await framesOf(server, execPath("web-0", ["true"], { stdout: true }), [
      "v5.channel.k8s.io",
    ]);
    assert.equal(
      channelText(frames, 3),
      '{"metadata":{},"status":"Failure","message":"Internal error occurred: unable to upgrade ' +
        'connection: container not found (\\"app\\")","reason":"InternalError","details":{"causes":' +
        '[{"message":"unable to upgrade connection: container not found (\\"app\\")"}]},"code":500}',
    );
  });
});

test("exec runs in the pod's directory with HOSTNAME set", async () => {
  await withServer({}, async (server) => {
    const res = await rawRequest(
      server,
      execPath("web-0", ["sh", "-c", 'echo "$HOSTNAME"; pwd'], { stdout: true }),
      { protocols: ["v5.channel.k8s.io"] },
    );
    const frames = await res.ws!.all();
    res.ws!.close();
    assert.equal(channelText(frames, 1), `web-0\n${await server.podDir("default", "web-0")}\n`);
  });
});

test("built-ins: __kubexec_generate counter bytes and __kubexec_sink's count and sha256", async () => {
  await withServer({}, async (server) => {
    const frames = await framesOf(
      server,
      execPath("web-0", ["__kubexec_generate", "100000", "counter"], { stdout: true }),
      ["v5.channel.k8s.io"],
    );
    const bytes = channelBytes(frames, 1);
    assert.equal(bytes.length, 100000);
    assert.ok(bytes.every((b, i) => b === (i & 0xff)));
    assert.ok(frames.every((f) => f.data.length <= 32 * 1024 + 1));
    const sink = await rawRequest(
      server,
      execPath("web-0", ["__kubexec_sink"], { stdin: true, stdout: true }),
      { protocols: ["v5.channel.k8s.io"] },
    );
    await sink.ws!.send(new Uint8Array([0, ...enc.encode("abc")]));
    await sink.ws!.send(new Uint8Array([255, 0]));
    const sinkFrames = await sink.ws!.all();
    sink.ws!.close();
    assert.equal(
      channelText(sinkFrames, 1),
      "3 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n",
    );
  });
});

test("tty: the initial resize sizes the terminal, later resizes reach stty size", async () => {
  await withServer({}, async (server) => {
    const res = await rawRequest(
      server,
      execPath("web-0", ["sh", "-c", "stty size; read line; stty size"], {
        stdin: true,
        stdout: true,
        tty: true,
      }),
      { protocols: ["v5.channel.k8s.io"] },
    );
    const ws = res.ws!;
    await ws.send(new Uint8Array([4, ...enc.encode('{"Width":100,"Height":30}\n')]));
    let output = "";
    while (!output.includes("30 100")) {
      const frame = (await ws.next())!;
      if (frame.data[0] === 1) output += dec.decode(frame.data.subarray(1));
    }
    await ws.send(new Uint8Array([4, ...enc.encode('{"Width":120,"Height":40}\n')]));
    // The resize is applied asynchronously; the line typed next runs the second `stty size`.
    while (server.requests.at(-1)!.session!.resizes.length < 2) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    await ws.send(new Uint8Array([0, ...enc.encode("\n")]));
    const frames = await ws.all();
    ws.close();
    output += channelText(frames, 1);
    assert.match(output, /30 100\r\n[\s\S]*40 120\r\n/);
    assert.deepEqual(server.requests.at(-1)!.session!.resizes, [
      { width: 100, height: 30 },
      { width: 120, height: 40 },
    ]);
    assert.equal(channelText(frames, 3), SUCCESS);
  });
});

test("strictness: fragmented and unmasked client frames are recorded protocol errors", async () => {
  await withServer({}, async (server) => {
    const a = await rawRequest(server, execPath("web-0", ["cat"], { stdin: true, stdout: true }), {
      protocols: ["v5.channel.k8s.io"],
    });
    await a.ws!.send(new Uint8Array([0, 1, 2]), { fin: false });
    const aFrames = await a.ws!.all();
    a.ws!.close();
    assert.equal(closeCode(aFrames), 1002);
    await server.requests.at(-1)!.session!.done;
    assert.match(server.requests.at(-1)!.session!.protocolErrors[0], /fragmented/);
    const b = await rawRequest(server, execPath("web-0", ["cat"], { stdin: true, stdout: true }), {
      protocols: ["v5.channel.k8s.io"],
    });
    await b.ws!.send(new Uint8Array([0, 1, 2]), { mask: false });
    const bFrames = await b.ws!.all();
    b.ws!.close();
    assert.equal(closeCode(bFrames), 1002);
    await server.requests.at(-1)!.session!.done;
    assert.match(server.requests.at(-1)!.session!.protocolErrors[0], /not masked/);
  });
});

test("v5: a CLOSE message of the wrong length tears the session down", async () => {
  await withServer({}, async (server) => {
    const res = await rawRequest(
      server,
      execPath("web-0", ["cat"], { stdin: true, stdout: true }),
      {
        protocols: ["v5.channel.k8s.io"],
      },
    );
    await res.ws!.send(new Uint8Array([255, 0, 0]));
    const frames = await res.ws!.all();
    res.ws!.close();
    assert.equal(channelBytes(frames, 3).length, 0);
    await server.requests.at(-1)!.session!.done;
    assert.match(server.requests.at(-1)!.session!.protocolErrors[0], /invalid CLOSE/);
  });
});

test("client pings are answered with pongs carrying the same payload", async () => {
  await withServer({}, async (server) => {
    const res = await rawRequest(
      server,
      execPath("web-0", ["cat"], { stdin: true, stdout: true }),
      {
        protocols: ["v5.channel.k8s.io"],
      },
    );
    const ws = res.ws!;
    await ws.next();
    await ws.send(enc.encode("beat"), { opcode: 9 });
    const pong = (await ws.next())!;
    assert.equal(pong.opcode, 10);
    assert.equal(dec.decode(pong.data), "beat");
    await ws.send(new Uint8Array([255, 0]));
    await ws.all();
    ws.close();
    assert.equal(server.requests.at(-1)!.session!.pingsReceived, 1);
  });
});

test("back-pressure: an unread stream stops the producer", async () => {
  await withServer({}, async (server) => {
    const total = 1024 * 1024 * 1024;
    const res = await rawRequest(
      server,
      execPath("web-0", ["__kubexec_generate", String(total)], { stdout: true }),
      { protocols: ["v5.channel.k8s.io"] },
    );
    const log = server.requests.at(-1)!.session!;
    let previous = -1;
    while (log.outputBytes !== previous) {
      previous = log.outputBytes;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(log.outputBytes < 256 * 1024 * 1024, `sent ${log.outputBytes} bytes unread`);
    res.ws!.close();
    await log.done;
  });
});

test("attach: output is broadcast, stdin reaches the main process, Success when it exits", async () => {
  await withServer({
    pods: [{
      name: "web-0",
      containers: [{
        name: "app",
        stdin: true,
        command: ["sh", "-c", 'while read l; do echo "got $l"; [ "$l" = quit ] && exit 0; done'],
      }],
    }],
  }, async (server) => {
    const path = execPath("web-0", [], { stdin: true, stdout: true, stderr: true }, "attach");
    const first = await rawRequest(server, path, { protocols: ["v5.channel.k8s.io"] });
    assert.equal(hex((await first.ws!.next())!.data), "01");
    const second = await rawRequest(server, path, { protocols: ["v5.channel.k8s.io"] });
    assert.equal(hex((await second.ws!.next())!.data), "01");
    while (!server.requests.at(-1)!.session) await new Promise((r) => setTimeout(r, 10));
    await first.ws!.send(new Uint8Array([0, ...enc.encode("one\n")]));
    assert.equal(dec.decode((await first.ws!.next())!.data.subarray(1)), "got one\n");
    assert.equal(dec.decode((await second.ws!.next())!.data.subarray(1)), "got one\n");
    await second.ws!.send(new Uint8Array([0, ...enc.encode("quit\n")]));
    const a = await first.ws!.all();
    const b = await second.ws!.all();
    first.ws!.close();
    second.ws!.close();
    assert.equal(channelText(a, 1), "got quit\n");
    assert.equal(channelText(a, 3), SUCCESS);
    assert.equal(channelText(b, 3), SUCCESS);
  });
});

test("port-forward: port prefixes, bytes both ways, close after the pod side ends", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const echo = (async () => {
    const conn = await listener.accept();
    const buffer = new Uint8Array(1024);
    const n = (await conn.read(buffer))!;
    await conn.write(enc.encode(`echo:${dec.decode(buffer.subarray(0, n))}`));
    conn.close();
  })();
  try {
    await withServer({
      pods: [{
        name: "web-0",
        containers: [{ name: "app" }],
        portMap: { 8080: listener.addr.port },
      }],
    }, async (server) => {
      const res = await rawRequest(
        server,
        "/api/v1/namespaces/default/pods/web-0/portforward?ports=8080,9090",
        { protocols: ["v4.channel.k8s.io"] },
      );
      assert.equal(res.headers.get("sec-websocket-protocol"), "v4.channel.k8s.io");
      const ws = res.ws!;
      const prefixes = [];
      for (let i = 0; i < 4; i++) prefixes.push(hex((await ws.next())!.data));
      assert.deepEqual(prefixes, ["00 90 1f", "01 90 1f", "02 82 23", "03 82 23"]);
      await ws.send(new Uint8Array([0, ...enc.encode("ping")]));
      const frames = await ws.all();
      ws.close();
      assert.equal(channelText(frames, 0), "echo:ping");
      assert.match(
        channelText(frames, 3),
        /^error forwarding port 9090 to pod [0-9a-f]+, uid : .*connect: connection refused/,
      );
      assert.equal(closeCode(frames), 1000);
    });
  } finally {
    await echo;
    listener.close();
  }
});

test("port-forward: base64 prefix frames, and channel.k8s.io is refused", async () => {
  await withServer({}, async (server) => {
    const frames = await framesOf(
      server,
      "/api/v1/namespaces/default/pods/web-0/portforward?ports=8080",
      ["v4.base64.channel.k8s.io"],
    );
    assert.deepEqual(frames.slice(0, 2).map((f) => dec.decode(f.data)), ["0kB8=", "1kB8="]);
    const refused = await rawRequest(
      server,
      "/api/v1/namespaces/default/pods/web-0/portforward?ports=8080",
      { protocols: ["channel.k8s.io"] },
    );
    assert.equal(refused.status, 403);
    const missing = await rawRequest(server, "/api/v1/namespaces/default/pods/web-0/portforward", {
      protocols: ["v4.channel.k8s.io"],
    });
    assert.equal(missing.status, 400);
  });
});

test("faults: closeAfterBytes drops the connection without status or close frame", async () => {
  await withServer({}, async (server) => {
    server.faults.next({ kind: "closeAfterBytes", bytes: 5000 });
    const frames = await framesOf(
      server,
      execPath("web-0", ["__kubexec_generate", "100000"], { stdout: true }),
      ["v5.channel.k8s.io"],
    );
    assert.equal(channelBytes(frames, 1).length, 5000);
    assert.equal(closeCode(frames), undefined);
    assert.equal(channelBytes(frames, 3).length, 0);
  });
});

test("faults: stallAfterBytes stops sending but keeps the connection", async () => {
  await withServer({}, async (server) => {
    server.faults.next({ kind: "stallAfterBytes", bytes: 10 });
    const res = await rawRequest(
      server,
      execPath("web-0", ["__kubexec_generate", "100000"], { stdout: true }),
      { protocols: ["v5.channel.k8s.io"] },
    );
    const ws = res.ws!;
    assert.equal((await ws.next())!.data.length, 1);
    assert.equal((await ws.next())!.data.length, 11);
    const log = server.requests.at(-1)!.session!;
    assert.equal(log.outputBytes, 10);
    ws.close();
    await log.done;
  });
});

test("faults: truncated frame, oversized frame, unknown channel, missing status, text frames", async () => {
  await withServer({}, async (server) => {
    const run = async () => {
      const frames = await framesOf(server, execPath("web-0", ["echo", "hi"], { stdout: true }), [
        "v5.channel.k8s.io",
      ]);
      return frames;
    };
    server.faults.next({ kind: "truncatedFrame" });
    const truncated = await run();
    assert.equal(truncated.length, 1);
    server.faults.next({ kind: "oversizedFrame", bytes: 1 << 20 });
    const oversized = await run();
    assert.equal(oversized[1].data.length, (1 << 20) + 1);
    server.faults.next({ kind: "unknownChannel", channel: 9 });
    const unknown = await run();
    assert.equal(unknown[1].data[0], 9);
    server.faults.next({ kind: "missingStatus" });
    const missing = await run();
    assert.equal(channelBytes(missing, 3).length, 0);
    assert.equal(closeCode(missing), 1000);
    server.faults.next({ kind: "textFrames" });
    const text = await run();
    assert.ok(text.filter((f) => f.opcode !== 8).every((f) => f.opcode === 1));
  });
});

test("faults: server pings, HTTP status and HTML bodies, refuseV5, upgradeRequired", async () => {
  await withServer({}, async (server) => {
    server.faults.next({ kind: "ping", intervalMs: 20 });
    const pingedFrames = await framesOf(
      server,
      execPath("web-0", ["sleep", "0.2"], { stdout: true }),
      ["v5.channel.k8s.io"],
    );
    assert.ok(pingedFrames.some((f) => f.opcode === 9));
    server.faults.next({ kind: "status", code: 500 });
    const failed = await rawRequest(server, execPath("web-0", ["true"], { stdout: true }), {
      protocols: ["v5.channel.k8s.io"],
    });
    assert.equal(failed.status, 500);
    assert.equal(JSON.parse(failed.body).reason, "InternalError");
    server.faults.next({ kind: "html", code: 502 });
    const html = await rawRequest(server, execPath("web-0", ["true"], { stdout: true }), {
      protocols: ["v5.channel.k8s.io"],
    });
    assert.equal(html.status, 502);
    assert.match(html.headers.get("content-type")!, /text\/html/);
    server.faults.next({ kind: "refuseV5" });
    const old = await rawRequest(server, execPath("web-0", ["true"], { stdout: true }), {
      protocols: ["v5.channel.k8s.io"],
    });
    assert.equal(old.status, 403);
    assert.equal(old.body, "");
    server.faults.next({ kind: "upgradeRequired" });
    const dropped = await rawRequest(server, execPath("web-0", ["true"], { stdout: true }), {
      protocols: ["v5.channel.k8s.io"],
    });
    assert.equal(dropped.status, 400);
    assert.equal(
      dropped.body,
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Upgrade request required","reason":"BadRequest","code":400}',
    );
    const healthy = await rawRequest(server, execPath("web-0", ["true"], { stdout: true }), {
      protocols: ["v5.channel.k8s.io"],
    });
    await healthy.ws!.all();
    healthy.ws!.close();
    assert.equal(healthy.status, 101);
  });
});

test("pod deletion kills running exec processes (exit 137) and ends port-forwards", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  try {
    await withServer({
      pods: [{ name: "web-0", containers: [{ name: "app" }], portMap: { 80: listener.addr.port } }],
    }, async (server) => {
      const exec = await rawRequest(server, execPath("web-0", ["sleep", "60"], { stdout: true }), {
        protocols: ["v5.channel.k8s.io"],
      });
      const forward = await rawRequest(
        server,
        "/api/v1/namespaces/default/pods/web-0/portforward?ports=80",
        {
          protocols: ["v4.channel.k8s.io"],
        },
      );
      const podSide = await accepted;
      for (let i = 0; i < 2; i++) await forward.ws!.next();
      await exec.ws!.next();
      server.pods.remove("default", "web-0");
      const execFrames = await exec.ws!.all();
      exec.ws!.close();
      assert.equal(JSON.parse(channelText(execFrames, 3)).details.causes[0].message, "137");
      const forwardFrames = await forward.ws!.all();
      forward.ws!.close();
      assert.equal(closeCode(forwardFrames), 1000);
      podSide.close();
    });
  } finally {
    listener.close();
  }
});

test("attach to a TTY container: resize reaches the main process", async () => {
  await withServer({
    pods: [{
      name: "web-0",
      containers: [{
        name: "app",
        stdin: true,
        tty: true,
        command: ["sh", "-c", "while read l; do stty size; done"],
      }],
    }],
  }, async (server) => {
    const res = await rawRequest(
      server,
      execPath("web-0", [], { stdin: true, stdout: true, tty: true }, "attach"),
      { protocols: ["v5.channel.k8s.io"] },
    );
    const ws = res.ws!;
    await ws.send(new Uint8Array([4, ...enc.encode('{"Width":90,"Height":20}\n')]));
    await ws.send(new Uint8Array([0, ...enc.encode("\n")]));
    let output = "";
    while (!output.includes("20 90")) {
      const frame = (await ws.next())!;
      if (frame.data[0] === 1) output += dec.decode(frame.data.subarray(1));
    }
    ws.close();
    await server.requests.at(-1)!.session!.done;
  });
});

test("a non-GET WebSocket upgrade gets the Go server's bare 405", async () => {
  await withServer({}, async (server) => {
    const res = await rawRequest(server, execPath("web-0", ["true"], { stdout: true }), {
      method: "POST",
      protocols: ["v5.channel.k8s.io"],
    });
    assert.equal(res.statusLine, "HTTP/1.1 405 Method Not Allowed");
    assert.equal(res.body, "");
  });
});

test("stdin larger than the pipe buffers, sent before the process starts, reaches cat", async () => {
  await withServer({}, async (server) => {
    // Sent right behind the upgrade request, so it is all kept before `cat` exists.
    const early: Uint8Array[] = [];
    for (let i = 0; i < 16; i++) early.push(new Uint8Array(32 * 1024 + 1).fill(i, 1));
    early.push(new Uint8Array([255, 0]));
    const res = await rawRequest(
      server,
      execPath("web-0", ["cat"], { stdin: true, stdout: true }),
      { protocols: ["v5.channel.k8s.io"], earlyMessages: early },
    );
    const frames = await res.ws!.all();
    res.ws!.close();
    const bytes = channelBytes(frames, 1);
    assert.equal(bytes.length, 16 * 32 * 1024);
    assert.equal(bytes[bytes.length - 1], 15);
    assert.equal(channelText(frames, 3), SUCCESS);
  });
});
