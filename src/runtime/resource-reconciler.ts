/**
 * The generic reconcile loop that every generated reconciler base class extends. Everything
 * that does not vary with the schema lives here: fingerprints, the dispatch of change hooks by
 * policy, the typed result constructors. A generated base class adds only the field table and
 * the typed hooks; the runtime's controller drives {@link Reconciler.reconcile} from its work queue.
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
 *     otherwise, for every spec field whose fingerprint differs from `status.appliedSpec`,
 *     what its change policy says: call its typed hook (`hook`), nothing (`rollout`), or
 *     fail (`immutable`);
 *  6. write status through the status subresource: observedGeneration, conditions,
 *     message, the hooks' status facts, and the new `appliedSpec` once every hook is done;
 *  7. return done, or requeue after the delay a hook asked for.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { done, failed, waitFor } from "./hook-result.ts";
import { isInvalid, isNotFound } from "./kube-rest.ts";
import { describeError } from "./logger.ts";
import { AlreadyOwnedError, ApplyRefusedError, NotLeaderError } from "./reconcile-context.ts";
import { changedFields, computeStatusPatch, ConditionType, LoopReason, readinessLost, type Readiness } from "./reconcile-status.ts";
import { decodeFingerprint, fingerprintSpec, type FieldChange, type SpecFieldInfo } from "./spec-fields.ts";
import type { AnyResource, HookResult, ReconcileContext, ReconcileRequest, ReconcileResult, Reconciler, ResourceType, SpecOf, StatusOf } from "./types.ts";
import { remembered } from "./bounded-memo.ts";

/** The change hooks of a resource type by spec field, as a generated base class hands them to the loop. */
export type ChangeHooks<R extends AnyResource> = {
  readonly [K in keyof SpecOf<R> & string]?: (resource: R, change: FieldChange<SpecOf<R>[K]>, ctx: ReconcileContext) => Promise<HookResult<StatusOf<R>>>;
};

/**
 * The generic loop. Generated base classes extend it with the field table ({@link specFields})
 * and typed per-field hooks ({@link changeHooks}); hand-written subclasses implement the
 * decisions: {@link desired}, {@link onCreate}, {@link finalize} and the field hooks.
 */
export abstract class ResourceReconciler<R extends AnyResource> implements Reconciler {
  /** The primary resource type. */
  abstract readonly resourceType: ResourceType;
  /** The finalizer that holds deletion until {@link finalize} reports done. */
  abstract readonly finalizer: string;
  /** Generated: the spec fields in schema order, with their change policy and sensitivity. */
  protected abstract readonly specFields: readonly SpecFieldInfo[];

  /** Pure: the children this resource should own, without owner references (the loop sets them). */
  abstract desired(resource: R): KubernetesObject[];
  /** Called until done after the children of a new resource were first applied (e.g. restore). */
  abstract onCreate(resource: R, ctx: ReconcileContext): Promise<HookResult<StatusOf<R>>>;
  /** Called until done while the resource is being deleted (e.g. backup); the finalizer stays until then. */
  abstract finalize(resource: R, ctx: ReconcileContext): Promise<HookResult<StatusOf<R>>>;
  /** Generated: the typed hook of every field whose policy is `hook`. */
  protected abstract changeHooks(): ChangeHooks<R>;

  /**
   * Generated: why the schema refuses this resource's spec (missing, or invalid), one message per
   * problem; empty when it is fine. The loop adds no finalizer to, and runs no hook on, a refused spec.
   */
  protected specProblems(_resource: R): string[] {
    return [];
  }

  /**
   * Whether the workload of a resource whose creation finished serves now (e.g. its server's Deployment has an
   * available pod), read from the cache after every fully done reconcile: Ready follows it, with an Event when it
   * turns. `undefined` (the default): Ready is True whenever the hooks are done.
   */
  protected readiness(_resource: R, _ctx: ReconcileContext): Readiness | undefined {
    return undefined;
  }

  /** Typed {@link HookResult}: the hook finished; `status` facts are merged into the status the loop writes. */
  protected done(message?: string, status?: Partial<StatusOf<R>>): HookResult<StatusOf<R>> {
    return done(message, status);
  }

  /** Typed {@link HookResult}: call the hook again after `afterMs` (e.g. while a Job runs); `reason` is CamelCase. */
  protected waitFor(afterMs: number, reason: string, message: string, status?: Partial<StatusOf<R>>): HookResult<StatusOf<R>> {
    return waitFor(afterMs, reason, message, status);
  }

  /** Typed {@link HookResult}: the hook cannot go on without a person (or a back-off retry); `reason` is CamelCase. */
  protected failed(reason: string, message: string, status?: Partial<StatusOf<R>>): HookResult<StatusOf<R>> {
    return failed(reason, message, status);
  }

