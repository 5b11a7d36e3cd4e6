/**
 * The write side of a reconcile: server-side apply with one field manager and owner
 * references, conflict-safe finalizer patches, status merge-patches through the status
 * subresource, deletes. Every write is refused once this process is no longer the leader.
 */
import type { KubernetesObject, V1OwnerReference } from "@kubernetes/client-node";
import { appliedHash, holdsApplied } from "./applied-state.ts";
import { mergeConditions } from "./conditions.ts";
import { isAlreadyExists, isConflict, isNotFound, PatchType, resourcePath, type KubeRest } from "./kube-rest.ts";
import { MANAGED_BY_LABEL } from "./managed-objects.ts";
import type {
  ApplyAllOptions,
  ApplyOptions,
  CacheReader,
  Condition,
  DeleteOptions,
  EventRecorder,
  ListOptions,
  Logger,
  ObjectReference,
  ReadOptions,
  ReconcileContext,
} from "./types.ts";

/** Thrown by a write attempted after leadership was lost (the work queue drops, never retries, such work). */
export class NotLeaderError extends Error {
  constructor() {
    super("this process is not the leader any more; write refused");
    this.name = "NotLeaderError";
  }
}

/**
 * An apply refused before anything was sent: the object exists and this manager may not take it over. The loop
 * reports it like a hook's failure (status and a Warning Event, with {@link reason}) and retries with back-off.
 */
export class ApplyRefusedError extends Error {
  /** The condition and Event reason, CamelCase. */
  readonly reason: string;
  /** The object that was not applied, as `Kind namespace/name`. */
  readonly object: string;
  /** Enough of it to read or watch it. */
  readonly reference: ObjectReference;
  /** The other objects refused by the same {@link ObjectWriter.applyAll}, each watched as this one is; none for a single apply. */
  readonly others: readonly ApplyRefusedError[];

  constructor(reason: string, object: string, reference: ObjectReference, message: string) {
    super(message);
    this.name = "ApplyRefusedError";
    this.reason = reason;
    this.object = object;
    this.reference = reference;
    this.others = [];
  }

  /** This refusal and every other of the same write. */
  get all(): readonly ApplyRefusedError[] {
    return [this, ...this.others];
  }
}

/** The first of several refusals of one write, naming the others in its message and carrying them. */
export function combineRefusals(refusals: readonly ApplyRefusedError[]): ApplyRefusedError {
  const [first, ...others] = refusals;
  if (first === undefined) throw new Error("no refusal to combine");
  if (others.length === 0) return first;
  const combined = Object.assign(Object.create(Object.getPrototypeOf(first) as object) as ApplyRefusedError, first, { others });
  combined.message = `${first.message}. Refused in the same step as well: ${others.map((other) => `${other.object} (${other.reason})`).join(", ")}`;
  combined.stack = first.stack;
  return combined;
}

/**
 * Thrown by an apply with an owner when the object exists and another object (another uid) is its
 * controller: controller-runtime's `AlreadyOwnedError`. Forced server-side apply with our field
 * manager would otherwise replace that owner reference and silently adopt, e.g., the children of an
 * earlier resource of the same name that the garbage collector has not removed yet. Thrown, the
 * reconcile is retried and converges once the collector deleted the old object.
 */
export class AlreadyOwnedError extends ApplyRefusedError {
  /** The controller owner reference it carries. */
  readonly controller: V1OwnerReference;
  /**
   * The controller is an earlier resource of the owner's kind and name (names are unique, so that one is deleted):
   * the garbage collector will remove the object, and the refusal is a wait, not a failure.
   */
  readonly previousOwner: boolean;

