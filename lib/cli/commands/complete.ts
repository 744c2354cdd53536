/**
 * The hidden `__complete` command the shell completion scripts call (cobra's protocol):
 * `kubexec __complete -- WORD… CURRENT` prints one candidate per line (`value` or
 * `value<TAB>description`), then `:DIRECTIVE`, where the directive is a bit set —
 * 1 error, 2 no space after the word, 4 no file completion — and 0 lets the shell complete files.
 *
 * Candidates: subcommand names, flag names, `--context`/`--cluster`/`--user` from the kubeconfig,
 * `-n` namespaces and pod names (and `-c` containers of the named pod) listed from the cluster.
 * Completion must never disturb the terminal: every failure (no kubeconfig, unreachable server,
 * 403) yields no candidates, nothing is written to stderr, exec plugins may not prompt, and a
 * request gives up after 5 s unless `--request-timeout` says otherwise.
 *
 * @module
 */
import type { Command } from "../command.ts";
import { FlagValues, loadCommandTree } from "../command.ts";
import { type FlagSpec, parseFlags } from "../flags.ts";
import { GLOBAL_FLAGS, type GlobalOptions, overridesFromFlags } from "../global_flags.ts";
import { type Io, writeText } from "../io.ts";
import { connectCluster } from "../connect.ts";
import type { ConfigOverrides } from "../../kubeconfig/overrides.ts";
import { loadKubeconfig } from "../../kubeconfig/load.ts";
import { getPod, listPods, pathSegment } from "../../kube/pods.ts";
import { parseTarget } from "../../kube/target.ts";
import { statusErrorFromResponse } from "../../kube/status.ts";
import { silentLogger } from "../../log.ts";
import type { ApiClient } from "../../transport/types.ts";

/** Cobra's completion directives (bits). */
export const Directive = {
  /** Let the shell complete file names when there are no candidates. */
  default: 0,
  /** Completion failed. */
  error: 1,
  /** Do not add a space after the completed word. */
  noSpace: 2,
  /** Never fall back to file names. */
  noFileComp: 4,
} as const;

/** One completion candidate. */
export interface Candidate {
  /** The word to insert. */
  value: string;
  /** Shown next to it by zsh, fish and PowerShell. */
  description?: string;
}

/** The result of {@linkcode completeWords}. */
export interface Completion {
  /** Candidates starting with the word being completed. */
  candidates: Candidate[];
  /** A {@linkcode Directive} bit set. */
  directive: number;
}

/** Where dynamic candidates come from; the default reads the kubeconfig and asks the cluster. */
export interface CompletionSources {
  /** Context names of the merged kubeconfig. */
  contexts(): Promise<string[]>;
  /** Cluster names of the merged kubeconfig. */
  clusters(): Promise<string[]>;
  /** User names of the merged kubeconfig. */
  users(): Promise<string[]>;
  /** Namespaces the cluster lists. */
  namespaces(): Promise<string[]>;
  /** Pods of the namespace in effect (`-n`, the context's, or `default`). */
  pods(): Promise<Candidate[]>;
  /** Containers of `pod` in that namespace. */
  containers(pod: string): Promise<string[]>;
  /** Names of the objects of a plural resource (`deployments`) in that namespace. */
  resourceNames(resource: string): Promise<string[]>;
}

/** Request timeout for completion when `--request-timeout` is not given. */
export const COMPLETION_REQUEST_TIMEOUT = "5s";

/** Shells `kubexec completion` writes scripts for. */
export const COMPLETION_SHELLS = ["bash", "zsh", "fish", "powershell"] as const;

/** The resource types offered as `TYPE/` before a name, as kubectl offers them. */
export const RESOURCES_WITH_PODS = [
  "daemonsets",
  "deployments",
  "pods",
  "jobs",
  "replicasets",
  "replicationcontrollers",
  "services",
  "statefulsets",
] as const;

/** Where each resource type's objects are listed (the API groups `kube/target.ts` reads). */
const RESOURCE_API_PREFIXES: Record<string, string> = {
  pods: "/api/v1",
  services: "/api/v1",
  replicationcontrollers: "/api/v1",
  deployments: "/apis/apps/v1",
  statefulsets: "/apis/apps/v1",
  daemonsets: "/apis/apps/v1",
  replicasets: "/apis/apps/v1",
  jobs: "/apis/batch/v1",
};

