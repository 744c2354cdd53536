/**
 * `kubexec attach`: attach to a process already running in a container, as `kubectl attach`
 * does, with `--detach-keys` (default ctrl-p,ctrl-q) to leave without ending the process.
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
} from "../session.ts";
import { RECORDING_FLAG_SPECS, withRecording } from "../recording.ts";
import { resolvePod } from "../../kube/target.ts";
import { chooseContainer } from "../../kube/containers.ts";
import { pathSegment } from "../../kube/pods.ts";

/** A `--detach-keys` value that cannot be parsed. */
export class DetachKeysError extends Error {
  /** @param spec the flag value */
  constructor(spec: string) {
    super(
      `invalid detach keys "${spec}": use comma-separated keys like "ctrl-p,ctrl-q" (a letter, or ctrl- plus one of a-z @ [ \\ ] ^ _)`,
    );
    this.name = "DetachKeysError";
  }
}

/**
 * Parses a detach key sequence (`ctrl-p,ctrl-q`, `ctrl-a,d`) into bytes, as docker and kubectl do.
 *
 * @example
 * ```ts
 * import { parseDetachKeys } from "./attach.ts";
 * parseDetachKeys("ctrl-p,ctrl-q"); // Uint8Array [16, 17]
 * ```
 */
export function parseDetachKeys(spec: string): Uint8Array {
  const bytes: number[] = [];
  for (const key of spec.split(",")) {
    const lower = key.toLowerCase();
    if (lower.startsWith("ctrl-") && key.length === 6) {
      const code = lower.charCodeAt(5);
      if (code >= 0x61 && code <= 0x7a) bytes.push(code - 0x60);
      else if ("@[\\]^_".includes(lower[5])) bytes.push(lower.charCodeAt(5) - 0x40);
      else throw new DetachKeysError(spec);
    } else if (key.length === 1) {
      bytes.push(key.charCodeAt(0));
    } else {
      throw new DetachKeysError(spec);
    }
  }
  return new Uint8Array(bytes);
}

/**
 * Wraps stdin so that typing the detach sequence ends it (EOF) instead of sending the keys. A
 * partial match is held back until it either completes or turns out to be ordinary input.
 *
 * @example
 * ```ts
 * import { detachable } from "./attach.ts";
 * const stdin = detachable(new Blob(["ls\x10\x11rest"]).stream(), new Uint8Array([16, 17]));
 * // reads "ls", then ends
 * ```
 */
export function detachable(
  input: ReadableStream<Uint8Array>,
  keys: Uint8Array,
  onDetach: () => void = () => {},
): ReadableStream<Uint8Array> {
  let held: number[] = [];
  return input.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (held.length === 0 && chunk.indexOf(keys[0]) < 0) {
          controller.enqueue(chunk);
          return;
        }
        const out: number[] = [];
        for (const byte of chunk) {
          if (byte === keys[held.length]) {
            held.push(byte);
            if (held.length === keys.length) {
              if (out.length > 0) controller.enqueue(new Uint8Array(out));
              onDetach();
              controller.terminate();
              return;
            }
            continue;
          }
          out.push(...held);
          held = [];
          if (byte === keys[0]) held.push(byte);
          else out.push(byte);
        }
        if (out.length > 0) controller.enqueue(new Uint8Array(out));
      },
      flush(controller) {
        if (held.length > 0) controller.enqueue(new Uint8Array(held));
      },
    }),
  );
}

