/**
 * `kubexec exec -l SELECTOR -- COMMAND`: runs one command in every running pod that matches a
 * label selector (the default container, a named one, or all of them), at most `--max-parallel`
 * at a time. Output lines are prefixed `[pod/container] ` (coloured per pod on a terminal), a
 * summary of exit codes goes to stderr at the end, and the exit code is 1 when any session failed.
 *
 * There is never a TTY (many remote terminals cannot share one local one). Stdin is only read
 * with `--stdin-broadcast`: each chunk is handed to every session and the next is read only once
 * all took it, so memory stays at one chunk however slow a pod is.
 *
 * @module
 */
import { CommandError, UsageError } from "./command.ts";
import { type Io, writeText } from "./io.ts";
import type { GlobalOptions } from "./global_flags.ts";
import { runTerminalSession, type SessionFlags } from "./session.ts";
import type { SessionRecording } from "./recording.ts";
import type { ApiClient } from "../transport/types.ts";
import { listPods, type Pod } from "../kube/pods.ts";
import { chooseContainer } from "../kube/containers.ts";
import { concatBytes } from "../bytes.ts";
import { goEscape } from "../go_quote.ts";

/** The longest line held back waiting for its end; longer lines are split there. */
const MAX_HELD_LINE_BYTES = 64 * 1024;
const NEWLINE = 0x0a;
/** ANSI colours for pod prefixes: cyan, yellow, magenta, green, blue and their bright forms. */
const PREFIX_COLOURS = [36, 33, 35, 32, 34, 96, 93, 95, 92, 94];

/**
 * Prefixes every line written to it and writes whole lines to a shared writer, so lines of
 * concurrent sessions never mix. A partial line is held until its end arrives or
 * {@linkcode LinePrefixer.flush} is called (then it is ended with a newline).
 *
 * @example
 * ```ts
 * import { LinePrefixer } from "./fanout.ts";
 * const chunks: string[] = [];
 * const shared = new WritableStream<Uint8Array>({
 *   write: (c) => void chunks.push(new TextDecoder().decode(c)),
 * }).getWriter();
 * const prefixer = new LinePrefixer("[web-0/app] ", shared);
 * const writer = prefixer.writable.getWriter();
 * await writer.write(new TextEncoder().encode("a\nb"));
 * await prefixer.flush(); // chunks: ["[web-0/app] a\n", "[web-0/app] b\n"]
 * ```
 */
export class LinePrefixer {
  /** Where the session writes. */
  readonly writable: WritableStream<Uint8Array>;
  readonly #prefix: Uint8Array;
  readonly #shared: WritableStreamDefaultWriter<Uint8Array>;
  #held: Uint8Array[] = [];
  #heldBytes = 0;

