/**
 * A controller: the primary kind's and owned kinds' informer events become keys on a work
 * queue; a bounded number of workers reconcile them, one key at a time per key.
 */
import { isDeepStrictEqual } from "node:util";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { BackoffOptions } from "./backoff.ts";
import type { InformerCache } from "./cache-reader.ts";
import type { Informer, InformerEvent } from "./informer.ts";
import type { KindInfo } from "./kube-rest.ts";
import { describeError, type JsonLogger } from "./logger.ts";
import type { RuntimeMetrics } from "./metrics.ts";
import { createReconcileContext, NotLeaderError, type ObjectWriter } from "./reconcile-context.ts";
import { ReferenceWatches, type StartObjectWatch } from "./reference-watches.ts";
import type { EventRecorder, ObjectReference, ReconcileContext, ReconcileRequest, Reconciler, ResourceType } from "./types.ts";
import { WorkQueue } from "./work-queue.ts";

/** What a controller watches and who reconciles it. */
export interface ControllerOptions {
  /** Names the controller in logs and metrics, e.g. `widget`. */
  readonly name: string;
  /** The primary kind. */
  readonly resourceType: ResourceType;
  /** Kinds this controller creates; a change to one re-queues its controller owner. */
  readonly owns?: readonly KindInfo[];
  /**
   * The labels by which a child of a cluster-scoped owned kind names its resource (a namespaced resource's cluster-scoped
   * child, which no owner reference can name): a change to one re-queues the resource. Namespaced children's labels are
   * not read.
   */
  readonly ownerLabels?: OwnerLabels;
  /** Kinds to cache for reading only (e.g. referenced Secrets); their events re-queue nothing. */
  readonly watches?: readonly KindInfo[];
  readonly reconciler: Reconciler;
  /** Reconciles running at once (distinct keys). Default 1. */
  readonly concurrency?: number;
  /** Per-key back-off after failures. */
  readonly backoff?: BackoffOptions;
}

/** The apiVersion/kind/plural/namespaced of a {@link ResourceType}. */
export function kindInfoOf(type: ResourceType): KindInfo {
  return { apiVersion: `${type.group}/${type.version}`, kind: type.kind, plural: type.plural, namespaced: type.namespaced };
}