async function runAttach(context: CommandContext): Promise<number> {
  const { global, args, flags } = context;
  if (args.length === 0) throw new CommandError("at least 1 argument is required for attach");
  const timeoutMs = flags.duration("pod-running-timeout");
  if (timeoutMs <= 0) {
    throw new UsageError("--pod-running-timeout must be higher than zero");
  }
  if (args.length > 2) {
    throw new CommandError(
      `expected POD, TYPE/NAME, or TYPE NAME, (at most 2 arguments) saw ${args.length}: [${
        args.join(" ")
      }]`,
    );
  }
  // kubectl also takes the target as two arguments, TYPE NAME (`attach pod web-0`); the first of
  // two is always a type, so `attach pod/web-0 extra` names the type "pod/web-0".
  if (args.length === 2 && args[0].includes("/")) {
    throw new CommandError(`the server doesn't have a resource type "${args[0]}"`);
  }
  const target = args.length === 2 ? `${args[0]}/${args[1]}` : args[0];
  const keys = parseDetachKeys(flags.string("detach-keys"));
  const quiet = flags.bool("quiet");
  const stdin = flags.bool("stdin");
  return await withRecording(context, {
    verb: "attach",
    tty: flags.bool("tty"),
    stdin,
    targetLabel: target,
  }, async (recording) => {
    const io = recording.io;
    const session = recording.startSession();
    // As for exec: credentials come before stdin is streamed, so a plugin may prompt first.
    const { config, client } = await connectCluster(global, io, { stdinInUse: false });
    recording.noteCluster(config);
    const pod = await resolvePod(client, config.namespace, target, { timeoutMs });
    const phase = pod.status?.phase;
    if (phase === "Succeeded" || phase === "Failed") {
      throw new CommandError(
        `cannot attach a container in a completed pod; current phase is ${phase}`,
      );
    }
    const requested = flags.string("container");
    const known = [
      ...pod.spec.containers,
      ...(pod.spec.initContainers ?? []),
      ...(pod.spec.ephemeralContainers ?? []),
    ];
    if (requested && !known.some((c) => c.name === requested)) {
      // Unlike exec, kubectl attach checks the name itself before connecting.
      throw new CommandError(
        `cannot attach to the container: container ${requested} not found in pod ${pod.metadata.name}`,
      );
    }
    const choice = chooseContainer(pod, requested);
    if (choice.notice && !quiet) await writeText(io.stderr, `${choice.notice}\n`);
    const container = choice.container;
    session.target = {
      namespace: config.namespace,
      pod: pod.metadata.name,
      container: container.name,
    };
    let wantTty = flags.bool("tty");
    if (wantTty && !container.tty) {
      wantTty = false;
      if (!quiet) {
        await writeText(
          io.stderr,
          `error: Unable to use a TTY - container ${container.name} did not allocate one\n`,
        );
      }
    } else if (!wantTty && container.tty) {
      wantTty = true;
    }
    const { tty, warning } = decideTty({ stdin, tty: wantTty, quiet }, io.stdinIsTerminal);
    session.tty = tty;
    if (warning) await writeText(io.stderr, `${warning}\n`);
    if (!quiet) {
      await writeText(io.stderr, "If you don't see a command prompt, try pressing enter.\n");
    }
    const params: [string, string][] = [["container", container.name]];
    if (stdin) params.push(["stdin", "true"]);
    params.push(["stdout", "true"]);
    if (!tty) params.push(["stderr", "true"]);
    if (tty) params.push(["tty", "true"]);
    const path = `/api/v1/namespaces/${pathSegment(config.namespace)}/pods/${
      pathSegment(pod.metadata.name)
    }/attach?${goQuery(params)}`;
    // Ending stdin alone is not enough: the server streams a still-running process until the
    // client goes, so the detach keys end the session too.
    const detach = new AbortController();
    const result = await runTerminalSession({
      client,
      path,
      flags: {
        stdin,
        tty,
        quiet,
        protocol: flags.string("protocol"),
        keepaliveMs: flags.duration("keepalive"),
        deadPeerMs: flags.duration("keepalive-timeout"),
        idleTimeoutMs: flags.duration("idle-timeout"),
        maxSessionMs: flags.duration("max-session"),
      },
      tty,
      // Detach keys are typed on a terminal; piped data (which may hold those bytes) is passed
      // through untouched, as kubectl passes it.
      stdin: stdin && tty && io.stdinIsTerminal
        ? detachable(io.stdin, keys, () => detach.abort())
        : undefined,
      detach: detach.signal,
      processOutlivesSession: true,
      io,
      global,
      hooks: session.hooks,
    });
    // kubectl's hint, on stdout, after a session on a terminal that a restart can resume.
    if (stdin && tty && !quiet && pod.spec.restartPolicy === "Always") {
      const ephemeral = (pod.spec.ephemeralContainers ?? []).some((c) => c.name === container.name);
      const again = `'kubexec attach ${pod.metadata.name} -c ${container.name} -i -t'`;
      await writeText(
        io.stdout,
        ephemeral
          ? `Session ended, the ephemeral container will not be restarted but may be reattached using ${again} if it is still running\n`
          : `Session ended, resume using ${again} command when the pod is running\n`,
      );
    }
    const code = await finishSession(result, io);
    await recording.finishSession(session, { exitCode: code, result });
    return code;
  });
}

/** The `attach` command. */
export const attachCommand: Command = {
  name: "attach",
  short: "Attach to a running container",
  long: "Attach to a process that is already running inside an existing container.",
  usage: "attach (POD | TYPE/NAME) -c CONTAINER [options]",
  examples:
    `  # Get output from running pod mypod; use the 'kubectl.kubernetes.io/default-container' annotation
  # for selecting the container to be attached or the first container in the pod will be chosen
  kubexec attach mypod

  # Get output from ruby-container from pod mypod
  kubexec attach mypod -c ruby-container

  # Switch to raw terminal mode; sends stdin to 'bash' in ruby-container from pod mypod
  # and sends stdout/stderr from 'bash' back to the client; ctrl-p,ctrl-q detaches
  kubexec attach mypod -c ruby-container -i -t

  # Get output from the first pod of a replica set named nginx
  kubexec attach rs/nginx`,
  flags: [
    ...POD_SESSION_FLAG_SPECS,
    {
      name: "detach-keys",
      type: "string",
      default: "ctrl-p,ctrl-q",
      usage:
        "Key sequence that detaches from the container without ending it (comma-separated: a letter or ctrl-<key>)",
    },
    ...SESSION_FLAG_SPECS,
    ...RECORDING_FLAG_SPECS,
  ],
  run: runAttach,
};
