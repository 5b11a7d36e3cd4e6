/**
 * The contract between the runtime and what runs on it: the shape of a custom resource the
 * loop reconciles, what a hook reports, and the context a reconcile is given. Types only, so
 * every runtime module can import them without forming a cycle.
 */
import type { KubernetesObject, V1ObjectMeta } from "@kubernetes/client-node";

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

/** Any custom resource the loop can reconcile. */
export type AnyResource = CustomResource<unknown, StandardStatus>;

/** The spec type of a resource type `R`. */
export type SpecOf<R extends AnyResource> = R["spec"];

/** The status type of a resource type `R`. */
export type StatusOf<R extends AnyResource> = NonNullable<R["status"]>;

/**
 * What a hook reports. Hooks never sleep and never write status: they return `wait`
 * to be called again later, and may hand status facts (`status`) to the loop.
 */
export type HookResult<Status = Record<string, unknown>> =
  | { readonly kind: "done"; readonly message?: string; readonly status?: Partial<Status> }
  | { readonly kind: "wait"; readonly afterMs: number; readonly reason: string; readonly message: string; readonly status?: Partial<Status> }
  | { readonly kind: "failed"; readonly reason: string; readonly message: string; readonly status?: Partial<Status> };

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

/** Selects the objects {@link ReconcileContext.list} returns. */
export interface ListOptions {
  /** One namespace; all (or a cluster-scoped kind's) when absent. */
  readonly namespace?: string;
  /** A label selector, e.g. `batch.kubernetes.io/job-name=backup-x-job`. */
  readonly labelSelector?: string;
  /** A field selector, e.g. `involvedObject.uid=…` for Events. */
  readonly fieldSelector?: string;
}

/** Names one object: enough to read or delete it. */
export interface ObjectReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name?: string; readonly namespace?: string };
}

/** How {@link ReconcileContext.delete} deletes. */
export interface DeleteOptions {
  readonly propagationPolicy?: "Foreground" | "Background" | "Orphan";
  /** The uid the object must have (a precondition the API server checks). */
  readonly uid?: string;
  /**
   * The resourceVersion the object must still have (a precondition the API server checks): the delete is refused
   * (409 Conflict) when anyone changed the object since it was read, e.g. kube-controller-manager bound a volume.
   */
  readonly resourceVersion?: string;
}

/** How {@link ReconcileContext.read} reads. */
export interface ReadOptions {
  /** Re-queue the resource when the object changes, for as long as its reconciles keep reading it this way. */
  readonly watch?: boolean;
  /** Any version the API server's watch cache holds will do (`resourceVersion=0`). */
  readonly anyVersion?: boolean;
}

/** Options of {@link ReconcileContext.apply}. */
export interface ApplyOptions {
  /** Set as the controller owner reference where Kubernetes allows one. */
  readonly owner?: KubernetesObject;
  /**
   * The caller read the object from the API server in this reconcile and found none: it is created at once, without
   * another look-up. One made since then fails the create and is refused (or applied, when it is this manager's) as a
   * look-up would have found it.
   */
  readonly absent?: boolean;
}

/** Options of {@link ReconcileContext.applyAll}. */
export interface ApplyAllOptions {
  /** Set as the controller owner reference where Kubernetes allows one. */
  readonly owner?: KubernetesObject;
  /** Those of the objects the caller read from the API server in this reconcile and found absent (see {@link ApplyOptions.absent}). */
  readonly absent?: readonly KubernetesObject[];
}

/** What the runtime gives a reconcile call. */
export interface ReconcileContext {
  /** The informer caches. Those of owned kinds hold only what this operator made (its managed-by label): a miss there is not proof of absence. */
  readonly cache: CacheReader;
  readonly events: EventRecorder;
  readonly log: Logger;
  /**
   * Server-side apply with the controller's field manager; sets an owner reference to `owner` when given. Returns the
   * server's answer, or the cached object (read-only) when nothing would change and nothing was sent.
   */
  apply<T extends KubernetesObject>(object: T, options?: ApplyOptions): Promise<T>;
  /**
   * Lists objects from the API server, not a cache: for kinds read rarely and never watched (a stuck Job's pods and
   * their Events, the cluster's StorageClasses or Nodes once at creation). Needs `list` on the kind.
   */
  list<T extends KubernetesObject>(apiVersion: string, kind: string, options?: ListOptions): Promise<T[]>;
  /**
   * Applies several objects at once, all or none as to adoption: when any of them is known to exist and may not be taken
   * over, its refusal is thrown and none is sent. Absent objects are created at once, except that one that runs pods waits
   * for those before it and is not created after a refusal. The first failed write is thrown, naming its object, once
   * every write has ended.
   */
  applyAll<T extends KubernetesObject>(objects: readonly T[], options?: ApplyAllOptions): Promise<T[]>;
  /**
   * Reads one object from the API server, not a cache: an object this operator did not make (a Secret the resource
   * refers to), or proof that none of a name exists. `undefined` when absent. With `watch`, a change to the object
   * re-queues the resource for as long as its reconciles keep reading it that way. With `anyVersion`, the API server
   * answers from its watch cache (`resourceVersion=0`), not from etcd: cheaper, and possibly a moment behind, so only
   * for a look-up whose answer a write checks again (a create that finds the object after all is refused).
   */
  read<T extends KubernetesObject>(object: ObjectReference, options?: ReadOptions): Promise<T | undefined>;
  /** Deletes an object; absent is fine. With `uid`, only that very object: one of the name made since is refused (409). */
  delete(object: ObjectReference, options?: DeleteOptions): Promise<void>;
  /** Adds the finalizer (conflict-safe patch) when missing; returns the updated object. */
  addFinalizer<T extends KubernetesObject>(object: T, finalizer: string): Promise<T>;
  /** Removes the finalizer (conflict-safe patch) when present. */
  removeFinalizer<T extends KubernetesObject>(object: T, finalizer: string): Promise<void>;
  /** Merge-patches fields of an existing object without taking it over (no label, no owner): one field of an object someone else made. */
  mergePatch<T extends KubernetesObject>(object: T, patch: Record<string, unknown>): Promise<T>;
  /** Merge-patches the status subresource; conditions keep lastTransitionTime unless their status flips. */
  patchStatus<T extends KubernetesObject>(object: T, status: Record<string, unknown>): Promise<void>;
}

/** Anything the runtime's controller can drive from its work queue. */
export interface Reconciler {
  reconcile(request: ReconcileRequest, ctx: ReconcileContext): Promise<ReconcileResult>;
}
