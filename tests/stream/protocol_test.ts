import assert from "node:assert/strict";
import {
  Channel,
  DEFAULT_PROTOCOLS,
  MAX_MESSAGE_BYTES,
  negotiatedProtocol,
  protocolHandler,
  SUPPORTED_PROTOCOLS,
} from "../../lib/stream/protocol.ts";
import { ProtocolError } from "../../lib/stream/errors.ts";
import { randomBytes } from "./bytes.ts";

const text = (s: string) => new TextEncoder().encode(s);
const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
const BINARY = ["v5.channel.k8s.io", "v4.channel.k8s.io", "channel.k8s.io"];
const BASE64 = ["v4.base64.channel.k8s.io", "base64.channel.k8s.io"];

Deno.test("the supported list has exactly the five WebSocket protocols; v5 and v4 are offered", () => {
  assert.deepEqual([...SUPPORTED_PROTOCOLS].sort(), [...BINARY, ...BASE64].sort());
  assert.deepEqual(DEFAULT_PROTOCOLS, ["v5.channel.k8s.io", "v4.channel.k8s.io"]);
});

Deno.test("unknown or empty protocol names are a ProtocolError naming what is supported", () => {
  for (const name of ["v3.channel.k8s.io", "v5.base64.channel.k8s.io", ""]) {
    assert.throws(() => protocolHandler(name), (error: unknown) => {
      assert.ok(error instanceof ProtocolError);
      assert.equal(error.protocol, name);
      assert.match(error.message, /not supported; kubexec speaks v5\.channel\.k8s\.io/);
      return true;
    });
  }
  assert.throws(() => protocolHandler(""), /^ProtocolError: no subprotocol is not supported/);
});

Deno.test("negotiatedProtocol refuses a choice that was not offered", () => {
  assert.equal(
    negotiatedProtocol(DEFAULT_PROTOCOLS, "v5.channel.k8s.io").name,
    "v5.channel.k8s.io",
  );
  assert.throws(
    () => negotiatedProtocol(DEFAULT_PROTOCOLS, "channel.k8s.io"),
    /the server chose subprotocol "channel.k8s.io", but kubexec offered v5.channel.k8s.io, v4/,
  );
  assert.throws(() => negotiatedProtocol(DEFAULT_PROTOCOLS, ""), /the server chose no subprotocol/);
});

Deno.test("binary protocols frame stdin 'ls\\n' as 00 6C 73 0A and decode stdout", () => {
  for (const name of BINARY) {
    const handler = protocolHandler(name);
    assert.equal(handler.binary, true);
    assert.equal(handler.statusFormat, name === "channel.k8s.io" ? "error-text" : "status-json");
    const messages = [...handler.encode(Channel.stdin, text("ls\n"))];
    assert.deepEqual(messages.map(hex), ["00 6c 73 0a"]);
    const frame = handler.decode({ binary: true, data: new Uint8Array([1, 0x68, 0x69, 0x0a]) });
    assert.equal(frame.channel, 1);
    assert.deepEqual(frame.data, text("hi\n"));
    assert.deepEqual(handler.decode({ binary: true, data: new Uint8Array([1]) }).data.length, 0);
  }
});

Deno.test("only v5 half-closes, with exactly FF 00", () => {
  assert.equal(hex(protocolHandler("v5.channel.k8s.io").encodeClose(0)), "ff 00");
  for (const name of SUPPORTED_PROTOCOLS.filter((n) => n !== "v5.channel.k8s.io")) {
    const handler = protocolHandler(name);
    assert.equal(handler.canHalfClose, false);
    assert.throws(() => handler.encodeClose(0), (error: unknown) => {
      assert.ok(error instanceof ProtocolError);
      assert.match(error.message, /cannot half-close a channel/);
      return true;
    });
  }
});

Deno.test("resize 80x24 frames as 04 + JSON + 0A on binary protocols", async () => {
  const { encodeTerminalSize } = await import("../../lib/stream/resize.ts");
  const [message] = protocolHandler("v5.channel.k8s.io").encode(
    4,
    encodeTerminalSize({
      width: 80,
      height: 24,
    }),
  );
  assert.equal(message[0], 4);
  assert.equal(new TextDecoder().decode(message.subarray(1)), '{"Width":80,"Height":24}\n');
});

