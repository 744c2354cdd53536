/**
 * Runs kubexec (from source, with exactly the shipped binary's permissions) and kubectl (the
 * oracle, when on PATH) as subprocesses with the same arguments, stdin and environment, so tests
 * can compare stdout, stderr and exit codes.
 *
 * @module
 */

/** What a run produced. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for a run. */
export interface RunOptions {
  stdin?: string | Uint8Array;
  env?: Record<string, string>;
  /** Runs before each client's run (e.g. to arm a one-shot fault). */
  before?: () => void;
}

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/**
 * The permissions and runtime flags the compiled binary is built with (deno.json `compile`), for
 * running kubexec from source as it ships.
 */
export const SHIPPED_PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-env",
  "--allow-run",
  "--allow-write",
  "--no-prompt",
  "--v8-flags=--max-semi-space-size=1,--no-turbofan,--no-lazy",
];

async function findKubectl(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("kubectl", {
      args: ["version", "--client"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success ? "kubectl" : undefined;
  } catch {
    return undefined;
  }
}

/** `kubectl` when it is on PATH, else `undefined` (comparisons are then skipped). */
export const kubectlPath: string | undefined = await findKubectl();

async function run(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  options.before?.();
  const child = new Deno.Command(command, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { HOME: "/nonexistent-home", NO_COLOR: "1", ...options.env },
    clearEnv: true,
  }).spawn();
  const writer = child.stdin.getWriter();
  const input = typeof options.stdin === "string"
    ? new TextEncoder().encode(options.stdin)
    : options.stdin;
  if (input) await writer.write(input).catch(() => {});
  await writer.close().catch(() => {});
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/**
 * Runs kubexec from source.
 *
 * @example
 * ```ts ignore
 * import { runKubexec } from "./oracle.ts";
 * const result = await runKubexec(["--kubeconfig", path, "exec", "web-0", "--", "date"]);
 * ```
 */
export function runKubexec(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return run(Deno.execPath(), ["run", ...SHIPPED_PERMISSIONS, MAIN, ...args], {
    ...options,
    env: { PATH: Deno.env.get("PATH") ?? "", ...options.env },
  });
}

/** Runs kubectl; only call when {@linkcode kubectlPath} is set. */
export function runKubectl(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return run(kubectlPath ?? "kubectl", args, {
    ...options,
    env: { PATH: Deno.env.get("PATH") ?? "", ...options.env },
  });
}
