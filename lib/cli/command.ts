/**
 * The shape of a kubexec command and the context it runs with. Commands follow kubectl's
 * Options pattern: they read flags, complete and validate their options, then run, returning the
 * process exit code. They never exit the process themselves.
 *
 * @module
 */
import type { FlagSpec, FlagValue, ParsedFlags } from "./flags.ts";
import type { Io } from "./io.ts";
import type { GlobalOptions } from "./global_flags.ts";

/** A command (or a group of subcommands) of the CLI. */
export interface Command {
  /** The word that selects it, e.g. `exec`. */
  name: string;
  /** One line for the command list. */
  short: string;
  /** The help text's first paragraph. */
  long: string;
  /** The `Usage:` line without the leading `kubexec `. */
  usage: string;
  /** The `Examples:` block, already indented. */
  examples?: string;
  /** The command's own flags (global flags are added by the dispatcher). */
  flags?: FlagSpec[];
  /** Hidden commands run but are not listed in help (`__complete`, called by completion scripts). */
  hidden?: boolean;
  /** Subcommands; a command with subcommands and no `run` prints its help. */
  subcommands?: Command[];
  /** Runs the command; resolves to the exit code. */
  run?: (context: CommandContext) => Promise<number>;
}

/** Typed access to parsed flag values. */
export class FlagValues {
  #parsed: ParsedFlags;

  /** @param parsed the parser's result */
  constructor(parsed: ParsedFlags) {
    this.#parsed = parsed;
  }

  #get(name: string): FlagValue {
    const value = this.#parsed.values.get(name);
    if (value === undefined) throw new Error(`flag --${name} is not declared`);
    return value;
  }

  /** A boolean flag. */
  bool(name: string): boolean {
    return this.#get(name) as boolean;
  }

  /** A string flag. */
  string(name: string): string {
    return this.#get(name) as string;
  }

  /** An integer flag. */
  int(name: string): number {
    return this.#get(name) as number;
  }

  /** A duration flag, in milliseconds. */
  duration(name: string): number {
    return this.#get(name) as number;
  }

  /** A repeated or comma-separated flag. */
  strings(name: string): string[] {
    return this.#get(name) as string[];
  }

  /** Whether the flag was given on the command line. */
  changed(name: string): boolean {
    return this.#parsed.changed.has(name);
  }
}

/** What a command's `run` receives. */
export interface CommandContext {
  /** Positional arguments. */
  args: string[];
  /** Positional arguments before `--`, or -1 when there was none (cobra's `ArgsLenAtDash`). */
  argsLenAtDash: number;
  flags: FlagValues;
  global: GlobalOptions;
  io: Io;
  /** `kubexec exec`, for messages like "See 'kubexec exec --help' for usage." */
  commandPath: string;
  /** The whole command line after `kubexec` (for audit records; absent in older callers). */
  argv?: string[];
}

/**
 * A usage error: printed as `error: …` plus kubectl's "See '… -h' for help and examples" line,
 * exit code 1. Errors that cobra itself reports in kubectl start with a capital `Error:`; pass
 * `{ cobra: true }` for those.
 */
export class UsageError extends Error {
  /** Print with cobra's capital `Error:` prefix. */
  readonly cobra: boolean;
  /**
   * @param message the problem, kubectl-worded
   * @param options `cobra` for cobra-style capitalisation
   */
  constructor(message: string, options: { cobra?: boolean } = {}) {
    super(message);
    this.name = "UsageError";
    this.cobra = options.cobra ?? false;
  }
}
