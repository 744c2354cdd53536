/**
 * A deliberately low-level HTTP/WebSocket client for testing the fake API server byte by byte:
 * it shows non-101 answers with their raw status line and body, returns every frame as received
 * (control frames included), and can send malformed frames on purpose.
 *
 * @module
 */

import type { FakeApiServer } from "../support/fake_apiserver.ts";
import type { IssuedCert } from "../support/pki.ts";

/** One frame as received. */
export interface RawFrame {
  fin: boolean;
  opcode: number;
  data: Uint8Array;
}

/** The answer to an HTTP request or an upgrade attempt. */
export interface RawResponse {
  status: number;
  statusLine: string;
  headers: Headers;
  /** The body for non-101 answers (read to Content-Length or to EOF). */
  body: string;
  /** The open WebSocket after a 101. */
  ws?: RawWebSocket;
}

/** Options of {@linkcode rawRequest}. */
export interface RawRequestOptions {
  method?: string;
  /** Token for `Authorization: Bearer`; default the admin token; `null` sends none. */
  token?: string | null;
  /** Offered subprotocols, sent as one comma-separated header line. */
  protocols?: string[];
  /** Extra headers. */
  headers?: [string, string][];
  /** Client certificate for mutual TLS. */
  cert?: IssuedCert;
  /** Leave out the Upgrade headers (plain HTTP request). */
  plain?: boolean;
  /** Request body (sent with Content-Length). */
  body?: string;
  /** WebSocket messages (binary, masked) sent right behind the request, before any answer. */
  earlyMessages?: Uint8Array[];
}

const decoder = new TextDecoder();

async function connect(server: FakeApiServer, cert?: IssuedCert): Promise<Deno.Conn> {
  if (server.url.startsWith("http:")) {
    return await Deno.connect({ hostname: server.hostname, port: server.port });
  }
  return await Deno.connectTls({
    hostname: server.hostname,
    port: server.port,
    caCerts: [server.caPem],
    cert: cert?.certPem,
    key: cert?.keyPem,
  });
}

/** Buffered reads over a connection. */
class Reader {
  #conn: Deno.Conn;
  #buffer: Uint8Array = new Uint8Array(0);

  constructor(conn: Deno.Conn, initial: Uint8Array = new Uint8Array(0)) {
    this.#conn = conn;
    this.#buffer = initial;
  }

