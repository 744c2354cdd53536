/**
 * A raw HTTP/1.1 test server on loopback (plain `node:net` or `node:tls`, optionally requesting
 * client certificates) whose handler writes bytes directly, plus a server-side RFC 6455 codec with
 * which tests inject faults: bad accept keys, unoffered subprotocols, refused upgrades, fragmented
 * and oversized messages, abrupt drops and close codes. Every socket is destroyed on `close()`.
 *
 * @module
 */
import * as net from "node:net";
import * as tls from "node:tls";

/** One request as the server saw it. */
export interface TestRequest {
  method: string;
  target: string;
  headers: Headers;
  rawHeaders: [string, string][];
  /** For TLS servers: whether the client certificate verified, its subject CN, and the SNI. */
  authorized?: boolean;
  clientCommonName?: string;
  serverName?: string;
}

/** The server side of one connection. */
export class ServerConn {
  readonly socket: net.Socket;
  #buffer = new Uint8Array(0);
  #waiters: (() => void)[] = [];
  #ended = false;
  #paused = false;
  #counted: number | undefined;

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Uint8Array) => {
      if (this.#counted !== undefined) {
        this.#counted += chunk.length;
        this.#wake();
        return;
      }
      const joined = new Uint8Array(this.#buffer.length + chunk.length);
      joined.set(this.#buffer);
      joined.set(chunk, this.#buffer.length);
      this.#buffer = joined;
      if (this.#paused) socket.pause();
      this.#wake();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#wake();
    });
    socket.on("error", () => {
      this.#ended = true;
      this.#wake();
    });
  }

  #wake() {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Stops reading from the client (to test back-pressure). */
  pauseReading(): void {
    this.#paused = true;
    this.socket.pause();
  }

  /**
   * From now on only counts incoming bytes (for throughput runs) and resolves once `count` bytes
   * arrived or the stream ended, with the number seen.
   */
  async countIncoming(count: number): Promise<number> {
    this.#counted = this.#buffer.length;
    this.#buffer = new Uint8Array(0);
    while (this.#counted < count && !this.#ended) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return this.#counted;
  }

  /** Waits until `count` bytes are buffered; `null` at end of stream. */
  async readExactly(count: number): Promise<Uint8Array | null> {
    while (this.#buffer.length < count) {
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    const out = this.#buffer.slice(0, count);
    this.#buffer = this.#buffer.slice(count);
    return out;
  }

  /** Reads up to and including `\r\n\r\n`; `null` at end of stream. */
  async readHead(): Promise<string | null> {
    while (true) {
      const text = new TextDecoder().decode(this.#buffer);
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        const head = text.slice(0, end + 4);
        this.#buffer = this.#buffer.slice(new TextEncoder().encode(head).length);
        return head;
      }
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Writes and resolves once flushed. */
  write(data: Uint8Array | string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) return reject(new Error("socket destroyed"));
      this.socket.write(data, (error?: Error | null) => (error ? reject(error) : resolve()));
    });
  }

  /** Writes a complete response with `Content-Length`. */
  respond(
    status: number,
    reason: string,
    body: string | Uint8Array,
    headers: [string, string][] = [],
  ) {
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    const head = `HTTP/1.1 ${status} ${reason}\r\n${
      [...headers, ["Content-Length", String(bytes.length)]].map(([n, v]) => `${n}: ${v}\r\n`)
        .join("")
    }\r\n`;
    const joined = new Uint8Array(head.length + bytes.length);
    joined.set(new TextEncoder().encode(head));
    joined.set(bytes, head.length);
    return this.write(joined);
  }

  /** Half-closes (FIN). */
  end(): void {
    this.socket.end();
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.socket.destroy();
  }
}

/** Handles one request on its connection. */
export type TestHandler = (request: TestRequest, conn: ServerConn) => Promise<void> | void;

/** TLS settings of a test server. */
export interface TestServerTls {
  certPem: string;
  keyPem: string;
  /** Ask for a client certificate verified against this CA (not required). */
  clientCaPem?: string;
}

/** A running test server. */
export interface TestServer {
  /** `http://127.0.0.1:port` or `https://127.0.0.1:port`. */
  url: URL;
  port: number;
  requests: TestRequest[];
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

function parseRequestHead(head: string): TestRequest {
  const lines = head.slice(0, -4).split("\r\n");
  const [method, target] = lines[0].split(" ");
  const headers = new Headers();
  const rawHeaders: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    headers.append(name, value);
    rawHeaders.push([name, value]);
  }
  return { method, target, headers, rawHeaders };
}

/**
 * Starts a server on 127.0.0.1 with an OS-chosen port. Each connection serves requests in a loop
 * until the handler ends or destroys it.
 *
 * @example
 * ```ts ignore
 * const server = await startTestServer({ handler: (req, conn) => conn.respond(200, "OK", "hi") });
 * await server.close();
 * ```
 */
export async function startTestServer(options: {
  tls?: TestServerTls;
  handler: TestHandler;
  host?: string;
}): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  const requests: TestRequest[] = [];
  const pending = new Set<Promise<unknown>>();
  let connections = 0;
  const serve = (socket: net.Socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const conn = new ServerConn(socket);
    const task = (async () => {
      while (!socket.destroyed) {
        const head = await conn.readHead();
        if (head === null) break;
        const request = parseRequestHead(head);
        if (socket instanceof tls.TLSSocket) {
          request.authorized = socket.authorized;
          const peer = socket.getPeerCertificate();
          request.clientCommonName = peer?.subject?.CN as string | undefined;
          request.serverName = (socket as unknown as { servername?: string }).servername;
        }
        requests.push(request);
        await options.handler(request, conn);
      }
    })().catch(() => {
      socket.destroy();
    }).finally(() => {
      socket.destroy();
      pending.delete(task);
    });
    pending.add(task);
  };
  const server = options.tls
    ? tls.createServer({
      cert: options.tls.certPem,
      key: options.tls.keyPem,
      ...(options.tls.clientCaPem
        ? { requestCert: true, rejectUnauthorized: false, ca: options.tls.clientCaPem }
        : {}),
    }, serve)
    : net.createServer(serve);
  server.on("tlsClientError", () => {});
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return {
    url: new URL(`${options.tls ? "https" : "http"}://${hostPart}:${port}`),
    port,
    requests,
    get connections() {
      return connections;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...pending]);
    },
  };
}

