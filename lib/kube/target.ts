/**
 * Resolves what the user named (`web-0`, `pod/web-0`, `deploy/web`, `svc/api`, …) to one pod, the
 * way kubectl's `attachablePodForObject` does, but without API discovery: the handful of workload
 * kinds is known, so no discovery round trips are spent.
 *
 * @module
 */
import type { ApiClient } from "../transport/types.ts";
import { StatusError } from "./status.ts";
import { compareForAttach } from "./active_pods.ts";
import {
  getNamespace,
  getObject,
  getPod,
  type LabelSelector,
  listPods,
  type Pod,
  selectorString,
} from "./pods.ts";

/** A target that cannot be resolved (bad syntax, unsupported kind, no pods). */
export class TargetError extends Error {
  /** @param message kubectl-worded explanation */
  constructor(message: string) {
    super(message);
    this.name = "TargetError";
  }
}

interface Kind {
  apiPrefix: string;
  resource: string;
  /** Reads the pod selector of an object of this kind. */
  selector: (object: Record<string, unknown>, name: string) => string;
}

const specSelector = (object: Record<string, unknown>) =>
  selectorString(((object.spec as { selector?: LabelSelector })?.selector) ?? {});
const mapSelector = (object: Record<string, unknown>, name: string, kind: string) => {
  const selector = (object.spec as { selector?: Record<string, string> })?.selector;
  if (!selector || Object.keys(selector).length === 0) {
    const type = kind === "service" ? "Service" : "ReplicationController";
    throw new TargetError(
      `cannot attach to *v1.${type}: invalid ${kind} '${name}': ${type} is defined without a selector`,
    );
  }
  return selectorString({ matchLabels: selector });
};

const KINDS: Record<string, Kind> = {
  deployments: { apiPrefix: "/apis/apps/v1", resource: "deployments", selector: specSelector },
  statefulsets: { apiPrefix: "/apis/apps/v1", resource: "statefulsets", selector: specSelector },
  daemonsets: { apiPrefix: "/apis/apps/v1", resource: "daemonsets", selector: specSelector },
  replicasets: { apiPrefix: "/apis/apps/v1", resource: "replicasets", selector: specSelector },
  jobs: { apiPrefix: "/apis/batch/v1", resource: "jobs", selector: specSelector },
  services: {
    apiPrefix: "/api/v1",
    resource: "services",
    selector: (object, name) => mapSelector(object, name, "service"),
  },
  replicationcontrollers: {
    apiPrefix: "/api/v1",
    resource: "replicationcontrollers",
    selector: (object, name) => mapSelector(object, name, "replication controller"),
  },
};

/** The kinds a target may name: plural, singular, API group, and kubectl's short form. */
const NAMES: { plural: string; singular: string; group: string; short?: string }[] = [
  { plural: "pods", singular: "pod", group: "", short: "po" },
  { plural: "deployments", singular: "deployment", group: "apps", short: "deploy" },
  { plural: "statefulsets", singular: "statefulset", group: "apps", short: "sts" },
  { plural: "daemonsets", singular: "daemonset", group: "apps", short: "ds" },
  { plural: "replicasets", singular: "replicaset", group: "apps", short: "rs" },
  { plural: "jobs", singular: "job", group: "batch" },
  { plural: "services", singular: "service", group: "", short: "svc" },
  { plural: "replicationcontrollers", singular: "replicationcontroller", group: "", short: "rc" },
];

/** A kind kubectl knows that has no pods. */
interface KindWithoutPods {
  plural: string;
  singular: string;
  short?: string;
  /** API group, `""` for the core group. */
  group: string;
  version: string;
  kind: string;
  clusterScoped: boolean;
}

/**
 * Kinds kubectl knows that have no pods: named, a target of one is looked up (so a missing one is
 * the server's NotFound) and then refused in kubectl's words, instead of being called a type the
 * server does not have. Columns: plural, singular, short form, group/version, kind, scope.
 */
