import assert from "node:assert/strict";
import { StatusError, statusErrorFromResponse } from "../../lib/kube/status.ts";
import { parseTarget, resolvePod, TargetError } from "../../lib/kube/target.ts";
import { compareForAttach } from "../../lib/kube/active_pods.ts";
import { chooseContainer, NoContainersError } from "../../lib/kube/containers.ts";
import { type Pod, selectorString } from "../../lib/kube/pods.ts";
import type { ApiClient, ApiRequest, ApiResponse } from "../../lib/transport/types.ts";

const encoder = new TextEncoder();

function response(status: number, body: string, contentType = "application/json"): ApiResponse {
  return {
    status,
    statusText: "",
    headers: new Headers({ "content-type": contentType }),
    body: encoder.encode(body),
  };
}

Deno.test("Status bodies render as kubectl's StandardErrorMessage", () => {
  const notFound = statusErrorFromResponse(
    response(
      404,
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"nope\\" not found","reason":"NotFound","details":{"name":"nope","kind":"pods"},"code":404}',
    ),
    "/api/v1/namespaces/default/pods/nope",
  );
  assert.equal(notFound.userMessage, 'Error from server (NotFound): pods "nope" not found');
  assert.equal(notFound.code, 404);
  const unauthorized = statusErrorFromResponse(
    response(
      401,
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}',
    ),
    "/api/v1/namespaces/default/pods/x",
  );
  assert.equal(
    unauthorized.userMessage,
    "error: You must be logged in to the server (Unauthorized)",
  );
  const forbidden = statusErrorFromResponse(
    response(
      403,
      '{"kind":"Status","message":"pods \\"web-0\\" is forbidden: User \\"alice\\" cannot get resource \\"pods/exec\\" in API group \\"\\" in the namespace \\"default\\"","reason":"Forbidden","code":403}',
    ),
    "/api/v1/namespaces/default/pods/web-0/exec",
  );
  assert.match(
    forbidden.userMessage,
    /^Error from server \(Forbidden\): pods "web-0" is forbidden/,
  );
  assert.match(forbidden.hint!, /"get" and "create" on pods\/exec/);
  const noReason = new StatusError({ message: "boom", code: 500 });
  assert.equal(noReason.userMessage, "Error from server: boom");
});

Deno.test("non-Status bodies: HTML gets a hint, upgrade-required gets the proxy hint", () => {
  const html = statusErrorFromResponse(
    response(502, "<html><body>Bad gateway</body></html>", "text/html"),
    "/api/v1/namespaces/d/pods/p",
  );
  assert.match(html.hint!, /rather than a Kubernetes API server/);
  assert.equal(
    html.userMessage,
    "Error from server: the server answered HTTP 502 with an HTML page instead of a Kubernetes API response",
  );
  const titled = statusErrorFromResponse(
    response(200, "<!DOCTYPE html><html><head><title>Sign in</title></head></html>", "text/html"),
    "/x",
  );
  assert.match(titled.message, /with an HTML page \("Sign in"\)/);
  const upgrade = statusErrorFromResponse(
    response(
      400,
      '{"kind":"Status","message":"Upgrade request required","reason":"BadRequest","code":400}',
    ),
    "/api/v1/namespaces/d/pods/p/exec",
  );
  assert.match(upgrade.hint!, /dropped the Upgrade\/Connection headers/);
  const bare404 = statusErrorFromResponse(response(404, "404 page not found", "text/plain"), "/x");
  assert.equal(bare404.message, "the server could not find the requested resource");
});

