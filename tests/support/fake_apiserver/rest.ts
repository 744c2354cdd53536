/**
 * REST side of the fake: path parsing into request attributes, discovery, pods (GET, LIST with
 * selectors, WATCH), workload objects, and the self-review APIs.
 *
 * @module
 */

import { type Attributes, isAllowed } from "./auth.ts";
import { apiGroupList, apiResourceList, apiVersions } from "./discovery.ts";
import type { ServerConn } from "./conn.ts";
import { fieldSelector, labelSelector, SelectorError } from "./selectors.ts";
import { badRequest, notFound, type StatusFields, statusJson } from "./status.ts";
import { type ObjectStore, type PodEvent, type PodStore, WORKLOAD_RESOURCES } from "./store.ts";
import type { FakeServerOptions, UserInfo } from "./types.ts";

/** A parsed resource path. */
export interface ResourcePath {
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
}

/**
 * Parses `/api/v1/...` and `/apis/GROUP/VERSION/...` resource paths; `undefined` for anything
 * else (discovery and unknown paths).
 *
 * @example
 * ```ts
 * import { parseResourcePath } from "./rest.ts";
 * parseResourcePath("/api/v1/namespaces/default/pods/web-0/exec")?.subresource; // "exec"
 * ```
 */
export function parseResourcePath(pathname: string): ResourcePath | undefined {
  const parts = pathname.split("/").filter((p) => p !== "").map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api" && parts.length >= 3) {
    [group, version, rest] = ["", parts[1], parts.slice(2)];
  } else if (parts[0] === "apis" && parts.length >= 4) {
    [group, version, rest] = [parts[1], parts[2], parts.slice(3)];
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length === 0 || rest.length > 3) return undefined;
  return { group, version, namespace, resource: rest[0], name: rest[1], subresource: rest[2] };
}

/**
 * The verb a request maps to (GET → get/list/watch, POST → create, ...).
 *
 * @example
 * ```ts
 * import { requestVerb } from "./rest.ts";
 * requestVerb("GET", { group: "", version: "v1", resource: "pods" }, new URLSearchParams()); // "list"
 * ```
 */
export function requestVerb(method: string, path: ResourcePath, query: URLSearchParams): string {
  switch (method) {
    case "GET":
    case "HEAD": {
      if (path.name) return "get";
      const watch = query.get("watch");
      return watch !== null && watch !== "0" && watch.toLowerCase() !== "false" ? "watch" : "list";
    }
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return path.name ? "delete" : "deletecollection";
    default:
      return method.toLowerCase();
  }
}

/** A REST reply: a JSON body, or a watch stream written by the handler itself. */
export type RestReply =
  | { code: number; body: string; contentType?: string }
  | { stream: (conn: ServerConn) => Promise<void> };

/** What REST handlers need from the server. */
export interface RestContext {
  options: FakeServerOptions;
  pods: PodStore;
  objects: ObjectStore;
  serverAddress: string;
  /** Resolves when the server shuts down (ends watches). */
  closing: Promise<void>;
}

function json(code: number, value: unknown): RestReply {
  return { code, body: JSON.stringify(value) };
}

/**
 * A Status reply.
 *
 * @example
 * ```ts
 * import { statusReply } from "./rest.ts";
 * statusReply({ status: "Failure", message: "x", reason: "BadRequest", code: 400 });
 * ```
 */
export function statusReply(fields: StatusFields): RestReply {
  return { code: fields.code ?? 500, body: statusJson(fields, true) };
}

/**
 * Answers the non-resource paths (`/version`, `/api`, `/apis`, group versions); `undefined` if
 * the path is none of them.
 *
 * @example
 * ```ts ignore
 * const reply = discoveryReply(context, "/api");
 * ```
 */
