/**
 * A {@linkcode ByteConn} as a Node `Duplex` stream, so `node:tls` runs TLS over a connection
 * kubexec opened (a proxy tunnel or a plain `Deno.connect`). Its own module so that `node:stream`
 * is loaded only on the `node:tls` path: the default engine never needs it, and start-up pays for
 * every module evaluated.
 *
 * @module
 */
import { Duplex } from "node:stream";
import type { ByteConn } from "./types.ts";
import type { ReadGate } from "./byte_conn.ts";

/**
 * Presents a {@linkcode ByteConn} as a Node `Duplex` stream, for `node:tls` `connect({ socket })`
 * over a proxy tunnel. Node's own stream buffering bounds what is read ahead.
 *
 * @example
 * ```ts ignore
 * import * as tls from "node:tls";
 * import { ReadGate } from "./byte_conn.ts";
 * import { byteConnDuplex } from "./byte_conn_duplex.ts";
 * const gate = new ReadGate();
 * const secure = tls.connect({ socket: byteConnDuplex(tunnel, { gate }), servername: "api.example" });
 * ```
 */
export function byteConnDuplex(
  conn: ByteConn,
  options: { gate?: ReadGate; readBufferBytes?: number } = {},
): Duplex {
  const readBufferBytes = options.readBufferBytes ?? 64 * 1024;
  return new Duplex({
    read() {
      const buffer = new Uint8Array(readBufferBytes);
      (options.gate?.wait() ?? Promise.resolve()).then(() => conn.read(buffer)).then(
        (count) => this.push(count === null ? null : buffer.subarray(0, count)),
        (error) => this.destroy(error),
      );
    },
    write(chunk: Uint8Array, _encoding, callback) {
      conn.writeAll(chunk).then(() => callback(), (error) => callback(error));
    },
    final(callback) {
      conn.closeWrite().then(() => callback(), (error) => callback(error));
    },
    destroy(error, callback) {
      conn.close();
      callback(error);
    },
  });
}
