/**
 * The hand-written MySQL handlers on top of the generated skeleton
 * (generated/mysql-reconciler-base.ts): a thin table over one module per concern —
 * `volumes`, `password-change`, `backup-restore`, `rollout`. Each hook derives the instance
 * (child names, effective spec) once and hands it on; hooks decide from what the cache shows
 * (level-based) and never wait in place: a running Job is a `waitFor`.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { MySQL, MySQLStatus } from "../../generated/mysql-models.ts";
import { MySQLReconcilerBase, type MySQLChange } from "../../generated/mysql-reconciler-base.ts";
import type { ReconcileContext, Readiness } from "../runtime/index.ts";
import {
  backUp,
  hasFinalBackupSkip,
  isNamespaceTerminating,
  namespaceTerminating,
  NOTHING_TO_BACK_UP,
  markServerStarted,
  nothingToBackUp,
  recordServerStarted,
  refuseForegroundDeletion,
  restoreIfBackedUp,
  skippedByRequest,
  stopFinalBackup,
  withSkipWayOut,
} from "./backup-restore.ts";
import { desiredChildren } from "./desired/index.ts";
import { serverAvailable, serverReadiness } from "./observe.ts";
import { instanceOf, type MySQLInstance } from "./instance.ts";
import { hasReservedName, RESERVED_NAME_PREFIX } from "./names.ts";
import { changePassword, planCredentials, settlePasswordChange } from "./password-change.ts";
import { BINDING_FALLBACK_MS, type Result } from "./result.ts";
import { quiesceBackupSchedule, reconcileBackupSchedule, recordNewestScheduledDump, type ScheduledBackupFacts } from "./scheduled-backup.ts";
import { awaitImageRollout, awaitResourcesRollout } from "./rollout.ts";
import { decidePlacement } from "./placement.ts";
import {
  applyDataVolume,
  awaitsDataVolume,
  ensureBackupStorage,
  lookUpVolumes,
  placeVolumes,
  planDataVolume,
  releaseBackupStorage,
  releaseData,
  resizeDataVolume,
  type VolumeLookUps,
} from "./volumes.ts";

/** Reconciles MySQL resources: a server with its volume, a backup on delete, a restore on create. */
export class MySQLReconciler extends MySQLReconcilerBase {
  readonly #bindingFallbackMs: number;

  /** `bindingFallbackMs`: how long a server waiting for its claim's binding waits for no watch event (default {@link BINDING_FALLBACK_MS}). */
  constructor(options: { readonly bindingFallbackMs?: number } = {}) {
    super();
    this.#bindingFallbackMs = options.bindingFallbackMs ?? BINDING_FALLBACK_MS;
  }

  /** Pure: scripts, data claim, Service, Deployment (the credentials are created once, by {@link onCreate}). */
  desired(resource: MySQL): KubernetesObject[] {
    if (hasReservedName(resource)) return [];
    const children = desiredChildren(instanceOf(resource));
    // While an earlier resource's data volume of the name goes, the claim and the server are the create hook's to make.
    return awaitsDataVolume(resource) ? children.filter((child) => !isClaimOrServer(child)) : children;
  }

  /**
   * Creation, after the loop applied the children. Status message as in the original:
   * `NAME created with restore-job` / `NAME created without restore-job`.
   */
  async onCreate(resource: MySQL, ctx: ReconcileContext): Promise<Result> {
    const created = instanceOf(resource);
    const available = serverAvailable(created, ctx);
    try {
      return await this.#placeAndCreate(created, available, ctx);
    } catch (error) {
      // The server may take writes during the back-off that follows: a deletion then must back it up.
      await recordServerStarted(created, available, ctx);
      throw error;
    }
  }

  /** Creation: the volumes placed once, then {@link #create}; `status.serverStarted` added the first time the server is up. */
  async #placeAndCreate(created: MySQLInstance, available: boolean, ctx: ReconcileContext): Promise<Result> {
    const { resource } = created;
    // 1. Where the volumes come from, decided once (recorded in status with whatever creation reports
    //    now); the claim and the server are built only from then on.
    if (hasReservedName(resource) || resource.status?.storage?.mode !== undefined) {
      const held = awaitsDataVolume(resource) ? desiredChildren(created).filter(isClaimOrServer) : [];
      return markServerStarted(created, available, await this.#create(created, ctx, held));
    }
    // The volumes are looked up while the placement is decided: whether each exists does not depend on where it goes.
    const lookUps = lookUpVolumes(created, ctx);
    const placed = placeVolumes(created, await decidePlacement(created, ctx));
    if ("kind" in placed) return placed;
    const result = await this.#create(placed.instance, ctx, desiredChildren(placed.instance), lookUps);
    return markServerStarted(placed.instance, available, { ...result, status: { ...result.status, storage: placed.storage } });
  }

