/**
 * The generic reconcile loop that every generated reconciler base class extends.
 *
 * CONTRACT between the generator (issue 3, which emits `generated/*-reconciler-base.ts`
 * extending {@link ResourceReconciler}) and the runtime (issue 6, which implements
 * {@link ReconcileContext} and drives {@link Reconciler.reconcile} from its work queue).
 * Changing a signature here breaks the other side: coordinate through the lead.
 *
 * The loop, in numbered steps (DESIGN.md, "The reconcile skeleton"):
 *  1. read the resource from the cache (gone → done);
 *  2. being deleted → `finalize` (backup); remove the finalizer only when it reports done (no
 *     status then: the object goes away); while it waits or failed, status as in step 6 (the
 *     hook's facts, conditions, message, observedGeneration; never appliedSpec);
 *     else make sure the finalizer is present;
 *  3. ask the pure `desired(resource)` for the owned children;
 *  4. apply them (server-side apply, one field manager, owner references set here);
 *  5. first successful reconcile (no `status.appliedSpec` yet) → `onCreate` (restore);
 *     otherwise `dispatchChanges` calls the typed hook of every spec field whose
 *     fingerprint differs from `status.appliedSpec`;
 *  6. write status through the status subresource: observedGeneration, conditions,
 *     message, the hooks' status facts, and the new `appliedSpec` once every hook is done;
 *  7. return done, or requeue after the delay a hook asked for.
 */
import type { KubernetesObject, V1ObjectMeta } from "@kubernetes/client-node";
import { isNotFound } from "./kube-rest.ts";
import { describeError } from "./logger.ts";
import { NotLeaderError } from "./reconcile-context.ts";
import { changedFields, computeStatusPatch, ConditionType, LoopReason } from "./reconcile-status.ts";

/** Identifies a custom resource type on the API server. */
export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

/** A standard Kubernetes condition (metav1.Condition). */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** Status fields the generic loop owns; a resource's status schema must declare them. */
export interface StandardStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  message?: string;
  /** Per spec field, the fingerprint applied by the last fully successful reconcile (secrets only as hashes). */
  appliedSpec?: Record<string, string>;
}

/** A custom resource as the loop sees it. */
export interface CustomResource<Spec = unknown, Status extends StandardStatus = StandardStatus> extends KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  spec: Spec;
  status?: Status;
}

/**
 * What a hook reports. Hooks never sleep and never write status: they return `wait`
 * to be called again later, and may hand status facts (`status`) to the loop.
 */
export type HookResult<Status = Record<string, unknown>> =
  | { readonly kind: "done"; readonly message?: string; readonly status?: Partial<Status> }
  | { readonly kind: "wait"; readonly afterMs: number; readonly reason: string; readonly message: string; readonly status?: Partial<Status> }
  | { readonly kind: "failed"; readonly reason: string; readonly message: string; readonly status?: Partial<Status> };

/** The hook finished its work. */
export function done<S = Record<string, unknown>>(message?: string, status?: Partial<S>): HookResult<S> {
  return { kind: "done", message, status };
}

/** The hook is waiting for something (e.g. a Job): call it again after `afterMs`. */
export function waitFor<S = Record<string, unknown>>(afterMs: number, reason: string, message: string, status?: Partial<S>): HookResult<S> {
  return { kind: "wait", afterMs, reason, message, status };
}

/** The hook failed in a way that needs a person (or a back-off retry); `reason` is CamelCase. */
export function failed<S = Record<string, unknown>>(reason: string, message: string, status?: Partial<S>): HookResult<S> {
  return { kind: "failed", reason, message, status };
}

/** Names one object to reconcile. */
export interface ReconcileRequest {
  readonly namespace?: string;
  readonly name: string;
}

/** What a reconcile asks of the work queue. Throwing means "retry with back-off". */
export interface ReconcileResult {
  readonly requeueAfterMs?: number;
}

/** Reads the informer caches (never the API server). */
export interface CacheReader {
  get<T extends KubernetesObject>(apiVersion: string, kind: string, namespace: string | undefined, name: string): T | undefined;
  list<T extends KubernetesObject>(apiVersion: string, kind: string, namespace?: string): T[];
}

/** Records Kubernetes Events on an object; repeats are aggregated. Never pass secrets. */
export interface EventRecorder {
  normal(object: KubernetesObject, reason: string, message: string): void;
  warning(object: KubernetesObject, reason: string, message: string): void;
}

/** Structured logger; every line carries the controller and the resource key. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Names one object: enough to read or delete it. */
export interface ObjectReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name?: string; readonly namespace?: string };
}

