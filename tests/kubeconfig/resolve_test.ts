import assert from "node:assert/strict";
import { resolveRestConfig } from "../../lib/kubeconfig/resolve.ts";
import { ConfigurationInvalidError, KubeconfigError } from "../../lib/kubeconfig/errors.ts";
import { InvalidTimeoutError } from "../../lib/kubeconfig/overrides.ts";
import { envFrom, kubeconfigText, withTempDir, writeFiles } from "./support.ts";

// A placeholder with the shape a CA bundle check looks for: one CERTIFICATE block of DER.
const CA_PEM = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
const CERT_PEM = "-----BEGIN CERTIFICATE-----\nY2VydA==\n-----END CERTIFICATE-----\n";
const KEY_PEM = "-----BEGIN PRIVATE KEY-----\nsecret-key-material\n-----END PRIVATE KEY-----\n";
const b64 = (text: string) => btoa(text);
const NO_ENV = envFrom({});
/** In-cluster paths that never exist, so the fallback stays off unless a test enables it. */
const NOT_IN_POD = {
  tokenPath: "/nonexistent/token",
  caPath: "/nonexistent/ca.crt",
  namespacePath: "/nonexistent/namespace",
};

async function resolveText(
  text: string,
  overrides: Record<string, unknown> = {},
  env = NO_ENV,
) {
  return await withTempDir(async (dir) => {
    await writeFiles(dir, { config: text });
    return await resolveRestConfig({ kubeconfig: `${dir}/config`, ...overrides }, {
      env,
      inCluster: NOT_IN_POD,
    });
  });
}

async function rejectsWith(promise: Promise<unknown>, message: string | RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof KubeconfigError, `not a KubeconfigError: ${error}`);
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

Deno.test("current-context selects cluster, user and namespace", async () => {
  const config = await resolveText(kubeconfigText({
    cluster: { "certificate-authority-data": b64(CA_PEM), "tls-server-name": "api" },
    user: { token: "tok" },
    context: { namespace: "team" },
  }));
  assert.equal(config.server, "https://127.0.0.1:6443");
  assert.deepEqual(config.tls, { caPem: CA_PEM, serverName: "api" });
  assert.deepEqual(config.auth, { token: "tok" });
  assert.equal(config.namespace, "team");
  assert.equal(config.namespaceExplicit, true);
  assert.equal(config.contextName, "x");
  assert.equal(config.clusterName, "c");
  assert.equal(config.userName, "u");
});

Deno.test("an unknown context is reported as kubectl does, with and without -n", async () => {
  const text = kubeconfigText({ user: { token: "t" } });
  await rejectsWith(
    resolveText(text, { context: "nope" }),
    "context was not found for specified context: nope",
  );
  await rejectsWith(
    resolveText(text, { context: "nope", namespace: "n" }),
    'context "nope" does not exist',
  );
  await assert.rejects(
    () => resolveText(kubeconfigText({ user: { token: "t" }, currentContext: "gone" })),
    (error: unknown) =>
      error instanceof ConfigurationInvalidError &&
      error.message === "context was not found for specified context: gone" &&
      error.userMessage ===
        "Error in configuration: context was not found for specified context: gone",
  );
});

Deno.test("--user and --cluster naming unknown entries", async () => {
  const text = kubeconfigText({ user: { token: "t" } });
  await rejectsWith(resolveText(text, { user: "zz" }), 'auth info "zz" does not exist');
  await rejectsWith(resolveText(text, { cluster: "zz" }), 'no server found for cluster "zz"');
});

Deno.test("an empty configuration dials kubectl's default server, KUBERNETES_MASTER or --server", async () => {
  // kubectl says "The connection to the server localhost:8080 was refused" on a fresh machine.
  const fresh = await resolveText("");
  assert.equal(fresh.server, "http://localhost:8080");
  assert.deepEqual(fresh.auth, {});
  const fromMaster = await resolveText("", {}, envFrom({ KUBERNETES_MASTER: "https://m:6443" }));
  assert.equal(fromMaster.server, "https://m:6443");
  const fromFlags = await resolveText("", { server: "https://s:6443", token: "flag-token" });
  assert.equal(fromFlags.server, "https://s:6443");
  assert.equal(fromFlags.auth.token, "flag-token");
  assert.equal(fromFlags.namespace, "default");
  assert.equal(fromFlags.namespaceExplicit, false);
});

