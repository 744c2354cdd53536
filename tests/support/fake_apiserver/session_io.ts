/**
 * Writing side of a streaming session shared by exec, attach and port-forward: channel messages
 * split to the server's message size, back-pressure from the socket, the status message, and the
 * stream faults that act on output (abrupt close, stall, truncated, oversized and unknown-channel
 * frames, text frames, server pings).
 *
 * @module
 */

import { type ChannelCodec, encodeChannelMessage } from "./channels.ts";
import { type StatusFields, statusJson } from "./status.ts";
import type { SessionLog, StreamFault, TerminalSize } from "./types.ts";
import { encodeFrame, Opcode, type ServerWebSocket } from "./websocket.ts";

/**
 * Sends channel messages for one session and applies output faults.
 *
 * @example
 * ```ts ignore
 * const out = new SessionOutput(ws, codecFor("v5.channel.k8s.io"), log, faults, 32 * 1024);
 * await out.write(1, new TextEncoder().encode("hi\n"));
 * ```
 */
export class SessionOutput {
  readonly ws: ServerWebSocket;
  readonly codec: ChannelCodec;
  readonly log: SessionLog;
  readonly faults: StreamFault[];
  #maxPayload: number;
  #closed: Promise<void>;
  #stopped = false;
  #pinger: ReturnType<typeof setInterval> | undefined;

  constructor(
    ws: ServerWebSocket,
    codec: ChannelCodec,
    log: SessionLog,
    faults: StreamFault[],
    maxMessageBytes: number,
  ) {
    this.ws = ws;
    this.codec = codec;
    this.log = log;
    this.faults = faults;
    this.#maxPayload = Math.max(1, maxMessageBytes - 1);
    this.#closed = ws.conn.closed;
    const ping = faults.find((f) => f.kind === "ping");
    if (ping) {
      this.#pinger = setInterval(() => void ws.ping(), ping.intervalMs);
    }
  }

  /** `false` once output must stop (connection dropped, stalled or closed). */
  get open(): boolean {
    return !this.#stopped && !this.ws.closing;
  }

  /** Resolves when the connection closed. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** Sends the empty "stream ready" message on `channel`. */
  ready(channel: number): Promise<void> {
    return this.#send(channel, new Uint8Array(0));
  }

  /** Sends the faults that come before any output (oversized, unknown channel, truncated). */
  async preamble(): Promise<void> {
    for (const fault of this.faults) {
      if (fault.kind === "unknownChannel") {
        await this.#send(fault.channel ?? 7, new TextEncoder().encode("unexpected"));
      } else if (fault.kind === "oversizedFrame") {
        await this.#send(1, new Uint8Array(fault.bytes).fill(0x78));
        this.log.outputBytes += fault.bytes;
      } else if (fault.kind === "truncatedFrame") {
        const frame = encodeFrame(Opcode.binary, new Uint8Array([1]), new Uint8Array(100));
        await this.ws.sendRaw(frame.subarray(0, 20));
        this.ws.destroy();
        this.#stopped = true;
      }
    }
  }

  /**
   * Sends output bytes on a channel in messages of at most the configured size. Resolves `false`
   * when output has to stop.
   */
  async write(channel: number, bytes: Uint8Array): Promise<boolean> {
    for (let at = 0; at < bytes.length; at += this.#maxPayload) {
      if (!this.open) return false;
      let piece = bytes.subarray(at, at + this.#maxPayload);
      const limit = this.#byteLimit();
      if (limit && this.log.outputBytes + piece.length >= limit.bytes) {
        piece = piece.subarray(0, limit.bytes - this.log.outputBytes);
        if (piece.length > 0) await this.#send(channel, piece);
        this.log.outputBytes += piece.length;
        this.#stopped = true;
        if (limit.kind === "closeAfterBytes") this.ws.destroy();
        else await this.#closed;
        return false;
      }
      await this.#send(channel, piece);
      this.log.outputBytes += piece.length;
    }
    return this.open;
  }

  #byteLimit(): { kind: "closeAfterBytes" | "stallAfterBytes"; bytes: number } | undefined {
    for (const fault of this.faults) {
      if (fault.kind === "closeAfterBytes" || fault.kind === "stallAfterBytes") return fault;
    }
    return undefined;
  }

