/**
 * `kubexec exec`: run a command in a container, as `kubectl exec` does, over WebSocket.
 *
 * Options are completed, validated, then run (kubectl's pattern): arguments → target and command,
 * kubeconfig → client, target → pod → container, then the session.
 *
 * @module
 */
import type { Command, CommandContext } from "../command.ts";
import { CommandError, UsageError } from "../command.ts";
import { writeText } from "../io.ts";
import { connectCluster } from "../connect.ts";
import {
  decideTty,
  finishSession,
  goQuery,
  POD_SESSION_FLAG_SPECS,
  runTerminalSession,
  SESSION_FLAG_SPECS,
  type SessionFlags,
} from "../session.ts";
import { RECORDING_FLAG_SPECS, withRecording } from "../recording.ts";
import { resolvePod } from "../../kube/target.ts";
import { chooseContainer } from "../../kube/containers.ts";
import { pathSegment, type Pod } from "../../kube/pods.ts";
import type { ManifestObject } from "../manifest.ts";

/** Shells tried, in order, for `exec -it POD` without a command (as k9s does). */
export const DEFAULT_SHELL_COMMAND = [
  "/bin/sh",
  "-c",
  "command -v bash >/dev/null 2>&1 && exec bash || exec sh",
];

/** The completed options of one exec. */
export interface ExecOptions extends SessionFlags {
  target: string;
  /** `-f`: manifests naming the target instead of `target`. */
  filenames: string[];
  command: string[];
  container: string;
  podRunningTimeoutMs: number;
  /** `-l`: run in every matching pod (fan-out) instead of one. */
  selector: string;
  allContainers: boolean;
  maxParallel: number;
  stdinBroadcast: boolean;
}

/**
 * Completes and validates exec's options from the command line, with kubectl's messages.
 *
 * @example
 * ```ts
 * import { completeExecOptions } from "./exec.ts";
 * // await completeExecOptions(context) → { target: "web-0", command: ["date"], … }
 * ```
 */
export async function completeExecOptions(context: CommandContext): Promise<ExecOptions> {
  const { args, argsLenAtDash, flags } = context;
  let target = "";
  if (args.length > 0 && argsLenAtDash !== 0) target = args[0];
  let command: string[] = [];
  if (argsLenAtDash > -1) {
    command = args.slice(argsLenAtDash);
  } else if (args.length > 1) {
    throw new UsageError(
      "exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead",
    );
  }
  const options: ExecOptions = {
    target,
    filenames: flags.strings("filename"),
    command,
    container: flags.string("container"),
    stdin: flags.bool("stdin"),
    tty: flags.bool("tty"),
    quiet: flags.bool("quiet"),
    podRunningTimeoutMs: flags.duration("pod-running-timeout"),
    protocol: flags.string("protocol"),
    keepaliveMs: flags.duration("keepalive"),
    deadPeerMs: flags.duration("keepalive-timeout"),
    idleTimeoutMs: flags.duration("idle-timeout"),
    maxSessionMs: flags.duration("max-session"),
    selector: flags.string("selector"),
    allContainers: flags.bool("all-containers"),
    maxParallel: flags.int("max-parallel"),
    stdinBroadcast: flags.bool("stdin-broadcast"),
  };
  if (options.selector !== "") {
    if (options.filenames.length > 0) {
      throw new UsageError("--filename and --selector name the pods two ways; use one");
    }
    if (options.stdinBroadcast) options.stdin = true;
    // Fan-out is loaded only for a selector: each module a run loads costs every exec start-up
    // time and memory (docs/performance.md).
    const { validateFanOut } = await import("../fanout.ts");
    validateFanOut(options);
    if (options.command.length === 0) {
      throw new CommandError("you must specify at least one command for the container");
    }
    return options;
  }
  if (options.allContainers || options.stdinBroadcast || flags.changed("max-parallel")) {
    throw new UsageError(
      "--all-containers, --max-parallel and --stdin-broadcast only apply with --selector",
    );
  }
  if (options.target === "" && options.filenames.length === 0) {
    throw new CommandError("pod, type/name or --filename must be specified");
  }
  if (options.target !== "" && options.filenames.length > 0) {
    throw new CommandError("resource/name arguments cannot be provided when a path is specified");
  }
  if (options.command.length === 0) {
    if (!(options.stdin && options.tty)) {
      throw new CommandError("you must specify at least one command for the container");
    }
    options.command = DEFAULT_SHELL_COMMAND;
  }
  if (options.podRunningTimeoutMs <= 0) {
    throw new UsageError("--pod-running-timeout must be higher than zero");
  }
  return options;
}