Deno.test("a context whose cluster is missing falls back to http://localhost:8080 like kubectl", async () => {
  const config = await resolveText(
    kubeconfigText({ user: { token: "t" }, context: { cluster: "missing" } }),
  );
  assert.equal(config.server, "http://localhost:8080");
  assert.deepEqual(config.auth, {});
});

Deno.test("--server replaces the server and drops tls-server-name unless given too", async () => {
  const text = kubeconfigText({
    cluster: { "tls-server-name": "from-file" },
    user: { token: "t" },
  });
  const replaced = await resolveText(text, { server: "https://other:443" });
  assert.equal(replaced.server, "https://other:443");
  assert.equal(replaced.tls.serverName, undefined);
  const both = await resolveText(text, { server: "https://other:443", tlsServerName: "flag" });
  assert.equal(both.tls.serverName, "flag");
  const nameOnly = await resolveText(text, { tlsServerName: "flag" });
  assert.equal(nameOnly.tls.serverName, "flag");
});

Deno.test("--certificate-authority and --insecure-skip-tls-verify replace each other", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, { "flag-ca.crt": "FLAG CA" });
    const text = kubeconfigText({
      cluster: { "certificate-authority-data": b64(CA_PEM) },
      user: { token: "t" },
    });
    const withCa = await resolveText(text, { certificateAuthority: `${dir}/flag-ca.crt` });
    assert.deepEqual(withCa.tls, { caPem: "FLAG CA" });
    const insecure = await resolveText(text, { insecureSkipTlsVerify: true });
    assert.deepEqual(insecure.tls, { insecure: true });
  });
});

Deno.test("CA data together with insecure-skip-tls-verify is refused like client-go", async () => {
  await rejectsWith(
    resolveText(kubeconfigText({
      cluster: { "certificate-authority-data": b64(CA_PEM), "insecure-skip-tls-verify": true },
      user: { token: "t" },
    })),
    /^specifying a root certificates file with the insecure flag is not allowed \(in .*config\)$/,
  );
});

Deno.test("client certificate and key: data decoded, flags replace data with files", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, { "flag.crt": "FLAG CERT", "flag.key": "FLAG KEY" });
    const text = kubeconfigText({
      user: { "client-certificate-data": b64(CERT_PEM), "client-key-data": b64(KEY_PEM) },
    });
    const fromData = await resolveText(text);
    assert.equal(fromData.tls.certPem, CERT_PEM);
    assert.equal(fromData.tls.keyPem, KEY_PEM);
    const fromFlags = await resolveText(text, {
      clientCertificate: `${dir}/flag.crt`,
      clientKey: `${dir}/flag.key`,
    });
    assert.equal(fromFlags.tls.certPem, "FLAG CERT");
    assert.equal(fromFlags.tls.keyPem, "FLAG KEY");
  });
});

