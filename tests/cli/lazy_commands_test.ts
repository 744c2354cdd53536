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

/** A module of `deno info --json`, with the dependencies this file looks at. */
interface GraphModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
}

/** The module graph of `path` (relative to the repository), dynamic imports included. */
async function moduleGraph(path: string): Promise<GraphModule[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(`../../${path}`, import.meta.url).pathname],
    stdout: "piped",
    stderr: "null",
  }).output();
  return (JSON.parse(new TextDecoder().decode(output.stdout)) as { modules: GraphModule[] })
    .modules;
}

/** What importing `root` evaluates: its static imports of code, followed. */
function staticallyLoaded(modules: GraphModule[], root: string): Set<string> {
  const byName = new Map(modules.map((module) => [module.specifier, module]));
  const loaded = new Set<string>();
  const visit = (module: GraphModule | undefined) => {
    if (module === undefined || loaded.has(module.specifier)) return;
    loaded.add(module.specifier);
    for (const dependency of module.dependencies ?? []) {
      if (dependency.code && !dependency.isDynamic) visit(byName.get(dependency.code.specifier));
    }
  };
  visit(modules.find((module) => module.specifier.endsWith(root)));
  return loaded;
}

Deno.test("exec's start-up leaves out the node: modules other commands need", async () => {
  const loaded = staticallyLoaded(
    await moduleGraph("lib/cli/commands/exec.ts"),
    "/lib/cli/commands/exec.ts",
  );
  assert.ok([...loaded].some((specifier) => specifier.endsWith("/lib/stream/exec.ts")));
  // Type-only imports of node:net/node:tls are erased; these three are evaluated when imported
  // (node:crypto only on a TLS refusal, to name a candidate CA as Go does).
  for (const heavy of ["node:zlib", "node:crypto", "node:dns/promises"]) {
    assert.ok(!loaded.has(heavy), `exec imports ${heavy}`);
  }
});

Deno.test("exec loads at start only what every run needs; the rest stays in the graph for deno compile", async () => {
  const modules = await moduleGraph("lib/cli/commands/exec.ts");
  const byName = new Map(modules.map((module) => [module.specifier, module]));
  const loaded = staticallyLoaded(modules, "/lib/cli/commands/exec.ts");
  const lib = (path: string) => new URL(`../../lib/${path}`, import.meta.url).href;
  assert.ok(loaded.has(lib("stream/exec.ts")) && loaded.has(lib("kubeconfig/resolve.ts")));
  const onlySome = [
    "auth/exec_plugin.ts", // an exec credential plugin
    "auth/oidc.ts", // the oidc auth-provider
    "auth/removed_providers.ts", // any auth-provider
    "auth/token_file.ts", // tokenFile
    "kubeconfig/persist.ts", // a refreshed oidc token written back
    "yaml/stringify.ts",
    "transport/socks5.ts", // a proxy
    "transport/proxy_connect.ts",
    "transport/websocket_native.ts", // --transport native (tests, doctor)
    "transport/refusal_explain.ts", // a TLS refusal with a configured CA
    "cli/fanout.ts", // --selector
    "record/asciicast.ts", // --record, KUBEXEC_RECORD_DIR
    "record/audit.ts", // --audit-log, KUBEXEC_AUDIT_LOG
    "record/files.ts",
  ];
  for (const path of onlySome) {
    // A dynamic import deno cannot follow would be missing from the compiled binary.
    assert.ok(byName.has(lib(path)), `${path} is not in exec's graph`);
    assert.ok(!loaded.has(lib(path)), `${path} is loaded by every exec`);
  }
});
