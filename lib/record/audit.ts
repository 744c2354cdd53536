/**
 * The audit record of one session and the JSON Lines file it is appended to: one line per
 * session, written with one `write` to a file opened with `O_APPEND`, so records from concurrent
 * kubexec processes on one host do not interleave.
 *
 * @module
 */
import { openPrivateFile } from "./files.ts";

/** How a session ended. */
export type AuditEnding =
  /** The server reported the command's exit status (any exit code). */
  | "status"
  /** The connection was lost before the server reported a status. */
  | "lost"
  /** A local signal (SIGINT/SIGTERM/SIGHUP/SIGQUIT) ended the session. */
  | "signal"
  /** attach's detach keys ended the session; the remote process runs on. */
  | "detached"
  /** The session could not start or failed (connection, authorization, protocol, limits). */
  | "error";

/** One session, as audited. Optional fields are left out when unknown. */
export interface AuditRecord {
  /** RFC 3339 time the command started. */
  started: string;
  /** RFC 3339 time the session ended. */
  ended: string;
  /** Local account (`$USER`, else `$LOGNAME`, else `$USERNAME`). */
  localUser: string;
  /** `exec` or `attach`. */
  verb: string;
  /** The full command line, kubexec's own arguments included. */
  argv: string[];
  /** `--reason` text. */
  reason?: string;
  /** kubeconfig context, cluster and user names. */
  context?: string;
  cluster?: string;
  kubeconfigUser?: string;
  /** API server URL. */
  server?: string;
  namespace?: string;
  pod?: string;
  container?: string;
  /** The remote command (exec). */
  command?: string[];
  tty?: boolean;
  stdin?: boolean;
  /** The negotiated WebSocket subprotocol. */
  subprotocol?: string;
  /** Payload bytes received from the pod (stdout and stderr). */
  bytesIn: number;
  /** Payload bytes sent to the pod (stdin). */
  bytesOut: number;
  /** The exit code kubexec exited with for this session. */
  exitCode: number;
  endedBy: AuditEnding;
  /** The error, for `lost` and `error` endings. */
  error?: string;
  /** The recording file(s) of this session. */
  recordings?: string[];
}

/**
 * An open audit log. Records are appended whole; the file stays open for the session so that a
 * file that cannot be written is known before the session starts.
 *
 * @example
 * ```ts ignore
 * import { AuditLog } from "./audit.ts";
 * const log = await AuditLog.open("/var/log/kubexec/audit.jsonl");
 * await log.append(record);
 * log.close();
 * ```
 */
export class AuditLog {
  readonly #file: Deno.FsFile;
  /** The file's path. */
  readonly path: string;
  #closed = false;

  private constructor(file: Deno.FsFile, path: string) {
    this.#file = file;
    this.path = path;
  }

  /** Opens (creating with mode 0600) `path` for appending; throws `RecordFileError`. */
  static async open(path: string): Promise<AuditLog> {
    return new AuditLog(await openPrivateFile(path, "append", "audit log"), path);
  }

  /** Appends one record as one JSON line. */
  async append(record: AuditRecord): Promise<void> {
    const line = new TextEncoder().encode(`${JSON.stringify(record)}\n`);
    let offset = 0;
    while (offset < line.length) offset += await this.#file.write(line.subarray(offset));
  }

  /** Closes the file. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
  }
}
