/**
 * HTTP/1.1 messages over a {@linkcode ByteConn}: writing a request, parsing a response head (shared
 * by REST calls and the WebSocket upgrade) and reading a bounded response body framed by
 * `Content-Length`, `Transfer-Encoding: chunked` or the end of the connection.
 *
 * @module
 */
import type { BufferedReader } from "./buffered_reader.ts";
import { BodyTooLargeError, HttpProtocolError, InvalidHeaderError } from "./errors.ts";
import type { ByteConn } from "./types.ts";

/** Largest response head (status line and headers) accepted. */
export const MAX_RESPONSE_HEAD_BYTES = 64 * 1024;
/** Largest REST response body buffered; the few calls kubexec makes return far less. */
export const MAX_REST_BODY_BYTES = 16 * 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CRLF = encoder.encode("\r\n");
const HEAD_END = encoder.encode("\r\n\r\n");
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A parsed response status line and headers. */
export interface ResponseHead {
  /** Status code, e.g. `101`. */
  status: number;
  /** Reason phrase, e.g. `Switching Protocols`. */
  statusText: string;
  /** Headers (repeated ones joined by `, `). */
  headers: Headers;
  /** Header lines in arrival order, names as sent. */
  rawHeaders: [string, string][];
  /** The protocol version of the status line, `1.0` or `1.1` (absent when not parsed). */
  version?: string;
}

/** Go's rule for header values (httpguts.ValidHeaderFieldValue): no control character but tab. */
function hasControlCharacter(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}

/**
 * Serialises a request head. Header names must be tokens and values must not contain control
 * characters other than tab (a value with a line break could inject headers).
 *
 * @example
 * ```ts
 * import { encodeRequestHead } from "./http1.ts";
 * encodeRequestHead("GET", "/api", [["Host", "example"]]);
 * ```
 */
export function encodeRequestHead(
  method: string,
  target: string,
  headers: [string, string][],
): Uint8Array {
  if (!TOKEN.test(method)) throw new TypeError(`invalid HTTP method ${JSON.stringify(method)}`);
  if (/[\s]/.test(target)) throw new TypeError("request target contains whitespace");
  let text = `${method} ${target} HTTP/1.1\r\n`;
  for (const [name, value] of headers) {
    if (!TOKEN.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
    if (hasControlCharacter(value)) {
      throw new InvalidHeaderError(name);
    }
    text += `${name}: ${value}\r\n`;
  }
  return encoder.encode(text + "\r\n");
}

/**
 * Writes a request head and optional body (with `Content-Length` when a body is given).
 *
 * @example
 * ```ts ignore
 * import { writeRequest } from "./http1.ts";
 * await writeRequest(conn, "GET", "/version", [["Host", "h"]]);
 * ```
 */
export async function writeRequest(
  conn: ByteConn,
  method: string,
  target: string,
  headers: [string, string][],
  body?: Uint8Array,
): Promise<void> {
  const all: [string, string][] = body && !headers.some(([n]) => /^content-length$/i.test(n))
    ? [...headers, ["Content-Length", String(body.length)]]
    : headers;
  const head = encodeRequestHead(method, target, all);
  if (body && body.length > 0 && body.length <= 64 * 1024) {
    const joined = new Uint8Array(head.length + body.length);
    joined.set(head);
    joined.set(body, head.length);
    await conn.writeAll(joined);
    return;
  }
  await conn.writeAll(head);
  if (body && body.length > 0) await conn.writeAll(body);
}

/**
 * Reads one response head, skipping interim `1xx` responses other than `101`.
 *
 * @example
 * ```ts ignore
 * import { readResponseHead } from "./http1.ts";
 * const head = await readResponseHead(reader);
 * console.log(head.status, head.headers.get("content-type"));
 * ```
 */
export async function readResponseHead(reader: BufferedReader): Promise<ResponseHead> {
  while (true) {
    let length: number;
    try {
      length = await reader.find(HEAD_END, MAX_RESPONSE_HEAD_BYTES);
    } catch (error) {
      if (error instanceof RangeError) {
        throw new HttpProtocolError(`response head larger than ${MAX_RESPONSE_HEAD_BYTES} bytes`);
      }
      throw error;
    }
    if (length < 0) {
      throw new HttpProtocolError(
        reader.buffered === 0
          ? "server closed the connection without a response (EOF)"
          : "server closed the connection in the middle of the response head (unexpected EOF)",
      );
    }
    const head = parseHead(decoder.decode(reader.take(length)));
    if (head.status >= 100 && head.status < 200 && head.status !== 101) continue;
    return head;
  }
}

function parseHead(text: string): ResponseHead {
  const lines = text.slice(0, -4).split("\r\n");
  const statusLine = /^HTTP\/(1\.[01]) (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (!statusLine) {
    throw new HttpProtocolError(
      `malformed HTTP response ${JSON.stringify(lines[0].slice(0, 80))}`,
    );
  }
  const headers = new Headers();
  const rawHeaders: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon);
    if (colon <= 0 || !TOKEN.test(name)) {
      throw new HttpProtocolError(
        `malformed HTTP header line ${JSON.stringify(line.slice(0, 80))}`,
      );
    }
    const value = line.slice(colon + 1).trim();
    headers.append(name, value);
    rawHeaders.push([name, value]);
  }
  return {
    status: Number(statusLine[2]),
    statusText: statusLine[3] ?? "",
    headers,
    rawHeaders,
    version: statusLine[1],
  };
}