export function discoveryReply(context: RestContext, pathname: string): RestReply | undefined {
  const path = pathname.replace(/\/+$/, "") || "/";
  if (path === "/version") {
    const version = context.options.version ??
      { major: "1", minor: "32", gitVersion: "v1.32.0" };
    return json(200, {
      ...version,
      gitCommit: "0000000000000000000000000000000000000000",
      gitTreeState: "clean",
      buildDate: "2026-01-01T00:00:00Z",
      goVersion: "go1.23.0",
      compiler: "gc",
      platform: "linux/amd64",
    });
  }
  if (path === "/api") return json(200, apiVersions(context.serverAddress));
  if (path === "/apis") return json(200, apiGroupList());
  let m = path.match(/^\/api\/(v1)$/);
  if (m) return json(200, apiResourceList("", m[1]));
  m = path.match(/^\/apis\/([^/]+)\/([^/]+)$/);
  if (m) {
    const list = apiResourceList(m[1], m[2]);
    return list ? json(200, list) : undefined;
  }
  m = path.match(/^\/apis\/([^/]+)$/);
  if (m) {
    const group = (apiGroupList().groups as { name: string }[]).find((g) => g.name === m![1]);
    return group ? json(200, { kind: "APIGroup", apiVersion: "v1", ...group }) : undefined;
  }
  return undefined;
}

function listOf(kind: string, apiVersion: string, items: unknown[], resourceVersion: string) {
  return { kind: `${kind}List`, apiVersion, metadata: { resourceVersion }, items };
}

/**
 * Serves a resource request that is not a streaming subresource.
 *
 * @example
 * ```ts ignore
 * const reply = await resourceReply(context, "GET", path, url.searchParams, user, body);
 * ```
 */
export function resourceReply(
  context: RestContext,
  method: string,
  path: ResourcePath,
  query: URLSearchParams,
  user: UserInfo,
  body: Uint8Array,
): RestReply {
  const verb = requestVerb(method, path, query);
  if (path.group === "authentication.k8s.io" && path.resource === "selfsubjectreviews") {
    if (verb !== "create") return statusReply(methodNotAllowed());
    const userInfo: Record<string, unknown> = { username: user.name };
    if (user.uid) userInfo.uid = user.uid;
    userInfo.groups = user.groups ?? [];
    if (user.extra) userInfo.extra = user.extra;
    return json(201, {
      kind: "SelfSubjectReview",
      apiVersion: `authentication.k8s.io/${path.version}`,
      metadata: { creationTimestamp: null },
      status: { userInfo },
    });
  }
  if (path.group === "authorization.k8s.io" && path.resource === "selfsubjectaccessreviews") {
    if (verb !== "create") return statusReply(methodNotAllowed());
    return selfSubjectAccessReview(context, user, body, path.version);
  }
  if (path.group === "" && path.resource === "pods") {
    if (path.subresource) return statusReply(notFoundPath());
    return podsReply(context, verb, path, query);
  }
  const info = WORKLOAD_RESOURCES.find((r) =>
    r.resource === path.resource && r.group === path.group && r.version === path.version
  );
  if (!info || path.subresource) return statusReply(notFoundPath());
  const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
  if (verb === "get") {
    const object = context.objects.get(info.resource, path.namespace ?? "", path.name!);
    return object
      ? json(200, object)
      : statusReply(notFound({ group: info.group, resource: info.resource }, path.name!));
  }
  if (verb === "list") {
    const matches = labelSelectorSafe(query.get("labelSelector"));
    if ("error" in matches) return matches.error;
    const items = context.objects.list(info.resource, path.namespace).filter((o) =>
      matches.select(
        ((o.metadata as Record<string, unknown>).labels ?? {}) as Record<string, string>,
      )
    );
    return json(200, listOf(info.kind, apiVersion, items, context.objects.resourceVersion));
  }
  return statusReply(methodNotAllowed());
}

function labelSelectorSafe(
  selector: string | null,
): { select: (labels: Record<string, string>) => boolean } | { error: RestReply } {
  try {
    return { select: labelSelector(selector) };
  } catch (error) {
    if (error instanceof SelectorError) return { error: statusReply(badRequest(error.message)) };
    throw error;
  }
}

function methodNotAllowed(): StatusFields {
  return {
    status: "Failure",
    message: "the server does not allow this method on the requested resource",
    reason: "MethodNotAllowed",
    code: 405,
  };
}