  /**
   * @param prefix put before every line (may contain colour escapes)
   * @param shared the writer all prefixers of one output stream share
   */
  constructor(prefix: string, shared: WritableStreamDefaultWriter<Uint8Array>) {
    this.#prefix = new TextEncoder().encode(prefix);
    this.#shared = shared;
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) => this.#write(chunk),
    }, new CountQueuingStrategy({ highWaterMark: 1 }));
  }

  /** Writes a held partial line, ended with a newline. */
  async flush(): Promise<void> {
    if (this.#heldBytes === 0) return;
    const parts = [this.#prefix, ...this.#held, new Uint8Array([NEWLINE])];
    this.#held = [];
    this.#heldBytes = 0;
    await this.#shared.write(concatBytes(parts));
  }

  async #write(chunk: Uint8Array): Promise<void> {
    const parts: Uint8Array[] = [];
    let start = 0;
    let newline: number;
    while ((newline = chunk.indexOf(NEWLINE, start)) >= 0) {
      parts.push(this.#prefix, ...this.#held, chunk.subarray(start, newline + 1));
      this.#held = [];
      this.#heldBytes = 0;
      start = newline + 1;
    }
    if (start < chunk.length) {
      // Copied: the session may reuse its buffer once this write resolved.
      this.#held.push(chunk.slice(start));
      this.#heldBytes += chunk.length - start;
    }
    if (parts.length > 0) await this.#shared.write(concatBytes(parts));
    if (this.#heldBytes > MAX_HELD_LINE_BYTES) await this.flush();
  }
}

/**
 * Splits one stream into `count` streams that each see every chunk. The next chunk is read from
 * `source` only when every branch still open has asked for one, so a slow branch slows the others
 * instead of growing a buffer. Cancelling a branch drops it; when all are cancelled the source is.
 *
 * @example
 * ```ts
 * import { broadcast } from "./fanout.ts";
 * const [a, b] = broadcast(new Blob(["hi"]).stream(), 2);
 * // both a and b yield "hi"
 * ```
 */
export function broadcast(
  source: ReadableStream<Uint8Array>,
  count: number,
): ReadableStream<Uint8Array>[] {
  interface Branch {
    controller?: ReadableStreamDefaultController<Uint8Array>;
    wanting?: PromiseWithResolvers<void>;
    done: boolean;
  }
  const branches: Branch[] = Array.from({ length: count }, () => ({ done: false }));
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let reading = false;
  const live = () => branches.filter((branch) => !branch.done);
  const deliver = (branch: Branch, action: () => void) => {
    if (branch.done) return;
    action();
    const wanting = branch.wanting;
    branch.wanting = undefined;
    wanting?.resolve();
  };
  const readIfAllWant = async () => {
    if (reading) return;
    const open = live();
    if (open.length === 0) {
      await (reader ? reader.cancel() : source.cancel()).catch(() => {});
      return;
    }
    if (!open.every((branch) => branch.wanting)) return;
    reading = true;
    reader ??= source.getReader();
    let next: ReadableStreamReadResult<Uint8Array>;
    try {
      next = await reader.read();
    } catch (error) {
      for (const branch of live()) {
        deliver(branch, () => branch.controller!.error(error));
        branch.done = true;
      }
      return;
    } finally {
      reading = false;
    }
    for (const branch of live()) {
      if (next.done) {
        deliver(branch, () => branch.controller!.close());
        branch.done = true;
      } else {
        deliver(branch, () => branch.controller!.enqueue(next.value));
      }
    }
  };
  return branches.map((branch) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        branch.controller = controller;
      },
      pull() {
        branch.wanting = Promise.withResolvers<void>();
        const wanted = branch.wanting.promise;
        void readIfAllWant();
        return wanted;
      },
      cancel() {
        branch.done = true;
        branch.wanting?.resolve();
        branch.wanting = undefined;
        void readIfAllWant();
      },
    }, { highWaterMark: 0 })
  );
}

/** The fan-out options of exec. */
export interface FanOutOptions extends SessionFlags {
  selector: string;
  command: string[];
  /** `-c`: the container in every pod (default: each pod's default container). */
  container: string;
  allContainers: boolean;
  maxParallel: number;
  stdinBroadcast: boolean;
}

/** One pod/container the command runs in, or a pod that was skipped. */
export interface FanOutTarget {
  pod: string;
  container: string;
  /** Why it was not run (pod not running), when skipped. */
  skipped?: string;
  /** Why it cannot run (no container to choose), when it fails without a session. */
  error?: string;
}

/** The outcome of one target. */
export interface FanOutOutcome {
  target: FanOutTarget;
  /** The exit code (remote, or kubexec's for an error); undefined when skipped. */
  exitCode?: number;
  /** One line: `ok`, `command terminated with exit code N`, the error, or why skipped. */
  summary: string;
}

/**
 * Turns the matching pods into targets: running pods × (default, named or all) containers, sorted
 * by pod name; pods that are not running are kept as skipped targets, pods without a container
 * to choose as failed ones.
 *
 * @example
 * ```ts ignore
 * import { fanOutTargets } from "./fanout.ts";
 * fanOutTargets(pods, { container: "", allContainers: true });
 * // [{ pod: "web-0", container: "app" }, { pod: "web-0", container: "sidecar" }, …]
 * ```
 */
export function fanOutTargets(
  pods: Pod[],
  options: { container: string; allContainers: boolean },
): FanOutTarget[] {
  const targets: FanOutTarget[] = [];
  const sorted = [...pods].sort((a, b) =>
    a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0
  );
  for (const pod of sorted) {
    const name = pod.metadata.name;
    const phase = pod.status?.phase ?? "Unknown";
    if (phase !== "Running") {
      targets.push({ pod: name, container: "-", skipped: `skipped: pod is ${phase}` });
      continue;
    }
    if (options.allContainers) {
      for (const container of pod.spec.containers) {
        targets.push({ pod: name, container: container.name });
      }
      continue;
    }
    try {
      targets.push({
        pod: name,
        container: chooseContainer(pod, options.container).container.name,
      });
    } catch (error) {
      targets.push({ pod: name, container: "-", error: errorLine(error) });
    }
  }
  return targets;
}

