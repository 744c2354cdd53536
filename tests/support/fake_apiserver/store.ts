/**
 * The fake cluster's state: pods (built from short {@linkcode PodInput}s into full Pod objects)
 * and the few workload objects kubectl resolves `TYPE/NAME` targets through. Both can change
 * while a test runs; pod changes are published to watchers.
 *
 * @module
 */

import type { ContainerInput, PodInput, PodObject } from "./types.ts";

/** A pod change as a watch event. */
export interface PodEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: PodObject;
}

/** A stored pod: the served object and the test's input it came from. */
export interface StoredPod {
  input: PodInput;
  object: PodObject;
}

let uidCounter = 0;

function fakeUid(): string {
  uidCounter++;
  const hex = (uidCounter.toString(16).padStart(12, "0") + crypto.randomUUID().replaceAll("-", ""))
    .slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20, 32)
  }`;
}

function containerSpec(c: ContainerInput): Record<string, unknown> {
  const spec: Record<string, unknown> = { name: c.name, image: c.image ?? "busybox:1.36" };
  if (c.command) spec.command = c.command;
  if (c.ports) {
    spec.ports = c.ports.map((p) => ({ ...p, protocol: p.protocol ?? "TCP" }));
  }
  if (c.stdin) spec.stdin = true;
  if (c.stdinOnce) spec.stdinOnce = true;
  if (c.tty) spec.tty = true;
  return spec;
}

function containerStatus(c: ContainerInput, ready: boolean, startedAt: string) {
  const running = c.running !== false;
  return {
    name: c.name,
    state: running ? { running: { startedAt } } : { waiting: { reason: "ContainerCreating" } },
    ready: running && ready,
    restartCount: c.restartCount ?? 0,
    image: c.image ?? "busybox:1.36",
    started: running,
  };
}

/**
 * Builds the served Pod object for an input.
 *
 * @example
 * ```ts
 * import { podObject } from "./store.ts";
 * podObject({ name: "web-0", containers: [{ name: "app" }] }, "1").metadata.namespace; // "default"
 * ```
 */
export function podObject(input: PodInput, resourceVersion: string, uid = fakeUid()): PodObject {
  const created = input.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const phase = input.phase ?? "Running";
  const ready = input.ready ?? phase === "Running";
  const metadata: PodObject["metadata"] & Record<string, unknown> = {
    name: input.name,
    namespace: input.namespace ?? "default",
    uid,
    resourceVersion,
    creationTimestamp: created,
  };
  if (input.labels) metadata.labels = input.labels;
  if (input.annotations) metadata.annotations = input.annotations;
  if (input.deletionTimestamp) metadata.deletionTimestamp = input.deletionTimestamp;
  const spec: Record<string, unknown> = {
    containers: input.containers.map(containerSpec),
    restartPolicy: input.restartPolicy ?? "Always",
  };
  if (input.initContainers) spec.initContainers = input.initContainers.map(containerSpec);
  if (input.ephemeralContainers) {
    spec.ephemeralContainers = input.ephemeralContainers.map(containerSpec);
  }
  const nodeName = input.nodeName ?? "node-1";
  if (nodeName) spec.nodeName = nodeName;
  const status: Record<string, unknown> = {
    phase,
    conditions: [
      { type: "PodScheduled", status: nodeName ? "True" : "False", lastTransitionTime: created },
      { type: "Ready", status: ready ? "True" : "False", lastTransitionTime: created },
    ],
    startTime: created,
  };
  if (nodeName) {
    status.hostIP = "10.0.0.1";
    status.podIP = "10.244.0.10";
    status.containerStatuses = input.containers.map((c) => containerStatus(c, ready, created));
  }
  return { apiVersion: "v1", kind: "Pod", metadata, spec, status };
}

/**
 * Pods by namespace and name, changeable at runtime.
 *
 * @example
 * ```ts
 * import { PodStore } from "./store.ts";
 * const pods = new PodStore();
 * pods.add({ name: "web-0", containers: [{ name: "app" }] });
 * pods.get("default", "web-0")?.object.metadata.name; // "web-0"
 * ```
 */
export class PodStore {
  #pods = new Map<string, StoredPod>();
  #version = 1;
  #watchers = new Set<(event: PodEvent) => void>();

  /** Adds (or replaces) a pod and returns its served object. */
  add(input: PodInput): PodObject {
    const key = `${input.namespace ?? "default"}/${input.name}`;
    const previous = this.#pods.get(key);
    const object = podObject(input, String(++this.#version), previous?.object.metadata.uid);
    this.#pods.set(key, { input, object });
    this.#publish({ type: previous ? "MODIFIED" : "ADDED", object });
    return object;
  }

  /** Changes fields of an existing pod; throws when it does not exist. */
  update(namespace: string, name: string, change: Partial<PodInput>): PodObject {
    const stored = this.get(namespace, name);
    if (!stored) throw new Error(`pod ${namespace}/${name} does not exist`);
    return this.add({ ...stored.input, ...change, name, namespace });
  }

  /** Removes a pod; returns whether it existed. */
  remove(namespace: string, name: string): boolean {
    const key = `${namespace}/${name}`;
    const stored = this.#pods.get(key);
    if (!stored) return false;
    this.#pods.delete(key);
    this.#version++;
    this.#publish({ type: "DELETED", object: stored.object });
    this.#onRemove.forEach((listener) => listener(namespace, name));
    return true;
  }

  /** The pod, if present. */
  get(namespace: string, name: string): StoredPod | undefined {
    return this.#pods.get(`${namespace}/${name}`);
  }

  /** Pods of a namespace (every namespace when `undefined`), in insertion order. */
  list(namespace?: string): StoredPod[] {
    return [...this.#pods.values()].filter((p) =>
      namespace === undefined || p.object.metadata.namespace === namespace
    );
  }

  /** The store's current resourceVersion (for LIST responses). */
  get resourceVersion(): string {
    return String(this.#version);
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  watch(listener: (event: PodEvent) => void): () => void {
    this.#watchers.add(listener);
    return () => this.#watchers.delete(listener);
  }

  #onRemove = new Set<(namespace: string, name: string) => void>();

  /** Calls `listener` when a pod is removed (the server stops the pod's processes). */
  onRemove(listener: (namespace: string, name: string) => void): void {
    this.#onRemove.add(listener);
  }

  #publish(event: PodEvent): void {
    for (const watcher of this.#watchers) watcher(event);
  }
}

/** Where a resource lives in the API. */
export interface ResourceInfo {
  resource: string;
  group: string;
  version: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
}

/** The resources the fake serves besides pods: workloads, and a ConfigMap. */
export const WORKLOAD_RESOURCES: ResourceInfo[] = [
  {
    resource: "services",
    group: "",
    version: "v1",
    kind: "Service",
    namespaced: true,
    shortNames: ["svc"],
  },
  {
    resource: "replicationcontrollers",
    group: "",
    version: "v1",
    kind: "ReplicationController",
    namespaced: true,
    shortNames: ["rc"],
  },
  {
    resource: "deployments",
    group: "apps",
    version: "v1",
    kind: "Deployment",
    namespaced: true,
    shortNames: ["deploy"],
  },
  {
    resource: "statefulsets",
    group: "apps",
    version: "v1",
    kind: "StatefulSet",
    namespaced: true,
    shortNames: ["sts"],
  },
  {
    resource: "daemonsets",
    group: "apps",
    version: "v1",
    kind: "DaemonSet",
    namespaced: true,
    shortNames: ["ds"],
  },
  {
    resource: "replicasets",
    group: "apps",
    version: "v1",
    kind: "ReplicaSet",
    namespaced: true,
    shortNames: ["rs"],
  },
  { resource: "jobs", group: "batch", version: "v1", kind: "Job", namespaced: true },
  // Not a workload: a kind without pods, which exec and attach refuse after looking it up.
  {
    resource: "configmaps",
    group: "",
    version: "v1",
    kind: "ConfigMap",
    namespaced: true,
    shortNames: ["cm"],
  },
];

/**
 * Workload objects (Service, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
 * ReplicationController) stored as given, keyed by resource, namespace and name.
 *
 * @example
 * ```ts
 * import { ObjectStore } from "./store.ts";
 * const objects = new ObjectStore();
 * objects.add({
 *   apiVersion: "apps/v1",
 *   kind: "Deployment",
 *   metadata: { name: "web" },
 *   spec: { selector: { matchLabels: { app: "web" } } },
 * });
 * ```
 */
export class ObjectStore {
  #objects = new Map<string, Record<string, unknown>>();
  #version = 1;

  /** Adds or replaces an object; its `kind` picks the resource, namespace defaults to `default`. */
  add(object: Record<string, unknown>): Record<string, unknown> {
    const info = WORKLOAD_RESOURCES.find((r) => r.kind === object.kind);
    if (!info) throw new Error(`the fake API server does not serve kind ${String(object.kind)}`);
    const metadata = { ...(object.metadata as Record<string, unknown>) };
    metadata.namespace ??= "default";
    metadata.uid ??= fakeUid();
    metadata.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, "Z");
    metadata.resourceVersion = String(++this.#version);
    const stored = {
      ...object,
      apiVersion: info.group ? `${info.group}/${info.version}` : info.version,
      metadata,
    };
    this.#objects.set(`${info.resource}/${metadata.namespace}/${metadata.name}`, stored);
    return stored;
  }

  /** Removes an object; returns whether it existed. */
  remove(resource: string, namespace: string, name: string): boolean {
    return this.#objects.delete(`${resource}/${namespace}/${name}`);
  }

  /** The object, if present. */
  get(resource: string, namespace: string, name: string): Record<string, unknown> | undefined {
    return this.#objects.get(`${resource}/${namespace}/${name}`);
  }

  /** Objects of one resource in a namespace (all namespaces when `undefined`). */
  list(resource: string, namespace?: string): Record<string, unknown>[] {
    return [...this.#objects.entries()]
      .filter(([key]) =>
        key.startsWith(`${resource}/`) &&
        (namespace === undefined || key.startsWith(`${resource}/${namespace}/`))
      )
      .map(([, object]) => object);
  }

  /** The store's current resourceVersion. */
  get resourceVersion(): string {
    return String(this.#version);
  }
}
