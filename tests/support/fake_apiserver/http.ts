/**
 * A minimal HTTP/1.1 server side written over a raw connection, so the fake controls every byte a
 * real API server (or a misbehaving proxy) sends: Status bodies, the Go WebSocket server's bare
 * `403`, HTML pages, and the hand-over of the connection to the WebSocket code after `101`.
 *
 * @module
 */

import { concatBytes } from "../../../lib/bytes.ts";
import type { ServerConn } from "./conn.ts";
import type { SocketReader } from "./socket_reader.ts";

/** One parsed request. */
export interface HttpRequest {
  method: string;
  /** Request target (path and query). */
  target: string;
  /** Header names lower-cased, values in arrival order. */
  headers: Record<string, string[]>;
  body: Uint8Array;
}

/** Raised for a request the parser cannot accept; answered with `400` and a closed connection. */
export class HttpParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HttpParseError";
  }
}

const HEADER_END = new TextEncoder().encode("\r\n\r\n");
const MAX_HEADER_BYTES = 1024 * 1024;
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Reads the next request from a keep-alive connection; `null` when the peer closed it.
 *
 * @example
 * ```ts ignore
 * const request = await readRequest(reader);
 * ```
 */
export async function readRequest(reader: SocketReader): Promise<HttpRequest | null> {
  const head = await reader.readThrough(HEADER_END, MAX_HEADER_BYTES);
  if (head === null) return null;
  const lines = new TextDecoder().decode(head).split("\r\n");
  const [method, target, version] = lines[0].split(" ");
  if (!method || !target?.startsWith("/") || !version?.startsWith("HTTP/1.")) {
    throw new HttpParseError(`malformed request line ${JSON.stringify(lines[0])}`);
  }
  const headers: Record<string, string[]> = {};
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new HttpParseError(`malformed header line ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    (headers[name] ??= []).push(line.slice(colon + 1).trim());
  }
  const body = await readBody(reader, headers);
  return { method, target, headers, body };
}

async function readBody(
  reader: SocketReader,
  headers: Record<string, string[]>,
): Promise<Uint8Array> {
  if (headers["transfer-encoding"]?.some((v) => v.toLowerCase().includes("chunked"))) {
    return await readChunked(reader);
  }
  const length = Number(headers["content-length"]?.[0] ?? "0");
  if (!Number.isSafeInteger(length) || length < 0 || length > MAX_BODY_BYTES) {
    throw new HttpParseError("bad Content-Length");
  }
  const body = await reader.readExact(length);
  if (body === null) throw new HttpParseError("body ended early");
  return body;
}

async function readChunked(reader: SocketReader): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const crlf = new TextEncoder().encode("\r\n");
  while (true) {
    const sizeLine = await reader.readThrough(crlf, 1024);
    if (sizeLine === null) throw new HttpParseError("chunked body ended early");
    const size = parseInt(new TextDecoder().decode(sizeLine).trim(), 16);
    if (!Number.isSafeInteger(size) || size < 0) throw new HttpParseError("bad chunk size");
    if (size === 0) {
      await reader.readThrough(crlf, 1024);
      break;
    }
    total += size;
    if (total > MAX_BODY_BYTES) throw new HttpParseError("body too large");
    const chunk = await reader.readExact(size + 2);
    if (chunk === null) throw new HttpParseError("chunked body ended early");
    parts.push(chunk.slice(0, size));
  }
  return concatBytes(parts);
}

const STATUS_TEXT: Record<number, string> = {
  101: "Switching Protocols",
  200: "OK",
  201: "Created",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

/**
 * The reason phrase Go's `http.StatusText` gives a code.
 *
 * @example
 * ```ts
 * import { statusText } from "./http.ts";
 * statusText(403); // "Forbidden"
 * ```
 */
export function statusText(code: number): string {
  return STATUS_TEXT[code] ?? "Unknown";
}

/**
 * Writes a complete response with `Content-Length`; resolves once the connection took it.
 *
 * @example
 * ```ts ignore
 * await writeResponse(conn, 200, [["Content-Type", "application/json"]], "{}");
 * ```
 */
export function writeResponse(
  conn: ServerConn,
  code: number,
  headers: [string, string][],
  body: string | Uint8Array,
): Promise<void> {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const lines = [`HTTP/1.1 ${code} ${statusText(code)}`];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  lines.push(`Date: ${new Date().toUTCString()}`);
  lines.push(`Content-Length: ${bytes.length}`);
  const head = new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n");
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head);
  out.set(bytes, head.length);
  return conn.write(out);
}