Deno.test("targets parse like kubectl's resource/name", () => {
  assert.deepEqual(parseTarget("web-0"), { resource: "pods", name: "web-0" });
  assert.deepEqual(parseTarget("po/web-0"), { resource: "pods", name: "web-0" });
  assert.deepEqual(parseTarget("deploy/web"), { resource: "deployments", name: "web" });
  assert.deepEqual(parseTarget("sts/db"), { resource: "statefulsets", name: "db" });
  assert.deepEqual(parseTarget("svc/api"), { resource: "services", name: "api" });
  assert.deepEqual(parseTarget("Deployment.apps/web"), { resource: "deployments", name: "web" });
  assert.deepEqual(parseTarget("deployment.v1.apps/web"), { resource: "deployments", name: "web" });
  assert.deepEqual(parseTarget("JOBS.batch/j"), { resource: "jobs", name: "j" });
  assert.deepEqual(parseTarget("Pod/web-0"), { resource: "pods", name: "web-0" });
  // kubectl's words, checked in its order (the form before the type).
  const refused: [string, string][] = [
    ["widgets/x", 'the server doesn\'t have a resource type "widgets"'],
    // Short forms are matched as written; only full names ignore case.
    ["Deploy/web", 'the server doesn\'t have a resource type "Deploy"'],
    ["deployment.v1.batch/web", 'the server doesn\'t have a resource type "deployment.v1.batch"'],
    ["deploy/", "arguments in resource/name form must have a single resource and name"],
    ["/web-0", "arguments in resource/name form must have a single resource and name"],
    ["deploy,svc/web", "arguments in resource/name form must have a single resource and name"],
    ["a/b/c", "arguments in resource/name form may not have more than one slash"],
    ["deploy/web/x", "arguments in resource/name form may not have more than one slash"],
  ];
  for (const [text, message] of refused) {
    assert.throws(() => parseTarget(text), (error: unknown) => {
      assert.ok(error instanceof TargetError, text);
      assert.equal(error.message, message, text);
      return true;
    });
  }
});

function pod(
  name: string,
  extra: Partial<Pod["status"]> & {
    node?: string;
    created?: string;
    restarts?: number;
    readySince?: string;
  } = {},
): Pod {
  return {
    metadata: { name, creationTimestamp: extra.created ?? "2026-01-01T00:00:00Z" },
    spec: { nodeName: extra.node ?? "n1", containers: [{ name: "app" }] },
    status: {
      phase: extra.phase ?? "Running",
      conditions: extra.readySince
        ? [{ type: "Ready", status: "True", lastTransitionTime: extra.readySince }]
        : [{ type: "Ready", status: "False" }],
      containerStatuses: [{ name: "app", restartCount: extra.restarts ?? 0 }],
    },
  };
}

Deno.test("the pod kubectl would pick comes first", () => {
  const pods = [
    pod("pending", { phase: "Pending" }),
    pod("unscheduled", { node: "" }),
    pod("running-not-ready"),
    pod("ready-new", { readySince: "2026-03-01T00:00:00Z" }),
    pod("ready-old", { readySince: "2026-02-01T00:00:00Z", restarts: 3 }),
    pod("ready-old-fewer", { readySince: "2026-02-01T00:00:00Z", restarts: 1 }),
  ];
  const order = [...pods].sort(compareForAttach).map((p) => p.metadata.name);
  assert.deepEqual(order, [
    "ready-old-fewer",
    "ready-old",
    "ready-new",
    "running-not-ready",
    "pending",
    "unscheduled",
  ]);
});

Deno.test("container choice: -c, annotation, first with notice", () => {
  const multi: Pod = {
    metadata: { name: "web", annotations: {} },
    spec: {
      containers: [{ name: "a" }, { name: "b" }],
      initContainers: [{ name: "init" }],
      ephemeralContainers: [{ name: "dbg" }],
    },
  };
  assert.equal(
    chooseContainer(multi, "").notice,
    'Defaulted container "a" out of: a, b, dbg (ephem), init (init)',
  );
  assert.equal(chooseContainer(multi, "b").container.name, "b");
  assert.equal(chooseContainer(multi, "b").notice, undefined);
  multi.metadata.annotations = { "kubectl.kubernetes.io/default-container": "b" };
  assert.equal(chooseContainer(multi, "").container.name, "b");
  assert.equal(chooseContainer(multi, "").notice, undefined);
  assert.equal(chooseContainer(multi, "zz").container.name, "zz");
  // An annotation naming no container is passed over for the first one, as kubectl does.
  multi.metadata.annotations = { "kubectl.kubernetes.io/default-container": "zz" };
  assert.deepEqual(chooseContainer(multi, ""), {
    container: { name: "a" },
    notice: 'Defaulted container "a" out of: a, b, dbg (ephem), init (init)',
  });
  // Checked before the annotation, even one naming an init container (kubectl's order).
  const annotatedInit = "kubectl.kubernetes.io/default-container";
  assert.throws(
    () =>
      chooseContainer({
        metadata: { name: "empty", namespace: "ns", annotations: { [annotatedInit]: "init" } },
        spec: { containers: [], initContainers: [{ name: "init" }] },
      }, ""),
    (error: unknown) =>
      error instanceof NoContainersError &&
      error.message === "pod ns/empty does not have any containers",
  );
  const single: Pod = { metadata: { name: "s" }, spec: { containers: [{ name: "only" }] } };
  assert.equal(chooseContainer(single, "").notice, undefined);
  // A hostile server's names carry no terminal escapes into the notice (kubectl's %q).
  const hostile: Pod = {
    metadata: { name: "h" },
    spec: { containers: [{ name: "a\x1b]52;c;aGk=\x07" }, { name: "b\x1b[2J" }] },
  };
  assert.equal(
    chooseContainer(hostile, "").notice,
    'Defaulted container "a\\x1b]52;c;aGk=\\a" out of: a\\x1b]52;c;aGk=\\a, b\\x1b[2J',
  );
});

