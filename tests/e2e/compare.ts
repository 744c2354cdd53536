/**
 * Scenario rows run through kubectl and through kubexec against the real control plane, with
 * stdout, stderr and exit code compared. A row states what kubectl must do (`expect`); kubexec
 * must then do exactly what kubectl did, unless the row records a deliberate `difference` (each one
 * is listed in `tests/e2e/README.md`).
 *
 * The kubexec side of a row runs only once `deno run -A main.ts VERB --help` succeeds for the row's
 * verb (or when `KUBEXEC_E2E_KUBEXEC=1`), so the comparisons light up by themselves as each command
 * lands; `KUBEXEC_E2E_KUBEXEC=0` turns them off. `KUBEXEC_E2E_KUBEXEC_ROOT` names another checkout
 * whose `main.ts` plays kubexec (to try a fix without committing it); `KUBEXEC_E2E_KUBEXEC_BIN`
 * names a compiled kubexec to test instead of `main.ts`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cluster, kubeconfig } from "./cluster.ts";

/** Bytes to feed a command: text, or a deterministic pseudo-random stream of `size` bytes. */
export type Stdin = string | { size: number; seed: number };

/** What a run must produce. Strings match exactly, regular expressions anywhere. */
export interface Expectation {
  code: number;
  stdout?: string | RegExp;
  stderr?: string | RegExp;
  /** Hex SHA-256 of all of stdout (for outputs too large to compare as text). */
  stdoutSha256?: string;
}

/** One scenario: a kubectl command line (without `--kubeconfig`) and what it must do. */
export interface Scenario {
  name: string;
  args: string[];
  /** Kubeconfig name written by the harness; defaults to `admin`. */
  user?: string;
  stdin?: Stdin;
  expect: Expectation;
  /** A deliberate kubexec difference: why, and what kubexec does instead. */
  difference?: { reason: string; expect: Partial<Expectation> };
}

/** What one run of kubectl or kubexec produced. */
export interface Outcome {
  code: number;
  /** stdout as text, or "" when larger than {@linkcode TEXT_LIMIT}. */
  stdout: string;
  stderr: string;
  stdoutSha256: string;
  stdoutBytes: number;
}

/** stdout larger than this is only hashed. */
export const TEXT_LIMIT = 1 << 20;

/** Repository root. */
export const repoRoot = new URL("../..", import.meta.url).pathname;

/** Where kubexec runs as `deno run -A main.ts`: the repository root unless overridden. */
export const kubexecRoot = Deno.env.get("KUBEXEC_E2E_KUBEXEC_ROOT") || repoRoot;

/** A compiled kubexec (`deno task compile` → dist/kubexec) to test instead of `main.ts`. */
const kubexecBinary = Deno.env.get("KUBEXEC_E2E_KUBEXEC_BIN") || "";

/** The program and leading arguments that start kubexec. */
function kubexecProgram(): string[] {
  if (kubexecBinary) return [kubexecBinary];
  return [Deno.execPath(), "run", "--allow-all", "--quiet", `${kubexecRoot}/main.ts`];
}

/** A guard against hangs only; no test asserts on time. */
const HANG_GUARD_MS = 180_000;

/** The client under test. */
export type Tool = "kubectl" | "kubexec";

/**
 * Deterministic pseudo-random bytes (xorshift32), produced in chunks so that large inputs are never
 * held in memory whole.
 *
 * @example
 * ```ts
 * import { pseudoRandomChunks } from "./compare.ts";
 * for (const chunk of pseudoRandomChunks(1024, 7)) console.log(chunk.length);
 * ```
 */
export function* pseudoRandomChunks(size: number, seed: number): Generator<Uint8Array> {
  let state = seed >>> 0 || 1;
  const chunkSize = 64 * 1024;
  for (let offset = 0; offset < size; offset += chunkSize) {
    const chunk = new Uint8Array(Math.min(chunkSize, size - offset));
    const words = new Uint32Array(chunk.buffer, 0, chunk.length >>> 2);
    for (let i = 0; i < words.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      words[i] = state >>> 0;
    }
    for (let i = words.length * 4; i < chunk.length; i++) chunk[i] = i & 0xff;
    yield chunk;
  }
}

