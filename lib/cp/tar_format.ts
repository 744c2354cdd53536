/**
 * The tar on-disk format shared by the reader and the writer: the 512-byte ustar header layout, numeric
 * fields (octal and GNU base-256), the header checksum, and PAX extended-header records.
 *
 * @module
 */
import { concatBytes } from "../bytes.ts";

/** Size of a tar block; headers and padded bodies are multiples of it. */
export const BLOCK_SIZE = 512;

/** Entry types cp understands. Others are surfaced as `"other"` with their raw type flag. */
export type TarEntryType = "file" | "directory" | "symlink" | "hardlink" | "other";

/** The metadata of one archive member, after PAX / GNU long-name records were applied. */
export interface TarHeader {
  /** Member path as stored (UTF-8), without a trailing slash. */
  name: string;
  /** Kind of member. */
  type: TarEntryType;
  /** The raw type flag character (`"0"`, `"5"`, `"3"`, …) — useful for warnings about `"other"`. */
  typeFlag: string;
  /** Permission bits (and setuid/setgid/sticky) from the header. */
  mode: number;
  /** Owner ids and names. */
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Body size in bytes (only regular files have a body). */
  size: number;
  /** Modification time in seconds since the epoch, possibly fractional (PAX). */
  mtime: number;
  /** Target of a symlink, or the member path a hard link refers to. */
  linkname: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Field offsets and lengths in a ustar header. */
export const FIELD = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  checksum: [148, 8],
  typeFlag: [156, 1],
  linkname: [157, 100],
  magic: [257, 6],
  version: [263, 2],
  uname: [265, 32],
  gname: [297, 32],
  devMajor: [329, 8],
  devMinor: [337, 8],
  prefix: [345, 155],
} as const satisfies Record<string, readonly [number, number]>;

/**
 * Reads a NUL-terminated string field.
 *
 * @example
 * ```ts
 * import { readStringField } from "./tar_format.ts";
 * readStringField(new Uint8Array([104, 105, 0, 0]), 0, 4); // "hi"
 * ```
 */
export function readStringField(block: Uint8Array, offset: number, length: number): string {
  let end = offset;
  const limit = offset + length;
  while (end < limit && block[end] !== 0) end++;
  return decoder.decode(block.subarray(offset, end));
}

/**
 * Reads a numeric field: octal digits (leading spaces/NULs allowed, ended by NUL or space), or GNU
 * base-256 when the top bit of the first byte is set. Returns `undefined` when the field is not a
 * number; values beyond 2^53 are rejected the same way (no file is that large).
 *
 * @example
 * ```ts
 * import { readNumericField } from "./tar_format.ts";
 * readNumericField(new TextEncoder().encode("0000644\0"), 0, 8); // 420
 * ```
 */
export function readNumericField(
  block: Uint8Array,
  offset: number,
  length: number,
): number | undefined {
  const first = block[offset];
  if (first & 0x80) {
    if (first === 0xff) return undefined; // negative base-256: meaningless for sizes, ids and times
    let value = first & 0x7f;
    for (let i = 1; i < length; i++) {
      value = value * 256 + block[offset + i];
      if (value > Number.MAX_SAFE_INTEGER) return undefined;
    }
    return value;
  }
  let i = offset;
  const end = offset + length;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  let value = 0;
  let digits = 0;
  for (; i < end; i++) {
    const byte = block[i];
    if (byte === 0 || byte === 0x20) break;
    if (byte < 0x30 || byte > 0x37) return undefined;
    value = value * 8 + (byte - 0x30);
    digits++;
  }
  for (; i < end; i++) {
    if (block[i] !== 0 && block[i] !== 0x20) return undefined;
  }
  if (value > Number.MAX_SAFE_INTEGER) return undefined;
  return digits === 0 ? 0 : value;
}

/**
 * Writes `value` as zero-padded octal with a trailing NUL when it fits, else as GNU base-256 (which
 * GNU tar, busybox, bsdtar and Go all read). Returns whether octal was used.
 *
 * @example
 * ```ts
 * import { writeNumericField } from "./tar_format.ts";
 * const block = new Uint8Array(512);
 * writeNumericField(block, 124, 12, 8 * 1024 ** 3); // false: 8 GiB needs base-256
 * ```
 */
