/**
 * `exec -i POD -- cat` with stdin and stdout both pipes, 12 MiB each way, against the fake API
 * server: past 4 MiB kubexec reads such a stdin on a worker thread (lib/cli/pipe_reader.ts).
 *
 * @module
 */
import { outputWhenFed } from "./child_input.ts";
import { startFakeApiServer } from "./fake_apiserver.ts";
import { writeKubeconfig } from "./kubeconfig_fixture.ts";
import { randomBytes } from "./random_bytes.ts";

/** The outcome of {@linkcode execThroughPipes}. */
export interface PipedExecResult {
  exitCode: number;
  stderr: string;
  /** Whether stdout held exactly the bytes written to stdin. */
  intact: boolean;
}

/**
 * Runs `command` (kubexec: a compiled binary, or `deno run … main.ts`) with `--kubeconfig K exec -i
 * box -- cat` appended, feeds it 12 MiB of random bytes in uneven writes and compares its output.
 *
 * @example
 * ```ts ignore
 * import { execThroughPipes } from "./pipe_exec.ts";
 * const { exitCode, intact } = await execThroughPipes(["./kubexec"], "/tmp");
 * ```
 */
export async function execThroughPipes(command: string[], cwd: string): Promise<PipedExecResult> {
  const server = await startFakeApiServer({
    pods: [{ name: "box", containers: [{ name: "app" }] }],
  });
  try {
    const kubeconfig = await writeKubeconfig(server, { user: "token" });
    const input = randomBytes(12 * 1024 * 1024 + 777);
    const child = new Deno.Command(command[0], {
      args: [...command.slice(1), "--kubeconfig", kubeconfig, "exec", "-i", "box", "--", "cat"],
      cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // A hang (a lost wake-up between kubexec's threads, say) fails the caller instead.
    const result = await outputWhenFed(child, input, [65536, 3, 200_000, 1000], 120_000);
    const intact = result.stdout.length === input.length &&
      result.stdout.every((byte, index) => byte === input[index]);
    return { exitCode: result.code, stderr: new TextDecoder().decode(result.stderr), intact };
  } finally {
    await server.close();
  }
}
