/**
 * Streams for byte-exactness tests that never hold the payload in memory: a source of random
 * bytes that hashes what it hands out, a sink that hashes what it receives, and an in-process
 * {@linkcode Io} wired to them. 64 MiB pass through in 64 KiB chunks, each pulled only when the
 * consumer is ready (a high-water mark of zero), so the test also exercises back-pressure.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import type { Io, TerminalControl } from "../../lib/cli/io.ts";
import { noTerminal } from "../../lib/cli/io.ts";

/** Bytes per chunk; also the largest size `crypto.getRandomValues` fills at once. */
const CHUNK_BYTES = 64 * 1024;

/** A running SHA-256 and byte count. */
export interface Digest {
  /** Bytes seen so far. */
  readonly bytes: number;
  /** Hex SHA-256 of the bytes seen; call once, after the stream ended. */
  hex(): string;
}

class CountingHash implements Digest {
  readonly #hash: Hash = createHash("sha256");
  #bytes = 0;
  get bytes(): number {
    return this.#bytes;
  }
  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
  }
  hex(): string {
    return this.#hash.digest("hex");
  }
}

/**
 * A pull-based stream of `size` random bytes and the digest of what it produced.
 *
 * @example
 * ```ts
 * import { randomSource } from "./hashing_streams.ts";
 * const { stream, digest } = randomSource(1024);
 * for await (const _ of stream) { }
 * digest.bytes; // 1024
 * ```
 */
export function randomSource(size: number): { stream: ReadableStream<Uint8Array>; digest: Digest } {
  const digest = new CountingHash();
  let remaining = size;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (remaining === 0) {
        controller.close();
        return;
      }
      const chunk = new Uint8Array(Math.min(remaining, CHUNK_BYTES));
      crypto.getRandomValues(chunk);
      digest.update(chunk);
      remaining -= chunk.length;
      controller.enqueue(chunk);
    },
  }, { highWaterMark: 0 });
  return { stream, digest };
}

/**
 * A sink that hashes every chunk written to it.
 *
 * @example
 * ```ts
 * import { hashingSink } from "./hashing_streams.ts";
 * const { stream, digest } = hashingSink();
 * await ReadableStream.from([new Uint8Array([1, 2])]).pipeTo(stream);
 * digest.bytes; // 2
 * ```
 */
export function hashingSink(): { stream: WritableStream<Uint8Array>; digest: Digest } {
  const digest = new CountingHash();
  const stream = new WritableStream<Uint8Array>({
    write(chunk) {
      digest.update(chunk);
    },
  });
  return { stream, digest };
}

/**
 * Writes `size` random bytes to `path` (streamed) and returns their digest.
 *
 * @example
 * ```ts ignore
 * import { writeRandomFile } from "./hashing_streams.ts";
 * const digest = await writeRandomFile("/tmp/data.bin", 1 << 20);
 * ```
 */
export async function writeRandomFile(path: string, size: number): Promise<Digest> {
  const { stream, digest } = randomSource(size);
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  await stream.pipeTo(file.writable);
  return digest;
}

/** An in-process Io with caller-supplied stdin and stdout, and stderr kept as text. */
export interface StreamingIo {
  io: Io;
  stderr: () => string;
}

/**
 * Builds an {@linkcode Io} around the given streams; stderr is collected (it stays small).
 *
 * @example
 * ```ts ignore
 * import { hashingSink, randomSource, streamingIo } from "./hashing_streams.ts";
 * const { io, stderr } = streamingIo({ stdin: randomSource(10).stream, stdout: hashingSink().stream });
 * ```
 */
export function streamingIo(options: {
  stdin?: ReadableStream<Uint8Array>;
  stdout: WritableStream<Uint8Array>;
  env?: Record<string, string>;
  stdinIsTerminal?: boolean;
  terminal?: TerminalControl;
}): StreamingIo {
  const decoder = new TextDecoder();
  let errText = "";
  const env = options.env ?? { HOME: "/nonexistent-home" };
  const io: Io = {
    stdin: options.stdin ?? ReadableStream.from<Uint8Array>([]),
    stdout: options.stdout,
    stderr: new WritableStream({
      write(chunk) {
        errText += decoder.decode(chunk, { stream: true });
      },
    }),
    stdinIsTerminal: options.stdinIsTerminal ?? false,
    stdoutIsTerminal: false,
    stderrIsTerminal: false,
    env: (name) => env[name],
    terminal: options.terminal ?? noTerminal,
    log: (line) => void (errText += line),
  };
  return { io, stderr: () => errText };
}
