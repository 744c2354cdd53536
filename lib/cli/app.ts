/**
 * The command tree and the dispatcher: finds the command in `argv` (global flags may come before
 * it, as with kubectl), parses flags with pflag semantics, prints kubectl-style help, and turns
 * errors into messages and exit codes.
 *
 * @module
 */
import { formatFlagHelp, parseFlags } from "./flags.ts";
import type { FlagSpec } from "./flags.ts";
import { type Command, FlagValues, resolveCommand } from "./command.ts";
import {
  GLOBAL_FLAGS,
  type GlobalOptions,
  overridesFromFlags,
  transportFromFlags,
} from "./global_flags.ts";
import { type Io, writeText } from "./io.ts";
import { renderError } from "./errors.ts";
import { warmUpTls } from "../transport/tls_warmup.ts";
import { closeIdleConnections } from "../transport/idle_connections.ts";
import { createLogger } from "./logging.ts";

const ROOT_NAME = "kubexec";

/**
 * Whether the command search takes the argument after `arg` as its value, by cobra's rule
 * (`stripFlags`): a flag without `=` takes one unless it is a known boolean. An unknown flag is
 * assumed to take one, and `-h`/`--help` are unknown at this point (cobra adds them to the command
 * it found): `kubectl -h exec` prints the root's help, `kubectl config -o json view` runs `view`.
 */
function takesValue(arg: string, known: readonly FlagSpec[]): boolean {
  if (arg.includes("=")) return false;
  if (arg.startsWith("--")) {
    return known.find((flag) => flag.name === arg.slice(2))?.type !== "bool";
  }
  return arg.length === 2 && known.find((flag) => flag.short === arg.slice(1))?.type !== "bool";
}

/** Finds the command path (`config view`) in argv and returns it with the remaining argv. */
async function locate(
  root: Command,
  argv: string[],
): Promise<{ path: Command[]; rest: string[] }> {
  const path: Command[] = [await resolveCommand(root)];
  const rest: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") break;
    const current = path[path.length - 1];
    if (arg.startsWith("-")) {
      if (takesValue(arg, [...(current.flags ?? []), ...GLOBAL_FLAGS])) {
        // cobra stops searching when such a flag has at most one argument after it.
        if (i + 2 >= argv.length) break;
        rest.push(arg, argv[++i]);
      } else rest.push(arg);
      continue;
    }
    const next = current.subcommands?.find((command) => command.name === arg);
    if (!next) break;
    if (next.connects) warmUpTls();
    path.push(await resolveCommand(next));
  }
  rest.push(...argv.slice(i));
  return { path, rest };
}

function commandPath(path: Command[]): string {
  return [ROOT_NAME, ...path.slice(1).map((command) => command.name)].join(" ");
}

/**
 * kubectl-style help for a command.
 *
 * @example
 * ```ts
 * import { helpText } from "./app.ts";
 * // helpText(rootCommand, [rootCommand, execCommand])
 * ```
 */
export function helpText(path: Command[]): string {
  const command = path[path.length - 1];
  let text = `${command.long}\n`;
  const listed = command.subcommands?.filter((sub) => !sub.hidden) ?? [];
  if (listed.length > 0) {
    const width = Math.max(...listed.map((sub) => sub.name.length)) + 2;
    text += `\nAvailable Commands:\n`;
    for (const sub of listed) {
      text += `  ${sub.name.padEnd(width)}${sub.short}\n`;
    }
  }
  // kubectl indents every example line, the blank ones between examples too.
  if (command.examples) {
    text += `\nExamples:\n${command.examples.replace(/^$/gm, "  ")}\n`;
  }
  const flags: FlagSpec[] = command.flags ?? [];
  if (flags.some((flag) => !flag.hidden)) text += `\nOptions:\n${formatFlagHelp(flags)}`;
  text += `\nUsage:\n  ${ROOT_NAME} ${command.usage}\n\n`;
  const where = path.length === 1 ? "" : ` ${path.slice(1).map((c) => c.name).join(" ")}`;
  if (command.subcommands?.length) {
    text +=
      `Use "${ROOT_NAME}${where} <command> --help" for more information about a given command.\n`;
  }
  text +=
    `Use "${ROOT_NAME} options" for a list of global command-line options (applies to all commands).\n`;
  return text;
}

