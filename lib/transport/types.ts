/**
 * Transport-level types shared by the HTTP client, the WebSocket clients and their users.
 *
 * @module
 */

/**
 * A bidirectional byte stream (TCP or TLS). Reads are pulled, so a reader that stops reading
 * applies back-pressure all the way to the peer.
 */
export interface ByteConn {
  /** Reads into `buffer`; resolves to the byte count, or `null` at end of stream. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes all of `data`; resolves once the bytes were handed to the socket. */
  writeAll(data: Uint8Array): Promise<void>;
  /** Half-closes the write side (TCP FIN / TLS close_notify where supported). */
  closeWrite(): Promise<void>;
  /** Closes both directions; idempotent. */
  close(): void;
}

/** One received WebSocket message, reassembled from its frames. */
export interface WebSocketMessage {
  /** `true` for binary messages, `false` for text. */
  binary: boolean;
  /** The payload; text messages carry UTF-8 bytes. */
  data: Uint8Array;
}

/** How a WebSocket connection ended. */
export interface WebSocketCloseInfo {
  /** The close code from the peer's close frame, 1005 when it had none, 1006 when the connection dropped. */
  code: number;
  reason: string;
}

/**
 * An open client WebSocket. Implemented by the raw RFC 6455 client and by the adapter over Deno's
 * native `WebSocket`; the stream protocols only see this interface.
 */
export interface WebSocketConn {
  /** The subprotocol the server chose. */
  readonly protocol: string;
  /**
   * The next data message, or `null` once the connection closed (see {@linkcode closeInfo}).
   * Pings are answered and pongs consumed internally. Not calling `receive` applies back-pressure.
   */
  receive(): Promise<WebSocketMessage | null>;
  /**
   * Like {@linkcode receive}, but the message's `data` may be a view of the connection's read
   * buffer: valid only until the next `receive`/`receiveView`/`close` call, so the caller must be
   * done with it (written out or copied) before asking for more. Optional: callers fall back to
   * `receive`.
   */
  receiveView?(): Promise<WebSocketMessage | null>;
  /**
   * Bulk receiving without a promise or an object per message, for protocols whose binary
   * messages start with a prefix byte (a channel number; the receiving side of
   * {@linkcode sendPrefixed}): hands each binary message that arrives as one whole frame of at
   * least one byte to `deliver` as that byte and a view of the rest (valid until `deliver` returns,
   * or until the promise it returns settles), reading the connection whenever the next frame is
   * such a message. Returns — leaving the frame unread for {@linkcode receive} — when the next
   * frame needs the general path (a text or empty message, a control frame, a fragment, a frame
   * larger than the read buffer), when `stopped()` is true after a delivery or a read, or when the
   * connection ended (then `receive` returns `null`). Errors thrown by `deliver` reject the
   * returned promise. Optional: callers fall back to `receiveView`.
   */
  receivePrefixed?(
    deliver: (prefix: number, payload: Uint8Array) => Promise<unknown> | undefined,
    stopped: () => boolean,
  ): Promise<void>;
  /** Sends one unfragmented message; resolves when it was written (back-pressure). */
  send(data: Uint8Array, binary?: boolean): Promise<void>;
  /**
   * Sends `payload` as consecutive binary messages of at most `maxMessageBytes` bytes, each
   * starting with the byte `prefix` (a channel number): the same messages as one `send` each, in
   * one write. Optional: callers fall back to `send`.
   */
  sendPrefixed?(prefix: number, payload: Uint8Array, maxMessageBytes: number): Promise<void>;
  /** Sends a ping; `onPong` fires when any pong arrives. */
  ping(): Promise<void>;
  /** Milliseconds since epoch when the last pong (or any frame, per implementation) arrived. */
  readonly lastPongAt: number;
  /** Starts the closing handshake (or drops the connection when `code` is omitted and it is dead). */
  close(code?: number, reason?: string): Promise<void>;
  /** Set once the connection closed. */
  readonly closeInfo: WebSocketCloseInfo | undefined;
}

/** A REST request to the API server; `path` is appended to the server URL's own path prefix. */
export interface ApiRequest {
  method?: string;
  /** Path and query, e.g. `/api/v1/namespaces/default/pods/web-0`. */
  path: string;
  headers?: [string, string][];
  body?: Uint8Array;
}

/** A buffered REST response (bodies of the few calls kubexec makes are small and bounded). */
export interface ApiResponse {
  status: number;
  statusText: string;
  headers: Headers;
  body: Uint8Array;
}

/**
 * One API server as one user: every REST call and every WebSocket upgrade goes through the same
 * TLS settings, proxy route and credentials. A `401` refreshes credentials once and retries.
 */
export interface ApiClient {
  /** The server URL (with any path prefix). */
  readonly server: URL;
  /** Sends a REST request and reads the whole (bounded) body. */
  request(request: ApiRequest): Promise<ApiResponse>;
  /**
   * Upgrades `path` to a WebSocket offering `protocols` in one `Sec-WebSocket-Protocol` line.
   * Throws `UpgradeError` (with the response status and body) when the server refuses.
   */
  upgrade(path: string, protocols: string[]): Promise<WebSocketConn>;
  /** Closes a connection kept alive for the next request (clients created with `keepAlive`). */
  closeIdleConnections?(): void;
}
