/**
 * `deno task demo` is the first command the README gives a newcomer: it must keep working. Runs
 * the demo as the task does and checks what each of its steps shows.
 */
import assert from "node:assert/strict";

Deno.test("deno task demo runs every step against the fake API server and shows their results", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  ) as { tasks: Record<string, string> };
  // The task's own command line: `deno run <permissions> tests/demo.ts`.
  const words = config.tasks.demo.split(" ");
  assert.equal(words[0], "deno");
  const output = await new Deno.Command(Deno.execPath(), {
    args: words.slice(1),
    cwd: new URL("..", import.meta.url).pathname,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  const steps = stdout.split("\n# ").slice(1);
  const step = (title: string) => {
    const found = steps.find((text) => text.startsWith(title));
    assert.ok(found, `no step "${title}" in:\n${stdout}`);
    return found;
  };
  assert.match(step("a command with output"), /\nhello from the pod\n\(exit code 0\)/);
  assert.match(step("the first container is defaulted"), /\nLinux\n\(exit code 0\)/);
  assert.match(step("a deployment resolves to its pod"), /\nweb-0\n\(exit code 0\)/);
  assert.match(step("a non-zero exit code comes back"), /\(exit code 3\)/);
  assert.match(step("stdin is streamed"), /\n22\n\(exit code 0\)/);
  assert.match(
    step("cp prints a remote file"),
    /\nhello from the pod's file system\n\(exit code 0\)/,
  );
  assert.match(step("errors name the cause"), /\(exit code 1\)/);
  // What the child kubexec processes print on stderr (the notices, the errors) comes through too.
  assert.match(stderr, /Defaulted container "app" out of: app, sidecar/);
  assert.match(stderr, /command terminated with exit code 3/);
  assert.match(stderr, /Error from server \(NotFound\): pods "nope" not found/);
});
