/**
 * Streaming tar writer: ustar headers, with PAX extended headers for whatever ustar cannot hold (names
 * and link targets over 100 bytes or not ASCII, sizes of 8 GiB and more, large ids, sub-second mtimes),
 * plus GNU base-256 numeric fields so that readers without PAX support still get sizes right.
 *
 * Output is coalesced into chunks of a fixed size, so that a tree of small files becomes a few large
 * writes instead of thousands of tiny ones, and bodies are read straight into those chunks.
 *
 * @module
 */
import { TarWriteError } from "./errors.ts";
import { withDirectSource } from "../stream/direct_io.ts";
import {
  BLOCK_SIZE,
  encodePaxRecords,
  FIELD,
  paddedSize,
  sealHeader,
  writeNumericField,
  writeStringField,
} from "./tar_format.ts";

/** The metadata of one member to write. */
export interface TarWriterEntry {
  /** Member path, `/`-separated, relative (no leading `/`); directories need no trailing slash. */
  name: string;
  /** Kind of member. */
  type: "file" | "directory" | "symlink" | "hardlink";
  /** Permission bits; defaults to 0o644 for files and 0o755 for directories. */
  mode?: number;
  /** Owner ids (default 0) and names (default empty). */
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** Modification time in seconds since the epoch, may be fractional; default 0. */
  mtime?: number;
  /** Body size in bytes, required for files. */
  size?: number;
  /** Symlink target, or the member path a hard link refers to. */
  linkname?: string;
}

/** Something a body can be read from: a Deno file, or any pull reader. */
export interface BodyReader {
  /** Reads into `buffer`, resolving to the byte count, or `null` at end of data. */
  read(buffer: Uint8Array): Promise<number | null>;
}

/** One member and, for files, where its body comes from. */
export interface TarWriterInput {
  entry: TarWriterEntry;
  /** The body of a file: exactly `entry.size` bytes are taken. */
  body?: BodyReader | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** Called with every slice of the body as it is written (hashing, progress). */
  onBody?: (bytes: Uint8Array) => void;
}

/** Options of {@linkcode encodeTarHeader} and {@linkcode createTarStream}. */
export interface TarWriterOptions {
  /** Write sub-second mtimes as PAX records (costs one extra 1 KiB header per member). Default false. */
  subSecondMtime?: boolean;
  /** Size of the chunks the stream emits; default 128 KiB. */
  chunkSize?: number;
}

const MAX_OCTAL_SIZE = 0o77777777777;
const MAX_OCTAL_ID = 0o7777777;
const MAX_OCTAL_TIME = 0o77777777777;
const ASCII = /^[\x20-\x7e]*$/;

const TYPE_FLAGS: Record<TarWriterEntry["type"], string> = {
  file: "0",
  hardlink: "1",
  symlink: "2",
  directory: "5",
};

function fitsUstarString(value: string, length: number): boolean {
  return ASCII.test(value) && value.length <= length;
}

function paxRecordsFor(
  entry: TarWriterEntry,
  name: string,
  options: TarWriterOptions,
): Array<[string, string]> {
  const records: Array<[string, string]> = [];
  if (!fitsUstarString(name, 100)) records.push(["path", name]);
  const linkname = entry.linkname ?? "";
  if (!fitsUstarString(linkname, 100)) records.push(["linkpath", linkname]);
  const size = entry.type === "file" ? entry.size ?? 0 : 0;
  if (size > MAX_OCTAL_SIZE) records.push(["size", String(size)]);
  for (const key of ["uid", "gid"] as const) {
    const id = entry[key] ?? 0;
    if (id > MAX_OCTAL_ID) records.push([key, String(id)]);
  }
  for (const key of ["uname", "gname"] as const) {
    const value = entry[key] ?? "";
    if (!fitsUstarString(value, 32)) records.push([key, value]);
  }
  const mtime = entry.mtime ?? 0;
  const fractional = mtime !== Math.floor(mtime);
  if ((options.subSecondMtime && fractional) || mtime < 0 || mtime > MAX_OCTAL_TIME) {
    records.push(["mtime", formatPaxTime(mtime)]);
  }
  return records;
}

function formatPaxTime(seconds: number): string {
  const whole = Math.floor(seconds);
  const nanos = Math.round((seconds - whole) * 1e9);
  if (nanos === 0) return String(whole);
  return `${whole}.${String(nanos).padStart(9, "0").replace(/0+$/, "")}`;
}

