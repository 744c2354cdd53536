/**
 * Runs one exec or attach session against the terminal: upgrade, raw mode and resize for a TTY,
 * signals, the remote exit code, and the kubectl messages around it. Shared by `exec` and `attach`.
 *
 * @module
 */
import { UpgradeError } from "../transport/errors.ts";
import type { ApiClient } from "../transport/types.ts";
import { type ByteDirection, runStreamSession, type SessionResult } from "../stream/exec.ts";
import { DEFAULT_PROTOCOLS, SUPPORTED_PROTOCOLS } from "../stream/protocol.ts";
import { type TerminalSize, TerminalSizeQueue } from "../stream/resize.ts";
import { StatusError, statusErrorFromResponse } from "../kube/status.ts";
import type { GlobalOptions } from "./global_flags.ts";
import { type EndingSignal, type Io, outputSinks, writeText } from "./io.ts";
import { UsageError } from "./command.ts";
import type { FlagSpec } from "./flags.ts";

/** Exit codes for a session ended by a signal are 128 + the signal's number, as shells report. */
const SIGNAL_NUMBERS: Record<EndingSignal, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGTERM: 15,
};

/** Session flags shared by exec and attach. */
export interface SessionFlags {
  stdin: boolean;
  tty: boolean;
  quiet: boolean;
  /** `--protocol`: one subprotocol to offer instead of the default v5, v4. */
  protocol: string;
  keepaliveMs: number;
  deadPeerMs: number;
  idleTimeoutMs: number;
  maxSessionMs: number;
}

/** kubectl's own flags of exec and attach, with kubectl's help text (the same for both). */
export const POD_SESSION_FLAG_SPECS: FlagSpec[] = [
  {
    name: "container",
    short: "c",
    type: "string",
    usage:
      "Container name. If omitted, use the kubectl.kubernetes.io/default-container annotation for selecting the container to be attached or the first container in the pod will be chosen",
  },
  {
    name: "pod-running-timeout",
    type: "duration",
    default: 60_000,
    usage:
      "The length of time (like 5s, 2m, or 3h, higher than zero) to wait until at least one pod is running",
  },
  { name: "quiet", short: "q", type: "bool", usage: "Only print output from the remote session" },
  { name: "stdin", short: "i", type: "bool", usage: "Pass stdin to the container" },
  { name: "tty", short: "t", type: "bool", usage: "Stdin is a TTY" },
];

/** Flag specs for {@linkcode SessionFlags}, shared by exec and attach. */
export const SESSION_FLAG_SPECS = [
  {
    name: "protocol",
    type: "string" as const,
    usage:
      `WebSocket subprotocol to offer instead of the default "v5.channel.k8s.io, v4.channel.k8s.io"; one of ${
        SUPPORTED_PROTOCOLS.join(", ")
      }`,
  },
  {
    name: "keepalive",
    type: "duration" as const,
    default: 5000,
    usage: "Interval between WebSocket pings that keep the session alive; 0 disables pings",
  },
  {
    name: "keepalive-timeout",
    type: "duration" as const,
    default: 61_000,
    usage: "End the session as lost when no pong arrived for this long (kubectl: 61s)",
  },
  {
    name: "idle-timeout",
    type: "duration" as const,
    default: 0,
    usage: "End the session when no bytes moved in either direction for this long; 0 means never",
  },
  {
    name: "max-session",
    type: "duration" as const,
    default: 0,
    usage: "End the session after this long in any case; 0 means no limit",
  },
];

/**
 * Decides whether a TTY is used, as kubectl's `SetupTTY`: `-t` needs `-i`, and a local stdin that
 * is a terminal; otherwise kubectl's warning (unless quiet) and no TTY.
 *
 * @example
 * ```ts
 * import { decideTty } from "./session.ts";
 * decideTty({ stdin: true, tty: true, quiet: false }, false).warning;
 * // "Unable to use a TTY - input is not a terminal or the right kind of file"
 * ```
 */
export function decideTty(
  flags: { stdin: boolean; tty: boolean; quiet: boolean },
  stdinIsTerminal: boolean,
): { tty: boolean; warning?: string } {
  if (!flags.stdin || !flags.tty) return { tty: false };
  if (!stdinIsTerminal) {
    return {
      tty: false,
      warning: flags.quiet
        ? undefined
        : "Unable to use a TTY - input is not a terminal or the right kind of file",
    };
  }
  return { tty: true };
}

