/**
 * Command-line flag parsing with the semantics of spf13/pflag as cobra uses it in kubectl: long
 * flags `--name=value` / `--name value`, shorthand groups (`-it`, `-nkube-system`, `-n=x`), boolean
 * flags that only take a value after `=`, flags interspersed with positional arguments, and `--`
 * ending flag parsing (its position is kept, as cobra's `ArgsLenAtDash`). Error messages are
 * pflag's, word for word, because kubectl users know them.
 *
 * @module
 */
import { DurationError, formatGoDuration, parseGoDuration } from "../duration.ts";

/** The value kinds a flag can hold. */
export type FlagType = "bool" | "string" | "int" | "duration" | "stringArray" | "stringSlice";

/** Parsed value of a flag. Durations are milliseconds. */
export type FlagValue = boolean | string | number | string[];

/** Declares one flag. */
export interface FlagSpec {
  /** Long name without dashes, e.g. `container`. */
  name: string;
  /** One-letter shorthand, e.g. `c`. */
  short?: string;
  type: FlagType;
  /** Default value; when omitted: `false`, `""`, `0` or `[]`. */
  default?: FlagValue;
  /** Help text. */
  usage: string;
  /** Hidden flags parse but are not listed in help. */
  hidden?: boolean;
}

/** The result of {@linkcode parseFlags}. */
export interface ParsedFlags {
  /** Every declared flag's value (defaults included). */
  values: Map<string, FlagValue>;
  /** Names of the flags given on the command line. */
  changed: Set<string>;
  /** Positional arguments, in order (those after `--` included). */
  args: string[];
  /** How many positional arguments came before `--`; -1 when there was no `--`. */
  argsLenAtDash: number;
}

/** A flag parsing error; the message is pflag's. */
export class FlagError extends Error {
  /**
   * @param message pflag's message, e.g. `unknown flag: --foo`.
   */
  constructor(message: string) {
    super(message);
    this.name = "FlagError";
  }
}

function defaultOf(spec: FlagSpec): FlagValue {
  if (spec.default !== undefined) {
    return Array.isArray(spec.default) ? [...spec.default] : spec.default;
  }
  switch (spec.type) {
    case "bool":
      return false;
    case "string":
      return "";
    case "int":
    case "duration":
      return 0;
    default:
      return [];
  }
}

/** The `-c, --container` label pflag uses in messages. */
function flagLabel(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
}

function parseBool(text: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  return undefined;
}

function convert(spec: FlagSpec, text: string, previous: FlagValue, changed: boolean): FlagValue {
  const invalid = (reason: string) =>
    new FlagError(`invalid argument "${text}" for "${flagLabel(spec)}" flag: ${reason}`);
  switch (spec.type) {
    case "bool": {
      const value = parseBool(text);
      if (value === undefined) {
        throw invalid(`strconv.ParseBool: parsing "${text}": invalid syntax`);
      }
      return value;
    }
    case "string":
      return text;
    case "int": {
      if (!/^[+-]?\d+$/.test(text)) {
        throw invalid(`strconv.ParseInt: parsing "${text}": invalid syntax`);
      }
      return Number(text);
    }
    case "duration":
      try {
        return parseGoDuration(text);
      } catch (error) {
        if (error instanceof DurationError) throw invalid(error.message);
        throw error;
      }
    case "stringArray":
      return changed ? [...(previous as string[]), text] : [text];
    case "stringSlice": {
      const items = text === "" ? [] : text.split(",");
      return changed ? [...(previous as string[]), ...items] : items;
    }
  }
}

/**
 * Parses `argv` against `specs` with pflag semantics. Flags may appear anywhere before `--`.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./flags.ts";
 * const parsed = parseFlags(["-it", "web", "--", "sh"], [
 *   { name: "stdin", short: "i", type: "bool", usage: "" },
 *   { name: "tty", short: "t", type: "bool", usage: "" },
 * ]);
 * parsed.values.get("stdin"); // true
 * parsed.args; // ["web", "sh"]
 * parsed.argsLenAtDash; // 1
 * ```
 */
export function parseFlags(argv: string[], specs: FlagSpec[]): ParsedFlags {
  const byName = new Map<string, FlagSpec>();
  const byShort = new Map<string, FlagSpec>();
  const values = new Map<string, FlagValue>();
  for (const spec of specs) {
    byName.set(spec.name, spec);
    if (spec.short) byShort.set(spec.short, spec);
    values.set(spec.name, defaultOf(spec));
  }
  const changed = new Set<string>();
  const args: string[] = [];
  let argsLenAtDash = -1;

  const set = (spec: FlagSpec, text: string) => {
    values.set(spec.name, convert(spec, text, values.get(spec.name)!, changed.has(spec.name)));
    changed.add(spec.name);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      argsLenAtDash = args.length;
      args.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const body = arg.slice(2);
      const eq = body.indexOf("=");
      const name = eq >= 0 ? body.slice(0, eq) : body;
      if (name === "" || name.startsWith("-") || name.startsWith("=")) {
        throw new FlagError(`bad flag syntax: ${arg}`);
      }
      const spec = byName.get(name);
      if (!spec) throw new FlagError(`unknown flag: --${name}`);
      if (eq >= 0) {
        set(spec, body.slice(eq + 1));
      } else if (spec.type === "bool") {
        set(spec, "true");
      } else if (i + 1 < argv.length) {
        set(spec, argv[++i]);
      } else {
        throw new FlagError(`flag needs an argument: --${name}`);
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      // pflag's parseSingleShortArg: `=` separates a value only when one follows it (`-n=`
      // is the value "="), and messages name the letters left (`'x' in -x` for `-ix`).
      let shorthands = arg.slice(1);
      while (shorthands.length > 0) {
        const letter = shorthands[0];
        const spec = byShort.get(letter);
        if (!spec) throw new FlagError(`unknown shorthand flag: '${letter}' in -${shorthands}`);
        if (shorthands.length > 2 && shorthands[1] === "=") {
          set(spec, shorthands.slice(2));
          break;
        }
        if (spec.type === "bool") {
          set(spec, "true");
          shorthands = shorthands.slice(1);
          continue;
        }
        if (shorthands.length > 1) {
          set(spec, shorthands.slice(1));
        } else if (i + 1 < argv.length) {
          set(spec, argv[++i]);
        } else {
          throw new FlagError(`flag needs an argument: '${letter}' in -${shorthands}`);
        }
        break;
      }
      continue;
    }
    args.push(arg);
  }
  return { values, changed, args, argsLenAtDash };
}

function defaultText(spec: FlagSpec): string {
  const value = defaultOf(spec);
  switch (spec.type) {
    case "string":
      return `'${value}'`;
    case "duration":
      return formatGoDuration(value as number);
    case "stringArray":
    case "stringSlice":
      return `[${(value as string[]).join(",")}]`;
    default:
      return String(value);
  }
}

/**
 * Renders flags the way kubectl's help does (`    -c, --container='':` then the usage, tab-indented),
 * sorted by long name.
 *
 * @example
 * ```ts
 * import { formatFlagHelp } from "./flags.ts";
 * formatFlagHelp([{ name: "quiet", short: "q", type: "bool", usage: "Only print output" }]);
 * // "    -q, --quiet=false:\n\tOnly print output\n"
 * ```
 */
export function formatFlagHelp(specs: FlagSpec[]): string {
  return [...specs]
    .filter((spec) => !spec.hidden)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((spec) => {
      const names = spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
      return `    ${names}=${defaultText(spec)}:\n\t${spec.usage}\n`;
    })
    .join("\n");
}