/**
 * Hex SHA-256 of the bytes a {@linkcode Stdin} stands for.
 *
 * @example
 * ```ts
 * import { stdinSha256 } from "./compare.ts";
 * const hash = stdinSha256({ size: 1 << 20, seed: 1 });
 * ```
 */
export function stdinSha256(stdin: Stdin): string {
  const hash = createHash("sha256");
  if (typeof stdin === "string") hash.update(stdin);
  else for (const chunk of pseudoRandomChunks(stdin.size, stdin.seed)) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * The command line that runs `tool` with a kubeconfig and arguments.
 *
 * @example
 * ```ts
 * import { commandLine } from "./compare.ts";
 * const [program, ...args] = commandLine("kubectl", "/tmp/admin.kubeconfig", ["get", "pods"]);
 * ```
 */
export function commandLine(tool: Tool, kubeconfigPath: string, args: string[]): string[] {
  const common = ["--kubeconfig", kubeconfigPath, ...args];
  if (tool === "kubectl") return ["kubectl", ...common];
  return [...kubexecProgram(), ...common];
}

/**
 * The environment both clients run with: the caller's, minus KUBECONFIG, with HOME inside the run
 * directory (kubectl's discovery cache lands there and is removed with it).
 *
 * @example
 * ```ts
 * import { clientEnv } from "./compare.ts";
 * const env = clientEnv();
 * ```
 */
export function clientEnv(): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.KUBECONFIG;
  if (cluster) env.HOME = `${cluster.runDir}/home`;
  return env;
}

async function writeStdin(stdin: Stdin | undefined, target: WritableStream<Uint8Array>) {
  const writer = target.getWriter();
  try {
    if (typeof stdin === "string") await writer.write(new TextEncoder().encode(stdin));
    else if (stdin) {
      for (const chunk of pseudoRandomChunks(stdin.size, stdin.seed)) await writer.write(chunk);
    }
    await writer.close();
  } catch {
    // The command may exit without reading all of its input; its outcome says what happened.
  }
}

async function collectStdout(stream: ReadableStream<Uint8Array>) {
  const hash = createHash("sha256");
  const kept: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    bytes += chunk.length;
    if (bytes <= TEXT_LIMIT) kept.push(chunk);
  }
  const text = bytes <= TEXT_LIMIT ? new TextDecoder().decode(concat(kept)) : "";
  return { text, sha256: hash.digest("hex"), bytes };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** Options of {@linkcode runTool}. */
export interface RunOptions {
  stdin?: Stdin;
  /** Working directory; defaults to where the client's own files are. */
  cwd?: string;
  /** Kubeconfig file to use instead of the user's own (for runs that rewrite it). */
  kubeconfigPath?: string;
}

/**
 * Starts `tool` with `args` against the kubeconfig at `kubeconfigPath`, in the clients' shared
 * environment ({@linkcode clientEnv}), stdout and stderr piped unless told otherwise, killed after
 * `timeoutMs`.
 *
 * @example
 * ```ts ignore
 * const child = spawnTool("kubectl", kubeconfig("admin"), ["exec", "shell", "--", "true"]);
 * ```
 */
export function spawnTool(
  tool: Tool,
  kubeconfigPath: string,
  args: string[],
  options: {
    cwd?: string;
    stdin?: "null" | "piped";
    stderr?: "null" | "piped";
    timeoutMs?: number;
  } = {},
): Deno.ChildProcess {
  const [program, ...programArgs] = commandLine(tool, kubeconfigPath, args);
  return new Deno.Command(program, {
    args: programArgs,
    cwd: options.cwd ?? (tool === "kubexec" ? kubexecRoot : repoRoot),
    env: clientEnv(),
    clearEnv: true,
    stdin: options.stdin ?? "null",
    stdout: "piped",
    stderr: options.stderr ?? "piped",
    signal: AbortSignal.timeout(options.timeoutMs ?? HANG_GUARD_MS),
  }).spawn();
}

