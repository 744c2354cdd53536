/**
 * The exec/attach session over an upgraded remotecommand WebSocket: stdin is pumped to channel 0
 * with back-pressure, channels 1 and 2 are written to stdout and stderr (the next message is only
 * read once the previous write finished), terminal sizes go to channel 4 when there is a TTY, and
 * the status channel decides the outcome once the server closes the connection.
 *
 * Policies, and why:
 * - A v4/v5 stream that ends without a status is a {@linkcode ConnectionLostError}: exit 0 is only
 *   ever reported for an explicit `Success` (kubernetes#124571, #73056, #137404). The v1 protocols
 *   send nothing on success, so there success is a close with code 1000 and no error text; any
 *   other end without error text is a lost connection too.
 * - On stdin EOF, v5 sends `FF 00` and keeps reading until the status and the server's close, so no
 *   trailing output is lost (kube-rs#1689, javascript#465). Older protocols cannot half-close stdin;
 *   the session then runs until the server ends it, as kubectl's does.
 * - Messages on channels the session does not know are logged and dropped, as client-go and the
 *   API server do for ids they have no stream for, so a future channel does not break old clients.
 * - Channel 4 is written only with a TTY: without one nothing on the server consumes it and its
 *   read loop can stall. The first size goes out before any stdin and once more after the first
 *   output, because some runtimes drop a size that arrives before the remote PTY exists.
 * - Keepalive pings every `keepaliveMs`; with no pong for `deadPeerMs` the peer counts as dead
 *   (client-go: 5 s and 61 s). Data does not count as a pong, as in client-go. Unlike client-go,
 *   time spent blocked on a slow local stdout/stderr does not count either: pongs are only read
 *   between messages, so a paused pager must not make a live server look dead.
 *
 * The session owns `ws` from the call on and closes it on every path. It never closes the caller's
 * stdout/stderr (they may be the process' own); it cancels stdin when the session ends early.
 *
 * @module
 */

import { Channel, type ChannelProtocol } from "./channel.ts";
import {
  ConnectionLostError,
  EXIT_ERROR,
  formatDuration,
  ProtocolError,
  SessionLimitError,
} from "./errors.ts";
import { type DirectSink, directSinkOf, type DirectSource, directSourceOf } from "./direct_io.ts";
import { protocolHandler } from "./protocol.ts";
import { encodeTerminalSize, type TerminalSize } from "./resize.ts";
import { type CommandOutcome, decodeStatusJson, decodeStatusText, type Status } from "./status.ts";
import type { WebSocketConn, WebSocketMessage } from "../transport/types.ts";
import { type Logger, silentLogger } from "../log.ts";
import { OneShot } from "../one_shot.ts";

/** The local ends of a session, named by role as in client-go's `StreamOptions`. */
export interface SessionStreams {
  /** Sent to channel 0; only give it when stdin was requested (`-i`). */
  stdin?: ReadableStream<Uint8Array>;
  /**
   * Receives channel 1: a stream, or a direct sink written without one (see
   * {@linkcode DirectSink}; the session writes to a stream's direct sink, when it has one, too).
   */
  stdout?: WritableStream<Uint8Array> | DirectSink;
  /** Receives channel 2 (never used by the server with a TTY); a stream or a direct sink. */
  stderr?: WritableStream<Uint8Array> | DirectSink;
  /** Terminal sizes; the first is sent before any stdin. Ignored without `tty`. */
  resize?: AsyncIterable<TerminalSize>;
  /** Whether the session was requested with `tty=true`. */
  tty: boolean;
}

/** Which way bytes went: `in` from the server (stdout/stderr), `out` to it (stdin). */
export type ByteDirection = "in" | "out";

