/**
 * The permissions and V8 flags kubexec ships with are written in five places: deno.json's
 * `kubexec` and `compile` tasks, the release build (`.ci/compile_all.ts`), the compile smoke test
 * and `SHIPPED_PERMISSIONS`, which every test and the bench run kubexec with. They must agree, or
 * the measurements and tests describe a program nobody ships.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SHIPPED_PERMISSIONS } from "./support/oracle.ts";

const root = new URL("..", import.meta.url);

/** The `--allow-*`, `--no-prompt` and `--v8-flags=` words of a command line or source text. */
function runtimeFlags(text: string): string[] {
  return [...text.matchAll(/--(?:allow-[a-z]+|no-prompt|v8-flags=[^\s"',]+(?:,[^\s"',]+)*)/g)]
    .map((match) => match[0]);
}

Deno.test("shipped flags: deno.json, the release build and the compile test match SHIPPED_PERMISSIONS", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  const sources: Record<string, string> = {
    "deno.json kubexec task": config.tasks.kubexec,
    "deno.json compile task": config.tasks.compile,
    ".ci/compile_all.ts": await Deno.readTextFile(new URL(".ci/compile_all.ts", root)),
    "tests/compile_test.ts": await Deno.readTextFile(new URL("tests/compile_test.ts", root)),
  };
  assert.ok(SHIPPED_PERMISSIONS.some((flag) => flag.startsWith("--v8-flags=")));
  for (const [name, text] of Object.entries(sources)) {
    assert.deepEqual(runtimeFlags(text), SHIPPED_PERMISSIONS, name);
  }
});
