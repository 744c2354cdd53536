/**
 * The order in which kubectl picks "the" pod of a workload: reverse `podutils.ActivePods` —
 * scheduled before unscheduled, Running before Unknown before Pending, ready before not ready,
 * not deleting before deleting, ready longer before ready shorter, fewer restarts, older first.
 *
 * @module
 */
import type { Pod } from "./pods.ts";

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function readyCondition(pod: Pod) {
  return pod.status?.conditions?.find((condition) => condition.type === "Ready");
}

function isReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === "True";
}

function restarts(pod: Pod): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((s) => s.restartCount ?? 0));
}

function time(value: string | undefined): number {
  return value ? Date.parse(value) : Number.NaN;
}

/**
 * Compares two pods: negative when `a` is the better pick.
 *
 * @example
 * ```ts
 * import { compareForAttach } from "./active_pods.ts";
 * // pods.sort(compareForAttach)[0] is the pod kubectl would exec into
 * ```
 */
export function compareForAttach(a: Pod, b: Pod): number {
  const scheduled = Number(Boolean(b.spec.nodeName)) - Number(Boolean(a.spec.nodeName));
  if (scheduled !== 0) return scheduled;
  const phase = (PHASE_RANK[b.status?.phase ?? ""] ?? -1) -
    (PHASE_RANK[a.status?.phase ?? ""] ?? -1);
  if (phase !== 0) return phase;
  const ready = Number(isReady(b)) - Number(isReady(a));
  if (ready !== 0) return ready;
  const deleting = Number(Boolean(a.metadata.deletionTimestamp)) -
    Number(Boolean(b.metadata.deletionTimestamp));
  if (deleting !== 0) return deleting;
  if (isReady(a) && isReady(b)) {
    const readyA = time(readyCondition(a)?.lastTransitionTime);
    const readyB = time(readyCondition(b)?.lastTransitionTime);
    if (readyA !== readyB && !(Number.isNaN(readyA) && Number.isNaN(readyB))) {
      if (Number.isNaN(readyA)) return 1;
      if (Number.isNaN(readyB)) return -1;
      return readyA - readyB;
    }
  }
  const restartOrder = restarts(a) - restarts(b);
  if (restartOrder !== 0) return restartOrder;
  const createdA = time(a.metadata.creationTimestamp);
  const createdB = time(b.metadata.creationTimestamp);
  if (Number.isNaN(createdA) !== Number.isNaN(createdB)) return Number.isNaN(createdA) ? 1 : -1;
  if (createdA !== createdB && !Number.isNaN(createdA)) return createdA - createdB;
  return 0;
}
