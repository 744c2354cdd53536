/**
 * Errors raised by the remotecommand stream protocols and the exec/attach session. Each carries the
 * facts a caller needs to print one clear line, and the process exit code the design assigns to it
 * (`1` for errors around the command, `255` when the stream ended without a status).
 *
 * @module
 */

import type { Status } from "./status.ts";

/** Exit code for a stream that ended without a status from the server (see DESIGN.md). */
export const EXIT_CONNECTION_LOST = 255;

/** Exit code for errors before or around the remote command (protocol, remote failures, limits). */
export const EXIT_ERROR = 1;

/**
 * Formats a duration in milliseconds the way kubexec's messages show it (`61s`, `1.5s`, `250ms`).
 *
 * @example
 * ```ts
 * import { formatDuration } from "./errors.ts";
 * formatDuration(61000); // "61s"
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  return `${Number((ms / 1000).toFixed(3))}s`;
}

/** Facts about a protocol violation. */
export interface ProtocolErrorDetails {
  /** The negotiated (or offered) subprotocol, when known. */
  protocol?: string;
  /** The channel the offending message was on, when known. */
  channel?: number;
}

/**
 * The peer broke the remotecommand wire protocol, or a protocol name is unknown or unusable.
 *
 * @example
 * ```ts
 * import { ProtocolError } from "./errors.ts";
 * const error = new ProtocolError("unexpected message type (text) on v5.channel.k8s.io", {
 *   protocol: "v5.channel.k8s.io",
 * });
 * error.name; // "ProtocolError"
 * ```
 */
export class ProtocolError extends Error {
  /** Always `ProtocolError`. */
  override name = "ProtocolError";
  /** Process exit code the CLI should use. */
  readonly exitCode: number = EXIT_ERROR;
  /** The subprotocol involved, when known. */
  readonly protocol: string | undefined;
  /** The channel involved, when known. */
  readonly channel: number | undefined;

  /** Creates the error from its message and facts. */
  constructor(message: string, details: ProtocolErrorDetails = {}) {
    super(message);
    this.protocol = details.protocol;
    this.channel = details.channel;
  }
}

/** Why a connection counts as lost. */
export type ConnectionLossCause =
  /** The connection closed (with a close frame, or dropped: 1006) before a status arrived. */
  | "closed-without-status"
  /** Reading from the connection failed (reset, TLS or framing error) before a status arrived. */
  | "read-error"
  /** The server stopped answering pings. */
  | "no-pong";

/** Facts about a lost connection. */
export interface ConnectionLostDetails {
  /** Why the connection counts as lost. */
  cause: ConnectionLossCause;
  /** The WebSocket close code, when the connection closed (1006 = dropped without a close frame). */
  closeCode?: number;
  /** The close reason text, when the server sent one. */
  closeReason?: string;
  /** For `no-pong`: how long the server stayed silent. */
  silentMs?: number;
  /** For `read-error`: the transport's error, kept as the standard `cause`. */
  readError?: unknown;
}

/**
 * The session ended without the outcome of the remote command: the connection closed before a
 * status arrived, or the server stopped answering pings. The command's result is unknown, so the
 * CLI exits with {@linkcode EXIT_CONNECTION_LOST} rather than pretending success.
 *
 * @example
 * ```ts
 * import { ConnectionLostError } from "./errors.ts";
 * const error = new ConnectionLostError({ cause: "closed-without-status", closeCode: 1006 });
 * error.message;
 * // "connection to the server was lost before the command finished: the connection dropped
 * //  without a WebSocket close (code 1006)"
 * ```
 */
export class ConnectionLostError extends Error {
  /** Always `ConnectionLostError`. */
  override name = "ConnectionLostError";
  /** Process exit code the CLI should use. */
  readonly exitCode: number = EXIT_CONNECTION_LOST;
  /** Why the connection counts as lost. */
  readonly lossCause: ConnectionLossCause;
  /** The WebSocket close code, when the connection closed. */
  readonly closeCode: number | undefined;
  /** The close reason, when the server gave one. */
  readonly closeReason: string | undefined;
  /** For `no-pong`: how long the server stayed silent. */
  readonly silentMs: number | undefined;