/** Commands whose first argument is a pod (or TYPE/NAME). */
const POD_COMMANDS = new Set(["exec", "attach", "doctor", "port-forward"]);
/** Commands whose arguments are (also) local paths. */
const FILE_COMMANDS = new Set(["cp"]);
/** Flags whose values are local files. */
const FILE_FLAGS = new Set([
  "kubeconfig",
  "certificate-authority",
  "client-certificate",
  "client-key",
  "filename",
]);

function firstSentence(text: string): string {
  const line = text.split("\n")[0];
  const end = line.search(/\.(\s|$)/);
  return end > 0 ? line.slice(0, end) : line;
}

interface Walk {
  path: Command[];
  positionals: string[];
  afterDash: boolean;
  pending?: FlagSpec;
  /** `[flag, value]` for every flag given with a value, in order. */
  values: [FlagSpec, string][];
}

const HELP_FLAG: FlagSpec = {
  name: "help",
  short: "h",
  type: "bool",
  usage: "Help for the command",
};

function flagsOf(command: Command): FlagSpec[] {
  return [...(command.flags ?? []), ...GLOBAL_FLAGS, HELP_FLAG];
}

function walkWords(root: Command, words: string[]): Walk {
  const walk: Walk = { path: [root], positionals: [], afterDash: false, values: [] };
  for (const word of words) {
    const specs = flagsOf(walk.path[walk.path.length - 1]);
    if (walk.afterDash) {
      walk.positionals.push(word);
    } else if (walk.pending) {
      walk.values.push([walk.pending, word]);
      walk.pending = undefined;
    } else if (word === "--") {
      walk.afterDash = true;
    } else if (word.startsWith("--")) {
      const [name, ...value] = word.slice(2).split("=");
      const spec = specs.find((flag) => flag.name === name);
      if (!spec) continue;
      if (value.length > 0) walk.values.push([spec, value.join("=")]);
      else if (spec.type !== "bool") walk.pending = spec;
    } else if (word.startsWith("-") && word.length > 1) {
      for (let i = 1; i < word.length; i++) {
        const spec = specs.find((flag) => flag.short === word[i]);
        if (!spec) break;
        if (spec.type === "bool") continue;
        const rest = word.slice(i + 1).replace(/^=/, "");
        if (rest) walk.values.push([spec, rest]);
        else walk.pending = spec;
        break;
      }
    } else {
      const current = walk.path[walk.path.length - 1];
      const sub = walk.positionals.length === 0
        ? current.subcommands?.find((command) => command.name === word)
        : undefined;
      if (sub) walk.path.push(sub);
      else walk.positionals.push(word);
    }
  }
  return walk;
}

/**
 * The kubeconfig overrides the words carry (`--kubeconfig`, `--context`, `-n`, …), with a
 * request timeout for completion when none was given.
 *
 * @example
 * ```ts ignore
 * import { overridesOfWords } from "./complete.ts";
 * overridesOfWords(rootCommand, ["exec", "-n", "shop", ""]).namespace; // "shop"
 * ```
 */
export function overridesOfWords(root: Command, words: string[]): ConfigOverrides {
  const argv: string[] = [];
  for (const [spec, value] of walkWords(root, words).values) {
    if (GLOBAL_FLAGS.includes(spec)) argv.push(`--${spec.name}=${value}`);
  }
  let overrides: ConfigOverrides;
  try {
    overrides = overridesFromFlags(new FlagValues(parseFlags(argv, GLOBAL_FLAGS)));
  } catch {
    overrides = {};
  }
  overrides.requestTimeout ??= COMPLETION_REQUEST_TIMEOUT;
  return overrides;
}

function matching(values: string[], prefix: string, valuePrefix = ""): Candidate[] {
  return values.filter((value) => value.startsWith(prefix)).map((value) => ({
    value: valuePrefix + value,
  }));
}

async function flagValues(
  spec: FlagSpec,
  typed: string,
  valuePrefix: string,
  walk: Walk,
  sources: () => CompletionSources,
): Promise<Completion> {
  if (FILE_FLAGS.has(spec.name)) return { candidates: [], directive: Directive.default };
  const none = { candidates: [], directive: Directive.noFileComp };
  const from = async (list: () => Promise<string[]>): Promise<Completion> => {
    try {
      return {
        candidates: matching(await list(), typed, valuePrefix),
        directive: Directive.noFileComp,
      };
    } catch {
      return none;
    }
  };
  switch (spec.name) {
    case "context":
      return await from(() => sources().contexts());
    case "cluster":
      return await from(() => sources().clusters());
    case "user":
      return await from(() => sources().users());
    case "namespace":
      return await from(() => sources().namespaces());
    case "container": {
      const command = walk.path[walk.path.length - 1].name;
      const pod = walk.positionals[0];
      if (!POD_COMMANDS.has(command) || !pod) return none;
      return await from(() => sources().containers(pod));
    }
    case "transport":
      return { candidates: matching(["raw", "native"], typed, valuePrefix), directive: 4 };
    default:
      return none;
  }
}

