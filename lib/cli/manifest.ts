/**
 * `exec -f FILE`: the object a manifest names, turned into the `TYPE/NAME` target and namespace
 * kubectl's resource builder would take from it. One object only (kubectl: "cannot exec into
 * multiple objects at a time"); YAML or JSON, a `List` counts as its items.
 *
 * @module
 */
import { parseAll } from "../yaml/parse.ts";
import { parseTarget, TargetError, targetHasPods } from "../kube/target.ts";

/** What a manifest names: the target in `TYPE/NAME` form and the object's own namespace. */
export interface ManifestTarget {
  /** `pod/web-0`, `deployment.v1.apps/web`, …, for `resolvePod`. */
  target: string;
  /** `metadata.namespace`, when the object has one. */
  namespace?: string;
  /**
   * The object itself when it is a Pod: kubectl execs into the pod as the file describes it
   * (its containers pick the default one) without reading it from the server.
   */
  pod?: Record<string, unknown>;
  /** The object itself for other kinds: its selector finds the pods, as the file has it. */
  workload?: Record<string, unknown>;
}

/**
 * A manifest that names no single object kubexec can resolve.
 *
 * @example
 * ```ts
 * import { ManifestError } from "./manifest.ts";
 * new ManifestError("no objects passed to exec").name; // "ManifestError"
 * ```
 */
export class ManifestError extends Error {
  /** @param message kubectl-worded */
  constructor(message: string) {
    super(message);
    this.name = "ManifestError";
  }
}

/**
 * `-f` named paths that do not exist. kubectl checks every path before it reads any and prints
 * one line per missing path, with `error: ` only in front of a single one.
 *
 * @example
 * ```ts
 * import { MissingManifestPathsError } from "./manifest.ts";
 * new MissingManifestPathsError(["a.yaml", "b.yaml"]).userMessage;
 * // 'the path "a.yaml" does not exist\nthe path "b.yaml" does not exist'
 * ```
 */
export class MissingManifestPathsError extends ManifestError {
  /** The paths that do not exist, in the order given. */
  readonly paths: string[];
  /** What kubectl prints for several paths (for one, `error: ` and the message). */
  readonly userMessage?: string;
  /** @param paths at least one */
  constructor(paths: string[]) {
    const lines = paths.map((path) => `the path "${path}" does not exist`);
    super(lines.length === 1 ? lines[0] : `[${lines.join(", ")}]`);
    this.name = "MissingManifestPathsError";
    this.paths = paths;
    if (lines.length > 1) this.userMessage = lines.join("\n");
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The objects of the documents, a `List`'s items in its place. */
function objectsOf(documents: unknown[]): Record<string, unknown>[] {
  const objects: Record<string, unknown>[] = [];
  for (const document of documents) {
    if (document === null) continue;
    if (!isObject(document)) {
      throw new ManifestError("a manifest holds objects, not " + typeof document);
    }
    const kind = document.kind;
    if (typeof kind === "string" && kind.endsWith("List") && Array.isArray(document.items)) {
      objects.push(...objectsOf(document.items));
    } else {
      objects.push(document);
    }
  }
  return objects;
}

/** An object read from a manifest, and the file it came from (for messages). */
export interface ManifestObject {
  object: Record<string, unknown>;
  file: string;
}

/**
 * The objects of a manifest text: every document's, a `List`'s items in its place, none for an
 * empty document.
 *
 * @throws {ManifestError} for a document that is not an object
 *
 * @example
 * ```ts
 * import { manifestObjects } from "./manifest.ts";
 * manifestObjects("kind: Pod\n---\n---\nkind: Service\n", "two.yaml").length; // 2
 * ```
 */
export function manifestObjects(text: string, file: string): ManifestObject[] {
  return objectsOf(parseAll(text, { filename: file })).map((object) => ({ object, file }));
}

/**
 * The target an object names, as kubectl's exec finds its pod.
 *
 * @throws {ManifestError} for an object without `apiVersion`, `kind` or a name, or of a kind no pod
 * can be found for (kubectl's "cannot attach to *v1.ConfigMap")
 *
 * @example
 * ```ts
 * import { objectTarget } from "./manifest.ts";
 * objectTarget({
 *   object: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web" } },
 *   file: "web.yaml",
 * }); // { target: "deployment.v1.apps/web" }
 * ```
 */
export function objectTarget({ object, file }: ManifestObject): ManifestTarget {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== "string" || apiVersion === "") {
    throw new ManifestError(`error validating "${file}": apiVersion not set`);
  }
  if (typeof kind !== "string" || kind === "") {
    throw new ManifestError(`error validating "${file}": kind not set`);
  }
  const metadata = isObject(object.metadata) ? object.metadata : {};
  const name = metadata.name;
  if (typeof name !== "string" || name === "") {
    throw new ManifestError(`resource name may not be empty (in ${file})`);
  }
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  const type = slash < 0 ? kind.toLowerCase() : `${kind.toLowerCase()}.${version}.${group}`;
  // The kinds a pod can be found for are the workloads TYPE/NAME targets resolve to pods.
  let hasPods: boolean;
  try {
    hasPods = targetHasPods(parseTarget(`${type}/${name}`));
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    hasPods = false;
  }
  if (!hasPods) {
    // kubectl's words (polymorphichelpers), with the Go type it would have decoded.
    const goType = group === "" || !group.includes(".") || group.endsWith(".k8s.io")
      ? `*${version}.${kind}`
      : "*unstructured.Unstructured";
    throw new ManifestError(`cannot attach to ${goType}: selector for ${goType} not implemented`);
  }
  const namespace = typeof metadata.namespace === "string" && metadata.namespace !== ""
    ? metadata.namespace
    : undefined;
  return {
    target: `${type}/${name}`,
    ...(namespace ? { namespace } : {}),
    ...(apiVersion === "v1" && kind === "Pod" ? { pod: object } : { workload: object }),
  };
}
