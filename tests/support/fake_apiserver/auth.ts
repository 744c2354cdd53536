/**
 * Authentication (client certificate, bearer token in the header or the WebSocket subprotocol,
 * basic auth), impersonation and a small RBAC authorizer whose denials are worded like
 * kube-apiserver's.
 *
 * @module
 */

import type { ServerConn } from "./conn.ts";
import { TOKEN_PROTOCOL_PREFIX } from "./channels.ts";
import { forbidden, type StatusFields } from "./status.ts";
import type { FakeServerOptions, RbacRule, UserInfo } from "./types.ts";

/** Who a request authenticated as, and the subprotocol header with any token entry removed. */
export interface Authentication {
  user: UserInfo | undefined;
  /** `Sec-WebSocket-Protocol` lines after removing the bearer-token entry. */
  protocolLines: string[] | undefined;
}

function withAuthenticated(user: UserInfo): UserInfo {
  const groups = [...(user.groups ?? [])];
  if (!groups.includes("system:authenticated")) groups.push("system:authenticated");
  return { ...user, groups };
}

/**
 * Authenticates a request like kube-apiserver's union authenticator: a valid client
 * certificate, else a bearer token (`Authorization` or the WebSocket token subprotocol), else
 * basic auth; anonymous when enabled.
 *
 * @example
 * ```ts ignore
 * const { user } = authenticate(options, conn, request.headers);
 * ```
 */
