import assert from "node:assert/strict";
import {
  homeDirectory,
  loadingPrecedence,
  loadKubeconfig,
  loadKubeconfigFile,
} from "../../lib/kubeconfig/load.ts";
import {
  FileReadError,
  KubeconfigLoadError,
  KubeconfigLoadErrors,
} from "../../lib/kubeconfig/errors.ts";
import { envFrom, withTempDir, writeFiles } from "./support.ts";

const CLUSTER_A = "clusters:\n- name: shared\n  cluster: {server: https://a}\n";

Deno.test("--kubeconfig is the only file read, KUBECONFIG and HOME are ignored", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "explicit": "current-context: explicit\n",
      "listed": "current-context: listed\n",
      "home/.kube/config": "current-context: home\n",
    });
    const env = envFrom({ KUBECONFIG: `${dir}/listed`, HOME: `${dir}/home` });
    const config = await loadKubeconfig({ kubeconfig: `${dir}/explicit`, env });
    assert.equal(config.currentContext, "explicit");
    assert.deepEqual(config.files, [`${dir}/explicit`]);
  });
});

Deno.test("a missing --kubeconfig file is an error worded like kubectl's stat error", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      () => loadKubeconfig({ kubeconfig: `${dir}/nope`, env: envFrom({}) }),
      (error: unknown) =>
        error instanceof FileReadError &&
        error.message === `stat ${dir}/nope: no such file or directory`,
    );
  });
});

Deno.test("KUBECONFIG: list order, duplicates dropped, empty and missing entries skipped", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, { "one": "current-context: one\n", "two": "current-context: two\n" });
    const list = `${dir}/missing::${dir}/one:${dir}/two:${dir}/one`;
    const precedence = await loadingPrecedence({ env: envFrom({ KUBECONFIG: list }), os: "linux" });
    assert.deepEqual(precedence.paths, [`${dir}/missing`, `${dir}/one`, `${dir}/two`]);
    const config = await loadKubeconfig({ env: envFrom({ KUBECONFIG: list }) });
    assert.equal(config.currentContext, "one");
    assert.deepEqual(config.files, [`${dir}/one`, `${dir}/two`]);
  });
});

Deno.test("KUBECONFIG uses ';' on Windows", async () => {
  const precedence = await loadingPrecedence({
    env: envFrom({ KUBECONFIG: "C:\\a\\config;C:\\b\\config" }),
    os: "windows",
  });
  assert.deepEqual(precedence.paths, ["C:\\a\\config", "C:\\b\\config"]);
});

Deno.test("every KUBECONFIG file missing: empty config and client-go's -v=4 line", async () => {
  const logged: string[] = [];
  const config = await loadKubeconfig({
    env: envFrom({ KUBECONFIG: "/nonexistent/a:/nonexistent/b" }),
    verbose: (message) => logged.push(message),
  });
  assert.equal(config.clusters.size, 0);
  assert.deepEqual(logged, ["Config not found: /nonexistent/a, /nonexistent/b"]);
});

Deno.test("without KUBECONFIG the default is $HOME/.kube/config, and a missing one is fine", async () => {
  await withTempDir(async (dir) => {
    const env = envFrom({ HOME: dir });
    assert.deepEqual((await loadingPrecedence({ env, os: "linux" })).paths, [
      `${dir}/.kube/config`,
    ]);
    assert.equal((await loadKubeconfig({ env })).files.length, 0);
    await writeFiles(dir, { ".kube/config": "current-context: from-home\n" });
    assert.equal((await loadKubeconfig({ env })).currentContext, "from-home");
  });
});

Deno.test("Windows home: the first existing of HOME, HOMEDRIVE+HOMEPATH, USERPROFILE", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/profile`);
    const env = envFrom({
      HOME: `${dir}/nohome`,
      HOMEDRIVE: "Z:",
      HOMEPATH: "\\nowhere",
      USERPROFILE: `${dir}/profile`,
    });
    assert.equal(await homeDirectory(env, "windows"), `${dir}/profile`);
    assert.equal(await homeDirectory(envFrom({ USERPROFILE: "Q:\\x" }), "windows"), "Q:\\x");
    assert.equal(await homeDirectory(envFrom({}), "linux"), undefined);
  });
});

Deno.test("merge: the first file to define a name wins the whole entry", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "first": CLUSTER_A + "users:\n- name: u\n  user: {token: first}\n",
      "second":
        "clusters:\n- name: shared\n  cluster: {server: https://b, insecure-skip-tls-verify: true}\n" +
        "- name: extra\n  cluster: {server: https://extra}\n" +
        "users:\n- name: u\n  user: {username: second, password: p}\n",
    });
    const config = await loadKubeconfig({
      env: envFrom({ KUBECONFIG: `${dir}/first:${dir}/second` }),
    });
    assert.deepEqual(config.clusters.get("shared"), {
      value: { server: "https://a" },
      origin: `${dir}/first`,
    });
    assert.deepEqual(config.users.get("u")?.value, { token: "first" });
    assert.equal(config.clusters.get("extra")?.origin, `${dir}/second`);
  });
});

Deno.test("merge: first non-empty current-context, colors and extensions by name", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "a": 'current-context: ""\npreferences: {extensions: [{name: p, extension: 1}]}\n' +
        "extensions: [{name: e, extension: a}]\n",
      "b":
        "current-context: b\npreferences: {colors: true, extensions: [{name: p, extension: 2}, {name: q, extension: 3}]}\n" +
        "extensions: [{name: e, extension: b}, {name: f, extension: b}]\n",
      "c": "current-context: c\n",
    });
    const config = await loadKubeconfig({
      env: envFrom({ KUBECONFIG: `${dir}/a:${dir}/b:${dir}/c` }),
    });
    assert.equal(config.currentContext, "b");
    assert.equal(config.preferences.colors, true);
    assert.deepEqual([...config.preferences.extensions], [["p", 1], ["q", 3]]);
    assert.deepEqual([...config.extensions], [["e", "a"], ["f", "b"]]);
  });
});

Deno.test("an unreadable or undecodable file in KUBECONFIG is an error naming it", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/a-directory`);
    await assert.rejects(
      () => loadKubeconfig({ env: envFrom({ KUBECONFIG: `${dir}/a-directory` }) }),
      (error: unknown) =>
        error instanceof KubeconfigLoadError &&
        error.message.startsWith(`error loading config file "${dir}/a-directory": read `),
    );
  });
});

