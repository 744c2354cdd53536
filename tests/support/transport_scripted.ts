/**
 * An in-memory {@linkcode ByteConn} that replays scripted server bytes and records what the client
 * wrote, for parser and handshake tests without sockets.
 *
 * @module
 */
import type { ByteConn } from "../../lib/transport/types.ts";

/** A scripted connection and what was written to it. */
export interface ScriptedConn extends ByteConn {
  written: Uint8Array[];
  closed: boolean;
}

/**
 * Yields `chunks` one read at a time (so parsers see split input), then end of stream.
 *
 * @example
 * ```ts
 * import { scriptedConn } from "./transport_scripted.ts";
 * const conn = scriptedConn(["HTTP/1.1 200 OK\r\n", "Content-Length: 0\r\n\r\n"]);
 * ```
 */
export function scriptedConn(chunks: (string | Uint8Array)[]): ScriptedConn {
  const queue = chunks.map((c) => typeof c === "string" ? new TextEncoder().encode(c) : c);
  const conn: ScriptedConn = {
    written: [],
    closed: false,
    read(buffer) {
      const next = queue.shift();
      if (!next) return Promise.resolve(null);
      const count = Math.min(next.length, buffer.length);
      buffer.set(next.subarray(0, count));
      if (count < next.length) queue.unshift(next.subarray(count));
      return Promise.resolve(count);
    },
    writeAll(data) {
      conn.written.push(data.slice());
      return Promise.resolve();
    },
    closeWrite: () => Promise.resolve(),
    close() {
      conn.closed = true;
    },
  };
  return conn;
}
