// Generated from schemas/mysql.yaml (sha256 b45aa90082fcea23b24dbd2a8520cf905e06cba140ddc78331c555913beebd84) by `mysqlop generate`. DO NOT EDIT.
import { createHmac } from "node:crypto";
import { done, failed, ResourceReconciler, waitFor } from "../src/runtime/resource-reconciler.ts";
import type { HookResult, ReconcileContext, ResourceType } from "../src/runtime/resource-reconciler.ts";
import { MYSQL_FINALIZER, MYSQL_RESOURCE_TYPE } from "./mysql-constants.ts";
import type { MySQL, MySQLSpec, MySQLStatus } from "./mysql-models.ts";

/** JSON with object keys sorted, so equal values always give equal fingerprints. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** `sha256:<hex>` of a secret value, keyed by `salt` (the object's uid) so equal secrets of different objects differ. */
function sensitiveFingerprint(salt: string, value: unknown): string {
  return `sha256:${createHmac("sha256", salt).update(canonicalJson(value)).digest("hex")}`;
}

/** Decodes a non-sensitive fingerprint back into the value it was taken from; `undefined` when absent or unreadable. */
function previousValue<T>(fingerprint: string | undefined): T | undefined {
  if (fingerprint === undefined) return undefined;
  try {
    return JSON.parse(fingerprint) as T;
  } catch {
    return undefined;
  }
}

/**
 * The reconcile skeleton of MySQL: the runtime's loop (read, finalizer, apply {@link desired}, hooks, status) with one typed hook per spec field.
 * Extend it by hand under src/ (never edit this file) and implement {@link desired}, {@link onCreate}, {@link finalize} and every `on…Change` hook.
 * A field added to the schema adds an abstract hook here, so the subclass stops compiling until it handles the field.
 *
 * Hooks never sleep and never write status: they return `this.done()`, `this.waitFor(ms, reason, message)` or `this.failed(reason, message)` and hand status facts back in the result.
 * Change hooks run in schema order and stop at the first result that is not done; the runtime records the new fingerprints only after every hook reported done, so a hook may be called again with the same change and must be idempotent.
 */
export abstract class MySQLReconcilerBase extends ResourceReconciler<MySQL> {
  /** otus.homework/v1 MySQL. */
  override readonly resourceType: ResourceType = MYSQL_RESOURCE_TYPE;
  /** Holds deletion until {@link finalize} reports done. */
  override readonly finalizer: string = MYSQL_FINALIZER;

  /**
   * Called when `spec.image` changed since the last fully successful reconcile (not on creation: {@link onCreate} runs then).
   *
   * The MySQL container image. Changing it rolls the Deployment over to the new image (the data volume is kept).
   *
   * To do: make the server match `change.current` where applying {@link desired} cannot (it already sees the new value), or refuse with `this.failed(...)`; return `this.done()` once converged, `this.waitFor(...)` to be called again.
   * @param resource - the MySQL as read from the cache
   * @param change - the value applied last time (`previous`) and the value now in the spec (`current`)
   * @param ctx - the runtime: cache, apply, delete, events, log
   */
  public abstract onImageChange(
    resource: MySQL,
    change: { readonly previous: MySQLSpec["image"] | undefined; readonly current: MySQLSpec["image"] },
    ctx: ReconcileContext,
  ): Promise<HookResult<MySQLStatus>>;

  /**
   * Called when `spec.database` changed since the last fully successful reconcile (not on creation: {@link onCreate} runs then).
   *
   * The database to create, backed up on delete and restored on create. Any name MySQL allows: 1 to 64 characters, without "/", "\", "." or NUL, without characters beyond U+FFFF (such as emoji, which MySQL rejects in identifiers), not ending in a space. The operator quotes it everywhere, so hyphens (`otus-database`) and other special characters are fine. Changing it later is refused: the data lives in the old database.
   *
   * To do: make the server match `change.current` where applying {@link desired} cannot (it already sees the new value), or refuse with `this.failed(...)`; return `this.done()` once converged, `this.waitFor(...)` to be called again.
   * @param resource - the MySQL as read from the cache
   * @param change - the value applied last time (`previous`) and the value now in the spec (`current`)
   * @param ctx - the runtime: cache, apply, delete, events, log
   */
  public abstract onDatabaseChange(
    resource: MySQL,
    change: { readonly previous: MySQLSpec["database"] | undefined; readonly current: MySQLSpec["database"] },
    ctx: ReconcileContext,
  ): Promise<HookResult<MySQLStatus>>;

