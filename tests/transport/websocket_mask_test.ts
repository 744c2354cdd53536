/**
 * The WebAssembly frame buffer: the hand-assembled module compiles and validates here, and masks
 * exactly like RFC 6455's byte-wise definition at every alignment and length, without touching a
 * byte past the view; views elsewhere and the JavaScript fallback mask the same.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createFrameBuffer } from "../../lib/transport/websocket_mask.ts";

const KEY = Uint8Array.of(0x12, 0x34, 0x56, 0xf8);

function reference(bytes: Uint8Array, key: Uint8Array): Uint8Array {
  return bytes.map((byte, i) => byte ^ key[i % 4]);
}

Deno.test("frame buffer: the WebAssembly module compiles, and the buffer is at least the size asked", () => {
  const buffer = createFrameBuffer(131_136);
  assert.equal(buffer.simd, true, "WebAssembly SIMD masking is available in Deno");
  assert.ok(buffer.bytes.length >= 131_136);
  assert.equal(createFrameBuffer(10, { simd: false }).simd, false);
});

Deno.test("frame buffer: masks like the byte-wise reference at every offset and length", () => {
  for (const buffer of [createFrameBuffer(8192), createFrameBuffer(8192, { simd: false })]) {
    for (let offset = 0; offset < 8; offset++) {
      for (let length = 0; length <= 4096 + 80; length += length < 300 ? 1 : 113) {
        crypto.getRandomValues(buffer.bytes);
        const view = buffer.bytes.subarray(offset, offset + length);
        const expected = reference(view, KEY);
        const after = buffer.bytes.slice(offset + length);
        buffer.mask(view, KEY);
        assert.deepEqual(view, expected, `simd ${buffer.simd}, offset ${offset}, length ${length}`);
        assert.deepEqual(buffer.bytes.subarray(offset + length), after, "nothing past the view");
      }
    }
  }
});

Deno.test("frame buffer: a view outside the buffer is masked too (in JavaScript)", () => {
  const buffer = createFrameBuffer(1024);
  const elsewhere = crypto.getRandomValues(new Uint8Array(1000)).subarray(3, 999);
  const expected = reference(elsewhere, KEY);
  buffer.mask(elsewhere, KEY);
  assert.deepEqual(elsewhere, expected);
});

Deno.test("frame buffer: masking twice restores the bytes, to the buffer's last byte", () => {
  const buffer = createFrameBuffer(65_536);
  crypto.getRandomValues(buffer.bytes);
  const original = buffer.bytes.slice();
  const tail = buffer.bytes.subarray(buffer.bytes.length - 4099);
  buffer.mask(tail, KEY);
  assert.notDeepEqual(buffer.bytes, original);
  buffer.mask(tail, KEY);
  assert.deepEqual(buffer.bytes, original);
});
