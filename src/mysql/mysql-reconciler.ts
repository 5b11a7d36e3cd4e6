/**
 * The hand-written MySQL handlers on top of the generated skeleton
 * (generated/mysql-reconciler-base.ts): children, restore on create, backup on delete,
 * and what each spec change means for a running server. Hooks decide from what the
 * cache shows (level-based) and never wait in place: a running Job is a `waitFor`.
 */
import { randomBytes } from "node:crypto";
import type { KubernetesObject, V1ConfigMap, V1Deployment, V1Job, V1PersistentVolume, V1PersistentVolumeClaim, V1Secret } from "@kubernetes/client-node";
import { MySQLReconcilerBase } from "../../generated/mysql-reconciler-base.ts";
import type { MySQL, MySQLSpec, MySQLStatus } from "../../generated/mysql-models.ts";
import type { HookResult, ObjectReference, ReconcileContext } from "../runtime/resource-reconciler.ts";
import type { KindInfo } from "../runtime/kube-rest.ts";
import { effectiveSpec } from "./applied.ts";
import {
  BACKUP_DIR,
  BACKUP_INFO_KEYS,
  buildBackupClaim,
  buildBackupInfo,
  buildBackupJob,
  buildBackupVolume,
  buildCredentialsSecret,
  buildDataVolume,
  buildPasswordChangeJob,
  buildPasswordChangeSecret,
  buildRestoreJob,
  DATA_CLAIM_FINALIZER,
  desiredChildren,
  PASSWORD_CHANGE_KEYS,
  PASSWORD_KEY,
  passwordChangeDigest,
  secretValue,
  usesHostPathVolumes,
} from "./desired/index.ts";
import { jobOutcome, type JobOutcome } from "./job-outcome.ts";
import { childNames, hasReservedName, PASSWORD_TARGET_ANNOTATION, RESERVED_NAME_PREFIX, VOLUME_OWNER_LABELS } from "./names.ts";
import { parseQuantity } from "./quantity.ts";
import { BACKUP_FILES, EXIT_CODES } from "./scripts/index.ts";

