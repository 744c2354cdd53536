/**
 * RFC 6455 frame encoding and decoding: the three length encodings, word-wise masking against a
 * byte-wise reference, header parsing and close payloads.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  decodeClosePayload,
  encodeClientFrame,
  encodeClosePayload,
  encodePrefixedClientFrames,
  FrameHeaderError,
  maskInPlace,
  Opcode,
  parseFrameHeader,
} from "../../lib/transport/websocket_frame.ts";

function unmaskReference(frame: Uint8Array, headerLength: number, key: Uint8Array): Uint8Array {
  return frame.slice(headerLength).map((byte, i) => byte ^ key[i % 4]);
}

Deno.test("client frames: FIN, mask bit, each length encoding, payload masked correctly", () => {
  const key = Uint8Array.of(0xa1, 0xb2, 0xc3, 0xd4);
  for (const length of [0, 1, 3, 15, 16, 17, 125, 126, 127, 65535, 65536, 70001]) {
    const payload = new Uint8Array(length).map((_, i) => (i * 31 + 7) & 0xff);
    const frame = encodeClientFrame(Opcode.binary, payload, key);
    const header = parseFrameHeader(frame);
    assert.ok(typeof header === "object");
    assert.equal(header.fin, true);
    assert.equal(header.opcode, Opcode.binary);
    assert.equal(header.masked, true);
    assert.equal(header.payloadLength, length);
    assert.equal(header.headerLength, length < 126 ? 6 : length < 65536 ? 8 : 14);
    assert.deepEqual(header.maskKey, key);
    assert.equal(frame.length, header.headerLength + length);
    assert.equal((frame.byteOffset + header.headerLength) % 4, 0, "payload is word-aligned");
    assert.deepEqual(unmaskReference(frame, header.headerLength, key), payload);
  }
});

Deno.test("maskInPlace is its own inverse, aligned or not", () => {
  const key = Uint8Array.of(1, 2, 3, 250);
  const buffer = new Uint8Array(1027);
  crypto.getRandomValues(buffer);
  for (const offset of [0, 1, 2, 3]) {
    const view = buffer.subarray(offset, offset + 1000);
    const original = view.slice();
    maskInPlace(view, key);
    assert.deepEqual(view, original.map((byte, i) => byte ^ key[i % 4]));
    maskInPlace(view, key);
    assert.deepEqual(view, original);
  }
});

Deno.test("maskInPlace matches the byte-wise reference at every unroll boundary", () => {
  // The word loop runs sixteen words at a time: lengths on both sides of each multiple of 64
  // bytes, at every alignment, must mask exactly like RFC 6455's byte-by-byte definition.
  const key = Uint8Array.of(0x5a, 0x00, 0xff, 0x81);
  const buffer = new Uint8Array(4096 + 16);
  for (const offset of [0, 1, 2, 3]) {
    for (let length = 0; length <= 4096 + 9; length += length < 200 ? 1 : 61) {
      crypto.getRandomValues(buffer);
      const view = buffer.subarray(offset, offset + length);
      const expected = view.map((byte, i) => byte ^ key[i % 4]);
      const after = buffer.slice(offset + length);
      maskInPlace(view, key);
      assert.deepEqual(view, expected, `offset ${offset}, length ${length}`);
      assert.deepEqual(buffer.subarray(offset + length), after, "bytes past the view untouched");
    }
  }
});

Deno.test("prefixed frames: the messages one send each would give, for every split", () => {
  for (const max of [2, 5, 126, 127, 32 * 1024, 70_000]) {
    for (const length of [0, 1, max - 2, max - 1, max, 3 * (max - 1) + 1, 100_000]) {
      if (length < 0 || (max < 100 && length > 2000)) continue;
      const payload = new Uint8Array(length).map((_, i) => (i * 13 + 5) & 0xff);
      const frames = encodePrefixedClientFrames(7, payload, max);
      // Walk the frames with the reference parser and unmask byte by byte.
      const bodies: Uint8Array[] = [];
      for (let at = 0; at < frames.length;) {
        const header = parseFrameHeader(frames.subarray(at));
        assert.ok(typeof header === "object");
        assert.equal(header.fin, true);
        assert.equal(header.opcode, Opcode.binary);
        assert.equal(header.masked, true);
        const end = at + header.headerLength + header.payloadLength;
        bodies.push(
          unmaskReference(frames.subarray(at, end), header.headerLength, header.maskKey!),
        );
        at = end;
      }
      const expected = length === 0 ? 1 : Math.ceil(length / (max - 1));
      assert.equal(bodies.length, expected, `max ${max}, length ${length}`);
      assert.ok(bodies.every((body) => body[0] === 7 && body.length <= max));
      assert.deepEqual(
        new Uint8Array(bodies.flatMap((body) => [...body.subarray(1)])),
        payload,
      );
    }
  }
  assert.throws(() => encodePrefixedClientFrames(0, new Uint8Array(1), 1), RangeError);
});

Deno.test("frame headers: partial input, server frames, oversize lengths", () => {
  assert.equal(parseFrameHeader(Uint8Array.of(0x82)), 2);
  assert.equal(parseFrameHeader(Uint8Array.of(0x82, 126, 0)), 4);
  assert.equal(parseFrameHeader(Uint8Array.of(0x82, 127, 0, 0)), 10);
  const fragment = parseFrameHeader(Uint8Array.of(0x01, 0x05));
  assert.ok(typeof fragment === "object");
  assert.equal(fragment.fin, false);
  assert.equal(fragment.opcode, Opcode.text);
  assert.equal(fragment.masked, false);
  const reserved = parseFrameHeader(Uint8Array.of(0xc2, 0));
  assert.ok(typeof reserved === "object" && reserved.reserved === 4);
  const big = parseFrameHeader(Uint8Array.of(0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0));
  assert.ok(typeof big === "object" && big.payloadLength === 2 ** 32);
  assert.throws(
    () => parseFrameHeader(Uint8Array.of(0x82, 127, 0xff, 0, 0, 0, 0, 0, 0, 0)),
    FrameHeaderError,
  );
});

Deno.test("close payloads: code and reason, empty means 1005, long reasons truncated", () => {
  assert.deepEqual(decodeClosePayload(encodeClosePayload(4001, "bye")), {
    code: 4001,
    reason: "bye",
  });
  assert.deepEqual(decodeClosePayload(new Uint8Array()), { code: 1005, reason: "" });
  const long = encodeClosePayload(1000, "é".repeat(200));
  assert.ok(long.length <= 125);
  assert.ok(decodeClosePayload(long).reason.startsWith("éé"));
});