  /** Copies a stream to a channel until it ends or output stops. */
  async pump(stream: ReadableStream<Uint8Array>, channel: number): Promise<void> {
    const reader = stream.getReader();
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) return;
        if (!(await this.write(channel, value))) {
          await reader.cancel().catch(() => {});
          return;
        }
      }
    } catch {
      // the producer failed (process killed); nothing more to send
    } finally {
      reader.releaseLock();
    }
  }

  /** Writes the final status on channel 3 (JSON for v4/v5, text for v1; nothing for v1 success). */
  async status(fields: StatusFields): Promise<void> {
    if (!this.open || this.faults.some((f) => f.kind === "missingStatus")) return;
    let text: string;
    if (this.codec.jsonStatus) {
      text = statusJson(fields, false);
    } else if (fields.status === "Success") {
      return;
    } else {
      text = fields.message ?? "";
    }
    this.log.statusSent = text;
    await this.#send(3, new TextEncoder().encode(text));
  }

  /** Ends the session with close 1000 and stops the ping fault. */
  async finish(): Promise<void> {
    this.stopPings();
    if (!this.#stopped) await this.ws.close(1000);
  }

  /** Stops the ping fault's timer. */
  stopPings(): void {
    if (this.#pinger !== undefined) clearInterval(this.#pinger);
    this.#pinger = undefined;
  }

  #send(channel: number, payload: Uint8Array): Promise<void> {
    const message = encodeChannelMessage(this.codec, channel, payload);
    const text = this.faults.some((f) => f.kind === "textFrames");
    return this.ws.send(message.prefix, message.payload, message.binary && !text);
  }
}

/**
 * Decodes resize messages the way Go's streaming JSON decoder reads them: objects may span
 * messages, keys are matched case-insensitively, anything undecodable stops resize handling.
 *
 * @example
 * ```ts
 * import { ResizeDecoder } from "./session_io.ts";
 * new ResizeDecoder().push(new TextEncoder().encode('{"Width":80,"Height":24}\n')); // [{ width: 80, height: 24 }]
 * ```
 */
export class ResizeDecoder {
  #pending = "";
  #broken = false;

  /** Feeds bytes; returns the sizes completed by them. */
  push(bytes: Uint8Array): TerminalSize[] {
    if (this.#broken) return [];
    this.#pending += new TextDecoder().decode(bytes);
    const sizes: TerminalSize[] = [];
    while (true) {
      const start = this.#pending.search(/\S/);
      if (start < 0) {
        this.#pending = "";
        return sizes;
      }
      if (this.#pending[start] !== "{") {
        this.#broken = true;
        return sizes;
      }
      const end = this.#pending.indexOf("}", start);
      if (end < 0) return sizes;
      try {
        const object = JSON.parse(this.#pending.slice(start, end + 1)) as Record<string, unknown>;
        const lower = Object.fromEntries(
          Object.entries(object).map(([k, v]) => [k.toLowerCase(), v]),
        );
        sizes.push({ width: Number(lower.width ?? 0), height: Number(lower.height ?? 0) });
      } catch {
        this.#broken = true;
        return sizes;
      }
      this.#pending = this.#pending.slice(end + 1);
    }
  }
}

/** Where early stdin goes once the process exists. */
export interface StdinTarget {
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Stdin kept in memory before the process starts; beyond it the client is back-pressured. */
const EARLY_STDIN_LIMIT = 1024 * 1024;

/**
 * Holds stdin (and its CLOSE) that arrives before the process exists, without blocking the
 * client's message loop (a TTY session waits for the resize that may come after the first
 * keystrokes), then hands it over in order.
 *
 * @example
 * ```ts
 * import { EarlyStdin } from "./session_io.ts";
 * const stdin = new EarlyStdin();
 * await stdin.write(new Uint8Array([1]));
 * await stdin.attach({ write: () => Promise.resolve(), close: () => Promise.resolve() });
 * ```
 */
export class EarlyStdin {
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  #closed = false;
  #target: StdinTarget | undefined;
  #ready: Promise<void>;
  #markReady: () => void = () => {};

  constructor() {
    this.#ready = new Promise((resolve) => (this.#markReady = resolve));
  }

  /** Forwards or keeps bytes. */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.#target) return await this.#target.write(bytes);
    if (this.#bytes < EARLY_STDIN_LIMIT) {
      this.#chunks.push(bytes);
      this.#bytes += bytes.length;
      return;
    }
    await this.#ready;
    await this.#target!.write(bytes);
  }

  /** Forwards or remembers the half-close. */
  async close(): Promise<void> {
    if (this.#target) return await this.#target.close();
    this.#closed = true;
  }

  /** Delivers what was kept to `target` and forwards from now on. */
  async attach(target: StdinTarget): Promise<void> {
    while (this.#chunks.length > 0) await target.write(this.#chunks.shift()!);
    if (this.#closed) await target.close();
    this.#target = target;
    this.#markReady();
  }

  /** Drops kept bytes and releases waiting writers (the process never started). */
  abandon(): void {
    this.#chunks = [];
    this.#target ??= { write: () => Promise.resolve(), close: () => Promise.resolve() };
    this.#markReady();
  }
}
