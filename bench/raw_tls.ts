/**
 * The raw TLS limit as Deno sees it: connects to the bench server's raw listener with
 * `Deno.connectTls` (kubexec's default engine), asks for `BYTES` bytes without WebSocket framing
 * and discards them, reading into one 256 KiB buffer like kubexec's WebSocket reader.
 *
 * `deno run --allow-net --allow-read bench/raw_tls.ts HOST:PORT BYTES CA_FILE` prints
 * `{"bytes":N,"seconds":S}`.
 *
 * @module
 */

/**
 * Reads `bytes` bytes from the raw listener at `address` and returns how many arrived and how
 * long it took.
 *
 * @example
 * ```ts ignore
 * import { readRawTls } from "./raw_tls.ts";
 * const { seconds } = await readRawTls("127.0.0.1:4443", 1 << 30, caPem);
 * ```
 */
export async function readRawTls(
  address: string,
  bytes: number,
  caPem: string,
): Promise<{ bytes: number; seconds: number }> {
  const [hostname, port] = address.split(":");
  const conn = await Deno.connectTls({ hostname, port: Number(port), caCerts: [caPem] });
  try {
    const started = performance.now();
    await conn.write(new TextEncoder().encode(`GEN ${bytes}\n`));
    const buffer = new Uint8Array(256 * 1024);
    let total = 0;
    while (true) {
      const count = await conn.read(buffer);
      if (count === null) break;
      total += count;
    }
    return { bytes: total, seconds: (performance.now() - started) / 1000 };
  } finally {
    conn.close();
  }
}

if (import.meta.main) {
  const [address, bytes, caFile] = Deno.args;
  const result = await readRawTls(address, Number(bytes), await Deno.readTextFile(caFile));
  // deno-lint-ignore no-console
  console.log(JSON.stringify(result));
}
