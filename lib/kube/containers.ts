/**
 * Picks the container to exec into, as kubectl's `podcmd.FindOrDefaultContainerByName` does:
 * `-c`, else the `kubectl.kubernetes.io/default-container` annotation (when it names a container
 * of the pod), else the first container with the "Defaulted container" notice.
 *
 * @module
 */
import type { Container, Pod } from "./pods.ts";
import { goEscape, goQuote } from "../go_quote.ts";

/** The annotation naming a pod's default container. */
export const DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container";

/**
 * The pod lists no containers to default to (a pod read from a manifest, `exec -f`, may not).
 *
 * @example
 * ```ts
 * import { NoContainersError } from "./containers.ts";
 * new NoContainersError("web", "p").message; // "pod web/p does not have any containers"
 * ```
 */
export class NoContainersError extends Error {
  /**
   * @param namespace the pod's namespace
   * @param pod the pod's name
   */
  constructor(readonly namespace: string, readonly pod: string) {
    super(`pod ${namespace}/${pod} does not have any containers`);
    this.name = "NoContainersError";
  }
}

/** The chosen container and the notice to print (unless quiet), if any. */
export interface ContainerChoice {
  container: Container;
  notice?: string;
}

function allNames(pod: Pod): string {
  return [
    ...pod.spec.containers.map((c) => c.name),
    ...(pod.spec.ephemeralContainers ?? []).map((c) => `${c.name} (ephem)`),
    ...(pod.spec.initContainers ?? []).map((c) => `${c.name} (init)`),
  ].join(", ");
}

function find(pod: Pod, name: string): Container | undefined {
  return [
    ...pod.spec.containers,
    ...(pod.spec.initContainers ?? []),
    ...(pod.spec.ephemeralContainers ?? []),
  ].find((c) => c.name === name);
}

/**
 * Chooses the container.
 *
 * @example
 * ```ts
 * import { chooseContainer } from "./containers.ts";
 * const pod = { metadata: { name: "p" }, spec: { containers: [{ name: "a" }, { name: "b" }] } };
 * chooseContainer(pod, "").notice; // 'Defaulted container "a" out of: a, b'
 * ```
 */
export function chooseContainer(pod: Pod, requested: string): ContainerChoice {
  if (requested) {
    // Like kubectl, an explicit name is left to the server to judge (its 400 is the message users
    // know); only the name is needed for the request.
    return { container: find(pod, requested) ?? { name: requested } };
  }
  // In kubectl's order: no containers first, then the annotation.
  const first = pod.spec.containers[0];
  if (!first) throw new NoContainersError(pod.metadata.namespace ?? "", pod.metadata.name);
  const annotated = pod.metadata.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  // An annotation naming no container of the pod is passed over, as kubectl does: the first
  // container is taken, with the usual notice.
  const container = annotated ? find(pod, annotated) : undefined;
  if (container) return { container };
  const multiple = pod.spec.containers.length > 1 || (pod.spec.initContainers ?? []).length > 0 ||
    (pod.spec.ephemeralContainers ?? []).length > 0;
  return {
    container: first,
    // kubectl's %q: a hostile server's name cannot carry terminal escapes into the notice.
    notice: multiple
      ? `Defaulted container ${goQuote(first.name)} out of: ${goEscape(allNames(pod))}`
      : undefined,
  };
}
