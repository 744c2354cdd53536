/**
 * SPDY/3 header blocks: name/value pairs (32-bit lengths, lower-case names), compressed as one
 * zlib stream per direction primed with the SPDY/3 dictionary.
 *
 * Writing uses stored (uncompressed) deflate blocks inside that zlib stream: any zlib reader
 * accepts them, they need no compression state, and they keep frame encoding synchronous, so
 * frames can never leave in another order than their header blocks were made. Header blocks in
 * port-forward are a few dozen bytes per stream; compressing them would save nothing measurable.
 * Reading needs a real inflater (peers compress): `node:zlib`, fed frame by frame with a sync flush.
 *
 * @module
 */
import { constants, createInflate, type Inflate } from "node:zlib";
import { Buffer } from "node:buffer";
import { SPDY3_DICTIONARY } from "./dictionary.ts";
import { SpdyProtocolError } from "./frames.ts";

/** Header pairs in order; names lower-case. */
export type HeaderPairs = [string, string][];

/** Largest decompressed header block accepted from a peer. */
const MAX_HEADER_BLOCK_BYTES = 256 * 1024;

/**
 * Serialises header pairs (uncompressed form).
 *
 * @example
 * ```ts
 * import { encodeHeaderPairs } from "./header_block.ts";
 * encodeHeaderPairs([["streamtype", "data"]]).length; // 4 + 4 + 10 + 4 + 4
 * ```
 */
export function encodeHeaderPairs(pairs: HeaderPairs): Uint8Array {
  const encoder = new TextEncoder();
  const encoded = pairs.map(([name, value]) => [
    encoder.encode(name.toLowerCase()),
    encoder.encode(value),
  ]);
  const size = 4 + encoded.reduce((sum, [n, v]) => sum + 8 + n.length + v.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, encoded.length);
  let offset = 4;
  for (const [name, value] of encoded) {
    view.setUint32(offset, name.length);
    out.set(name, offset + 4);
    offset += 4 + name.length;
    view.setUint32(offset, value.length);
    out.set(value, offset + 4);
    offset += 4 + value.length;
  }
  return out;
}

/**
 * Parses serialised header pairs; multi-values (NUL-joined) stay joined.
 *
 * @example
 * ```ts
 * import { decodeHeaderPairs, encodeHeaderPairs } from "./header_block.ts";
 * decodeHeaderPairs(encodeHeaderPairs([["port", "80"]])); // [["port", "80"]]
 * ```
 */
export function decodeHeaderPairs(bytes: Uint8Array): HeaderPairs {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  const need = (offset: number, count: number) => {
    if (offset + count > bytes.length) throw new SpdyProtocolError("truncated header block");
  };
  need(0, 4);
  const count = view.getUint32(0);
  const pairs: HeaderPairs = [];
  let offset = 4;
  for (let i = 0; i < count; i++) {
    need(offset, 4);
    const nameLength = view.getUint32(offset);
    need(offset + 4, nameLength + 4);
    const name = decoder.decode(bytes.subarray(offset + 4, offset + 4 + nameLength));
    offset += 4 + nameLength;
    const valueLength = view.getUint32(offset);
    need(offset + 4, valueLength);
    const value = decoder.decode(bytes.subarray(offset + 4, offset + 4 + valueLength));
    offset += 4 + valueLength;
    pairs.push([name, value]);
  }
  return pairs;
}

/**
 * The empty stored block zlib's sync flush ends with. Go's inflater hands out a stored block's
 * bytes only when the next block starts, so without it a reader limited to this header block
 * would hit its end while looking for that next block (spdystream: "compressed payload size was
 * incorrect").
 */
const SYNC_FLUSH_MARKER = new Uint8Array([0x00, 0x00, 0x00, 0xff, 0xff]);

function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * The writing half of a connection's header compression.
 *
 * @example
 * ```ts
 * import { HeaderCompressor } from "./header_block.ts";
 * const compressor = new HeaderCompressor();
 * const block = compressor.compress([["streamtype", "error"], ["port", "80"]]);
 * ```
 */