  /** Per spec field, canonical JSON of its value; sensitive fields only as an HMAC keyed by the object's uid. */
  protected fingerprint(resource: R): Record<string, string> {
    return fingerprintSpec(resource, this.specFields);
  }

  /**
   * Step 5 after creation: in schema order, for every field whose fingerprint differs from
   * `previous`, what its policy says. Stops at the first result that is not done and returns it,
   * carrying the status facts gathered so far.
   */
  protected async dispatchChanges(resource: R, previous: Record<string, string>, ctx: ReconcileContext): Promise<HookResult<StatusOf<R>>> {
    const current = this.#fingerprintOf(resource);
    const hooks = this.changeHooks() as Record<string, ChangeHook<R> | undefined>;
    const spec = (resource.spec ?? {}) as Record<string, unknown>;
    let facts: Partial<StatusOf<R>> = {};
    const messages: string[] = [];
    for (const field of this.specFields) {
      if (current[field.name] === previous[field.name]) continue;
      const before = field.sensitive === true ? undefined : decodeFingerprint(previous[field.name]);
      let result: HookResult<StatusOf<R>>;
      if (field.onChange === "rollout") continue;
      if (field.onChange === "immutable") result = immutableRefused(field, before, spec[field.name]);
      else {
        const hook = hooks[field.name];
        if (hook === undefined) throw new Error(`spec.${field.name} has change policy "hook" but no hook`);
        result = await hook(resource, { previous: before, current: spec[field.name] }, ctx);
      }
      if (result.kind !== "done") return { ...result, status: { ...facts, ...result.status } };
      facts = { ...facts, ...result.status };
      if (result.message !== undefined) messages.push(result.message);
    }
    return done(messages.length > 0 ? messages.join("; ") : undefined, facts);
  }

  /** {@link specProblems} by `uid/generation`, oldest first. */
  readonly #verdicts = new Map<string, string[]>();
  /** {@link fingerprint} by `uid/generation`, oldest first. */
  readonly #fingerprints = new Map<string, Readonly<Record<string, string>>>();
  /**
   * `uid/resourceVersion` of each version this reconciler removed its finalizer from, oldest first: the cache may show
   * that version again (a child's event wakes the resource before the removal's own event is in), and finalizing it
   * again would put back what the finalizer released, e.g. a finalizer on a child that no one is left to take off.
   */
  readonly #finalized = new Map<string, true>();

  /**
   * {@link fingerprint}, remembered per uid and generation as {@link specProblems} is (the spec changes only with the
   * generation): a sensitive field's HMAC is computed twice in every reconcile otherwise.
   */
  #fingerprintOf(resource: R): Record<string, string> {
    const { uid, generation } = resource.metadata;
    if (uid === undefined || generation === undefined) return this.fingerprint(resource);
    return remembered(this.#fingerprints, `${uid}/${generation}`, REMEMBERED_VERDICTS, () => Object.freeze(this.fingerprint(resource)));
  }
  /** {@link desired} by uid, with the resourceVersion it was built from; the least recently used first. */
  readonly #children = new Map<string, { readonly resourceVersion: string; readonly children: KubernetesObject[] }>();

  /**
   * {@link desired}, remembered per uid for the resourceVersion it was built from: it is pure in the resource, and most
   * reconciles are woken by a child while the resource stays as it was. The same objects handed to the writer again let
   * it skip hashing them. Only the {@link REMEMBERED_CHILDREN} resources reconciled last are remembered (a Deployment is a
   * few kilobytes): a burst of reconciles of one resource comes close together.
   */
  #desiredOf(resource: R): KubernetesObject[] {
    const { uid, resourceVersion } = resource.metadata;
    if (uid === undefined || resourceVersion === undefined) return this.desired(resource);
    const known = this.#children.get(uid);
    this.#children.delete(uid);
    const children = known?.resourceVersion === resourceVersion ? known.children : this.desired(resource);
    if (this.#children.size >= REMEMBERED_CHILDREN) this.#children.delete(this.#children.keys().next().value as string);
    this.#children.set(uid, { resourceVersion, children });
    return children;
  }

  /**
   * {@link specProblems}, remembered per uid and generation: the API server raises `metadata.generation` with every
   * change of the spec, and most reconciles are woken by a child or a status write, not by a spec change, while
   * validating is the costliest pure step of a reconcile. Bounded: the oldest verdicts are forgotten first.
   */
  #specProblemsOf(resource: R): string[] {
    const { uid, generation } = resource.metadata;
    if (uid === undefined || generation === undefined) return this.specProblems(resource);
    return remembered(this.#verdicts, `${uid}/${generation}`, REMEMBERED_VERDICTS, () => this.specProblems(resource));
  }