Deno.test("relative paths resolve against the defining file's directory", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "kube/certs/ca.crt": CA_PEM,
      "kube/certs/c.crt": CERT_PEM,
      "kube/c.key": KEY_PEM,
      "kube/token": "  file-token\n",
      "kube/config": kubeconfigText({
        cluster: { "certificate-authority": "certs/ca.crt" },
        user: {
          "client-certificate": "./certs/c.crt",
          "client-key": "certs/../c.key",
          tokenFile: "token",
        },
      }),
      "plugins/config": kubeconfigText({
        user: {
          exec: {
            command: "bin/helper",
            apiVersion: "client.authentication.k8s.io/v1",
            interactiveMode: "Never",
          },
        },
      }),
      "path-plugin/config": kubeconfigText({
        user: {
          exec: {
            command: "helper",
            apiVersion: "client.authentication.k8s.io/v1",
            interactiveMode: "Never",
          },
        },
      }),
    });
    const options = { env: NO_ENV, inCluster: NOT_IN_POD };
    const config = await resolveRestConfig({ kubeconfig: `${dir}/kube/config` }, options);
    assert.equal(config.tls.caPem, CA_PEM);
    assert.equal(config.tls.certPem, CERT_PEM);
    assert.equal(config.tls.keyPem, KEY_PEM);
    assert.deepEqual(config.auth, { token: "file-token", tokenFile: `${dir}/kube/token` });
    const plugin = await resolveRestConfig({ kubeconfig: `${dir}/plugins/config` }, options);
    assert.equal(plugin.auth.exec?.command, `${dir}/plugins/bin/helper`);
    const onPath = await resolveRestConfig({ kubeconfig: `${dir}/path-plugin/config` }, options);
    assert.equal(onPath.auth.exec?.command, "helper");
  });
});

Deno.test("token and tokenFile: both are passed on; --token keeps a configured tokenFile", async () => {
  const both = await resolveText(kubeconfigText({ user: { token: "inline", tokenFile: "/t" } }));
  assert.deepEqual(both.auth, { token: "inline", tokenFile: "/t" });
  await withTempDir(async (dir) => {
    await writeFiles(dir, { token: "from-file\n" });
    const flagged = await resolveText(
      kubeconfigText({ user: { tokenFile: `${dir}/token` } }),
      { token: "from-flag" },
    );
    assert.deepEqual(flagged.auth, { token: "from-flag", tokenFile: `${dir}/token` });
  });
  await rejectsWith(
    resolveText(kubeconfigText({ user: { tokenFile: "/nonexistent/token" } })),
    "open /nonexistent/token: no such file or directory",
  );
  // Go opens a directory and fails on the read: kubectl says "read", not "open".
  await withTempDir(async (dir) => {
    await rejectsWith(
      resolveText(kubeconfigText({ user: { tokenFile: dir } })),
      `read ${dir}: is a directory`,
    );
  });
});

Deno.test("basic auth from the file or the flags", async () => {
  const config = await resolveText(kubeconfigText({ user: { username: "admin", password: "pw" } }));
  assert.deepEqual(config.auth, { username: "admin", password: "pw" });
  const flagged = await resolveText(kubeconfigText({}), { username: "f", password: "fp" });
  assert.deepEqual(flagged.auth, { username: "f", password: "fp" });
});

Deno.test("exec plugins get cluster info when provideClusterInfo, with the exec extension", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, { "ca.crt": CA_PEM });
    const config = await resolveText(kubeconfigText({
      cluster: {
        server: "https://api.example.com:6443/prefix",
        "certificate-authority": `${dir}/ca.crt`,
        "tls-server-name": "kubernetes",
        "proxy-url": "socks5://127.0.0.1:1080",
        "disable-compression": true,
        extensions: [
          { name: "client.authentication.k8s.io/exec", extension: { audience: "aud" } },
          { name: "other", extension: 1 },
        ],
      },
      user: {
        exec: {
          command: "helper",
          args: ["a"],
          env: [{ name: "K", value: "V" }],
          apiVersion: "client.authentication.k8s.io/v1",
          interactiveMode: "IfAvailable",
          provideClusterInfo: true,
          installHint: "install \u001b[31mhelper\u001b[0m",
        },
      },
    }));
    assert.deepEqual(config.auth.exec, {
      command: "helper",
      args: ["a"],
      env: [{ name: "K", value: "V" }],
      apiVersion: "client.authentication.k8s.io/v1",
      interactiveMode: "IfAvailable",
      provideClusterInfo: true,
      installHint: "install U+001B[31mhelperU+001B[0m",
      cluster: {
        server: "https://api.example.com:6443/prefix",
        "tls-server-name": "kubernetes",
        "certificate-authority-data": b64(CA_PEM),
        "proxy-url": "socks5://127.0.0.1:1080",
        "disable-compression": true,
        config: { audience: "aud" },
      },
    });
    assert.equal(config.proxyUrl, "socks5://127.0.0.1:1080");
  });
});