/** A decoded client frame. */
export interface ServerFrame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  payload: Uint8Array;
}

/** Options for {@linkcode acceptWebSocket}. */
export interface AcceptOptions {
  /** The subprotocol to answer; defaults to the first offered. `null` omits the header. */
  protocol?: string | null;
  /** Replace the correct `Sec-WebSocket-Accept` with this value. */
  badAccept?: string;
}

/**
 * Computes the accept key and answers `101 Switching Protocols`.
 *
 * @example
 * ```ts ignore
 * const ws = await acceptWebSocket(request, conn);
 * await ws.sendMessage(Uint8Array.of(1));
 * ```
 */
export async function acceptWebSocket(
  request: TestRequest,
  conn: ServerConn,
  options: AcceptOptions = {},
): Promise<ServerWebSocket> {
  const key = request.headers.get("sec-websocket-key") ?? "";
  const digest = await crypto.subtle.digest(
    "SHA-1",
    new TextEncoder().encode(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
  );
  const accept = options.badAccept ?? btoa(String.fromCharCode(...new Uint8Array(digest)));
  const offered = (request.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) =>
    p.trim()
  ).filter(Boolean);
  const protocol = options.protocol === undefined ? offered[0] : options.protocol;
  await conn.write(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${accept}\r\n` +
      (protocol != null ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : "") + "\r\n",
  );
  return new ServerWebSocket(conn);
}

/** The server end of a WebSocket, speaking raw frames. */
export class ServerWebSocket {
  constructor(readonly conn: ServerConn) {}

  /** Encodes an unmasked server frame. */
  static frame(
    opcode: number,
    payload: Uint8Array,
    fin = true,
    declaredLength?: number,
  ): Uint8Array {
    const length = declaredLength ?? payload.length;
    const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
    const out = new Uint8Array(2 + lengthBytes + payload.length);
    out[0] = (fin ? 0x80 : 0) | opcode;
    if (lengthBytes === 0) out[1] = length;
    else if (lengthBytes === 2) {
      out[1] = 126;
      out[2] = length >> 8;
      out[3] = length & 0xff;
    } else {
      out[1] = 127;
      new DataView(out.buffer).setBigUint64(2, BigInt(length));
    }
    out.set(payload, 2 + lengthBytes);
    return out;
  }

  sendFrame(opcode: number, payload: Uint8Array, fin = true): Promise<void> {
    return this.conn.write(ServerWebSocket.frame(opcode, payload, fin));
  }

  sendMessage(data: Uint8Array, binary = true): Promise<void> {
    return this.sendFrame(binary ? 2 : 1, data);
  }

  /** Sends a close frame with `code` and `reason`. */
  sendClose(code: number, reason = ""): Promise<void> {
    const reasonBytes = new TextEncoder().encode(reason);
    const payload = new Uint8Array(2 + reasonBytes.length);
    payload[0] = code >> 8;
    payload[1] = code & 0xff;
    payload.set(reasonBytes, 2);
    return this.sendFrame(8, payload);
  }

  /** Reads one client frame (unmasking it); `null` when the client went away. */
  async readFrame(): Promise<ServerFrame | null> {
    const start = await this.conn.readExactly(2);
    if (!start) return null;
    const masked = (start[1] & 0x80) !== 0;
    let length = start[1] & 0x7f;
    if (length === 126) {
      const ext = await this.conn.readExactly(2);
      if (!ext) return null;
      length = (ext[0] << 8) | ext[1];
    } else if (length === 127) {
      const ext = await this.conn.readExactly(8);
      if (!ext) return null;
      length = Number(new DataView(ext.buffer).getBigUint64(0));
    }
    const key = masked ? await this.conn.readExactly(4) : new Uint8Array(4);
    if (!key) return null;
    const payload = await this.conn.readExactly(length);
    if (!payload) return null;
    for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
    return { fin: (start[0] & 0x80) !== 0, opcode: start[0] & 0x0f, masked, payload };
  }

  /** Echoes data messages until the client closes (answering pings and the close). */
  async echo(): Promise<ServerFrame[]> {
    const seen: ServerFrame[] = [];
    while (true) {
      const frame = await this.readFrame();
      if (!frame) return seen;
      seen.push(frame);
      if (frame.opcode === 8) {
        await this.sendFrame(8, frame.payload.subarray(0, 2)).catch(() => {});
        this.conn.end();
        return seen;
      }
      if (frame.opcode === 9) await this.sendFrame(10, frame.payload);
      else if (frame.opcode === 1 || frame.opcode === 2) {
        await this.sendFrame(frame.opcode, frame.payload);
      }
    }
  }
}

/** A TCP server that reads whatever arrives and never answers (see {@linkcode startSilentServer}). */
export interface SilentServer {
  port: number;
  /** Connections the client has closed so far. */
  readonly hungUp: number;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1 that accepts connections, reads, and never writes: a stalled TLS
 * handshake, a proxy that never answers CONNECT.
 *
 * @example
 * ```ts ignore
 * await using silent = await startSilentServer();
 * ```
 */
export async function startSilentServer(): Promise<SilentServer & AsyncDisposable> {
  const net = await import("node:net");
  const sockets = new Set<import("node:net").Socket>();
  let hungUp = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("data", () => {});
    socket.on("error", () => {});
    socket.on("close", () => hungUp++);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    port: (server.address() as import("node:net").AddressInfo).port,
    get hungUp() {
      return hungUp;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
