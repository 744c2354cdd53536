/**
 * The seam between cp and the exec transport. cp only needs "run this argv in the container with these
 * streams and tell me the exit code"; the CLI adapts its exec session to {@linkcode RemoteExec}, and tests
 * run local processes instead. Nothing in `lib/cp` knows about WebSockets.
 *
 * @module
 */

/** The streams of one remote command. Without `stdin` the command gets none (EOF / no stdin channel). */
export interface RemoteExecStreams {
  /**
   * Bytes for the command's stdin; read with back-pressure, then stdin is closed (half-close). If this
   * stream errors, end the session without half-closing (the remote side must not take a truncated
   * stream for a complete one).
   */
  stdin?: ReadableStream<Uint8Array>;
  /** Receives the command's stdout. A rejected write means "stop": the implementation ends the session. */
  stdout: WritableStream<Uint8Array>;
  /** Receives the command's stderr. */
  stderr: WritableStream<Uint8Array>;
}

/**
 * Runs `command` (an argv, no shell) in the container.
 *
 * Contract for implementations:
 * - resolve `{ exitCode }` once the remote side reported the command's exit (0 on success);
 * - every call gets its own `stdout`/`stderr` streams; the implementation may close them, and stops
 *   writing to them before resolving or rejecting; it awaits each write (back-pressure);
 * - throw {@linkcode RemoteExecError} with `connectionLost: true` when the stream broke before an exit
 *   status arrived (cp resumes downloads on that), and with `connectionLost: false` when the command
 *   could not start — keep the runtime's message, e.g.
 *   `exec: "tar": executable file not found in $PATH`, so cp can recognize a missing tool (resolving
 *   with exit code 126/127 and that message on stderr works too);
 * - other errors (HTTP 403, pod not found) may be thrown as the caller's own types; cp passes them on.
 *
 * @example
 * ```ts
 * import type { RemoteExec } from "./remote_exec.ts";
 * const exec: RemoteExec = async (_command, { stdout }) => {
 *   const writer = stdout.getWriter();
 *   await writer.write(new TextEncoder().encode("hello\n"));
 *   writer.releaseLock();
 *   return { exitCode: 0 };
 * };
 * ```
 */
export type RemoteExec = (
  command: string[],
  streams: RemoteExecStreams,
) => Promise<{ exitCode: number }>;

/**
 * A transport failure of a {@linkcode RemoteExec}: the connection dropped mid-stream
 * (`connectionLost: true`) or the command could not be started (`connectionLost: false`).
 *
 * @example
 * ```ts
 * import { RemoteExecError } from "./remote_exec.ts";
 * const error = new RemoteExecError("connection reset by peer", { connectionLost: true });
 * error.name; // "RemoteExecError"
 * ```
 */
export class RemoteExecError extends Error {
  override name = "RemoteExecError";
  /** `true` when the stream broke before the exit status arrived; downloads can resume. */
  readonly connectionLost: boolean;
  /** Creates the error; pass the underlying error as `cause`. */
  constructor(message: string, options: { connectionLost: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.connectionLost = options.connectionLost;
  }
}

const MISSING_EXECUTABLE_TEXT =
  /executable file not found|exec: "[^"]*": stat [^\n]*no such file or directory|: not found$|command not found/m;

/**
 * Whether a failed start (thrown error) or an exit code 126/127 with this stderr text means the
 * executable does not exist in the container. Matches the container runtimes' messages
 * (`exec: "tar": executable file not found in $PATH`) and POSIX shells' (`sh: 1: tar: not found`).
 *
 * @example
 * ```ts
 * import { looksLikeMissingExecutable } from "./remote_exec.ts";
 * looksLikeMissingExecutable('exec: "tar": executable file not found in $PATH'); // true
 * ```
 */
export function looksLikeMissingExecutable(text: string): boolean {
  return MISSING_EXECUTABLE_TEXT.test(text.trimEnd());
}