/** Tuning and hooks for a session. All durations are in milliseconds. */
export interface SessionOptions {
  /** Ping period; 0 turns pings and dead-peer detection off. Default 5000. */
  keepaliveMs?: number;
  /** How long without a pong before the server counts as gone. Default 61000. */
  deadPeerMs?: number;
  /** End the session after this long without payload bytes in either direction. */
  idleTimeoutMs?: number;
  /** End the session after this long in any case. */
  maxSessionMs?: number;
  /**
   * How long to wait for the server's close after the status arrived, and for the farewell
   * messages after `signal` fired. Default 2000.
   */
  closeGraceMs?: number;
  /** Receives `-v` logging. */
  logger?: Logger;
  /**
   * Aborted by the CLI on SIGHUP/SIGTERM: the session sends stdin's end (for a TTY the EOF byte
   * 0x04 first, so a remote shell exits, unless `processOutlivesSession`), closes the connection
   * and resolves with `ended: "signal"`.
   */
  signal?: AbortSignal;
  /**
   * The remote process is not the session's own but one it attached to (attach): a signal must
   * not send it the TTY's EOF byte, which would end a container's main shell.
   */
  processOutlivesSession?: boolean;
  /**
   * Aborted by attach's detach keys: stdin's end goes out without the TTY EOF byte (the remote
   * process must live on), the connection closes and the session resolves with exit code 0 and
   * `ended: "detached"`. The server would otherwise stream the still-running process forever.
   */
  detach?: AbortSignal;
  /** Called with the payload byte count of every stdin chunk sent and stdout/stderr chunk written. */
  onBytes?: (direction: ByteDirection, bytes: number) => void;
  /** Called with each stdout (1) / stderr (2) payload after it was written; do not modify it. */
  onOutput?: (channel: number, bytes: Uint8Array) => void;
}

/** How a session that produced an exit code ended. */
export type SessionEnd =
  /** The server sent a status (v4/v5) and closed, or closed after the status within the grace. */
  | "status"
  /** v1 protocols: the server closed cleanly without error text, which they use for success. */
  | "stream-end"
  /** `signal` fired; the command's outcome is unknown. */
  | "signal"
  /** `detach` fired: the client left, the remote process keeps running. */
  | "detached";

/** The outcome of a session. */
export interface SessionResult {
  /** The remote command's exit code (for `ended: "signal"`, 1: the outcome is unknown). */
  exitCode: number;
  /** The decoded status, when the server sent one. */
  status?: Status;
  /** The negotiated subprotocol. */
  protocol: string;
  /** Payload bytes written to stdout and stderr (output for a stream not given is dropped). */
  bytesIn: number;
  /** Payload bytes sent from stdin. */
  bytesOut: number;
  /** How the session ended. */
  ended: SessionEnd;
}

const DEFAULT_KEEPALIVE_MS = 5000;
const DEFAULT_DEAD_PEER_MS = 61000;
const DEFAULT_CLOSE_GRACE_MS = 2000;
/** The status is one small JSON document; more than this is not a status. */
const MAX_STATUS_BYTES = 1024 * 1024;
const EOF_BYTE = new Uint8Array([0x04]);
/**
 * Bytes per read of a direct stdin source: what a pipe holds (64 KiB), less the framing of the two
 * binary-channel messages it becomes (an 8-byte frame header and the channel byte each), so that
 * the frames of a full read fill exactly four 16 KiB TLS records. A 64 KiB read made three
 * messages (32 KiB each, channel byte included, so a third of 2 bytes) whose frames came to
 * 64 KiB + 25 bytes: a fifth record and a fifth socket write per chunk, for 25 bytes.
 */
const DIRECT_STDIN_READ_BYTES = 64 * 1024 - 2 * (8 + 1);
const STOPPED: unique symbol = Symbol("stopped");

type Timer = ReturnType<typeof setTimeout>;

/** How the connection is closed when the session ends early. */
/**
 * How the session closes the connection: with this code and reason, waiting for the server's
 * close at most `waitMs` (the handshake's own timeout when absent), or not at all.
 */
type CloseAction = { code?: number; reason?: string; waitMs?: number } | "none";

/**
 * How long a close waits for the server's own once the server has already let the close grace
 * pass in silence after its status: it is not going to answer promptly either.
 */
const SILENT_SERVER_CLOSE_WAIT_MS = 100;

