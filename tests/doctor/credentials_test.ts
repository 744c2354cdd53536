/**
 * The credentials step's failures besides a missing plugin — a plugin that exits non-zero, one
 * that prints no ExecCredential, an empty tokenFile, a removed auth-provider — and the
 * kubeconfig step's warning when every KUBECONFIG file is missing.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runDoctor, type StepResult } from "../../lib/doctor/mod.ts";
import type { ConfigOverrides } from "../../lib/kubeconfig/mod.ts";
import { type FakeApiServer, startFakeApiServer } from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";

async function withServer(body: (server: FakeApiServer) => Promise<void>): Promise<void> {
  const server = await startFakeApiServer();
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

async function diagnose(
  overrides: ConfigOverrides,
  env: Record<string, string> = {},
): Promise<StepResult[]> {
  return await Array.fromAsync(
    runDoctor({ overrides, env: (name) => env[name], timeoutMs: 5000 }),
  );
}

function credentials(results: StepResult[]): StepResult {
  const found = results.find((result) => result.step === "credentials");
  assert.ok(found);
  return found;
}

function execUser(command: string, args: string[] = []) {
  return {
    user: "none" as const,
    userExtra: {
      exec: {
        apiVersion: "client.authentication.k8s.io/v1",
        command,
        args,
        interactiveMode: "Never",
      },
    },
  };
}

Deno.test("credentials: a plugin exiting non-zero says how to see its error", async () => {
  await withServer(async (server) => {
    const results = await diagnose({
      kubeconfig: await writeKubeconfig(server, execUser("sh", ["-c", "exit 3"])),
    });
    const step = credentials(results);
    assert.equal(step.status, "fail");
    assert.match(step.summary, /exec: executable sh failed with exit code 3/);
    assert.match(step.fix!, /run "sh" by hand/);
    assert.equal(results.find((result) => result.step === "authentication")?.status, "skip");
  });
});

Deno.test("credentials: a plugin printing no ExecCredential", async () => {
  await withServer(async (server) => {
    const step = credentials(
      await diagnose({
        kubeconfig: await writeKubeconfig(server, execUser("sh", ["-c", "echo not-json"])),
      }),
    );
    assert.equal(step.status, "fail");
    assert.match(step.cause!, /ran but its answer could not be used/);
  });
});

Deno.test("credentials: a plugin's token is reported as such", async () => {
  await withServer(async (server) => {
    const credential = JSON.stringify({
      apiVersion: "client.authentication.k8s.io/v1",
      kind: "ExecCredential",
      status: { token: "admin-token" },
    });
    const results = await diagnose({
      kubeconfig: await writeKubeconfig(server, execUser("sh", ["-c", `echo '${credential}'`])),
    });
    assert.equal(credentials(results).summary, 'exec plugin "sh" gave a bearer token');
    assert.equal(results.find((result) => result.step === "authentication")?.status, "ok");
  });
});

Deno.test("credentials: a slow plugin is waited for, and named while doctor waits", async () => {
  await withServer(async (server) => {
    const credential = JSON.stringify({
      apiVersion: "client.authentication.k8s.io/v1",
      kind: "ExecCredential",
      status: { token: "admin-token" },
    });
    const kubeconfig = await writeKubeconfig(
      server,
      execUser("sh", ["-c", `sleep 1; echo '${credential}'`]),
    );
    const notices: string[] = [];
    const results = await Array.fromAsync(runDoctor({
      overrides: { kubeconfig },
      env: () => undefined,
      timeoutMs: 5000,
      waitNoticeMs: 200,
      onWaiting: (notice) => notices.push(notice),
    }));
    assert.deepEqual(notices, [
      'exec plugin "sh" has not answered in 200ms; it may be waiting for a login in a browser or for input (Ctrl-C stops doctor)',
    ]);
    assert.equal(credentials(results).status, "ok");
    // A quick plugin is not announced.
    const quick: string[] = [];
    await Array.fromAsync(runDoctor({
      overrides: {
        kubeconfig: await writeKubeconfig(server, execUser("sh", ["-c", `echo '${credential}'`])),
      },
      env: () => undefined,
      timeoutMs: 5000,
      waitNoticeMs: 5000,
      onWaiting: (notice) => quick.push(notice),
    }));
    assert.deepEqual(quick, []);
  });
});

Deno.test("credentials: an empty tokenFile; a missing one is already a kubeconfig error", async () => {
  await withServer(async (server) => {
    const empty = `${server.tempDir}/empty-token`;
    await Deno.writeTextFile(empty, " \n");
    const step = credentials(
      await diagnose({
        kubeconfig: await writeKubeconfig(server, {
          user: "none",
          userExtra: { tokenFile: empty },
        }),
      }),
    );
    assert.equal(step.status, "fail");
    assert.match(step.summary, /read empty token from file .*empty-token/);
    assert.match(step.cause!, /tokenFile of the kubeconfig user cannot be read or is empty/);
    const missing = await diagnose({
      kubeconfig: await writeKubeconfig(server, {
        user: "none",
        userExtra: { tokenFile: `${server.tempDir}/no-such-token` },
      }),
    });
    assert.equal(missing[0].status, "fail");
    assert.match(missing[0].summary, /no-such-token: no such file or directory/);
  });
});

Deno.test("credentials: a removed auth-provider passes on the provider's hint", async () => {
  await withServer(async (server) => {
    const step = credentials(
      await diagnose({
        kubeconfig: await writeKubeconfig(server, {
          user: "none",
          userExtra: { "auth-provider": { name: "gcp", config: {} } },
        }),
      }),
    );
    assert.equal(step.status, "fail");
    assert.match(step.summary, /gcp/);
    assert.ok(step.fix && step.fix.length > 0);
  });
});

Deno.test("kubeconfig: every KUBECONFIG file missing is a warning, not a failure", async () => {
  await withServer(async (server) => {
    const results = await diagnose(
      { server: server.url, insecureSkipTlsVerify: true, token: "admin-token" },
      { KUBECONFIG: "/nonexistent/kubexec-doctor-a", HOME: "/nonexistent" },
    );
    assert.equal(results[0].status, "warn");
    assert.match(results[0].cause!, /kubexec-doctor-a/);
    assert.equal(results.find((result) => result.step === "authentication")?.status, "ok");
  });
});
