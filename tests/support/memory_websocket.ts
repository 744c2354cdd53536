/**
 * An in-memory pair of connected {@linkcode WebSocketConn} endpoints for protocol tests. Each
 * direction is a bounded queue of messages: `send` waits while the peer's queue is full, so a
 * side that stops calling `receive` applies back-pressure exactly as a real socket would. Close
 * handshakes, dropped connections, pings and pongs are modelled, and counters expose how often
 * each endpoint was read so tests can prove bounded buffering.
 *
 * @module
 */

import type {
  WebSocketCloseInfo,
  WebSocketConn,
  WebSocketMessage,
} from "../../lib/transport/types.ts";

/** Options for {@linkcode memoryWebSocketPair}. */
export interface MemoryWebSocketOptions {
  /** The subprotocol both ends report. Default `v5.channel.k8s.io`. */
  protocol?: string;
  /** Messages each direction holds before `send` waits. Default 4. */
  capacity?: number;
}

/** One end of the pair: a `WebSocketConn` plus what tests need to observe and steer it. */
export interface MemoryWebSocket extends WebSocketConn {
  /** How many times `receive` was called on this end. */
  readonly receiveCalls: number;
  /** How many pings the peer sent to this end. */
  readonly pingsReceived: number;
  /** Whether this end answers the peer's pings. Set `false` to simulate a dead peer. */
  autoPong: boolean;
  /** Messages waiting in this end's incoming queue. */
  readonly queued: number;
  /** Convenience: sends text as a text message. */
  sendText(text: string): Promise<void>;
}

type Item = { kind: "message"; message: WebSocketMessage } | {
  kind: "close";
  info: WebSocketCloseInfo;
};

class Direction {
  readonly items: Item[] = [];
  readonly senders: (() => void)[] = [];
  receiver: (() => void) | undefined;

  constructor(readonly capacity: number) {}

  messageCount(): number {
    return this.items.filter((item) => item.kind === "message").length;
  }

  wakeReceiver(): void {
    const receiver = this.receiver;
    this.receiver = undefined;
    receiver?.();
  }

  wakeSenders(): void {
    for (const sender of this.senders.splice(0)) sender();
  }
}

class End implements MemoryWebSocket {
  peer!: End;
  receiveCalls = 0;
  pingsReceived = 0;
  autoPong = true;
  lastPongAt = Date.now();
  closeInfo: WebSocketCloseInfo | undefined;
  /** Set once this end sent a close frame or dropped: it sends no more. */
  #sendClosed = false;

  constructor(
    readonly protocol: string,
    readonly incoming: Direction,
    readonly outgoing: Direction,
  ) {}

  get queued(): number {
    return this.incoming.messageCount();
  }

  async receive(): Promise<WebSocketMessage | null> {
    this.receiveCalls++;
    while (true) {
      const item = this.incoming.items.shift();
      if (item) {
        this.incoming.wakeSenders();
        if (item.kind === "message") return item.message;
        this.#onCloseFrame(item.info);
        return null;
      }
      if (this.closeInfo) return null;
      await new Promise<void>((resolve) => {
        this.incoming.receiver = resolve;
      });
    }
  }

  #onCloseFrame(info: WebSocketCloseInfo): void {
    if (!this.#sendClosed && info.code !== 1006) {
      this.#sendClosed = true;
      this.outgoing.items.push({ kind: "close", info });
      this.outgoing.wakeReceiver();
    }
    this.closeInfo = info;
    this.outgoing.wakeSenders();
  }

  async send(data: Uint8Array, binary = true): Promise<void> {
    while (true) {
      if (this.#sendClosed || this.closeInfo) throw new Error("WebSocket is closed");
      if (this.outgoing.messageCount() < this.outgoing.capacity) break;
      await new Promise<void>((resolve) => this.outgoing.senders.push(resolve));
    }
    this.outgoing.items.push({ kind: "message", message: { binary, data: data.slice() } });
    this.outgoing.wakeReceiver();
  }

  sendText(text: string): Promise<void> {
    return this.send(new TextEncoder().encode(text), false);
  }

  ping(): Promise<void> {
    if (this.#sendClosed || this.closeInfo) return Promise.reject(new Error("WebSocket is closed"));
    this.peer.pingsReceived++;
    if (this.peer.autoPong) this.lastPongAt = Date.now();
    return Promise.resolve();
  }

  close(code?: number, reason = ""): Promise<void> {
    if (this.#sendClosed || this.closeInfo) return Promise.resolve();
    this.#sendClosed = true;
    if (code === undefined) {
      const dropped = { code: 1006, reason: "" };
      this.closeInfo = dropped;
      this.outgoing.items.push({ kind: "close", info: dropped });
      this.peer.#sendClosed = true;
      this.incoming.items.length = 0;
    } else {
      this.outgoing.items.push({ kind: "close", info: { code, reason } });
    }
    this.outgoing.wakeReceiver();
    this.incoming.wakeReceiver();
    this.outgoing.wakeSenders();
    this.incoming.wakeSenders();
    return Promise.resolve();
  }
}

/**
 * Creates two connected endpoints: `client` is what the code under test gets, `server` is driven
 * by the test.
 *
 * @example
 * ```ts
 * import { memoryWebSocketPair } from "./memory_websocket.ts";
 * const { client, server } = memoryWebSocketPair({ protocol: "v4.channel.k8s.io" });
 * await server.send(new Uint8Array([1, 0x68, 0x69]));
 * (await client.receive())?.data; // 01 68 69
 * ```
 */
export function memoryWebSocketPair(
  options: MemoryWebSocketOptions = {},
): { client: MemoryWebSocket; server: MemoryWebSocket } {
  const protocol = options.protocol ?? "v5.channel.k8s.io";
  const capacity = options.capacity ?? 4;
  const toServer = new Direction(capacity);
  const toClient = new Direction(capacity);
  const client = new End(protocol, toClient, toServer);
  const server = new End(protocol, toServer, toClient);
  client.peer = server;
  server.peer = client;
  return { client, server };
}