export class HeaderCompressor {
  #started = false;

  /** The next compressed header block of this direction. */
  compress(pairs: HeaderPairs): Uint8Array {
    const raw = encodeHeaderPairs(pairs);
    const blocks = Math.ceil(raw.length / 0xffff);
    const prefix = this.#started ? 0 : 6;
    const out = new Uint8Array(prefix + blocks * 5 + raw.length + SYNC_FLUSH_MARKER.length);
    if (!this.#started) {
      // CMF 0x78 (deflate, 32 KiB window), FLG 0xbb (FDICT set, check bits), then the dictionary id.
      out[0] = 0x78;
      out[1] = 0xbb;
      new DataView(out.buffer).setUint32(2, adler32(SPDY3_DICTIONARY));
      this.#started = true;
    }
    let offset = prefix;
    for (let start = 0; start < raw.length; start += 0xffff) {
      const part = raw.subarray(start, Math.min(raw.length, start + 0xffff));
      // A non-final stored block: BFINAL 0, BTYPE 00, padded to the byte; LEN, NLEN little-endian.
      out[offset] = 0;
      out[offset + 1] = part.length & 0xff;
      out[offset + 2] = part.length >> 8;
      out[offset + 3] = ~part.length & 0xff;
      out[offset + 4] = (~part.length >> 8) & 0xff;
      out.set(part, offset + 5);
      offset += 5 + part.length;
    }
    out.set(SYNC_FLUSH_MARKER, offset);
    return out;
  }
}

/**
 * The reading half: one inflater kept across the connection's header blocks, in frame order.
 *
 * @example
 * ```ts ignore
 * import { HeaderDecompressor } from "./header_block.ts";
 * const decompressor = new HeaderDecompressor();
 * const pairs = await decompressor.decompress(block);
 * decompressor.close();
 * ```
 */
export class HeaderDecompressor {
  #inflate: Inflate;
  #output: Uint8Array[] = [];
  #outputBytes = 0;
  #error: Error | undefined;
  /** Ends the wait for the current block's flush when the inflater is stopped instead. */
  #stopWaiting: (() => void) | undefined;

  constructor() {
    this.#inflate = createInflate({ dictionary: Buffer.from(SPDY3_DICTIONARY) });
    this.#inflate.on("data", (chunk: Uint8Array) => {
      if (this.#error) return;
      this.#outputBytes += chunk.length;
      // Checked as the output grows: a few KiB can inflate to gigabytes (a hostile server).
      if (this.#outputBytes > MAX_HEADER_BLOCK_BYTES) {
        this.#error = new Error(`larger than ${MAX_HEADER_BLOCK_BYTES} bytes`);
        this.#output = [];
        this.#inflate.destroy();
        this.#stopWaiting?.();
        return;
      }
      this.#output.push(chunk);
    });
    this.#inflate.on("error", (error: Error) => {
      this.#error ??= error;
      this.#stopWaiting?.();
    });
  }

  /** Inflates the next header block and parses its pairs. */
  async decompress(block: Uint8Array): Promise<HeaderPairs> {
    this.#throwIfFailed();
    this.#inflate.write(Buffer.from(block.buffer, block.byteOffset, block.byteLength));
    await new Promise<void>((resolve) => {
      this.#stopWaiting = resolve;
      this.#inflate.flush(constants.Z_SYNC_FLUSH, () => resolve());
    });
    this.#stopWaiting = undefined;
    this.#throwIfFailed();
    const raw = new Uint8Array(this.#outputBytes);
    let offset = 0;
    for (const chunk of this.#output) {
      raw.set(chunk, offset);
      offset += chunk.length;
    }
    this.#output = [];
    this.#outputBytes = 0;
    return decodeHeaderPairs(raw);
  }

  #throwIfFailed(): void {
    if (this.#error) throw new SpdyProtocolError(`header block: ${this.#error.message}`);
  }

  /** Frees the inflater. */
  close(): void {
    this.#inflate.destroy();
  }
}