  /**
   * Creation once the volumes are placed; `children` are the owned children the loop could not build before the
   * placement was decided just now, or left to this hook while the data volume was awaited (the claim and the server).
   */
  async #create(mysql: MySQLInstance, ctx: ReconcileContext, children: readonly KubernetesObject[] = [], lookUps?: VolumeLookUps): Promise<Result> {
    const { names, name, resource } = mysql;
    // 2. A reserved name: nothing is created, its volumes would be another resource's backup volumes.
    if (hasReservedName(resource)) {
      return this.failed(
        "NameReserved",
        `a name starting with "${RESERVED_NAME_PREFIX}" is refused: ${names.dataClaim} and ${names.dataVolume} are the backup claim and volume of the resource "${name.slice(RESERVED_NAME_PREFIX.length)}". Nothing was created; delete this resource and choose another name.`,
      );
    }
    // 3–5. The hostPath data volume, which the loop cannot own (cluster-scoped); NAME-credentials, the password the
    //      server starts with; the backup storage, kept beyond the resource. Independent of each other: written at once.
    const found = lookUps ?? lookUpVolumes(mysql, ctx);
    const backupStorage = ensureBackupStorage(mysql, ctx, found);
    // Awaited below; a look-up that fails first leaves it settling on its own.
    backupStorage.catch(() => undefined);
    const [volume, credentials] = await Promise.all([planDataVolume(mysql, ctx, found), planCredentials(mysql, ctx)]);
    const secret = "secret" in credentials && credentials.secret !== undefined ? [credentials.secret] : [];
    // 6. The data volume never without its claim (any claim of the name would bind it). Just placed, in one step with
    //    the claim, the credentials and the server: the server is created once what it mounts exists; no volume while a
    //    claim of the name is not ours (planDataVolume), no server when one of them is refused, no claim nor server while
    //    the credentials cannot be made. Afterwards the loop has applied the claim already (unless it left it here while
    //    an earlier resource's volume went: awaitsDataVolume).
    const held = "kind" in volume || ("result" in credentials && children.length > 0);
    const step = held ? ctx.applyAll(secret, { owner: mysql.resource }) : applyDataVolume(mysql, ctx, volume, [...secret, ...children]);
    await Promise.all([step, backupStorage]);
    if ("kind" in volume) return volume;
    if ("result" in credentials) return credentials.result;
    // 7. The restore of an earlier resource's backup, if there is one; else wait for the server.
    const restored = await restoreIfBackedUp(mysql, ctx, this.#bindingFallbackMs);
    if (restored.kind !== "done") return restored;
    // 8. The spec's password: appliedSpec will hold its hash, so the server must have it first
    //    (the spec may have changed since the server started with NAME-credentials).
    const password = await changePassword(mysql, ctx);
    // The restore's facts are written with the wait as well: they keep its Event from being sent again on every poll.
    if (password.kind !== "done") return withFacts(password, restored.status);
    // 9. Scheduled backups start only now: none may run beside the restore.
    return withScheduledBackup(restored, await reconcileBackupSchedule(mysql, ctx));
  }

  /**
   * After creation, every reconcile: the changed fields' hooks, then the backup schedule (its CronJob follows
   * `spec.backup.schedule`, and a scheduled backup that ended is recorded in `status.backup.scheduled`). The schedule
   * is reconciled whatever the hooks returned: its CronJob keeps dumping while a change waits or stays refused, and
   * backup-NAME-info must keep naming the newest dump before retention removes the one it names.
   */
  protected override async dispatchChanges(resource: MySQL, previous: Record<string, string>, ctx: ReconcileContext): Promise<Result> {
    const result = await super.dispatchChanges(resource, previous, ctx);
    return withScheduledBackup(result, await reconcileBackupSchedule(instanceOf(resource), ctx));
  }

