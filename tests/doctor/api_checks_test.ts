/**
 * The API checks when the server answers unusually: SelfSubjectReview missing (404, an API server
 * before 1.27) or forbidden, a 500, SelfSubjectAccessReview refused, impersonation without the
 * right to impersonate, and a 401 on the exec upgrade itself — each provoked by the fake API
 * server's faults.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runDoctor, type StepResult } from "../../lib/doctor/mod.ts";
import type { ConfigOverrides } from "../../lib/kubeconfig/mod.ts";
import {
  type FakeApiServer,
  type FakeServerOptions,
  startFakeApiServer,
} from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";

async function withServer(
  options: FakeServerOptions,
  body: (server: FakeApiServer, kubeconfig: string) => Promise<void>,
): Promise<void> {
  const server = await startFakeApiServer({
    pods: [{ name: "web-0", containers: [{ name: "app" }] }],
    ...options,
  });
  try {
    await body(server, await writeKubeconfig(server, { user: "token" }));
  } finally {
    await server.close();
  }
}

async function diagnose(overrides: ConfigOverrides, target?: string): Promise<StepResult[]> {
  return await Array.fromAsync(
    runDoctor({ overrides, env: () => undefined, target, timeoutMs: 5000 }),
  );
}

function line(results: StepResult[], step: string): StepResult {
  const found = results.find((result) => result.step === step);
  assert.ok(found, `no ${step} in ${JSON.stringify(results, null, 1)}`);
  return found;
}

const reviews = (resource: string) => ({ url }: { url: URL }) => url.pathname.endsWith(resource);

Deno.test("authentication: no SelfSubjectReview (404 on v1 and v1beta1) warns and goes on", async () => {
  await withServer({}, async (server, kubeconfig) => {
    server.faults.next({ kind: "status", code: 404 }, reviews("/selfsubjectreviews"), 2);
    const results = await diagnose({ kubeconfig });
    const authentication = line(results, "authentication");
    assert.equal(authentication.status, "warn");
    assert.match(authentication.summary, /accepted, but the server does not say whose .*404/);
    assert.match(authentication.cause!, /older than 1\.27/);
    assert.equal(line(results, "authorization").status, "ok");
    const paths = server.requests.map((request) => request.path);
    assert.ok(paths.includes("/apis/authentication.k8s.io/v1beta1/selfsubjectreviews"));
  });
});

Deno.test("authentication: SelfSubjectReview forbidden warns", async () => {
  await withServer({}, async (server, kubeconfig) => {
    server.faults.next({ kind: "status", code: 403 }, reviews("/selfsubjectreviews"));
    const authentication = line(await diagnose({ kubeconfig }), "authentication");
    assert.equal(authentication.status, "warn");
    assert.match(authentication.cause!, /may not create SelfSubjectReviews/);
  });
});

for (const code of [200, 403, 404]) {
  Deno.test(`authentication: an HTML page (${code}) on every path is not an API server`, async () => {
    await withServer({}, async (server, kubeconfig) => {
      // A login portal or an ingress's page where the API server was expected.
      server.faults.always({ kind: "html", code }, () => true);
      const results = await diagnose({ kubeconfig }, "web-0");
      const authentication = line(results, "authentication");
      assert.equal(authentication.status, "fail", JSON.stringify(authentication));
      assert.match(
        authentication.summary,
        new RegExp(
          `does not answer like a Kubernetes API server \\(${code} with text/html .*GET /version: \\d+ with text/html\\)`,
        ),
      );
      assert.match(authentication.cause!, /ingress, a web UI or a login portal/);
      assert.equal(line(results, "authorization").status, "skip");
    });
  });
}

Deno.test("authentication: an API server without SelfSubjectReview whose 404 is plain text", async () => {
  await withServer({}, async (server, kubeconfig) => {
    // A group the server does not serve gets Go's "404 page not found"; /version still answers.
    server.faults.always({ kind: "html", code: 404 }, reviews("/selfsubjectreviews"));
    const authentication = line(await diagnose({ kubeconfig }), "authentication");
    assert.equal(authentication.status, "warn");
    assert.match(authentication.cause!, /older than 1\.27/);
  });
});

Deno.test("authentication: a server error fails with the server's message", async () => {
  await withServer({}, async (server, kubeconfig) => {
    server.faults.next({ kind: "status", code: 500 }, reviews("/selfsubjectreviews"));
    const results = await diagnose({ kubeconfig });
    const authentication = line(results, "authentication");
    assert.equal(authentication.status, "fail");
    assert.match(authentication.summary, /^500: .*fault injected/);
    assert.equal(line(results, "authorization").status, "skip");
  });
});

Deno.test("authentication: impersonating without the right to is named", async () => {
  const rbac = [{ users: ["alice"], verbs: ["get", "list", "create"], resources: ["*"] }];
  await withServer(
    { rbac, tokens: { "alice-token": { name: "alice" } } },
    async (server) => {
      const kubeconfig = await writeKubeconfig(server, { user: "token", token: "alice-token" });
      const authentication = line(
        await diagnose({ kubeconfig, as: "bob" }),
        "authentication",
      );
      assert.equal(authentication.status, "fail");
      assert.match(authentication.summary, /403 Forbidden: .*impersonate/);
      assert.match(authentication.cause!, /may not impersonate bob/);
    },
  );
});

Deno.test("authentication: impersonation that is allowed shows the impersonated user", async () => {
  await withServer({}, async (_server, kubeconfig) => {
    const authentication = line(await diagnose({ kubeconfig, as: "bob" }), "authentication");
    assert.equal(authentication.status, "ok");
    assert.match(authentication.summary, /authenticated as "bob".* \(impersonating bob\)$/);
  });
});

Deno.test("authorization: a refused SelfSubjectAccessReview warns that it could not check", async () => {
  await withServer({}, async (server, kubeconfig) => {
    server.faults.always({ kind: "status", code: 500 }, reviews("/selfsubjectaccessreviews"));
    const results = await diagnose({ kubeconfig });
    const authorization = results.filter((result) => result.step === "authorization");
    assert.equal(authorization.length, 3);
    for (const result of authorization) {
      assert.equal(result.status, "warn");
      assert.match(result.summary, /could not check \(.*fault injected\)/);
    }
  });
});

Deno.test("protocol: a 401 on the exec upgrade points at the credentials", async () => {
  await withServer({}, async (server, kubeconfig) => {
    server.faults.always({ kind: "status", code: 401 });
    const protocol = line(await diagnose({ kubeconfig }, "web-0"), "protocol");
    assert.equal(protocol.status, "fail");
    assert.match(protocol.summary, /refused: 401/);
    assert.match(protocol.cause!, /credentials were rejected on the upgrade/);
  });
});

Deno.test("protocol: an HTML page instead of the upgrade is explained", async () => {
  await withServer({}, async (server, kubeconfig) => {
    server.faults.always({ kind: "html", code: 200 });
    const protocol = line(await diagnose({ kubeconfig }, "web-0"), "protocol");
    assert.equal(protocol.status, "fail");
    assert.match(protocol.summary, /HTML page/);
  });
});