/**
 * Completes a pod or TYPE/NAME argument as kubectl does: pod names and the `TYPE/` forms matching
 * the word (no space after a lone `TYPE/`), or, after a slash, the names of that type's objects.
 */
async function completeTarget(
  typed: string,
  sources: () => CompletionSources,
): Promise<Completion> {
  const slash = typed.indexOf("/");
  if (slash >= 0) {
    const type = typed.slice(0, slash);
    let resource: string;
    try {
      resource = parseTarget(`${type}/name`).resource;
    } catch {
      return { candidates: [], directive: Directive.noFileComp };
    }
    try {
      const names = await sources().resourceNames(resource);
      return {
        candidates: matching(names, typed.slice(slash + 1), `${type}/`),
        directive: Directive.noFileComp,
      };
    } catch {
      return { candidates: [], directive: Directive.noFileComp };
    }
  }
  let pods: Candidate[] = [];
  try {
    pods = (await sources().pods()).filter((pod) => pod.value.startsWith(typed));
  } catch {
    pods = [];
  }
  const types = matching([...RESOURCES_WITH_PODS], typed).map((candidate) => ({
    value: `${candidate.value}/`,
  }));
  return {
    candidates: [...pods, ...types],
    directive: pods.length === 0 ? Directive.noFileComp | Directive.noSpace : Directive.noFileComp,
  };
}

/**
 * Completes the last of `words` (the words after the program name, the last one being completed,
 * possibly empty).
 *
 * @example
 * ```ts ignore
 * import { completeWords } from "./complete.ts";
 * const { candidates } = await completeWords(rootCommand, ["ex"], () => sources);
 * candidates.map((c) => c.value); // ["exec"]
 * ```
 */
export async function completeWords(
  root: Command,
  words: string[],
  sources: () => CompletionSources,
): Promise<Completion> {
  const typed = words.length > 0 ? words[words.length - 1] : "";
  const walk = walkWords(root, words.slice(0, -1));
  const command = walk.path[walk.path.length - 1];
  if (walk.afterDash) return { candidates: [], directive: Directive.default };
  if (walk.pending) return await flagValues(walk.pending, typed, "", walk, sources);
  if (typed.startsWith("--") && typed.includes("=")) {
    const name = typed.slice(2, typed.indexOf("="));
    const spec = flagsOf(command).find((flag) => flag.name === name);
    if (!spec) return { candidates: [], directive: Directive.noFileComp };
    return await flagValues(spec, typed.slice(typed.indexOf("=") + 1), `--${name}=`, walk, sources);
  }
  if (typed.startsWith("-")) {
    const candidates: Candidate[] = [];
    for (const spec of flagsOf(command).filter((flag) => !flag.hidden)) {
      const description = firstSentence(spec.usage);
      if (`--${spec.name}`.startsWith(typed)) {
        candidates.push({ value: `--${spec.name}`, description });
      }
      if (spec.short && typed === "-") candidates.push({ value: `-${spec.short}`, description });
    }
    return { candidates, directive: Directive.noFileComp };
  }
  const subcommands = (command.subcommands ?? []).filter((sub) => !sub.hidden);
  if (subcommands.length > 0 && walk.positionals.length === 0) {
    return {
      candidates: subcommands.filter((sub) => sub.name.startsWith(typed)).map((sub) => ({
        value: sub.name,
        description: sub.short,
      })),
      directive: Directive.noFileComp,
    };
  }
  if (command.name === "completion" && walk.positionals.length === 0) {
    return { candidates: matching([...COMPLETION_SHELLS], typed), directive: 4 };
  }
  if (POD_COMMANDS.has(command.name) && walk.positionals.length === 0) {
    return await completeTarget(typed, sources);
  }
  return {
    candidates: [],
    directive: FILE_COMMANDS.has(command.name) ? Directive.default : Directive.noFileComp,
  };
}