  /**
   * Deletion: dump the database into the backup claim, record it, and remove the hostPath data
   * volume the operator created. The finalizer stays until the backup succeeded.
   */
  async finalize(resource: MySQL, ctx: ReconcileContext): Promise<Result> {
    const mysql = instanceOf(resource);
    // 1. Nothing was created under a reserved name; what carries its names belongs to another resource.
    if (hasReservedName(resource)) return this.done("nothing was created under a reserved name");
    // 2. A person gave the final backup up (recorded in an Event); else creation never finished and the
    //    server never ran: nothing to dump. The volume goes even so: left behind, its per-uid path would
    //    block every later resource of this name.
    //    Skipped or not, a scheduled backup still writing the backup volume ends first: a next resource of this name
    //    may restore from it at once.
    if (hasFinalBackupSkip(mysql)) {
      const scheduled = await quiesceBackupSchedule(mysql, ctx, "the deletion finishes, without a final backup as the annotation asked, once it ended");
      if (scheduled !== undefined) return scheduled;
      // What a next resource of this name restores: the newest dump, the scheduled one that just ended included.
      const recording = await recordNewestScheduledDump(mysql, ctx);
      if (recording !== undefined) return recording;
      // A final backup still retrying is stopped: a late attempt could dump a next resource's server of this name.
      const stopping = await stopFinalBackup(mysql, ctx);
      if (stopping !== undefined) return stopping;
    }
    const without = skippedByRequest(mysql, ctx) ?? (nothingToBackUp(mysql, ctx) ? NOTHING_TO_BACK_UP : undefined);
    if (without !== undefined) {
      await releaseData(mysql, ctx);
      await releaseBackupStorage(mysql, ctx);
      return this.done(without);
    }
    // 3. A foreground cascade takes the server before a backup could run: refused, data kept.
    const foreground = refuseForegroundDeletion(mysql, ctx);
    if (foreground !== undefined) return foreground;
    // 4. A password change under way finishes (and is recorded) first: the backup connects with the server's password.
    const password = await settlePasswordChange(mysql, ctx);
    if (password !== undefined) return withSkipWayOut(password, mysql);
    // 5. No scheduled backup may run beside the final one: the schedule is suspended, a running one awaited. A scheduled
    //    dump that ended meanwhile is recorded first: should the final backup fail and the deletion be finished by hand,
    //    backup-NAME-info would otherwise name an older dump (or one the scheduled run's retention removed).
    const scheduled = (await quiesceBackupSchedule(mysql, ctx)) ?? (await recordNewestScheduledDump(mysql, ctx));
    if (scheduled !== undefined) return scheduled;
    // 6. The backup storage, then the backup Job; done once the dump is recorded.
    try {
      await ensureBackupStorage(mysql, ctx);
    } catch (error) {
      if (isNamespaceTerminating(error)) return namespaceTerminating(mysql, `${mysql.names.backupClaim} cannot be created`);
      throw error;
    }
    const backup = await backUp(mysql, ctx, this.finalizer);
    if (backup.kind !== "done") return backup;
    // 7. The data may go: the hostPath volume is removed, the claim released to the garbage collector;
    //    the backup claim is let go, its volume retained.
    await releaseData(mysql, ctx);
    await releaseBackupStorage(mysql, ctx);
    return backup;
  }

  /** After creation, Ready follows the server: True while its Deployment has an available pod. */
  protected override readiness(resource: MySQL, ctx: ReconcileContext): Readiness | undefined {
    return hasReservedName(resource) ? undefined : serverReadiness(instanceOf(resource), ctx);
  }

  /** The Deployment already carries the new image (Recreate); done once it is rolled out. */
  async onImageChange(resource: MySQL, change: MySQLChange<"image">, ctx: ReconcileContext): Promise<Result> {
    return awaitImageRollout(instanceOf(resource), change, ctx);
  }

  /** The Deployment already carries the new resources (Recreate); done once it is rolled out. */
  async onResourcesChange(resource: MySQL, change: MySQLChange<"resources">, ctx: ReconcileContext): Promise<Result> {
    return awaitResourcesRollout(instanceOf(resource), change, ctx);
  }

  /** Sets the running server's root password to the inline one. */
  async onPasswordChange(resource: MySQL, _change: MySQLChange<"password">, ctx: ReconcileContext): Promise<Result> {
    return changePassword(instanceOf(resource), ctx);
  }

  /** Sets the running server's root password to the one in the referenced Secret. */
  async onPasswordSecretRefChange(resource: MySQL, _change: MySQLChange<"passwordSecretRef">, ctx: ReconcileContext): Promise<Result> {
    return changePassword(instanceOf(resource), ctx);
  }

  /** Growing a dynamically provisioned claim is applied already; a hostPath volume cannot grow and nothing can shrink. */
  async onStorageSizeChange(resource: MySQL, change: MySQLChange<"storage_size">): Promise<Result> {
    return resizeDataVolume(instanceOf(resource), change);
  }
}

/**
 * `result` with the scheduled backup's facts added to its status (their `null`s clear, in the merge patch, what an
 * earlier outcome recorded); `result` itself when there is nothing new, so that no status write follows.
 */
function withScheduledBackup(result: Result, facts: ScheduledBackupFacts | undefined): Result {
  return withFacts(result, facts as unknown as Partial<MySQLStatus> | undefined);
}

/** `result` with `facts` added to its status; `result` itself without any. */
function withFacts(result: Result, facts: Partial<MySQLStatus> | undefined): Result {
  return facts === undefined ? result : { ...result, status: { ...result.status, ...facts } };
}

/** The data claim and the server's Deployment: made with the data volume, never before it ({@link awaitsDataVolume}). */
function isClaimOrServer(child: KubernetesObject): boolean {
  return child.kind === "PersistentVolumeClaim" || child.kind === "Deployment";
}
