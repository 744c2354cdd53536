/**
 * Session recording and audit for `exec` and `attach`: the flags, the administrator's policy from
 * the environment, and the wrapping of the command's {@linkcode Io} so that everything the screen
 * shows (and, with `--record-input`, everything typed) lands in asciicast v2 recordings, and each
 * session ends with one audit line.
 *
 * Policy: an administrator sets `KUBEXEC_RECORD_DIR`, `KUBEXEC_AUDIT_LOG`,
 * `KUBEXEC_REQUIRE_REASON` and `KUBEXEC_FAIL_CLOSED` for the bastion's users (e.g. `readonly` in
 * `/etc/profile.d/`); flags can add recordings and logs but never turn the policy's off.
 *
 * Files are opened before the cluster is contacted: with fail-closed (flag or policy) a file that
 * cannot be written refuses the session; otherwise a warning is printed and the session runs.
 *
 * @module
 */
import type { FlagSpec } from "./flags.ts";
import { type CommandContext, UsageError } from "./command.ts";
import { type Io, writeText } from "./io.ts";
import type { SessionHooks } from "./session.ts";
import type { RestConfig } from "../kubeconfig/types.ts";
import { redactUrlPassword } from "../log.ts";
import type { SessionResult } from "../stream/exec.ts";
import { ConnectionLostError } from "../stream/errors.ts";
import type { AsciicastWriter } from "../record/asciicast.ts";
import type { AuditLog, AuditRecord } from "../record/audit.ts";
import type { OpenMode } from "../record/files.ts";

/**
 * Flags of recording and audit, shared by exec and attach.
 *
 * @example
 * ```ts ignore
 * import { RECORDING_FLAG_SPECS } from "./recording.ts";
 * const flags = [...SESSION_FLAG_SPECS, ...RECORDING_FLAG_SPECS];
 * ```
 */
export const RECORDING_FLAG_SPECS: FlagSpec[] = [
  {
    name: "record",
    type: "string",
    usage:
      "Record the session as an asciicast v2 file (mode 0600; output and resizes, input only with --record-input)",
  },
  {
    name: "record-input",
    type: "bool",
    usage: "Also record what is typed (captures passwords typed into the session)",
  },
  {
    name: "audit-log",
    type: "string",
    usage: "Append one JSON line describing the session to this file (mode 0600)",
  },
  { name: "reason", type: "string", usage: "Why this session is needed, for the audit record" },
  { name: "require-reason", type: "bool", usage: "Refuse to start without --reason" },
  {
    name: "fail-closed",
    type: "bool",
    usage:
      "Refuse to start when the --record or --audit-log file cannot be written (default: warn and continue)",
  },
];

/** The administrator's settings, read from the environment. */
export interface RecordingPolicy {
  /** `KUBEXEC_RECORD_DIR`: every session is recorded into a new file there. */
  recordDir?: string;
  /** `KUBEXEC_AUDIT_LOG`: every session is audited there. */
  auditLog?: string;
  /** `KUBEXEC_REQUIRE_REASON`: `--reason` is mandatory. */
  requireReason: boolean;
  /** `KUBEXEC_FAIL_CLOSED`: unwritable files refuse the session. */
  failClosed: boolean;
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && !["", "0", "false", "no", "off"].includes(value.toLowerCase());
}

/**
 * Reads the recording policy from the environment.
 *
 * @example
 * ```ts
 * import { policyFromEnv } from "./recording.ts";
 * const env: Record<string, string> = { KUBEXEC_AUDIT_LOG: "/var/log/kubexec.jsonl" };
 * policyFromEnv((name) => env[name]).auditLog; // "/var/log/kubexec.jsonl"
 * ```
 */
export function policyFromEnv(env: (name: string) => string | undefined): RecordingPolicy {
  return {
    recordDir: env("KUBEXEC_RECORD_DIR") || undefined,
    auditLog: env("KUBEXEC_AUDIT_LOG") || undefined,
    requireReason: truthy(env("KUBEXEC_REQUIRE_REASON")),
    failClosed: truthy(env("KUBEXEC_FAIL_CLOSED")),
  };
}