function notFoundPath(): StatusFields {
  return {
    status: "Failure",
    message: "the server could not find the requested resource",
    reason: "NotFound",
    details: {},
    code: 404,
  };
}

function podsReply(
  context: RestContext,
  verb: string,
  path: ResourcePath,
  query: URLSearchParams,
): RestReply {
  if (verb === "get") {
    const stored = context.pods.get(path.namespace ?? "", path.name!);
    return stored
      ? json(200, stored.object)
      : statusReply(notFound({ group: "", resource: "pods" }, path.name!));
  }
  if (verb !== "list" && verb !== "watch") return statusReply(methodNotAllowed());
  let byFields: (object: Record<string, unknown>) => boolean;
  try {
    byFields = fieldSelector(query.get("fieldSelector"));
  } catch (error) {
    if (error instanceof SelectorError) return statusReply(badRequest(error.message));
    throw error;
  }
  const byLabels = labelSelectorSafe(query.get("labelSelector"));
  if ("error" in byLabels) return byLabels.error;
  const selected = (object: Record<string, unknown>) => {
    const metadata = object.metadata as { namespace: string; labels?: Record<string, string> };
    return (path.namespace === undefined || metadata.namespace === path.namespace) &&
      byLabels.select(metadata.labels ?? {}) && byFields(object);
  };
  if (verb === "list") {
    const items = context.pods.list(path.namespace).map((p) => p.object).filter(selected);
    return json(200, listOf("Pod", "v1", items, context.pods.resourceVersion));
  }
  const since = Number(query.get("resourceVersion") ?? "0");
  const timeoutSeconds = Number(query.get("timeoutSeconds") ?? "0");
  return { stream: (conn) => watchPods(context, conn, selected, since, timeoutSeconds) };
}

async function watchPods(
  context: RestContext,
  conn: ServerConn,
  selected: (object: Record<string, unknown>) => boolean,
  since: number,
  timeoutSeconds: number,
): Promise<void> {
  const head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" +
    `Date: ${new Date().toUTCString()}\r\nTransfer-Encoding: chunked\r\n\r\n`;
  await conn.write(new TextEncoder().encode(head));
  const send = (event: PodEvent) => {
    if (!selected(event.object)) return;
    const line = JSON.stringify(event) + "\n";
    const size = new TextEncoder().encode(line).length;
    void conn.write(new TextEncoder().encode(`${size.toString(16)}\r\n${line}\r\n`));
  };
  for (const stored of context.pods.list()) {
    if (Number(stored.object.metadata.resourceVersion) > since) {
      send({ type: "ADDED", object: stored.object });
    }
  }
  const unsubscribe = context.pods.watch(send);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    if (timeoutSeconds > 0) timer = setTimeout(resolve, timeoutSeconds * 1000);
  });
  await Promise.race([timeout, conn.closed, context.closing]);
  clearTimeout(timer);
  unsubscribe();
  await conn.write(new TextEncoder().encode("0\r\n\r\n"));
  conn.end();
}

function selfSubjectAccessReview(
  context: RestContext,
  user: UserInfo,
  body: Uint8Array,
  version: string,
): RestReply {
  let review: { spec?: { resourceAttributes?: Record<string, string> } };
  try {
    review = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return statusReply(badRequest("invalid SelfSubjectAccessReview body"));
  }
  const ra = review.spec?.resourceAttributes ?? {};
  const attributes: Attributes = {
    verb: ra.verb ?? "",
    group: ra.group ?? "",
    resource: ra.resource ?? "",
    subresource: ra.subresource || undefined,
    namespace: ra.namespace || undefined,
    name: ra.name || undefined,
  };
  const allowed = isAllowed(context.options.rbac, user, attributes);
  const status = { allowed };
  return json(201, {
    kind: "SelfSubjectAccessReview",
    apiVersion: `authorization.k8s.io/${version}`,
    metadata: { creationTimestamp: null },
    spec: review.spec ?? {},
    status,
  });
}
