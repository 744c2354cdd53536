/**
 * Masking outgoing frames sixteen bytes per instruction: a frame buffer that lives in a
 * WebAssembly memory, masked by a small hand-assembled WebAssembly function that XORs with a
 * 128-bit SIMD register. Bulk stdin (and `cp` uploads) go through it; masking a GiB in JavaScript
 * costs 137–141 ms with the shipped V8 flags, here about 25 ms (a 128 KiB view at an unaligned
 * offset, masked 8,192 times).
 *
 * The module is written out below as bytes with the WebAssembly text of each instruction beside
 * it. It imports its memory, so each buffer has a memory of its own and nothing else is shared.
 * Where WebAssembly is unavailable (V8's `--jitless`, or a failed compile or allocation) the
 * buffer is a plain `Uint8Array` masked by {@linkcode maskInPlace}.
 *
 * @module
 */
import { maskInPlace } from "./websocket_frame.ts";

/**
 * A reusable buffer for outgoing frames with the masking that suits it.
 *
 * @example
 * ```ts
 * import { createFrameBuffer } from "./websocket_mask.ts";
 * const buffer = createFrameBuffer(1024);
 * const view = buffer.bytes.subarray(3, 103);
 * buffer.mask(view, Uint8Array.of(1, 2, 3, 4)); // view XORed with 1 2 3 4 1 2 3 4 ...
 * ```
 */
export interface FrameBuffer {
  /** The buffer, `size` bytes or more. */
  readonly bytes: Uint8Array;
  /** Whether masking runs in WebAssembly (false: the JavaScript fallback). */
  readonly simd: boolean;
  /** XORs `view` in place with the 4-byte `key`; `view` may lie anywhere, in `bytes` or not. */
  mask(view: Uint8Array, key: Uint8Array): void;
}

/**
 * `(module (import "m" "m" (memory 1)) (func (export "mask") (param $p i32) (param $n i32)
 * (param $k i32) ...))`: XORs the `$n` bytes at `$p` with the little-endian key word `$k`, 64 bytes
 * per loop turn, then 16, then byte by byte with the key rotated.
 */