Deno.test("exec without provideClusterInfo carries no cluster", async () => {
  const config = await resolveText(kubeconfigText({
    user: {
      exec: { command: "h", apiVersion: "client.authentication.k8s.io/v1beta1" },
    },
  }));
  assert.equal(config.auth.exec?.cluster, undefined);
  assert.equal(config.auth.exec?.interactiveMode, "IfAvailable");
});

Deno.test("impersonation from the kubeconfig, overridden by flags", async () => {
  const text = kubeconfigText({
    user: {
      token: "t",
      as: "jane",
      "as-uid": "42",
      "as-groups": ["a"],
      "as-user-extra": { scopes: ["view"] },
    },
  });
  const fromFile = await resolveText(text);
  assert.deepEqual(fromFile.impersonate, {
    user: "jane",
    uid: "42",
    groups: ["a"],
    extra: { scopes: ["view"] },
  });
  const fromFlags = await resolveText(text, { as: "bob", asGroups: ["x", "y"], asUid: "7" });
  assert.deepEqual(fromFlags.impersonate, {
    user: "bob",
    uid: "7",
    groups: ["x", "y"],
    extra: { scopes: ["view"] },
  });
  // From a flag, the problem is the command line's: no "(in FILE)", kubectl's words exactly.
  await rejectsWith(
    resolveText(kubeconfigText({ user: { token: "t" } }), { asGroups: ["g"] }),
    /^requesting uid, groups or user-extra for u without impersonating a user$/,
  );
  // From the file, the file is named.
  await rejectsWith(
    resolveText(kubeconfigText({ user: { token: "t", "as-groups": ["g"] } })),
    /^requesting uid, groups or user-extra for u without impersonating a user \(in .*\/config\)$/,
  );
});

Deno.test("plain http servers get neither credentials nor TLS settings", async () => {
  const text = kubeconfigText({
    cluster: { server: "http://127.0.0.1:8080", "tls-server-name": "x" },
    user: { token: "must-not-leak", as: "jane" },
  });
  const config = await resolveText(text);
  assert.deepEqual(config.auth, {});
  assert.deepEqual(config.tls, {});
  assert.deepEqual(config.impersonate, { user: "jane" });
  const schemeless = await resolveText(
    kubeconfigText({ cluster: { server: "127.0.0.1:6443" }, user: { token: "t" } }),
  );
  assert.equal(schemeless.server, "http://127.0.0.1:6443");
  assert.deepEqual(schemeless.auth, {});
});

Deno.test("proxy-url must be http, https or socks5", async () => {
  for (const proxy of ["http://p:3128", "https://p:443", "socks5://p:1080"]) {
    const config = await resolveText(
      kubeconfigText({ cluster: { "proxy-url": proxy }, user: { token: "t" } }),
    );
    assert.equal(config.proxyUrl, proxy);
  }
  await rejectsWith(
    resolveText(kubeconfigText({ cluster: { "proxy-url": "socks4://p:1" }, user: { token: "t" } })),
    /^invalid 'proxy-url' "socks4:\/\/p:1" for cluster "c": unsupported scheme "socks4", must be http, https, or socks5/,
  );
});

Deno.test("--request-timeout: seconds, durations, 0, and kubectl's error", async () => {
  const text = kubeconfigText({ user: { token: "t" } });
  assert.equal((await resolveText(text, { requestTimeout: "30" })).timeoutMs, 30_000);
  assert.equal((await resolveText(text, { requestTimeout: "1m30s" })).timeoutMs, 90_000);
  assert.equal((await resolveText(text, { requestTimeout: "0" })).timeoutMs, 0);
  await assert.rejects(() => resolveText(text, { requestTimeout: "soon" }), InvalidTimeoutError);
});