Deno.test("selectors render in the API's string form", () => {
  assert.equal(
    selectorString({
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "tier", operator: "In", values: ["a", "b"] },
        { key: "gone", operator: "DoesNotExist" },
      ],
    }),
    "!gone,app=web,tier in (a,b)",
  );
});

class FakeClient implements ApiClient {
  readonly server = new URL("https://127.0.0.1:1");
  readonly requests: string[] = [];
  constructor(private readonly answer: (path: string) => ApiResponse) {}
  request(request: ApiRequest): Promise<ApiResponse> {
    this.requests.push(request.path);
    return Promise.resolve(this.answer(request.path));
  }
  upgrade(): never {
    throw new Error("not used");
  }
}

Deno.test("deploy/NAME resolves through its selector to the best pod", async () => {
  const client = new FakeClient((path) => {
    if (path.startsWith("/apis/apps/v1/namespaces/prod/deployments/web")) {
      return response(200, JSON.stringify({ spec: { selector: { matchLabels: { app: "web" } } } }));
    }
    if (path === "/api/v1/namespaces/prod/pods?labelSelector=app%3Dweb") {
      return response(
        200,
        JSON.stringify({ items: [pod("b"), pod("a", { readySince: "2026-01-02T00:00:00Z" })] }),
      );
    }
    return response(404, '{"kind":"Status","message":"nope","reason":"NotFound","code":404}');
  });
  const chosen = await resolvePod(client, "prod", "deploy/web", { timeoutMs: 1000 });
  assert.equal(chosen.metadata.name, "a");
});

Deno.test("a workload without pods times out; a service without selector is refused", async () => {
  const empty = new FakeClient((path) =>
    path.includes("/services/")
      ? response(200, JSON.stringify({ spec: {} }))
      : path.includes("/deployments/")
      ? response(200, JSON.stringify({ spec: { selector: { matchLabels: { app: "x" } } } }))
      : response(200, JSON.stringify({ items: [] }))
  );
  await assert.rejects(
    resolvePod(empty, "d", "deploy/x", { timeoutMs: 30, pollMs: 10 }),
    /timed out waiting for the condition/,
  );
  assert.ok(empty.requests.filter((p) => p.includes("/pods?")).length >= 2);
  await assert.rejects(
    resolvePod(empty, "d", "svc/headless", { timeoutMs: 30 }),
    /^TargetError: cannot attach to \*v1\.Service: invalid service 'headless': Service is defined without a selector$/,
  );
});

Deno.test("a 404 in a namespace that does not exist names the namespace, as kubectl does", async () => {
  const notFound = (what: string) =>
    response(
      404,
      JSON.stringify({
        kind: "Status",
        message: `${what} not found`,
        reason: "NotFound",
        code: 404,
      }),
    );
  const existing = new Set(["default", "prod"]);
  const client = new FakeClient((path) => {
    const namespace = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(path)?.[1];
    if (namespace !== undefined) {
      return existing.has(namespace) ? response(200, "{}") : notFound(`namespaces "${namespace}"`);
    }
    return notFound('pods "nope"');
  });
  const failure = async (namespace: string, target: string) => {
    const error = await resolvePod(client, namespace, target, { timeoutMs: 10 }).catch((e) => e);
    return error instanceof StatusError ? error.userMessage : String(error);
  };
  assert.equal(
    await failure("nons", "nope"),
    'Error from server (NotFound): namespaces "nons" not found',
  );
  assert.equal(
    await failure("nons", "deploy/web"),
    'Error from server (NotFound): namespaces "nons" not found',
  );
  // The namespace exists: the object's own 404.
  assert.equal(
    await failure("prod", "nope"),
    'Error from server (NotFound): pods "nope" not found',
  );
  // `default` is never looked up (kubectl does not either).
  client.requests.length = 0;
  assert.equal(
    await failure("default", "nope"),
    'Error from server (NotFound): pods "nope" not found',
  );
  assert.deepEqual(client.requests, ["/api/v1/namespaces/default/pods/nope"]);
});
