// Generated from schemas/mysql.yaml (sha256 4ff9b5afa563c197c86cf5b275d30f91c3086b535c873e1ab181b13a7ad3b4bb) by `mysqlop generate`. DO NOT EDIT.
import { ResourceReconciler } from "../src/runtime/index.ts";
import type {
  ChangeHooks,
  FieldChange,
  HookResult,
  ReconcileContext,
  ResourceType,
  SensitiveFieldChange,
  SpecFieldInfo,
} from "../src/runtime/index.ts";
import { MYSQL_FINALIZER, MYSQL_RESOURCE_TYPE, MYSQL_SPEC_FIELDS } from "./mysql-constants.ts";
import type { MySQL, MySQLSpec, MySQLStatus } from "./mysql-models.ts";
import { validateMySQL } from "./mysql-validator.ts";

/** What the change hook of each `hook` field of MySQL is given: the value applied last time and the value now in the spec. */
export interface MySQLChanges {
  /** `spec.image`. */
  readonly image: FieldChange<MySQLSpec["image"]>;
  /** `spec.password` (sensitive: `previous` is never known). */
  readonly password: SensitiveFieldChange<MySQLSpec["password"]>;
  /** `spec.passwordSecretRef`. */
  readonly passwordSecretRef: FieldChange<MySQLSpec["passwordSecretRef"]>;
  /** `spec.storage_size`. */
  readonly storage_size: FieldChange<MySQLSpec["storage_size"]>;
  /** `spec.resources`. */
  readonly resources: FieldChange<MySQLSpec["resources"]>;
}

/** The change of one spec field, e.g. `MySQLChange<"image">`: the parameter type of its hook. */
export type MySQLChange<K extends keyof MySQLChanges> = MySQLChanges[K];

/**
 * The reconcile skeleton of MySQL: the runtime's loop (read, finalizer, apply {@link desired}, change policies, status) with one typed hook per spec field whose change policy is `hook`.
 * Extend it by hand under src/ (never edit this file) and implement {@link desired}, {@link onCreate}, {@link finalize} and every `on…Change` hook.
 * A hooked field added to the schema adds an abstract hook here, so the subclass stops compiling until it handles the field.
 *
 * Hooks never sleep and never write status: they return `this.done()`, `this.waitFor(ms, reason, message)` or `this.failed(reason, message)` and hand status facts back in the result.
 * Change hooks run in schema order and stop at the first result that is not done; the runtime records the new fingerprints only after every hook reported done, so a hook may be called again with the same change and must be idempotent.
 *
 * Fields without a hook (`x-mysqlop-on-change`):
 * - `spec.database` is immutable: the API server refuses a change (a CEL transition rule in the CRD); one that gets past it fails the reconcile (reason FieldImmutable) while the applied value stays in force. No hook.
 * - `spec.storageClassName` is immutable: the API server refuses a change (a CEL transition rule in the CRD); one that gets past it fails the reconcile (reason FieldImmutable) while the applied value stays in force. No hook.
 * - `spec.backup` rolls out: applying {@link desired} is all a change needs. No hook.
 * - `spec.restore` rolls out: applying {@link desired} is all a change needs. No hook.
 * - `spec.hostPath` is immutable: the API server refuses a change (a CEL transition rule in the CRD); one that gets past it fails the reconcile (reason FieldImmutable) while the applied value stays in force. No hook.
 * - `spec.jobResources` rolls out: applying {@link desired} is all a change needs. No hook.
 */
export abstract class MySQLReconcilerBase extends ResourceReconciler<MySQL> {
  /** otus.homework/v1 MySQL. */
  override readonly resourceType: ResourceType = MYSQL_RESOURCE_TYPE;
  /** Holds deletion until {@link finalize} reports done. */
  override readonly finalizer: string = MYSQL_FINALIZER;
  /** The spec fields in schema order, with their change policy. */
  protected override readonly specFields: readonly SpecFieldInfo[] = MYSQL_SPEC_FIELDS;

  /**
   * Called when `spec.image` changed since the last fully successful reconcile (not on creation: {@link onCreate} runs then).
   *
   * What the field means: {@link MySQLSpec.image}.
   *
   * To do: make the server match `change.current` where applying {@link desired} cannot (it already sees the new value), or refuse with `this.failed(...)`; return `this.done()` once converged, `this.waitFor(...)` to be called again.
   * Declare the parameter as `MySQLChange<"image">`, so that a change of the field's type in the schema reaches this code.
   * @param resource - the MySQL as read from the cache
   * @param change - the value applied last time (`previous`) and the value now in the spec (`current`)
   * @param ctx - the runtime: cache, apply, delete, events, log
   */
  public abstract onImageChange(
    resource: MySQL,
    change: MySQLChange<"image">,
    ctx: ReconcileContext,
  ): Promise<HookResult<MySQLStatus>>;

