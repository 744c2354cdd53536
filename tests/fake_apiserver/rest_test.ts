/**
 * Tests of the fake API server's HTTP side: authentication (token, basic, client certificate,
 * token subprotocol, plain HTTP), impersonation, RBAC denials, pre-upgrade validation, discovery,
 * pods and workloads, watches, the review APIs, and the kubeconfig fixture.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type FakeApiServer,
  type FakeServerOptions,
  startFakeApiServer,
} from "../support/fake_apiserver.ts";
import { toYaml, writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { testPki } from "../support/pki.ts";
import { execPath, rawRequest } from "./raw_client.ts";

const POD = "/api/v1/namespaces/default/pods/web-0";

async function withServer(
  options: FakeServerOptions,
  test: (server: FakeApiServer) => Promise<void>,
): Promise<void> {
  const server = await startFakeApiServer({
    pods: [
      { name: "web-0", labels: { app: "web" }, containers: [{ name: "app" }] },
      {
        name: "multi",
        containers: [{ name: "a" }, { name: "b" }],
        initContainers: [{ name: "init" }],
      },
      { name: "pending", nodeName: "", phase: "Pending", containers: [{ name: "app" }] },
    ],
    ...options,
  });
  try {
    await test(server);
  } finally {
    await server.close();
  }
}

function get(server: FakeApiServer, target: string, token: string | null = "admin-token") {
  return rawRequest(server, target, { plain: true, token });
}

Deno.test("401: no or bad credentials give the exact Unauthorized Status", async () => {
  await withServer({}, async (server) => {
    const expected =
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}';
    for (const token of [null, "wrong"]) {
      const res = await get(server, POD, token);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("content-type"), "application/json");
      assert.equal(res.body, expected);
    }
    assert.equal(server.requests[0].user, undefined);
    assert.equal(server.requests[0].status, 401);
  });
});

Deno.test("authentication: token, basic, client certificate (CN and O), anonymous", async () => {
  await withServer({
    tokens: { "t-alice": { name: "alice", groups: ["dev"] } },
    basicUsers: { bob: { password: "pw" } },
  }, async (server) => {
    assert.equal((await get(server, POD, "t-alice")).status, 200);
    assert.deepEqual(server.requests.at(-1)!.user, {
      name: "alice",
      groups: ["dev", "system:authenticated"],
    });
    const basic = await rawRequest(server, POD, {
      plain: true,
      token: null,
      headers: [["Authorization", `Basic ${new TextEncoder().encode("bob:pw").toBase64()}`]],
    });
    assert.equal(basic.status, 200);
    assert.equal(server.requests.at(-1)!.user!.name, "bob");
    const wrong = await rawRequest(server, POD, {
      plain: true,
      token: null,
      headers: [["Authorization", `Basic ${new TextEncoder().encode("bob:no").toBase64()}`]],
    });
    assert.equal(wrong.status, 401);
    const pki = await testPki();
    const carol = await pki.issueClient({ user: "carol", groups: ["ops", "qa"] });
    const cert = await rawRequest(server, POD, { plain: true, token: null, cert: carol });
    assert.equal(cert.status, 200);
    assert.deepEqual(server.requests.at(-1)!.user, {
      name: "carol",
      groups: ["ops", "qa", "system:authenticated"],
    });
    const expired = await pki.issueClient({ user: "dave", expired: true, name: "dave-expired" });
    const old = await rawRequest(server, POD, { plain: true, token: null, cert: expired });
    assert.equal(old.status, 401);
  });
  await withServer({ anonymous: true }, async (server) => {
    assert.equal((await get(server, POD, null)).status, 200);
    assert.equal(server.requests.at(-1)!.user!.name, "system:anonymous");
  });
});

Deno.test("authentication: bearer token in the WebSocket subprotocol, stripped before negotiation", async () => {
  await withServer({}, async (server) => {
    const encoded = new TextEncoder().encode("admin-token").toBase64({
      alphabet: "base64url",
      omitPadding: true,
    });
    const res = await rawRequest(server, execPath("web-0", ["true"], { stdout: true }), {
      token: null,
      protocols: ["v5.channel.k8s.io", `base64url.bearer.authorization.k8s.io.${encoded}`],
    });
    assert.equal(res.status, 101);
    assert.equal(res.headers.get("sec-websocket-protocol"), "v5.channel.k8s.io");
    await res.ws!.all();
    res.ws!.close();
    const alone = await rawRequest(server, execPath("web-0", ["true"], { stdout: true }), {
      token: null,
      protocols: [`base64url.bearer.authorization.k8s.io.${encoded}`],
    });
    assert.equal(alone.status, 401);
  });
});

Deno.test("plain HTTP mode serves the same API", async () => {
  await withServer({ tls: false }, async (server) => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await get(server, POD)).status, 200);
  });
});

Deno.test("RBAC: denials are worded like kube-apiserver's", async () => {
  await withServer({
    tokens: { "t-alice": { name: "alice" } },
    rbac: [{ users: ["alice"], verbs: ["get", "list"], resources: ["pods"] }],
  }, async (server) => {
    assert.equal((await get(server, POD, "t-alice")).status, 200);
    const denied = await rawRequest(server, execPath("web-0", ["true"], { stdout: true }), {
      token: "t-alice",
      protocols: ["v5.channel.k8s.io"],
    });
    assert.equal(denied.status, 403);
    assert.equal(
      denied.body,
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"web-0\\" is forbidden: User \\"alice\\" cannot get resource \\"pods/exec\\" in API group \\"\\" in the namespace \\"default\\"","reason":"Forbidden","details":{"name":"web-0","kind":"pods"},"code":403}',
    );
    const deploy = await get(server, "/apis/apps/v1/namespaces/default/deployments", "t-alice");
    assert.equal(
      JSON.parse(deploy.body).message,
      'deployments.apps is forbidden: User "alice" cannot list resource "deployments" in API group "apps" in the namespace "default"',
    );
    assert.equal(JSON.parse(deploy.body).details.group, "apps");
  });
});

Deno.test("RBAC: the 1.35 create check on WebSocket upgrades", async () => {
  await withServer({
    tokens: { "t-alice": { name: "alice" } },
    rbac: [{ users: ["alice"], verbs: ["get"], resources: ["pods", "pods/exec"] }],
    checkCreateOnUpgrade: true,
  }, async (server) => {
    const res = await rawRequest(server, execPath("web-0", ["true"], { stdout: true }), {
      token: "t-alice",
      protocols: ["v5.channel.k8s.io"],
    });
    assert.equal(res.status, 403);
    assert.match(JSON.parse(res.body).message, /cannot create resource "pods\/exec"/);
  });
});

Deno.test("impersonation: recorded effective user; denied without the impersonate verb", async () => {
  await withServer({
    tokens: {
      "t-alice": { name: "alice" },
      "t-root": { name: "root", groups: ["system:masters"] },
    },
    rbac: [{ users: ["alice"], groups: ["g1"], verbs: ["get"], resources: ["pods"] }],
  }, async (server) => {
    const ok = await rawRequest(server, POD, {
      plain: true,
      token: "t-root",
      headers: [["Impersonate-User", "bob"], ["Impersonate-Group", "g1"], [
        "Impersonate-Group",
        "g2",
      ]],
    });
    assert.equal(ok.status, 200);
    assert.equal(server.requests.at(-1)!.user!.name, "root");
    assert.deepEqual(server.requests.at(-1)!.effectiveUser, {
      name: "bob",
      groups: ["g1", "g2", "system:authenticated"],
    });
    const denied = await rawRequest(server, POD, {
      plain: true,
      token: "t-alice",
      headers: [["Impersonate-User", "bob"]],
    });
    assert.equal(denied.status, 403);
    assert.equal(
      JSON.parse(denied.body).message,
      'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
  });
});

Deno.test("pre-upgrade validation: 404 pod, container errors, unscheduled pod, Upgrade required", async () => {
  await withServer({}, async (server) => {
    const missing = await rawRequest(server, execPath("nope", ["true"], { stdout: true }), {
      protocols: ["v5.channel.k8s.io"],
    });
    assert.equal(missing.status, 404);
    assert.equal(
      missing.body,
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"nope\\" not found","reason":"NotFound","details":{"name":"nope","kind":"pods"},"code":404}',
    );
    const ambiguous = await rawRequest(server, execPath("multi", ["true"], { stdout: true }), {
      protocols: ["v5.channel.k8s.io"],
    });
    assert.equal(ambiguous.status, 400);
    assert.equal(
      JSON.parse(ambiguous.body).message,
      "a container name must be specified for pod multi, choose one of: [init a b]",
    );
    const invalid = await rawRequest(
      server,
      execPath("web-0", ["true"], { stdout: true, container: "foo" }),
      { protocols: ["v5.channel.k8s.io"] },
    );
    assert.equal(
      invalid.body,
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"container foo is not valid for pod web-0","reason":"BadRequest","code":400}',
    );
    const unscheduled = await rawRequest(server, execPath("pending", ["true"], { stdout: true }), {
      protocols: ["v5.channel.k8s.io"],
    });
    assert.equal(JSON.parse(unscheduled.body).message, "pod pending does not have a host assigned");
    const plain = await get(server, execPath("web-0", ["true"], { stdout: true }));
    assert.equal(plain.status, 400);
    assert.equal(JSON.parse(plain.body).message, "Upgrade request required");
    const spdy = await rawRequest(server, execPath("web-0", ["true"], { stdout: true }), {
      method: "POST",
      plain: true,
      headers: [["Upgrade", "SPDY/3.1"], ["X-Stream-Protocol-Version", "v4.channel.k8s.io"]],
    });
    assert.equal(spdy.status, 400);
    assert.match(JSON.parse(spdy.body).message, /SPDY is not implemented/);
  });
});

Deno.test("discovery: /version, /api, /apis, /api/v1 with pod subresources, apps/v1", async () => {
  await withServer({}, async (server) => {
    assert.equal(JSON.parse((await get(server, "/version")).body).gitVersion, "v1.32.0");
    assert.deepEqual(JSON.parse((await get(server, "/api")).body).versions, ["v1"]);
    const groups = JSON.parse((await get(server, "/apis")).body).groups.map((g: { name: string }) =>
      g.name
    );
    assert.deepEqual(groups, ["apps", "batch", "authentication.k8s.io", "authorization.k8s.io"]);
    const core = JSON.parse((await get(server, "/api/v1")).body);
    const names = core.resources.map((r: { name: string }) => r.name);
    for (const name of ["pods", "pods/exec", "pods/attach", "pods/portforward", "services"]) {
      assert.ok(names.includes(name), name);
    }
    const apps = JSON.parse((await get(server, "/apis/apps/v1")).body);
    assert.deepEqual(
      apps.resources.map((r: { name: string }) => r.name),
      ["deployments", "statefulsets", "daemonsets", "replicasets"],
    );
    const unknown = await get(server, "/apis/nope/v1");
    assert.equal(unknown.status, 404);
  });
});

Deno.test("pods: GET, LIST with label and field selectors, runtime add/update/remove", async () => {
  await withServer({}, async (server) => {
    const pod = JSON.parse((await get(server, POD)).body);
    assert.equal(pod.kind, "Pod");
    assert.equal(pod.status.phase, "Running");
    assert.equal(pod.spec.containers[0].name, "app");
    const list = async (query: string) =>
      JSON.parse((await get(server, `/api/v1/namespaces/default/pods?${query}`)).body).items.map(
        (p: { metadata: { name: string } }) => p.metadata.name,
      );
    assert.deepEqual(await list("labelSelector=app%3Dweb"), ["web-0"]);
    assert.deepEqual(await list("labelSelector=app%21%3Dweb"), ["multi", "pending"]);
    assert.deepEqual(await list("fieldSelector=status.phase%3DPending"), ["pending"]);
    server.pods.add({ name: "web-1", labels: { app: "web" }, containers: [{ name: "app" }] });
    server.pods.update("default", "web-0", { phase: "Failed" });
    assert.deepEqual(await list("labelSelector=app+in+(web)"), ["web-0", "web-1"]);
    assert.equal(JSON.parse((await get(server, POD)).body).status.phase, "Failed");
    server.pods.remove("default", "web-0");
    assert.equal((await get(server, POD)).status, 404);
    const bad = await get(server, "/api/v1/namespaces/default/pods?labelSelector=%3D%3D");
    assert.equal(bad.status, 400);
  });
});

Deno.test("pods: WATCH streams existing and later pods as events", async () => {
  await withServer({}, async (server) => {
    const conn = await Deno.connectTls({
      hostname: "127.0.0.1",
      port: server.port,
      caCerts: [server.caPem],
    });
    await conn.write(new TextEncoder().encode(
      "GET /api/v1/namespaces/default/pods?watch=true&labelSelector=app%3Dnew HTTP/1.1\r\n" +
        "Host: x\r\nAuthorization: Bearer admin-token\r\n\r\n",
    ));
    const buffer = new Uint8Array(65536);
    let text = "";
    text += new TextDecoder().decode(buffer.subarray(0, (await conn.read(buffer))!));
    assert.match(text, /^HTTP\/1\.1 200 OK/);
    server.pods.add({ name: "new-0", labels: { app: "new" }, containers: [{ name: "app" }] });
    while (!text.includes("new-0")) {
      text += new TextDecoder().decode(buffer.subarray(0, (await conn.read(buffer))!));
    }
    assert.match(text, /"type":"ADDED","object":\{"apiVersion":"v1","kind":"Pod"/);
    conn.close();
  });
});

Deno.test("workloads: GET deployment and service with selectors; 404 wording with group", async () => {
  await withServer({
    objects: [
      {
        kind: "Deployment",
        metadata: { name: "web" },
        spec: { selector: { matchLabels: { app: "web" } } },
      },
      { kind: "Service", metadata: { name: "web" }, spec: { selector: { app: "web" } } },
    ],
  }, async (server) => {
    const deploy = JSON.parse(
      (await get(server, "/apis/apps/v1/namespaces/default/deployments/web")).body,
    );
    assert.equal(deploy.apiVersion, "apps/v1");
    assert.deepEqual(deploy.spec.selector.matchLabels, { app: "web" });
    const svc = JSON.parse((await get(server, "/api/v1/namespaces/default/services/web")).body);
    assert.deepEqual(svc.spec.selector, { app: "web" });
    const missing = await get(server, "/apis/apps/v1/namespaces/default/statefulsets/db");
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.body).message, 'statefulsets.apps "db" not found');
    assert.throws(() => server.objects.add({ kind: "Secret", metadata: { name: "x" } }));
  });
});

Deno.test("reviews: SelfSubjectReview and SelfSubjectAccessReview", async () => {
  await withServer({
    tokens: { "t-alice": { name: "alice", groups: ["dev"] } },
    rbac: [{ groups: ["dev"], verbs: ["get"], resources: ["pods/exec"] }],
  }, async (server) => {
    const review = await rawRequest(server, "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
      method: "POST",
      plain: true,
      token: "t-alice",
      headers: [["Content-Type", "application/json"]],
      body: "{}",
    });
    assert.equal(review.status, 201);
    assert.deepEqual(JSON.parse(review.body).status.userInfo, {
      username: "alice",
      groups: ["dev", "system:authenticated"],
    });
    const ask = async (verb: string) => {
      const body = JSON.stringify({
        kind: "SelfSubjectAccessReview",
        apiVersion: "authorization.k8s.io/v1",
        spec: {
          resourceAttributes: {
            namespace: "default",
            verb,
            resource: "pods",
            subresource: "exec",
          },
        },
      });
      const res = await rawRequest(
        server,
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        { method: "POST", plain: true, token: "t-alice", body },
      );
      return JSON.parse(res.body).status.allowed;
    };
    assert.equal(await ask("get"), true);
    assert.equal(await ask("create"), false);
  });
});

Deno.test("keep-alive: several requests on one connection", async () => {
  await withServer({}, async (server) => {
    const conn = await Deno.connectTls({
      hostname: "127.0.0.1",
      port: server.port,
      caCerts: [server.caPem],
    });
    const request = "GET /version HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer admin-token\r\n\r\n";
    await conn.write(new TextEncoder().encode(request + request));
    let text = "";
    const buffer = new Uint8Array(65536);
    while ((text.match(/HTTP\/1\.1 200 OK/g) ?? []).length < 2 || !text.endsWith("}")) {
      text += new TextDecoder().decode(buffer.subarray(0, (await conn.read(buffer))!));
    }
    conn.close();
    assert.equal(server.requests.length, 2);
  });
});

Deno.test("kubeconfig fixture: files in the server's temp dir, removed on close", async () => {
  let written = "";
  await withServer({}, async (server) => {
    for (const user of ["token", "basic", "cert"] as const) {
      written = await writeKubeconfig(server, { user, namespace: "ns1" });
      const text = await Deno.readTextFile(written);
      assert.match(text, /"certificate-authority-data": "/);
      assert.match(text, /"namespace": "ns1"/);
      assert.ok(written.startsWith(server.tempDir));
    }
    const cert = await Deno.readTextFile(await writeKubeconfig(server, { user: "cert" }));
    const certPem = new TextDecoder().decode(
      Uint8Array.fromBase64(cert.match(/"client-certificate-data": "([^"]+)"/)![1]),
    );
    assert.match(certPem, /BEGIN CERTIFICATE/);
  });
  await assert.rejects(Deno.stat(written), Deno.errors.NotFound);
  assert.equal(
    toYaml({ a: [{ b: "c", d: [1] }], e: {} }),
    '"a": \n  - "b": "c"\n    "d": \n      - 1\n"e": {}\n',
  );
});
