/** Standard status conditions (metav1.Condition) with Kubernetes' transition-time rule. */
import type { Condition } from "./types.ts";

/** A condition to set; `lastTransitionTime` is decided by {@link setCondition}. */
export type ConditionUpdate = Omit<Condition, "lastTransitionTime">;

/** The condition of `type`, if present. */
export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** True when the condition of `type` exists and its status is "True". */
export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === "True";
}

/**
 * Returns a new list with `update` set: an existing condition of the same type keeps its
 * place and its `lastTransitionTime` unless its status flips; other conditions are untouched.
 */
export function setCondition(conditions: readonly Condition[] | undefined, update: ConditionUpdate, now: Date = new Date()): Condition[] {
  const list = conditions ? [...conditions] : [];
  const index = list.findIndex((c) => c.type === update.type);
  const previous = index >= 0 ? list[index] : undefined;
  const lastTransitionTime = previous !== undefined && previous.status === update.status ? previous.lastTransitionTime : formatConditionTime(now);
  const next: Condition = { ...update, lastTransitionTime };
  if (next.observedGeneration === undefined) delete next.observedGeneration;
  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}

/**
 * Merges `incoming` conditions into `existing` with {@link setCondition}'s rule; an incoming
 * `lastTransitionTime` is ignored unless the condition is new or flips.
 */
export function mergeConditions(
  existing: readonly Condition[] | undefined,
  incoming: readonly (ConditionUpdate | Condition)[],
  now: Date = new Date(),
): Condition[] {
  let list = existing ? [...existing] : [];
  for (const condition of incoming) {
    const { type, status, reason, message, observedGeneration } = condition;
    list = setCondition(list, { type, status, reason, message, observedGeneration }, now);
  }
  return list;
}

/** metav1.Time: RFC 3339 in UTC with whole seconds, as the API server stores it. */
export function formatConditionTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