export function writeNumericField(
  block: Uint8Array,
  offset: number,
  length: number,
  value: number,
): boolean {
  const integer = Math.max(0, Math.floor(value));
  const octal = integer.toString(8);
  if (octal.length <= length - 1) {
    const padded = octal.padStart(length - 1, "0");
    for (let i = 0; i < length - 1; i++) block[offset + i] = padded.charCodeAt(i);
    block[offset + length - 1] = 0;
    return true;
  }
  let remaining = integer;
  for (let i = length - 1; i >= 1; i--) {
    block[offset + i] = remaining % 256;
    remaining = Math.floor(remaining / 256);
  }
  block[offset] = 0x80;
  return false;
}

/**
 * Writes a string field, truncating to the field's length (callers use PAX records for anything that
 * does not fit).
 *
 * @example
 * ```ts
 * import { writeStringField } from "./tar_format.ts";
 * writeStringField(new Uint8Array(512), 0, 100, "a.txt");
 * ```
 */
export function writeStringField(
  block: Uint8Array,
  offset: number,
  length: number,
  value: string,
): void {
  const bytes = encoder.encode(value);
  block.set(bytes.subarray(0, length), offset);
}

/**
 * Computes the header checksum: the unsigned byte sum with the checksum field taken as spaces. Also
 * returns the signed sum, which some historic writers produced.
 *
 * @example
 * ```ts
 * import { headerChecksums } from "./tar_format.ts";
 * headerChecksums(new Uint8Array(512)).unsigned; // 256
 * ```
 */
export function headerChecksums(block: Uint8Array): { unsigned: number; signed: number } {
  let unsigned = 0;
  let signed = 0;
  const [start, length] = FIELD.checksum;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    const byte = i >= start && i < start + length ? 0x20 : block[i];
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return { unsigned, signed };
}

/**
 * Stores the checksum of a fully written header: six octal digits, NUL, space (as GNU tar does).
 *
 * @example
 * ```ts
 * import { sealHeader } from "./tar_format.ts";
 * sealHeader(new Uint8Array(512));
 * ```
 */
export function sealHeader(block: Uint8Array): void {
  const { unsigned } = headerChecksums(block);
  const digits = unsigned.toString(8).padStart(6, "0");
  const [start] = FIELD.checksum;
  for (let i = 0; i < 6; i++) block[start + i] = digits.charCodeAt(i);
  block[start + 6] = 0;
  block[start + 7] = 0x20;
}

/**
 * Encodes PAX extended-header records (`"<len> <key>=<value>\n"`, where `len` counts the whole record).
 *
 * @example
 * ```ts
 * import { encodePaxRecords } from "./tar_format.ts";
 * new TextDecoder().decode(encodePaxRecords([["path", "a"]])); // "9 path=a\n"
 * ```
 */
export function encodePaxRecords(records: Array<[string, string]>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [key, value] of records) {
    const body = encoder.encode(` ${key}=${value}\n`);
    let length = body.length + 1;
    while (String(length).length + body.length > length) length++;
    const record = new Uint8Array(String(length).length + body.length);
    record.set(encoder.encode(String(length)));
    record.set(body, String(length).length);
    parts.push(record);
  }
  return concatBytes(parts);
}

/**
 * Decodes PAX records into a map (later keys win). Returns `undefined` when a record is malformed.
 *
 * @example
 * ```ts
 * import { decodePaxRecords } from "./tar_format.ts";
 * decodePaxRecords(new TextEncoder().encode("9 path=a\n"))?.get("path"); // "a"
 * ```
 */
export function decodePaxRecords(data: Uint8Array): Map<string, string> | undefined {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < data.length) {
    if (data[offset] === 0) break; // some writers pad the data with NULs
    let space = offset;
    while (space < data.length && data[space] !== 0x20) space++;
    const lengthText = decoder.decode(data.subarray(offset, space));
    if (!/^[1-9][0-9]*$/.test(lengthText)) return undefined;
    const length = Number(lengthText);
    const end = offset + length;
    if (end > data.length || end <= space + 1 || data[end - 1] !== 0x0a) return undefined;
    const record = data.subarray(space + 1, end - 1);
    const equals = record.indexOf(0x3d);
    if (equals <= 0) return undefined;
    records.set(
      decoder.decode(record.subarray(0, equals)),
      decoder.decode(record.subarray(equals + 1)),
    );
    offset = end;
  }
  return records;
}

/**
 * Rounds `size` up to a whole number of blocks.
 *
 * @example
 * ```ts
 * import { paddedSize } from "./tar_format.ts";
 * paddedSize(1); // 512
 * ```
 */
export function paddedSize(size: number): number {
  return Math.ceil(size / BLOCK_SIZE) * BLOCK_SIZE;
}
