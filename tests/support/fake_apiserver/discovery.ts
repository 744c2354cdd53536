/**
 * Discovery documents kubectl reads before it resolves a target: `/version`, `/api`, `/apis`,
 * `/api/v1` and the group versions of the workload resources, plus the two review APIs.
 * Served as legacy (non-aggregated) JSON, which kubectl accepts after asking for the aggregated
 * form.
 *
 * @module
 */

import { WORKLOAD_RESOURCES } from "./store.ts";

const READ_VERBS = ["get", "list", "watch"];
const ALL_VERBS = [
  "create",
  "delete",
  "deletecollection",
  "get",
  "list",
  "patch",
  "update",
  "watch",
];

interface GroupVersion {
  group: string;
  version: string;
}

const GROUPS: GroupVersion[] = [
  { group: "apps", version: "v1" },
  { group: "batch", version: "v1" },
  { group: "authentication.k8s.io", version: "v1" },
  { group: "authorization.k8s.io", version: "v1" },
];

function singular(resource: string): string {
  return resource.endsWith("ies") ? resource.slice(0, -3) + "y" : resource.replace(/s$/, "");
}

/**
 * The `/api` document.
 *
 * @example
 * ```ts
 * import { apiVersions } from "./discovery.ts";
 * apiVersions("127.0.0.1:6443").versions; // ["v1"]
 * ```
 */
export function apiVersions(
  serverAddress: string,
): Record<string, unknown> & { versions: string[] } {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

/**
 * The `/apis` document.
 *
 * @example
 * ```ts
 * import { apiGroupList } from "./discovery.ts";
 * apiGroupList().kind; // "APIGroupList"
 * ```
 */
export function apiGroupList(): Record<string, unknown> {
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: GROUPS.map(({ group, version }) => {
      const gv = { groupVersion: `${group}/${version}`, version };
      return { name: group, versions: [gv], preferredVersion: gv };
    }),
  };
}

/**
 * The `APIResourceList` of a group version (`""` + `v1` for `/api/v1`), or `undefined` when
 * the fake does not serve it.
 *
 * @example
 * ```ts
 * import { apiResourceList } from "./discovery.ts";
 * apiResourceList("apps", "v1")?.groupVersion; // "apps/v1"
 * ```
 */
export function apiResourceList(
  group: string,
  version: string,
): (Record<string, unknown> & { groupVersion: string }) | undefined {
  const groupVersion = group ? `${group}/${version}` : version;
  const resources: Record<string, unknown>[] = [];
  if (!group && version === "v1") {
    resources.push(
      {
        name: "namespaces",
        singularName: "namespace",
        namespaced: false,
        kind: "Namespace",
        verbs: READ_VERBS,
        shortNames: ["ns"],
      },
      {
        name: "pods",
        singularName: "pod",
        namespaced: true,
        kind: "Pod",
        verbs: ALL_VERBS,
        shortNames: ["po"],
        categories: ["all"],
      },
      {
        name: "pods/attach",
        singularName: "",
        namespaced: true,
        kind: "PodAttachOptions",
        verbs: ["create", "get"],
      },
      {
        name: "pods/exec",
        singularName: "",
        namespaced: true,
        kind: "PodExecOptions",
        verbs: ["create", "get"],
      },
      { name: "pods/log", singularName: "", namespaced: true, kind: "Pod", verbs: ["get"] },
      {
        name: "pods/portforward",
        singularName: "",
        namespaced: true,
        kind: "PodPortForwardOptions",
        verbs: ["create", "get"],
      },
      {
        name: "pods/status",
        singularName: "",
        namespaced: true,
        kind: "Pod",
        verbs: ["get", "patch", "update"],
      },
    );
  } else if (!GROUPS.some((g) => g.group === group && g.version === version)) {
    return undefined;
  }
  for (const info of WORKLOAD_RESOURCES) {
    if (info.group !== group || info.version !== version) continue;
    const entry: Record<string, unknown> = {
      name: info.resource,
      singularName: singular(info.resource),
      namespaced: info.namespaced,
      kind: info.kind,
      verbs: ALL_VERBS,
      categories: ["all"],
    };
    if (info.shortNames) entry.shortNames = info.shortNames;
    resources.push(entry);
  }
  if (group === "authentication.k8s.io") {
    resources.push({
      name: "selfsubjectreviews",
      singularName: "selfsubjectreview",
      namespaced: false,
      kind: "SelfSubjectReview",
      verbs: ["create"],
    });
  }
  if (group === "authorization.k8s.io") {
    resources.push({
      name: "selfsubjectaccessreviews",
      singularName: "selfsubjectaccessreview",
      namespaced: false,
      kind: "SelfSubjectAccessReview",
      verbs: ["create"],
    });
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion, resources };
}