/** Kinds the MySQL controller must watch (its cache serves every read of the hooks). */
export const MYSQL_WATCHED_KINDS: readonly KindInfo[] = [
  { apiVersion: "apps/v1", kind: "Deployment", plural: "deployments", namespaced: true },
  { apiVersion: "v1", kind: "Service", plural: "services", namespaced: true },
  { apiVersion: "v1", kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", namespaced: true },
  { apiVersion: "v1", kind: "PersistentVolume", plural: "persistentvolumes", namespaced: false },
  { apiVersion: "v1", kind: "Secret", plural: "secrets", namespaced: true },
  { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true },
  { apiVersion: "batch/v1", kind: "Job", plural: "jobs", namespaced: true },
];

/** The finalizer the API server sets for `kubectl delete --cascade=foreground`. */
const FOREGROUND_DELETION = "foregroundDeletion";

/** How often to look again while a Job runs or a rollout proceeds. */
const POLL_MS = 5_000;

type Result = HookResult<MySQLStatus>;

/** The password the spec asks for, or why it cannot be read yet. */
type TargetPassword = { readonly password: string } | { readonly result: Result };

/** Enough of a Job to delete it. */
function jobReference(resource: MySQL, name: string): { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } {
  return { apiVersion: "batch/v1", kind: "Job", metadata: { name, namespace: resource.metadata.namespace } };
}

/** Whether `object` has a controller reference to this very resource (its uid, not just its name). */
function controlledBy(object: KubernetesObject, resource: MySQL): boolean {
  return object.metadata?.ownerReferences?.some((r) => r.controller === true && r.uid === resource.metadata.uid) ?? false;
}

/** Whether this operator made the (cluster-scoped) volume for this resource: its labels name the resource. */
function madeFor(volume: V1PersistentVolume, resource: MySQL): boolean {
  const labels = volume.metadata?.labels ?? {};
  return labels[VOLUME_OWNER_LABELS.namespace] === (resource.metadata.namespace ?? "default") && labels[VOLUME_OWNER_LABELS.name] === resource.metadata.name;
}

/** The object from the cache, else from the API server: the caches hold only what this operator labelled. */
async function cachedOrRead<T extends KubernetesObject>(ctx: ReconcileContext, object: ObjectReference): Promise<T | undefined> {
  return ctx.cache.get<T>(object.apiVersion, object.kind, object.metadata.namespace, object.metadata.name ?? "") ?? (await ctx.read<T>(object));
}

/** Whether the server's Deployment (as cached) has rolled out its current spec and has an available pod. */
function serverAvailable(resource: MySQL, ctx: ReconcileContext): boolean {
  const deployment = ctx.cache.get<V1Deployment>("apps/v1", "Deployment", resource.metadata.namespace, childNames(resource).server);
  const status = deployment?.status;
  return deployment !== undefined && (status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 1) && (status?.availableReplicas ?? 0) >= 1;
}

/** Reconciles MySQL resources: a server with its volume, a backup on delete, a restore on create. */
export class MySQLReconciler extends MySQLReconcilerBase {
  /** Pure: scripts, data claim, Service, Deployment (the credentials are created once, by {@link onCreate}). */
  desired(resource: MySQL): KubernetesObject[] {
    if (hasReservedName(resource)) return [];
    return desiredChildren(resource);
  }

  /**
   * Creation: volumes the loop cannot own, the credentials, the backup storage; then the
   * restore when an earlier resource of this name left a backup, and the spec's password if
   * it changed meanwhile. Status message as in the original: `NAME created with restore-job` /
   * `NAME created without restore-job`.
   */
  async onCreate(resource: MySQL, ctx: ReconcileContext): Promise<Result> {
    const names = childNames(resource);
    const name = resource.metadata.name ?? "";
    if (hasReservedName(resource)) {
      return this.failed(
        "NameReserved",
        `a name starting with "${RESERVED_NAME_PREFIX}" is refused: ${names.dataClaim} and ${names.dataVolume} are the backup claim and volume of the resource "${name.slice(RESERVED_NAME_PREFIX.length)}". Nothing was created; delete this resource and choose another name.`,
      );
    }
    const volume = await this.ensureDataVolume(resource, ctx);
    if (volume !== undefined) return volume;
    const credentials = await this.ensureCredentials(resource, ctx);
    if (credentials !== undefined) return credentials;
    await this.ensureBackupStorage(resource, ctx);

    const restored = await this.restoreIfBackedUp(resource, ctx);
    if (restored.kind !== "done") return restored;
    // appliedSpec will hold the spec's password hash: the server must have that password first
    // (the spec may have changed since the server started with NAME-credentials).
    const password = await this.changePassword(resource, ctx);
    if (password.kind !== "done") return password;
    return restored;
  }

  /** The restore part of creation: done with the status message of the original once there is nothing (more) to restore. */
  private async restoreIfBackedUp(resource: MySQL, ctx: ReconcileContext): Promise<Result> {
    const names = childNames(resource);
    const name = resource.metadata.name ?? "";
    const info = ctx.cache.get<V1ConfigMap>("v1", "ConfigMap", resource.metadata.namespace, names.backupInfo);
    if (info === undefined) {
      // Ready should mean a server answers: creation ends when the Deployment is available.
      if (!serverAvailable(resource, ctx)) return this.waitFor(POLL_MS, "Starting", `waiting for Deployment ${names.server} to become available`);
      return this.done(`${name} created without restore-job`);
    }
    const lastBackup = info.data?.[BACKUP_INFO_KEYS.lastSucceeded] ?? "an earlier backup";
    const outcome = this.job(resource, ctx, names.restoreJob);
    switch (outcome.state) {
      case "absent":
        await ctx.apply(buildRestoreJob(resource), { owner: resource });
        return this.waitFor(POLL_MS, "Restoring", `${names.restoreJob} restores the backup of ${lastBackup}`);
      case "foreign":
        await ctx.delete(jobReference(resource, names.restoreJob), { propagationPolicy: "Background" });
        return this.waitFor(POLL_MS, "Restoring", `removing ${names.restoreJob} left by an earlier resource of this name`);
      case "running":
        return this.waitFor(POLL_MS, "Restoring", `${names.restoreJob} restores the backup of ${lastBackup}`);
      case "succeeded":
        return this.done(`${name} created with restore-job`, {
          restore: {
            restoredAt: outcome.completedAt,
            job: names.restoreJob,
            fromDump: info.data?.[BACKUP_INFO_KEYS.dumpFile] ?? `${BACKUP_DIR}/${BACKUP_FILES.dump}`,
          },
        });
      case "failed":
        if (outcome.exitCode === EXIT_CODES.notEmpty) {
          return this.done(`${name} created without restore-job: the database already holds data, so the backup of ${lastBackup} was not loaded (it is kept)`);
        }
        return this.failed(
          "RestoreFailed",
          `${names.restoreJob} failed (${outcome.reason}: ${outcome.message}); the backup is kept. Fix the cause, then delete the Job to retry.`,
        );
    }
  }

  /**
   * Deletion: dump the database into the backup claim, record it, and remove the hostPath
   * data volume the operator created. The finalizer stays until the backup succeeded.
   */
  async finalize(resource: MySQL, ctx: ReconcileContext): Promise<Result> {
    const names = childNames(resource);
    // Nothing was created; what carries this resource's names belongs to another one.
    if (hasReservedName(resource)) return this.done("nothing was created under a reserved name");
    // Creation never finished (a restore or the password change failed, the server never came up).
    const unfinished = resource.status?.appliedSpec === undefined;
    if (unfinished && !serverAvailable(resource, ctx) && this.job(resource, ctx, names.backupJob).state === "absent") {
      // No server to dump (and none that could have taken writes since it was last up, as far as the cache shows).
      // The volume is ours to remove even so: left behind, its per-uid path would block every later resource of this name.
      await this.deleteDataVolume(resource, ctx);
      await this.releaseDataClaim(resource, ctx);
      return this.done("deleted before creation finished, with no server up: no backup taken, an earlier backup is kept");
    }
    // The server of an unfinished creation may hold writes, or only part of a restore: its dump goes beside an
    // earlier backup, never over it, and the next resource of this name still restores the earlier one.
    const earlier = ctx.cache.get<V1ConfigMap>("v1", "ConfigMap", resource.metadata.namespace, names.backupInfo);
    const aside = unfinished && earlier !== undefined ? `unfinished-${resource.metadata.uid ?? ""}` : undefined;
    const foreground = (resource.metadata.finalizers ?? []).includes(FOREGROUND_DELETION);
    if (foreground && this.job(resource, ctx, names.backupJob).state !== "succeeded") {
      // The garbage collector deletes the server and any backup Job before the owner: no backup can run.
      return this.failed(
        "ForegroundDeletion",
        `deleted with --cascade=foreground, which removes the server before a backup can run, so none is taken. The data stay on ${names.dataClaim}, held by the finalizer ${DATA_CLAIM_FINALIZER}. To let them go without a backup, remove that finalizer from ${names.dataClaim} and from this resource (first set persistentVolumeReclaimPolicy: Retain on its volume to keep the disk). Delete with the default (background) cascade to get a backup.`,
      );
    }
    const password = await this.settlePasswordChange(resource, ctx);
    if (password !== undefined) return password;
    await this.ensureBackupStorage(resource, ctx);
    const outcome = this.job(resource, ctx, names.backupJob);
    // While deletion is held, status names the Job to look at (`kubectl describe` / `kubectl logs job/…`).
    const backupUnderWay = { backup: { job: names.backupJob } };
    switch (outcome.state) {
      case "absent":
        await ctx.apply(buildBackupJob(resource, aside), { owner: resource });
        return this.waitFor(
          POLL_MS,
          "BackingUp",
          `${names.backupJob} dumps the database into ${names.backupClaim}${aside === undefined ? "" : `, directory ${aside}`}`,
          backupUnderWay,
        );
      case "foreign":
        await ctx.delete(jobReference(resource, names.backupJob), { propagationPolicy: "Background" });
        return this.waitFor(POLL_MS, "BackingUp", `removing ${names.backupJob} left by an earlier resource of this name`);
      case "running":
        return this.waitFor(POLL_MS, "BackingUp", `${names.backupJob} dumps the database into ${names.backupClaim}`, backupUnderWay);
      case "failed":
        return this.failed(
          "BackupFailed",
          `${names.backupJob} failed (${outcome.reason}: ${outcome.message}); the resource is kept until a backup succeeds. Fix the cause and delete the Job to retry, or remove the finalizer ${this.finalizer} from this resource and from ${names.dataClaim} to give the backup up.`,
          backupUnderWay,
        );
      case "succeeded": {
        const completedAt = outcome.completedAt ?? new Date().toISOString();
        if (aside !== undefined) {
          await this.deleteDataVolume(resource, ctx);
          await this.releaseDataClaim(resource, ctx);
          return this.done(
            `deleted before creation finished: the server was backed up into ${names.backupClaim}, directory ${aside} (${names.backupJob}); the earlier backup of ${earlier?.data?.[BACKUP_INFO_KEYS.lastSucceeded] ?? "an earlier time"} is untouched and is what a new resource of this name restores`,
          );
        }
        await ctx.apply(buildBackupInfo(resource, completedAt));
        await this.deleteDataVolume(resource, ctx);
        await this.releaseDataClaim(resource, ctx);
        return this.done(`backup succeeded (${names.backupJob}); ${names.backupClaim} keeps it`, {
          backup: { lastSucceeded: completedAt, job: names.backupJob, dumpFile: `${BACKUP_DIR}/${BACKUP_FILES.dump}` },
        });
      }
    }
  }

  /** The Deployment already carries the new image (Recreate); done once it is rolled out. */
  async onImageChange(resource: MySQL, change: { readonly previous: string | undefined; readonly current: string }, ctx: ReconcileContext): Promise<Result> {
    const name = childNames(resource).server;
    const deployment = ctx.cache.get<V1Deployment>("apps/v1", "Deployment", resource.metadata.namespace, name);
    const image = deployment?.spec?.template.spec?.containers[0]?.image;
    const status = deployment?.status;
    const stalled = status?.conditions?.find((c) => c.type === "Progressing" && c.status === "False" && c.reason === "ProgressDeadlineExceeded");
    if (stalled !== undefined)
      return this.failed(
        "RolloutFailed",
        `Deployment ${name} does not come up with image ${change.current}: ${stalled.message ?? ""}. Fix the image or set it back.`,
      );
    const rolledOut =
      image === change.current &&
      (status?.observedGeneration ?? 0) >= (deployment?.metadata?.generation ?? 1) &&
      (status?.updatedReplicas ?? 0) >= 1 &&
      (status?.availableReplicas ?? 0) >= 1;
    if (!rolledOut) return this.waitFor(POLL_MS, "RollingOut", `Deployment ${name} rolls over from ${change.previous ?? "(none)"} to ${change.current}`);
    return this.done(`image changed to ${change.current}`);
  }

  /** The data lives in the old database: a rename is refused (children keep the applied name). */
  async onDatabaseChange(_resource: MySQL, change: { readonly previous: string | undefined; readonly current: string }): Promise<Result> {
    return this.failed(
      "DatabaseChangeRefused",
      `spec.database cannot change from ${JSON.stringify(change.previous)} to ${JSON.stringify(change.current)}: the data lives in the old database. Set it back; to rename, delete the resource (a backup is taken) and create it again.`,
    );
  }

  /** Sets the running server's root password to the inline one. */
  async onPasswordChange(
    resource: MySQL,
    _change: { readonly previous: undefined; readonly current: string | undefined },
    ctx: ReconcileContext,
  ): Promise<Result> {
    return this.changePassword(resource, ctx);
  }

  /** Sets the running server's root password to the one in the referenced Secret. */
  async onPasswordSecretRefChange(
    resource: MySQL,
    _change: { readonly previous: MySQLSpec["passwordSecretRef"] | undefined; readonly current: MySQLSpec["passwordSecretRef"] },
    ctx: ReconcileContext,
  ): Promise<Result> {
    return this.changePassword(resource, ctx);
  }

  /** Growing a dynamically provisioned claim is applied already; a hostPath volume cannot grow and nothing can shrink. */
  async onStorageSizeChange(resource: MySQL, change: { readonly previous: string | undefined; readonly current: string }): Promise<Result> {
    const before = change.previous === undefined ? undefined : parseQuantity(change.previous);
    const after = parseQuantity(change.current);
    if (usesHostPathVolumes(resource)) {
      return this.failed(
        "StorageResizeUnsupported",
        `the hostPath volume ${childNames(resource).dataVolume} cannot grow from ${change.previous} to ${change.current}; set storage_size back, or use a storageClassName that allows expansion`,
      );
    }
    if (before !== undefined && after !== undefined && after < before) {
      return this.failed(
        "StorageShrinkRefused",
        `storage_size cannot shrink from ${change.previous} to ${change.current}: a volume claim never shrinks. Set it back.`,
      );
    }
    return this.done(`storage request raised to ${effectiveSpec(resource).storageSize}; the volume grows if its StorageClass allows expansion`);
  }

  /** A claim's storage class is immutable: refused (children keep the applied class). */
  async onStorageClassNameChange(_resource: MySQL, change: { readonly previous: string | undefined; readonly current: string | undefined }): Promise<Result> {
    return this.failed(
      "StorageClassImmutable",
      `storageClassName cannot change from ${JSON.stringify(change.previous ?? null)} to ${JSON.stringify(change.current ?? null)} on an existing volume. Set it back; to move, delete the resource (a backup is taken) and create it again with the new class.`,
    );
  }

  /** Reads a Job of this resource from the cache. */
  private job(resource: MySQL, ctx: ReconcileContext, name: string): JobOutcome {
    return jobOutcome(ctx.cache.get<V1Job>("batch/v1", "Job", resource.metadata.namespace, name), resource.metadata.uid);
  }

  /**
   * The root password the spec asks for (inline, or from the referenced Secret). That Secret is the user's, so no cache
   * holds it: it is read from the API server, and watched while it is read, so that its creation ends a wait for it.
   */
  private async targetPassword(resource: MySQL, ctx: ReconcileContext): Promise<TargetPassword> {
    const spec = resource.spec;
    let password = spec.password;
    if (password === undefined && spec.passwordSecretRef !== undefined) {
      const ref = spec.passwordSecretRef;
      const secret = await ctx.read<V1Secret>(
        { apiVersion: "v1", kind: "Secret", metadata: { name: ref.name, namespace: resource.metadata.namespace } },
        { watch: true },
      );
      password = secretValue(secret, ref.key);
      if (password === undefined) {
        return {
          result: this.waitFor(
            POLL_MS * 2,
            "PasswordSecretMissing",
            `waiting for Secret ${ref.name} with key ${JSON.stringify(ref.key)} (spec.passwordSecretRef)`,
          ),
        };
      }
    }
    if (password === undefined || password === "") return { result: this.failed("PasswordMissing", "set spec.password or spec.passwordSecretRef") };
    if (password.includes("\0")) return { result: this.failed("PasswordInvalid", "the root password cannot contain a NUL character") };
    return { password };
  }

  /** Makes sure `NAME-credentials` exists; returns a result only when the hook must stop here. */
  private async ensureCredentials(resource: MySQL, ctx: ReconcileContext): Promise<Result | undefined> {
    const names = childNames(resource);
    const existing = ctx.cache.get<V1Secret>("v1", "Secret", resource.metadata.namespace, names.credentials);
    // Created once, then changed only by a password change that succeeded: it must hold what the server has.
    // One of an earlier resource of this name (another uid) says nothing about this server.
    const ours = existing !== undefined && controlledBy(existing, resource);
    if (ours && secretValue(existing, PASSWORD_KEY) !== undefined) return undefined;
    const target = await this.targetPassword(resource, ctx);
    if ("result" in target) return target.result;
    await ctx.apply(buildCredentialsSecret(resource, target.password), { owner: resource });
    return undefined;
  }

  /**
   * Applies the hostPath data volume (hostPath mode only); returns a result only when the hook
   * must stop here. A volume of this name with another path was made for an earlier resource of
   * the same name (the path carries the uid) and a volume's source cannot change: it is kept
   * when the claim this resource controls is bound to it (its data were adopted with the claim),
   * otherwise deleted (reclaim policy Retain: its directory stays on the node) and waited for.
   */
  private async ensureDataVolume(resource: MySQL, ctx: ReconcileContext): Promise<Result | undefined> {
    if (!usesHostPathVolumes(resource)) return undefined;
    const wanted = buildDataVolume(resource);
    const name = wanted.metadata?.name ?? "";
    const existing = await cachedOrRead<V1PersistentVolume>(ctx, { apiVersion: "v1", kind: "PersistentVolume", metadata: { name } });
    if (existing !== undefined && !madeFor(existing, resource)) {
      return this.failed(
        "VolumeNameTaken",
        `PersistentVolume ${name} exists but was not made by this operator for ${resource.metadata.namespace ?? "default"}/${resource.metadata.name ?? ""} (labels ${VOLUME_OWNER_LABELS.namespace}, ${VOLUME_OWNER_LABELS.name}); it is left alone. Move its data and delete it, or set storageClassName.`,
      );
    }
    if (existing === undefined || existing.spec?.hostPath?.path === wanted.spec?.hostPath?.path) {
      await ctx.apply(wanted);
      return undefined;
    }
    const claim = ctx.cache.get<V1PersistentVolumeClaim>("v1", "PersistentVolumeClaim", resource.metadata.namespace, childNames(resource).dataClaim);
    const claimIsOurs = claim !== undefined && controlledBy(claim, resource);
    const terminating = existing.metadata?.deletionTimestamp !== undefined && existing.metadata.deletionTimestamp !== null;
    if (!terminating && claimIsOurs && claim?.metadata?.uid !== undefined && existing.spec?.claimRef?.uid === claim.metadata.uid) return undefined;
    if (!terminating) await ctx.delete({ apiVersion: "v1", kind: "PersistentVolume", metadata: { name } });
    return this.waitFor(
      POLL_MS,
      "WaitingForVolume",
      `PersistentVolume ${name} of an earlier resource of this name is being removed (its directory ${existing.spec?.hostPath?.path ?? ""} stays on the node)`,
    );
  }

  /** Deletes the hostPath data volume (cluster-scoped: no owner reference can take it away); Retain keeps its directory. */
  private async deleteDataVolume(resource: MySQL, ctx: ReconcileContext): Promise<void> {
    if (!usesHostPathVolumes(resource)) return;
    const claim = ctx.cache.get<V1PersistentVolumeClaim>("v1", "PersistentVolumeClaim", resource.metadata.namespace, childNames(resource).dataClaim);
    // Deleted with --cascade=orphan: the claim (no longer ours) is kept, and so is the volume it is bound to.
    if (claim !== undefined && !controlledBy(claim, resource)) return;
    const name = childNames(resource).dataVolume;
    const volume = ctx.cache.get<V1PersistentVolume>("v1", "PersistentVolume", undefined, name);
    // Only one this operator made for this resource: a volume of the same name made by hand may hold data.
    if (volume !== undefined && madeFor(volume, resource)) await ctx.delete({ apiVersion: "v1", kind: "PersistentVolume", metadata: { name } });
  }

  /** Lets the data claim go (the garbage collector deletes it with the resource): the backup is done or there was nothing to back up. */
  private async releaseDataClaim(resource: MySQL, ctx: ReconcileContext): Promise<void> {
    const claim = ctx.cache.get<V1PersistentVolumeClaim>("v1", "PersistentVolumeClaim", resource.metadata.namespace, childNames(resource).dataClaim);
    if (claim?.metadata?.finalizers?.includes(DATA_CLAIM_FINALIZER)) await ctx.removeFinalizer(claim, DATA_CLAIM_FINALIZER);
  }

  /** Creates the backup claim (and hostPath volume) once; never owned, never re-applied. */
  private async ensureBackupStorage(resource: MySQL, ctx: ReconcileContext): Promise<void> {
    const names = childNames(resource);
    // One that exists is used as it is, also one made by hand (not labelled as ours, so read from the API server).
    if (usesHostPathVolumes(resource)) {
      const volume = { apiVersion: "v1", kind: "PersistentVolume", metadata: { name: names.backupVolume } };
      if ((await cachedOrRead(ctx, volume)) === undefined) await ctx.apply(buildBackupVolume(resource));
    }
    const claim = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: names.backupClaim, namespace: resource.metadata.namespace } };
    if ((await cachedOrRead(ctx, claim)) === undefined) await ctx.apply(buildBackupClaim(resource));
  }

  /**
   * The server's root password now: NAME-credentials, after recording the password a
   * password-change Job of this resource set, if one succeeded (the server has that one,
   * whatever the spec says meanwhile). `changed` tells that such a Job set it.
   */
  private async serverPassword(
    resource: MySQL,
    ctx: ReconcileContext,
  ): Promise<{ readonly password: string; readonly changed: boolean } | { readonly result: Result }> {
    const names = childNames(resource);
    const ns = resource.metadata.namespace;
    const recorded = secretValue(ctx.cache.get<V1Secret>("v1", "Secret", ns, names.credentials), PASSWORD_KEY);
    const outcome = this.job(resource, ctx, names.passwordJob);
    if (outcome.state === "succeeded") {
      const changeSecret = ctx.cache.get<V1Secret>("v1", "Secret", ns, names.passwordChange);
      // Deleted only once its password was recorded: then NAME-credentials hold it already.
      if (changeSecret !== undefined) {
        const set = secretValue(changeSecret, PASSWORD_CHANGE_KEYS.target);
        const nonce = secretValue(changeSecret, PASSWORD_CHANGE_KEYS.nonce);
        if (set === undefined || nonce === undefined || outcome.job.metadata?.annotations?.[PASSWORD_TARGET_ANNOTATION] !== passwordChangeDigest(nonce, set)) {
          return {
            result: this.failed(
              "PasswordChangeUnverifiable",
              `${names.passwordJob} succeeded, but Secret ${names.passwordChange} no longer says which password it set; make Secret ${names.credentials} hold the server's root password, then delete the Job`,
            ),
          };
        }
        if (set !== recorded) await ctx.apply(buildCredentialsSecret(resource, set), { owner: resource });
        return { password: set, changed: true };
      }
    }
    if (recorded === undefined)
      return {
        result: this.failed(
          "CredentialsMissing",
          `Secret ${names.credentials} with the server's current root password is missing; restore it to change the password`,
        ),
      };
    return { password: recorded, changed: false };
  }

  /**
   * Before a backup: a password change under way finishes first and one that succeeded is
   * recorded, so the backup Job connects with the password the server has.
   */
  private async settlePasswordChange(resource: MySQL, ctx: ReconcileContext): Promise<Result | undefined> {
    const names = childNames(resource);
    const outcome = this.job(resource, ctx, names.passwordJob);
    if (outcome.state === "running")
      return this.waitFor(POLL_MS, "PasswordChanging", `${names.passwordJob} is still setting the root password; the backup starts once it finished`);
    if (outcome.state !== "succeeded") return undefined;
    const server = await this.serverPassword(resource, ctx);
    return "result" in server ? server.result : undefined;
  }

  /**
   * Changes the server's root password with a Job that connects with the current one
   * (from `NAME-credentials`) and sets the target; then records the target there. The Job is
   * matched to its target by a digest keyed with a nonce kept in the password-change Secret,
   * so a newer change replaces an older Job, and a finished one is recorded before it goes.
   */
  private async changePassword(resource: MySQL, ctx: ReconcileContext): Promise<Result> {
    const names = childNames(resource);
    const ns = resource.metadata.namespace;
    const target = await this.targetPassword(resource, ctx);
    if ("result" in target) return target.result;
    const server = await this.serverPassword(resource, ctx);
    if ("result" in server) return server.result;
    const changeSecret = ctx.cache.get<V1Secret>("v1", "Secret", ns, names.passwordChange);
    const changeSecretRef = { apiVersion: "v1", kind: "Secret", metadata: { name: names.passwordChange, namespace: ns } };
    if (server.password === target.password) {
      if (changeSecret !== undefined) await ctx.delete(changeSecretRef);
      return this.done(server.changed ? "root password changed" : "root password unchanged");
    }
    const outcome = this.job(resource, ctx, names.passwordJob);
    const nonce = secretValue(changeSecret, PASSWORD_CHANGE_KEYS.nonce);
    if (outcome.state !== "absent") {
      // Its Secret not in the cache yet (it is written first): not enough to call the Job stale.
      if (outcome.state === "running" && changeSecret === undefined)
        return this.waitFor(POLL_MS, "PasswordChanging", `${names.passwordJob} sets the new root password`);
      const forTarget = nonce !== undefined && outcome.job.metadata?.annotations?.[PASSWORD_TARGET_ANNOTATION] === passwordChangeDigest(nonce, target.password);
      if (outcome.state === "foreign" || outcome.state === "succeeded" || !forTarget) {
        await ctx.delete(jobReference(resource, names.passwordJob), { propagationPolicy: "Background" });
        return this.waitFor(POLL_MS, "PasswordChanging", `removing ${names.passwordJob} of an earlier password change`);
      }
    }
    switch (outcome.state) {
      case "absent": {
        const key = nonce ?? randomBytes(32).toString("hex");
        await ctx.apply(buildPasswordChangeSecret(resource, server.password, target.password, key), { owner: resource });
        await ctx.apply(buildPasswordChangeJob(resource, passwordChangeDigest(key, target.password)), { owner: resource });
        return this.waitFor(POLL_MS, "PasswordChanging", `${names.passwordJob} sets the new root password`);
      }
      case "running":
        return this.waitFor(POLL_MS, "PasswordChanging", `${names.passwordJob} sets the new root password`);
      case "failed":
        return this.failed(
          "PasswordChangeFailed",
          `${names.passwordJob} failed (${outcome.reason}: ${outcome.message}); the server keeps its old password, which Secret ${names.credentials} must hold. Fix the cause, then delete the Job to retry.`,
        );
      default:
        return this.waitFor(POLL_MS, "PasswordChanging", `${names.passwordJob} sets the new root password`);
    }
  }
}