/**
 * Builds the exec subresource path with kubectl's query (sorted keys, false booleans omitted).
 *
 * @example
 * ```ts
 * import { execPath } from "./exec.ts";
 * execPath("default", "web", { command: ["date"], container: "app", stdin: false, tty: false });
 * // "/api/v1/namespaces/default/pods/web/exec?command=date&container=app&stderr=true&stdout=true"
 * ```
 */
export function execPath(
  namespace: string,
  pod: string,
  options: { command: string[]; container: string; stdin: boolean; tty: boolean },
): string {
  const params: [string, string][] = options.command.map((arg) => ["command", arg]);
  params.push(["container", options.container]);
  if (options.stdin) params.push(["stdin", "true"]);
  params.push(["stdout", "true"]);
  if (!options.tty) params.push(["stderr", "true"]);
  if (options.tty) params.push(["tty", "true"]);
  return `/api/v1/namespaces/${pathSegment(namespace)}/pods/${pathSegment(pod)}/exec?${
    goQuery(params)
  }`;
}

async function runExec(context: CommandContext): Promise<number> {
  const { global } = context;
  const options = await completeExecOptions(context);
  if (options.selector !== "") {
    const { runFanOut } = await import("../fanout.ts");
    return await withRecording(context, {
      verb: "exec",
      tty: false,
      stdin: options.stdin,
      command: options.command,
      targetLabel: `-l ${options.selector}`,
    }, async (recording) => {
      const io = recording.io;
      const { config, client } = await connectCluster(global, io, { stdinInUse: options.stdin });
      recording.noteCluster(config);
      return await runFanOut(options, {
        client,
        namespace: config.namespace,
        io,
        global,
        recording,
        execPath: (pod, container) =>
          execPath(config.namespace, pod, {
            command: options.command,
            container,
            stdin: options.stdin,
            tty: false,
          }),
      });
    });
  }
  const { tty, warning } = decideTty(options, context.io.stdinIsTerminal);
  return await withRecording(context, {
    verb: "exec",
    tty,
    stdin: options.stdin,
    command: options.command,
    targetLabel: options.target,
  }, async (recording) => {
    const io = recording.io;
    const session = recording.startSession();
    if (warning) await writeText(io.stderr, `${warning}\n`);
    // Credentials are fetched before stdin is streamed, so a plugin may prompt on the terminal
    // even with -i, as it may under kubectl (which never marks stdin unavailable).
    const { config, client } = await connectCluster(global, io, { stdinInUse: false });
    recording.noteCluster(config);
    const { target, namespace, pod: described, workload } = options.filenames.length > 0
      ? await targetFromManifests(
        options.filenames,
        config.namespace,
        global.overrides.namespace,
        io.stdin,
      )
      : { target: options.target, namespace: config.namespace };
    const pod = described ?? await resolvePod(client, namespace, target, {
      timeoutMs: options.podRunningTimeoutMs,
      ...(workload ? { object: workload } : {}),
    });
    session.target = { namespace, pod: pod.metadata.name };
    const phase = pod.status?.phase;
    if (phase === "Succeeded" || phase === "Failed") {
      throw new CommandError(
        `cannot exec into a container in a completed pod; current phase is ${phase}`,
      );
    }
    const choice = chooseContainer(pod, options.container);
    session.target.container = choice.container.name;
    if (choice.notice && !options.quiet) await writeText(io.stderr, `${choice.notice}\n`);
    const path = execPath(namespace, pod.metadata.name, {
      command: options.command,
      container: choice.container.name,
      stdin: options.stdin,
      tty,
    });
    const result = await runTerminalSession({
      client,
      path,
      flags: options,
      tty,
      io,
      global,
      hooks: session.hooks,
    });
    const code = await finishSession(result, io);
    await recording.finishSession(session, { exitCode: code, result });
    return code;
  });
}

/**
 * The target and namespace `-f` names: the one object in the files (a directory's `.json`, `.yaml`
 * and `.yml` files, `-` for stdin), in its own namespace unless `-n` names another (kubectl's
 * error), else in the context's.
 */
async function targetFromManifests(
  files: string[],
  contextNamespace: string,
  flagNamespace: string | undefined,
  stdin: ReadableStream<Uint8Array>,
): Promise<
  { target: string; namespace: string; pod?: Pod; workload?: Record<string, unknown> }