  /**
   * Called when `spec.password` changed since the last fully successful reconcile (not on creation: {@link onCreate} runs then).
   *
   * The MySQL root password, inline. Kept for compatibility with the original example; anyone who can read the resource can read it (`kubectl apply` also copies it into the last-applied-configuration annotation), so prefer `passwordSecretRef`. The operator keeps the server's current password in the Secret `NAME-credentials` and never logs it. Changing it changes the root password of the running server.
   *
   * To do: make the server match `change.current` where applying {@link desired} cannot (it already sees the new value), or refuse with `this.failed(...)`; return `this.done()` once converged, `this.waitFor(...)` to be called again.
   * Sensitive: `change.previous` is always `undefined` (only a salted hash of the old value is kept); never log, record or return the value.
   * Optional: `change.current` is `undefined` when the field was removed.
   * @param resource - the MySQL as read from the cache
   * @param change - the value applied last time (`previous`) and the value now in the spec (`current`)
   * @param ctx - the runtime: cache, apply, delete, events, log
   */
  public abstract onPasswordChange(
    resource: MySQL,
    change: { readonly previous: undefined; readonly current: MySQLSpec["password"] },
    ctx: ReconcileContext,
  ): Promise<HookResult<MySQLStatus>>;

  /**
   * Called when `spec.passwordSecretRef` changed since the last fully successful reconcile (not on creation: {@link onCreate} runs then).
   *
   * Reads the MySQL root password from a key of an existing Secret in the resource's namespace. The value is read when the resource is created and whenever the reference changes, which changes the root password of the running server; to rotate, point it at a new Secret or key.
   *
   * To do: make the server match `change.current` where applying {@link desired} cannot (it already sees the new value), or refuse with `this.failed(...)`; return `this.done()` once converged, `this.waitFor(...)` to be called again.
   * Optional: `change.current` is `undefined` when the field was removed.
   * @param resource - the MySQL as read from the cache
   * @param change - the value applied last time (`previous`) and the value now in the spec (`current`)
   * @param ctx - the runtime: cache, apply, delete, events, log
   */
  public abstract onPasswordSecretRefChange(
    resource: MySQL,
    change: {
      readonly previous: MySQLSpec["passwordSecretRef"] | undefined;
      readonly current: MySQLSpec["passwordSecretRef"];
    },
    ctx: ReconcileContext,
  ): Promise<HookResult<MySQLStatus>>;

  /**
   * Called when `spec.storage_size` changed since the last fully successful reconcile (not on creation: {@link onCreate} runs then).
   *
   * Size of the data volume, as a Kubernetes quantity (`1Gi`, `500Mi`). Growing it expands the PersistentVolumeClaim where the storage class allows expansion.
   *
   * To do: make the server match `change.current` where applying {@link desired} cannot (it already sees the new value), or refuse with `this.failed(...)`; return `this.done()` once converged, `this.waitFor(...)` to be called again.
   * @param resource - the MySQL as read from the cache
   * @param change - the value applied last time (`previous`) and the value now in the spec (`current`)
   * @param ctx - the runtime: cache, apply, delete, events, log
   */
  public abstract onStorageSizeChange(
    resource: MySQL,
    change: { readonly previous: MySQLSpec["storage_size"] | undefined; readonly current: MySQLSpec["storage_size"] },
    ctx: ReconcileContext,
  ): Promise<HookResult<MySQLStatus>>;

  /**
   * Called when `spec.storageClassName` changed since the last fully successful reconcile (not on creation: {@link onCreate} runs then).
   *
   * StorageClass of the data and backup volumes, for clusters with dynamic provisioning. When omitted the operator creates hostPath PersistentVolumes itself (`NAME-pv`, `backup-NAME-pv`), as the original example did on minikube.
   *
   * To do: make the server match `change.current` where applying {@link desired} cannot (it already sees the new value), or refuse with `this.failed(...)`; return `this.done()` once converged, `this.waitFor(...)` to be called again.
   * Optional: `change.current` is `undefined` when the field was removed.
   * @param resource - the MySQL as read from the cache
   * @param change - the value applied last time (`previous`) and the value now in the spec (`current`)
   * @param ctx - the runtime: cache, apply, delete, events, log
   */
  public abstract onStorageClassNameChange(
    resource: MySQL,
    change: {
      readonly previous: MySQLSpec["storageClassName"] | undefined;
      readonly current: MySQLSpec["storageClassName"];
    },
    ctx: ReconcileContext,
  ): Promise<HookResult<MySQLStatus>>;

