import assert from "node:assert/strict";
import { runCli } from "../../lib/cli/app.ts";
import { rootCommand } from "../../lib/cli/root.ts";
import { renderError } from "../../lib/cli/errors.ts";
import { ConnectError, InvalidHeaderError, TlsError } from "../../lib/transport/errors.ts";
import { KubeconfigLoadError, KubeconfigLoadErrors } from "../../lib/kubeconfig/errors.ts";
import { captureIo } from "../support/cli_io.ts";
import { runKubexec } from "../support/oracle.ts";

async function kubeconfig(user: string): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(
    path,
    `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: ${user}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
  );
  return path;
}

Deno.test("a refused connection reads like kubectl's", async () => {
  const path = await kubeconfig("{token: abc}");
  try {
    const captured = captureIo();
    const code = await runCli(
      rootCommand,
      ["--kubeconfig", path, "exec", "p", "--", "ls"],
      captured.io,
    );
    assert.equal(code, 1);
    assert.equal(
      captured.stderr(),
      "The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?\n",
    );
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a missing exec plugin: Unable to connect, client-go's help and the install hint", async () => {
  const path = await kubeconfig(
    '{exec: {apiVersion: client.authentication.k8s.io/v1, command: kubexec-no-such-plugin, interactiveMode: Never, installHint: "brew install it"}}',
  );
  try {
    const captured = captureIo({ env: { PATH: "/nonexistent" } });
    const code = await runCli(
      rootCommand,
      ["--kubeconfig", path, "exec", "p", "--", "ls"],
      captured.io,
    );
    assert.equal(code, 1);
    assert.match(
      captured.stderr(),
      /^Unable to connect to the server: getting credentials: exec: executable kubexec-no-such-plugin not found\n\nIt looks like you are trying to use a client-go credential plugin that is not installed\.\n[\s\S]*\nbrew install it\n/,
    );
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("transport errors render as Unable to connect; stacks only from -v=6", () => {
  const tls = new TlsError(
    "unknown-authority",
    "localhost",
    "x509: certificate signed by unknown authority",
  );
  assert.equal(
    renderError(tls, { commandPath: "kubexec exec", verbosity: 0 }).text,
    "Unable to connect to the server: tls: failed to verify certificate: x509: certificate signed by unknown authority\n",
  );
  const dns = new ConnectError("dns", "nowhere.invalid", "no such host");
  const verbose = renderError(dns, { commandPath: "kubexec exec", verbosity: 6 });
  assert.match(
    verbose.text,
    /^Unable to connect to the server: dial tcp: lookup nowhere\.invalid: no such host\n/,
  );
  assert.match(verbose.text, /at /);
  assert.equal(
    renderError(new InvalidHeaderError("Authorization"), { commandPath: "k", verbosity: 0 }).text,
    'Unable to connect to the server: net/http: invalid header field value for "Authorization"\n',
  );
  const files = new KubeconfigLoadErrors([
    new KubeconfigLoadError("/a", "bad"),
    new KubeconfigLoadError("/b", "worse"),
  ]);
  assert.deepEqual(renderError(files, { commandPath: "k", verbosity: 0 }), {
    text: 'error loading config file "/a": bad\nerror loading config file "/b": worse\n',
    exitCode: 1,
  });
  const carrying = Object.assign(new Error("x"), { exitCode: 255, hint: "try y" });
  assert.deepEqual(renderError(carrying, { commandPath: "k", verbosity: 0 }), {
    text: "error: x\nhint: try y\n",
    exitCode: 255,
  });
});

Deno.test("a reader that went away (| head) ends quietly with 141, as kubectl does", () => {
  assert.deepEqual(
    renderError(new Deno.errors.BrokenPipe("Broken pipe (os error 32)"), {
      commandPath: "kubexec exec",
      verbosity: 0,
    }),
    { text: "", exitCode: 141 },
  );
});

Deno.test({
  name: "paths Deno keeps from scoped permissions are named, with a hint instead of --allow-all",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    // As the binary runs: Deno refuses /proc, /dev and /sys paths without --allow-all and would
    // tell the user to pass that flag, which a compiled binary does not take.
    const hint = "hint: Deno, kubexec's runtime, opens those only for a program that holds every " +
      "permission, and kubexec holds a scoped set: use a path in another directory\n";
    const reason = "kubexec cannot open paths under /dev, /proc or /sys";
    const fromEnv = await runKubexec(["exec", "p", "--", "ls"], {
      env: { KUBECONFIG: "/proc/self/status" },
    });
    assert.equal(fromEnv.code, 1);
    assert.equal(
      fromEnv.stderr,
      `error: error loading config file "/proc/self/status": read /proc/self/status: ${reason}\n${hint}`,
    );
    const path = await kubeconfig("{tokenFile: /proc/self/status}");
    const keyPath = await kubeconfig(
      "{client-certificate: /proc/self/status, client-key: /proc/self/status}",
    );
    try {
      const token = await runKubexec(["--kubeconfig", path, "exec", "p", "--", "ls"]);
      assert.equal(token.code, 1);
      assert.equal(token.stderr, `error: open /proc/self/status: ${reason}\n${hint}`);
      // client-go's aggregated configuration errors carry the same hint.
      const key = await runKubexec(["--kubeconfig", keyPath, "exec", "p", "--", "ls"]);
      assert.equal(key.code, 1);
      assert.match(key.stderr, /^Error in configuration: \n\* unable to read client-cert /);
      assert.ok(key.stderr.endsWith(`: ${reason} (in ${keyPath})\n${hint}`), key.stderr);
    } finally {
      await Deno.remove(path);
      await Deno.remove(keyPath);
    }
  },
});