  async #more(): Promise<boolean> {
    const chunk = new Uint8Array(64 * 1024);
    let n: number | null;
    try {
      n = await this.#conn.read(chunk);
    } catch {
      n = null;
    }
    if (n === null) return false;
    const joined = new Uint8Array(this.#buffer.length + n);
    joined.set(this.#buffer);
    joined.set(chunk.subarray(0, n), this.#buffer.length);
    this.#buffer = joined;
    return true;
  }

  async exact(count: number): Promise<Uint8Array | null> {
    while (this.#buffer.length < count) {
      if (!(await this.#more())) return null;
    }
    const out = this.#buffer.slice(0, count);
    this.#buffer = this.#buffer.subarray(count);
    return out;
  }

  async headers(): Promise<string | null> {
    while (true) {
      const text = decoder.decode(this.#buffer);
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        const head = new TextEncoder().encode(text.slice(0, end + 4));
        this.#buffer = this.#buffer.subarray(head.length);
        return text.slice(0, end);
      }
      if (!(await this.#more())) return null;
    }
  }

  async rest(): Promise<Uint8Array> {
    while (await this.#more()) {
      // read to EOF
    }
    const out = this.#buffer;
    this.#buffer = new Uint8Array(0);
    return out;
  }
}

/**
 * Upgrades `target` offering `protocols` and returns every frame the server sends until it
 * closes (for tests that look only at what came back).
 *
 * @example
 * ```ts ignore
 * const frames = await framesOf(server, execPath("web-0", ["true"], { stdout: true }),
 *   ["v5.channel.k8s.io"]);
 * ```
 */
export async function framesOf(
  server: FakeApiServer,
  target: string,
  protocols: string[],
): Promise<RawFrame[]> {
  const res = await rawRequest(server, target, { protocols });
  const frames = await res.ws!.all();
  res.ws!.close();
  return frames;
}

/**
 * Sends one request (an upgrade unless `plain`) and reads the answer.
 *
 * @example
 * ```ts ignore
 * const res = await rawRequest(server, "/api/v1/namespaces/default/pods/web-0/exec?command=true&stdout=true",
 *   { protocols: ["v5.channel.k8s.io"] });
 * ```
 */
export async function rawRequest(
  server: FakeApiServer,
  target: string,
  options: RawRequestOptions = {},
): Promise<RawResponse> {
  const conn = await connect(server, options.cert);
  const lines = [
    `${options.method ?? "GET"} ${target} HTTP/1.1`,
    `Host: ${server.hostname}:${server.port}`,
  ];
  if (!options.plain) {
    lines.push("Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13");
    lines.push("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==");
    if (options.protocols) lines.push(`Sec-WebSocket-Protocol: ${options.protocols.join(", ")}`);
  } else {
    lines.push("Connection: close");
  }
  const token = options.token === undefined ? "admin-token" : options.token;
  if (token !== null) lines.push(`Authorization: Bearer ${token}`);
  for (const [name, value] of options.headers ?? []) lines.push(`${name}: ${value}`);
  const requestBody = new TextEncoder().encode(options.body ?? "");
  if (options.body !== undefined) lines.push(`Content-Length: ${requestBody.length}`);
  await conn.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n"));
  if (requestBody.length > 0) await conn.write(requestBody);
  for (const message of options.earlyMessages ?? []) await conn.write(clientFrame(message, {}));
  const reader = new Reader(conn);
  const head = await reader.headers();
  if (head === null) {
    conn.close();
    throw new Error("connection closed before a response");
  }
  const [statusLine, ...headerLines] = head.split("\r\n");
  const headers = new Headers();
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const status = Number(statusLine.split(" ")[1]);
  if (status === 101) {
    return { status, statusLine, headers, body: "", ws: new RawWebSocket(conn, reader, headers) };
  }
  const length = headers.get("content-length");
  let body: Uint8Array;
  if (length !== null) {
    body = (await reader.exact(Number(length))) ?? new Uint8Array(0);
  } else {
    body = await reader.rest();
  }
  conn.close();
  return { status, statusLine, headers, body: decoder.decode(body) };
}

/** How {@linkcode clientFrame} builds a frame. */
export interface FrameOptions {
  opcode?: number;
  mask?: boolean;
  fin?: boolean;
}

/**
 * Builds one client frame; masked, final and binary unless told otherwise.
 *
 * @example
 * ```ts
 * import { clientFrame } from "./raw_client.ts";
 * clientFrame(new Uint8Array([0, 104, 105]), { mask: false }); // 82 03 00 68 69
 * ```
 */
export function clientFrame(data: Uint8Array, options: FrameOptions = {}): Uint8Array {
  const mask = options.mask ?? true;
  const length = data.length;
  const header: number[] = [((options.fin ?? true) ? 0x80 : 0) | (options.opcode ?? 2)];
  const maskBit = mask ? 0x80 : 0;
  if (length < 126) header.push(maskBit | length);
  else if (length < 65536) header.push(maskBit | 126, length >> 8, length & 0xff);
  else {
    header.push(maskBit | 127);
    const big = new Uint8Array(8);
    new DataView(big.buffer).setBigUint64(0, BigInt(length));
    header.push(...big);
  }
  const key = mask ? crypto.getRandomValues(new Uint8Array(4)) : new Uint8Array(0);
  const frame = new Uint8Array(header.length + key.length + length);
  frame.set(header);
  frame.set(key, header.length);
  const payloadAt = header.length + key.length;
  for (let i = 0; i < length; i++) frame[payloadAt + i] = mask ? data[i] ^ key[i & 3] : data[i];
  return frame;
}

/**
 * The client side of an upgraded connection.
 *
 * @example
 * ```ts ignore
 * await ws.send(new Uint8Array([0, 104, 105]));
 * const frame = await ws.next();
 * ```
 */
export class RawWebSocket {
  readonly protocol: string;
  #conn: Deno.Conn;
  #reader: Reader;
  #closed = false;

  constructor(conn: Deno.Conn, reader: Reader, headers: Headers) {
    this.#conn = conn;
    this.#reader = reader;
    this.protocol = headers.get("sec-websocket-protocol") ?? "";
  }

  /** The next frame, or `null` at end of stream. */
  async next(): Promise<RawFrame | null> {
    const head = await this.#reader.exact(2);
    if (head === null) return null;
    let length = head[1] & 0x7f;
    if (length === 126) {
      const ext = await this.#reader.exact(2);
      if (ext === null) return null;
      length = (ext[0] << 8) | ext[1];
    } else if (length === 127) {
      const ext = await this.#reader.exact(8);
      if (ext === null) return null;
      length = Number(new DataView(ext.buffer).getBigUint64(0));
    }
    const data = await this.#reader.exact(length);
    if (data === null) return null;
    return { fin: (head[0] & 0x80) !== 0, opcode: head[0] & 0x0f, data };
  }

  /** Frames until the connection ends (close frame included). */
  async all(): Promise<RawFrame[]> {
    const frames: RawFrame[] = [];
    for (let f = await this.next(); f; f = await this.next()) {
      frames.push(f);
      if (f.opcode === 8) break;
    }
    return frames;
  }

  /** Sends one frame; masked and final unless told otherwise. */
  async send(data: Uint8Array, options: FrameOptions = {}): Promise<void> {
    await this.#conn.write(clientFrame(data, options));
  }

  /** Sends text as a text frame. */
  sendText(text: string): Promise<void> {
    return this.send(new TextEncoder().encode(text), { opcode: 1 });
  }

  /** Sends a close frame with `code`. */
  sendClose(code = 1000): Promise<void> {
    return this.send(new Uint8Array([code >> 8, code & 0xff]), { opcode: 8 });
  }

  /** Closes the TCP connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

/**
 * Concatenates the payloads of binary channel messages on `channel` (first byte stripped).
 *
 * @example
 * ```ts
 * import { channelBytes } from "./raw_client.ts";
 * channelBytes([{ fin: true, opcode: 2, data: new Uint8Array([1, 104]) }], 1); // Uint8Array [104]
 * ```
 */
export function channelBytes(frames: RawFrame[], channel: number): Uint8Array {
  const parts = frames.filter((f) => f.opcode === 2 && f.data[0] === channel).map((f) =>
    f.data.subarray(1)
  );
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The text of a channel's binary messages.
 *
 * @example
 * ```ts
 * import { channelText } from "./raw_client.ts";
 * channelText([{ fin: true, opcode: 2, data: new Uint8Array([1, 104]) }], 1); // "h"
 * ```
 */
export function channelText(frames: RawFrame[], channel: number): string {
  return decoder.decode(channelBytes(frames, channel));
}

/**
 * Builds an exec path with repeated `command` parameters and the given stream flags.
 *
 * @example
 * ```ts
 * import { execPath } from "./raw_client.ts";
 * execPath("web-0", ["echo", "hi"], { stdout: true });
 * ```
 */
export function execPath(
  pod: string,
  command: string[],
  flags: { stdin?: boolean; stdout?: boolean; stderr?: boolean; tty?: boolean; container?: string },
  subresource = "exec",
  namespace = "default",
): string {
  const query = new URLSearchParams();
  for (const word of command) query.append("command", word);
  if (flags.container) query.set("container", flags.container);
  for (const flag of ["stdin", "stdout", "stderr", "tty"] as const) {
    if (flags[flag]) query.set(flag, "true");
  }
  return `/api/v1/namespaces/${namespace}/pods/${pod}/${subresource}?${query}`;
}