/** The `options` command: lists the global flags. */
export const optionsCommand: Command = {
  name: "options",
  short: "Print the list of flags inherited by all commands",
  long: "Print the list of flags inherited by all commands",
  usage: "options [flags]",
  flagErrorHelp: `Run '${ROOT_NAME} options' without flags.`,
  run: async ({ io }) => {
    await writeText(
      io.stdout,
      `The following options can be passed to any command:\n\n${formatFlagHelp(GLOBAL_FLAGS)}`,
    );
    return 0;
  },
};

/**
 * cobra's words for a command that does not exist: at the root with "Did you mean this?" and the
 * commands within two edits of the name or starting with it; in a group (`config`), kubectl's
 * usage error.
 */
function unknownCommandText(group: Command, name: string, fullPath: string, root: boolean): string {
  if (!root) {
    return `error: unknown command "${name}"\nSee '${fullPath} -h' for help and examples\n`;
  }
  const typed = name.toLowerCase();
  const suggestions = (group.subcommands ?? [])
    .map((command) => command.name)
    .filter((candidate) =>
      editDistance(typed, candidate.toLowerCase()) <= 2 ||
      candidate.toLowerCase().startsWith(typed)
    );
  const first = `Error: unknown command "${name}" for "${fullPath}"\n`;
  return suggestions.length === 0
    ? first
    : `${first}\nDid you mean this?\n${suggestions.map((s) => `\t${s}\n`).join("")}\n`;
}

/** Levenshtein distance, as cobra's suggestions measure it. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * Runs the CLI for `argv` and resolves to the exit code. Never exits the process.
 *
 * A `--` in front of everything is dropped: `deno task kubexec -- exec …` passes it on, and in
 * that place it means nothing else (kubectl prints its help there).
 *
 * @example
 * ```ts
 * import { runCli } from "./app.ts";
 * // const code = await runCli(rootCommand, ["version"], processIo());
 * ```
 */
export async function runCli(root: Command, argv: string[], io: Io): Promise<number> {
  if (argv[0] === "--") argv = argv.slice(1);
  const { path, rest } = await locate(root, argv);
  const command = path[path.length - 1];
  const fullPath = commandPath(path);
  const help: FlagSpec = {
    name: "help",
    short: "h",
    type: "bool",
    usage: `help for ${command.name}`,
  };
  let verbosity = 0;
  try {
    const parsed = parseFlags(rest, [...(command.flags ?? []), ...GLOBAL_FLAGS, help]);
    const flags = new FlagValues(parsed);
    verbosity = flags.int("v");
    if (flags.bool("help")) {
      await writeText(io.stdout, helpText(path));
      return 0;
    }
    if (!command.run) {
      const root = path.length === 1;
      if (parsed.args.length > 0 && command.subcommands?.length) {
        await writeText(io.stderr, unknownCommandText(command, parsed.args[0], fullPath, root));
        return 1;
      }
      // kubectl: the root's help on stdout; a command group's on stderr, as a usage error.
      await writeText(root ? io.stdout : io.stderr, helpText(path));
      return root ? 0 : 1;
    }
    const color = !flags.bool("no-color") && io.env("NO_COLOR") === undefined &&
      io.stdoutIsTerminal;
    const global: GlobalOptions = {
      overrides: overridesFromFlags(flags),
      verbosity,
      color,
      logger: createLogger(verbosity, io.log),
      transport: transportFromFlags(flags),
      strictCaTrust: flags.bool("strict-ca-trust"),
    };
    return await command.run({
      args: parsed.args,
      argsLenAtDash: parsed.argsLenAtDash,
      flags,
      global,
      io,
      commandPath: fullPath,
      argv,
    });
  } catch (error) {
    const rendered = renderError(error, {
      commandPath: fullPath,
      verbosity,
      flagErrorHelp: command.flagErrorHelp,
    });
    await writeText(io.stderr, rendered.text);
    return rendered.exitCode;
  } finally {
    closeIdleConnections();
  }
}
