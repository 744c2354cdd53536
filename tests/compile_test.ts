/**
 * Compile smoke test: builds the `deno compile` binary and runs `kubexec version` and an `exec -i`
 * of a large pipe (the stdin reader thread) from it.
 *
 * `deno compile` needs the `denort` runtime, downloaded from a host that some machines (CI here)
 * cannot reach, or given through `DENORT_BIN`. When no runtime can be had, the test is registered
 * as ignored and the reason is printed, so it never fails for lack of network.
 */
import assert from "node:assert/strict";
import { execThroughPipes } from "./support/pipe_exec.ts";

const root = new URL("..", import.meta.url).pathname;
const outDir = await Deno.makeTempDir({ prefix: "kubexec-compile-" });
const binary = `${outDir}/kubexec${Deno.build.os === "windows" ? ".exe" : ""}`;

async function compile(): Promise<string | undefined> {
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      "--no-check",
      "--allow-net",
      "--allow-read",
      "--allow-env",
      "--allow-run",
      "--allow-write",
      "--no-prompt",
      "--v8-flags=--max-semi-space-size=1,--no-turbofan,--no-lazy",
      "--output",
      binary,
      "main.ts",
    ],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (result.success) return undefined;
  const stderr = new TextDecoder().decode(result.stderr);
  const reason = stderr.split("\n").find((line) => /denort|download|dns|error/i.test(line)) ??
    stderr.trim();
  return reason.trim();
}

const failure = await compile();
if (failure !== undefined) {
  await Deno.remove(outDir, { recursive: true });
  // deno-lint-ignore no-console
  console.log(
    `compile smoke test skipped: no denort runtime (set DENORT_BIN to one): ${failure}`,
  );
}

Deno.test({
  name: "compiled binary runs without its sources: `version`, and `exec -i` of a large pipe",
  ignore: failure !== undefined,
  fn: async (t) => {
    try {
      await t.step("kubexec version", async () => {
        // Run from an empty directory so nothing next to the sources can be read by accident.
        const out = await new Deno.Command(binary, {
          args: ["version", "-o", "json"],
          cwd: outDir,
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
        const doc = JSON.parse(new TextDecoder().decode(out.stdout));
        const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
        assert.equal(doc.clientVersion.gitVersion, `v${config.version}`);
      });
      // Past 4 MiB a piped stdin is read by a worker whose code is a `data:` URL
      // (lib/cli/pipe_reader.ts): what a compiled binary loads differently from `deno run`.
      // Not on Windows, where stdin is always read by Deno.stdin and the pod has no `cat`.
      await t.step({
        name: "exec -i with 12 MiB piped in and out",
        ignore: Deno.build.os === "windows",
        fn: async () => {
          const { exitCode, stderr, intact } = await execThroughPipes([binary], outDir);
          assert.equal(exitCode, 0, stderr);
          assert.ok(intact, "the bytes that came back differ from those sent");
        },
      });
    } finally {
      await Deno.remove(outDir, { recursive: true });
    }
  },
});
