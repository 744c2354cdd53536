/**
 * One accepted connection as the rest of the fake sees it, over two transports: Node's
 * `node:tls`/`node:net` sockets (the default; the only way under Deno to request client
 * certificates) and Deno's own `Deno.listenTls`/`Deno.listen` connections (no client
 * certificates, but less CPU per byte, for benchmarks where the server must outrun clients).
 * Reads are pulled and writes resolve when the connection can take more, so back-pressure
 * reaches the peer either way.
 *
 * @module
 */

import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";

/** The subject of a verified client certificate. */
export interface PeerIdentity {
  commonName: string;
  organizations: string[];
}

/** An accepted connection. */
export interface ServerConn {
  /** The next received bytes, or `null` once the peer closed or the connection failed. */
  read(): Promise<Uint8Array | null>;
  /**
   * Queues bytes (the caller must not reuse them) and resolves when the connection can take
   * more; never rejects (bytes written after the connection died are dropped).
   */
  write(bytes: Uint8Array): Promise<void>;
  /** Sends what is queued, then closes; the peer sees end-of-stream. Idempotent. */
  end(): void;
  /** Closes at once, dropping what is queued. Idempotent. */
  destroy(): void;
  /** Resolves once the connection is closed or the peer went away. */
  readonly closed: Promise<void>;
  readonly isClosed: boolean;
  /** The verified client certificate's subject, if any. */
  readonly peer: PeerIdentity | undefined;
}

/** Bytes buffered in either direction before the producer is held back. */
const HIGH_WATER = 1024 * 1024;

function identityOf(socket: Socket): PeerIdentity | undefined {
  const tls = socket as TLSSocket;
  if (typeof tls.getPeerCertificate !== "function" || !tls.authorized) return undefined;
  const subject = tls.getPeerCertificate()?.subject as unknown as
    | Record<string, string | string[]>
    | undefined;
  if (!subject?.CN) return undefined;
  const list = (value: string | string[] | undefined) =>
    value === undefined ? [] : Array.isArray(value) ? value : [value];
  return { commonName: list(subject.CN)[0], organizations: list(subject.O) };
}

/**
 * Wraps a Node socket (already connected, TLS handshake done for `node:tls`).
 *
 * @example
 * ```ts ignore
 * tls.createServer(options, (socket) => serve(nodeConn(socket)));
 * ```
 */
export function nodeConn(socket: Socket): ServerConn {
  const chunks: Uint8Array[] = [];
  let buffered = 0;
  let ended = false;
  let wake: (() => void) | undefined;
  let isClosed = false;
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  socket.on("data", (chunk: Uint8Array) => {
    chunks.push(chunk);
    buffered += chunk.length;
    if (buffered >= HIGH_WATER) socket.pause();
    notify();
  });
  const finish = () => {
    ended = true;
    notify();
  };
  socket.on("end", finish);
  socket.on("error", finish);
  socket.on("close", () => {
    finish();
    isClosed = true;
    markClosed();
  });
  const peer = identityOf(socket);
  return {
    peer,
    closed,
    get isClosed() {
      return isClosed || socket.destroyed;
    },
    async read() {
      while (chunks.length === 0) {
        if (ended) return null;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      const chunk = chunks.shift()!;
      buffered -= chunk.length;
      if (socket.isPaused() && buffered < HIGH_WATER / 2 && !ended) socket.resume();
      return chunk;
    },
    write(bytes) {
      if (socket.destroyed) return Promise.resolve();
      socket.write(bytes);
      if (socket.writableLength < HIGH_WATER) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          socket.off("drain", done);
          socket.off("close", done);
          resolve();
        };
        socket.on("drain", done);
        socket.on("close", done);
      });
    },
    end() {
      if (!socket.destroyed) socket.end(() => socket.destroy());
    },
    destroy() {
      socket.destroy();
    },
  };
}

/**
 * Wraps a Deno connection (TCP or TLS).
 *
 * @example
 * ```ts ignore
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const conn = denoConn(await listener.accept());
 * ```
 */
export function denoConn(conn: Deno.Conn): ServerConn {
  let isClosed = false;
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  let queue = Promise.resolve();
  // One buffer reused for every read; each read returns a right-sized copy (allocating a fresh
  // 64 KiB buffer per TLS record costs more in zero-filling than the copy does).
  const readBuffer = new Uint8Array(64 * 1024);
  let queued = 0;
  let ending = false;
  const close = () => {
    if (isClosed) return;
    isClosed = true;
    try {
      conn.close();
    } catch {
      // already closed
    }
    markClosed();
  };
  const writeAll = async (bytes: Uint8Array) => {
    try {
      for (let at = 0; at < bytes.length && !isClosed;) at += await conn.write(bytes.subarray(at));
    } catch {
      close();
    }
  };
  return {
    peer: undefined,
    closed,
    get isClosed() {
      return isClosed;
    },
    async read() {
      if (isClosed) return null;
      let count: number | null;
      try {
        count = await conn.read(readBuffer);
      } catch {
        count = null;
      }
      if (count === null) {
        // The peer finished; flush what is queued, then release the connection.
        void queue.then(close);
        return null;
      }
      return readBuffer.slice(0, count);
    },
    write(bytes) {
      if (isClosed || ending) return Promise.resolve();
      queued += bytes.length;
      const written = queue.then(() => writeAll(bytes)).then(() => {
        queued -= bytes.length;
      });
      queue = written;
      return queued < HIGH_WATER ? Promise.resolve() : written;
    },
    end() {
      if (ending) return;
      ending = true;
      void queue.then(close);
    },
    destroy: close,
  };
}
