import assert from "node:assert/strict";
import { emptyConfig, type LoadedConfig } from "../../lib/kubeconfig/config.ts";
import {
  contextsTable,
  currentContextName,
  renderJson,
  tabulate,
  viewConfig,
} from "../../lib/kubeconfig/view.ts";
import { KubeconfigError } from "../../lib/kubeconfig/errors.ts";
import { withTempDir, writeFiles } from "./support.ts";

function sample(origin = ""): LoadedConfig {
  const config = emptyConfig();
  config.clusters.set("c", {
    value: { server: "https://c", "certificate-authority-data": btoa("CA") },
    origin,
  });
  config.clusters.set("other", { value: { server: "https://o" }, origin });
  config.users.set("u", {
    value: {
      "client-certificate-data": btoa("CERT"),
      "client-key-data": btoa("KEY"),
      token: "tok",
      password: "pw",
      username: "name",
      "auth-provider": { name: "oidc", config: { "client-secret": "shown-like-kubectl" } },
      exec: { command: "x", env: [{ name: "E", value: "shown-like-kubectl" }] },
    },
    origin,
  });
  config.contexts.set("x", { value: { cluster: "c", user: "u", namespace: "n" }, origin });
  config.contexts.set("a", { value: { cluster: "other" }, origin });
  config.currentContext = "x";
  return config;
}

Deno.test("view redacts like kubectl: data omitted, token and password redacted", async () => {
  const view = await viewConfig(sample());
  const users = view.users as { user: Record<string, unknown> }[];
  assert.deepEqual(users[0].user["client-certificate-data"], "DATA+OMITTED");
  assert.deepEqual(users[0].user["client-key-data"], "DATA+OMITTED");
  assert.deepEqual(users[0].user.token, "REDACTED");
  assert.deepEqual(users[0].user.password, "REDACTED");
  assert.deepEqual(users[0].user.username, "name");
  const text = renderJson(view);
  assert.ok(!text.includes('tok"') && !text.includes(btoa("KEY")) && !text.includes('"pw"'));
  assert.ok(text.includes("shown-like-kubectl"));
  const clusters = view.clusters as { name: string; cluster: Record<string, unknown> }[];
  assert.deepEqual(clusters.map((entry) => entry.name), ["c", "other"]);
  assert.equal(clusters[0].cluster["certificate-authority-data"], "DATA+OMITTED");
});

Deno.test("view --raw shows everything; field order and nulls as kubectl prints them", async () => {
  const view = await viewConfig(sample(), { raw: true });
  assert.deepEqual(Object.keys(view), [
    "kind",
    "apiVersion",
    "preferences",
    "clusters",
    "users",
    "contexts",
    "current-context",
  ]);
  const user = (view.users as { user: Record<string, unknown> }[])[0].user;
  assert.equal(user.token, "tok");
  assert.equal(user["client-key-data"], btoa("KEY"));
  assert.deepEqual(user.exec, {
    command: "x",
    args: null,
    env: [{ name: "E", value: "shown-like-kubectl" }],
    provideClusterInfo: false,
  });
  const empty = await viewConfig(emptyConfig());
  assert.deepEqual(empty, {
    kind: "Config",
    apiVersion: "v1",
    preferences: {},
    clusters: null,
    users: null,
    contexts: null,
    "current-context": "",
  });
});

Deno.test("view --minify keeps the current (or --context) context and what it uses", async () => {
  const minified = await viewConfig(sample(), { minify: true, raw: true });
  assert.deepEqual((minified.contexts as { name: string }[]).map((entry) => entry.name), ["x"]);
  assert.deepEqual((minified.clusters as { name: string }[]).map((entry) => entry.name), ["c"]);
  const other = await viewConfig(sample(), { minify: true, context: "a" });
  assert.equal(other["current-context"], "a");
  assert.equal(other.users, null);
});