  constructor(object: string, reference: ObjectReference, controller: V1OwnerReference, owner: V1OwnerReference, finalizers: readonly string[] = []) {
    const previousOwner = controller.kind === owner.kind && controller.name === owner.name && apiGroup(controller.apiVersion) === apiGroup(owner.apiVersion);
    // A finalizer of its own (not the garbage collector's or the API server's protection) may have no one left to remove it.
    const holding = finalizers.filter((f) => !GARBAGE_COLLECTION_FINALIZERS.has(f));
    const held =
      holding.length === 0
        ? ""
        : `; it is held by the finalizer ${holding.join(", ")}: if nothing will remove it (the previous ${controller.kind}'s finalizing was given up by hand), remove it from ${object} by hand`;
    super(
      "AlreadyOwned",
      object,
      reference,
      previousOwner
        ? `waiting for the garbage collector to remove ${object} left by the previous ${controller.kind} ${controller.name} (uid ${controller.uid}); ` +
            `${owner.kind} ${owner.name} (uid ${owner.uid}) creates its own once it is gone${held}`
        : `${object} is controlled by ${controller.kind} ${controller.name} (uid ${controller.uid}), not by ${owner.kind} ${owner.name} (uid ${owner.uid}); ` +
            `not adopted: remove it, or the resource that controls it (retried with back-off)`,
    );
    this.name = "AlreadyOwnedError";
    this.controller = controller;
    this.previousOwner = previousOwner;
  }
}

/** Finalizers the garbage collector and the API server's storage protection handle by themselves. */
const GARBAGE_COLLECTION_FINALIZERS = new Set(["orphan", "foregroundDeletion", "kubernetes.io/pvc-protection", "kubernetes.io/pv-protection"]);

/** The group of an `apiVersion` (`""` for the core group's `v1`). */
function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/** How every refusal of an object someone else made begins: `object` exists, who did not make it, and that it is left unchanged. */
export function notManagedSentence(object: string, managedBy: string): string {
  return `${object} exists and was not made by ${managedBy} (it lacks the label ${MANAGED_BY_LABEL}=${managedBy}), so it is left unchanged`;
}

/**
 * Thrown by an apply when an object of that name exists without this manager's {@link MANAGED_BY_LABEL}: someone
 * else made it (a user's claim or Secret that happens to carry the name). Forced server-side apply would take it
 * over: change its fields, add an owner reference and finalizers, and let the garbage collector delete it with
 * the owner. Nothing of it is changed; the label is the way to hand such an object over deliberately.
 */
export class NotManagedError extends ApplyRefusedError {
  constructor(object: string, reference: ObjectReference, managedBy: string) {
    super(
      "AdoptionRefused",
      object,
      reference,
      `${notManagedSentence(object, managedBy)}. ` +
        `Remove or rename it; or, to hand it over (${managedBy} then changes it as it needs, owns it and may delete it), add that label`,
    );
    this.name = "NotManagedError";
  }
}

/** Options of {@link ObjectWriter}. */
export interface ObjectWriterOptions {
  readonly rest: KubeRest;
  /**
   * The field manager of every server-side apply. Creates are made as `FIELD_MANAGER-create` (a create is an update to
   * the API server, whose fields no apply ever prunes), and the first apply that changes such an object hands that
   * manager's fields over to this one first: what the create set and a later declaration drops is then removed, as if
   * the object had been applied from the start.
   */
  readonly fieldManager: string;
  /** The value of {@link MANAGED_BY_LABEL} that every apply sets (the manager's name): the owned kinds' informers select on it. */
  readonly managedBy?: string;
  /** False once leadership is lost: writes then throw {@link NotLeaderError}. */
  readonly mayWrite?: () => boolean;
  /** Attempts of a finalizer patch that keeps hitting conflicts. Default 5. */
  readonly conflictRetries?: number;
  /**
   * Receives the server's answer to every successful write, and whether it created the object (the manager feeds it to
   * the informer cache, which copies what it keeps: the caller gets the same answer).
   */
  readonly onWritten?: (object: KubernetesObject, created: boolean) => void;
  /**
   * The annotation that records the hash of what was applied last to each object, so that an apply that would change
   * nothing is not sent. Without it, every apply is sent.
   */
  readonly appliedHashAnnotation?: string;
  /** Called for every apply not sent because it would have changed nothing. */
  readonly onUnchanged?: () => void;
  /**
   * Reads the informer cache of a kind for the unchanged check and the owner check of {@link ObjectWriter.apply}: `undefined`
   * when the kind is not cached (or not synced yet), then the object is read from the API server;
   * otherwise `{ object }`, with `object` undefined when the cache has no such object: it is then created (POST) without a
   * look-up, and a create that finds one after all (someone else's, which a cache of what this manager labelled does not
   * hold) reads it and refuses it.
   */
  readonly readCache?: (
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ) => { readonly object: KubernetesObject | undefined } | undefined;
}

