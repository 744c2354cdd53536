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
  /**
   * A stub's loader: the command's module is imported only when the command is chosen, so one
   * invocation evaluates only its own command's module graph (see {@linkcode lazyCommand}).
   */
  load?: () => Promise<Command>;
  /** The command talks to a cluster: the TLS set-up may start while its modules load. */
  connects?: boolean;
  /**
   * The line after a flag error, in place of cobra's `See '… --help' for usage.` (kubectl's
   * `options` says `Run 'kubectl options' without flags.`).
   */
  flagErrorHelp?: string;
}

/**
 * A placeholder for a command whose module is imported on first use. Listing it in help needs
 * only `name` and `short`; everything else comes from `load`, whose command must carry the same
 * name (tests/cli/lazy_commands_test.ts checks every stub against its module).
 *
 * @example
 * ```ts ignore
 * import { lazyCommand } from "./command.ts";
 * const exec = lazyCommand("exec", "Execute a command in a container", async () =>
 *   (await import("./commands/exec.ts")).execCommand);
 * ```
 */
export function lazyCommand(
  name: string,
  short: string,
  load: () => Promise<Command>,
  options: { hidden?: boolean; connects?: boolean } = {},
): Command {
  let loaded: Promise<Command> | undefined;
  return {
    name,
    short,
    long: short,
    usage: name,
    ...(options.hidden ? { hidden: true } : {}),
    ...(options.connects ? { connects: true } : {}),
    load: () => loaded ??= load(),
  };
}

/**
 * The full definition of `command`: itself, or what its stub loads.
 *
 * @example
 * ```ts ignore
 * import { resolveCommand } from "./command.ts";
 * const exec = await resolveCommand(stub); // exec.run is now defined
 * ```
 */
export async function resolveCommand(command: Command): Promise<Command> {
  return command.load ? await command.load() : command;
}

/**
 * `root` with every stub below it loaded, for callers that walk the whole tree (completion).
 *
 * @example
 * ```ts ignore
 * import { loadCommandTree } from "./command.ts";
 * const tree = await loadCommandTree(rootCommand);
 * ```
 */
export async function loadCommandTree(root: Command): Promise<Command> {
  const command = await resolveCommand(root);
  if (!command.subcommands?.length) return command;
  return {
    ...command,
    subcommands: await Promise.all(command.subcommands.map(loadCommandTree)),
  };
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
 * A command's own failure in kubectl's words (its target, its arguments' values, the pod's
 * state): printed as `error: …` without a usage pointer, exit code 1, as kubectl's
 * `cmdutil.CheckErr` prints a plain error.
 *
 * @example
 * ```ts
 * import { CommandError } from "./command.ts";
 * new CommandError("source and destination are required").name; // "CommandError"
 * ```
 */
export class CommandError extends Error {
  /** @param message kubectl-worded */
  constructor(message: string) {
    super(message);
    this.name = "CommandError";
  }
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
