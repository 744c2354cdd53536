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

/**
 * Kinds kubectl knows that have no pods: named, a target of one is looked up (so a missing one is
 * the server's NotFound) and then refused in kubectl's words, instead of being called a type the
 * server does not have.
 */
const WITHOUT_PODS: {
  plural: string;
  singular: string;
  group: string;
  short?: string;
  version: string;
  kind: string;
  clusterScoped?: boolean;
}[] = [
  {
    plural: "configmaps",
    singular: "configmap",
    group: "",
    short: "cm",
    version: "v1",
    kind: "ConfigMap",
  },
  { plural: "secrets", singular: "secret", group: "", version: "v1", kind: "Secret" },
  {
    plural: "serviceaccounts",
    singular: "serviceaccount",
    group: "",
    short: "sa",
    version: "v1",
    kind: "ServiceAccount",
  },
  {
    plural: "endpoints",
    singular: "endpoints",
    group: "",
    short: "ep",
    version: "v1",
    kind: "Endpoints",
  },
  {
    plural: "persistentvolumeclaims",
    singular: "persistentvolumeclaim",
    group: "",
    short: "pvc",
    version: "v1",
    kind: "PersistentVolumeClaim",
  },
  { plural: "events", singular: "event", group: "", short: "ev", version: "v1", kind: "Event" },
  {
    plural: "limitranges",
    singular: "limitrange",
    group: "",
    short: "limits",
    version: "v1",
    kind: "LimitRange",
  },
  {
    plural: "resourcequotas",
    singular: "resourcequota",
    group: "",
    short: "quota",
    version: "v1",
    kind: "ResourceQuota",
  },
  {
    plural: "podtemplates",
    singular: "podtemplate",
    group: "",
    version: "v1",
    kind: "PodTemplate",
  },
  {
    plural: "nodes",
    singular: "node",
    group: "",
    short: "no",
    version: "v1",
    kind: "Node",
    clusterScoped: true,
  },
  {
    plural: "namespaces",
    singular: "namespace",
    group: "",
    short: "ns",
    version: "v1",
    kind: "Namespace",
    clusterScoped: true,
  },
  {
    plural: "persistentvolumes",
    singular: "persistentvolume",
    group: "",
    short: "pv",
    version: "v1",
    kind: "PersistentVolume",
    clusterScoped: true,
  },
  {
    plural: "cronjobs",
    singular: "cronjob",
    group: "batch",
    short: "cj",
    version: "v1",
    kind: "CronJob",
  },
  {
    plural: "ingresses",
    singular: "ingress",
    group: "networking.k8s.io",
    short: "ing",
    version: "v1",
    kind: "Ingress",
  },
  {
    plural: "networkpolicies",
    singular: "networkpolicy",
    group: "networking.k8s.io",
    short: "netpol",
    version: "v1",
    kind: "NetworkPolicy",
  },
  {
    plural: "horizontalpodautoscalers",
    singular: "horizontalpodautoscaler",
    group: "autoscaling",
    short: "hpa",
    version: "v2",
    kind: "HorizontalPodAutoscaler",
  },
  {
    plural: "poddisruptionbudgets",
    singular: "poddisruptionbudget",
    group: "policy",
    short: "pdb",
    version: "v1",
    kind: "PodDisruptionBudget",
  },
  {
    plural: "roles",
    singular: "role",
    group: "rbac.authorization.k8s.io",
    version: "v1",
    kind: "Role",
  },
  {
    plural: "rolebindings",
    singular: "rolebinding",
    group: "rbac.authorization.k8s.io",
    version: "v1",
    kind: "RoleBinding",
  },
  {
    plural: "clusterroles",
    singular: "clusterrole",
    group: "rbac.authorization.k8s.io",
    version: "v1",
    kind: "ClusterRole",
    clusterScoped: true,
  },
  {
    plural: "clusterrolebindings",
    singular: "clusterrolebinding",
    group: "rbac.authorization.k8s.io",
    version: "v1",
    kind: "ClusterRoleBinding",
    clusterScoped: true,
  },
  {
    plural: "storageclasses",
    singular: "storageclass",
    group: "storage.k8s.io",
    short: "sc",
    version: "v1",
    kind: "StorageClass",
    clusterScoped: true,
  },
];

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
