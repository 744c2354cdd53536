/**
 * TCP services standing in for what runs inside a pod during port-forward tests, listening on
 * loopback ports that a fake pod's `portMap` points at, plus the client half of their protocols.
 *
 * - **exchange**: the client sends a 16-byte header (upload size N, download size M, both
 *   big-endian uint64), then N bytes. The service sends, concurrently with reading, M random
 *   bytes, then the sha256 of those M bytes, then — once all N bytes arrived — the sha256 of what
 *   it received, and closes. Needs no half-close, so it works over the legacy protocol too.
 * - **digest-at-eof**: reads until end of stream, then answers `COUNT SHA256\n` and closes (needs
 *   the client's half-close to reach the pod).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { randomBytes } from "../random_bytes.ts";

/** A running pod-side service. */
export interface PodService {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections currently open. */
  readonly open: number;
  /** Closes the listener and every open connection. */
  close(): Promise<void>;
}

type Handler = (conn: Deno.TcpConn) => Promise<void>;

function serve(handler: Handler): PodService {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.TcpConn>();
  const tasks = new Set<Promise<void>>();
  let accepted = 0;
  const loop = (async () => {
    while (true) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      accepted++;
      conns.add(conn);
      const task: Promise<void> = handler(conn).catch(() => {}).finally(() => {
        conns.delete(conn);
        tasks.delete(task);
        try {
          conn.close();
        } catch {
          // closed by the handler
        }
      });
      tasks.add(task);
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get accepted() {
      return accepted;
    },
    get open() {
      return conns.size;
    },
    async close() {
      listener.close();
      await loop;
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
      await Promise.all([...tasks]);
    },
  };
}

async function readExactly(conn: Deno.Conn, size: number): Promise<Uint8Array | null> {
  const out = new Uint8Array(size);
  let filled = 0;
  while (filled < size) {
    const count = await conn.read(out.subarray(filled));
    if (count === null) return null;
    filled += count;
  }
  return out;
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await conn.write(data.subarray(offset));
}

/**
 * Starts the exchange service.
 *
 * @example
 * ```ts ignore
 * const service = startExchangeService();
 * // pod portMap: { 80: service.port }
 * ```
 */
export function startExchangeService(): PodService {
  return serve(async (conn) => {
    const header = await readExactly(conn, 16);
    if (!header) return;
    const view = new DataView(header.buffer);
    const upload = Number(view.getBigUint64(0));
    const download = Number(view.getBigUint64(8));
    const received = (async () => {
      const hash = createHash("sha256");
      const buffer = new Uint8Array(64 * 1024);
      let left = upload;
      while (left > 0) {
        const count = await conn.read(buffer.subarray(0, Math.min(buffer.length, left)));
        if (count === null) throw new Error("client ended early");
        hash.update(buffer.subarray(0, count));
        left -= count;
      }
      return new Uint8Array(hash.digest());
    })();
    // Awaited below; handled now so a client that leaves early is no unhandled rejection.
    received.catch(() => {});
    const sent = createHash("sha256");
    const chunk = randomBytes(64 * 1024);
    let left = download;
    while (left > 0) {
      const part = chunk.subarray(0, Math.min(chunk.length, left));
      chunk[0]++;
      sent.update(part);
      await writeAll(conn, part);
      left -= part.length;
    }
    await writeAll(conn, new Uint8Array(sent.digest()));
    await writeAll(conn, await received);
  });
}

/**
 * Starts the digest-at-eof service.
 *
 * @example
 * ```ts ignore
 * const service = startDigestAtEofService();
 * ```
 */
export function startDigestAtEofService(): PodService {
  return serve(async (conn) => {
    const hash = createHash("sha256");
    const buffer = new Uint8Array(64 * 1024);
    let total = 0;
    while (true) {
      const count = await conn.read(buffer);
      if (count === null) break;
      hash.update(buffer.subarray(0, count));
      total += count;
    }
    await writeAll(conn, new TextEncoder().encode(`${total} ${hash.digest("hex")}\n`));
  });
}

/** What one exchange observed on the client side. */
export interface ExchangeResult {
  /** Both sha256 checks passed and every byte arrived. */
  ok: boolean;
  /** Bytes received before the stream ended. */
  received: number;
  /** Why it failed, when it did. */
  problem?: string;
}

/**
 * Runs one exchange through `port` on loopback: sends `upload` random bytes, receives `download`
 * bytes, checks both digests. `onProgress` sees the received byte count (to cut a transfer
 * midway); `halfClose` shuts the write side once everything was sent.
 *
 * @example
 * ```ts ignore
 * const result = await runExchange(localPort, 8 << 20, 8 << 20);
 * ```
 */
export async function runExchange(
  port: number,
  upload: number,
  download: number,
  options: {
    halfClose?: boolean;
    onProgress?: (received: number, conn: Deno.TcpConn) => void;
    /** Where to connect; default 127.0.0.1. */
    hostname?: string;
  } = {},
): Promise<ExchangeResult> {
  const conn = await Deno.connect({ hostname: options.hostname ?? "127.0.0.1", port });
  try {
    const header = new Uint8Array(16);
    const view = new DataView(header.buffer);
    view.setBigUint64(0, BigInt(upload));
    view.setBigUint64(8, BigInt(download));
    const sentHash = createHash("sha256");
    const sending = (async () => {
      await writeAll(conn, header);
      const chunk = randomBytes(64 * 1024);
      let left = upload;
      while (left > 0) {
        const part = chunk.subarray(0, Math.min(chunk.length, left));
        chunk[0]++;
        sentHash.update(part);
        await writeAll(conn, part);
        left -= part.length;
      }
      if (options.halfClose) await conn.closeWrite();
    })();
    const sendError = sending.then(() => undefined, (error: Error) => error.message);
    const receivedHash = createHash("sha256");
    const tail = new Uint8Array(64);
    let tailLength = 0;
    let received = 0;
    const buffer = new Uint8Array(64 * 1024);
    while (true) {
      let count: number | null;
      try {
        count = await conn.read(buffer);
      } catch (error) {
        await sendError;
        return { ok: false, received, problem: (error as Error).message };
      }
      if (count === null) break;
      const payloadEnd = Math.max(0, Math.min(count, download - received));
      receivedHash.update(buffer.subarray(0, payloadEnd));
      const tailStart = received + payloadEnd - download;
      const tailBytes = buffer.subarray(payloadEnd, Math.min(count, payloadEnd + 64 - tailStart));
      if (tailBytes.length > 0) tail.set(tailBytes, tailStart);
      received += count;
      tailLength = Math.max(0, received - download);
      options.onProgress?.(received, conn);
    }
    const sendProblem = await sendError;
    if (sendProblem) return { ok: false, received, problem: `send failed: ${sendProblem}` };
    if (received !== download + 64 || tailLength !== 64) {
      return { ok: false, received, problem: `received ${received} of ${download + 64} bytes` };
    }
    const hex = (bytes: Uint8Array) =>
      Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    if (hex(tail.subarray(0, 32)) !== receivedHash.digest("hex")) {
      return { ok: false, received, problem: "downloaded bytes differ from what the pod sent" };
    }
    if (hex(tail.subarray(32)) !== sentHash.digest("hex")) {
      return { ok: false, received, problem: "the pod received other bytes than were sent" };
    }
    return { ok: true, received };
  } finally {
    try {
      conn.close();
    } catch {
      // closed by a cut
    }
  }
}
