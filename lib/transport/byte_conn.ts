/**
 * Adapters that present Deno connections and `node:net`/`node:tls` sockets as the pull-based
 * {@linkcode ByteConn} (the opposite direction, a `ByteConn` as a Node `Duplex`, is in
 * `byte_conn_duplex.ts`, loaded only when `node:tls` is used).
 *
 * Back-pressure: a Node socket is paused whenever more than {@linkcode NODE_READ_AHEAD_BYTES} are
 * queued. Measured with Deno 2.9.6, pausing a `node:tls` socket does not stop it from reading the
 * underlying connection (a paused client buffered all 64 MiB a server sent), so TLS sockets are run
 * over a `Duplex` whose reads wait on a {@linkcode ReadGate} that the consumer side closes while its
 * queue is full. That bounds what is read ahead to about the queue limit plus one read buffer.
 *
 * @module
 */
import type { Socket } from "node:net";
import type { ByteConn } from "./types.ts";

/** How many bytes a Node socket may queue ahead of the reader before it is paused. */
export const NODE_READ_AHEAD_BYTES = 256 * 1024;

/**
 * An open/closed signal from the decrypted side of a `node:tls` socket to the `Duplex` below it.
 *
 * @example
 * ```ts
 * import { ReadGate } from "./byte_conn.ts";
 * const gate = new ReadGate();
 * gate.setOpen(false);
 * setTimeout(() => gate.setOpen(true), 1);
 * await gate.wait();
 * ```
 */
export class ReadGate {
  #open = true;
  #waiters: (() => void)[] = [];

  /** Opens or closes the gate; opening releases every waiter. */
  setOpen(open: boolean): void {
    this.#open = open;
    if (open) { for (const wake of this.#waiters.splice(0)) wake(); }
  }

  /** Resolves when the gate is open. */
  wait(): Promise<void> {
    return this.#open ? Promise.resolve() : new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/**
 * Wraps a Deno TCP or TLS connection.
 *
 * @example
 * ```ts ignore
 * import { denoByteConn } from "./byte_conn.ts";
 * const conn = denoByteConn(await Deno.connect({ hostname: "127.0.0.1", port: 8080 }));
 * await conn.writeAll(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"));
 * ```
 */
export function denoByteConn(conn: Deno.TcpConn | Deno.TlsConn | Deno.Conn): ByteConn {
  let closed = false;
  return {
    read(buffer) {
      if (closed) return Promise.resolve(null);
      // A plain promise chain, not an async function: this is the hot path of every stream
      // (one call per TLS record), and each async frame costs a promise and a microtask hop.
      return conn.read(buffer).catch((error) => {
        if (closed || error instanceof Deno.errors.BadResource) return null;
        throw error;
      });
    },
    async writeAll(data) {
      let offset = 0;
      while (offset < data.length) offset += await conn.write(data.subarray(offset));
    },
    async closeWrite() {
      if (!closed) await conn.closeWrite();
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch {
        // Already closed by the peer or the runtime: closing is idempotent by contract.
      }
    },
  };
}

/**
 * Wraps a connected `node:net` or `node:tls` socket. The socket is paused immediately; data flows
 * only while {@linkcode ByteConn.read} calls drain the queue.
 *
 * @example
 * ```ts ignore
 * import * as net from "node:net";
 * import { nodeByteConn } from "./byte_conn.ts";
 * const conn = nodeByteConn(net.connect(8080, "127.0.0.1"));
 * ```
 */
export function nodeByteConn(socket: Socket, gate?: ReadGate): ByteConn {
  const queue: Uint8Array[] = [];
  let queuedBytes = 0;
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  let closed = false;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  socket.pause();
  socket.on("data", (chunk: Uint8Array) => {
    queue.push(chunk);
    queuedBytes += chunk.length;
    if (queuedBytes >= NODE_READ_AHEAD_BYTES) {
      socket.pause();
      gate?.setOpen(false);
    }
    notify();
  });
  socket.on("end", () => {
    ended = true;
    notify();
  });
  socket.on("error", (error: Error) => {
    failure ??= error;
    notify();
  });
  socket.on("close", () => {
    ended = true;
    notify();
  });
  return {
    async read(buffer) {
      while (queue.length === 0) {
        if (failure && !closed) throw failure;
        if (ended || closed) return null;
        socket.resume();
        await new Promise<void>((resolve) => (wake = resolve));
      }
      const head = queue[0];
      const count = Math.min(head.length, buffer.length);
      buffer.set(count === head.length ? head : head.subarray(0, count));
      if (count === head.length) queue.shift();
      else queue[0] = head.subarray(count);
      queuedBytes -= count;
      if (queuedBytes < NODE_READ_AHEAD_BYTES && !ended) {
        socket.resume();
        gate?.setOpen(true);
      }
      return count;
    },
    writeAll(data) {
      if (failure) return Promise.reject(failure);
      if (closed || socket.destroyed) {
        return Promise.reject(new Deno.errors.BrokenPipe("socket closed"));
      }
      return new Promise((resolve, reject) => {
        socket.write(data, (error?: Error | null) => (error ? reject(error) : resolve()));
      });
    },
    closeWrite() {
      if (closed || socket.destroyed || socket.writableEnded) return Promise.resolve();
      return new Promise((resolve) => socket.end(() => resolve()));
    },
    close() {
      if (closed) return;
      closed = true;
      socket.destroy();
      gate?.setOpen(true);
      notify();
    },
  };
}