/** Flags whose values are secrets and never reach a recording or an audit record. */
const SECRET_FLAGS = new Set(["--token", "--password"]);

/** Flags whose value is a URL that may carry a password (`https://user:pw@host`). */
const URL_FLAGS = new Set(["--server", "-s"]);

/**
 * Replaces the values of `--token` and `--password` in a command line with `REDACTED`, and masks
 * the password of a URL given to `--server`/`-s` (in every form pflag reads: `-s URL`, `-s=URL`,
 * `-sURL`).
 *
 * @example
 * ```ts
 * import { redactArgv } from "./recording.ts";
 * redactArgv(["exec", "--token", "abc", "--password=x", "-s", "https://me:pw@h", "web"]);
 * // ["exec", "--token", "REDACTED", "--password=REDACTED", "-s", "https://me:xxxxx@h", "web"]
 * ```
 */
export function redactArgv(argv: string[]): string[] {
  const out: string[] = [];
  let dashDash = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (dashDash) {
      out.push(arg);
      continue;
    }
    if (arg === "--") dashDash = true;
    const equals = arg.indexOf("=");
    if (equals > 0 && SECRET_FLAGS.has(arg.slice(0, equals))) {
      out.push(`${arg.slice(0, equals)}=REDACTED`);
    } else if (SECRET_FLAGS.has(arg) && i + 1 < argv.length) {
      out.push(arg, "REDACTED");
      i++;
    } else if (equals > 0 && URL_FLAGS.has(arg.slice(0, equals))) {
      out.push(`${arg.slice(0, equals + 1)}${redactUrlPassword(arg.slice(equals + 1))}`);
    } else if (URL_FLAGS.has(arg) && i + 1 < argv.length) {
      out.push(arg, redactUrlPassword(argv[++i]));
    } else if (/^-s[^=-]/.test(arg)) {
      out.push(`-s${redactUrlPassword(arg.slice(2))}`);
    } else {
      out.push(arg);
    }
  }
  return out;
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * A recording or audit file could not be opened while fail-closed: the session is refused.
 *
 * @example
 * ```ts
 * import { RecordingRequiredError } from "./recording.ts";
 * new RecordingRequiredError(new Error("cannot write the recording /x.cast: denied")).hint;
 * ```
 */
export class RecordingRequiredError extends Error {
  override name = "RecordingRequiredError";
  /** Printed as `hint:` under the error. */
  readonly hint =
    "the session was not started because recording is fail-closed (--fail-closed or KUBEXEC_FAIL_CLOSED); fix the path or its permissions";

  /** @param cause the file error */
  constructor(cause: Error) {
    super(cause.message, { cause });
  }
}

/** What a session ended with, for its audit line. */
export interface SessionOutcome {
  /** The code kubexec exits with (or would, in fan-out) for this session. */
  exitCode: number;
  result?: SessionResult;
  error?: unknown;
}

/** The pod side of one audited session. */
export interface SessionTarget {
  namespace?: string;
  pod?: string;
  container?: string;
}

/**
 * One session's audit facts, collected while it runs. Pass {@linkcode AuditedSession.hooks} to
 * `runTerminalSession`.
 *
 * @example
 * ```ts
 * import { AuditedSession } from "./recording.ts";
 * const session = new AuditedSession({ pod: "web-0" });
 * session.hooks.onBytes?.("in", 5);
 * session.bytesIn; // 5
 * ```
 */
export class AuditedSession {
  /** Where the session runs. */
  target: SessionTarget;
  /** The negotiated subprotocol. */
  subprotocol: string | undefined;
  /** Payload bytes received. */
  bytesIn = 0;
  /** Payload bytes sent. */
  bytesOut = 0;
  /** Set once its audit line is written. */
  finished = false;
  /** When the session started. */
  readonly started = new Date();
  /** Whether a TTY was used, when decided after the recording started (attach). */
  tty: boolean | undefined;
  /** The observers to hand to `runTerminalSession`. */
  readonly hooks: SessionHooks = {
    onNegotiated: (protocol) => {
      this.subprotocol = protocol;
    },
    onBytes: (direction, bytes) => {
      if (direction === "in") this.bytesIn += bytes;
      else this.bytesOut += bytes;
    },
  };