Deno.test("every broken file in KUBECONFIG is reported, a line each, as kubectl does", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      bad1: "clusters: [\n",
      good: "apiVersion: v1\nkind: Config\n",
      bad2: "users: 3\n",
    });
    const env = envFrom({ KUBECONFIG: `${dir}/bad1:${dir}/good:${dir}/bad2` });
    await assert.rejects(() => loadKubeconfig({ env }), (error: unknown) => {
      assert.ok(error instanceof KubeconfigLoadErrors);
      assert.deepEqual(error.errors.map((e) => e.file), [`${dir}/bad1`, `${dir}/bad2`]);
      assert.equal(error.userMessage.split("\n").length, 2);
      assert.match(error.userMessage, /^error loading config file ".*\/bad1": [^\n]+\n/);
      assert.match(error.userMessage, /\nerror loading config file ".*\/bad2": [^\n]+$/);
      return true;
    });
    // One broken file among good ones: its own error, as before.
    const one = envFrom({ KUBECONFIG: `${dir}/good:${dir}/bad2` });
    await assert.rejects(
      () => loadKubeconfig({ env: one }),
      (error: unknown) => error instanceof KubeconfigLoadError && error.file === `${dir}/bad2`,
    );
  });
});

Deno.test("a repeated key in a kubeconfig: the later one wins, as kubectl reads it", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      config: "users:\n- name: u\n  user: {token: first}\n" +
        "users:\n- name: u\n  user: {token: second}\n",
    });
    const config = await loadKubeconfigFile(`${dir}/config`);
    assert.equal(config.users.get("u")?.value.token, "second");
  });
});

Deno.test("paths are kept as written; entries remember their file", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "k/config":
        "clusters:\n- name: c\n  cluster: {server: https://c, certificate-authority: ca.crt}\n" +
        "users:\n- name: u\n  user: {client-certificate: ./c.crt, client-key: /abs/c.key, tokenFile: t,\n" +
        "    exec: {command: bin/x, apiVersion: client.authentication.k8s.io/v1beta1}}\n",
    });
    const config = await loadKubeconfigFile(`${dir}/k/config`);
    assert.equal(config.clusters.get("c")?.value["certificate-authority"], "ca.crt");
    const user = config.users.get("u")!;
    assert.equal(user.origin, `${dir}/k/config`);
    assert.equal(user.value["client-certificate"], "./c.crt");
    assert.equal(user.value.exec?.interactiveMode, "IfAvailable");
  });
});

Deno.test("an empty file is an empty config; JSON files load", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "empty": "",
      "json": '{"clusters": [{"name": "j", "cluster": {"server": "https://j"}}]}',
    });
    assert.equal((await loadKubeconfigFile(`${dir}/empty`)).clusters.size, 0);
    assert.equal(
      (await loadKubeconfigFile(`${dir}/json`)).clusters.get("j")?.value.server,
      "https://j",
    );
  });
});

Deno.test("unknown fields are tolerated and keys are case-sensitive", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "config":
        "future: 1\nclusters:\n- name: c\n  cluster: {server: https://c, Server: https://no, new-field: [1]}\n",
    });
    const config = await loadKubeconfigFile(`${dir}/config`);
    assert.deepEqual(config.clusters.get("c")?.value, { server: "https://c" });
  });
});

Deno.test("YAML syntax errors carry file:line:col and no excerpt", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, { "config": 'users:\n- name: u\n  user: {token: "s3cret\n' });
    await assert.rejects(
      () => loadKubeconfigFile(`${dir}/config`),
      (error: unknown) =>
        error instanceof KubeconfigLoadError && error.position !== undefined &&
        error.message.startsWith(`error loading config file "${dir}/config": ${dir}/config:3:`) &&
        !error.message.includes("\n") && !error.message.includes("s3cret"),
    );
  });
});

Deno.test("type errors name the field path and position", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "config":
        "users:\n- name: a\n  user: {token: ok}\n- name: b\n  user:\n    username: admin\n    as-uid: 1234\n",
    });
    await assert.rejects(
      () => loadKubeconfigFile(`${dir}/config`),
      (error: unknown) =>
        error instanceof KubeconfigLoadError &&
        error.problem === "users[1].user.as-uid: expected a string, found a number" &&
        error.position?.line === 7 && error.position.column === 5,
    );
  });
});