/**
 * Runs one exec or attach session over `ws` (already upgraded; its `protocol` selects the
 * handler) until the outcome is known. Resolves with the exit code; rejects with
 * `ConnectionLostError` (exit 255), `RemoteStatusError`, `ProtocolError`, `SessionLimitError`
 * (exit 1 each, see their `exitCode`), or the error of a local stream.
 *
 * @example
 * ```ts ignore
 * import { runStreamSession } from "./exec.ts";
 * const ws = await api.upgrade(execPath, ["v5.channel.k8s.io", "v4.channel.k8s.io"]);
 * const result = await runStreamSession(ws, {
 *   stdin: Deno.stdin.readable,
 *   stdout: Deno.stdout.writable,
 *   stderr: Deno.stderr.writable,
 *   tty: false,
 * });
 * Deno.exitCode = result.exitCode;
 * ```
 */
export async function runStreamSession(
  ws: WebSocketConn,
  streams: SessionStreams,
  options: SessionOptions = {},
): Promise<SessionResult> {
  let protocol: ChannelProtocol;
  try {
    protocol = protocolHandler(ws.protocol);
  } catch (error) {
    await ws.close(1002, "unsupported subprotocol").catch(() => {});
    throw error;
  }
  return await new StreamSession(ws, protocol, streams, options).run();
}

function closeActionFor(error: unknown): CloseAction {
  if (error instanceof ProtocolError) return { code: 1002, reason: "protocol error" };
  // Dropped, not closed: after a WebSocket close the API server may leave the remote command
  // running, blocked on output nobody reads; a dropped connection ends it (as kubectl's exit does).
  if (error instanceof ConnectionLostError || error instanceof Deno.errors.BrokenPipe) return {};
  return { code: 1000 };
}

class StreamSession {
  readonly #log: Logger;
  readonly #outcome = Promise.withResolvers<SessionResult>();
  /** Ends every {@linkcode StreamSession.#untilStopped} still waiting when the session ends. */
  readonly #stopped = new OneShot<typeof STOPPED>();
  #finished = false;
  #closeAction: CloseAction = "none";
  readonly #timers = new Set<Timer>();
  readonly #statusChunks: Uint8Array[] = [];
  #statusBytes = 0;
  #bytesIn = 0;
  #bytesOut = 0;
  #lastActivity = Date.now();
  /** While a local write is pending, pongs cannot be read: the dead-peer clock pauses. */
  #writingLocally = false;
  #readingResumedAt = Date.now();
  #sendChain: Promise<unknown> = Promise.resolve();
  #stdinReader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #stdinClosed = false;
  #resizeIterator: AsyncIterator<TerminalSize> | undefined;
  #closeGraceTimer: Timer | undefined;
  #farewell: Promise<void> = Promise.resolve();
  #lastSize: TerminalSize | undefined;
  #sizeResent = false;
  /** Set when reading failed after the status arrived: the connection is dropped, not closed. */
  #readFailed = false;

  constructor(
    readonly ws: WebSocketConn,
    readonly protocol: ChannelProtocol,
    readonly streams: SessionStreams,
    readonly options: SessionOptions,
  ) {
    this.#log = options.logger ?? silentLogger;
  }

