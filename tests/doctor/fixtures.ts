/**
 * Helpers for doctor's tests: a loopback proxy that refuses every CONNECT, and adding a
 * `proxy-url` to a kubeconfig written by `writeKubeconfig`.
 *
 * @module
 */

/** A running refusing proxy. */
export interface RefusingProxy {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts a proxy that answers every request with `status` (or with `raw` bytes, to play something
 * that is not a proxy) and closes the connection.
 *
 * @example
 * ```ts ignore
 * const proxy = await startRefusingProxy(403, "Forbidden");
 * await proxy.close();
 * ```
 */
export function startRefusingProxy(
  status: number,
  reason: string,
  raw?: string,
): Promise<RefusingProxy> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const serve = async (conn: Deno.Conn) => {
    open.add(conn);
    try {
      const buffer = new Uint8Array(4096);
      let head = "";
      while (!head.includes("\r\n\r\n")) {
        const count = await conn.read(buffer);
        if (count === null) return;
        head += new TextDecoder().decode(buffer.subarray(0, count));
      }
      await conn.write(
        new TextEncoder().encode(
          raw ?? `HTTP/1.1 ${status} ${reason}\r\nContent-Length: 0\r\n\r\n`,
        ),
      );
    } catch {
      // The client went away first.
    } finally {
      open.delete(conn);
      conn.close();
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) serve(conn);
  })().catch(() => undefined);
  const port = (listener.addr as Deno.NetAddr).port;
  return Promise.resolve({
    url: `http://127.0.0.1:${port}`,
    async close() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch {
          // Already closed by its handler.
        }
      }
      await accepting;
    },
  });
}

/**
 * Adds `proxy-url` to the (single) cluster of a kubeconfig written by `writeKubeconfig`.
 *
 * @example
 * ```ts ignore
 * await withProxyUrl(path, "http://127.0.0.1:3128");
 * ```
 */
export async function withProxyUrl(path: string, proxyUrl: string): Promise<void> {
  const text = await Deno.readTextFile(path);
  const updated = text.replace(
    /^(\s*)"server": (.*)$/m,
    (_match, indent: string, value: string) =>
      `${indent}"server": ${value}\n${indent}"proxy-url": ${JSON.stringify(proxyUrl)}`,
  );
  if (updated === text) throw new Error("no server line in the kubeconfig");
  await Deno.writeTextFile(path, updated);
}