/**
 * The apply patch of `object`, without what must not be sent back. A new top level and metadata (apply sets labels,
 * annotations and owner references there, each a new value); the rest is shared with `object`, never changed.
 */
function applyBody(object: KubernetesObject): KubernetesObject {
  if (object.metadata === undefined) return { ...object };
  const { resourceVersion: _rv, uid: _uid, creationTimestamp: _created, generation: _generation, managedFields: _fields, ...metadata } = object.metadata;
  return { ...object, metadata };
}

/** `Kind namespace/name` (or `Kind name` when cluster-scoped), as log lines name an object. */
function describeObject(object: { kind?: string; metadata?: { name?: string; namespace?: string } }): string {
  const namespace = object.metadata?.namespace;
  return `${object.kind ?? "object"} ${namespace === undefined || namespace === "" ? "" : `${namespace}/`}${object.metadata?.name ?? ""}`;
}

/** The owner reference a controller sets on its children. */
export function controllerReference(owner: KubernetesObject): V1OwnerReference {
  const meta = owner.metadata;
  if (owner.apiVersion === undefined || owner.kind === undefined || meta?.name === undefined || meta.uid === undefined) {
    throw new Error("an owner needs apiVersion, kind, metadata.name and metadata.uid");
  }
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: meta.name, uid: meta.uid, controller: true, blockOwnerDeletion: true };
}

/** An apply ready to send: its body, the owner reference set in it, what the cache holds, and the cached object when nothing would change. */
interface PreparedApply<T extends KubernetesObject> {
  readonly body: KubernetesObject;
  /** The path a create posts to. */
  readonly collection: string;
  readonly ref: V1OwnerReference | undefined;
  readonly cached: { readonly object: KubernetesObject | undefined } | undefined;
  readonly unchanged: T | undefined;
}

/** What a look-up found: whether the object is absent, and the object when it was read from the API server. */
interface LookUp {
  readonly absent: boolean;
  readonly existing?: KubernetesObject;
}

/** A look-up not made (nothing to check): the object is applied, whether it exists or not. */
const PRESENT: LookUp = { absent: false };

/** A look-up the caller made: the object is created, and refused if the create finds one after all. */
const ABSENT: LookUp = { absent: true };

/** Two managedFields field sets (`fieldsV1`: nested objects, `{}` at the leaves) as one: every field either holds. */
function mergeFieldSets(a: object | undefined, b: object | undefined): object {
  const merged: Record<string, object> = { ...(a as Record<string, object> | undefined) };
  for (const [key, value] of Object.entries((b ?? {}) as Record<string, object>)) merged[key] = mergeFieldSets(merged[key], value);
  return merged;
}

/**
 * Whether `object` runs pods (a Pod, or a pod template: Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob), which
 * may mount or read the objects created before it in one {@link ObjectWriter.applyAll}.
 */
function runsPods(object: KubernetesObject): boolean {
  const spec = (object as { spec?: { containers?: unknown; template?: { spec?: unknown }; jobTemplate?: unknown } }).spec;
  return spec?.containers !== undefined || spec?.template?.spec !== undefined || spec?.jobTemplate !== undefined;
}

/**
 * Whether `object`'s create waits, in one {@link ObjectWriter.applyAll}, for the creates of the absent objects before it
 * (and is not sent when one of them was refused): one that runs pods ({@link runsPods}), and a claim that names its
 * volume (`spec.volumeName`). kube-controller-manager binds such a claim as it sees it when the volume is there; a claim
 * it sees first waits for its PersistentVolume controller's periodic sync (15 s by default), as the volume's own sync
 * does not look at claims.
 */
export function createdAfterEarlier(object: KubernetesObject): boolean {
  if (runsPods(object)) return true;
  const volumeName = (object as { spec?: { volumeName?: unknown } }).spec?.volumeName;
  return object.kind === "PersistentVolumeClaim" && typeof volumeName === "string" && volumeName !== "";
}

/** The rejection of a create not sent because one before it in the same {@link ObjectWriter.applyAll} was refused. */
const NOT_SENT = new Error("not sent: an object before it was refused");