  /** Runs the numbered steps above for one request. */
  async reconcile(request: ReconcileRequest, ctx: ReconcileContext): Promise<ReconcileResult> {
    const type = this.resourceType;
    // 1. Read the resource from the cache; gone means nothing left to do.
    let resource = ctx.cache.get<R>(`${type.group}/${type.version}`, type.kind, type.namespaced ? request.namespace : undefined, request.name);
    if (resource === undefined) return {};

    // 2. Being deleted: finalize until done, then let go. Otherwise hold deletion with the finalizer,
    //    but only for a spec the schema accepts: an object nobody can reconcile must stay deletable.
    const problems = this.#specProblemsOf(resource);
    if (resource.metadata.deletionTimestamp !== undefined && resource.metadata.deletionTimestamp !== null) {
      const deleting = resource;
      if (!(deleting.metadata.finalizers ?? []).includes(this.finalizer)) return {};
      const { uid, resourceVersion } = deleting.metadata;
      const version = uid === undefined || resourceVersion === undefined ? undefined : `${uid}/${resourceVersion}`;
      if (version !== undefined && this.#finalized.has(version)) return {};
      if (problems.length > 0 && deleting.status?.appliedSpec === undefined) {
        // Never reconciled (e.g. written before the CRD validated it): finalize has nothing to undo and could not read it.
        try {
          await ctx.removeFinalizer(deleting, this.finalizer);
        } catch (error) {
          if (!isInvalid(error)) throw error;
          // The API server validates every update, a finalizer's removal too, and does not let a missing required field pass.
          ctx.events.warning(
            deleting,
            INVALID_SPEC_REASON,
            `the finalizer cannot be removed: the API server refuses every update of this resource (${describeError(error)}); give it a valid spec (kubectl edit) and the deletion finishes`,
          );
          return {};
        }
        ctx.events.warning(
          deleting,
          INVALID_SPEC_REASON,
          `finalizer removed without finalizing: the resource was never reconciled and its spec is refused (${problems.join("; ")})`,
        );
        return {};
      }
      const result = await runStep(deleting, ctx, () =>
        problems.length > 0
          ? Promise.resolve(
              invalidSpec<StatusOf<R>>(problems, "finalize cannot run on it; fix the spec, or remove the finalizer by hand to give finalizing up"),
            )
          : this.finalize(deleting, ctx),
      );
      if (result.kind === "done") {
        await ctx.removeFinalizer(deleting, this.finalizer);
        if (version !== undefined) remembered(this.#finalized, version, REMEMBERED_VERDICTS, () => true);
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
    if (problems.length > 0) {
      // Refused before the finalizer goes on: nothing is created, and a spec change wakes the controller again.
      const result = invalidSpec<StatusOf<R>>(problems, "nothing is reconciled until it is fixed (kubectl apply) or the resource deleted");
      try {
        const patch = computeStatusPatch(resource, { result: result as HookResult<Record<string, unknown>> });
        if (patch !== undefined) await ctx.patchStatus(resource, patch);
      } catch (error) {
        ctx.log.warn("could not record the refused spec in status", { error: describeError(error) });
      }
      ctx.events.warning(resource, INVALID_SPEC_REASON, result.message);
      return {};
    }
    if (!(resource.metadata.finalizers ?? []).includes(this.finalizer)) resource = await ctx.addFinalizer(resource, this.finalizer);
    const current = resource;

    // 3–4. Compute the children and apply them, all at once (each is its own object; owner references are set by apply).
    // When one of them may not be adopted, none is sent, and the refusal is the step's failure.
    const applied = await runStep(current, ctx, async () => {
      try {
        await ctx.applyAll(this.#desiredOf(current), { owner: current });
      } catch (error) {
        if (error instanceof ApplyRefusedError) throw error;
        throw Object.assign(error as object, { reconcileReason: LoopReason.applyFailed });
      }
      return done();
    });
    if (applied.kind !== "done") return finish(current, applied, undefined, ctx);

    // 5. First reconcile → onCreate; afterwards → the hooks of the fields that changed.
    const previous = current.status?.appliedSpec;
    const fingerprint = this.#fingerprintOf(current);
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
      return finish(current, result, fingerprint, ctx, event, previous === undefined ? undefined : this.readiness(current, ctx));
    }
    return finish(current, result, undefined, ctx);
  }
}

/** One change hook, untyped: the loop only passes through what the generated table typed. */
type ChangeHook<R extends AnyResource> = (resource: R, change: FieldChange<unknown>, ctx: ReconcileContext) => Promise<HookResult<StatusOf<R>>>;

/** How many spec verdicts a reconciler remembers (a few hundred bytes each). */
const REMEMBERED_VERDICTS = 10_000;

/** Of how many resources a reconciler remembers the children (a few kilobytes each). */
const REMEMBERED_CHILDREN = 256;

/** The reason the loop gives for a spec the schema refuses. */
export const INVALID_SPEC_REASON = "InvalidSpec";

function invalidSpec<S>(
  problems: readonly string[],
  consequence: string,
): { readonly kind: "failed"; readonly reason: string; readonly message: string } & HookResult<S> {
  return { kind: "failed", reason: INVALID_SPEC_REASON, message: `the spec is refused by the schema (${problems.join("; ")}): ${consequence}` };
}

/** The reason of a refused change of an `immutable` field. */
export const FIELD_IMMUTABLE_REASON = "FieldImmutable";

/**
 * A change of an `immutable` field that reached the operator (the API server refuses it where the
 * CRD carries the field's transition rule): the reconcile fails, and the applied value stays in force.
 */
function immutableRefused<S>(field: SpecFieldInfo, before: unknown, after: unknown): HookResult<S> {
  const change = field.sensitive === true ? "" : ` from ${JSON.stringify(before ?? null)} to ${JSON.stringify(after ?? null)}`;
  return failed(
    FIELD_IMMUTABLE_REASON,
    `spec.${field.name} is immutable and cannot change${change}; set it back (the operator keeps using the value it applied)`,
  );
}

/** The Progressing reason while a child of a deleted resource of the same name waits for the garbage collector. */
const WAITING_FOR_GARBAGE_COLLECTOR_REASON = "WaitingForGarbageCollector";

/** How soon a reconcile waiting for the garbage collector looks again (it usually takes a second or two). */
const GARBAGE_COLLECTOR_WAIT_MS = 2000;

/** A hook reported `failed`: the status says why, and the work queue retries with back-off. */
export class ReconcileFailedError extends Error {
  readonly reason: string;

  constructor(reason: string, message: string) {
    super(`${reason}: ${message}`);
    this.name = "ReconcileFailedError";
    this.reason = reason;
  }
}

/**
 * Runs a step; an exception is reported in status (Degraded) before it propagates to the queue. An apply refused as
 * someone else's object becomes the step's `failed` result, so that it is reported as a hook's failure is: status and a
 * Warning Event naming the object (an exception leaves only status and the log). An object still controlled by the
 * deleted resource of the same name (deleted and re-created at once) is a wait: the garbage collector removes it.
 */
async function runStep<S>(resource: AnyResource, ctx: ReconcileContext, step: () => Promise<HookResult<S>>): Promise<HookResult<S>> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof AlreadyOwnedError && error.previousOwner)
      return waitFor(GARBAGE_COLLECTOR_WAIT_MS, WAITING_FOR_GARBAGE_COLLECTOR_REASON, error.message);
    if (error instanceof ApplyRefusedError) return failed(error.reason, error.message);
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
  resource: AnyResource,
  result: HookResult<S>,
  appliedSpec: Record<string, string> | undefined,
  ctx: ReconcileContext,
  doneEvent?: { reason: string; message: string },
  readiness?: Readiness,
): Promise<ReconcileResult> {
  const patch = computeStatusPatch(resource, { result: result as HookResult<Record<string, unknown>>, appliedSpec, readiness });
  if (patch !== undefined) await ctx.patchStatus(resource, patch);
  if (doneEvent !== undefined) ctx.events.normal(resource, doneEvent.reason, doneEvent.message);
  if (patch !== undefined && readiness !== undefined) announceReadiness(resource, readiness, ctx);
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

/**
 * One Event when the workload's readiness turns: a Warning when it stops serving, a Normal one when it serves again
 * (not when Ready turns True at the end of a change, which has Events of its own).
 */
function announceReadiness(resource: AnyResource, readiness: Readiness, ctx: ReconcileContext): void {
  const conditions = resource.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === ConditionType.ready);
  if (!readiness.ready && (ready?.status !== "False" || ready.reason !== readiness.reason)) ctx.events.warning(resource, readiness.reason, readiness.message);
  else if (readiness.ready && readinessLost(conditions)) ctx.events.normal(resource, readiness.reason, readiness.message);
}

/** Whether a wait for `reason` starts a new phase of a resource that already had conditions. */
function startsPhase(resource: AnyResource, reason: string): boolean {
  const conditions = resource.status?.conditions ?? [];
  if (conditions.length === 0) return false;
  const progressing = conditions.find((c) => c.type === ConditionType.progressing);
  return progressing?.status !== "True" || progressing.reason !== reason;
}