  /** Per spec field, canonical JSON of its value; sensitive fields only as `sha256:<hex>`, an HMAC keyed by the object's uid, so status never holds a secret. */
  protected override fingerprint(resource: MySQL): Record<string, string> {
    const spec = resource.spec;
    const fingerprints: Record<string, string> = {};
    if (spec["image"] !== undefined) fingerprints["image"] = canonicalJson(spec["image"]);
    if (spec["database"] !== undefined) fingerprints["database"] = canonicalJson(spec["database"]);
    if (spec["password"] !== undefined)
      fingerprints["password"] = sensitiveFingerprint(resource.metadata.uid ?? "", spec["password"]);
    if (spec["passwordSecretRef"] !== undefined)
      fingerprints["passwordSecretRef"] = canonicalJson(spec["passwordSecretRef"]);
    if (spec["storage_size"] !== undefined) fingerprints["storage_size"] = canonicalJson(spec["storage_size"]);
    if (spec["storageClassName"] !== undefined)
      fingerprints["storageClassName"] = canonicalJson(spec["storageClassName"]);
    return fingerprints;
  }

  /** Calls, in schema order, the hook of every field whose fingerprint differs from `previous`; stops at the first result that is not done and returns it, carrying the status facts gathered so far. */
  protected override async dispatchChanges(
    resource: MySQL,
    previous: Record<string, string>,
    ctx: ReconcileContext,
  ): Promise<HookResult<MySQLStatus>> {
    const current = this.fingerprint(resource);
    const hooks: [string, () => Promise<HookResult<MySQLStatus>>][] = [
      [
        "image",
        () =>
          this.onImageChange(
            resource,
            { previous: previousValue<MySQLSpec["image"]>(previous["image"]), current: resource.spec["image"] },
            ctx,
          ),
      ],
      [
        "database",
        () =>
          this.onDatabaseChange(
            resource,
            {
              previous: previousValue<MySQLSpec["database"]>(previous["database"]),
              current: resource.spec["database"],
            },
            ctx,
          ),
      ],
      [
        "password",
        () => this.onPasswordChange(resource, { previous: undefined, current: resource.spec["password"] }, ctx),
      ],
      [
        "passwordSecretRef",
        () =>
          this.onPasswordSecretRefChange(
            resource,
            {
              previous: previousValue<MySQLSpec["passwordSecretRef"]>(previous["passwordSecretRef"]),
              current: resource.spec["passwordSecretRef"],
            },
            ctx,
          ),
      ],
      [
        "storage_size",
        () =>
          this.onStorageSizeChange(
            resource,
            {
              previous: previousValue<MySQLSpec["storage_size"]>(previous["storage_size"]),
              current: resource.spec["storage_size"],
            },
            ctx,
          ),
      ],
      [
        "storageClassName",
        () =>
          this.onStorageClassNameChange(
            resource,
            {
              previous: previousValue<MySQLSpec["storageClassName"]>(previous["storageClassName"]),
              current: resource.spec["storageClassName"],
            },
            ctx,
          ),
      ],
    ];
    let facts: Partial<MySQLStatus> = {};
    const messages: string[] = [];
    for (const [field, call] of hooks) {
      if (current[field] === previous[field]) continue;
      const result = await call();
      if (result.kind !== "done") return { ...result, status: { ...facts, ...result.status } };
      facts = { ...facts, ...result.status };
      if (result.message !== undefined) messages.push(result.message);
    }
    return done(messages.length > 0 ? messages.join("; ") : undefined, facts);
  }

  /** Typed {@link HookResult}: the hook finished; `status` facts are merged into the status the loop writes. */
  protected done(message?: string, status?: Partial<MySQLStatus>): HookResult<MySQLStatus> {
    return done(message, status);
  }

  /** Typed {@link HookResult}: call the hook again after `afterMs` (e.g. while a Job runs); `reason` is CamelCase. */
  protected waitFor(
    afterMs: number,
    reason: string,
    message: string,
    status?: Partial<MySQLStatus>,
  ): HookResult<MySQLStatus> {
    return waitFor(afterMs, reason, message, status);
  }

  /** Typed {@link HookResult}: the hook cannot go on without a person (or a back-off retry); `reason` is CamelCase. */
  protected failed(reason: string, message: string, status?: Partial<MySQLStatus>): HookResult<MySQLStatus> {
    return failed(reason, message, status);
  }

  /** The condition of the given type in the resource's status, if any. */
  protected conditionOf(resource: MySQL, type: string): NonNullable<MySQLStatus["conditions"]>[number] | undefined {
    return resource.status?.conditions?.find((c) => c.type === type);
  }
}