/**
 * Throws, from settled writes, every refusal at once ({@link combineRefusals}); else the first failure, its message
 * prefixed with `apply ` and the object `describe` names.
 */
function throwFirst(settled: readonly PromiseSettledResult<unknown>[], describe?: (index: number) => string): void {
  const refusals = [...new Set(settled.flatMap((one) => (one.status === "rejected" && one.reason instanceof ApplyRefusedError ? [one.reason] : [])))];
  if (refusals.length > 0) throw combineRefusals(refusals);
  const failed = settled.findIndex((one) => one.status === "rejected");
  if (failed < 0) return;
  const error = (settled[failed] as PromiseRejectedResult).reason as unknown;
  if (describe !== undefined && error instanceof Error) error.message = `apply ${describe(failed)}: ${error.message}`;
  throw error;
}

/** Writes objects for reconcilers; shared by every reconcile of a manager. */
export class ObjectWriter {
  readonly #options: ObjectWriterOptions;

  constructor(options: ObjectWriterOptions) {
    this.#options = options;
  }

  /**
   * Server-side apply (forced: this controller owns what it declares); sets a controller owner reference to `owner` where
   * Kubernetes allows one. Not sent when the cached object already holds what it declares (see applied-state.ts): then the
   * cached object itself is returned, read-only as every cache read. Refused, and not sent, when an object of that name exists that this manager may not take
   * over ({@link NotManagedError}, {@link AlreadyOwnedError}). An object found absent is created (POST), not applied: an
   * apply would take over one someone else made since it was looked up, a create fails on it, and it is refused as if it
   * had been there. With {@link ApplyOptions.absent} it is created without that look-up.
   */
  async apply<T extends KubernetesObject>(object: T, options: ApplyOptions = {}, log?: Logger): Promise<T> {
    const prepared = await this.#prepare(object, options.owner, log);
    if (prepared.unchanged !== undefined) return prepared.unchanged;
    return this.#send(prepared, options.absent === true ? ABSENT : await this.#lookUp(prepared), log);
  }