/**
 * Runs one client with arguments and input, streaming stdin in and stdout through a hash.
 *
 * @example
 * ```ts
 * import { runTool } from "./compare.ts";
 * const outcome = await runTool("kubectl", "admin", ["exec", "shell", "--", "true"]);
 * ```
 */
export async function runTool(
  tool: Tool,
  user: string,
  args: string[],
  options: RunOptions = {},
): Promise<Outcome> {
  const { stdin, cwd } = options;
  const child = spawnTool(tool, options.kubeconfigPath ?? kubeconfig(user), args, {
    cwd,
    stdin: stdin === undefined ? "null" : "piped",
    timeoutMs: HANG_GUARD_MS,
  });
  const [, stdout, stderr, status] = await Promise.all([
    stdin === undefined ? Promise.resolve() : writeStdin(stdin, child.stdin),
    collectStdout(child.stdout),
    new Response(child.stderr).text(),
    child.status,
  ]);
  return {
    code: status.code,
    stdout: stdout.text,
    stderr: tool === "kubectl" ? withoutKlogLines(stderr) : stderr,
    stdoutSha256: stdout.sha256,
    stdoutBytes: stdout.bytes,
  };
}

function describe(tool: Tool, outcome: Outcome): string {
  return `${tool} exited ${outcome.code}\n--- stdout (${outcome.stdoutBytes} bytes)\n${
    outcome.stdout.slice(0, 2000)
  }\n--- stderr\n${outcome.stderr.slice(0, 2000)}`;
}

function assertMatches(actual: string, expected: string | RegExp, what: string, context: string) {
  if (typeof expected === "string") assert.equal(actual, expected, `${what}\n${context}`);
  else assert.match(actual, expected, `${what}\n${context}`);
}

/**
 * Asserts that an outcome meets an expectation.
 *
 * @example
 * ```ts
 * import { assertOutcome, runTool } from "./compare.ts";
 * assertOutcome("kubectl", await runTool("kubectl", "admin", ["exec", "shell", "--", "true"]), { code: 0 });
 * ```
 */
export function assertOutcome(tool: Tool, outcome: Outcome, expect: Expectation): void {
  const context = describe(tool, outcome);
  assert.equal(outcome.code, expect.code, `exit code\n${context}`);
  if (expect.stdout !== undefined) assertMatches(outcome.stdout, expect.stdout, "stdout", context);
  if (expect.stderr !== undefined) assertMatches(outcome.stderr, expect.stderr, "stderr", context);
  if (expect.stdoutSha256 !== undefined) {
    assert.equal(outcome.stdoutSha256, expect.stdoutSha256, `stdout sha256\n${context}`);
  }
}

/**
 * stderr without klog lines (`E1126 02:18:34.831134   10926 websocket.go:296] …`). kubectl's
 * client-go logs internal diagnostics at random, for example "Unknown stream id 1, discarding
 * message" when the apiserver's stream translator sends a late frame; they are not part of what a
 * user is told, so kubectl's stderr is compared without them (see README.md).
 *
 * @example
 * ```ts
 * import { withoutKlogLines } from "./compare.ts";
 * withoutKlogLines("E1126 02:18:34.831134   10926 websocket.go:296] x\nerror: y\n"); // "error: y\n"
 * ```
 */
export function withoutKlogLines(stderr: string): string {
  return stderr.split("\n").filter((line) =>
    !/^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ [^\]]+\] /.test(line)
  )
    .join("\n");
}

/**
 * kubexec's stderr without its `hint: …` lines. kubexec may follow an error line with one hint
 * naming the likely cause and fix (docs: "Errors the user sees"); kubectl never prints one, so
 * comparisons leave them out. This is the one difference every row allows (see README.md).
 *
 * @example
 * ```ts
 * import { withoutHints } from "./compare.ts";
 * withoutHints("error: x\nhint: y\n"); // "error: x\n"
 * ```
 */
export function withoutHints(stderr: string): string {
  return stderr.split("\n").filter((line) => !line.startsWith("hint: ")).join("\n");
}

/**
 * Asserts that kubexec did exactly what kubectl did: same exit code, same stdout bytes, same
 * stderr text (less kubexec's hint lines).
 *
 * @example
 * ```ts
 * import { assertSameOutcome, runTool } from "./compare.ts";
 * const args = ["exec", "shell", "--", "true"];
 * assertSameOutcome(await runTool("kubectl", "admin", args), await runTool("kubexec", "admin", args));
 * ```
 */
