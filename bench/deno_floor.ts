/**
 * The floor of a Deno WebSocket reader: the least work any Deno client can do to receive an
 * exec's stdout. One `Deno.startTls` connection, the upgrade written by hand, frames parsed inline
 * in one 512 KiB buffer, each stdout payload written with `writeSync` — no session, no status, no
 * checks, no `GET` of the pod. It is what kubexec's receive path would cost with nothing around
 * it, so `deno task bench`'s rows can be read against it:
 *
 * - throughput and peak RSS behind a slow reader: `stdout` as the sink (the script's own stdout,
 *   written synchronously, as kubexec must write its stdout; a full pipe stops it), the result on
 *   stderr. `null` instead writes to a `/dev/null` the script opens itself, which skips Deno's
 *   stdout wrapper (Rust's line-buffered `Stdout`, locked and flushed on every write): 1 GiB in
 *   0.34 s against 0.38–0.40 s to stdout here;
 * - start-to-exit: `0` bytes runs `true` instead (connect, TLS, upgrade, read to the close frame),
 *   the least a Deno process does for `exec -- true`.
 *
 * `deno run --allow-net --allow-read --allow-write bench/deno_floor.ts HOST:PORT CA_FILE TOKEN BYTES [null|stdout]`
 * against `bench/server` prints `{"bytes":N,"seconds":S}`.
 *
 * @module
 */

/** Where the floor reader writes the stdout payloads it receives. */
export type FloorSink = "null" | "stdout";

export async function readFloor(
  address: string,
  caPem: string,
  token: string,
  bytes: number,
  sinkKind: FloorSink = "null",
): Promise<{ bytes: number; seconds: number }> {
  const [hostname, port] = address.split(":");
  const tcp = await Deno.connect({ hostname, port: Number(port) });
  tcp.setNoDelay(true);
  const conn = await Deno.startTls(tcp, {
    hostname,
    caCerts: [caPem],
    alpnProtocols: ["http/1.1"],
  });
  const sink = sinkKind === "stdout" ? Deno.stdout : Deno.openSync("/dev/null", { write: true });
  const command = bytes === 0 ? "true" : `__kubexec_generate&command=${bytes}`;
  try {
    const started = performance.now();
    await conn.write(
      new TextEncoder().encode(
        `GET /api/v1/namespaces/default/pods/bench/exec?command=${command}` +
          `&stdout=true HTTP/1.1\r\nHost: ${address}\r\nUpgrade: websocket\r\n` +
          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n" +
          `Authorization: Bearer ${token}\r\n\r\n`,
      ),
    );
    const buffer = new Uint8Array(512 * 1024);
    let start = 0;
    let end = 0;
    let total = 0;
    let headDone = false;
    reading: while (true) {
      if (buffer.length - end < 64 * 1024) {
        buffer.copyWithin(0, start, end);
        end -= start;
        start = 0;
      }
      const count = await conn.read(buffer.subarray(end));
      if (count === null) break;
      end += count;
      if (!headDone) {
        const text = new TextDecoder().decode(buffer.subarray(0, end));
        const headEnd = text.indexOf("\r\n\r\n");
        if (headEnd < 0) continue;
        start = headEnd + 4;
        headDone = true;
      }
      while (end - start >= 2) {
        const code = buffer[start + 1] & 0x7f;
        let headerLength = 2;
        let length = code;
        if (code === 126) {
          if (end - start < 4) break;
          length = (buffer[start + 2] << 8) | buffer[start + 3];
          headerLength = 4;
        } else if (code === 127) {
          if (end - start < 10) break;
          length = buffer[start + 6] * 2 ** 24 + (buffer[start + 7] << 16) +
            (buffer[start + 8] << 8) + buffer[start + 9];
          headerLength = 10;
        }
        if (end - start < headerLength + length) break;
        if ((buffer[start] & 0x0f) === 0x8) break reading;
        if (length > 1 && buffer[start + headerLength] === 1) {
          total += length - 1;
          sink.writeSync(buffer.subarray(start + headerLength + 1, start + headerLength + length));
        }
        start += headerLength + length;
      }
    }
    return { bytes: total, seconds: (performance.now() - started) / 1000 };
  } finally {
    conn.close();
    if (sink !== Deno.stdout) sink.close();
  }
}

if (import.meta.main) {
  const [address, caFile, token, bytes, sink = "null"] = Deno.args;
  if (sink !== "null" && sink !== "stdout") throw new Error(`sink must be null or stdout: ${sink}`);
  const caPem = await Deno.readTextFile(caFile);
  const result = await readFloor(address, caPem, token, Number(bytes), sink);
  // deno-lint-ignore no-console
  (sink === "stdout" ? console.error : console.log)(JSON.stringify(result));
}