  async run(): Promise<SessionResult> {
    const abort = () => this.#onSignal();
    const detach = () => this.#onDetach();
    const { signal } = this.options;
    this.options.detach?.addEventListener("abort", detach, { once: true });
    this.#log(4, () => `stream session on ${this.protocol.name} (tty=${this.streams.tty})`);
    signal?.addEventListener("abort", abort, { once: true });
    this.#startTimers();
    const stdout = outputOf(this.streams.stdout);
    const stderr = outputOf(this.streams.stderr);
    const resize = this.#startResize();
    const tasks = [
      this.#receiveLoop(stdout, stderr),
      resize.done,
      this.streams.stdin ? this.#pumpStdin(this.streams.stdin, resize.initialSizeSent) : undefined,
    ];
    if (signal?.aborted) this.#onSignal();
    if (this.options.detach?.aborted) this.#onDetach();
    try {
      const result = await this.#outcome.promise;
      // Output accepted by a write-behind sink may still be on its way; the command's outcome is
      // only reported after it (a stop by signal or detach does not wait on a stuck reader).
      if (result.ended === "status" || result.ended === "stream-end") {
        await Promise.all([stdout?.flush(), stderr?.flush()]);
      }
      return result;
    } finally {
      signal?.removeEventListener("abort", abort);
      this.options.detach?.removeEventListener("abort", detach);
      for (const timer of this.#timers) clearTimeout(timer);
      this.#timers.clear();
      this.#stdinReader?.cancel().catch(() => {});
      this.#resizeIterator?.return?.().catch(() => {});
      stdout?.release();
      stderr?.release();
      await Promise.allSettled(tasks);
      await this.#farewell;
      if (this.#closeAction !== "none") {
        const { code, reason, waitMs } = this.#closeAction;
        const closing = this.ws.close(code, reason).catch((error) => {
          this.#log(4, () => `closing the connection failed: ${error}`);
        });
        if (waitMs === undefined) await closing;
        else {
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([
            closing,
            new Promise((resolve) => timer = setTimeout(resolve, waitMs)),
          ]);
          clearTimeout(timer);
        }
      }
    }
  }

  // --- ending ---------------------------------------------------------------------------------

  #finish(close: CloseAction): boolean {
    if (this.#finished) return false;
    this.#finished = true;
    this.#closeAction = close;
    this.#stopped.fire(STOPPED);
    return true;
  }

  #succeed(result: Omit<SessionResult, "protocol" | "bytesIn" | "bytesOut">, close: CloseAction) {
    if (!this.#finish(close)) return;
    this.#outcome.resolve({
      ...result,
      protocol: this.protocol.name,
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
    });
  }

  #fail(error: unknown, close: CloseAction = { code: 1000 }) {
    if (!this.#finish(close)) return;
    this.#outcome.reject(error);
  }

  /**
   * Waits for `promise` unless the session ends first. Not `Promise.race` with one long-lived
   * "stopped" promise: every race leaves a reaction on that promise which keeps the race's result
   * (a whole received message) reachable until the session ends, so a 1 GiB stream held 1 GiB.
   */
  #untilStopped<T>(promise: Promise<T>): Promise<T | typeof STOPPED> {
    return this.#stopped.race(promise);
  }

  #setTimer(ms: number, callback: () => void): Timer {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      callback();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  #clearTimer(timer: Timer | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#timers.delete(timer);
  }

  // --- sending --------------------------------------------------------------------------------

  /** Sends one message after every earlier one, so messages never interleave out of order. */
  #send(message: Uint8Array): Promise<void> {
    return this.#enqueueSend(() => this.ws.send(message, this.protocol.binary));
  }

  #enqueueSend(send: () => Promise<void>): Promise<void> {
    const sent = this.#sendChain.then(send);
    this.#sendChain = sent.catch(() => {});
    return sent;
  }

  async #sendChannel(channel: number, payload: Uint8Array): Promise<boolean> {
    const { ws, protocol } = this;
    if (protocol.binary && ws.sendPrefixed && payload.length > 0) {
      // The binary protocols' messages are the channel byte and up to maxPayloadBytes of payload:
      // framed and masked into one buffer and written at once.
      const sent = this.#enqueueSend(() =>
        ws.sendPrefixed!(channel, payload, protocol.maxPayloadBytes + 1)
      );
      return await this.#untilStopped(sent) !== STOPPED;
    }
    for (const message of protocol.encode(channel, payload)) {
      if (await this.#untilStopped(this.#send(message)) === STOPPED) return false;
    }
    return true;
  }

  /**
   * Starts sending terminal sizes. `initialSizeSent` settles once the first size went out, so stdin
   * follows it; when no size is ready at the start (the caller could not read the terminal size),
   * it settles at once rather than holding stdin back until the first resize.
   */
  #startResize(): { initialSizeSent: Promise<void>; done: Promise<void> } {
    const { resize, tty } = this.streams;
    const nothing = { initialSizeSent: Promise.resolve(), done: Promise.resolve() };
    if (!resize) return nothing;
    if (!tty) {
      this.#log(4, () => "terminal sizes are not sent without a TTY");
      return nothing;
    }
    const initialSizeSent = Promise.withResolvers<void>();
    const iterator = resize[Symbol.asyncIterator]();
    this.#resizeIterator = iterator;
    let firstArrived = false;
    this.#setTimer(0, () => {
      if (firstArrived) return;
      this.#log(4, () => "no terminal size at the start: stdin does not wait for one");
      initialSizeSent.resolve();
    });
    const pump = async () => {
      try {
        while (true) {
          const next = await this.#untilStopped(iterator.next());
          firstArrived = true;
          if (next === STOPPED || next.done) return;
          const size = next.value;
          this.#log(6, () => `terminal size ${size.width}x${size.height}`);
          this.#lastSize = size;
          const sent = await this.#sendChannel(Channel.resize, encodeTerminalSize(size));
          initialSizeSent.resolve();
          if (!sent) return;
        }
      } catch (error) {
        this.#log(2, () => `terminal resizing stopped: ${error}`);
      } finally {
        initialSizeSent.resolve();
      }
    };
    return { initialSizeSent: initialSizeSent.promise, done: pump() };
  }

  /**
   * Copies stdin to channel 0. A failing stdin source fails the session; a failing send does not:
   * it means the connection is going away, and the receive loop decides the outcome from the
   * status (which may already be in).
   */
  async #pumpStdin(stdin: ReadableStream<Uint8Array>, initialSizeSent: Promise<void>) {
    if (await this.#untilStopped(initialSizeSent) === STOPPED) return;
    const reader = stdin.getReader();
    this.#stdinReader = reader;
    const source = directSourceOf(stdin);
    const read = source
      ? alternatingReads(source)
      : () => reader.read().then((result) => result.done ? null : result.value);
    let next = read();
    while (true) {
      let chunk: Uint8Array | null | typeof STOPPED;
      try {
        chunk = await this.#untilStopped(next);
      } catch (error) {
        this.#log(4, () => `reading stdin failed: ${error}`);
        this.#fail(error);
        return;
      }
      if (chunk === STOPPED) return;
      if (chunk === null) break;
      // One read ahead while this chunk is sent, so reading stdin (a pipe read runs on a blocking
      // thread) overlaps the socket write instead of alternating with it. A failure surfaces at
      // the next await; until then it must not count as unhandled.
      next = read();
      next.catch(() => {});
      if (chunk.length === 0) continue;
      try {
        if (!await this.#sendChannel(Channel.stdin, chunk)) return;
      } catch (error) {
        this.#log(4, () => `sending stdin failed, stdin stops: ${error}`);
        return;
      }
      this.#countBytes("out", chunk.length);
    }
    await this.#closeStdin();
  }

  async #closeStdin(): Promise<void> {
    if (this.#stdinClosed) return;
    this.#stdinClosed = true;
    if (!this.protocol.canHalfClose) {
      this.#log(
        1,
        () =>
          `stdin reached its end, but ${this.protocol.name} cannot signal that to the server; ` +
          "the session lasts until the server ends it",
      );
      return;
    }
    this.#log(4, () => "stdin reached its end: half-closing channel 0");
    await this.#untilStopped(this.#send(this.protocol.encodeClose(Channel.stdin)))
      .catch((error) => this.#log(4, () => `sending stdin's end failed: ${error}`));
  }

  #countBytes(direction: ByteDirection, bytes: number): void {
    if (direction === "in") this.#bytesIn += bytes;
    else this.#bytesOut += bytes;
    this.#lastActivity = Date.now();
    this.options.onBytes?.(direction, bytes);
  }

  // --- receiving ------------------------------------------------------------------------------

  async #receiveLoop(stdout: Output | undefined, stderr: Output | undefined): Promise<void> {
    // Views of the connection's read buffer are safe when every output consumes a chunk before
    // its write settles; a WritableStream owns its chunks and gets copies.
    const views = (stdout?.direct ?? true) && (stderr?.direct ?? true);
    const deliverChannel = (channel: number, data: Uint8Array) =>
      this.#deliverChannel(channel, data, stdout, stderr);
    // The binary protocols' messages are a channel byte and the payload.
    const bulk = views && this.protocol.binary;
    const stopped = () => this.#finished;
    try {
      while (true) {
        if (bulk && this.ws.receivePrefixed) {
          // Bulk output without a promise per message; it returns for anything else, which the
          // general path below receives. Raced once per call, not per read: a stop leaves its
          // read behind, as a stop leaves a pending receive.
          const pumping = this.ws.receivePrefixed(deliverChannel, stopped);
          if (await this.#untilStopped(pumping) === STOPPED) return;
        }
        let message: WebSocketMessage | null | typeof STOPPED;
        try {
          message = await this.#untilStopped(
            views && this.ws.receiveView ? this.ws.receiveView() : this.ws.receive(),
          );
        } catch (readError) {
          message = this.#onReadError(readError);
        }
        if (message === STOPPED) return;
        if (message === null) return this.#onServerClosed();
        const { channel, data } = this.protocol.decode(message);
        const delivering = deliverChannel(channel, data);
        if (delivering) await delivering;
        if (this.#finished) return;
      }
    } catch (error) {
      if (this.#finished) return;
      this.#fail(error, closeActionFor(error));
    }
  }

  /**
   * Hands one received message's payload to its channel's output (or the status channel); a
   * promise while the output's write is pending, which settles when it completed or the session
   * stopped.
   */
  #deliverChannel(
    channel: number,
    data: Uint8Array,
    stdout: Output | undefined,
    stderr: Output | undefined,
  ): Promise<void> | undefined {
    if (data.length === 0) return undefined;
    if (channel === Channel.stdout || channel === Channel.stderr) {
      if (channel === Channel.stdout) this.#resendSizeAfterFirstOutput();
      const writer = channel === Channel.stdout ? stdout : stderr;
      if (!writer) {
        this.#log(4, () => `dropping ${data.length} bytes on channel ${channel}: not requested`);
        return undefined;
      }
      const writing = writer.write(data);
      if (!writing) {
        this.#countOutput(channel, data);
        return undefined;
      }
      this.#writingLocally = true;
      return this.#untilStopped(writing).then((written) => {
        this.#writingLocally = false;
        this.#readingResumedAt = Date.now();
        if (written !== STOPPED) this.#countOutput(channel, data);
      });
    }
    if (channel === Channel.status) this.#onStatusBytes(data);
    else this.#log(2, () => `ignoring ${data.length} bytes on unknown channel ${channel}`);
    return undefined;
  }

  #countOutput(channel: number, data: Uint8Array): void {
    this.#countBytes("in", data.length);
    this.options.onOutput?.(channel, data);
  }

  /**
   * Sends the current size once more after the first output: runtimes that got the first size
   * before the remote PTY existed drop it, leaving $COLUMNS and full-screen programs wrong until
   * the next resize (kubernetes#47990). An unchanged size is a no-op for a PTY that has it.
   */
  #resendSizeAfterFirstOutput(): void {
    if (this.#sizeResent || !this.#lastSize) return;
    this.#sizeResent = true;
    const size = this.#lastSize;
    this.#log(6, () => `terminal size ${size.width}x${size.height} again after the first output`);
    this.#sendChannel(Channel.resize, encodeTerminalSize(size)).catch((error) => {
      this.#log(4, () => `resending the terminal size failed: ${error}`);
    });
  }

  /**
   * A failed receive: a lost connection, unless the status is already in (then the session ends
   * as if the server had closed).
   */
  #onReadError(readError: unknown): null {
    this.#log(4, () => `reading from the server failed: ${readError}`);
    if (this.protocol.statusFormat === "status-json" && this.#statusBytes > 0) {
      this.#readFailed = true;
      return null;
    }
    throw new ConnectionLostError({ cause: "read-error", readError });
  }

  #onStatusBytes(data: Uint8Array): void {
    this.#statusBytes += data.length;
    if (this.#statusBytes > MAX_STATUS_BYTES) {
      throw new ProtocolError(`the status channel carried more than ${MAX_STATUS_BYTES} bytes`, {
        protocol: this.protocol.name,
        channel: Channel.status,
      });
    }
    this.#statusChunks.push(data.slice());
    this.#lastActivity = Date.now();
    if (this.protocol.statusFormat !== "status-json") return;
    // The server closes right after the status; one that does not is not waited for forever.
    this.#clearTimer(this.#closeGraceTimer);
    const graceMs = this.options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
    this.#closeGraceTimer = this.#setTimer(graceMs, () => {
      this.#log(4, () => `no close from the server ${formatDuration(graceMs)} after the status`);
      this.#settleStatus({ code: 1000, waitMs: SILENT_SERVER_CLOSE_WAIT_MS });
    });
  }

  #statusPayload(): Uint8Array {
    const payload = new Uint8Array(this.#statusBytes);
    let offset = 0;
    for (const chunk of this.#statusChunks) {
      payload.set(chunk, offset);
      offset += chunk.length;
    }
    return payload;
  }

  #settleStatus(close: CloseAction): void {
    let outcome: CommandOutcome;
    try {
      outcome = decodeStatusJson(this.#statusPayload());
    } catch (error) {
      this.#fail(error, close);
      return;
    }
    this.#log(6, () => `status: ${JSON.stringify(outcome.status)}`);
    this.#succeed({ exitCode: outcome.exitCode, status: outcome.status, ended: "status" }, close);
  }

  #onServerClosed(): void {
    const info = this.ws.closeInfo;
    this.#log(4, () => `server closed the connection (${info?.code ?? "no close info"})`);
    const lost = () =>
      new ConnectionLostError({
        cause: "closed-without-status",
        closeCode: info?.code,
        closeReason: info?.reason,
      });
    if (this.protocol.statusFormat === "status-json") {
      if (this.#statusBytes === 0) return this.#fail(lost(), "none");
      return this.#settleStatus(this.#readFailed ? {} : "none");
    }
    try {
      decodeStatusText(this.#statusPayload());
    } catch (error) {
      return this.#fail(error, "none");
    }
    if (info?.code !== 1000) return this.#fail(lost(), "none");
    this.#succeed({ exitCode: 0, ended: "stream-end" }, "none");
  }

  // --- timers and signals ---------------------------------------------------------------------

  #startTimers(): void {
    const keepaliveMs = this.options.keepaliveMs ?? DEFAULT_KEEPALIVE_MS;
    const deadPeerMs = this.options.deadPeerMs ?? DEFAULT_DEAD_PEER_MS;
    if (keepaliveMs > 0) {
      const keepalive = () => {
        const lastSign = Math.max(this.ws.lastPongAt, this.#readingResumedAt);
        if (!this.#writingLocally && Date.now() - lastSign > deadPeerMs) {
          this.#log(2, () => `no pong from the server in ${formatDuration(deadPeerMs)}`);
          this.#fail(new ConnectionLostError({ cause: "no-pong", silentMs: deadPeerMs }), {});
          return;
        }
        this.ws.ping().catch((error) => this.#log(4, () => `ping failed: ${error}`));
        this.#setTimer(keepaliveMs, keepalive);
      };
      this.#setTimer(keepaliveMs, keepalive);
    }
    const { idleTimeoutMs, maxSessionMs } = this.options;
    if (idleTimeoutMs !== undefined && idleTimeoutMs > 0) {
      const checkIdle = () => {
        const idleFor = Date.now() - this.#lastActivity;
        if (idleFor >= idleTimeoutMs) {
          this.#fail(new SessionLimitError("idle-timeout", idleTimeoutMs));
          return;
        }
        this.#setTimer(idleTimeoutMs - idleFor, checkIdle);
      };
      this.#setTimer(idleTimeoutMs, checkIdle);
    }
    if (maxSessionMs !== undefined && maxSessionMs > 0) {
      this.#setTimer(maxSessionMs, () => {
        this.#fail(new SessionLimitError("max-session", maxSessionMs));
      });
    }
  }

  #onSignal(): void {
    if (this.#finished) return;
    this.#log(2, () => "interrupted: ending stdin and dropping the connection");
    // stdin's end goes first (below); then the connection is dropped rather than closed, so the
    // API server ends the remote command (after a close frame it may leave it running).
    this.#succeed({ exitCode: EXIT_ERROR, ended: "signal" }, {});
    if (!this.streams.stdin || this.#stdinClosed) return;
    this.#stdinClosed = true;
    const farewell: Uint8Array[] = [];
    if (this.streams.tty && !this.options.processOutlivesSession) {
      farewell.push(...this.protocol.encode(Channel.stdin, EOF_BYTE));
    }
    if (this.protocol.canHalfClose) farewell.push(this.protocol.encodeClose(Channel.stdin));
    this.#sendFarewell(farewell);
  }

  #onDetach(): void {
    if (this.#finished) return;
    this.#log(2, () => "detached: closing the session; the remote process keeps running");
    this.#succeed({ exitCode: 0, ended: "detached" }, { code: 1000 });
    if (!this.streams.stdin || this.#stdinClosed) return;
    this.#stdinClosed = true;
    if (this.protocol.canHalfClose) this.#sendFarewell([this.protocol.encodeClose(Channel.stdin)]);
  }

  /** Sends the last stdin messages after the session settled; `run` waits for them, bounded. */
  #sendFarewell(messages: Uint8Array[]): void {
    const graceMs = this.options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
    const sent = (async () => {
      for (const message of messages) await this.#send(message);
    })();
    let timer: Timer | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    this.#farewell = Promise.race([sent, grace]).catch((error) => {
      this.#log(4, () => `sending stdin's end failed: ${error}`);
    }).finally(() => clearTimeout(timer));
  }
}