  /** @param target where the session runs, as far as known */
  constructor(target: SessionTarget) {
    this.target = { ...target };
  }
}

/** What the command tells {@linkcode startRecording} about itself. */
export interface RecordingSpec {
  /** `exec` or `attach`. */
  verb: string;
  tty: boolean;
  stdin: boolean;
  /** The remote command, for exec. */
  command?: string[];
  /** The pod or TYPE/NAME (or selector) the user named, for the recording's title. */
  targetLabel: string;
}

const DEFAULT_SIZE = { columns: 80, rows: 24 };

function localUser(env: (name: string) => string | undefined): string {
  return env("USER") || env("LOGNAME") || env("USERNAME") || "unknown";
}

function compactTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/** The recording and audit writers (lib/record), loaded on first need. */
async function loadWriters() {
  const [{ AsciicastWriter }, { AuditLog }, { openPrivateFile, unbufferedFileSink }] = await Promise
    .all([
      import("../record/asciicast.ts"),
      import("../record/audit.ts"),
      import("../record/files.ts"),
    ]);
  return { AsciicastWriter, AuditLog, openPrivateFile, unbufferedFileSink };
}

function endingOf(outcome: SessionOutcome): Pick<AuditRecord, "endedBy" | "error"> {
  if (outcome.error !== undefined) {
    const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    return {
      endedBy: outcome.error instanceof ConnectionLostError ? "lost" : "error",
      error: message,
    };
  }
  const ended = outcome.result?.ended;
  return { endedBy: ended === "signal" || ended === "detached" ? ended : "status" };
}

/**
 * The recordings and audit logs of one command run. Use {@linkcode io} instead of the context's
 * Io, so that output is recorded; {@linkcode startSession} once per pod session.
 *
 * @example
 * ```ts ignore
 * import { SessionRecording } from "./recording.ts";
 * const recording = await SessionRecording.start(context, { verb: "exec", tty, stdin, targetLabel: "web-0" });
 * return await recording.run(async () => 0);
 * ```
 */
export class SessionRecording {
  /** The Io to use: output (and input, with `--record-input`) is recorded through it. */
  readonly io: Io;
  readonly #context: CommandContext;
  readonly #spec: RecordingSpec;
  readonly #casts: { path: string; writer: AsciicastWriter }[];
  readonly #audits: AuditLog[];
  readonly #sessions: AuditedSession[] = [];
  readonly #reason: string;
  #config: RestConfig | undefined;

  private constructor(
    context: CommandContext,
    spec: RecordingSpec,
    reason: string,
    casts: { path: string; writer: AsciicastWriter }[],
    audits: AuditLog[],
  ) {
    this.#context = context;
    this.#spec = spec;
    this.#reason = reason;
    this.#casts = casts;
    this.#audits = audits;
    this.io = casts.length === 0 ? context.io : this.#recordedIo(context.io, spec);
  }