Deno.test("view --minify errors are kubectl's", async () => {
  const cases: [(config: LoadedConfig) => void, string][] = [
    [(config) => config.currentContext = "", "current-context must exist in order to minify"],
    [(config) => config.currentContext = "gone", "cannot locate context gone"],
    [(config) => config.clusters.delete("c"), "cannot locate cluster c"],
    [(config) => config.users.delete("u"), "cannot locate user u"],
  ];
  for (const [breakIt, message] of cases) {
    const config = sample();
    breakIt(config);
    await assert.rejects(
      () => viewConfig(config, { minify: true }),
      (error: unknown) => error instanceof KubeconfigError && error.message === message,
    );
  }
});

Deno.test("view --flatten inlines files relative to their kubeconfig, and refuses path plus data", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, { "k/ca.crt": "CA FILE", "k/c.crt": "CERT FILE", "k/c.key": "KEY FILE" });
    const config = emptyConfig();
    config.clusters.set("c", {
      value: { server: "https://c", "certificate-authority": "ca.crt" },
      origin: `${dir}/k/config`,
    });
    config.users.set("u", {
      value: { "client-certificate": "c.crt", "client-key": `${dir}/k/c.key`, tokenFile: "t" },
      origin: `${dir}/k/config`,
    });
    const view = await viewConfig(config, { flatten: true });
    assert.deepEqual((view.clusters as { cluster: unknown }[])[0].cluster, {
      server: "https://c",
      "certificate-authority-data": btoa("CA FILE"),
    });
    assert.deepEqual((view.users as { user: unknown }[])[0].user, {
      "client-certificate-data": btoa("CERT FILE"),
      "client-key-data": btoa("KEY FILE"),
      tokenFile: "t",
    });
    config.clusters.set("c", {
      value: {
        server: "https://c",
        "certificate-authority": "ca.crt",
        "certificate-authority-data": "QQ==",
      },
      origin: `${dir}/k/config`,
    });
    await assert.rejects(
      () => viewConfig(config, { flatten: true }),
      (error: unknown) =>
        error instanceof KubeconfigError &&
        error.message === "cannot have values for both path and contents",
    );
    config.clusters.set("c", {
      value: { server: "https://c", "certificate-authority": "missing.crt" },
      origin: `${dir}/k/config`,
    });
    await assert.rejects(
      () => viewConfig(config, { flatten: true }),
      (error: unknown) =>
        error instanceof KubeconfigError &&
        error.message === `open ${dir}/k/missing.crt: no such file or directory`,
    );
  });
});

Deno.test("renderJson indents by four and escapes like Go's encoder", () => {
  assert.equal(
    renderJson({ a: ["<b> & c\u2028"] }),
    '{\n    "a": [\n        "\\u003cb\\u003e \\u0026 c\\u2028"\n    ]\n}\n',
  );
});

Deno.test("tabulate lays out columns like kubectl's tabwriter", () => {
  assert.equal(
    tabulate([["CURRENT", "NAME", "NAMESPACE"], ["*", "a", ""], [" ", "longer-name", "ns"]]),
    "CURRENT   NAME          NAMESPACE\n*         a             \n          longer-name   ns\n",
  );
  assert.equal(tabulate([["", "x", "y"]]), "      x     y\n");
});

Deno.test("get-contexts: sorted rows, the current one starred, names filtered", () => {
  const config = sample();
  assert.equal(
    contextsTable(config).text,
    "CURRENT   NAME   CLUSTER   AUTHINFO   NAMESPACE\n" +
      "          a      other                \n" +
      "*         x      c         u          n\n",
  );
  const filtered = contextsTable(config, { names: ["x", "nope"], noHeaders: true });
  assert.equal(filtered.text, "*     x     c     u     n\n");
  assert.deepEqual(filtered.problems, ["context nope not found"]);
  assert.equal(contextsTable(config, { nameOnly: true }).text, "a\nx\n");
});

Deno.test("current-context: the name, or kubectl's error", () => {
  assert.equal(currentContextName(sample()), "x");
  assert.throws(
    () => currentContextName(emptyConfig()),
    /^KubeconfigError: current-context is not set$/,
  );
});