/** The work-queue key of an object: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** The request a key names. */
export function parseKey(key: string): ReconcileRequest {
  const slash = key.indexOf("/");
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Keys of the controller owners of `object` that are of the primary kind (any version of its group). */
export function ownerKeys(object: KubernetesObject, primary: ResourceType): string[] {
  const keys: string[] = [];
  for (const ref of object.metadata?.ownerReferences ?? []) {
    if (ref.controller !== true || ref.kind !== primary.kind) continue;
    const group = ref.apiVersion.includes("/") ? ref.apiVersion.slice(0, ref.apiVersion.indexOf("/")) : "";
    if (group !== primary.group) continue;
    keys.push(objectKey(primary.namespaced ? object.metadata?.namespace : undefined, ref.name));
  }
  return keys;
}

/** The keys of two labels that name an object's resource, for children that cannot carry an owner reference. */
export interface OwnerLabels {
  /** The label holding the resource's namespace (ignored for a cluster-scoped primary kind). */
  readonly namespace: string;
  /** The label holding the resource's name. */
  readonly name: string;
}

/** The key of the resource `object`'s {@link OwnerLabels} name, or `undefined` when it lacks one of them. */
export function labelOwnerKey(object: KubernetesObject, primary: ResourceType, labels: OwnerLabels): string | undefined {
  const own = object.metadata?.labels;
  const name = own?.[labels.name];
  if (name === undefined || name === "") return undefined;
  if (!primary.namespaced) return name;
  const namespace = own?.[labels.namespace];
  return namespace === undefined || namespace === "" ? undefined : objectKey(namespace, name);
}

/**
 * True when an update changed nothing a reconcile decides on: same generation (spec), no deletion
 * started, same labels, annotations, finalizers and owners (controller-runtime's
 * GenerationChangedPredicate, plus the metadata the loop reads). Kinds without a generation never qualify.
 */
export function onlyStatusChanged(previous: KubernetesObject, next: KubernetesObject): boolean {
  const a = previous.metadata;
  const b = next.metadata;
  if (a?.generation === undefined || a.generation !== b?.generation) return false;
  if ((a.deletionTimestamp ?? undefined) !== undefined || (b.deletionTimestamp ?? undefined) !== undefined) return false;
  return (
    sameValue(a.labels, b.labels, emptyRecord) &&
    sameValue(a.annotations, b.annotations, emptyRecord) &&
    sameValue(a.finalizers, b.finalizers, emptyList) &&
    sameValue(a.ownerReferences, b.ownerReferences, emptyList)
  );
}

const emptyRecord = Object.freeze({});
const emptyList = Object.freeze([]);

/** Deep equality with absent read as `empty`; the common cases (both absent, same reference) skip the deep walk, which runs on every update event. */
function sameValue(a: unknown, b: unknown, empty: unknown): boolean {
  return a === b || isDeepStrictEqual(a ?? empty, b ?? empty);
}

/**
 * Which objects of a kind an informer holds: every one (the primary kind, kinds only read), or only
 * those this manager made (owned kinds: see managed-objects.ts).
 */
export type InformerScope = "all" | "managed";

/** What a controller needs from its manager. */
export interface ControllerDeps {
  readonly cache: InformerCache;
  readonly informerFor: (kind: KindInfo, scope: InformerScope) => Informer;
  /** Starts a watch of one object (for `ctx.read(…, { watch: true })`). */
  readonly watchObject: StartObjectWatch;
  readonly events: EventRecorder;
  readonly writer: ObjectWriter;
  readonly log: JsonLogger;
  readonly metrics: RuntimeMetrics;
}

/** One controller; created by the manager. */
export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly #options: ControllerOptions;
  readonly #deps: ControllerDeps;
  readonly #log: JsonLogger;
  readonly #workers: Promise<void>[] = [];
  readonly #references: ReferenceWatches;
  readonly #metrics: {
    readonly success: { inc(): void };
    readonly requeueAfter: { inc(): void };
    readonly error: { inc(): void };
    readonly errors: { inc(): void };
    readonly time: { observe(value: number): void };
    readonly active: { inc(): void; dec(): void; set(value: number): void };
  };

  constructor(options: ControllerOptions, deps: ControllerDeps) {
    this.name = options.name;
    this.#options = options;
    this.#deps = deps;
    this.#log = deps.log.child({ controller: options.name });
    const { metrics } = deps;
    const name = options.name;
    // Label children are bound once: prom-client hashes a label object on every unbound call.
    const adds = metrics.queueAdds.labels({ name });
    const depth = metrics.queueDepth.labels({ name });
    const latency = metrics.queueLatency.labels({ name });
    const retries = metrics.queueRetries.labels({ name });
    this.queue = new WorkQueue({
      backoff: options.backoff,
      observer: {
        added: () => adds.inc(),
        depth: (n) => depth.set(n),
        taken: (_key, waitedMs) => latency.observe(waitedMs / 1000),
        retried: () => retries.inc(),
      },
    });
    this.#metrics = {
      success: metrics.reconcileTotal.labels({ controller: name, result: "success" }),
      requeueAfter: metrics.reconcileTotal.labels({ controller: name, result: "requeue_after" }),
      error: metrics.reconcileTotal.labels({ controller: name, result: "error" }),
      errors: metrics.reconcileErrors.labels({ controller: name }),
      time: metrics.reconcileTime.labels({ controller: name }),
      active: metrics.activeWorkers.labels({ controller: name }),
    };
    metrics.maxConcurrentReconciles.set({ controller: name }, this.#concurrency);
    this.#metrics.active.set(0);
    const primary = options.resourceType;
    const referenced = metrics.referencedObjects.labels({ controller: name });
    this.#references = new ReferenceWatches(
      (object, changed) => {
        referenced.inc();
        const watch = deps.watchObject(object, changed);
        return {
          stop: () => {
            referenced.dec();
            watch.stop();
          },
        };
      },
      (key) => this.queue.add(key),
    );
    deps.informerFor(kindInfoOf(primary), "all").onEvent((event) => {
      // Our own status writes come back as updates: reconciling them again only re-reads what we wrote,
      // and a failure whose status message changes each time would retry at once, bypassing the back-off.
      if (event.type === "update" && event.previous !== undefined && onlyStatusChanged(event.previous, event.object)) return;
      const meta = event.object.metadata;
      if (meta?.name !== undefined) this.queue.add(objectKey(primary.namespaced ? meta.namespace : undefined, meta.name));
    });
    const primaryInformer = deps.informerFor(kindInfoOf(primary), "all");
    for (const owned of options.owns ?? []) {
      const informer = deps.informerFor(owned, "managed");
      // Only a cluster-scoped child needs its labels to name its resource; a namespaced one's could name another namespace.
      const ownerLabels = owned.namespaced ? undefined : options.ownerLabels;
      informer.onEvent((event) => this.#enqueueOwners(event, ownerLabels));
      // A child created and deleted while its watch was down leaves no trace in the relist: re-check every owner.
      informer.onRelist(() => {
        for (const object of primaryInformer.list()) {
          const meta = object.metadata;
          if (meta?.name !== undefined) this.queue.add(objectKey(primary.namespaced ? meta.namespace : undefined, meta.name));
        }
      });
    }
    for (const watched of options.watches ?? []) deps.informerFor(watched, "all");
  }

  get #concurrency(): number {
    return Math.max(1, this.#options.concurrency ?? 1);
  }

  /** Starts the workers (on the leader only). */
  start(): void {
    this.#log.info("starting workers", { workers: this.#concurrency });
    for (let i = 0; i < this.#concurrency; i++) this.#workers.push(this.#work());
  }

  /** Stops taking work; resolves true when the in-flight reconciles finished within `deadlineMs`. */
  async stop(deadlineMs: number): Promise<boolean> {
    this.queue.shutDown();
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.all(this.#workers).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), deadlineMs))),
    ]);
    clearTimeout(timer);
    if (!drained) this.#log.warn("shutdown deadline passed with reconciles still running", { inFlight: this.queue.processing });
    this.#references.stop();
    return drained;
  }

  #enqueueOwners(event: InformerEvent, ownerLabels: OwnerLabels | undefined): void {
    const { resourceType } = this.#options;
    const keys = new Set<string>();
    for (const object of event.previous === undefined ? [event.object] : [event.object, event.previous]) {
      for (const key of ownerKeys(object, resourceType)) keys.add(key);
      // The owned kinds' informers hold only what this manager made: another's object never reaches this look-up.
      const labelled = ownerLabels === undefined ? undefined : labelOwnerKey(object, resourceType, ownerLabels);
      if (labelled !== undefined) keys.add(labelled);
    }
    for (const key of keys) this.queue.add(key);
  }

  async #work(): Promise<void> {
    const metrics = this.#metrics;
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const log = this.#log.child({ key });
      const started = performance.now();
      metrics.active.inc();
      const referenced: ObjectReference[] = [];
      const writer = this.#deps.writer;
      const read: ReconcileContext["read"] = (object, options) => {
        if (options?.watch === true) referenced.push(object);
        return writer.read(object, options);
      };
      try {
        const ctx = createReconcileContext({
          cache: this.#deps.cache,
          events: this.#deps.events,
          log,
          writer,
          read,
          watch: (object) => referenced.push(object),
        });
        const result = await this.#options.reconciler.reconcile(parseKey(key), ctx);
        // What this reconcile read is all the resource refers to now (after a failure, what it had not read yet may still be).
        this.#references.update(key, referenced);
        this.queue.forget(key);
        if (result.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
          this.queue.addAfter(key, result.requeueAfterMs);
          metrics.requeueAfter.inc();
          log.debug("reconciled; requeue later", { requeueAfterMs: result.requeueAfterMs });
        } else {
          metrics.success.inc();
          log.debug("reconciled");
        }
      } catch (error) {
        this.#references.update(key, [...this.#references.referencedBy(key), ...referenced]);
        if (error instanceof NotLeaderError) {
          log.info("reconcile abandoned: leadership lost");
        } else {
          metrics.error.inc();
          metrics.errors.inc();
          const retryInMs = this.queue.addRateLimited(key);
          log.error("reconcile failed", { error: describeError(error), retryInMs, failures: this.queue.failures(key) });
        }
      } finally {
        metrics.time.observe((performance.now() - started) / 1000);
        metrics.active.dec();
        this.queue.done(key);
      }
    }
  }
}