const WITHOUT_PODS: KindWithoutPods[] = ([
  ["configmaps", "configmap", "cm", "v1", "ConfigMap"],
  ["secrets", "secret", "", "v1", "Secret"],
  ["serviceaccounts", "serviceaccount", "sa", "v1", "ServiceAccount"],
  ["endpoints", "endpoints", "ep", "v1", "Endpoints"],
  ["persistentvolumeclaims", "persistentvolumeclaim", "pvc", "v1", "PersistentVolumeClaim"],
  ["events", "event", "ev", "v1", "Event"],
  ["limitranges", "limitrange", "limits", "v1", "LimitRange"],
  ["resourcequotas", "resourcequota", "quota", "v1", "ResourceQuota"],
  ["podtemplates", "podtemplate", "", "v1", "PodTemplate"],
  ["nodes", "node", "no", "v1", "Node", "cluster"],
  ["namespaces", "namespace", "ns", "v1", "Namespace", "cluster"],
  ["persistentvolumes", "persistentvolume", "pv", "v1", "PersistentVolume", "cluster"],
  ["cronjobs", "cronjob", "cj", "batch/v1", "CronJob"],
  ["ingresses", "ingress", "ing", "networking.k8s.io/v1", "Ingress"],
  ["networkpolicies", "networkpolicy", "netpol", "networking.k8s.io/v1", "NetworkPolicy"],
  [
    "horizontalpodautoscalers",
    "horizontalpodautoscaler",
    "hpa",
    "autoscaling/v2",
    "HorizontalPodAutoscaler",
  ],
  ["poddisruptionbudgets", "poddisruptionbudget", "pdb", "policy/v1", "PodDisruptionBudget"],
  ["roles", "role", "", "rbac.authorization.k8s.io/v1", "Role"],
  ["rolebindings", "rolebinding", "", "rbac.authorization.k8s.io/v1", "RoleBinding"],
  ["clusterroles", "clusterrole", "", "rbac.authorization.k8s.io/v1", "ClusterRole", "cluster"],
  [
    "clusterrolebindings",
    "clusterrolebinding",
    "",
    "rbac.authorization.k8s.io/v1",
    "ClusterRoleBinding",
    "cluster",
  ],
  ["storageclasses", "storageclass", "sc", "storage.k8s.io/v1", "StorageClass", "cluster"],
] as const).map(([plural, singular, short, groupVersion, kind, scope]) => {
  const slash = groupVersion.lastIndexOf("/");
  return {
    plural,
    singular,
    ...(short ? { short } : {}),
    group: slash < 0 ? "" : groupVersion.slice(0, slash),
    version: groupVersion.slice(slash + 1),
    kind,
    clusterScoped: scope === "cluster",
  };
});

/**
 * The plural resource a TYPE names, as kubectl's REST mapper finds it: a short form exactly as
 * written (`deploy`, not `Deploy`), a singular or plural name in any case, optionally with its
 * group (`deployments.apps`) or version and group (`deployment.v1.apps`, `pod.v1.` for the core
 * group).
 */
function resourceOf(type: string): string | undefined {
  const known = [...NAMES, ...WITHOUT_PODS];
  const short = known.find((entry) => entry.short === type);
  if (short) return short.plural;
  const [name, ...rest] = type.toLowerCase().split(".");
  const version = rest.length >= 2 && /^v\d+((alpha|beta)\d+)?$/.test(rest[0]) ? rest.shift() : "";
  const group = rest.join(".");
  if (version === "" && rest.length > 0 && group === "") return undefined;
  const entry = known.find((e) => e.plural === name || e.singular === name);
  if (!entry || group !== entry.group && !(group === "" && version === "")) return undefined;
  return entry.plural;
}

/** A parsed `TYPE/NAME` or bare pod name. */
export interface TargetRef {
  /** Plural resource, e.g. `pods`, `deployments`. */
  resource: string;
  name: string;
}

/**
 * Whether pods can be found for a target: a pod, or a workload or service with a selector (not a
 * ConfigMap, a Node, …, which {@linkcode resolvePod} refuses in kubectl's words).
 *
 * @example
 * ```ts
 * import { parseTarget, targetHasPods } from "./target.ts";
 * targetHasPods(parseTarget("deploy/web")); // true
 * targetHasPods(parseTarget("cm/settings")); // false
 * ```
 */
export function targetHasPods(ref: TargetRef): boolean {
  return ref.resource === "pods" || KINDS[ref.resource] !== undefined;
}

/**
 * Parses a target argument.
 *
 * @example
 * ```ts
 * import { parseTarget } from "./target.ts";
 * parseTarget("deploy/web"); // { resource: "deployments", name: "web" }
 * parseTarget("web-0"); // { resource: "pods", name: "web-0" }
 * ```
 */
