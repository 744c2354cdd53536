import assert from "node:assert/strict";
import { persistAuthProviderConfig } from "../../lib/kubeconfig/persist.ts";
import { resolveRestConfig } from "../../lib/kubeconfig/resolve.ts";
import { loadKubeconfigFile } from "../../lib/kubeconfig/load.ts";
import { KubeconfigError } from "../../lib/kubeconfig/errors.ts";
import { envFrom, withTempDir, writeFiles } from "./support.ts";

const OIDC_USER = `users:
- name: oidc
  user:
    auth-provider:
      name: oidc
      config:
        id-token: old-id
        refresh-token: old-refresh
        idp-issuer-url: https://issuer
- name: other
  user: {token: keep-me}
future-field: kept
`;

Deno.test("persist replaces only that user's auth-provider config and keeps the file's mode", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, { config: OIDC_USER });
    await Deno.chmod(`${dir}/config`, 0o640);
    await persistAuthProviderConfig(`${dir}/config`, "oidc", {
      "id-token": "new-id",
      "refresh-token": "new-refresh",
      "idp-issuer-url": "https://issuer",
    });
    const config = await loadKubeconfigFile(`${dir}/config`);
    assert.deepEqual(config.users.get("oidc")?.value["auth-provider"], {
      name: "oidc",
      config: {
        "id-token": "new-id",
        "refresh-token": "new-refresh",
        "idp-issuer-url": "https://issuer",
      },
    });
    assert.deepEqual(config.users.get("other")?.value, { token: "keep-me" });
    assert.match(await Deno.readTextFile(`${dir}/config`), /future-field: kept/);
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(`${dir}/config`)).mode! & 0o777, 0o640);
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), ["config"]);
  });
});

Deno.test("persist through a symlinked kubeconfig replaces the file it points to, the link kept", async () => {
  // ~/.kube/config -> a copy kept with dotfiles: client-go's os.WriteFile writes through the
  // link; renaming over the link would have left the dotfiles copy stale.
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/dotfiles`);
    await writeFiles(dir, { "dotfiles/kubeconfig": OIDC_USER });
    await Deno.symlink("dotfiles/kubeconfig", `${dir}/config`);
    await persistAuthProviderConfig(`${dir}/config`, "oidc", { "id-token": "new-id" });
    assert.equal(await Deno.readLink(`${dir}/config`), "dotfiles/kubeconfig");
    const config = await loadKubeconfigFile(`${dir}/dotfiles/kubeconfig`);
    assert.deepEqual(config.users.get("oidc")?.value["auth-provider"], {
      name: "oidc",
      config: { "id-token": "new-id" },
    });
    assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name).sort(), [
      "config",
      "dotfiles",
    ]);
    assert.deepEqual([...Deno.readDirSync(`${dir}/dotfiles`)].map((entry) => entry.name), [
      "kubeconfig",
    ]);
  });
});

Deno.test("persist errors: missing file, user gone", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      () => persistAuthProviderConfig(`${dir}/missing`, "oidc", {}),
      (error: unknown) =>
        error instanceof KubeconfigError &&
        error.message === `open ${dir}/missing: no such file or directory`,
    );
    await writeFiles(dir, { config: OIDC_USER });
    await assert.rejects(
      () => persistAuthProviderConfig(`${dir}/config`, "nobody", {}),
      (error: unknown) =>
        error instanceof KubeconfigError &&
        error.message === `user "nobody" not found in ${dir}/config`,
    );
  });
});

Deno.test("the resolved authProvider.persist writes to the file that defined the user", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      main: "clusters:\n- name: c\n  cluster: {server: https://c}\n" +
        "contexts:\n- name: x\n  context: {cluster: c, user: oidc}\ncurrent-context: x\n",
      users: OIDC_USER,
    });
    const config = await resolveRestConfig({}, {
      env: envFrom({ KUBECONFIG: `${dir}/main:${dir}/users` }),
      inCluster: { tokenPath: "/nonexistent/token" },
    });
    assert.equal(config.auth.authProvider?.name, "oidc");
    assert.equal(config.auth.authProvider?.config?.["id-token"], "old-id");
    await config.auth.authProvider!.persist!({ "id-token": "rotated" });
    const users = await loadKubeconfigFile(`${dir}/users`);
    assert.deepEqual(users.users.get("oidc")?.value["auth-provider"]?.config, {
      "id-token": "rotated",
    });
    assert.ok(!(await Deno.readTextFile(`${dir}/main`)).includes("rotated"));
  });
});