  /** Creates the error; the message is built from the facts. */
  constructor(details: ConnectionLostDetails) {
    super(
      connectionLostMessage(details),
      details.readError === undefined ? undefined : { cause: details.readError },
    );
    this.lossCause = details.cause;
    this.closeCode = details.closeCode;
    this.closeReason = details.closeReason;
    this.silentMs = details.silentMs;
  }
}

function connectionLostMessage(details: ConnectionLostDetails): string {
  if (details.cause === "no-pong") {
    return `connection to the server was lost: no pong from the server in ${
      formatDuration(details.silentMs ?? 0)
    }`;
  }
  const base = "connection to the server was lost before the command finished";
  if (details.cause === "read-error") {
    const error = details.readError;
    return `${base}: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (details.closeCode === undefined) return base;
  if (details.closeCode === 1006) {
    return `${base}: the connection dropped without a WebSocket close (code 1006)`;
  }
  const reason = details.closeReason ? `: ${details.closeReason}` : "";
  return `${base}: the server closed the stream (code ${details.closeCode}${reason}) ` +
    "without sending the command's status";
}

/**
 * The server reported a failure other than the command's exit code on the status channel, e.g.
 * `Internal error occurred: unable to upgrade connection: container not found ("app")`. The
 * message is the server's, unchanged, as kubectl prints it (`error: <message>`).
 *
 * @example
 * ```ts
 * import { RemoteStatusError } from "./errors.ts";
 * const error = new RemoteStatusError({
 *   status: "Failure",
 *   message: "Internal error occurred: boom",
 *   reason: "InternalError",
 * });
 * error.reason; // "InternalError"
 * ```
 */
export class RemoteStatusError extends Error {
  /** Always `RemoteStatusError`. */
  override name = "RemoteStatusError";
  /** Process exit code the CLI should use. */
  readonly exitCode: number = EXIT_ERROR;
  /** The decoded status (for the plain-text v1 protocols, a synthetic one carrying the text). */
  readonly status: Status;
  /** The status `reason` (`InternalError`, `NotFound`, …), when given. */
  readonly reason: string | undefined;
  /** The status `code` (HTTP-like), when given. */
  readonly code: number | undefined;

  /** Creates the error from the decoded status; the message is the status message. */
  constructor(status: Status) {
    super(status.message || "the server reported a failure without a message");
    this.status = status;
    this.reason = status.reason;
    this.code = status.code;
  }
}

/** The client-side session limits an operator can set. */
export type SessionLimit = "idle-timeout" | "max-session";

/**
 * A client-side limit ended the session: no bytes either way for the idle timeout, or the
 * maximum session duration was reached.
 *
 * @example
 * ```ts
 * import { SessionLimitError } from "./errors.ts";
 * new SessionLimitError("idle-timeout", 30000).message;
 * // "session ended: no input or output for 30s (idle timeout)"
 * ```
 */
export class SessionLimitError extends Error {
  /** Always `SessionLimitError`. */
  override name = "SessionLimitError";
  /** Process exit code the CLI should use. */
  readonly exitCode: number = EXIT_ERROR;
  /** Which limit ended the session. */
  readonly limit: SessionLimit;
  /** The limit's value. */
  readonly limitMs: number;

  /** Creates the error for `limit` set to `limitMs`. */
  constructor(limit: SessionLimit, limitMs: number) {
    super(
      limit === "idle-timeout"
        ? `session ended: no input or output for ${formatDuration(limitMs)} (idle timeout)`
        : `session ended: maximum session duration of ${formatDuration(limitMs)} reached`,
    );
    this.limit = limit;
    this.limitMs = limitMs;
  }
}