/** The sorted names of the objects a LIST request returns. */
async function listNames(client: ApiClient, path: string): Promise<string[]> {
  const response = await client.request({ path, headers: [["Accept", "application/json"]] });
  if (response.status !== 200) throw statusErrorFromResponse(response, path);
  const list = JSON.parse(new TextDecoder().decode(response.body)) as {
    items?: { metadata?: { name?: string } }[];
  };
  return (list.items ?? []).map((item) => item.metadata?.name ?? "").filter(Boolean).sort();
}

/**
 * The kubeconfig- and cluster-backed sources for the overrides in the words. Nothing reaches the
 * terminal: kubeconfig warnings and plugin output are discarded and plugins cannot prompt.
 *
 * @example
 * ```ts ignore
 * import { clusterSources } from "./complete.ts";
 * const pods = await clusterSources({ namespace: "shop" }, io).pods();
 * ```
 */
export function clusterSources(
  overrides: ConfigOverrides,
  io: Io,
  transport?: GlobalOptions["transport"],
): CompletionSources {
  const quietIo: Io = {
    ...io,
    stderr: new WritableStream(),
    stdinIsTerminal: false,
    log: () => {},
  };
  const global: GlobalOptions = {
    overrides,
    verbosity: 0,
    logger: silentLogger,
    color: false,
    transport,
  };
  const loaded = () => loadKubeconfig({ kubeconfig: overrides.kubeconfig, env: io.env });
  const sorted = (names: Iterable<string>) => [...names].sort();
  const cluster = () => connectCluster(global, quietIo, { stdinInUse: true });
  return {
    contexts: async () => sorted((await loaded()).contexts.keys()),
    clusters: async () => sorted((await loaded()).clusters.keys()),
    users: async () => sorted((await loaded()).users.keys()),
    async namespaces() {
      const { client } = await cluster();
      return await listNames(client, "/api/v1/namespaces");
    },
    async pods() {
      const { config, client } = await cluster();
      const pods = await listPods(client, config.namespace, "");
      return pods.map((pod) => ({
        value: pod.metadata.name,
        ...(pod.status?.phase ? { description: pod.status.phase } : {}),
      }));
    },
    async resourceNames(resource) {
      const prefix = RESOURCE_API_PREFIXES[resource];
      if (!prefix) return [];
      const { config, client } = await cluster();
      return await listNames(
        client,
        `${prefix}/namespaces/${pathSegment(config.namespace)}/${resource}`,
      );
    },
    async containers(name) {
      const { config, client } = await cluster();
      const pod = await getPod(client, config.namespace, name);
      return (pod.spec?.containers ?? []).map((container) => container.name);
    },
  };
}

/**
 * Renders a completion in cobra's wire format.
 *
 * @example
 * ```ts
 * import { formatCompletion } from "./complete.ts";
 * formatCompletion({ candidates: [{ value: "web-0", description: "Running" }], directive: 4 });
 * // "web-0\tRunning\n:4\n"
 * ```
 */
export function formatCompletion(completion: Completion): string {
  const lines = completion.candidates.map((candidate) =>
    candidate.description
      ? `${candidate.value}\t${candidate.description.replace(/\s+/g, " ")}`
      : candidate.value
  );
  return [...lines, `:${completion.directive}`].join("\n") + "\n";
}

/**
 * Builds the hidden `__complete` command for the tree under `root` (a function, so the root can
 * list the command it creates).
 *
 * @example
 * ```ts ignore
 * import { completeCommand } from "./complete.ts";
 * const root = { name: "kubexec", ..., subcommands: [] as Command[] };
 * root.subcommands.push(completeCommand(() => root));
 * ```
 */
export function completeCommand(root: () => Command): Command {
  return {
    name: "__complete",
    hidden: true,
    short: "Complete a command line (called by the completion scripts)",
    long: "Print completion candidates for the words after --, the last being completed.",
    usage: "__complete -- [WORD...] CURRENT",
    run: async ({ args, io, global }) => {
      const words = args.length > 0 ? args : [""];
      const tree = await loadCommandTree(root());
      let sources: CompletionSources | undefined;
      const completion = await completeWords(
        tree,
        words,
        () => sources ??= clusterSources(overridesOfWords(tree, words), io, global.transport),
      );
      await writeText(io.stdout, formatCompletion(completion));
      return 0;
    },
  };
}