Deno.test("namespace: flag, then context, then the in-cluster file, then default", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, { token: "sa-token", namespace: "pod-ns\n" });
    const inPod = envFrom({ KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" });
    const inCluster = {
      tokenPath: `${dir}/token`,
      caPath: `${dir}/ca.crt`,
      namespacePath: `${dir}/namespace`,
    };
    await writeFiles(dir, {
      "with-ns": kubeconfigText({ user: { token: "t" }, context: { namespace: "ctx-ns" } }),
      "without-ns": kubeconfigText({ user: { token: "t" } }),
    });
    const resolve = (file: string, overrides: Record<string, unknown>, env = inPod) =>
      resolveRestConfig({ kubeconfig: `${dir}/${file}`, ...overrides }, { env, inCluster });
    const flag = await resolve("with-ns", { namespace: "flag-ns" });
    assert.deepEqual([flag.namespace, flag.namespaceExplicit], ["flag-ns", true]);
    const context = await resolve("with-ns", {});
    assert.deepEqual([context.namespace, context.namespaceExplicit], ["ctx-ns", true]);
    const pod = await resolve("without-ns", {});
    assert.deepEqual([pod.namespace, pod.namespaceExplicit], ["pod-ns", false]);
    const outside = await resolve("without-ns", {}, NO_ENV);
    assert.deepEqual([outside.namespace, outside.namespaceExplicit], ["default", false]);
  });
});

Deno.test("in-cluster fallback when the kubeconfig is empty, with flag overrides", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, { token: "sa-token\n", "ca.crt": CA_PEM, empty: "" });
    const env = envFrom({
      KUBERNETES_SERVICE_HOST: "fd00::1",
      KUBERNETES_SERVICE_PORT: "443",
      POD_NAMESPACE: "from-env",
    });
    const inCluster = {
      tokenPath: `${dir}/token`,
      caPath: `${dir}/ca.crt`,
      namespacePath: `${dir}/namespace`,
    };
    const config = await resolveRestConfig({ kubeconfig: `${dir}/empty` }, { env, inCluster });
    assert.equal(config.server, "https://[fd00::1]:443");
    assert.deepEqual(config.auth, { token: "sa-token", tokenFile: `${dir}/token` });
    assert.equal(config.tls.caPem, CA_PEM);
    assert.equal(config.namespace, "from-env");
    const overridden = await resolveRestConfig(
      { kubeconfig: `${dir}/empty`, token: "flag", namespace: "n" },
      { env, inCluster },
    );
    assert.deepEqual(overridden.auth, { token: "flag" });
    assert.deepEqual([overridden.namespace, overridden.namespaceExplicit], ["n", true]);
  });
});

Deno.test("in-cluster whenever the kubeconfig resolves to the default connection, as kubectl", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      token: "sa-token\n",
      "ca.crt": CA_PEM,
      // Entries, but no current context: the connection is client-go's default one.
      unselected: [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{name: c, cluster: {server: 'https://elsewhere:6443'}}]",
        "users: [{name: u, user: {token: kubeconfig-token}}]",
        "contexts: [{name: x, context: {cluster: c, user: u}}]",
        'current-context: ""',
      ].join("\n"),
      // A context whose cluster sets a proxy: not the default connection.
      proxied: [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{name: c, cluster: {proxy-url: 'http://proxy:3128'}}]",
        "contexts: [{name: x, context: {cluster: c}}]",
        "current-context: x",
      ].join("\n"),
    });
    const env = envFrom({ KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" });
    const inCluster = {
      tokenPath: `${dir}/token`,
      caPath: `${dir}/ca.crt`,
      namespacePath: `${dir}/namespace`,
    };
    const resolve = (overrides: Record<string, unknown>, file = "unselected", environment = env) =>
      resolveRestConfig({ kubeconfig: `${dir}/${file}`, ...overrides }, {
        env: environment,
        inCluster,
      });

    const plain = await resolve({});
    assert.equal(plain.server, "https://10.0.0.1:443");
    assert.deepEqual(plain.auth, { token: "sa-token", tokenFile: `${dir}/token` });
    // --user names credentials that plain http would not send: still the default connection.
    assert.equal((await resolve({ user: "u" })).server, "https://10.0.0.1:443");
    assert.equal((await resolve({ requestTimeout: "0" })).server, "https://10.0.0.1:443");
    // KUBERNETES_MASTER moves the default, and an empty kubeconfig resolves to it.
    const master = envFrom({
      KUBERNETES_SERVICE_HOST: "10.0.0.1",
      KUBERNETES_SERVICE_PORT: "443",
      KUBERNETES_MASTER: "https://m:6443",
    });
    assert.equal((await resolve({}, "unselected", master)).server, "https://10.0.0.1:443");
    assert.equal((await resolve({ user: "u" }, "unselected", master)).server, "https://m:6443");

    // Impersonation, a timeout or a proxy make another connection: kubectl dials the default
    // server rather than drop them.
    const impersonating = await resolve({ as: "jane" });
    assert.equal(impersonating.server, "http://localhost:8080");
    assert.equal(impersonating.impersonate?.user, "jane");
    assert.equal((await resolve({ requestTimeout: "7" })).server, "http://localhost:8080");
    assert.equal((await resolve({}, "proxied")).server, "http://localhost:8080");
  });
});