/** How {@linkcode readResponseBody} treats a body larger than `limit`. */
export interface BodyOptions {
  /** Largest body accepted. */
  limit: number;
  /** `true`: return the first `limit` bytes and stop reading; `false`: throw `BodyTooLargeError`. */
  truncate?: boolean;
  /** The request method (`HEAD` responses have no body). */
  method?: string;
}

/**
 * Reads the body that follows `head`, bounded by `options.limit`.
 *
 * @example
 * ```ts ignore
 * import { readResponseBody, MAX_REST_BODY_BYTES } from "./http1.ts";
 * const body = await readResponseBody(reader, head, { limit: MAX_REST_BODY_BYTES });
 * ```
 */
export async function readResponseBody(
  reader: BufferedReader,
  head: ResponseHead,
  options: BodyOptions,
): Promise<Uint8Array> {
  if (
    options.method === "HEAD" || head.status === 204 || head.status === 304 ||
    (head.status >= 100 && head.status < 200)
  ) {
    return new Uint8Array();
  }
  const sink = new BodySink(options.limit, options.truncate ?? false);
  const transferEncoding = head.headers.get("transfer-encoding");
  if (transferEncoding && /(^|,)\s*chunked\s*$/i.test(transferEncoding)) {
    await readChunked(reader, sink);
  } else if (head.headers.has("content-length")) {
    const text = head.headers.get("content-length")!;
    if (!/^\d+$/.test(text)) {
      throw new HttpProtocolError(`invalid Content-Length ${JSON.stringify(text)}`);
    }
    await readExactly(reader, Number(text), sink);
  } else {
    while (!sink.full) {
      if (reader.buffered === 0 && !(await reader.fill())) break;
      sink.add(reader.take(reader.buffered));
    }
  }
  return sink.bytes();
}

class BodySink {
  #parts: Uint8Array[] = [];
  #length = 0;
  full = false;
  constructor(readonly limit: number, readonly truncate: boolean) {}
  /** Copies `part`; the view may be reused by the reader afterwards. */
  add(part: Uint8Array): void {
    if (this.#length + part.length > this.limit) {
      if (!this.truncate) throw new BodyTooLargeError(this.limit);
      part = part.subarray(0, this.limit - this.#length);
      this.full = true;
    }
    this.#parts.push(part.slice());
    this.#length += part.length;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const part of this.#parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}

async function readExactly(reader: BufferedReader, count: number, sink: BodySink): Promise<void> {
  let remaining = count;
  while (remaining > 0 && !sink.full) {
    if (reader.buffered === 0 && !(await reader.fill())) {
      throw new HttpProtocolError(
        "server closed the connection before the body ended (unexpected EOF)",
      );
    }
    const part = reader.take(remaining);
    remaining -= part.length;
    sink.add(part);
  }
}

async function readLine(reader: BufferedReader): Promise<string> {
  let end: number;
  try {
    end = await reader.find(CRLF, 4096);
  } catch {
    throw new HttpProtocolError("malformed chunked encoding: line too long");
  }
  if (end < 0) {
    throw new HttpProtocolError("server closed the connection in a chunked body (unexpected EOF)");
  }
  return decoder.decode(reader.take(end)).slice(0, -2);
}

async function readChunked(reader: BufferedReader, sink: BodySink): Promise<void> {
  while (!sink.full) {
    const sizeText = (await readLine(reader)).split(";")[0].trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) {
      throw new HttpProtocolError(`malformed chunk size ${JSON.stringify(sizeText.slice(0, 20))}`);
    }
    // Go's net/http reads up to 16 hex digits (leading zeros included).
    const size = sizeText.length > 16 ? NaN : parseInt(sizeText, 16);
    if (!Number.isSafeInteger(size)) throw new HttpProtocolError("http chunk length too large");
    if (size === 0) {
      while ((await readLine(reader)) !== "");
      return;
    }
    await readExactly(reader, size, sink);
    if (sink.full) return;
    if ((await readLine(reader)) !== "") throw new HttpProtocolError("malformed chunk terminator");
  }
}

/**
 * Whether the connection a response came on may carry another request (HTTP/1.1 keep-alive):
 * an HTTP/1.1 response without `Connection: close` whose body had a length (`Content-Length` or
 * chunked; a body delimited by the connection closing leaves nothing to reuse).
 *
 * @example
 * ```ts
 * import { reusableAfter } from "./http1.ts";
 * const headers = new Headers({ "content-length": "2" });
 * reusableAfter({ status: 200, statusText: "OK", headers, rawHeaders: [], version: "1.1" }); // true
 * ```
 */
export function reusableAfter(head: ResponseHead): boolean {
  if (head.version !== "1.1" || head.status === 101) return false;
  if (/(^|,)\s*close\s*(,|$)/i.test(head.headers.get("connection") ?? "")) return false;
  const transferEncoding = head.headers.get("transfer-encoding");
  if (transferEncoding) return /(^|,)\s*chunked\s*$/i.test(transferEncoding);
  return head.headers.has("content-length") || head.status === 204 || head.status === 304;
}