/** A session output: a direct sink, or the writer of an ordinary stream. */
interface Output {
  /** Whether chunks may be views (the sink is done with them when `write` settles). */
  readonly direct: boolean;
  /** Writes a chunk; `undefined` when it finished synchronously. */
  write(chunk: Uint8Array): Promise<void> | undefined;
  /** Resolves once everything written reached its destination. */
  flush(): Promise<void>;
  /** Releases the stream's writer lock. */
  release(): void;
}

function outputOf(
  target: WritableStream<Uint8Array> | DirectSink | undefined,
): Output | undefined {
  if (!target) return undefined;
  // Told apart without `instanceof WritableStream`, whose first use loads Deno's streams.
  const sink = "getWriter" in target ? directSinkOf(target) : target;
  if (sink) {
    return {
      direct: true,
      write: (chunk) => sink.write(chunk) ?? undefined,
      flush: () => sink.flush?.() ?? Promise.resolve(),
      release: () => {},
    };
  }
  const writer = (target as WritableStream<Uint8Array>).getWriter();
  return {
    direct: false,
    write: (chunk) => writer.write(chunk),
    // A stream's write settles once its sink took the chunk; nothing is held back here.
    flush: () => Promise.resolve(),
    release: () => writer.releaseLock(),
  };
}

/**
 * Reads from a direct source into two buffers of its own, alternately. With one read ahead (as
 * `#pumpStdin` does) a buffer is read into again only after the chunk it held was sent, by which
 * time that chunk was framed into messages.
 */
function alternatingReads(source: DirectSource): () => Promise<Uint8Array | null> {
  const buffers = [
    new Uint8Array(DIRECT_STDIN_READ_BYTES),
    new Uint8Array(DIRECT_STDIN_READ_BYTES),
  ];
  let current = 0;
  return () => {
    const buffer = buffers[current];
    current ^= 1;
    return source.read(buffer).then((count) => count === null ? null : buffer.subarray(0, count));
  };
}