  /**
   * Reads the flags and policy, checks `--reason`, opens the files (refusing or warning when one
   * cannot be written) and returns the recording. Throws `UsageError` for a missing reason and
   * {@linkcode RecordingRequiredError} when fail-closed.
   */
  static async start(context: CommandContext, spec: RecordingSpec): Promise<SessionRecording> {
    const { flags, io } = context;
    const policy = policyFromEnv(io.env);
    const reason = flags.string("reason");
    if ((flags.bool("require-reason") || policy.requireReason) && reason.trim() === "") {
      throw new UsageError(
        `a reason is required: add --reason "…" saying why this session is needed${
          policy.requireReason ? " (required by KUBEXEC_REQUIRE_REASON)" : ""
        }`,
      );
    }
    const failClosed = flags.bool("fail-closed") || policy.failClosed;
    const user = localUser(io.env);
    const targets: { path: string; mode: OpenMode }[] = [];
    if (flags.string("record") !== "") {
      targets.push({ path: flags.string("record"), mode: "truncate" });
    }
    if (policy.recordDir) {
      const random = crypto.randomUUID().slice(0, 8);
      const safeUser = user.replace(/[^\w.-]/g, "_");
      targets.push({
        path: `${policy.recordDir}/${compactTimestamp(new Date())}-${safeUser}-${random}.cast`,
        mode: "create-new",
      });
    }
    const auditPaths = [flags.string("audit-log"), policy.auditLog ?? ""].filter((path) =>
      path !== ""
    );
    const casts: { path: string; writer: AsciicastWriter }[] = [];
    const audits: AuditLog[] = [];
    const refuseOrWarn = async (error: unknown) => {
      if (!(error instanceof Error)) throw error;
      if (failClosed) {
        for (const cast of casts) await cast.writer.close();
        for (const audit of audits) audit.close();
        throw new RecordingRequiredError(error);
      }
      await writeText(
        io.stderr,
        `Warning: ${error.message}; continuing without it (--fail-closed refuses instead)\n`,
      );
    };
    // The writers are loaded only when there is something to write: each module a run loads costs
    // every exec start-up time and memory (docs/performance.md).
    if (targets.length === 0 && auditPaths.length === 0) {
      return new SessionRecording(context, spec, reason, casts, audits);
    }
    const { AsciicastWriter, AuditLog, openPrivateFile, unbufferedFileSink } = await loadWriters();
    const size = io.terminal.size() ?? DEFAULT_SIZE;
    const argv = redactArgv(context.argv ?? []);
    for (const target of targets) {
      try {
        const file = await openPrivateFile(target.path, target.mode, "recording");
        const env: Record<string, string> = {};
        for (const name of ["SHELL", "TERM"]) {
          const value = io.env(name);
          if (value) env[name] = value;
        }
        const writer = await AsciicastWriter.start(unbufferedFileSink(file), {
          width: size.columns,
          height: size.rows,
          timestamp: Math.floor(Date.now() / 1000),
          command: ["kubexec", ...argv].map(shellQuote).join(" "),
          title: `kubexec ${spec.verb} ${spec.targetLabel}`,
          env,
        }, { target: target.path });
        casts.push({ path: target.path, writer });
      } catch (error) {
        await refuseOrWarn(error);
      }
    }
    for (const path of auditPaths) {
      try {
        audits.push(await AuditLog.open(path));
      } catch (error) {
        await refuseOrWarn(error);
      }
    }
    return new SessionRecording(context, spec, reason, casts, audits);
  }

  /** Paths of the recordings being written. */
  get recordings(): string[] {
    return this.#casts.map((cast) => cast.path);
  }

  /** Notes the cluster facts (context, user, server, namespace) for the audit records. */
  noteCluster(config: RestConfig): void {
    this.#config = config;
  }

  /** Starts the audit of one pod session. */
  startSession(target: SessionTarget = {}): AuditedSession {
    const session = new AuditedSession(target);
    this.#sessions.push(session);
    return session;
  }