> {
  const { manifestObjects, ManifestError, MissingManifestPathsError, objectTarget } = await import(
    "../manifest.ts"
  );
  // Every path is looked at before any is read, so all the missing ones are named at once.
  const infos = new Map<string, Deno.FileInfo>();
  const missing: string[] = [];
  for (const file of files) {
    if (file === "-" || infos.has(file)) continue;
    try {
      infos.set(file, await Deno.stat(file));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      missing.push(file);
    }
  }
  if (missing.length > 0) throw new MissingManifestPathsError(missing);
  const objects: ManifestObject[] = [];
  const read = async (path: string) =>
    objects.push(...manifestObjects(await Deno.readTextFile(path), path));
  for (const file of files) {
    if (file === "-") {
      objects.push(...manifestObjects(await new Response(stdin).text(), "STDIN"));
      continue;
    }
    if (!infos.get(file)!.isDirectory) {
      await read(file);
      continue;
    }
    const entries: string[] = [];
    for await (const entry of Deno.readDir(file)) {
      if (entry.isFile && /\.(json|ya?ml)$/.test(entry.name)) entries.push(entry.name);
    }
    for (const name of entries.sort()) await read(`${file.replace(/\/+$/, "")}/${name}`);
  }
  if (objects.length === 0) throw new ManifestError("no objects passed to exec");
  if (objects.length > 1) throw new ManifestError("cannot exec into multiple objects at a time");
  const { target, namespace, pod, workload } = objectTarget(objects[0]);
  if (namespace && flagNamespace && namespace !== flagNamespace) {
    throw new ManifestError(
      `the namespace from the provided object "${namespace}" does not match the namespace "${flagNamespace}". You must pass '--namespace=${namespace}' to perform this operation.`,
    );
  }
  const resolved = namespace ?? contextNamespace;
  // A workload's selector is taken from the file, as kubectl takes the whole object from it.
  if (pod === undefined) return { target, namespace: resolved, ...(workload ? { workload } : {}) };
  // The pod as the file describes it, in the namespace it is exec'd in.
  const metadata = { ...(pod.metadata as Pod["metadata"]), namespace: resolved };
  const spec = (pod.spec ?? {}) as Partial<Pod["spec"]>;
  return {
    target,
    namespace: resolved,
    pod: { ...pod, metadata, spec: { ...spec, containers: spec.containers ?? [] } } as Pod,
  };
}

/** The `exec` command. */
export const execCommand: Command = {
  name: "exec",
  short: "Execute a command in a container",
  long: "Execute a command in a container.",
  usage: "exec (POD | TYPE/NAME) [-c CONTAINER] [flags] -- COMMAND [args...] [options]",
  examples:
    `  # Get output from running the 'date' command from pod mypod, using the first container by default
  kubexec exec mypod -- date

  # Get output from running the 'date' command in ruby-container from pod mypod
  kubexec exec mypod -c ruby-container -- date

  # Switch to raw terminal mode; sends stdin to 'bash' in ruby-container from pod mypod
  # and sends stdout/stderr from 'bash' back to the client
  kubexec exec mypod -c ruby-container -i -t -- bash -il

  # Open a shell (bash if the container has it, else sh)
  kubexec exec -it mypod

  # Get output from running the 'date' command in the pod (or workload) described in pod.yaml
  kubexec exec -f pod.yaml -- date

  # Get output from running 'date' command from the first pod of the deployment mydeployment
  kubexec exec deploy/mydeployment -- date

  # Get output from running 'date' command from the first pod of the service myservice
  kubexec exec svc/myservice -- date

  # Run 'date' in every pod labelled app=web, output prefixed with [pod/container]
  kubexec exec -l app=web -- date

  # Record the session (asciicast v2, replay with 'kubexec play') and audit it with a reason
  kubexec exec -it mypod --record session.cast --audit-log audit.jsonl --reason "INC-123"`,
  flags: [
    ...POD_SESSION_FLAG_SPECS,
    {
      name: "filename",
      short: "f",
      type: "stringSlice",
      usage: "to use to exec into the resource",
    },
    {
      name: "selector",
      short: "l",
      type: "string",
      usage:
        "Run in every running pod matching this label selector (fan-out: no TTY, output prefixed [pod/container], summary at the end)",
    },
    {
      name: "all-containers",
      type: "bool",
      usage: "With --selector: run in every container of each pod",
    },
    {
      name: "max-parallel",
      type: "int",
      default: 10,
      usage: "With --selector: how many sessions run at the same time",
    },
    {
      name: "stdin-broadcast",
      type: "bool",
      usage: "With --selector: read stdin once and send it to every session",
    },
    ...SESSION_FLAG_SPECS,
    ...RECORDING_FLAG_SPECS,
  ],
  run: runExec,
};