Deno.test("binary encode splits large payloads into messages of at most 32 KiB, byte-exact", () => {
  const handler = protocolHandler("v5.channel.k8s.io");
  const payload = randomBytes(100_000);
  const messages = [...handler.encode(0, payload)];
  assert.equal(messages.length, Math.ceil(payload.length / (MAX_MESSAGE_BYTES - 1)));
  for (const message of messages) {
    assert.ok(message.length <= MAX_MESSAGE_BYTES);
    assert.equal(message[0], 0);
  }
  const joined = new Uint8Array(payload.length);
  let offset = 0;
  for (const message of messages) {
    joined.set(message.subarray(1), offset);
    offset += message.length - 1;
  }
  assert.deepEqual(joined, payload);
});

Deno.test("an empty payload still yields one message with the channel alone", () => {
  assert.deepEqual([...protocolHandler("v4.channel.k8s.io").encode(1, new Uint8Array())].map(hex), [
    "01",
  ]);
  assert.deepEqual(
    [...protocolHandler("base64.channel.k8s.io").encode(1, new Uint8Array())].map((m) =>
      new TextDecoder().decode(m)
    ),
    ["1"],
  );
});

Deno.test("binary protocols reject text messages, empty messages and unsendable channels", () => {
  const handler = protocolHandler("v5.channel.k8s.io");
  assert.throws(
    () => handler.decode({ binary: false, data: text("1aGkK") }),
    /unexpected message type \(text\) on v5\.channel\.k8s\.io/,
  );
  assert.throws(
    () => handler.decode({ binary: true, data: new Uint8Array() }),
    /empty message without a channel/,
  );
  assert.throws(() => [...handler.encode(255, text("x"))], /channel 255 cannot be sent/);
  assert.throws(() => [...handler.encode(-1, text("x"))], ProtocolError);
});

Deno.test("base64 protocols: stdin 'ls\\n' is text 0bHMK, stdout 1aGkK decodes to 'hi\\n'", () => {
  for (const name of BASE64) {
    const handler = protocolHandler(name);
    assert.equal(handler.binary, false);
    assert.equal(
      handler.statusFormat,
      name === "base64.channel.k8s.io" ? "error-text" : "status-json",
    );
    const [message] = handler.encode(0, text("ls\n"));
    assert.equal(new TextDecoder().decode(message), "0bHMK");
    const frame = handler.decode({ binary: false, data: text("1aGkK") });
    assert.equal(frame.channel, 1);
    assert.deepEqual(frame.data, text("hi\n"));
    assert.equal(handler.decode({ binary: false, data: text("1") }).data.length, 0);
    const resize = handler.decode({ binary: false, data: text("3eyJzdGF0dXMiOiJTdWNjZXNzIn0=") });
    assert.equal(resize.channel, 3);
    assert.equal(new TextDecoder().decode(resize.data), '{"status":"Success"}');
  }
});

Deno.test("base64 encode splits so each text message stays within 32 KiB and decodes back", () => {
  const handler = protocolHandler("v4.base64.channel.k8s.io");
  const payload = randomBytes(70_000);
  const messages = [...handler.encode(0, payload)];
  assert.ok(messages.length >= 3);
  const parts: number[] = [];
  for (const message of messages) {
    assert.ok(message.length <= MAX_MESSAGE_BYTES);
    assert.equal(message[0], 0x30);
    parts.push(...Uint8Array.fromBase64(new TextDecoder().decode(message.subarray(1))));
  }
  assert.deepEqual(new Uint8Array(parts), payload);
});

Deno.test("base64 protocols reject binary messages, bad base64 and missing channel characters", () => {
  const handler = protocolHandler("base64.channel.k8s.io");
  assert.throws(
    () => handler.decode({ binary: true, data: new Uint8Array([1, 2]) }),
    /unexpected message type \(binary\)/,
  );
  assert.throws(
    () => handler.decode({ binary: false, data: text("1aGk") }),
    /invalid base64 on channel 1 of base64\.channel\.k8s\.io/,
  );
  assert.throws(() => handler.decode({ binary: false, data: text("1*!") }), /invalid base64/);
  assert.throws(() => handler.decode({ binary: false, data: text("") }), /without a channel/);
  assert.throws(() => handler.decode({ binary: false, data: text(" x") }), /without a channel/);
  assert.throws(() => [...handler.encode(300, text("x"))], /channel 300 cannot be sent/);
});