  /**
   * Applies several objects at once, as {@link apply} does each, but all or none as to adoption: every object is looked up
   * first, and when any of them may not be taken over, none is sent and the first refusal is thrown, carrying the others
   * (a server is not created to mount a claim that is not ours). Otherwise existing objects are applied at once, and absent
   * ones created at once too, except that one that runs pods (a pod template), or a claim that names its volume, is
   * created only after every absent object before it in the given order, and not at all when one of those was refused
   * (made by someone else since it was looked up: the pods may mount it, the claim bind it); see
   * {@link createdAfterEarlier}. Refusals are thrown first; else the first failure, naming its object, once every write
   * has ended, the others having been written.
   */
  async applyAll<T extends KubernetesObject>(objects: readonly T[], options: ApplyAllOptions = {}, log?: Logger): Promise<T[]> {
    const prepared = await Promise.all(objects.map((object) => this.#prepare(object, options.owner, log)));
    const absent = new Set<KubernetesObject>(options.absent);
    const lookups = await Promise.allSettled(
      prepared.map((one, i) => (one.unchanged !== undefined ? PRESENT : absent.has(objects[i] as T) ? ABSENT : this.#lookUp(one))),
    );
    throwFirst(lookups);
    // Whether each create so far was refused (someone else's object, or not sent after one that was).
    const creates: Promise<boolean>[] = [];
    const writes = await Promise.allSettled(
      prepared.map((one, i) => {
        if (one.unchanged !== undefined) return one.unchanged;
        const found = (lookups[i] as PromiseFulfilledResult<LookUp>).value;
        if (!found.absent) return this.#send(one, found, log);
        const before = [...creates];
        const create = createdAfterEarlier(one.body)
          ? Promise.all(before).then((refused) => (refused.includes(true) ? Promise.reject(NOT_SENT) : this.#send(one, found, log)))
          : this.#send(one, found, log);
        creates.push(
          create.then(
            () => false,
            (error: unknown) => error === NOT_SENT || error instanceof ApplyRefusedError,
          ),
        );
        return create;
      }),
    );
    throwFirst(writes, (i) => describeObject(prepared[i]?.body ?? {}));
    return writes.map((write) => (write as PromiseFulfilledResult<T>).value);
  }

  /** The apply body of `object` (namespace, label, owner reference, hash), and the cached object when the apply would change nothing. */
  async #prepare<T extends KubernetesObject>(object: T, owner: KubernetesObject | undefined, log: Logger | undefined): Promise<PreparedApply<T>> {
    this.#guard();
    const rest = this.#options.rest;
    if (object.apiVersion === undefined || object.kind === undefined || object.metadata?.name === undefined)
      throw new Error("apply needs apiVersion, kind and metadata.name");
    const info = await rest.kindInfo(object.apiVersion, object.kind);
    const body = applyBody(object);
    const meta = (body.metadata ??= {});
    if (info.namespaced && !meta.namespace) {
      if (owner?.metadata?.namespace === undefined)
        throw new Error(`apply ${object.kind} ${meta.name}: no namespace given and no namespaced owner to take it from`);
      meta.namespace = owner.metadata.namespace;
    }
    if (this.#options.managedBy !== undefined) meta.labels = { ...meta.labels, [MANAGED_BY_LABEL]: this.#options.managedBy };
    let ref: V1OwnerReference | undefined;
    if (owner !== undefined) {
      const ownerNamespace = owner.metadata?.namespace;
      // Kubernetes ignores (and the garbage collector complains about) an owner in another
      // namespace, or a namespaced owner of a cluster-scoped object: such children stay unowned.
      if (ownerNamespace === undefined || (info.namespaced && meta.namespace === ownerNamespace)) {
        const controller = controllerReference(owner);
        meta.ownerReferences = [...(meta.ownerReferences ?? []).filter((r) => r.uid !== controller.uid), controller];
        ref = controller;
      } else log?.debug("owner reference not set: owner and child cannot be related across namespaces", { child: `${object.kind}/${meta.name}` });
    }
    const hashAnnotation = this.#options.appliedHashAnnotation;
    if (hashAnnotation !== undefined) meta.annotations = { ...meta.annotations, [hashAnnotation]: this.#hashOf(object, body, ref) };
    const cached = this.#options.readCache?.(object.apiVersion, object.kind, meta.namespace, object.metadata.name);
    const collection = resourcePath(info, meta.namespace);
    if (hashAnnotation !== undefined && cached?.object !== undefined && this.#holds(object, cached.object, body)) {
      this.#options.onUnchanged?.();
      return { body, collection, ref, cached, unchanged: cached.object as T };
    }
    return { body, collection, ref, cached, unchanged: undefined };
  }

  /**
   * {@link appliedHash} of `body`, the apply body of `object` for the owner `ref`: remembered per object, so that the very
   * object applied again (a reconciler hands the same children while its resource is unchanged) is not serialised again.
   * Objects are never changed once handed to apply.
   */
  #hashOf(object: KubernetesObject, body: KubernetesObject, ref: V1OwnerReference | undefined): string {
    const key = `${ref?.uid ?? ""}/${body.metadata?.namespace ?? ""}`;
    const known = this.#known.get(object);
    if (known?.key === key) return known.hash;
    const hash = appliedHash(body);
    this.#known.set(object, { key, hash, holds: new WeakSet() });
    return hash;
  }

  /**
   * {@link holdsApplied} of `body` (the apply body of `object`, after {@link #hashOf}) in `live`, remembered per cached
   * object found to hold it: the informer replaces a cached object when it changes, and never changes one in place.
   */
  #holds(object: KubernetesObject, live: KubernetesObject, body: KubernetesObject): boolean {
    const known = this.#known.get(object);
    if (known?.holds.has(live) === true) return true;
    const holds = holdsApplied(live, body);
    if (holds) known?.holds.add(live);
    return holds;
  }

  /** By the object applied: its hash, for the owner and namespace of `key`, and the cached objects that hold it. */
  readonly #known = new WeakMap<KubernetesObject, { readonly key: string; readonly hash: string; readonly holds: WeakSet<KubernetesObject> }>();

  /**
   * Sends a prepared apply: a create when the object was found absent. A create that finds an object after all (made since
   * it was looked up) re-reads it and refuses it as {@link #lookUp} would have; one that is ours is applied.
   */
  async #send<T extends KubernetesObject>(prepared: PreparedApply<T>, found: LookUp, log: Logger | undefined): Promise<T> {
    const { body, cached } = prepared;
    const rest = this.#options.rest;
    const path = await rest.pathOf(body);
    let existing = found.existing;
    if (found.absent) {
      try {
        const created = await rest.send<T>("POST", prepared.collection, {
          body,
          query: { fieldManager: this.#createManager },
          beforeSend: this.#beforeSend,
        });
        const written = this.#written(created.body, true);
        log?.info(`created ${describeObject(written)}`);
        return written;
      } catch (error) {
        if (!isAlreadyExists(error)) throw error;
        existing = await rest.get<KubernetesObject>(path);
        this.#refuse(prepared, existing);
      }
    }
    if ((existing ?? cached?.object)?.metadata?.managedFields?.some((entry) => entry.manager === this.#createManager) === true)
      await this.#handOverCreatedFields(path);
    const answer = await rest.send<T>("PATCH", path, {
      body,
      contentType: PatchType.apply,
      query: { fieldManager: this.#options.fieldManager, force: true },
      beforeSend: this.#beforeSend,
    });
    const created = answer.code === 201;
    const written = this.#written(answer.body, created);
    // Only what the API server really wrote is news: an apply that changed nothing keeps the resourceVersion.
    if (created) log?.info(`created ${describeObject(written)}`);
    else if (cached?.object !== undefined && cached.object.metadata?.resourceVersion !== written.metadata?.resourceVersion)
      log?.info(`changed ${describeObject(written)}`);
    return written;
  }

  /**
   * Looks the object up (`cached`, else from the API server: the caches of owned kinds hold only what this manager
   * labelled, so a miss there proves nothing) and refuses it ({@link #refuse}); says whether it is absent, so that it
   * is created rather than applied. Without a managed-by label or an owner there is nothing to check, and nothing is read.
   */
  async #lookUp(prepared: PreparedApply<KubernetesObject>): Promise<LookUp> {
    if (prepared.ref === undefined && this.#options.managedBy === undefined) return PRESENT;
    const { body, cached } = prepared;
    let existing = cached?.object;
    if (cached === undefined) {
      try {
        existing = await this.#options.rest.get<KubernetesObject>(await this.#options.rest.pathOf(body));
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    if (existing === undefined) return { absent: true };
    this.#refuse(prepared, existing);
    return { absent: false, existing };
  }

  /** The field manager of creates (see {@link ObjectWriterOptions.fieldManager}). */
  get #createManager(): string {
    return `${this.#options.fieldManager}-create`;
  }

  /**
   * Makes the fields a create of this writer set the applies' own (one managedFields entry moved into another, with a
   * resourceVersion precondition), so that the apply about to be sent removes what it no longer declares. One write,
   * once per object, on the first apply that changes it.
   */
  async #handOverCreatedFields(path: string): Promise<void> {
    const rest = this.#options.rest;
    const current = await rest.get<KubernetesObject>(path);
    const entries = current.metadata?.managedFields ?? [];
    const created = entries.find((entry) => entry.manager === this.#createManager && entry.operation === "Update");
    if (created === undefined) return;
    const applied = entries.find((entry) => entry.manager === this.#options.fieldManager && entry.operation === "Apply");
    const merged = { ...created, manager: this.#options.fieldManager, operation: "Apply", fieldsV1: mergeFieldSets(applied?.fieldsV1, created.fieldsV1) };
    this.#written(
      await rest.request<KubernetesObject>("PATCH", path, {
        body: {
          metadata: { resourceVersion: current.metadata?.resourceVersion, managedFields: [...entries.filter((e) => e !== created && e !== applied), merged] },
        },
        contentType: PatchType.merge,
        beforeSend: this.#beforeSend,
      }),
    );
  }

  /**
   * Throws {@link NotManagedError} when `existing` lacks this manager's label, and {@link AlreadyOwnedError} when its
   * controller is not the apply's owner.
   */
  #refuse({ body, ref }: PreparedApply<KubernetesObject>, existing: KubernetesObject): void {
    const kind = body.kind ?? "";
    const namespace = body.metadata?.namespace;
    const name = body.metadata?.name ?? "";
    const object = `${kind} ${namespace === undefined ? "" : `${namespace}/`}${name}`;
    const reference: ObjectReference = { apiVersion: body.apiVersion ?? "", kind, metadata: namespace === undefined ? { name } : { name, namespace } };
    const managedBy = this.#options.managedBy;
    if (managedBy !== undefined && existing.metadata?.labels?.[MANAGED_BY_LABEL] !== managedBy) throw new NotManagedError(object, reference, managedBy);
    const controller = existing.metadata?.ownerReferences?.find((r) => r.controller === true);
    if (ref !== undefined && controller !== undefined && controller.uid !== ref.uid)
      throw new AlreadyOwnedError(object, reference, controller, ref, existing.metadata?.finalizers);
  }

  /** Lists from the API server (every page), not from a cache; reading needs no leadership. */
  async list<T extends KubernetesObject>(apiVersion: string, kind: string, options: ListOptions = {}): Promise<T[]> {
    const rest = this.#options.rest;
    const path = resourcePath(await rest.kindInfo(apiVersion, kind), options.namespace);
    const items: T[] = [];
    let continueToken: string | undefined;
    do {
      const page = await rest.get<{ items?: T[]; metadata?: { continue?: string } }>(path, {
        query: { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, limit: 500, continue: continueToken },
      });
      // List items carry no apiVersion/kind of their own.
      for (const item of page.items ?? []) items.push({ ...item, apiVersion, kind });
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken !== undefined);
    return items;
  }

  /** Reads one object from the API server (from its watch cache with `anyVersion`); `undefined` when it does not exist. */
  async read<T extends KubernetesObject>(object: ObjectReference, options: ReadOptions = {}): Promise<T | undefined> {
    const rest = this.#options.rest;
    try {
      return await rest.get<T>(await rest.pathOf(object), options.anyVersion === true ? { query: { resourceVersion: "0" } } : {});
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Deletes; an absent object is fine. */
  async delete(object: ObjectReference, options: DeleteOptions = {}, log?: Logger): Promise<void> {
    this.#guard();
    const path = await this.#options.rest.pathOf(object);
    try {
      await this.#options.rest.request("DELETE", path, {
        body: {
          apiVersion: "v1",
          kind: "DeleteOptions",
          propagationPolicy: options.propagationPolicy ?? "Background",
          ...(options.uid === undefined && options.resourceVersion === undefined
            ? {}
            : {
                preconditions: {
                  ...(options.uid === undefined ? {} : { uid: options.uid }),
                  ...(options.resourceVersion === undefined ? {} : { resourceVersion: options.resourceVersion }),
                },
              }),
        },
        beforeSend: this.#beforeSend,
      });
      log?.info(`deleted ${describeObject(object)}`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** Adds `finalizer` with a resourceVersion-guarded merge patch; on a conflict re-reads and retries. */
  async addFinalizer<T extends KubernetesObject>(object: T, finalizer: string, log?: Logger): Promise<T> {
    const result = await this.#patchFinalizers(object, (list) => (list.includes(finalizer) ? undefined : [...list, finalizer]));
    if (result.written) log?.info(`added finalizer ${finalizer} to ${describeObject(object)}`);
    return result.object as T;
  }

  /** Removes `finalizer` the same way; an object already gone is fine. */
  async removeFinalizer<T extends KubernetesObject>(object: T, finalizer: string, log?: Logger): Promise<void> {
    try {
      const result = await this.#patchFinalizers(object, (list) => (list.includes(finalizer) ? list.filter((f) => f !== finalizer) : undefined));
      if (result.written) log?.info(`removed finalizer ${finalizer} from ${describeObject(object)}`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /**
   * Merge-patches `patch` into an existing object without taking it over (no label, no owner): for one field of
   * an object someone else made, such as the reclaim policy of a provisioned volume.
   */
  async mergePatch<T extends KubernetesObject>(object: T, patch: Record<string, unknown>, log?: Logger): Promise<T> {
    this.#guard();
    const path = await this.#options.rest.pathOf(object);
    const written = this.#written(
      await this.#options.rest.request<T>("PATCH", path, { body: patch, contentType: PatchType.merge, beforeSend: this.#beforeSend }),
    ) as T;
    log?.info(`patched ${describeObject(written)}`);
    return written;
  }

  /** Merge-patches the status subresource; conditions keep `lastTransitionTime` unless their status flips. */
  async patchStatus<T extends KubernetesObject>(object: T, status: Record<string, unknown>): Promise<void> {
    this.#guard();
    const body: Record<string, unknown> = { ...status };
    if (Array.isArray(status.conditions)) {
      const current = (object as { status?: { conditions?: Condition[] } }).status?.conditions;
      body.conditions = mergeConditions(current, status.conditions as Condition[]);
    }
    const path = await this.#options.rest.pathOf(object, "status");
    this.#written(
      await this.#options.rest.request<KubernetesObject>("PATCH", path, { body: { status: body }, contentType: PatchType.merge, beforeSend: this.#beforeSend }),
    );
  }

  async #patchFinalizers(
    object: KubernetesObject,
    change: (current: string[]) => string[] | undefined,
  ): Promise<{ object: KubernetesObject; written: boolean }> {
    const rest = this.#options.rest;
    const path = await rest.pathOf(object);
    let current = object;
    const attempts = this.#options.conflictRetries ?? 5;
    for (let attempt = 1; ; attempt++) {
      this.#guard();
      const next = change(current.metadata?.finalizers ?? []);
      if (next === undefined) return { object: current, written: false };
      try {
        // resourceVersion in a merge patch is a precondition: a stale view gets 409, not a lost update.
        const written = this.#written(
          await rest.request<KubernetesObject>("PATCH", path, {
            body: { metadata: { resourceVersion: current.metadata?.resourceVersion, finalizers: next } },
            contentType: PatchType.merge,
            beforeSend: this.#beforeSend,
          }),
        );
        return { object: written, written: true };
      } catch (error) {
        if (!isConflict(error) || attempt >= attempts) throw error;
        current = await rest.get<KubernetesObject>(path);
      }
    }
  }

  #written<T>(answer: T, created = false): T {
    if (typeof answer === "object" && answer !== null) this.#options.onWritten?.(answer as KubernetesObject, created);
    return answer;
  }

  #guard(): void {
    if (this.#options.mayWrite !== undefined && !this.#options.mayWrite()) throw new NotLeaderError();
  }

  /** Checked again right before sending: the lease may have been lost while the write waited for a slot. */
  readonly #beforeSend = (): void => this.#guard();
}

/**
 * A {@link ReconcileContext} for one reconcile call; `read` defaults to the writer's (no watches). `watch` is told about
 * every object an apply refused as not ours (all of them when one write refused several): no cache holds it, and its
 * removal or hand-over should re-queue the resource at once rather than after the back-off.
 */
export function createReconcileContext(parts: {
  cache: CacheReader;
  events: EventRecorder;
  log: Logger;
  writer: ObjectWriter;
  read?: ReconcileContext["read"];
  watch?: (object: ObjectReference) => void;
}): ReconcileContext {
  const { cache, events, log, writer } = parts;
  const watchRefused = async <T>(write: Promise<T>): Promise<T> => {
    try {
      return await write;
    } catch (error) {
      if (error instanceof ApplyRefusedError) for (const refusal of error.all) if (refusal instanceof NotManagedError) parts.watch?.(refusal.reference);
      throw error;
    }
  };
  return {
    cache,
    events,
    log,
    list: (apiVersion, kind, options) => writer.list(apiVersion, kind, options),
    apply: (object, options) => watchRefused(writer.apply(object, options, log)),
    applyAll: (objects, options) => watchRefused(writer.applyAll(objects, options, log)),
    read: parts.read ?? ((object) => writer.read(object)),
    delete: (object, options) => writer.delete(object, options, log),
    addFinalizer: (object, finalizer) => writer.addFinalizer(object, finalizer, log),
    removeFinalizer: (object, finalizer) => writer.removeFinalizer(object, finalizer, log),
    patchStatus: (object, status) => writer.patchStatus(object, status),
    mergePatch: (object, patch) => writer.mergePatch(object, patch, log),
  };
}