/** What the runtime gives a reconcile call. */
export interface ReconcileContext {
  /** The informer caches. Those of owned kinds hold only what this operator made (its managed-by label): a miss there is not proof of absence. */
  readonly cache: CacheReader;
  readonly events: EventRecorder;
  readonly log: Logger;
  /** Server-side apply with the controller's field manager; sets an owner reference to `owner` when given. */
  apply<T extends KubernetesObject>(object: T, options?: { owner?: KubernetesObject }): Promise<T>;
  /**
   * Reads one object from the API server, not a cache: an object this operator did not make (a Secret the resource
   * refers to), or proof that none of a name exists. `undefined` when absent. With `watch`, a change to the object
   * re-queues the resource for as long as its reconciles keep reading it that way.
   */
  read<T extends KubernetesObject>(object: ObjectReference, options?: { readonly watch?: boolean }): Promise<T | undefined>;
  /** Deletes an object; absent is fine. */
  delete(object: ObjectReference, options?: { propagationPolicy?: "Foreground" | "Background" | "Orphan" }): Promise<void>;
  /** Adds the finalizer (conflict-safe patch) when missing; returns the updated object. */
  addFinalizer<T extends KubernetesObject>(object: T, finalizer: string): Promise<T>;
  /** Removes the finalizer (conflict-safe patch) when present. */
  removeFinalizer<T extends KubernetesObject>(object: T, finalizer: string): Promise<void>;
  /** Merge-patches the status subresource; conditions keep lastTransitionTime unless their status flips. */
  patchStatus<T extends KubernetesObject>(object: T, status: Record<string, unknown>): Promise<void>;
}

/** Anything the runtime's controller can drive from its work queue. */
export interface Reconciler {
  reconcile(request: ReconcileRequest, ctx: ReconcileContext): Promise<ReconcileResult>;
}

/**
 * The generic loop. Generated base classes extend it with typed per-field hooks and
 * implement {@link fingerprint} and {@link dispatchChanges}; hand-written subclasses
 * implement the decisions: {@link desired}, {@link onCreate}, {@link finalize} and the field hooks.
 */
export abstract class ResourceReconciler<R extends CustomResource<unknown, StandardStatus>> implements Reconciler {
  /** The primary resource type. */
  abstract readonly resourceType: ResourceType;
  /** The finalizer that holds deletion until {@link finalize} reports done. */
  abstract readonly finalizer: string;

  /** Pure: the children this resource should own, without owner references (the loop sets them). */
  abstract desired(resource: R): KubernetesObject[];
  /** Called until done after the children of a new resource were first applied (e.g. restore). */
  abstract onCreate(resource: R, ctx: ReconcileContext): Promise<HookResult<NonNullable<R["status"]>>>;
  /** Called until done while the resource is being deleted (e.g. backup); the finalizer stays until then. */
  abstract finalize(resource: R, ctx: ReconcileContext): Promise<HookResult<NonNullable<R["status"]>>>;
  /** Generated: the per-field fingerprints of the spec (secret fields as hashes only). */
  protected abstract fingerprint(resource: R): Record<string, string>;
  /** Generated: calls the typed hook of every field whose fingerprint differs from `previous`. */
  protected abstract dispatchChanges(resource: R, previous: Record<string, string>, ctx: ReconcileContext): Promise<HookResult<NonNullable<R["status"]>>>;