function ustarBlock(
  name: string,
  typeFlag: string,
  entry: TarWriterEntry,
  size: number,
  mode: number,
): Uint8Array {
  const block = new Uint8Array(BLOCK_SIZE);
  writeStringField(block, ...FIELD.name, fitsUstarString(name, 100) ? name : "");
  writeNumericField(block, ...FIELD.mode, mode & 0o7777);
  writeNumericField(block, ...FIELD.uid, entry.uid ?? 0);
  writeNumericField(block, ...FIELD.gid, entry.gid ?? 0);
  writeNumericField(block, ...FIELD.size, size);
  writeNumericField(block, ...FIELD.mtime, Math.min(Math.max(entry.mtime ?? 0, 0), MAX_OCTAL_TIME));
  block[FIELD.typeFlag[0]] = typeFlag.charCodeAt(0);
  const linkname = entry.linkname ?? "";
  writeStringField(block, ...FIELD.linkname, fitsUstarString(linkname, 100) ? linkname : "");
  writeStringField(block, ...FIELD.magic, "ustar\0");
  writeStringField(block, ...FIELD.version, "00");
  const uname = entry.uname ?? "";
  const gname = entry.gname ?? "";
  writeStringField(block, ...FIELD.uname, fitsUstarString(uname, 32) ? uname : "");
  writeStringField(block, ...FIELD.gname, fitsUstarString(gname, 32) ? gname : "");
  writeNumericField(block, ...FIELD.devMajor, 0);
  writeNumericField(block, ...FIELD.devMinor, 0);
  sealHeader(block);
  return block;
}

/**
 * Encodes the header blocks of one member: a PAX extended header first when needed, then the ustar
 * header. The body (for files) and its padding follow separately.
 *
 * @example
 * ```ts
 * import { encodeTarHeader } from "./tar_writer.ts";
 * const header = encodeTarHeader({ name: "hello.txt", type: "file", size: 5, mtime: 1700000000 });
 * header.length; // 512
 * ```
 */
export function encodeTarHeader(entry: TarWriterEntry, options: TarWriterOptions = {}): Uint8Array {
  if (entry.name === "" || entry.name.includes("\0")) {
    throw new TarWriteError(entry.name, "member names must be non-empty and contain no NUL");
  }
  const size = entry.type === "file" ? entry.size ?? 0 : 0;
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new TarWriteError(entry.name, `invalid size ${size}`);
  }
  const name = entry.type === "directory" && !entry.name.endsWith("/")
    ? `${entry.name}/`
    : entry.name;
  const mode = entry.mode ?? (entry.type === "directory" ? 0o755 : 0o644);
  const records = paxRecordsFor(entry, name, options);
  const header = ustarBlock(name, TYPE_FLAGS[entry.type], entry, size, mode);
  if (records.length === 0) return header;
  const paxData = encodePaxRecords(records);
  const base = name.replace(/\/$/, "").split("/").pop() ?? "";
  const paxName = `PaxHeaders/${ASCII.test(base) ? base.slice(0, 80) : "entry"}`;
  const paxHeader = ustarBlock(
    paxName,
    "x",
    { ...entry, uname: "", gname: "", linkname: "" },
    paxData.length,
    0o644,
  );
  const out = new Uint8Array(BLOCK_SIZE + paddedSize(paxData.length) + BLOCK_SIZE);
  out.set(paxHeader, 0);
  out.set(paxData, BLOCK_SIZE);
  out.set(header, BLOCK_SIZE + paddedSize(paxData.length));
  return out;
}

function isBodyReader(
  body: BodyReader | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): body is BodyReader {
  return typeof (body as BodyReader).read === "function";
}

/**
 * Accumulates output into chunks: fresh zeroed ones of `chunkSize` (padding is then free), or,
 * after {@linkcode ChunkAssembler.retarget}, buffers the consumer lends one at a time (padding is
 * written, since they hold old bytes).
 */
class ChunkAssembler {
  #chunkSize: number;
  #chunk: Uint8Array;
  #used = 0;
  /** The chunk is all zeros beyond `#used` (a fresh allocation). */
  #zeroed = true;
  /** Chunks are lent by the consumer: `take` leaves no chunk of its own behind. */
  #lent = false;

  constructor(chunkSize: number) {
    this.#chunkSize = chunkSize;
    this.#chunk = new Uint8Array(chunkSize);
  }

  get free(): Uint8Array {
    return this.#chunk.subarray(this.#used);
  }

  get full(): boolean {
    return this.#used === this.#chunk.length;
  }

  advance(count: number): void {
    this.#used += count;
  }

  /** Continues filling `buffer` (lent by the consumer until the next chunk is yielded). */
  retarget(buffer: Uint8Array): void {
    this.#chunk = buffer;
    this.#used = 0;
    this.#zeroed = false;
    this.#lent = true;
  }

