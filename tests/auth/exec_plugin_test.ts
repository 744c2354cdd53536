/**
 * Tests of exec credential plugins, run for real through `tests/auth/plugins/test_plugin.sh`:
 * versions, `KUBERNETES_EXEC_INFO`, interactive modes, caching, expiry, 401 re-runs, missing
 * commands, failures and malformed output.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  AuthConfigError,
  ExecCredentialFormatError,
  ExecInteractiveModeError,
  ExecPluginExitError,
  ExecPluginNotFoundError,
  INSTALL_HINT_HELP,
} from "../../lib/auth/errors.ts";
import {
  type ExecPluginConfig,
  type ExecPluginOptions,
  execPluginProvider,
} from "../../lib/auth/exec_plugin.ts";
import { testPki } from "../support/pki.ts";

const PLUGIN = new URL("./plugins/test_plugin.sh", import.meta.url).pathname;
const V1 = "client.authentication.k8s.io/v1";
const V1BETA1 = "client.authentication.k8s.io/v1beta1";
const NOT_A_TERMINAL = { isTerminal: false, inUse: false };

/** A temporary record file for one test and the base environment pointing the plugin at it. */
async function fixture(extraEnv: Record<string, string> = {}) {
  const dir = await Deno.makeTempDir({ prefix: "kubexec-auth-" });
  const record = `${dir}/record`;
  await Deno.writeTextFile(record, "");
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    PLUGIN_RECORD: record,
    PLUGIN_API_VERSION: V1,
    PLUGIN_TOKEN: "tok",
    ...extraEnv,
  };
  return {
    env,
    /** The `KUBERNETES_EXEC_INFO` of each run so far, trailing newline included. */
    async runs(): Promise<string[]> {
      const text = await Deno.readTextFile(record);
      return text.split(/(?<=\n)/).filter((line) => line !== "");
    },
    async stdinLines(): Promise<string> {
      return await Deno.readTextFile(`${record}.stdin`).catch(() => "");
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function provider(
  config: Partial<ExecPluginConfig>,
  env: Record<string, string>,
  options: Partial<ExecPluginOptions> = {},
) {
  return execPluginProvider(
    { command: PLUGIN, apiVersion: V1, interactiveMode: "Never", ...config },
    { stdin: NOT_A_TERMINAL, env, ...options },
  );
}

/** A writable stream collecting text, for plugin stderr. */
function collector() {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  return {
    stream: new WritableStream<Uint8Array>({
      write(chunk) {
        chunks.push(decoder.decode(chunk, { stream: true }));
      },
    }),
    text: () => chunks.join(""),
  };
}

Deno.test("exec v1: token becomes a bearer header and the result is cached", async () => {
  await using f = await fixture();
  const p = provider({}, f.env);
  assert.equal(p.description, `exec plugin ${PLUGIN}`);
  assert.deepEqual(await p.get(), { headers: [["Authorization", "Bearer tok-1"]] });
  assert.deepEqual(await p.get(), { headers: [["Authorization", "Bearer tok-1"]] });
  assert.deepEqual(await f.runs(), [
    `{"kind":"ExecCredential","apiVersion":"${V1}","spec":{"interactive":false}}\n`,
  ]);
});

Deno.test("exec v1beta1: accepted, interactiveMode defaults to IfAvailable", async () => {
  await using f = await fixture({ PLUGIN_API_VERSION: V1BETA1 });
  const p = execPluginProvider({ command: PLUGIN, apiVersion: V1BETA1 }, {
    stdin: { isTerminal: true, inUse: false },
    env: f.env,
  });
  assert.deepEqual((await p.get()).headers, [["Authorization", "Bearer tok-1"]]);
  assert.deepEqual(await f.runs(), [
    `{"kind":"ExecCredential","apiVersion":"${V1BETA1}","spec":{"interactive":true}}\n`,
  ]);
});

Deno.test("exec: v1 without interactiveMode is refused before running", async () => {
  await using f = await fixture();
  const p = execPluginProvider({ command: PLUGIN, apiVersion: V1 }, {
    stdin: NOT_A_TERMINAL,
    env: f.env,
  });
  await assert.rejects(p.get(), (error: unknown) => {
    assert.ok(error instanceof ExecInteractiveModeError);
    assert.equal(
      error.message,
      'getting credentials: exec plugin cannot support interactive mode: unknown interactiveMode: ""',
    );
    assert.match(error.hint ?? "", /must set exec\.interactiveMode/);
    return true;
  });
  assert.deepEqual(await f.runs(), []);
});

Deno.test("exec: v1alpha1 and unknown versions are rejected at creation", () => {
  for (const apiVersion of ["client.authentication.k8s.io/v1alpha1", "", "v1"]) {
    assert.throws(
      () => provider({ apiVersion }, {}),
      (error: unknown) => {
        assert.ok(error instanceof AuthConfigError);
        assert.equal(
          error.message,
          `exec plugin: invalid apiVersion ${JSON.stringify(apiVersion)}`,
        );
        assert.match(
          error.hint ?? "",
          apiVersion.endsWith("v1alpha1") ? /removed in Kubernetes 1\.24/ : /must be one of/,
        );
        return true;
      },
    );
  }
});

Deno.test("exec: args and configured env reach the plugin, overriding the base env", async () => {
  await using f = await fixture({ PLUGIN_TOKEN: "base" });
  const p = provider({ env: [{ name: "PLUGIN_TOKEN", value: "configured" }] }, f.env);
  assert.deepEqual((await p.get()).headers, [["Authorization", "Bearer configured-1"]]);
});

Deno.test("exec: a bare command is found on our PATH, not on the PATH set for the plugin", async () => {
  await using f = await fixture();
  const dir = PLUGIN.slice(0, PLUGIN.lastIndexOf("/"));
  const p = provider({
    command: "test_plugin.sh",
    env: [{ name: "PATH", value: `/nonexistent:${f.env.PATH}` }],
  }, { ...f.env, PATH: `${dir}:${f.env.PATH}` });
  assert.deepEqual((await p.get()).headers, [["Authorization", "Bearer tok-1"]]);
  const hidden = provider({
    command: "test_plugin.sh",
    env: [{ name: "PATH", value: `${dir}:${f.env.PATH}` }],
  }, f.env);
  await assert.rejects(hidden.get(), ExecPluginNotFoundError);
});

Deno.test("exec: KUBERNETES_EXEC_INFO overrides an inherited value", async () => {
  await using f = await fixture({ KUBERNETES_EXEC_INFO: "stale" });
  await provider({ env: [{ name: "KUBERNETES_EXEC_INFO", value: "also stale" }] }, f.env).get();
  assert.deepEqual(await f.runs(), [
    `{"kind":"ExecCredential","apiVersion":"${V1}","spec":{"interactive":false}}\n`,
  ]);
});

Deno.test("exec: provideClusterInfo sends spec.cluster exactly as client-go encodes it", async () => {
  await using f = await fixture();
  const cluster = {
    server: "https://10.0.0.1:6443/prefix",
    "tls-server-name": "kubernetes.default",
    "insecure-skip-tls-verify": false,
    "certificate-authority-data": "LS0tLS1CRUdJTg==",
    "proxy-url": "socks5://127.0.0.1:1080",
    "disable-compression": true,
    config: { zeta: [1, { y: true, x: null }], audience: "a<b>&c" },
  };
  await provider({ provideClusterInfo: true, cluster }, f.env).get();
  await provider({ provideClusterInfo: false, cluster, args: ["other"] }, f.env).get();
  assert.deepEqual(await f.runs(), [
    `{"kind":"ExecCredential","apiVersion":"${V1}","spec":{"cluster":{` +
    `"server":"https://10.0.0.1:6443/prefix","tls-server-name":"kubernetes.default",` +
    `"certificate-authority-data":"LS0tLS1CRUdJTg==","proxy-url":"socks5://127.0.0.1:1080",` +
    `"disable-compression":true,"config":{"audience":"a\\u003cb\\u003e\\u0026c",` +
    `"zeta":[1,{"x":null,"y":true}]}},"interactive":false}}\n`,
    `{"kind":"ExecCredential","apiVersion":"${V1}","spec":{"interactive":false}}\n`,
  ]);
});

Deno.test("exec: expirationTimestamp caches until it passes, then the plugin runs again", async () => {
  await using f = await fixture({ PLUGIN_EXPIRY: "2030-01-01T00:00:00Z" });
  const expiry = Date.parse("2030-01-01T00:00:00Z");
  let now = expiry - 60_000;
  const p = provider({}, f.env, { now: () => now });
  assert.deepEqual((await p.get()).headers, [["Authorization", "Bearer tok-1"]]);
  now = expiry;
  assert.deepEqual((await p.get()).headers, [["Authorization", "Bearer tok-1"]]);
  now = expiry + 1;
  assert.deepEqual((await p.get()).headers, [["Authorization", "Bearer tok-2"]]);
  assert.equal((await f.runs()).length, 2);
});

Deno.test("exec: without expiry the result is kept until a 401 invalidates it once", async () => {
  await using f = await fixture();
  const p = provider({}, f.env);
  assert.equal(await p.invalidate(), false, "nothing fetched yet");
  assert.deepEqual((await p.get()).headers, [["Authorization", "Bearer tok-1"]]);
  assert.equal(await p.invalidate(), true);
  assert.equal(await p.invalidate(), false, "same generation already invalidated");
  assert.deepEqual((await p.get()).headers, [["Authorization", "Bearer tok-2"]]);
  assert.deepEqual((await p.get()).headers, [["Authorization", "Bearer tok-2"]]);
  assert.equal(await p.invalidate(), true);
  assert.deepEqual((await p.get()).headers, [["Authorization", "Bearer tok-3"]]);
});

Deno.test("exec: concurrent get() calls share one plugin run", async () => {
  await using f = await fixture({ PLUGIN_SLEEP: "0.2" });
  const p = provider({}, f.env);
  const pending = Array.from({ length: 5 }, () => p.get());
  assert.equal(await p.invalidate(), true, "a run in flight will bring new credentials");
  const results = await Promise.all(pending);
  for (const result of results) {
    assert.deepEqual(result.headers, [["Authorization", "Bearer tok-1"]]);
  }
  assert.equal((await f.runs()).length, 1);
});

Deno.test("exec: returned credentials are copies that callers cannot corrupt", async () => {
  await using f = await fixture();
  const p = provider({}, f.env);
  (await p.get()).headers.push(["X-Evil", "1"]);
  assert.deepEqual((await p.get()).headers, [["Authorization", "Bearer tok-1"]]);
});

Deno.test("exec: client certificate results become clientCert, with or without a token", async () => {
  const pki = await testPki();
  const client = await pki.issueClient({ user: "exec-user" });
  for (const token of [undefined, "cert-and-token"]) {
    await using f = await fixture({
      PLUGIN_OUTPUT: JSON.stringify({
        apiVersion: V1,
        kind: "ExecCredential",
        status: {
          clientCertificateData: client.certPem,
          clientKeyData: client.keyPem,
          ...(token ? { token } : {}),
        },
      }),
    });
    const credentials = await provider({}, f.env).get();
    assert.deepEqual(credentials.clientCert, { certPem: client.certPem, keyPem: client.keyPem });
    assert.deepEqual(credentials.headers, token ? [["Authorization", `Bearer ${token}`]] : []);
  }
});

Deno.test("exec: missing command reports client-go's text and the neutralised installHint", async () => {
  let now = 0;
  const p = execPluginProvider({
    command: "kubexec-test-no-such-plugin",
    apiVersion: V1,
    interactiveMode: "Never",
    installHint: "\u001b[31mbrew install\u001b[0m it\n\tplease",
  }, { stdin: NOT_A_TERMINAL, env: { PATH: "/nonexistent" }, now: () => now });
  await assert.rejects(p.get(), (error: unknown) => {
    assert.ok(error instanceof ExecPluginNotFoundError);
    assert.equal(
      error.message,
      "getting credentials: exec: executable kubexec-test-no-such-plugin not found" +
        INSTALL_HINT_HELP + "\n\nU+001B[31mbrew installU+001B[0m it\n\tplease",
    );
    assert.ok(error.message.includes("It looks like you are trying to use a client-go credential"));
    return true;
  });
  for (let attempt = 2; attempt <= 10; attempt++) {
    await assert.rejects(p.get(), (error: unknown) => (error as ExecPluginNotFoundError).hintShown);
  }
  await assert.rejects(p.get(), (error: unknown) => {
    assert.ok(error instanceof ExecPluginNotFoundError);
    assert.equal(error.hintShown, false, "at most 10 hints an hour");
    assert.equal(
      error.message,
      "getting credentials: exec: executable kubexec-test-no-such-plugin not found",
    );
    return true;
  });
  now += 60 * 60 * 1000;
  await assert.rejects(p.get(), (error: unknown) => (error as ExecPluginNotFoundError).hintShown);
});

Deno.test("exec: a path that is not executable counts as not found; the path is cleaned", async () => {
  await using f = await fixture();
  const dir = f.env.PLUGIN_RECORD.replace(/\/record$/, "");
  const p = provider({ command: `${dir}/./sub/../record` }, f.env);
  await assert.rejects(p.get(), (error: unknown) => {
    assert.ok(error instanceof ExecPluginNotFoundError);
    assert.equal(error.command, `${dir}/record`);
    assert.ok(
      error.message.startsWith(`getting credentials: exec: executable ${dir}/record not found`),
    );
    return true;
  });
});

Deno.test("exec: non-zero exit names the code; stderr is passed through", async () => {
  await using f = await fixture({
    PLUGIN_EXIT: "3",
    PLUGIN_STDERR: "login expired, run sso login",
  });
  const stderr = collector();
  const p = provider({}, f.env, { pluginStderr: stderr.stream });
  await assert.rejects(p.get(), (error: unknown) => {
    assert.ok(error instanceof ExecPluginExitError);
    assert.equal(error.exitCode, 3);
    assert.equal(
      error.message,
      `getting credentials: exec: executable ${PLUGIN} failed with exit code 3`,
    );
    return true;
  });
  assert.equal(stderr.text(), "login expired, run sso login\n");
  assert.equal(await p.invalidate(), false, "a failed run caches nothing");
});

Deno.test("exec: stderr of a successful run is passed through too, and discarded without a sink", async () => {
  await using f = await fixture({ PLUGIN_STDERR: "fetching token" });
  const stderr = collector();
  await provider({}, f.env, { pluginStderr: stderr.stream }).get();
  assert.equal(stderr.text(), "fetching token\n");
  assert.deepEqual((await provider({}, f.env).get()).headers, [["Authorization", "Bearer tok-2"]]);
});

Deno.test("exec: stderr waits for a sink briefly held by another writer", async () => {
  await using f = await fixture({ PLUGIN_STDERR: "after the lock" });
  const stderr = collector();
  const other = stderr.stream.getWriter();
  const pending = provider({}, f.env, { pluginStderr: stderr.stream }).get();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await other.write(new TextEncoder().encode("cli line\n"));
  other.releaseLock();
  await pending;
  assert.equal(stderr.text(), "cli line\nafter the lock\n");
});

Deno.test("exec: a broken stderr sink does not block or fail the plugin", async () => {
  await using f = await fixture({ PLUGIN_STDERR: "noise" });
  const broken = new WritableStream<Uint8Array>({
    write() {
      throw new Error("sink closed");
    },
  });
  assert.deepEqual(
    (await provider({}, f.env, { pluginStderr: broken }).get()).headers,
    [["Authorization", "Bearer tok-1"]],
  );
});

Deno.test("exec: interactive modes follow stdin state", async (t) => {
  const cases: {
    mode: "Never" | "IfAvailable" | "Always";
    stdin: { isTerminal: boolean; inUse: boolean; unavailableMessage?: string };
    expect: boolean | string;
  }[] = [
    { mode: "Never", stdin: { isTerminal: true, inUse: false }, expect: false },
    { mode: "IfAvailable", stdin: { isTerminal: true, inUse: false }, expect: true },
    { mode: "IfAvailable", stdin: { isTerminal: false, inUse: false }, expect: false },
    { mode: "IfAvailable", stdin: { isTerminal: true, inUse: true }, expect: false },
    { mode: "Always", stdin: { isTerminal: true, inUse: false }, expect: true },
    {
      mode: "Always",
      stdin: { isTerminal: false, inUse: false },
      expect: "standard input is not a terminal",
    },
    {
      mode: "Always",
      stdin: { isTerminal: true, inUse: true },
      expect: "standard input is unavailable",
    },
    {
      mode: "Always",
      stdin: { isTerminal: true, inUse: true, unavailableMessage: "used by stdin of the pod" },
      expect: "standard input is unavailable: used by stdin of the pod",
    },
  ];
  for (const c of cases) {
    await t.step(`${c.mode} ${JSON.stringify(c.stdin)}`, async () => {
      await using f = await fixture();
      const p = provider({ interactiveMode: c.mode }, f.env, { stdin: c.stdin });
      if (typeof c.expect === "string") {
        await assert.rejects(p.get(), (error: unknown) => {
          assert.ok(error instanceof ExecInteractiveModeError);
          assert.equal(
            error.message,
            `getting credentials: exec plugin cannot support interactive mode: ${c.expect}`,
          );
          return true;
        });
        assert.deepEqual(await f.runs(), []);
      } else {
        await p.get();
        assert.deepEqual(await f.runs(), [
          `{"kind":"ExecCredential","apiVersion":"${V1}","spec":{"interactive":${c.expect}}}\n`,
        ]);
      }
    });
  }
});

Deno.test("exec: an interactive plugin reads our stdin, which stays usable afterwards", async () => {
  await using f = await fixture({ PLUGIN_READ_STDIN: "1" });
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stdin = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  controller.enqueue(encoder.encode("123456\n"));
  const p = provider({ interactiveMode: "Always" }, f.env, {
    stdin: { isTerminal: true, inUse: false },
    pluginStdin: stdin,
  });
  assert.deepEqual((await p.get()).headers, [["Authorization", "Bearer tok-1"]]);
  assert.equal(await f.stdinLines(), "123456\n");
  assert.equal(stdin.locked, false, "stdin released, not cancelled");
  controller.enqueue(encoder.encode("later"));
  controller.close();
  const reader = stdin.getReader();
  const rest: string[] = [];
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    rest.push(new TextDecoder().decode(r.value));
  }
  assert.equal(rest.join(""), "later");
});

Deno.test("exec: a locked stdin stream is reported before the plugin runs", async () => {
  await using f = await fixture({ PLUGIN_READ_STDIN: "1" });
  const stdin = new ReadableStream<Uint8Array>();
  const reader = stdin.getReader();
  const p = provider({ interactiveMode: "IfAvailable" }, f.env, {
    stdin: { isTerminal: true, inUse: false },
    pluginStdin: stdin,
  });
  await assert.rejects(
    p.get(),
    /^ExecPluginError: getting credentials: exec: standard input for the interactive plugin is locked by another reader$/,
  );
  assert.deepEqual(await f.runs(), []);
  reader.releaseLock();
});

Deno.test("exec: a non-interactive plugin never sees our stdin", async () => {
  await using f = await fixture({ PLUGIN_READ_STDIN: "1" });
  const stdin = new ReadableStream<Uint8Array>({
    pull(c) {
      c.enqueue(new TextEncoder().encode("secret-input\n"));
    },
  });
  await provider({ interactiveMode: "IfAvailable" }, f.env, {
    stdin: { isTerminal: true, inUse: true },
    pluginStdin: stdin,
  }).get();
  assert.equal(await f.stdinLines(), "\n", "the plugin read an empty stdin");
  assert.equal(stdin.locked, false);
});

Deno.test("exec: malformed output gives named errors that never quote the output", async (t) => {
  const secret = "s3cr3t-plugin-token";
  const configured = `exec plugin is configured to use API version ${V1}, plugin returned version `;
  const cases: [string, string, string][] = [
    [
      "not JSON",
      `token=${secret}`,
      "decoding stdout: couldn't get version/kind; json parse error: output is not valid JSON",
    ],
    ["only whitespace", " \n", `${configured}client.authentication.k8s.io/__internal`],
    [
      "array",
      `["${secret}"]`,
      "decoding stdout: couldn't get version/kind; json parse error: output is not a JSON object",
    ],
    [
      "kind not a string",
      JSON.stringify({ apiVersion: V1, kind: 1, status: { token: secret } }),
      "decoding stdout: couldn't get version/kind; json parse error: kind must be a string",
    ],
    [
      "no apiVersion",
      JSON.stringify({ kind: "ExecCredential", status: { token: secret } }),
      `${configured}client.authentication.k8s.io/__internal`,
    ],
    [
      "other version",
      JSON.stringify({ apiVersion: V1BETA1, kind: "ExecCredential", status: { token: secret } }),
      `${configured}${V1BETA1}`,
    ],
    [
      "other kind",
      JSON.stringify({ apiVersion: V1, kind: "Secret", status: { token: secret } }),
      `decoding stdout: no kind "Secret" is registered for version "${V1}"`,
    ],
    [
      "no status",
      JSON.stringify({ apiVersion: V1, kind: "ExecCredential" }),
      "exec plugin didn't return a status field",
    ],
    [
      "empty status",
      JSON.stringify({ apiVersion: V1, kind: "ExecCredential", status: {} }),
      "exec plugin didn't return a token or cert/key pair",
    ],
    [
      "cert without key",
      JSON.stringify({
        apiVersion: V1,
        kind: "ExecCredential",
        status: { clientCertificateData: `-----BEGIN CERTIFICATE-----\n${secret}` },
      }),
      "exec plugin returned only certificate or key, not both",
    ],
    [
      "key without cert",
      JSON.stringify({
        apiVersion: V1,
        kind: "ExecCredential",
        status: { token: secret, clientKeyData: secret },
      }),
      "exec plugin returned only certificate or key, not both",
    ],
    [
      "not PEM",
      JSON.stringify({
        apiVersion: V1,
        kind: "ExecCredential",
        status: { clientCertificateData: secret, clientKeyData: secret },
      }),
      "failed parsing client key/certificate: no PEM certificate in clientCertificateData",
    ],
    [
      "token not a string",
      JSON.stringify({ apiVersion: V1, kind: "ExecCredential", status: { token: [secret] } }),
      "decoding stdout: status.token must be a string",
    ],
    [
      "bad expiry",
      JSON.stringify({
        apiVersion: V1,
        kind: "ExecCredential",
        status: { token: secret, expirationTimestamp: "tomorrow" },
      }),
      "decoding stdout: status.expirationTimestamp is not an RFC 3339 time",
    ],
  ];
  for (const [name, output, problem] of cases) {
    await t.step(name, async () => {
      await using f = await fixture({ PLUGIN_OUTPUT: output });
      await assert.rejects(provider({}, f.env).get(), (error: unknown) => {
        assert.ok(error instanceof ExecCredentialFormatError);
        assert.equal(error.message, `getting credentials: ${problem}`);
        assert.ok(!String(error).includes(secret));
        assert.ok(!(error.stack ?? "").includes(secret));
        return true;
      });
    });
  }
});

Deno.test("exec: output without kind is accepted, as client-go defaults it", async () => {
  await using f = await fixture({
    PLUGIN_OUTPUT: JSON.stringify({ apiVersion: V1, status: { token: "no-kind" } }),
  });
  assert.deepEqual((await provider({}, f.env).get()).headers, [[
    "Authorization",
    "Bearer no-kind",
  ]]);
});

Deno.test("exec: output beyond the limit is refused and the plugin stopped", async () => {
  await using f = await fixture();
  await assert.rejects(
    provider({}, f.env, { maxOutputBytes: 16 }).get(),
    (error: unknown) => {
      assert.ok(error instanceof ExecCredentialFormatError);
      assert.equal(
        error.message,
        "getting credentials: decoding stdout: the plugin printed more than 16 bytes",
      );
      return true;
    },
  );
});
