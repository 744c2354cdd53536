/**
 * The malformed corpus: every file in `malformed/` is broken in one way and must produce one clear
 * line naming the file (or the missing file it refers to) and the problem, matching the
 * `# expect: <regexp>` on its first line, with no secret in it; through the CLI, exit code 1 and
 * no stack trace.
 */
import assert from "node:assert/strict";
import { resolveRestConfig } from "../../lib/kubeconfig/resolve.ts";
import { KubeconfigError } from "../../lib/kubeconfig/errors.ts";
import { envFrom } from "./support.ts";
import { kubectlPath, runKubectl, runKubexec } from "../support/oracle.ts";

const DIRECTORY = new URL("./malformed/", import.meta.url).pathname;
const files = [...Deno.readDirSync(DIRECTORY)].map((entry) => entry.name).sort();

Deno.test("the malformed corpus has at least 25 files", () => {
  assert.ok(files.length >= 25, `only ${files.length} files`);
});

for (const name of files) {
  Deno.test(`malformed/${name}: one clear line`, async () => {
    const path = `${DIRECTORY}${name}`;
    const expectLine = /^# expect: (.*)$/m.exec(await Deno.readTextFile(path));
    assert.ok(expectLine, "the file must start with '# expect: <regexp>'");
    await assert.rejects(
      () =>
        resolveRestConfig({ kubeconfig: path }, {
          env: envFrom({}),
          inCluster: { tokenPath: "/nonexistent/token" },
        }),
      (error: unknown) => {
        assert.ok(error instanceof KubeconfigError, `unexpected ${error}`);
        assert.match(error.message, new RegExp(expectLine[1]));
        assert.ok(!error.message.includes("\n"), "more than one line");
        assert.ok(!error.message.includes("malformed-secret"), "a secret leaked");
        return true;
      },
    );
  });
}

Deno.test("the malformed corpus through the CLI: exit code 1, one error line, no stack trace", async () => {
  const pending = [...files];
  const failures: string[] = [];
  const worker = async () => {
    for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
      const path = `${DIRECTORY}${name}`;
      const result = await runKubexec(["--kubeconfig", path, "exec", "web-0", "--", "true"]);
      const lines = result.stderr.trimEnd().split("\n");
      const problems = [
        result.code !== 1 && `exit code ${result.code}`,
        lines.length !== 1 && `${lines.length} lines`,
        !/^(error|Error in configuration): /.test(lines[0]) && "no kubectl-style prefix",
        / at .*\.ts:\d+/.test(result.stderr) && "a stack trace",
        result.stderr.includes("malformed-secret") && "a secret",
      ].filter(Boolean);
      if (problems.length > 0) failures.push(`${name}: ${problems.join(", ")}: ${result.stderr}`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  assert.deepEqual(failures, []);
});

/** Files kubectl reads differently on purpose, and why. */
const KNOWN_DIFFERENCES = new Map([
  [
    "05-duplicate-key.kubeconfig",
    "kubectl's YAML reader keeps the last of duplicate keys; YAML 1.2 (kubexec) rejects them",
  ],
]);

Deno.test({
  name: kubectlPath
    ? "malformed corpus: configuration errors are worded as kubectl's (plus the file)"
    : "malformed corpus: kubectl wording comparison skipped: kubectl is not on PATH",
  ignore: !kubectlPath,
  fn: async () => {
    let compared = 0;
    const pending = files.filter((name) => !KNOWN_DIFFERENCES.has(name));
    const worker = async () => {
      for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
        const path = `${DIRECTORY}${name}`;
        const args = ["--kubeconfig", path, "--request-timeout=1s", "exec", "web-0", "--", "true"];
        const theirs = await runKubectl(args);
        // Decoding errors are ours by design (file:line:col, field path); compare the rest.
        if (theirs.stderr.startsWith("error: error loading config file")) continue;
        const ours = await runKubexec(args);
        assert.equal(ours.stderr.replaceAll(` (in ${path})`, ""), theirs.stderr, name);
        assert.equal(ours.code, theirs.code, name);
        compared++;
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    assert.ok(compared >= 14, `only ${compared} compared`);
  },
});