  /** Runs the numbered steps above for one request. */
  async reconcile(request: ReconcileRequest, ctx: ReconcileContext): Promise<ReconcileResult> {
    const type = this.resourceType;
    // 1. Read the resource from the cache; gone means nothing left to do.
    let resource = ctx.cache.get<R>(`${type.group}/${type.version}`, type.kind, type.namespaced ? request.namespace : undefined, request.name);
    if (resource === undefined) return {};

    // 2. Being deleted: finalize until done, then let go. Otherwise hold deletion with the finalizer.
    if (resource.metadata.deletionTimestamp !== undefined && resource.metadata.deletionTimestamp !== null) {
      const deleting = resource;
      if (!(deleting.metadata.finalizers ?? []).includes(this.finalizer)) return {};
      const result = await runStep(deleting, ctx, () => this.finalize(deleting, ctx));
      if (result.kind === "done") {
        await ctx.removeFinalizer(deleting, this.finalizer);
        ctx.events.normal(deleting, "Finalized", result.message ?? "finalizer removed");
        return {};
      }
      // Held: status says why, with the hook's facts (e.g. how far a backup got, why it failed).
      try {
        return await finish(deleting, result, undefined, ctx);
      } catch (error) {
        // Gone meanwhile (someone removed the finalizer by hand): nothing left to report or retry.
        if (!isNotFound(error)) throw error;
        ctx.log.info("the resource was removed while its finalizer was held", { reason: result.reason });
        return {};
      }
    }
    if (!(resource.metadata.finalizers ?? []).includes(this.finalizer)) resource = await ctx.addFinalizer(resource, this.finalizer);
    const current = resource;

    // 3–4. Compute the children and apply them (owner references are set by apply).
    await runStep(current, ctx, async () => {
      for (const child of this.desired(current)) {
        try {
          await ctx.apply(child, { owner: current });
        } catch (error) {
          if (error instanceof Error) error.message = `apply ${child.kind ?? "object"} ${child.metadata?.name ?? ""}: ${error.message}`;
          throw Object.assign(error as object, { reconcileReason: LoopReason.applyFailed });
        }
      }
      return done();
    });

    // 5. First reconcile → onCreate; afterwards → the hooks of the fields that changed.
    const previous = current.status?.appliedSpec;
    const fingerprint = this.fingerprint(current);
    const result =
      previous === undefined
        ? await runStep(current, ctx, () => this.onCreate(current, ctx))
        : await runStep(current, ctx, () => this.dispatchChanges(current, previous, ctx));

    // 6–7. Status from the outcome; appliedSpec only once every hook is done.
    if (result.kind === "done") {
      const changed = previous === undefined ? [] : changedFields(previous, fingerprint);
      const event =
        previous === undefined
          ? { reason: "Created", message: result.message ?? "created" }
          : changed.length > 0
            ? { reason: "Updated", message: result.message ?? `applied changes to ${changed.join(", ")}` }
            : undefined;
      return finish(current, result, fingerprint, ctx, event);
    }
    return finish(current, result, undefined, ctx);
  }
}

/** A hook reported `failed`: the status says why, and the work queue retries with back-off. */
export class ReconcileFailedError extends Error {
  readonly reason: string;

  constructor(reason: string, message: string) {
    super(`${reason}: ${message}`);
    this.name = "ReconcileFailedError";
    this.reason = reason;
  }
}

/** Runs a step; an exception is reported in status (Degraded) before it propagates to the queue. */
async function runStep<S>(
  resource: CustomResource<unknown, StandardStatus>,
  ctx: ReconcileContext,
  step: () => Promise<HookResult<S>>,
): Promise<HookResult<S>> {
  try {
    return await step();
  } catch (error) {
    if (!(error instanceof NotLeaderError)) {
      const reason = (error as { reconcileReason?: unknown }).reconcileReason;
      const failure = failed(typeof reason === "string" ? reason : LoopReason.reconcileError, describeError(error));
      const patch = computeStatusPatch(resource, { result: failure as HookResult<Record<string, unknown>> });
      try {
        if (patch !== undefined) await ctx.patchStatus(resource, patch);
      } catch (statusError) {
        ctx.log.warn("could not record the failure in status", { error: describeError(statusError) });
      }
    }
    throw error;
  }
}

/**
 * Step 6 and 7: writes status when it changed, then records Events (after the status write, so
 * that a failed write retried later does not announce the same change twice), and tells the
 * queue what next. Events mark transitions, status tells where things stand: a wait is announced
 * when it starts a new phase (another reason than the running wait's) of a resource that had a
 * status before (a new resource's progress ends in its Created Event), a failure when its status
 * changed (a retry failing the same way writes nothing).
 */
async function finish<S>(
  resource: CustomResource<unknown, StandardStatus>,
  result: HookResult<S>,
  appliedSpec: Record<string, string> | undefined,
  ctx: ReconcileContext,
  doneEvent?: { reason: string; message: string },
): Promise<ReconcileResult> {
  const patch = computeStatusPatch(resource, { result: result as HookResult<Record<string, unknown>>, appliedSpec });
  if (patch !== undefined) await ctx.patchStatus(resource, patch);
  if (doneEvent !== undefined) ctx.events.normal(resource, doneEvent.reason, doneEvent.message);
  if (result.kind === "wait") {
    if (patch !== undefined && startsPhase(resource, result.reason)) ctx.events.normal(resource, result.reason, result.message);
    return { requeueAfterMs: result.afterMs };
  }
  if (result.kind === "failed") {
    if (patch !== undefined) ctx.events.warning(resource, result.reason, result.message);
    throw new ReconcileFailedError(result.reason, result.message);
  }
  return {};
}

/** Whether a wait for `reason` starts a new phase of a resource that already had conditions. */
function startsPhase(resource: CustomResource<unknown, StandardStatus>, reason: string): boolean {
  const conditions = resource.status?.conditions ?? [];
  if (conditions.length === 0) return false;
  const progressing = conditions.find((c) => c.type === ConditionType.progressing);
  return progressing?.status !== "True" || progressing.reason !== reason;
}