/**
 * Checks the flag combinations fan-out refuses, with messages naming the fix.
 *
 * @example
 * ```ts
 * import { validateFanOut } from "./fanout.ts";
 * validateFanOut({
 *   target: "",
 *   tty: false,
 *   stdin: false,
 *   stdinBroadcast: false,
 *   maxParallel: 10,
 *   allContainers: false,
 *   container: "",
 * });
 * ```
 */
export function validateFanOut(options: {
  target: string;
  tty: boolean;
  stdin: boolean;
  stdinBroadcast: boolean;
  maxParallel: number;
  allContainers: boolean;
  container: string;
}): void {
  if (options.target !== "") {
    throw new UsageError(
      `a pod (${options.target}) and --selector cannot both be given: use one or the other`,
    );
  }
  if (options.tty) {
    throw new UsageError(
      "--tty cannot be used with --selector: fan-out runs without a terminal (drop -t)",
    );
  }
  if (options.stdin && !options.stdinBroadcast) {
    throw new UsageError(
      "--stdin cannot be used with --selector: add --stdin-broadcast to send the same input to every pod",
    );
  }
  if (options.allContainers && options.container !== "") {
    throw new UsageError("--all-containers and --container cannot both be given");
  }
  if (options.maxParallel < 1) {
    throw new UsageError(`--max-parallel must be at least 1, not ${options.maxParallel}`);
  }
}

function exitCodeOf(error: unknown): number {
  const code = (error as { exitCode?: unknown } | undefined)?.exitCode;
  return typeof code === "number" ? code : 1;
}

