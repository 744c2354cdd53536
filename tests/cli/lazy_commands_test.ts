import assert from "node:assert/strict";
import { loadCommandTree, resolveCommand } from "../../lib/cli/command.ts";
import { rootCommand } from "../../lib/cli/root.ts";

Deno.test("every lazy stub of the root loads a command with the stub's name, short text and visibility", async () => {
  const stubs = rootCommand.subcommands ?? [];
  assert.ok(stubs.filter((stub) => stub.load).length >= 10);
  for (const stub of stubs) {
    const command = await resolveCommand(stub);
    assert.equal(command.load, undefined, `${stub.name} loads another stub`);
    assert.equal(command.name, stub.name);
    assert.equal(command.short, stub.short, `${stub.name}: the stub's short text is stale`);
    assert.equal(command.hidden ?? false, stub.hidden ?? false);
    assert.ok(command.run || command.subcommands?.length, `${stub.name} has nothing to run`);
  }
});

Deno.test("a stub's module is imported once, however often the stub is resolved", async () => {
  const stub = rootCommand.subcommands!.find((command) => command.name === "exec")!;
  assert.equal(await resolveCommand(stub), await resolveCommand(stub));
});

Deno.test("loadCommandTree leaves no stub anywhere in the tree", async () => {
  const tree = await loadCommandTree(rootCommand);
  const walk = (command: typeof tree): void => {
    assert.equal(command.load, undefined, command.name);
    command.subcommands?.forEach(walk);
  };
  walk(tree);
  assert.ok(tree.subcommands!.some((command) => command.name === "config" && command.subcommands));
});

Deno.test("exec's module graph leaves out the node: modules other commands need", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("../../lib/cli/commands/exec.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "null",
  }).output();
  const graph = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: { specifier: string }[];
  };
  const specifiers = graph.modules.map((module) => module.specifier);
  assert.ok(specifiers.some((specifier) => specifier.endsWith("/lib/stream/exec.ts")));
  // Type-only imports of node:net/node:tls are erased; these three are evaluated when imported.
  for (const heavy of ["node:zlib", "node:crypto", "node:dns/promises"]) {
    assert.ok(!specifiers.includes(heavy), `exec imports ${heavy}`);
  }
});