/**
 * Encodes query parameters as Go's `url.Values.Encode` does (sorted keys, `QueryEscape`), the
 * order kubectl sends them in.
 *
 * @example
 * ```ts
 * import { goQuery } from "./session.ts";
 * goQuery([["stdout", "true"], ["command", "echo hi"]]); // "command=echo+hi&stdout=true"
 * ```
 */
export function goQuery(params: [string, string][]): string {
  const escape = (text: string) =>
    encodeURIComponent(text)
      .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
      .replace(/%20/g, "+");
  return [...params]
    .map((pair, index) => ({ pair, index }))
    .sort((a, b) => a.pair[0] < b.pair[0] ? -1 : a.pair[0] > b.pair[0] ? 1 : a.index - b.index)
    .map(({ pair }) => `${escape(pair[0])}=${escape(pair[1])}`)
    .join("&");
}

/** The protocols to offer for `--protocol`. */
export function protocolsToOffer(protocol: string): string[] {
  if (protocol === "") return [...DEFAULT_PROTOCOLS];
  if (!SUPPORTED_PROTOCOLS.includes(protocol)) {
    throw new UsageError(
      `unsupported --protocol "${protocol}"; supported: ${SUPPORTED_PROTOCOLS.join(", ")}`,
    );
  }
  return [protocol];
}

/** Turns a refused upgrade into the error the user sees. */
export function upgradeFailure(error: UpgradeError, path: string, offered: string[]): Error {
  if (error.status === 403 && error.body.length === 0) {
    return new StatusError(
      {
        code: 403,
        reason: "Forbidden",
        message:
          `the server refused the WebSocket upgrade with an empty 403: it supports none of the offered subprotocols (${
            offered.join(", ")
          })`,
      },
      path,
      "API servers before 1.29 (or with the TranslateStreamCloseWebsocketRequests gate off) and some proxies do not serve v5; try --protocol=v4.channel.k8s.io",
    );
  }
  return statusErrorFromResponse(
    {
      status: error.status,
      statusText: error.statusText,
      headers: error.headers,
      body: error.body,
    },
    path,
  );
}

/** Observers of one session (recording and audit); they must not block. */
export interface SessionHooks {
  /** Called once the upgrade succeeded, with the negotiated subprotocol. */
  onNegotiated?: (protocol: string) => void;
  /** Called with the payload byte count of every chunk sent (`out`) or received (`in`). */
  onBytes?: (direction: ByteDirection, bytes: number) => void;
}

/** What {@linkcode runTerminalSession} needs. */
export interface TerminalSessionRequest {
  client: ApiClient;
  /** Path and query of the exec/attach subresource. */
  path: string;
  flags: SessionFlags;
  /** Whether a TTY is used (from {@linkcode decideTty}, or forced by attach). */
  tty: boolean;
  /** Local stdin as sent to the pod (possibly wrapped, e.g. for detach keys). */
  stdin?: ReadableStream<Uint8Array>;
  io: Io;
  global: GlobalOptions;
  /** Observers for audit records. */
  hooks?: SessionHooks;
  /** Aborted when the user typed attach's detach keys: the session ends with exit code 0. */
  detach?: AbortSignal;
  /** attach: the remote process is not the session's, and a signal must not end its input. */
  processOutlivesSession?: boolean;
  /**
   * Aborted (with the signal's name as reason) by a caller that takes the signals while sessions
   * connect (fan-out): a session that connects after it ends at once, as one already running does.
   */
  interrupt?: AbortSignal;
}

function currentSize(io: Io): TerminalSize | undefined {
  const size = io.terminal.size();
  return size ? { width: size.columns, height: size.rows } : undefined;
}

/** Whether a read failed because the terminal went away (EIO: its window or SSH session closed). */
function isTerminalGone(error: unknown): boolean {
  return error instanceof Error && /\(os error 5\)|Input\/output error/.test(error.message);
}

/**
 * `stdin` from a terminal, with a read that fails because the terminal went away taken for what
 * it is — the hang-up, as SIGHUP says it (exit 129, the EOF byte for exec's shell) — rather than
 * a stdin error that ends the session with `error: Input/output error`.
 */
