/**
 * Test helpers for cp: building archives byte by byte (including malicious ones), chunked streams,
 * temporary directories, hashing local files, running host commands.
 *
 * @module
 */
import { BLOCK_SIZE, paddedSize } from "../../lib/cp/tar_format.ts";
import { encodeTarHeader, type TarWriterEntry } from "../../lib/cp/tar_writer.ts";

/** One member of a hand-built archive; `data` defaults to `size` bytes of "x" for files. */
export interface Member {
  entry: TarWriterEntry;
  data?: Uint8Array;
}

/** Concatenates byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Builds an archive from members; `end: false` leaves out the end-of-archive marker. */
export function buildArchive(members: Member[], options: { end?: boolean } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const { entry, data } of members) {
    const body = data ?? new Uint8Array(entry.type === "file" ? entry.size ?? 0 : 0).fill(0x78);
    const withSize = entry.type === "file" ? { ...entry, size: entry.size ?? body.length } : entry;
    parts.push(encodeTarHeader(withSize));
    const padded = new Uint8Array(paddedSize(body.length));
    padded.set(body);
    parts.push(padded);
  }
  if (options.end ?? true) parts.push(new Uint8Array(2 * BLOCK_SIZE));
  return concat(parts);
}

/** A stream of `bytes` in chunks of `chunkSize` (small sizes exercise block boundaries). */
export function chunked(bytes: Uint8Array, chunkSize = 700): ReadableStream<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    chunks.push(bytes.slice(offset, offset + chunkSize));
  }
  return ReadableStream.from(chunks);
}

/** Reads a whole stream. */
export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A temporary directory removed on dispose. */
export async function tempDir(
  prefix = "kubexec-cp-test-",
): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.chmod(path, 0o755).catch(() => {});
      await makeWritable(path);
      await Deno.remove(path, { recursive: true });
    },
  };
}

async function makeWritable(path: string): Promise<void> {
  for await (const entry of Deno.readDir(path)) {
    if (entry.isDirectory) {
      await Deno.chmod(`${path}/${entry.name}`, 0o755);
      await makeWritable(`${path}/${entry.name}`);
    }
  }
}

/** Runs a host command; returns exit code and text output. */
export async function run(
  command: string,
  args: string[],
  options: { cwd?: string; stdin?: Uint8Array } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(command, {
    args,
    cwd: options.cwd,
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(options.stdin);
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** sha256 of a local file, via the host's sha256sum (independent of the code under test). */
export async function fileSha256(path: string): Promise<string> {
  const { stdout, code } = await run("sha256sum", [path]);
  if (code !== 0) throw new Error(`sha256sum ${path} failed`);
  return stdout.slice(0, 64);
}

/** Writes `size` pseudo-random bytes (deterministic per seed) to `path`, streaming. */
export async function writeRandomFile(path: string, size: number, seed = 1): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    let state = seed >>> 0 || 1;
    const block = new Uint8Array(1024 * 1024);
    const words = new Uint32Array(block.buffer);
    let remaining = size;
    while (remaining > 0) {
      for (let i = 0; i < words.length; i++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        words[i] = state >>> 0;
      }
      const count = Math.min(remaining, block.length);
      let offset = 0;
      while (offset < count) offset += await file.write(block.subarray(offset, count));
      remaining -= count;
    }
  } finally {
    file.close();
  }
}

/** Lists a tree as sorted "type path [size mode] [-> target]" lines, for comparing two trees. */
export async function describeTree(
  root: string,
  options: { modes?: boolean; mtimes?: boolean } = {},
): Promise<string[]> {
  const lines: string[] = [];
  async function visit(path: string, relative: string) {
    const info = await Deno.lstat(path);
    const mode = options.modes ? ` ${(info.mode! & 0o777).toString(8)}` : "";
    const mtime = options.mtimes && !info.isSymlink
      ? ` @${Math.floor(info.mtime!.getTime() / 1000)}`
      : "";
    if (info.isSymlink) lines.push(`l ${relative} -> ${await Deno.readLink(path)}`);
    else if (info.isFile) lines.push(`f ${relative} ${info.size}${mode}${mtime}`);
    else if (info.isDirectory) {
      lines.push(`d ${relative}${mode}${relative === "." ? "" : mtime}`);
      for await (const child of Deno.readDir(path)) {
        await visit(
          `${path}/${child.name}`,
          relative === "." ? child.name : `${relative}/${child.name}`,
        );
      }
    }
  }
  await visit(root, ".");
  return lines.sort();
}
