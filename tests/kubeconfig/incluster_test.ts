import assert from "node:assert/strict";
import {
  inClusterConfig,
  inClusterNamespace,
  inClusterPossible,
  NotInClusterError,
} from "../../lib/kubeconfig/incluster.ts";
import { FileReadError } from "../../lib/kubeconfig/errors.ts";
import { envFrom, withTempDir, writeFiles } from "./support.ts";
import { testPki } from "../support/pki.ts";

const SERVICE = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" };

function paths(dir: string) {
  return {
    tokenPath: `${dir}/token`,
    caPath: `${dir}/ca.crt`,
    namespacePath: `${dir}/namespace`,
  };
}

Deno.test("in-cluster is possible only with both variables and a token file", async () => {
  await withTempDir(async (dir) => {
    assert.equal(await inClusterPossible({ env: envFrom(SERVICE), ...paths(dir) }), false);
    await writeFiles(dir, { token: "t" });
    assert.equal(await inClusterPossible({ env: envFrom(SERVICE), ...paths(dir) }), true);
    assert.equal(
      await inClusterPossible({
        env: envFrom({ KUBERNETES_SERVICE_HOST: "h" }),
        ...paths(dir),
      }),
      false,
    );
    assert.equal(
      await inClusterPossible({ env: envFrom(SERVICE), ...paths(dir), tokenPath: dir }),
      false,
    );
  });
});

Deno.test("in-cluster config: server, token file, CA and namespace", async () => {
  await withTempDir(async (dir) => {
    const caPem = (await testPki()).ca.certPem;
    await writeFiles(dir, { token: "sa-token\n", "ca.crt": caPem, namespace: " apps \n" });
    const config = await inClusterConfig({ env: envFrom(SERVICE), ...paths(dir) });
    assert.deepEqual(config, {
      server: "https://10.96.0.1:443",
      tls: { caPem },
      auth: { token: "sa-token", tokenFile: `${dir}/token` },
      namespace: "apps",
      namespaceExplicit: false,
    });
  });
});

Deno.test("in-cluster config: IPv6 host, unreadable CA warned about and left out", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, { token: "t" });
    const warnings: string[] = [];
    const config = await inClusterConfig({
      env: envFrom({ KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "6443" }),
      ...paths(dir),
      warn: (message) => warnings.push(message),
    });
    assert.equal(config.server, "https://[fd00::1]:6443");
    assert.deepEqual(config.tls, {});
    assert.equal(config.namespace, "default");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^Expected to load root CA config from .*ca\.crt/);
  });
});

Deno.test("in-cluster config: a ca.crt without a certificate is warned about and left out", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, { token: "t", "ca.crt": "not a certificate\n" });
    const warnings: string[] = [];
    const config = await inClusterConfig({
      env: envFrom({ KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" }),
      ...paths(dir),
      warn: (message) => warnings.push(message),
    });
    assert.deepEqual(config.tls, {});
    assert.deepEqual(warnings, [
      `Expected to load root CA config from ${dir}/ca.crt, but got err: data does not contain any valid RSA or ECDSA certificates`,
    ]);
  });
});

Deno.test("in-cluster config errors: not in a cluster, token unreadable", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      () => inClusterConfig({ env: envFrom({}), ...paths(dir) }),
      NotInClusterError,
    );
    await assert.rejects(
      () => inClusterConfig({ env: envFrom(SERVICE), ...paths(dir) }),
      (error: unknown) =>
        error instanceof FileReadError &&
        error.message === `open ${dir}/token: no such file or directory`,
    );
  });
});

Deno.test("in-cluster namespace: POD_NAMESPACE, then the file, then default", async () => {
  await withTempDir(async (dir) => {
    const options = paths(dir);
    assert.equal(await inClusterNamespace({ env: envFrom({}), ...options }), "default");
    await writeFiles(dir, { namespace: "from-file\n" });
    assert.equal(await inClusterNamespace({ env: envFrom({}), ...options }), "from-file");
    assert.equal(
      await inClusterNamespace({ env: envFrom({ POD_NAMESPACE: "from-env" }), ...options }),
      "from-env",
    );
    await writeFiles(dir, { namespace: "  \n" });
    assert.equal(await inClusterNamespace({ env: envFrom({}), ...options }), "default");
  });
});