function hangUpOnTerminalLoss(
  stdin: ReadableStream<Uint8Array>,
  onHangUp: () => void,
): ReadableStream<Uint8Array> {
  const reader = stdin.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        if (!isTerminalGone(error)) throw error;
        onHangUp();
        controller.close();
      }
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

/**
 * Upgrades, runs the session with the terminal set up, and restores the terminal on every exit
 * path. Resolves to the session result; the caller maps the exit code.
 *
 * @example
 * ```ts
 * import { runTerminalSession } from "./session.ts";
 * // const result = await runTerminalSession({ client, path, flags, tty, io, global });
 * ```
 */
export async function runTerminalSession(request: TerminalSessionRequest): Promise<SessionResult> {
  const { client, path, flags, tty, io, global } = request;
  const offered = protocolsToOffer(flags.protocol);
  let ws;
  try {
    ws = await client.upgrade(path, offered);
  } catch (error) {
    if (error instanceof UpgradeError) throw upgradeFailure(error, path, offered);
    throw error;
  }
  global.logger(4, () => `negotiated subprotocol ${ws.protocol}`);
  request.hooks?.onNegotiated?.(ws.protocol);
  const abort = new AbortController();
  let received: EndingSignal | undefined;
  const onSignal = (signal: EndingSignal) => {
    global.logger(2, () => `received ${signal}: closing the remote stdin and ending the session`);
    received ??= signal;
    abort.abort(signal);
  };
  const unsubscribeSignals = io.terminal.onSignal(onSignal);
  const interrupt = request.interrupt;
  const onInterrupt = () => onSignal(interrupt!.reason as EndingSignal);
  if (interrupt?.aborted) onInterrupt();
  else interrupt?.addEventListener("abort", onInterrupt, { once: true });
  let resize: TerminalSizeQueue | undefined;
  let unsubscribeResize = () => {};
  if (tty) {
    resize = new TerminalSizeQueue(currentSize(io));
    unsubscribeResize = io.terminal.onResize(() => {
      const size = currentSize(io);
      if (size) resize!.push(size);
    });
    io.terminal.setRaw(true);
  }
  // The process's own sinks when `io` is the process's: its streams are then never built.
  const sinks = outputSinks(io);
  const stdin = flags.stdin ? request.stdin ?? io.stdin : undefined;
  try {
    const result = await runStreamSession(ws, {
      // A closed terminal window fails the next read with EIO, often before SIGHUP arrives.
      stdin: stdin && tty && io.stdinIsTerminal
        ? hangUpOnTerminalLoss(stdin, () => onSignal("SIGHUP"))
        : stdin,
      stdout: sinks?.stdout ?? io.stdout,
      stderr: tty ? undefined : sinks?.stderr ?? io.stderr,
      resize,
      tty,
    }, {
      keepaliveMs: flags.keepaliveMs,
      deadPeerMs: flags.deadPeerMs,
      idleTimeoutMs: flags.idleTimeoutMs || undefined,
      maxSessionMs: flags.maxSessionMs || undefined,
      logger: global.logger,
      signal: abort.signal,
      detach: request.detach,
      processOutlivesSession: request.processOutlivesSession,
      onBytes: request.hooks?.onBytes,
    });
    if (result.ended === "signal" && received) {
      return { ...result, exitCode: 128 + SIGNAL_NUMBERS[received] };
    }
    // Output that went through a wrapping stream (recording) may still sit in the process's
    // write-behind buffers: it reaches the terminal before raw mode ends and before the caller's
    // "command terminated" line.
    if (result.ended === "status" || result.ended === "stream-end") await io.flush?.();
    return result;
  } finally {
    if (tty) io.terminal.setRaw(false);
    unsubscribeResize();
    resize?.close();
    unsubscribeSignals();
    interrupt?.removeEventListener("abort", onInterrupt);
  }
}

/**
 * Prints kubectl's message for a non-zero remote exit code and returns the code to exit with.
 *
 * @example
 * ```ts
 * import { finishSession } from "./session.ts";
 * // return await finishSession(result, io);
 * ```
 */
export async function finishSession(result: SessionResult, io: Io): Promise<number> {
  if (result.exitCode !== 0 && result.ended !== "signal") {
    await writeText(io.stderr, `command terminated with exit code ${result.exitCode}\n`);
  }
  return result.exitCode;
}
