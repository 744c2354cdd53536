/**
 * `exec -f FILE`: the object a manifest names, turned into the `TYPE/NAME` target and namespace
 * kubectl's resource builder would take from it. One object only (kubectl: "cannot exec into
 * multiple objects at a time"); YAML or JSON, a `List` counts as its items.
 *
 * @module
 */
import { parseAll } from "../yaml/parse.ts";

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
}

/** A manifest that names no single object kubexec can resolve. */
export class ManifestError extends Error {
  /** @param message kubectl-worded */
  constructor(message: string) {
    super(message);
    this.name = "ManifestError";
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

/**
 * Reads the object a manifest text names.
 *
 * @throws {ManifestError} for no object, several, or one without `apiVersion`, `kind` or a name
 *
 * @example
 * ```ts
 * import { manifestTarget } from "./manifest.ts";
 * manifestTarget("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n", "web.yaml");
 * // { target: "deployment.v1.apps/web" }
 * ```
 */
export function manifestTarget(text: string, file: string): ManifestTarget {
  const objects = objectsOf(parseAll(text, { filename: file }));
  if (objects.length === 0) throw new ManifestError(`no objects passed to exec (in ${file})`);
  if (objects.length > 1) throw new ManifestError("cannot exec into multiple objects at a time");
  const [object] = objects;
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
  const type = slash < 0
    ? kind.toLowerCase()
    : `${kind.toLowerCase()}.${apiVersion.slice(slash + 1)}.${apiVersion.slice(0, slash)}`;
  const namespace = typeof metadata.namespace === "string" && metadata.namespace !== ""
    ? metadata.namespace
    : undefined;
  return {
    target: `${type}/${name}`,
    ...(namespace ? { namespace } : {}),
    ...(apiVersion === "v1" && kind === "Pod" ? { pod: object } : {}),
  };
}
