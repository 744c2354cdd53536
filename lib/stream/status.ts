/**
 * Decoding of the status channel (3) into the outcome of the remote command.
 *
 * v4 and v5 carry a JSON `metav1.Status` (without `kind`/`apiVersion`): `Success` means exit 0,
 * `Failure` with reason `NonZeroExitCode` carries the exit code as an `ExitCode` cause, any other
 * failure is an error whose text is the status message. The v1 protocols carry plain error text
 * and nothing on success. Rules follow client-go's `errorstream.go`/`v4.go`, except that a
 * `NonZeroExitCode` status claiming exit code 0 is rejected: kubexec never reports 0 without an
 * explicit `Success`.
 *
 * @module
 */

import { ProtocolError, RemoteStatusError } from "./errors.ts";

/** One cause in a status' details; the JSON key of the cause type is `reason`. */
export interface StatusCause {
  /** The cause type (`ExitCode` for an exit code). */
  reason?: string;
  /** The cause's text (the decimal exit code for `ExitCode`). */
  message?: string;
  /** The field the cause refers to, if any. */
  field?: string;
}

/** The fields of `metav1.Status` kubexec reads. */
export interface Status {
  /** `Status` on REST errors; absent on the status channel. */
  kind?: string;
  /** `v1` on REST errors; absent on the status channel. */
  apiVersion?: string;
  /** Always `{}` in practice. */
  metadata?: Record<string, unknown>;
  /** `Success` or `Failure`. */
  status?: string;
  /** Human-readable description, printed as is. */
  message?: string;
  /** Machine-readable reason (`NonZeroExitCode`, `InternalError`, …). */
  reason?: string;
  /** Extra facts: the object involved and the causes. */
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: StatusCause[];
    retryAfterSeconds?: number;
  };
  /** HTTP-like status code, when given. */
  code?: number;
}

/** The outcome of a command whose status was decoded: the exit code the CLI should use. */
export interface CommandOutcome {
  /** 0 for `Success`, else the `ExitCode` cause. */
  exitCode: number;
  /** The decoded status. */
  status: Status;
}

const NON_ZERO_EXIT_CODE_REASON = "NonZeroExitCode";
const EXIT_CODE_CAUSE = "ExitCode";

/**
 * The line kubectl prints to stderr for a non-zero remote exit code.
 *
 * @example
 * ```ts
 * import { exitCodeMessage } from "./status.ts";
 * exitCodeMessage(7); // "command terminated with exit code 7"
 * ```
 */
export function exitCodeMessage(exitCode: number): string {
  return `command terminated with exit code ${exitCode}`;
}

/**
 * Decodes a v4/v5 status-channel payload (all channel-3 messages concatenated). Resolves the
 * command's exit code, or throws {@linkcode RemoteStatusError} for failures other than an exit
 * code and {@linkcode ProtocolError} for payloads that are not a usable status.
 *
 * @example
 * ```ts
 * import { decodeStatusJson } from "./status.ts";
 * const payload = new TextEncoder().encode('{"metadata":{},"status":"Success"}');
 * decodeStatusJson(payload).exitCode; // 0
 * ```
 */
export function decodeStatusJson(payload: Uint8Array): CommandOutcome {
  const raw = new TextDecoder().decode(payload);
  let status: Status;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new SyntaxError("not a JSON object");
    }
    status = parsed as Status;
  } catch (error) {
    throw new ProtocolError(
      `error stream protocol error: ${(error as Error).message} in ${JSON.stringify(raw)}`,
      { channel: 3 },
    );
  }
  if (status.status === "Success") return { exitCode: 0, status };
  if (status.status !== "Failure") {
    throw new ProtocolError("error stream protocol error: unknown error", { channel: 3 });
  }
  if (status.reason !== NON_ZERO_EXIT_CODE_REASON) throw new RemoteStatusError(status);
  return { exitCode: exitCodeFromCauses(status), status };
}

function exitCodeFromCauses(status: Status): number {
  if (!status.details) {
    throw new ProtocolError("error stream protocol error: details must be set", { channel: 3 });
  }
  const cause = status.details.causes?.find((c) => c.reason === EXIT_CODE_CAUSE);
  if (!cause) {
    throw new ProtocolError("error stream protocol error: no ExitCode cause given", {
      channel: 3,
    });
  }
  const text = cause.message ?? "";
  const exitCode = /^[0-9]{1,3}$/.test(text) ? Number(text) : NaN;
  if (!(exitCode >= 1 && exitCode <= 255)) {
    throw new ProtocolError(
      `error stream protocol error: invalid exit code value ${JSON.stringify(text)}`,
      { channel: 3 },
    );
  }
  return exitCode;
}

/**
 * Decodes a v1 (`channel.k8s.io`, `base64.channel.k8s.io`) status-channel payload: any text is the
 * server's error and is thrown as {@linkcode RemoteStatusError}; empty text decodes to nothing
 * (whether that means success depends on how the stream ended, which the session decides).
 *
 * @example
 * ```ts
 * import { decodeStatusText } from "./status.ts";
 * decodeStatusText(new Uint8Array()); // no error: returns undefined
 * ```
 */
export function decodeStatusText(payload: Uint8Array): undefined {
  const text = new TextDecoder().decode(payload).trim();
  if (text === "") return undefined;
  throw new RemoteStatusError({ status: "Failure", message: text });
}