export function parseTarget(text: string): TargetRef {
  if (!text.includes("/")) return { resource: "pods", name: text };
  // Checked in kubectl's order: the form first, the type against the server after.
  const parts = text.split("/");
  if (parts.length !== 2) {
    throw new TargetError("arguments in resource/name form may not have more than one slash");
  }
  const [type, name] = parts;
  if (type === "" || name === "" || type.split(",").filter((t) => t).length !== 1) {
    throw new TargetError("arguments in resource/name form must have a single resource and name");
  }
  const resource = resourceOf(type);
  if (!resource) throw new TargetError(`the server doesn't have a resource type "${type}"`);
  return { resource, name };
}

/**
 * An object GET that may answer 404 because its namespace does not exist: like kubectl's resource
 * builder (cli-runtime `Info.Get`), the namespace is then looked up (except `default`), and its own
 * 404 (`namespaces "x" not found`) is the error shown, the clearer of the two.
 */
async function namespaceChecked<T>(
  client: ApiClient,
  namespace: string,
  getting: Promise<T>,
): Promise<T> {
  try {
    return await getting;
  } catch (error) {
    if (!(error instanceof StatusError) || error.code !== 404 || namespace === "default") {
      throw error;
    }
    try {
      await getNamespace(client, namespace);
    } catch (namespaceError) {
      if (namespaceError instanceof StatusError && namespaceError.code === 404) {
        throw namespaceError;
      }
    }
    throw error;
  }
}

/** Options of {@linkcode resolvePod}. */
export interface ResolveOptions {
  /** How long to wait for a pod of a workload to appear (`--pod-running-timeout`). */
  timeoutMs: number;
  /** Poll period while waiting. */
  pollMs?: number;
  /** Aborts the wait. */
  signal?: AbortSignal;
  /**
   * The workload as a manifest describes it (`exec -f`): its selector is used, not the server's
   * copy's, as kubectl takes the object from the file.
   */
  object?: Record<string, unknown>;
}

/**
 * Resolves a target to the pod kubectl would pick.
 *
 * @example
 * ```ts
 * import { resolvePod } from "./target.ts";
 * // const pod = await resolvePod(client, "default", "deploy/web", { timeoutMs: 60_000 });
 * ```
 */
export async function resolvePod(
  client: ApiClient,
  namespace: string,
  target: string,
  options: ResolveOptions,
): Promise<Pod> {
  const ref = parseTarget(target);
  if (ref.resource === "pods") {
    return await namespaceChecked(client, namespace, getPod(client, namespace, ref.name));
  }
  const kind = KINDS[ref.resource];
  if (kind === undefined) return await refuseWithoutPods(client, namespace, ref, options.object);
  const object = options.object ?? await namespaceChecked(
    client,
    namespace,
    getObject<Record<string, unknown>>(client, kind.apiPrefix, kind.resource, namespace, ref.name),
  );
  const selector = kind.selector(object, ref.name);
  const deadline = Date.now() + options.timeoutMs;
  const pollMs = options.pollMs ?? 1000;
  while (true) {
    const pods = await listPods(client, namespace, selector);
    if (pods.length > 0) return pods.sort(compareForAttach)[0];
    if (Date.now() + pollMs > deadline || options.signal?.aborted) {
      throw new TargetError(`timed out waiting for the condition`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * A kind without pods: looked up first as kubectl's resource builder does (a missing object is the
 * server's NotFound), then refused with kubectl's words (`polymorphichelpers`).
 */
async function refuseWithoutPods(
  client: ApiClient,
  namespace: string,
  ref: TargetRef,
  described: Record<string, unknown> | undefined,
): Promise<never> {
  const entry = WITHOUT_PODS.find((e) => e.plural === ref.resource)!;
  if (described === undefined) {
    const prefix = entry.group === "" ? "/api/v1" : `/apis/${entry.group}/${entry.version}`;
    const lookup = getObject(
      client,
      prefix,
      entry.plural,
      entry.clusterScoped ? undefined : namespace,
      ref.name,
    );
    await (entry.clusterScoped ? lookup : namespaceChecked(client, namespace, lookup));
  }
  const goType = `*${entry.version}.${entry.kind}`;
  throw new TargetError(`cannot attach to ${goType}: selector for ${goType} not implemented`);
}