  /**
   * Called when `spec.password` changed since the last fully successful reconcile (not on creation: {@link onCreate} runs then).
   *
   * What the field means: {@link MySQLSpec.password}.
   *
   * To do: make the server match `change.current` where applying {@link desired} cannot (it already sees the new value), or refuse with `this.failed(...)`; return `this.done()` once converged, `this.waitFor(...)` to be called again.
   * Declare the parameter as `MySQLChange<"password">`, so that a change of the field's type in the schema reaches this code.
   * Sensitive: `change.previous` is always `undefined` (only a salted hash of the old value is kept); never log, record or return the value.
   * Optional: `change.current` is `undefined` when the field was removed.
   * @param resource - the MySQL as read from the cache
   * @param change - the value applied last time (`previous`) and the value now in the spec (`current`)
   * @param ctx - the runtime: cache, apply, delete, events, log
   */
  public abstract onPasswordChange(
    resource: MySQL,
    change: MySQLChange<"password">,
    ctx: ReconcileContext,
  ): Promise<HookResult<MySQLStatus>>;

  /**
   * Called when `spec.passwordSecretRef` changed since the last fully successful reconcile (not on creation: {@link onCreate} runs then).
   *
   * Reads the MySQL root password from a key of an existing Secret in the resource's namespace. The value is read when the resource is created and whenever the reference changes, which changes the root password of the running server; to rotate, point it at a new Secret or key.
   *
   * To do: make the server match `change.current` where applying {@link desired} cannot (it already sees the new value), or refuse with `this.failed(...)`; return `this.done()` once converged, `this.waitFor(...)` to be called again.
   * Declare the parameter as `MySQLChange<"passwordSecretRef">`, so that a change of the field's type in the schema reaches this code.
   * Optional: `change.current` is `undefined` when the field was removed.
   * @param resource - the MySQL as read from the cache
   * @param change - the value applied last time (`previous`) and the value now in the spec (`current`)
   * @param ctx - the runtime: cache, apply, delete, events, log
   */
  public abstract onPasswordSecretRefChange(
    resource: MySQL,
    change: MySQLChange<"passwordSecretRef">,
    ctx: ReconcileContext,
  ): Promise<HookResult<MySQLStatus>>;

  /**
   * Called when `spec.storage_size` changed since the last fully successful reconcile (not on creation: {@link onCreate} runs then).
   *
   * What the field means: {@link MySQLSpec.storage_size}.
   *
   * To do: make the server match `change.current` where applying {@link desired} cannot (it already sees the new value), or refuse with `this.failed(...)`; return `this.done()` once converged, `this.waitFor(...)` to be called again.
   * Declare the parameter as `MySQLChange<"storage_size">`, so that a change of the field's type in the schema reaches this code.
   * @param resource - the MySQL as read from the cache
   * @param change - the value applied last time (`previous`) and the value now in the spec (`current`)
   * @param ctx - the runtime: cache, apply, delete, events, log
   */
  public abstract onStorageSizeChange(
    resource: MySQL,
    change: MySQLChange<"storage_size">,
    ctx: ReconcileContext,
  ): Promise<HookResult<MySQLStatus>>;

  /**
   * Called when `spec.resources` changed since the last fully successful reconcile (not on creation: {@link onCreate} runs then).
   *
   * CPU and memory of the MySQL server's container, as in a pod spec: `requests` is what the scheduler reserves, `limits` the most it may use (a container above its memory limit is killed). A request must not exceed its limit. Leaving the field out gives the default: 250m CPU and 1Gi memory requested, 1Gi memory at most, and no CPU limit (a CPU limit throttles a busy server; add one where a quota asks for it). Set at least the memory to what InnoDB's buffer pool and the connections need. Giving the field replaces the whole default at creation; later edits change only the keys they give, so a request raised above the limit the resource has is refused (raise both). Changing it restarts the server (the Deployment rolls over).
   *
   * To do: make the server match `change.current` where applying {@link desired} cannot (it already sees the new value), or refuse with `this.failed(...)`; return `this.done()` once converged, `this.waitFor(...)` to be called again.
   * Declare the parameter as `MySQLChange<"resources">`, so that a change of the field's type in the schema reaches this code.
   * @param resource - the MySQL as read from the cache
   * @param change - the value applied last time (`previous`) and the value now in the spec (`current`)
   * @param ctx - the runtime: cache, apply, delete, events, log
   */
  public abstract onResourcesChange(
    resource: MySQL,
    change: MySQLChange<"resources">,
    ctx: ReconcileContext,
  ): Promise<HookResult<MySQLStatus>>;

  /** What the schema refuses in the resource's spec (the offline validator's verdict): the loop neither adds the finalizer nor runs a hook then. */
  protected override specProblems(resource: MySQL): string[] {
    return validateMySQL(resource)
      .filter((issue) => issue.path[0] === "spec")
      .map((issue) => issue.message);
  }

  /** The hooks by field, for the runtime's dispatch. */
  protected override changeHooks(): ChangeHooks<MySQL> {
    return {
      image: (resource, change, ctx) => this.onImageChange(resource, change, ctx),
      password: (resource, change, ctx) =>
        this.onPasswordChange(resource, { previous: undefined, current: change.current }, ctx),
      passwordSecretRef: (resource, change, ctx) => this.onPasswordSecretRefChange(resource, change, ctx),
      storage_size: (resource, change, ctx) => this.onStorageSizeChange(resource, change, ctx),
      resources: (resource, change, ctx) => this.onResourcesChange(resource, change, ctx),
    };
  }
}