  /** Copies `bytes` in, yielding every chunk that fills up. */
  *put(bytes: Uint8Array): Generator<Uint8Array> {
    let offset = 0;
    while (offset < bytes.length) {
      if (this.full) yield this.take();
      const count = Math.min(bytes.length - offset, this.#chunk.length - this.#used);
      this.#chunk.set(bytes.subarray(offset, offset + count), this.#used);
      this.#used += count;
      offset += count;
    }
  }

  /** Appends `count` zero bytes, yielding every chunk that fills up. */
  *zeros(count: number): Generator<Uint8Array> {
    let remaining = count;
    while (remaining > 0) {
      if (this.full) yield this.take();
      const step = Math.min(remaining, this.#chunk.length - this.#used);
      if (!this.#zeroed) this.#chunk.fill(0, this.#used, this.#used + step);
      this.#used += step;
      remaining -= step;
    }
  }

  take(): Uint8Array {
    const out = this.full ? this.#chunk : this.#chunk.subarray(0, this.#used);
    // A lent buffer goes back with the data; the consumer lends the next one before resuming.
    this.#chunk = this.#lent ? new Uint8Array(0) : new Uint8Array(this.#chunkSize);
    this.#zeroed = !this.#lent;
    this.#used = 0;
    return out;
  }

  get pending(): number {
    return this.#used;
  }
}

async function* writeBody(
  input: TarWriterInput,
  size: number,
  assembler: ChunkAssembler,
): AsyncGenerator<Uint8Array> {
  const { entry, body, onBody } = input;
  if (size > 0 && body === undefined) {
    throw new TarWriteError(entry.name, "file entry without body");
  }
  let remaining = size;
  if (body !== undefined && isBodyReader(body)) {
    while (remaining > 0) {
      if (assembler.full) yield assembler.take();
      const free = assembler.free;
      const window = free.subarray(0, Math.min(free.length, remaining));
      const count = await body.read(window);
      if (count === null) {
        throw new TarWriteError(
          entry.name,
          `file shrank while being read (${size - remaining} of ${size} bytes)`,
        );
      }
      onBody?.(window.subarray(0, count));
      assembler.advance(count);
      remaining -= count;
    }
  } else if (body !== undefined) {
    for await (const piece of body) {
      if (piece.length > remaining) {
        throw new TarWriteError(entry.name, `body is longer than the declared ${size} bytes`);
      }
      onBody?.(piece);
      yield* assembler.put(piece);
      remaining -= piece.length;
    }
    if (remaining > 0) {
      throw new TarWriteError(entry.name, `body ended after ${size - remaining} of ${size} bytes`);
    }
  }
  yield* assembler.zeros(paddedSize(size) - size);
}

/**
 * Produces a tar archive from `inputs`, pulled lazily: the next member is only requested once the
 * consumer read what came before, so one body is open at a time and memory stays at a couple of chunks.
 * Cancelling the stream stops the iteration of `inputs` (running its `finally` blocks).
 *
 * @example
 * ```ts
 * import { createTarStream } from "./tar_writer.ts";
 * const data = new TextEncoder().encode("hello");
 * async function* members() {
 *   yield { entry: { name: "hello.txt", type: "file" as const, size: data.length }, body: [data] };
 * }
 * const archive = createTarStream(members());
 * await new Response(archive).arrayBuffer(); // 2048 bytes: header, body block, end marker
 * ```
 */
export function createTarStream(
  inputs: AsyncIterable<TarWriterInput>,
  options: TarWriterOptions = {},
): ReadableStream<Uint8Array> {
  const assembler = new ChunkAssembler(options.chunkSize ?? 128 * 1024);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for await (const input of inputs) {
      const size = input.entry.type === "file" ? input.entry.size ?? 0 : 0;
      yield* assembler.put(encodeTarHeader(input.entry, options));
      yield* writeBody(input, size, assembler);
    }
    yield* assembler.zeros(2 * BLOCK_SIZE);
    if (assembler.pending > 0) yield assembler.take();
  }
  const iterator = chunks();
  let finished = false;
  // Pulled only when read (high-water mark 0), so a consumer that takes the direct source instead
  // never finds a chunk already taken by the stream's own queue.
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await iterator.return(undefined);
    },
  }, { highWaterMark: 0 });
  return withDirectSource(stream, {
    // The archive written straight into the reader's buffer: file bodies are read into it too.
    async read(buffer) {
      if (finished) return null;
      assembler.retarget(buffer);
      const { value, done } = await iterator.next();
      if (done) {
        finished = true;
        return null;
      }
      return value.length;
    },
  });
}
