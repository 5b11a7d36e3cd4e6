/** Pure: the status a reconcile writes for a hook's outcome (step 6 of the loop). */
import { isDeepStrictEqual } from "node:util";
import { setCondition } from "./conditions.ts";
import type { Condition, CustomResource, HookResult, StandardStatus } from "./types.ts";

/** The standard condition types the loop maintains. */
export const ConditionType = { ready: "Ready", progressing: "Progressing", degraded: "Degraded" } as const;

/** Reasons the loop itself uses (hooks bring their own for wait/failed). */
export const LoopReason = { reconciled: "Reconciled", asExpected: "AsExpected", applyFailed: "ApplyFailed", reconcileError: "ReconcileError" } as const;

/** What {@link computeStatusPatch} needs besides the resource. */
export interface StatusInput {
  readonly result: HookResult<Record<string, unknown>>;
  /** The new `appliedSpec`: only given when every hook reported done. */
  readonly appliedSpec?: Record<string, string>;
  /** What the reconciler observed of a created resource's workload (see {@link Readiness}); decides Ready after a done. */
  readonly readiness?: Readiness;
  readonly now?: Date;
}

/**
 * Whether a created resource's workload serves (e.g. its Deployment has an available pod), with a CamelCase reason and
 * the words for status and Events. A done reconcile of a resource whose workload does not serve leaves Ready False.
 */
export interface Readiness {
  readonly ready: boolean;
  readonly reason: string;
  readonly message: string;
}

/**
 * The merge patch for `status` (observedGeneration, Ready/Progressing/Degraded, message,
 * the hook's status facts, appliedSpec), or `undefined` when it would change nothing, so
 * that a quiet resource causes no writes and no watch events.
 */
export function computeStatusPatch(resource: CustomResource<unknown, StandardStatus>, input: StatusInput): Record<string, unknown> | undefined {
  const { result } = input;
  const now = input.now ?? new Date();
  const current = (resource.status ?? {}) as StandardStatus & Record<string, unknown>;
  const generation = resource.metadata.generation;
  let conditions: Condition[] = current.conditions ?? [];
  const set = (type: string, status: Condition["status"], reason: string, message: string): void => {
    conditions = setCondition(conditions, { type, status, reason, message, observedGeneration: generation }, now);
  };
  let message: string | undefined;
  // A done without a message after a wait or a failure: status.message (the Message column) said that wait or failure,
  // and now says what Ready says instead of keeping it.
  const afterWaitOrFailure = (): string | undefined => {
    const busy = current.conditions?.some((c) => (c.type === ConditionType.progressing || c.type === ConditionType.degraded) && c.status === "True") ?? false;
    return busy ? conditions.find((c) => c.type === ConditionType.ready)?.message : undefined;
  };
  switch (result.kind) {
    case "done": {
      const { readiness } = input;
      set(ConditionType.progressing, "False", LoopReason.reconciled, "");
      set(ConditionType.degraded, "False", LoopReason.asExpected, "");
      if (readiness?.ready === false) {
        // The Ready condition says it; status.message keeps what the last step said (e.g. "NAME created …").
        set(ConditionType.ready, "False", readiness.reason, readiness.message);
        message = result.message ?? afterWaitOrFailure();
        break;
      }
      // A done without a message (nothing changed) keeps what the last message said while Ready stays True; when the
      // workload serves again after it had stopped, the readiness says so.
      const previousReady = conditions.find((c) => c.type === ConditionType.ready);
      const recovered = readiness !== undefined && result.message === undefined && readinessLost(current.conditions) ? readiness : undefined;
      if (result.message === undefined && previousReady?.status === "True") set(ConditionType.ready, "True", previousReady.reason, previousReady.message);
      else if (recovered !== undefined) set(ConditionType.ready, "True", recovered.reason, recovered.message);
      else set(ConditionType.ready, "True", LoopReason.reconciled, result.message ?? "the resource is reconciled");
      message = result.message ?? afterWaitOrFailure();
      break;
    }
    case "wait":
      set(ConditionType.ready, "False", result.reason, result.message);
      set(ConditionType.progressing, "True", result.reason, result.message);
      set(ConditionType.degraded, "False", LoopReason.asExpected, "");
      message = result.message;
      break;
    case "failed":
      set(ConditionType.ready, "False", result.reason, result.message);
      set(ConditionType.progressing, "False", result.reason, result.message);
      set(ConditionType.degraded, "True", result.reason, result.message);
      message = result.message;
      break;
  }
  // Hook facts first: the keys the loop owns must not be overridden by a hook.
  const patch: Record<string, unknown> = { ...(result.status ?? {}) };
  if (generation !== undefined) patch.observedGeneration = generation;
  patch.conditions = conditions;
  if (message !== undefined) patch.message = message;
  if (input.appliedSpec !== undefined) {
    const applied: Record<string, string | null> = { ...input.appliedSpec };
    // A merge patch merges maps: fields no longer in the spec must be nulled explicitly.
    for (const key of Object.keys(current.appliedSpec ?? {})) if (!(key in input.appliedSpec)) applied[key] = null;
    patch.appliedSpec = applied;
  }
  return changesSomething(current, patch) ? patch : undefined;
}

/**
 * Whether `conditions` say that a created resource's workload stopped serving: Ready False with nothing under way
 * (Progressing not True) and nothing failed (Degraded not True), the state a not-ready {@link Readiness} leaves.
 */
export function readinessLost(conditions: readonly Condition[] | undefined): boolean {
  const status = (type: string) => conditions?.find((c) => c.type === type)?.status;
  return status(ConditionType.ready) === "False" && status(ConditionType.progressing) !== "True" && status(ConditionType.degraded) !== "True";
}

function changesSomething(current: Record<string, unknown>, patch: Record<string, unknown>): boolean {
  for (const [key, value] of Object.entries(patch)) {
    const before = current[key];
    if (value === null ? before !== undefined && before !== null : !mergeEquals(before, value)) return true;
  }
  return false;
}

/** Whether merge-patching `value` onto `before` leaves it unchanged. */
function mergeEquals(before: unknown, value: unknown): boolean {
  if (isPlainObject(value) && isPlainObject(before)) {
    for (const [key, v] of Object.entries(value)) {
      if (v === null ? before[key] !== undefined && before[key] !== null : !mergeEquals(before[key], v)) return false;
    }
    return true;
  }
  return isDeepStrictEqual(before, value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Spec fields whose fingerprint differs between `previous` and `next` (added, changed or removed). */
export function changedFields(previous: Record<string, string>, next: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(previous), ...Object.keys(next)]);
  return [...keys].filter((k) => previous[k] !== next[k]).sort();
}
