/**
 * Tiny loopback proxies for transport tests: an HTTP CONNECT proxy (optionally demanding
 * `Proxy-Authorization: Basic`, answering 407 otherwise), the same over TLS (an "https proxy"),
 * and a SOCKS5 proxy (no authentication, or username/password). Each records what clients asked
 * for and destroys every socket on `close()`.
 *
 * @module
 */
import * as net from "node:net";
import * as tls from "node:tls";

/** A running proxy. */
export interface TestProxy {
  /** `http://127.0.0.1:port`, `https://…` or `socks5://…` (without credentials). */
  url: URL;
  /** `host:port` targets requested, in order. */
  targets: string[];
  /** `Proxy-Authorization` values (or SOCKS usernames) seen. */
  authorizations: string[];
  close(): Promise<void>;
}

function tracker() {
  const sockets = new Set<net.Socket>();
  return {
    add(socket: net.Socket) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
    },
    destroyAll() {
      for (const socket of sockets) socket.destroy();
    },
  };
}

function splice(a: net.Socket, b: net.Socket): void {
  a.pipe(b);
  b.pipe(a);
  a.on("close", () => b.destroy());
  b.on("close", () => a.destroy());
}

/** Reads from `socket` until `predicate(buffer)` returns a byte count to take. */
function readUntil(
  socket: net.Socket,
  predicate: (buffer: Uint8Array) => number,
): Promise<{ taken: Uint8Array; rest: Uint8Array }> {
  return new Promise((resolve, reject) => {
    let buffer = new Uint8Array(0);
    const onData = (chunk: Uint8Array) => {
      const joined = new Uint8Array(buffer.length + chunk.length);
      joined.set(buffer);
      joined.set(chunk, buffer.length);
      buffer = joined;
      const count = predicate(buffer);
      if (count > 0) {
        socket.off("data", onData);
        socket.pause();
        resolve({ taken: buffer.slice(0, count), rest: buffer.slice(count) });
      }
    };
    socket.on("data", onData);
    socket.once("close", () => reject(new Error("closed")));
  });
}

/**
 * Starts an HTTP CONNECT proxy; with `tls` it is an https proxy; with `credentials` it answers
 * `407` unless `Proxy-Authorization: Basic base64(user:password)` matches.
 *
 * @example
 * ```ts ignore
 * const proxy = await startConnectProxy({ credentials: { username: "u", password: "p" } });
 * await proxy.close();
 * ```
 */
