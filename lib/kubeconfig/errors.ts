/**
 * The errors kubeconfig loading and resolving raise. Each carries the facts its message is built
 * from, and no message ever contains a credential: problems name fields and files, never values.
 *
 * @module
 */
import {
  goReason,
  RESERVED_PATH_HINT,
  RESERVED_PATH_REASON,
  reservedPathHint,
} from "../fs_errors.ts";

/**
 * Base class of every kubeconfig problem; the message is one line, worded like kubectl's.
 *
 * @example
 * ```ts
 * import { KubeconfigError } from "./errors.ts";
 * new KubeconfigError('context "x" does not exist') instanceof Error; // true
 * ```
 */
export class KubeconfigError extends Error {
  /** @param message the problem, kubectl-worded, free of secrets */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "KubeconfigError";
  }
}

/** Where in a file a problem was found (1-based), when it could be located. */
export interface SourcePosition {
  line: number;
  column: number;
}

/**
 * A kubeconfig file could not be read or decoded: YAML syntax, a wrong type, a duplicate name,
 * bad base64. Worded `error loading config file "<file>": <file>:<line>:<col>: <problem>`.
 *
 * @example
 * ```ts
 * import { KubeconfigLoadError } from "./errors.ts";
 * const error = new KubeconfigLoadError("/k/config", "clusters must be a list", { line: 3, column: 1 });
 * error.message; // 'error loading config file "/k/config": /k/config:3:1: clusters must be a list'
 * ```
 */
export class KubeconfigLoadError extends KubeconfigError {
  /** The file that failed to load. */
  readonly file: string;
  /** The problem without the file prefix. */
  readonly problem: string;
  /** Where the problem is, when known. */
  readonly position?: SourcePosition;
  /** What the user can do about it, printed by the CLI on a `hint:` line. */
  readonly hint?: string;

  /**
   * @param file the kubeconfig file
   * @param problem what is wrong, without secrets
   * @param position where, when known
   * @param options the underlying error, if any
   */
  constructor(
    file: string,
    problem: string,
    position?: SourcePosition,
    options?: { cause?: unknown },
  ) {
    const where = position ? `${file}:${position.line}:${position.column}: ` : "";
    super(`error loading config file "${file}": ${where}${problem}`, options);
    this.name = "KubeconfigLoadError";
    this.file = file;
    this.problem = problem;
    this.position = position;
    const hint = reservedPathHint(options?.cause);
    if (hint !== undefined) this.hint = hint;
  }
}

/**
 * A file the configuration refers to (or `--kubeconfig` itself) could not be read. Worded like Go's
 * `*PathError`: `open <path>: no such file or directory`.
 *
 * @example
 * ```ts
 * import { FileReadError } from "./errors.ts";
 * new FileReadError("open", "/x/ca.crt", "no such file or directory").message;
 * // "open /x/ca.crt: no such file or directory"
 * ```
 */
export class FileReadError extends KubeconfigError {
  /** The operation that failed (`open`, `stat`). */
  readonly operation: string;
  /** The path as it was used. */
  readonly path: string;
  /** Go-style reason text (`no such file or directory`, `permission denied`, …). */
  readonly reason: string;
  /** What the user can do about it, printed by the CLI on a `hint:` line. */
  readonly hint?: string;

  /**
   * @param operation `open` or `stat`
   * @param path the file
   * @param reason Go-style reason text
   * @param hint what the user can do about it
   */
  constructor(operation: string, path: string, reason: string, hint?: string) {
    super(`${operation} ${path}: ${reason}`);
    this.name = "FileReadError";
    this.operation = operation;
    this.path = path;
    this.reason = reason;
    if (hint !== undefined) this.hint = hint;
  }

  /**
   * The error for a failed file-system call, its reason in Go's words.
   *
   * @example
   * ```ts
   * import { FileReadError } from "./errors.ts";
   * FileReadError.from("open", "/x/ca.crt", new Deno.errors.NotFound("gone")).message;
   * // "open /x/ca.crt: no such file or directory"
   * ```
   */
  static from(operation: string, path: string, error: unknown): FileReadError {
    return new FileReadError(operation, path, goReason(error), reservedPathHint(error));
  }
}

/**
 * Several files of a `KUBECONFIG` list could not be loaded. kubectl reports every one, a line
 * each and without its `error: ` prefix (an aggregate error); a single failure is thrown as its
 * {@linkcode KubeconfigLoadError} instead.
 *
 * @example
 * ```ts
 * import { KubeconfigLoadError, KubeconfigLoadErrors } from "./errors.ts";
 * const error = new KubeconfigLoadErrors([
 *   new KubeconfigLoadError("/a", "bad"),
 *   new KubeconfigLoadError("/b", "worse"),
 * ]);
 * error.userMessage; // 'error loading config file "/a": bad\nerror loading config file "/b": worse'
 * ```
 */
export class KubeconfigLoadErrors extends KubeconfigError {
  /** One error per file, in loading order. */
  readonly errors: KubeconfigLoadError[];
  /** What kubectl prints: each file's error on a line of its own. */
  readonly userMessage: string;

  /** @param errors the files' errors, at least two */
  constructor(errors: KubeconfigLoadError[]) {
    super(`[${errors.map((error) => error.message).join(", ")}]`);
    this.name = "KubeconfigLoadErrors";
    this.errors = errors;
    this.userMessage = errors.map((error) => error.message).join("\n");
  }
}

/**
 * The selected context, user or cluster fails client-go's `ConfirmUsable` checks. One problem is
 * the message as is; several are joined like Go's aggregate error (`[a, b]`).
 *
 * @example
 * ```ts
 * import { ConfigurationInvalidError } from "./errors.ts";
 * new ConfigurationInvalidError(["context was not found for specified context: x"]).message;
 * // "context was not found for specified context: x"
 * ```
 */
export class ConfigurationInvalidError extends KubeconfigError {
  /** Every problem found, in client-go's order. */
  readonly problems: string[];
  /**
   * What kubectl prints instead of `error: <message>`, when it differs: `Error in configuration: `
   * followed by one `* <problem>` line per problem, or on the same line for a missing context.
   */
  readonly userMessage?: string;
  /** What the user can do about it, when a problem has a known remedy. */
  readonly hint?: string;

  /** @param problems the problems, each kubectl-worded */
  constructor(problems: string[]) {
    super(
      problems.length === 1 ? problems[0] : `invalid configuration: [${problems.join(", ")}]`,
    );
    this.name = "ConfigurationInvalidError";
    this.problems = problems;
    if (problems.length > 1) {
      this.userMessage = `Error in configuration: \n${
        problems.map((problem) => `* ${problem}`).join("\n")
      }`;
    } else if (problems[0]?.startsWith("context was not found for specified context")) {
      this.userMessage = `Error in configuration: ${problems[0]}`;
    }
    // A certificate or key file kept under /dev/shm, say (lib/fs_errors.ts).
    if (problems.some((problem) => problem.includes(RESERVED_PATH_REASON))) {
      this.hint = RESERVED_PATH_HINT;
    }
  }
}