// deno-fmt-ignore
const MASK_MODULE = Uint8Array.of(
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,  // "\0asm", version 1
  0x01, 0x07, 0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00,  // type 0: (func (param i32 i32 i32))
  0x02, 0x08, 0x01, 0x01, 0x6d, 0x01, 0x6d, 0x02, 0x00, 0x01,  // import "m" "m" (memory 1)
  0x03, 0x02, 0x01, 0x00,  // func 0 has type 0
  0x07, 0x08, 0x01, 0x04, 0x6d, 0x61, 0x73, 0x6b, 0x00, 0x00,  // export "mask" (func 0)
  0x0a, 0xd4, 0x01, 0x01, 0xd1, 0x01,  // code: one body of 209 bytes
  0x02, 0x01, 0x7f, 0x01, 0x7b,  // locals: $end i32, $v v128
  0x20, 0x02, 0xfd, 0x11, 0x21, 0x04,  // $v = i32x4.splat($k)
  0x20, 0x00, 0x20, 0x01, 0x41, 0x40, 0x71, 0x6a, 0x21, 0x03,  // $end = $p + ($n & -64)
  0x02, 0x40, 0x03, 0x40,  // block loop
  0x20, 0x00, 0x20, 0x03, 0x4f, 0x0d, 0x01,  // br_if 1 ($p >= $end)
  0x20, 0x00, 0x20, 0x00, 0xfd, 0x00, 0x00, 0x00, 0x20, 0x04, 0xfd, 0x51, 0xfd, 0x0b, 0x00, 0x00,  // v128.store offset=0 ($p, v128.load offset=0 ($p) ^ $v)
  0x20, 0x00, 0x20, 0x00, 0xfd, 0x00, 0x00, 0x10, 0x20, 0x04, 0xfd, 0x51, 0xfd, 0x0b, 0x00, 0x10,  // v128.store offset=16 ($p, v128.load offset=16 ($p) ^ $v)
  0x20, 0x00, 0x20, 0x00, 0xfd, 0x00, 0x00, 0x20, 0x20, 0x04, 0xfd, 0x51, 0xfd, 0x0b, 0x00, 0x20,  // v128.store offset=32 ($p, v128.load offset=32 ($p) ^ $v)
  0x20, 0x00, 0x20, 0x00, 0xfd, 0x00, 0x00, 0x30, 0x20, 0x04, 0xfd, 0x51, 0xfd, 0x0b, 0x00, 0x30,  // v128.store offset=48 ($p, v128.load offset=48 ($p) ^ $v)
  0x20, 0x00, 0x41, 0xc0, 0x00, 0x6a, 0x21, 0x00,  // $p += 64
  0x0c, 0x00, 0x0b, 0x0b,  // br 0, end loop, end block
  0x20, 0x00, 0x20, 0x01, 0x41, 0x30, 0x71, 0x6a, 0x21, 0x03,  // $end = $p + ($n & 48)
  0x02, 0x40, 0x03, 0x40,  // block loop
  0x20, 0x00, 0x20, 0x03, 0x4f, 0x0d, 0x01,  // br_if 1 ($p >= $end)
  0x20, 0x00, 0x20, 0x00, 0xfd, 0x00, 0x00, 0x00, 0x20, 0x04, 0xfd, 0x51, 0xfd, 0x0b, 0x00, 0x00,  // v128.store offset=0 ($p, v128.load offset=0 ($p) ^ $v)
  0x20, 0x00, 0x41, 0x10, 0x6a, 0x21, 0x00,  // $p += 16
  0x0c, 0x00, 0x0b, 0x0b,  // br 0, end loop, end block
  0x20, 0x00, 0x20, 0x01, 0x41, 0x0f, 0x71, 0x6a, 0x21, 0x03,  // $end = $p + ($n & 15)
  0x02, 0x40, 0x03, 0x40,  // block loop
  0x20, 0x00, 0x20, 0x03, 0x4f, 0x0d, 0x01,  // br_if 1 ($p >= $end)
  0x20, 0x00, 0x20, 0x00, 0x2d, 0x00, 0x00, 0x20, 0x02, 0x73, 0x3a, 0x00, 0x00,  // i32.store8 ($p, i32.load8_u ($p) ^ $k)
  0x20, 0x02, 0x41, 0x08, 0x78, 0x21, 0x02,  // $k = rotr($k, 8): the next key byte
  0x20, 0x00, 0x41, 0x01, 0x6a, 0x21, 0x00,  // $p += 1
  0x0c, 0x00, 0x0b, 0x0b,  // br 0, end loop, end block
  0x0b,  // end
);

type MaskFunction = (pointer: number, length: number, key: number) => void;

/** The compiled module: compiled on first use; null once it is known not to work here. */
let compiled: WebAssembly.Module | null | undefined;

function compileMaskModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(MASK_MODULE);
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

function javascriptBuffer(size: number): FrameBuffer {
  return { bytes: new Uint8Array(size), simd: false, mask: maskInPlace };
}

/**
 * A frame buffer of at least `size` bytes whose `mask` runs in WebAssembly when it can. With
 * `simd: false` the buffer is a plain array masked in JavaScript (the fallback, also for tests).
 *
 * @example
 * ```ts
 * import { createFrameBuffer } from "./websocket_mask.ts";
 * const buffer = createFrameBuffer(128 * 1024);
 * buffer.bytes.length >= 128 * 1024; // true
 * ```
 */
export function createFrameBuffer(size: number, options: { simd?: boolean } = {}): FrameBuffer {
  const module = options.simd === false ? null : compileMaskModule();
  if (module === null) return javascriptBuffer(size);
  let memory: WebAssembly.Memory;
  let run: MaskFunction;
  try {
    memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(size / 65536)) });
    const instance = new WebAssembly.Instance(module, { m: { m: memory } });
    run = instance.exports.mask as MaskFunction;
  } catch {
    return javascriptBuffer(size);
  }
  // The memory never grows, so this view (and the ArrayBuffer under it) stays valid.
  const bytes = new Uint8Array(memory.buffer);
  return {
    bytes,
    simd: true,
    mask(view: Uint8Array, key: Uint8Array): void {
      if (view.buffer !== bytes.buffer) {
        maskInPlace(view, key);
        return;
      }
      run(view.byteOffset, view.length, key[0] | (key[1] << 8) | (key[2] << 16) | (key[3] << 24));
    },
  };
}