/** The error as the summary shows it: kubectl's first line when the error has one. */
function errorLine(error: unknown): string {
  const message = (error as { userMessage?: unknown } | undefined)?.userMessage;
  if (typeof message === "string") return message;
  return `error: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * Formats the summary table of a fan-out.
 *
 * @example
 * ```ts
 * import { summaryTable } from "./fanout.ts";
 * summaryTable([{ target: { pod: "web-0", container: "app" }, exitCode: 0, summary: "ok" }]);
 * // "POD    CONTAINER  EXIT  RESULT\nweb-0  app        0     ok\n\n1 succeeded, 0 failed, 0 skipped\n"
 * ```
 */
export function summaryTable(outcomes: FanOutOutcome[]): string {
  const rows = [
    ["POD", "CONTAINER", "EXIT", "RESULT"],
    ...outcomes.map((outcome) => [
      outcome.target.pod,
      outcome.target.container,
      outcome.exitCode === undefined ? "-" : String(outcome.exitCode),
      outcome.summary,
    ]),
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column].length)));
  let text = "";
  for (const row of rows) {
    text += row.slice(0, 3).map((cell, column) => cell.padEnd(widths[column])).join("  ") +
      `  ${row[3]}\n`;
  }
  const skipped = outcomes.filter((outcome) => outcome.exitCode === undefined).length;
  const failed = outcomes.filter((outcome) => (outcome.exitCode ?? 0) !== 0).length;
  const succeeded = outcomes.length - skipped - failed;
  return `${text}\n${succeeded} succeeded, ${failed} failed, ${skipped} skipped\n`;
}

/** What {@linkcode runFanOut} needs besides the options. */
export interface FanOutContext {
  client: ApiClient;
  namespace: string;
  io: Io;
  global: GlobalOptions;
  recording: SessionRecording;
  /** Builds the exec path for one pod and container. */
  execPath: (pod: string, container: string) => string;
}

/**
 * Runs the command in every target and prints the summary; resolves to 0 when every session
 * exited 0, else 1. Throws when no running pod matches.
 *
 * @example
 * ```ts ignore
 * import { runFanOut } from "./fanout.ts";
 * const code = await runFanOut(options, { client, namespace, io, global, recording, execPath });
 * ```
 */
export async function runFanOut(options: FanOutOptions, context: FanOutContext): Promise<number> {
  const { client, namespace, io, global, recording } = context;
  const pods = await listPods(client, namespace, options.selector);
  const targets = fanOutTargets(pods, options);
  const runnable = targets.filter((target) => !target.skipped && !target.error);
  if (runnable.length === 0) {
    throw new CommandError(
      `no running pods in namespace "${namespace}" match the selector "${options.selector}"${
        targets.length > 0 ? ` (${targets.length} matched but none can run the command)` : ""
      }`,
    );
  }
  if (options.stdinBroadcast && runnable.length > options.maxParallel) {
    throw new UsageError(
      `--stdin-broadcast sends stdin to every session at once: ${runnable.length} targets exceed --max-parallel ${options.maxParallel}; raise --max-parallel`,
    );
  }
  global.logger(
    2,
    () => `fan-out: ${runnable.length} sessions, at most ${options.maxParallel} at a time`,
  );
  const stdins = options.stdinBroadcast ? broadcast(io.stdin, runnable.length) : [];
  const colourOut = global.color;
  const colourErr = global.color && io.stderrIsTerminal;
  const podIndex = new Map(
    [...new Set(targets.map((target) => target.pod))].map((pod, i) => [pod, i]),
  );
  const prefix = (target: FanOutTarget, colour: boolean) => {
    // Names come from the server: escaped, so a hostile one cannot write terminal escapes.
    const label = `[${goEscape(target.pod)}/${goEscape(target.container)}]`;
    if (!colour) return `${label} `;
    const code = PREFIX_COLOURS[podIndex.get(target.pod)! % PREFIX_COLOURS.length];
    return `\x1b[${code}m${label}\x1b[0m `;
  };
  const stdout = io.stdout.getWriter();
  const stderr = io.stderr.getWriter();
  const outcomes = new Map<FanOutTarget, FanOutOutcome>();
  for (const target of targets) {
    if (target.skipped) outcomes.set(target, { target, summary: target.skipped });
    if (target.error) outcomes.set(target, { target, exitCode: 1, summary: target.error });
  }
  const interruption = new AbortController();
  const runOne = async (target: FanOutTarget, stdin: ReadableStream<Uint8Array> | undefined) => {
    const session = recording.startSession({
      namespace,
      pod: target.pod,
      container: target.container,
    });
    const out = new LinePrefixer(prefix(target, colourOut), stdout);
    const err = new LinePrefixer(prefix(target, colourErr), stderr);
    let outcome: FanOutOutcome;
    try {
      const result = await runTerminalSession({
        client,
        path: context.execPath(target.pod, target.container),
        flags: { ...options, stdin: options.stdinBroadcast, tty: false },
        tty: false,
        stdin,
        io: { ...io, stdout: out.writable, stderr: err.writable },
        global,
        hooks: session.hooks,
        interrupt: interruption.signal,
      });
      outcome = {
        target,
        exitCode: result.exitCode,
        summary: result.ended === "signal"
          ? "interrupted"
          : result.exitCode === 0
          ? "ok"
          : `command terminated with exit code ${result.exitCode}`,
      };
      await out.flush();
      await err.flush();
      await recording.finishSession(session, { exitCode: result.exitCode, result });
    } catch (error) {
      await out.flush().catch(() => {});
      await err.flush().catch(() => {});
      outcome = { target, exitCode: exitCodeOf(error), summary: errorLine(error) };
      await stderr.write(
        new TextEncoder().encode(`${prefix(target, colourErr)}${outcome.summary}\n`),
      );
      await recording.finishSession(session, { exitCode: outcome.exitCode!, error });
    } finally {
      await stdin?.cancel().catch(() => {});
    }
    outcomes.set(target, outcome);
  };
  // Each running session ends itself on a signal, one still connecting as soon as it connects;
  // sessions not yet started must not start.
  let interrupted = false;
  const unsubscribe = io.terminal.onSignal((signal) => {
    interrupted = true;
    interruption.abort(signal);
  });
  try {
    let next = 0;
    const worker = async () => {
      while (next < runnable.length) {
        const index = next++;
        const target = runnable[index];
        if (interrupted) {
          await stdins[index]?.cancel().catch(() => {});
          outcomes.set(target, { target, summary: "not started: interrupted" });
          continue;
        }
        await runOne(target, stdins[index]);
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(options.maxParallel, runnable.length) }, worker),
    );
  } finally {
    unsubscribe();
    stdout.releaseLock();
    stderr.releaseLock();
  }
  const ordered = targets.map((target) => outcomes.get(target)!);
  await writeText(io.stderr, `\n${summaryTable(ordered)}`);
  return interrupted || ordered.some((outcome) => (outcome.exitCode ?? 0) !== 0) ? 1 : 0;
}
