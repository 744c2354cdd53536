/**
 * The few REST calls kubexec needs: get a pod, list pods by selector, get a workload object.
 *
 * @module
 */
import type { ApiClient } from "../transport/types.ts";
import { statusErrorFromResponse } from "./status.ts";

/** A container of a pod spec (the fields kubexec reads). */
export interface Container {
  name: string;
  image?: string;
  command?: string[];
  tty?: boolean;
  stdin?: boolean;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
}

/** A pod (the fields kubexec reads). */
export interface Pod {
  metadata: {
    name: string;
    namespace?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    creationTimestamp?: string;
    deletionTimestamp?: string;
  };
  spec: {
    nodeName?: string;
    containers: Container[];
    initContainers?: Container[];
    ephemeralContainers?: Container[];
    /** `Always`, `OnFailure` or `Never` (the API server fills it in). */
    restartPolicy?: string;
  };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; lastTransitionTime?: string }[];
    containerStatuses?: { name: string; restartCount?: number; ready?: boolean }[];
  };
}

/** A label selector as the API serves it. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Percent-encodes one path segment. */
export function pathSegment(value: string): string {
  return encodeURIComponent(value);
}

async function getJson<T>(client: ApiClient, path: string): Promise<T> {
  const response = await client.request({ path, headers: [["Accept", "application/json"]] });
  if (response.status < 200 || response.status > 299) {
    throw statusErrorFromResponse(response, path);
  }
  return JSON.parse(new TextDecoder().decode(response.body)) as T;
}

/**
 * GETs one pod.
 *
 * @example
 * ```ts
 * import { getPod } from "./pods.ts";
 * // const pod = await getPod(client, "default", "web-0");
 * ```
 */
export function getPod(client: ApiClient, namespace: string, name: string): Promise<Pod> {
  return getJson<Pod>(
    client,
    `/api/v1/namespaces/${pathSegment(namespace)}/pods/${pathSegment(name)}`,
  );
}

/**
 * GETs a namespace (whether it exists is what callers want to know).
 *
 * @example
 * ```ts
 * import { getNamespace } from "./pods.ts";
 * // await getNamespace(client, "kube-system");
 * ```
 */
export function getNamespace(client: ApiClient, name: string): Promise<unknown> {
  return getJson<unknown>(client, `/api/v1/namespaces/${pathSegment(name)}`);
}

/**
 * Lists the pods of a namespace matching a label selector (`app=web,tier!=db`).
 *
 * @example
 * ```ts
 * import { listPods } from "./pods.ts";
 * // const pods = await listPods(client, "default", "app=web");
 * ```
 */
export async function listPods(
  client: ApiClient,
  namespace: string,
  labelSelector: string,
): Promise<Pod[]> {
  const query = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : "";
  const list = await getJson<{ items?: Pod[] }>(
    client,
    `/api/v1/namespaces/${pathSegment(namespace)}/pods${query}`,
  );
  return list.items ?? [];
}

/**
 * GETs an object by its API path prefix (`/apis/apps/v1`) and plural resource; `namespace`
 * `undefined` for a cluster-scoped one (`nodes`).
 *
 * @example
 * ```ts
 * import { getObject } from "./pods.ts";
 * // const deploy = await getObject(client, "/apis/apps/v1", "deployments", "default", "web");
 * ```
 */
export function getObject<T>(
  client: ApiClient,
  apiPrefix: string,
  resource: string,
  namespace: string | undefined,
  name: string,
): Promise<T> {
  const scope = namespace === undefined ? "" : `/namespaces/${pathSegment(namespace)}`;
  return getJson<T>(client, `${apiPrefix}${scope}/${resource}/${pathSegment(name)}`);
}

/**
 * Renders a label selector as the string form the API accepts (`a=b,c in (d,e),!f`).
 *
 * @example
 * ```ts
 * import { selectorString } from "./pods.ts";
 * selectorString({ matchLabels: { app: "web" } }); // "app=web"
 * ```
 */
export function selectorString(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const expression of selector.matchExpressions ?? []) {
    const values = (expression.values ?? []).join(",");
    switch (expression.operator) {
      case "In":
        parts.push(`${expression.key} in (${values})`);
        break;
      case "NotIn":
        parts.push(`${expression.key} notin (${values})`);
        break;
      case "Exists":
        parts.push(expression.key);
        break;
      case "DoesNotExist":
        parts.push(`!${expression.key}`);
        break;
    }
  }
  return parts.sort().join(",");
}