Deno.test("validation problems are aggregated in client-go's order", async () => {
  await assert.rejects(
    () =>
      resolveText(kubeconfigText({
        cluster: { "certificate-authority": "/nonexistent/ca.crt" },
        user: { "client-certificate": "/nonexistent/c.crt", token: "t", username: "u" },
      })),
    (error: unknown) => {
      assert.ok(error instanceof ConfigurationInvalidError);
      assert.equal(error.problems.length, 4);
      assert.match(error.problems[0], /^client-key-data or client-key must be specified for u/);
      assert.match(error.problems[1], /^unable to read client-cert \/nonexistent\/c.crt for u due/);
      assert.match(error.problems[2], /^more than one authentication method found for u/);
      assert.match(
        error.problems[3],
        /^unable to read certificate-authority \/nonexistent\/ca.crt/,
      );
      assert.ok(error.message.startsWith("invalid configuration: ["));
      assert.equal(
        error.userMessage,
        `Error in configuration: \n${error.problems.map((problem) => `* ${problem}`).join("\n")}`,
      );
      assert.ok(!error.message.includes("\n"));
      return true;
    },
  );
});

Deno.test("no error message ever contains a secret", async () => {
  const secret = "SECRET-VALUE-7d1f";
  const secretB64 = b64(`-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----\n`);
  const broken: [string, Record<string, unknown>][] = [
    [kubeconfigText({ user: { token: secret, username: "u", password: secret } }), {}],
    [kubeconfigText({ user: { "client-certificate-data": secretB64 } }), {}],
    [kubeconfigText({ user: { "client-key-data": `${secret}!!` } }), {}],
    [kubeconfigText({ user: { token: secret, "as-groups": ["g"] } }), {}],
    [kubeconfigText({ user: { token: secret }, currentContext: "nope" }), {}],
    [kubeconfigText({ user: { token: secret } }), { user: "nobody" }],
    [kubeconfigText({ user: { token: secret } }), { requestTimeout: secret }],
    [kubeconfigText({ user: { password: secret, token: 5 } }), {}],
    [`users:\n- name: u\n  user: {password: "${secret}\n`, {}],
    [
      kubeconfigText({
        user: { token: secret },
        cluster: { "proxy-url": `ftp://user:${secret}@p` },
      }),
      {},
    ],
    [kubeconfigText({ user: { exec: { command: "x", env: [{ value: secret }] } } }), {}],
  ];
  for (const [text, overrides] of broken) {
    await assert.rejects(
      () => resolveText(text, { password: undefined, ...overrides }),
      (error) => {
        assert.ok(error instanceof Error);
        assert.ok(!error.message.includes(secret), `secret leaked: ${error.message}`);
        assert.ok(!error.message.includes(secretB64), `secret leaked: ${error.message}`);
        return true;
      },
    );
  }
});
