/**
 * `kubexec config view | current-context | get-contexts`: kubectl's read-only kubeconfig views.
 * The logic lives in `lib/kubeconfig/view.ts`; this file maps flags to it and writes the result.
 *
 * @module
 */
import type { Command, CommandContext } from "../command.ts";
import { UsageError } from "../command.ts";
import { writeText } from "../io.ts";
import { KubeconfigError } from "../../kubeconfig/errors.ts";
import { loadStartingConfig } from "../../kubeconfig/load.ts";
import {
  contextsTable,
  currentContextName,
  renderJson,
  renderYaml,
  viewConfig,
} from "../../kubeconfig/view.ts";

function startingConfig(context: CommandContext) {
  return loadStartingConfig({
    kubeconfig: context.global.overrides.kubeconfig,
    env: context.io.env,
    verbose: (message) => context.global.logger(4, () => message),
  });
}

/**
 * Several problems reported together. kubectl prints one as `error: <problem>` and several as one
 * bare line each (its `checkErr` for aggregates); `userMessage` carries that second form.
 */
class ProblemsError extends KubeconfigError {
  readonly problems: string[];
  readonly userMessage?: string;

  constructor(problems: string[]) {
    super(problems.length === 1 ? problems[0] : `[${problems.join(", ")}]`);
    this.name = "ProblemsError";
    this.problems = problems;
    if (problems.length > 1) this.userMessage = problems.join("\n");
  }
}

const viewCommand: Command = {
  name: "view",
  short: "Display merged kubeconfig settings or a specified kubeconfig file",
  long: `Display merged kubeconfig settings or a specified kubeconfig file.

 You can use --output jsonpath={...} to extract specific values using a jsonpath expression.`,
  usage: "config view [flags] [options]",
  examples: `  # Show merged kubeconfig settings
  kubexec config view

  # Show merged kubeconfig settings, raw certificate data, and exposed secrets
  kubexec config view --raw

  # Show only the current context, as JSON
  kubexec config view --minify -o json`,
  flags: [
    {
      name: "output",
      short: "o",
      type: "string",
      default: "yaml",
      usage: "Output format. One of: (json, yaml).",
    },
    { name: "raw", type: "bool", usage: "Display raw byte data and sensitive data" },
    {
      name: "flatten",
      type: "bool",
      usage:
        "Flatten the resulting kubeconfig file into self-contained output (useful for creating portable kubeconfig files)",
    },
    {
      name: "minify",
      type: "bool",
      usage: "Remove all information not used by current-context from the output",
    },
  ],
  run: async (context) => {
    const { args, flags, io } = context;
    if (args.length > 0) throw new UsageError(`unexpected arguments: [${args.join(" ")}]`);
    const output = flags.string("output");
    if (output !== "yaml" && output !== "json") {
      throw new KubeconfigError(
        `unable to match a printer suitable for the output format "${output}", allowed formats are: json,yaml`,
      );
    }
    const view = await viewConfig(await startingConfig(context), {
      minify: flags.bool("minify"),
      flatten: flags.bool("flatten"),
      raw: flags.bool("raw"),
      context: context.global.overrides.context,
    });
    await writeText(io.stdout, output === "json" ? renderJson(view) : renderYaml(view));
    return 0;
  },
};

const currentContextCommand: Command = {
  name: "current-context",
  short: "Display the current-context",
  long: "Display the current-context.",
  usage: "config current-context [flags] [options]",
  examples: `  # Display the current-context
  kubexec config current-context`,
  run: async (context) => {
    const name = currentContextName(await startingConfig(context));
    await writeText(context.io.stdout, `${name}\n`);
    return 0;
  },
};

const getContextsCommand: Command = {
  name: "get-contexts",
  short: "Describe one or many contexts",
  long: "Display one or many contexts from the kubeconfig file.",
  usage: "config get-contexts [(-o|--output=)name)] [flags] [options]",
  examples: `  # List all the contexts in your kubeconfig file
  kubexec config get-contexts

  # Describe one context in your kubeconfig file
  kubexec config get-contexts my-context`,
  flags: [
    {
      name: "output",
      short: "o",
      type: "string",
      usage: "Output format. One of: (name).",
    },
    {
      name: "no-headers",
      type: "bool",
      usage: "When using the default or custom-column output format, don't print headers.",
    },
  ],
  run: async (context) => {
    const { args, flags, io } = context;
    const output = flags.string("output");
    if (output !== "" && output !== "name") {
      throw new KubeconfigError(
        `--output ${output} is not available in kubexec config get-contexts; resetting to default output format`,
      );
    }
    const table = contextsTable(await startingConfig(context), {
      names: args,
      nameOnly: output === "name",
      noHeaders: flags.bool("no-headers"),
    });
    await writeText(io.stdout, table.text);
    if (table.problems.length > 0) throw new ProblemsError(table.problems);
    return 0;
  },
};

/**
 * The `config` command group.
 *
 * @example
 * ```ts
 * import { configCommand } from "./config.ts";
 * configCommand.subcommands?.map((command) => command.name); // ["current-context", "get-contexts", "view"]
 * ```
 */
export const configCommand: Command = {
  name: "config",
  short: "Display kubeconfig settings",
  long: `Display kubeconfig files using subcommands like "kubexec config view".

 The loaded kubeconfig comes from, in order: the --kubeconfig flag, the KUBECONFIG environment
variable (a list of paths, merged), then \${HOME}/.kube/config.`,
  usage: "config SUBCOMMAND [options]",
  subcommands: [currentContextCommand, getContextsCommand, viewCommand],
};
