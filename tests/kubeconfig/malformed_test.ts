/**
 * The malformed corpus: every file in `malformed/` is broken in one way and must produce one clear
 * line naming the file (or the missing file it refers to) and the problem, matching the
 * `# expect: <regexp>` on its first line, with no secret in it.
 */
import assert from "node:assert/strict";
import { resolveRestConfig } from "../../lib/kubeconfig/resolve.ts";
import { KubeconfigError } from "../../lib/kubeconfig/errors.ts";
import { envFrom } from "./support.ts";

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