  /** Writes the audit line of `session`. Audit write failures are warned about, not thrown. */
  async finishSession(session: AuditedSession, outcome: SessionOutcome): Promise<void> {
    if (session.finished) return;
    session.finished = true;
    if (this.#audits.length === 0) return;
    const config = this.#config;
    const record: AuditRecord = {
      started: session.started.toISOString(),
      ended: new Date().toISOString(),
      localUser: localUser(this.#context.io.env),
      verb: this.#spec.verb,
      argv: redactArgv(this.#context.argv ?? []),
      reason: this.#reason || undefined,
      context: config?.contextName,
      cluster: config?.clusterName,
      kubeconfigUser: config?.userName,
      server: config?.server === undefined ? undefined : redactUrlPassword(config.server),
      namespace: session.target.namespace ?? config?.namespace,
      pod: session.target.pod,
      container: session.target.container,
      command: this.#spec.command,
      tty: session.tty ?? this.#spec.tty,
      stdin: this.#spec.stdin,
      subprotocol: session.subprotocol,
      bytesIn: session.bytesIn,
      bytesOut: session.bytesOut,
      exitCode: outcome.exitCode,
      ...endingOf(outcome),
      recordings: this.#casts.length > 0 ? this.recordings : undefined,
    };
    const sudoUser = this.#context.io.env("SUDO_USER");
    const line = sudoUser ? { ...record, sudoUser } : record;
    for (const audit of this.#audits) {
      try {
        await audit.append(line as AuditRecord);
      } catch (error) {
        await writeText(
          this.#context.io.stderr,
          `Warning: writing the audit log ${audit.path} failed: ${
            error instanceof Error ? error.message : String(error)
          }\n`,
        );
      }
    }
  }

  /**
   * Runs `body` with this recording; audits every started session (and, when `body` failed before
   * starting one, the attempt itself), then closes the files and warns about recording failures.
   */
  async run(body: (recording: SessionRecording) => Promise<number>): Promise<number> {
    let code: number;
    try {
      code = await body(this);
    } catch (error) {
      const exitCode = typeof (error as { exitCode?: unknown }).exitCode === "number"
        ? (error as { exitCode: number }).exitCode
        : 1;
      if (this.#sessions.length === 0) this.startSession();
      for (const session of this.#sessions) {
        await this.finishSession(session, { exitCode, error });
      }
      await this.#close();
      throw error;
    }
    for (const session of this.#sessions) await this.finishSession(session, { exitCode: code });
    await this.#close();
    return code;
  }

  async #close(): Promise<void> {
    for (const cast of this.#casts) {
      await cast.writer.close();
      if (cast.writer.failure) {
        await writeText(this.#context.io.stderr, `Warning: ${cast.writer.failure.message}\n`);
      }
    }
    for (const audit of this.#audits) audit.close();
  }

  #recordedIo(io: Io, spec: RecordingSpec): Io {
    const casts = this.#casts.map((cast) => cast.writer);
    const teeOutput = (stream: WritableStream<Uint8Array>) =>
      new WritableStream<Uint8Array>({
        async write(chunk) {
          const writer = stream.getWriter();
          try {
            await writer.write(chunk);
          } finally {
            writer.releaseLock();
          }
          await Promise.all(casts.map((cast) => cast.output(chunk)));
        },
      }, new CountQueuingStrategy({ highWaterMark: 1 }));
    let stdin = io.stdin;
    if (spec.stdin && this.#context.flags.bool("record-input")) {
      let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
      stdin = new ReadableStream<Uint8Array>({
        async pull(controller) {
          reader ??= io.stdin.getReader();
          const next = await reader.read();
          if (next.done) {
            controller.close();
            return;
          }
          await Promise.all(casts.map((cast) => cast.input(next.value)));
          controller.enqueue(next.value);
        },
        cancel(reason) {
          return reader?.cancel(reason);
        },
      }, { highWaterMark: 0 });
    }
    const terminal = io.terminal;
    return {
      ...io,
      stdin,
      stdout: teeOutput(io.stdout),
      stderr: teeOutput(io.stderr),
      terminal: {
        ...terminal,
        size: () => terminal.size(),
        setRaw: (raw) => terminal.setRaw(raw),
        onSignal: (listener) => terminal.onSignal(listener),
        onResize: (listener) =>
          terminal.onResize(() => {
            const size = terminal.size();
            if (size) {
              for (const cast of casts) void cast.resize(size.columns, size.rows);
            }
            listener();
          }),
      },
    };
  }
}

/**
 * Starts recording and auditing for a command and runs `body` with it (see
 * {@linkcode SessionRecording.run}).
 *
 * @example
 * ```ts ignore
 * import { withRecording } from "./recording.ts";
 * return await withRecording(context, { verb: "exec", tty, stdin, targetLabel: "web-0" }, async (rec) => {
 *   const session = rec.startSession({ pod: "web-0" });
 *   // … runTerminalSession({ io: rec.io, hooks: session.hooks, … })
 *   return 0;
 * });
 * ```
 */
export async function withRecording(
  context: CommandContext,
  spec: RecordingSpec,
  body: (recording: SessionRecording) => Promise<number>,
): Promise<number> {
  const recording = await SessionRecording.start(context, spec);
  return await recording.run(body);
}
