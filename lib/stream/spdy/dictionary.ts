/**
 * The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00 §2.6.10.1): both
 * peers prime their zlib contexts with it, so a header block can only be read (and written
 * readably) with exactly these 1,423 bytes. The draft defines it as 65 words, each preceded by its
 * length as a 32-bit big-endian number, followed by a run of common header values.
 *
 * @module
 */
import { concatBytes } from "../../bytes.ts";

const WORDS = [
  "options",
  "head",
  "post",
  "put",
  "delete",
  "trace",
  "accept",
  "accept-charset",
  "accept-encoding",
  "accept-language",
  "accept-ranges",
  "age",
  "allow",
  "authorization",
  "cache-control",
  "connection",
  "content-base",
  "content-encoding",
  "content-language",
  "content-length",
  "content-location",
  "content-md5",
  "content-range",
  "content-type",
  "date",
  "etag",
  "expect",
  "expires",
  "from",
  "host",
  "if-match",
  "if-modified-since",
  "if-none-match",
  "if-range",
  "if-unmodified-since",
  "last-modified",
  "location",
  "max-forwards",
  "pragma",
  "proxy-authenticate",
  "proxy-authorization",
  "range",
  "referer",
  "retry-after",
  "server",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "user-agent",
  "vary",
  "via",
  "warning",
  "www-authenticate",
  "method",
  "get",
  "status",
  "200 OK",
  "version",
  "HTTP/1.1",
  "url",
  "public",
  "set-cookie",
  "keep-alive",
  "origin",
];

const TAIL = "10010120120220520630030230330430530630740240540640740840941041141241341441541641" +
  "7502504505203 Non-Authoritative Information204 No Content301 Moved Permanently40" +
  "0 Bad Request401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error" +
  "501 Not Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept O" +
  "ct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,imag" +
  "e/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/" +
  "javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1" +
  ",utf-,*,enq=0.";

function buildDictionary(): Uint8Array {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const word of WORDS) {
    const bytes = encoder.encode(word);
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, bytes.length);
    parts.push(length, bytes);
  }
  parts.push(encoder.encode(TAIL));
  return concatBytes(parts);
}

/**
 * The dictionary's bytes.
 *
 * @example
 * ```ts
 * import { SPDY3_DICTIONARY } from "./dictionary.ts";
 * SPDY3_DICTIONARY.length; // 1423
 * ```
 */
export const SPDY3_DICTIONARY: Uint8Array = buildDictionary();