export async function startConnectProxy(options: {
  tls?: { certPem: string; keyPem: string };
  credentials?: { username: string; password: string };
} = {}): Promise<TestProxy> {
  const sockets = tracker();
  const targets: string[] = [];
  const authorizations: string[] = [];
  const expected = options.credentials
    ? `Basic ${btoa(`${options.credentials.username}:${options.credentials.password}`)}`
    : undefined;
  const handle = async (client: net.Socket) => {
    sockets.add(client);
    try {
      const { taken, rest } = await readUntil(client, (buffer) => {
        const text = new TextDecoder().decode(buffer);
        const end = text.indexOf("\r\n\r\n");
        return end < 0 ? 0 : end + 4;
      });
      const head = new TextDecoder().decode(taken);
      const [method, target] = head.split("\r\n")[0].split(" ");
      const authorization = /\r\nProxy-Authorization: ([^\r]*)/i.exec(head)?.[1];
      if (authorization) authorizations.push(authorization);
      if (method !== "CONNECT") {
        client.end("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      targets.push(target);
      if (expected && authorization !== expected) {
        client.end(
          'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 6\r\n\r\ndenied',
        );
        return;
      }
      const colon = target.lastIndexOf(":");
      const host = target.slice(0, colon).replace(/^\[|\]$/g, "");
      const upstream = net.connect(Number(target.slice(colon + 1)), host);
      sockets.add(upstream);
      upstream.once("error", () => {
        client.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
      });
      upstream.once("connect", () => {
        client.write("HTTP/1.1 200 Connection established\r\n\r\n");
        if (rest.length > 0) upstream.write(rest);
        splice(client, upstream);
        client.resume();
      });
    } catch {
      client.destroy();
    }
  };
  const server = options.tls
    ? tls.createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, handle)
    : net.createServer(handle);
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: new URL(`${options.tls ? "https" : "http"}://127.0.0.1:${port}`),
    targets,
    authorizations,
    async close() {
      sockets.destroyAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Starts a SOCKS5 proxy (RFC 1928 CONNECT); with `credentials` it requires RFC 1929
 * username/password authentication.
 *
 * @example
 * ```ts ignore
 * const proxy = await startSocks5Proxy();
 * await proxy.close();
 * ```
 */
export async function startSocks5Proxy(options: {
  credentials?: { username: string; password: string };
} = {}): Promise<TestProxy> {
  const sockets = tracker();
  const targets: string[] = [];
  const authorizations: string[] = [];
  const decoder = new TextDecoder();
  const server = net.createServer(async (client) => {
    sockets.add(client);
    try {
      let { taken, rest } = await readUntil(
        client,
        (b) => (b.length >= 2 && b.length >= 2 + b[1] ? 2 + b[1] : 0),
      );
      const methods = [...taken.subarray(2)];
      const wanted = options.credentials ? 2 : 0;
      if (!methods.includes(wanted)) {
        client.end(Uint8Array.of(5, 0xff));
        return;
      }
      client.write(Uint8Array.of(5, wanted));
      const next = async (predicate: (b: Uint8Array) => number) => {
        if (rest.length > 0 && predicate(rest) > 0) {
          const count = predicate(rest);
          const out = rest.slice(0, count);
          rest = rest.slice(count);
          return out;
        }
        client.resume();
        const result = await readUntil(client, (b) => {
          const joined = new Uint8Array(rest.length + b.length);
          joined.set(rest);
          joined.set(b, rest.length);
          return predicate(joined) > 0 ? b.length : 0;
        });
        const joined = new Uint8Array(rest.length + result.taken.length);
        joined.set(rest);
        joined.set(result.taken, rest.length);
        const count = predicate(joined);
        rest = joined.slice(count);
        return joined.slice(0, count);
      };
      if (wanted === 2) {
        const auth = await next((b) => {
          if (b.length < 2) return 0;
          const ulen = b[1];
          if (b.length < 3 + ulen) return 0;
          const plen = b[2 + ulen];
          return b.length >= 3 + ulen + plen ? 3 + ulen + plen : 0;
        });
        const username = decoder.decode(auth.subarray(2, 2 + auth[1]));
        const password = decoder.decode(auth.subarray(3 + auth[1]));
        authorizations.push(username);
        const ok = username === options.credentials!.username &&
          password === options.credentials!.password;
        client.write(Uint8Array.of(1, ok ? 0 : 1));
        if (!ok) {
          client.end();
          return;
        }
      }
      const request = await next((b) => {
        if (b.length < 5) return 0;
        const length = b[3] === 1 ? 4 : b[3] === 4 ? 16 : 1 + b[4];
        return b.length >= 4 + length + 2 ? 4 + length + 2 : 0;
      });
      const type = request[3];
      const address = request.subarray(4, request.length - 2);
      const port = (request[request.length - 2] << 8) | request[request.length - 1];
      const host = type === 1
        ? [...address].join(".")
        : type === 3
        ? decoder.decode(address.subarray(1))
        : [...Array(8)].map((_, i) => ((address[2 * i] << 8) | address[2 * i + 1]).toString(16))
          .join(":");
      targets.push(`${host}:${port}`);
      const upstream = net.connect(port, host);
      sockets.add(upstream);
      upstream.once("error", () => client.end(Uint8Array.of(5, 5, 0, 1, 0, 0, 0, 0, 0, 0)));
      upstream.once("connect", () => {
        client.write(Uint8Array.of(5, 0, 0, 1, 127, 0, 0, 1, 0, 0));
        if (rest.length > 0) upstream.write(rest);
        splice(client, upstream);
        client.resume();
      });
    } catch {
      client.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: new URL(`socks5://127.0.0.1:${port}`),
    targets,
    authorizations,
    async close() {
      sockets.destroyAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TCP relay whose connections can be cut and whose port can go dark and come back. */
export interface TcpRelay {
  /** The relay's port on 127.0.0.1. */
  port: number;
  /** Drops every relayed connection at once (no close frames: the network failing). */
  cut(): void;
  /** Stops accepting (connections are refused) until {@linkcode TcpRelay.resume}. */
  pause(): void;
  /** Accepts again, on the same port. */
  resume(): void;
  close(): void;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // closed already (by a finished pipe)
  }
}

/**
 * Starts a TCP relay from a port on 127.0.0.1 to `target`: what a network path between a client and
 * the API server is, for tests that break it.
 *
 * @example
 * ```ts ignore
 * const relay = startTcpRelay(6443);
 * relay.cut();
 * ```
 */
export function startTcpRelay(target: number): TcpRelay {
  const open = new Set<Deno.Conn>();
  let listener: Deno.TcpListener | undefined;
  let port = 0;
  const serve = () => {
    listener = Deno.listen({ hostname: "127.0.0.1", port });
    port = (listener.addr as Deno.NetAddr).port;
    const accepting = listener;
    (async () => {
      for await (const client of accepting) {
        let upstream: Deno.Conn;
        try {
          upstream = await Deno.connect({ hostname: "127.0.0.1", port: target });
        } catch {
          client.close();
          continue;
        }
        open.add(client);
        open.add(upstream);
        const pipe = (from: Deno.Conn, to: Deno.Conn) =>
          from.readable.pipeTo(to.writable).catch(() => {}).finally(() => {
            for (const conn of [from, to]) {
              if (open.delete(conn)) closeQuietly(conn);
            }
          });
        void pipe(client, upstream);
        void pipe(upstream, client);
      }
    })().catch(() => {});
  };
  serve();
  const cut = () => {
    for (const conn of open) closeQuietly(conn);
    open.clear();
  };
  return {
    get port() {
      return port;
    },
    cut,
    pause() {
      listener?.close();
      listener = undefined;
    },
    resume() {
      if (!listener) serve();
    },
    close() {
      listener?.close();
      listener = undefined;
      cut();
    },
  };
}
