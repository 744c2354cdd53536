/**
 * HTTP/1.1 parsing over an in-memory {@linkcode ByteConn}: response heads, Content-Length,
 * chunked and EOF-delimited bodies, body caps and malformed input.
 *
 * @module
 */
import assert from "node:assert/strict";
import { BufferedReader } from "../../lib/transport/buffered_reader.ts";
import {
  BodyTooLargeError,
  HttpProtocolError,
  InvalidHeaderError,
} from "../../lib/transport/errors.ts";
import {
  encodeRequestHead,
  MAX_RESPONSE_HEAD_BYTES,
  readResponseBody,
  readResponseHead,
  writeRequest,
} from "../../lib/transport/http1.ts";
import { scriptedConn } from "../support/transport_scripted.ts";

async function parse(chunks: (string | Uint8Array)[], limit = 1024, method?: string) {
  const reader = new BufferedReader(scriptedConn(chunks), 4096);
  const head = await readResponseHead(reader);
  const body = await readResponseBody(reader, head, { limit, method });
  return { head, text: new TextDecoder().decode(body), reader };
}

Deno.test("status line, repeated headers and a Content-Length body split across reads", async () => {
  const { head, text } = await parse([
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-A: 1\r\nX-",
    'A: 2\r\nContent-Length: 10\r\n\r\n{"a":',
    "1234}",
  ]);
  assert.equal(head.status, 200);
  assert.equal(head.statusText, "OK");
  assert.equal(head.headers.get("x-a"), "1, 2");
  assert.deepEqual(head.rawHeaders.filter(([n]) => n === "X-A"), [["X-A", "1"], ["X-A", "2"]]);
  assert.equal(text, '{"a":1234}');
});

Deno.test("chunked bodies with extensions and trailers", async () => {
  const { text } = await parse([
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    "5;name=x\r\nhello\r\n",
    "1\r\n \r\n000000000006\r\nwor",
    "ld!\r\n0\r\nX-Trailer: yes\r\n\r\n",
  ]);
  assert.equal(text, "hello world!");
});

Deno.test("a body without length runs to the end of the connection", async () => {
  const { text } = await parse(["HTTP/1.0 500 Internal Server Error\r\n\r\nboom", " again"]);
  assert.equal(text, "boom again");
});

Deno.test("interim 100 responses are skipped; 204 and HEAD have no body", async () => {
  const { head, text } = await parse([
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
  ]);
  assert.equal(head.status, 204);
  assert.equal(text, "");
  const headResponse = await parse(["HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"], 1024, "HEAD");
  assert.equal(headResponse.text, "");
});

Deno.test("bodies over the cap throw BodyTooLargeError, or are truncated on request", async () => {
  const big = "x".repeat(2000);
  await assert.rejects(
    parse([`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n${big}`], 1000),
    (error: Error) => error instanceof BodyTooLargeError && error.limit === 1000,
  );
  await assert.rejects(
    parse(
      [`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n${big}\r\n0\r\n\r\n`],
      1000,
    ),
    BodyTooLargeError,
  );
  await assert.rejects(parse([`HTTP/1.1 200 OK\r\n\r\n${big}`], 1000), BodyTooLargeError);
  const reader = new BufferedReader(scriptedConn([`HTTP/1.1 403 Forbidden\r\n\r\n${big}`]), 4096);
  const head = await readResponseHead(reader);
  const body = await readResponseBody(reader, head, { limit: 1000, truncate: true });
  assert.equal(body.length, 1000);
});

Deno.test("malformed and truncated responses throw HttpProtocolError", async () => {
  const cases: [string, (string | Uint8Array)[], RegExp][] = [
    ["not HTTP", ["SSH-2.0-OpenSSH\r\n\r\n"], /malformed HTTP response/],
    ["no response", [], /without a response/],
    ["cut head", ["HTTP/1.1 200 OK\r\nA: b"], /middle of the response head/],
    ["bad header", ["HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"], /malformed HTTP header/],
    ["short body", ["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"], /before the body ended/],
    ["bad length", ["HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"], /invalid Content-Length/],
    ["bad chunk", ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"], /chunk size/],
    [
      "17 digits",
      ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000001\r\n"],
      /http chunk length too large/,
    ],
    [
      "chunk over 2^53",
      ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n"],
      /http chunk length too large/,
    ],
    [
      "cut chunk",
      ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"],
      /before the body ended/,
    ],
    [
      "bad chunk end",
      ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n"],
      /chunk terminator/,
    ],
    [
      "huge head",
      [`HTTP/1.1 200 OK\r\nA: ${"x".repeat(MAX_RESPONSE_HEAD_BYTES)}\r\n\r\n`],
      /larger than/,
    ],
  ];
  for (const [name, chunks, pattern] of cases) {
    const reader = new BufferedReader(scriptedConn(chunks), MAX_RESPONSE_HEAD_BYTES * 2);
    await assert.rejects(
      (async () => {
        const head = await readResponseHead(reader);
        await readResponseBody(reader, head, { limit: 1024 });
      })(),
      (error: Error) => error instanceof HttpProtocolError && pattern.test(error.message),
      name,
    );
  }
});

Deno.test("requests: one write with Content-Length; header injection refused", async () => {
  const conn = scriptedConn([]);
  await writeRequest(conn, "POST", "/api", [["Host", "h"]], new TextEncoder().encode("{}"));
  assert.equal(
    new TextDecoder().decode(conn.written[0]),
    "POST /api HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}",
  );
  const large = new Uint8Array(100 * 1024).fill(7);
  const split = scriptedConn([]);
  await writeRequest(split, "PUT", "/big", [["Content-Length", String(large.length)]], large);
  assert.equal(split.written.length, 2, "a large body is written after the head, not copied");
  assert.match(
    new TextDecoder().decode(split.written[0]),
    /^PUT \/big HTTP\/1.1\r\nContent-Length: 102400\r\n\r\n$/,
  );
  assert.deepEqual(split.written[1], large);
  // Go's rule: no control character but tab in a value (a line break would inject a header).
  for (const value of ["a\r\nInjected: 1", "a\nb", "tok\u0001en", "nul\0", "del\x7f"]) {
    assert.throws(
      () => encodeRequestHead("GET", "/", [["Authorization", value]]),
      (error: unknown) =>
        error instanceof InvalidHeaderError &&
        error.message === 'net/http: invalid header field value for "Authorization"',
    );
  }
  assert.match(
    new TextDecoder().decode(encodeRequestHead("GET", "/", [["X", "a\tb ü"]])),
    /\r\nX: a\tb ü\r\n/,
  );
  assert.throws(() => encodeRequestHead("GET", "/", [["Bad Name", "v"]]), TypeError);
  assert.throws(() => encodeRequestHead("GET", "/a b", []), TypeError);
  assert.throws(() => encodeRequestHead("GE T", "/", []), TypeError);
});