export function assertSameOutcome(kubectl: Outcome, kubexec: Outcome): void {
  const context = `${describe("kubectl", kubectl)}\n${describe("kubexec", kubexec)}`;
  assert.equal(kubexec.code, kubectl.code, `exit codes differ\n${context}`);
  assert.equal(kubexec.stdoutSha256, kubectl.stdoutSha256, `stdout differs\n${context}`);
  assert.equal(withoutHints(kubexec.stderr), kubectl.stderr, `stderr differs\n${context}`);
}

/** Whether kubexec's side of a comparison runs, and why. */
export interface KubexecStatus {
  ready: boolean;
  reason: string;
}

async function probeKubexec(verb: string): Promise<KubexecStatus> {
  const forced = Deno.env.get("KUBEXEC_E2E_KUBEXEC");
  if (forced === "0") return { ready: false, reason: "KUBEXEC_E2E_KUBEXEC=0" };
  if (forced === "1") return { ready: true, reason: "KUBEXEC_E2E_KUBEXEC=1" };
  if (!cluster) return { ready: false, reason: "no cluster" };
  const [program, ...args] = kubexecProgram();
  const output = await new Deno.Command(program, {
    args: [...args, verb, "--help"],
    cwd: kubexecRoot,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (output.success) return { ready: true, reason: `kubexec ${verb} --help works` };
  const firstLine = new TextDecoder().decode(output.stderr).split("\n")[0];
  return { ready: false, reason: `kubexec ${verb} --help failed: ${firstLine}` };
}

const probes = new Map<string, Promise<KubexecStatus>>();

/**
 * Whether kubexec implements `verb` yet (its `--help` succeeds), probed once per verb. The kubexec
 * side of a comparison runs only then, so comparisons light up as each command lands.
 *
 * @example
 * ```ts
 * import { kubexecStatus } from "./compare.ts";
 * const status = await kubexecStatus("exec");
 * if (!status.ready) console.log(status.reason);
 * ```
 */
export function kubexecStatus(verb: string): Promise<KubexecStatus> {
  let probe = probes.get(verb);
  if (!probe) {
    probe = probeKubexec(verb);
    probes.set(verb, probe);
  }
  return probe;
}

/** The verbs the e2e suite drives, probed before tests register (so `ignore` is known). */
export const kubexecReady: Record<string, KubexecStatus> = Object.fromEntries(
  await Promise.all(
    ["exec", "attach", "port-forward", "cp"].map(async (verb) =>
      [verb, await kubexecStatus(verb)] as const
    ),
  ),
);

/** The kubectl verb of a row: its first argument that names one. */
function verbOf(row: Scenario): string {
  return row.args.find((arg) => arg in kubexecReady) ?? "";
}

/**
 * Registers a scenario as a test: kubectl must meet `expect`; then kubexec must match kubectl (or
 * meet the recorded `difference`).
 *
 * @example
 * ```ts
 * import { scenarioTest } from "./compare.ts";
 * scenarioTest({ name: "exit 0", args: ["exec", "shell", "--", "true"], expect: { code: 0 } });
 * ```
 */
export function scenarioTest(row: Scenario): void {
  Deno.test({
    name: row.name,
    ignore: !cluster,
    fn: async (t) => {
      const user = row.user ?? "admin";
      const kubectl = await runTool("kubectl", user, row.args, { stdin: row.stdin });
      assertOutcome("kubectl", kubectl, row.expect);
      await t.step({
        name: `kubexec ${row.difference ? "(documented difference)" : "matches kubectl"}`,
        ignore: !kubexecReady[verbOf(row)]?.ready,
        fn: async () => {
          const kubexec = await runTool("kubexec", user, row.args, { stdin: row.stdin });
          if (row.difference) {
            assertOutcome("kubexec", kubexec, { ...row.expect, ...row.difference.expect });
          } else {
            assertSameOutcome(kubectl, kubexec);
          }
        },
      });
    },
  });
}