export function authenticate(
  options: FakeServerOptions,
  conn: ServerConn,
  headers: Record<string, string[]>,
): Authentication {
  let protocolLines = headers["sec-websocket-protocol"];
  const tokens = options.tokens ?? {};
  let user: UserInfo | undefined = conn.peer
    ? { name: conn.peer.commonName, groups: conn.peer.organizations }
    : undefined;
  const authorization = headers["authorization"]?.[0] ?? "";
  if (!user && authorization.startsWith("Bearer ")) {
    user = tokens[authorization.slice(7).trim()];
  } else if (!user && authorization.startsWith("Basic ")) {
    let decoded = "";
    try {
      decoded = new TextDecoder().decode(Uint8Array.fromBase64(authorization.slice(6).trim()));
    } catch {
      decoded = "";
    }
    const colon = decoded.indexOf(":");
    const name = decoded.slice(0, colon);
    const entry = (options.basicUsers ?? {})[name];
    if (colon > 0 && entry && entry.password === decoded.slice(colon + 1)) {
      user = { name, groups: entry.groups ?? [] };
    }
  }
  const isWebSocket = headers["upgrade"]?.[0]?.toLowerCase() === "websocket";
  if (!user && isWebSocket && protocolLines) {
    const all = protocolLines.flatMap((line) => line.split(",").map((p) => p.trim()));
    const tokenEntries = all.filter((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
    if (tokenEntries.length === 1 && all.length > 1) {
      const rest = all.filter((p) => !p.startsWith(TOKEN_PROTOCOL_PREFIX));
      let token = "";
      try {
        token = new TextDecoder("utf-8", { fatal: true }).decode(
          Uint8Array.fromBase64(tokenEntries[0].slice(TOKEN_PROTOCOL_PREFIX.length), {
            alphabet: "base64url",
            lastChunkHandling: "loose",
          }),
        );
      } catch {
        token = "";
      }
      user = tokens[token];
      if (user) protocolLines = [rest.join(",")];
    }
  }
  if (user) return { user: withAuthenticated(user), protocolLines };
  if (options.anonymous) {
    return {
      user: { name: "system:anonymous", groups: ["system:unauthenticated"] },
      protocolLines,
    };
  }
  return { user: undefined, protocolLines };
}

/** The attributes of one authorization check. */
export interface Attributes {
  verb: string;
  /** Core group is `""`. */
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

const SELF_REVIEWS = new Set([
  "selfsubjectreviews",
  "selfsubjectaccessreviews",
  "selfsubjectrulesreviews",
]);

function matches(list: string[] | undefined, value: string): boolean {
  return list === undefined || list.includes("*") || list.includes(value);
}

/**
 * Whether `user` may do `attributes` under `rules` (`undefined` rules allow everything;
 * `system:masters` is always allowed).
 *
 * @example
 * ```ts
 * import { isAllowed } from "./auth.ts";
 * isAllowed(undefined, { name: "a" }, { verb: "get", group: "", resource: "pods" }); // true
 * ```
 */
export function isAllowed(
  rules: RbacRule[] | undefined,
  user: UserInfo,
  attributes: Attributes,
): boolean {
  if (!rules || user.groups?.includes("system:masters")) return true;
  // The bootstrap role system:basic-user lets every authenticated user review itself.
  if (attributes.verb === "create" && SELF_REVIEWS.has(attributes.resource)) return true;
  const resource = attributes.subresource
    ? `${attributes.resource}/${attributes.subresource}`
    : attributes.resource;
  return rules.some((rule) =>
    (rule.users?.includes(user.name) ||
      rule.groups?.some((g) => user.groups?.includes(g))) &&
    matches(rule.verbs, attributes.verb) &&
    matches(rule.resources, resource) &&
    matches(rule.apiGroups, attributes.group) &&
    (rule.namespaces === undefined || rule.namespaces.includes(attributes.namespace ?? "")) &&
    (rule.resourceNames === undefined || rule.resourceNames.includes(attributes.name ?? ""))
  );
}

/**
 * The 403 Status for a denied request, worded like apiserver's `forbiddenMessage`.
 *
 * @example
 * ```ts
 * import { forbiddenStatus } from "./auth.ts";
 * forbiddenStatus({ name: "alice" }, {
 *   verb: "get", group: "", resource: "pods", subresource: "exec", namespace: "default", name: "web-0",
 * }).message;
 * ```
 */
export function forbiddenStatus(user: UserInfo, attributes: Attributes): StatusFields {
  const resource = attributes.subresource
    ? `${attributes.resource}/${attributes.subresource}`
    : attributes.resource;
  const where = attributes.namespace
    ? `in the namespace ${JSON.stringify(attributes.namespace)}`
    : "at the cluster scope";
  const why = `User ${JSON.stringify(user.name)} cannot ${attributes.verb} resource ${
    JSON.stringify(resource)
  } in API group ${JSON.stringify(attributes.group)} ${where}`;
  return forbidden(
    { group: attributes.group, resource: attributes.resource },
    attributes.name ?? "",
    why,
  );
}

/** Outcome of applying `Impersonate-*` headers. */
export type ImpersonationResult =
  | { ok: true; user: UserInfo }
  | { ok: false; status: StatusFields };

/**
 * Applies `Impersonate-User`, `-Group`, `-Uid` and `-Extra-*` after checking the `impersonate`
 * verb for each, as the apiserver's impersonation filter does.
 *
 * @example
 * ```ts ignore
 * const result = impersonate(options.rbac, user, request.headers);
 * ```
 */
export function impersonate(
  rules: RbacRule[] | undefined,
  user: UserInfo,
  headers: Record<string, string[]>,
): ImpersonationResult {
  const name = headers["impersonate-user"]?.[0];
  const groups = headers["impersonate-group"] ?? [];
  const uid = headers["impersonate-uid"]?.[0];
  const extraKeys = Object.keys(headers).filter((h) => h.startsWith("impersonate-extra-"));
  if (name === undefined) {
    if (groups.length > 0 || uid !== undefined || extraKeys.length > 0) {
      return {
        ok: false,
        status: {
          status: "Failure",
          message: "Internal error occurred: requested impersonation without a user",
          reason: "InternalError",
          code: 500,
        },
      };
    }
    return { ok: true, user };
  }
  const checks: Attributes[] = [
    { verb: "impersonate", group: "", resource: "users", name },
    ...groups.map((g) => ({ verb: "impersonate", group: "", resource: "groups", name: g })),
  ];
  if (uid !== undefined) {
    checks.push({
      verb: "impersonate",
      group: "authentication.k8s.io",
      resource: "uids",
      name: uid,
    });
  }
  const extra: Record<string, string[]> = {};
  for (const header of extraKeys) {
    const key = decodeURIComponent(header.slice("impersonate-extra-".length));
    extra[key] = headers[header];
    for (const value of headers[header]) {
      checks.push({
        verb: "impersonate",
        group: "authentication.k8s.io",
        resource: "userextras",
        subresource: key,
        name: value,
      });
    }
  }
  for (const check of checks) {
    if (!isAllowed(rules, user, check)) return { ok: false, status: forbiddenStatus(user, check) };
  }
  const impersonated: UserInfo = { name, groups: [...groups] };
  if (uid !== undefined) impersonated.uid = uid;
  if (extraKeys.length > 0) impersonated.extra = extra;
  if (name !== "system:anonymous") impersonated.groups!.push("system:authenticated");
  return { ok: true, user: impersonated };
}
