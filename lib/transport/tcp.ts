/**
 * Opening a plain TCP connection with Go-like errors (`dial tcp 127.0.0.1:1: connect: connection
 * refused`).
 *
 * @module
 */
import { denoByteConn } from "./byte_conn.ts";
import { classifyConnectionError, formatAuthority } from "./tls_errors.ts";
import type { ByteConn } from "./types.ts";

/**
 * Connects to `host:port` over TCP.
 *
 * @example
 * ```ts ignore
 * import { connectTcp } from "./tcp.ts";
 * const conn = await connectTcp("127.0.0.1", 8080);
 * ```
 */
export async function connectTcp(host: string, port: number): Promise<ByteConn> {
  try {
    const conn = await Deno.connect({ hostname: host, port });
    // Small writes (a TLS handshake's last flight, a keystroke) must not wait for an ACK.
    conn.setNoDelay(true);
    return denoByteConn(conn);
  } catch (error) {
    throw classifyConnectionError(error, formatAuthority(host, port), host);
  }
}
