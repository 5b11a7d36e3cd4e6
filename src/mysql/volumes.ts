/**
 * The volume lifecycle the loop cannot own: the hostPath data volume (cluster-scoped, so no
 * owner reference can take it away), the backup claim and volume (never owned: they outlive
 * the resource), releasing the data claim after the final backup, and what a size change can
 * and cannot do.
 */
import type { KubernetesObject, V1PersistentVolume, V1PersistentVolumeClaim } from "@kubernetes/client-node";
import { compareQuantities, KubeApiError, type ObjectReference, type ReconcileContext } from "../runtime/index.ts";
import type { MySQLChange } from "../../generated/mysql-reconciler-base.ts";
import type { MySQL, StorageStatus } from "../../generated/mysql-models.ts";
import { BACKUP_CLAIM_FINALIZER, buildBackupClaim, buildBackupVolume, buildDataVolume, DATA_CLAIM_FINALIZER, usesHostPathVolumes } from "./desired/index.ts";
import { withPlacement, type MySQLInstance } from "./instance.ts";
import type { StoragePlacement } from "./storage-mode.ts";
import { VOLUME_OWNER_LABELS } from "./names.ts";
import { controlledBy, orphaned } from "./observe.ts";
import { done, failed, POLL_MS, waitFor, type Result } from "./result.ts";

/**
 * The instance placed as decided (see placement.ts), with the `status.storage` facts for the loop to record (with the
 * hook's result, whatever it is), or the result when it cannot be decided now. The owned children the loop could not
 * build before (the claim and the server) are applied by the create hook after the volumes, in the same reconcile.
 */
export function placeVolumes(
  instance: MySQLInstance,
  decided: { readonly placement: StoragePlacement; readonly why: string } | Result,
): { readonly instance: MySQLInstance; readonly storage: StorageStatus } | Result {
  if ("kind" in decided) return decided;
  return { instance: withPlacement(instance, decided.placement), storage: { ...decided.placement, reason: decided.why } };
}

/**
 * The volume or claim of a name, from the cache, else from the API server: the cache holds only what this operator
 * labelled, and a name may be taken by one made by hand. `undefined` is the API server's answer, so an apply that
 * follows is told the object is absent (no second look-up). With `anyVersion` (a look-up before a create), from the API
 * server's watch cache: a create of an object made in the moment it lags behind finds it (409) and refuses it, as one
 * made since a read from etcd.
 */
async function existing<T extends KubernetesObject>(ctx: ReconcileContext, object: ObjectReference, anyVersion = false): Promise<T | undefined> {
  return ctx.cache.get<T>(object.apiVersion, object.kind, object.metadata.namespace, object.metadata.name ?? "") ?? (await ctx.read<T>(object, { anyVersion }));
}

/**
 * The volumes and claims of a new resource's names, as {@link existing} finds them: looked up while the placement is
 * decided (where each goes does not change whether it exists), and handed to {@link planDataVolume} and
 * {@link ensureBackupStorage}. Settled or not, none is an unhandled rejection: a placement that fails first leaves them.
 */
export interface VolumeLookUps {
  readonly dataVolume: Promise<V1PersistentVolume | undefined>;
  readonly dataClaim: Promise<V1PersistentVolumeClaim | undefined>;
  readonly backupVolume: Promise<V1PersistentVolume | undefined>;
  readonly backupClaim: Promise<V1PersistentVolumeClaim | undefined>;
}

/**
 * Starts the look-ups of {@link VolumeLookUps} (of the data volume and claim, of the backup volume and claim, as `which`
 * says): of the hostPath volumes and the data claim only where the placement may be hostPath (the spec names no
 * StorageClass), of the backup claim always. From the API server's watch cache, but the data claim's (see there).
 */
export function lookUpVolumes(
  instance: MySQLInstance,
  ctx: ReconcileContext,
  which: { data: boolean; backup: boolean } = { data: true, backup: true },
): VolumeLookUps {
  const { names, namespace } = instance;
  const mayBeHostPath = instance.resource.spec.storageClassName === undefined;
  const look = <T extends KubernetesObject>(object: ObjectReference, needed = true, anyVersion = true): Promise<T | undefined> => {
    const found = needed ? existing<T>(ctx, object, anyVersion) : Promise.resolve(undefined);
    found.catch(() => undefined);
    return found;
  };
  return {
    dataVolume: look({ apiVersion: "v1", kind: "PersistentVolume", metadata: { name: names.dataVolume } }, which.data && mayBeHostPath),
    // From etcd: a claim of the name someone made that a lagging answer missed would be bound to the data volume made
    // before the claim's create meets it (withdrawDataVolume leaves a volume that is bound already).
    dataClaim: look({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: names.dataClaim, namespace } }, which.data && mayBeHostPath, false),
    backupVolume: look({ apiVersion: "v1", kind: "PersistentVolume", metadata: { name: names.backupVolume } }, which.backup && mayBeHostPath),
    backupClaim: look(claimReference(instance, instance.names.backupClaim), which.backup),
  };
}

function claim(instance: MySQLInstance, ctx: ReconcileContext, name: string): V1PersistentVolumeClaim | undefined {
  return ctx.cache.get<V1PersistentVolumeClaim>("v1", "PersistentVolumeClaim", instance.namespace, name);
}

/** Whether this operator made the (cluster-scoped) volume for this resource: its labels name the resource. */
function madeFor(pv: V1PersistentVolume, instance: MySQLInstance): boolean {
  const labels = pv.metadata?.labels ?? {};
  return labels[VOLUME_OWNER_LABELS.namespace] === (instance.namespace ?? "default") && labels[VOLUME_OWNER_LABELS.name] === instance.name;
}

/**
 * Whether kube-controller-manager is certain to bind `claim` (pure): in hostPath mode the operator made its volume
 * `pv` pre-bound to it (claimRef), so the PersistentVolume controller only has to get round to it, which takes its
 * rate-limited sync (some 40 s for a hundred new claims at once). The volume must be this resource's, name this claim
 * (and no other claim of the name), and be Available or Bound to it (or not synced yet: no phase, or `Pending`); a
 * `Lost` claim, or a volume `Released` or `Failed`, will not bind by waiting.
 */
export function bindingUnderway(instance: MySQLInstance, claim: V1PersistentVolumeClaim | undefined, pv: V1PersistentVolume | undefined): boolean {
  if (!usesHostPathVolumes(instance) || claim === undefined || pv === undefined || !madeFor(pv, instance)) return false;
  if (claim.status?.phase === "Lost" || (claim.spec?.volumeName ?? pv.metadata?.name) !== pv.metadata?.name) return false;
  const ref = pv.spec?.claimRef;
  const uid = ref?.uid;
  if (ref?.namespace !== claim.metadata?.namespace || ref?.name !== claim.metadata?.name || (uid !== undefined && uid !== claim.metadata?.uid)) return false;
  return [undefined, "Pending", "Available", "Bound"].includes(pv.status?.phase);
}

/** The reason of the wait while a data volume of an earlier resource of this name goes ({@link planDataVolume}). */
export const WAITING_FOR_VOLUME = "WaitingForVolume";

/**
 * Whether creation waits for a data volume of an earlier resource of this name to go (pure): the last reconcile ended in
 * {@link WAITING_FOR_VOLUME}, before creation finished. Until the create hook finds it gone, the loop makes neither the
 * data claim nor the server: that volume still names the earlier claim (its uid), and a new claim asking for it by name
 * would meet kube-controller-manager's Warning FailedBinding "volume … already bound to a different claim" (harmless: it
 * never binds a volume that names another claim's uid, and binds the new volume once made). The hook makes them with
 * the new volume, in one step.
 */
export function awaitsDataVolume(resource: MySQL): boolean {
  const progressing = resource.status?.conditions?.find((condition) => condition.type === "Progressing");
  return resource.status?.appliedSpec === undefined && progressing?.status === "True" && progressing.reason === WAITING_FOR_VOLUME;
}

/** The hostPath data volume to apply with the data claim (none outside hostPath mode, or when the one there is kept), and whether it was found absent. */
export interface DataVolumePlan {
  readonly volume: V1PersistentVolume | undefined;
  readonly absent: boolean;
}

/**
 * The hostPath data volume to apply (hostPath mode only), or the result when the hook must stop here. A volume of this
 * name with another path was made for an earlier resource of the same name (the path carries the uid) and a volume's
 * source cannot change: it is kept when the claim this resource controls, or an orphaned one it adopts, is bound to it
 * (its data are adopted with the claim), otherwise deleted (reclaim policy Retain: its directory stays on the node) and waited for. The volume is
 * applied by {@link applyDataVolume}, with the claim.
 */
export async function planDataVolume(
  instance: MySQLInstance,
  ctx: ReconcileContext,
  lookUps: VolumeLookUps = lookUpVolumes(instance, ctx, { data: true, backup: false }),
): Promise<DataVolumePlan | Result> {
  if (!usesHostPathVolumes(instance)) return { volume: undefined, absent: false };
  const wanted = buildDataVolume(instance);
  const name = instance.names.dataVolume;
  const found = await lookUps.dataVolume;
  if (found !== undefined && !madeFor(found, instance)) {
    return failed(
      "VolumeNameTaken",
      `PersistentVolume ${name} exists but was not made by this operator for ${instance.namespace ?? "default"}/${instance.name} (labels ${VOLUME_OWNER_LABELS.namespace}, ${VOLUME_OWNER_LABELS.name}); it is left alone. Move its data and delete it, or set storageClassName.`,
    );
  }
  if (found === undefined) {
    // A claim of that name this resource does not control (someone else's, or an earlier resource's the claim's apply
    // may adopt): no volume yet. The runtime creates a child missing from its cache at once, so the volume would exist
    // before the claim's create meets the 409, and kube-controller-manager may bind it to that claim meanwhile.
    const present = await lookUps.dataClaim;
    if (present !== undefined && !controlledBy(present, instance)) return { volume: undefined, absent: false };
    return { volume: wanted, absent: true };
  }
  if (found.spec?.hostPath?.path === wanted.spec?.hostPath?.path) return { volume: wanted, absent: false };
  const dataClaim = claim(instance, ctx, instance.names.dataClaim);
  // Ours, or orphaned (no controller: an earlier resource of this name deleted with --cascade=orphan left it with its
  // server, and this step's apply adopts it): the volume it is bound to holds the data this resource takes over.
  const claimIsOurs = dataClaim !== undefined && (controlledBy(dataClaim, instance) || orphaned(dataClaim));
  const terminating = found.metadata?.deletionTimestamp !== undefined && found.metadata.deletionTimestamp !== null;
  if (!terminating && claimIsOurs && dataClaim?.metadata?.uid !== undefined && found.spec?.claimRef?.uid === dataClaim.metadata.uid)
    return { volume: undefined, absent: false };
  if (!terminating) await ctx.delete({ apiVersion: "v1", kind: "PersistentVolume", metadata: { name } });
  return waitFor(
    POLL_MS,
    WAITING_FOR_VOLUME,
    `PersistentVolume ${name} of an earlier resource of this name is being removed (its directory ${found.spec?.hostPath?.path ?? ""} stays on the node)`,
  );
}

/**
 * Applies the planned data volume and `children` (the claim and the server, when the create hook builds them) in one
 * step. The volume names its claim by namespace and name only, and kube-controller-manager binds such a volume to any
 * claim of that name, whatever its class: so it is made only in the step that makes this resource's claim, which sends
 * nothing when an object of the step (a claim of that name above all) is someone else's. A step that fails after
 * making the volume (a claim of that name made since it was looked up, a quota) leaves it bound to nothing: that very
 * volume is deleted, unless this resource's claim exists.
 */
export async function applyDataVolume(
  instance: MySQLInstance,
  ctx: ReconcileContext,
  plan: DataVolumePlan,
  children: readonly KubernetesObject[],
): Promise<void> {
  const volumes = plan.volume === undefined ? [] : [plan.volume];
  if (volumes.length + children.length === 0) return;
  try {
    await ctx.applyAll([...volumes, ...children], { owner: instance.resource, absent: plan.absent ? volumes : [] });
  } catch (error) {
    // The step's own error (a refusal, above all) is what the resource reports; a withdrawal that fails is logged.
    if (plan.absent && plan.volume !== undefined) {
      await withdrawDataVolume(instance, ctx).catch((withdrawal: unknown) =>
        ctx.log.warn(`PersistentVolume ${instance.names.dataVolume} was made for this step and could not be withdrawn`, { error: withdrawal }),
      );
    }
    throw error;
  }
}

/** Deletes the data volume this operator just made when it is bound to no claim and this resource has no claim of its own for it. */
async function withdrawDataVolume(instance: MySQLInstance, ctx: ReconcileContext): Promise<void> {
  const { names } = instance;
  const [made, dataClaim] = await Promise.all([
    ctx.read<V1PersistentVolume>({ apiVersion: "v1", kind: "PersistentVolume", metadata: { name: names.dataVolume } }),
    ctx.read<V1PersistentVolumeClaim>({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: names.dataClaim, namespace: instance.namespace } }),
  ]);
  if (made === undefined || !madeFor(made, instance) || made.spec?.claimRef?.uid !== undefined) return;
  if (dataClaim !== undefined && controlledBy(dataClaim, instance)) return;
  // By uid: a volume of the name made since by anyone else is not this one; by resourceVersion: one that
  // kube-controller-manager bound since it was read (to a claim of that name) is left to that claim (409).
  await ctx
    .delete(
      { apiVersion: "v1", kind: "PersistentVolume", metadata: { name: names.dataVolume } },
      { uid: made.metadata?.uid, resourceVersion: made.metadata?.resourceVersion },
    )
    .catch((error: unknown) => {
      if (!(error instanceof KubeApiError && error.code === 409)) throw error;
    });
}

/**
 * The backup storage: creates the claim (and hostPath volume) once, never owned, never re-applied; one
 * that exists is used as it is, also one made by hand. While the resource lives the claim carries the
 * operator's finalizer, so that nothing (a namespace being deleted, a `kubectl delete pvc`) takes it
 * away before {@link releaseBackupStorage} made sure its volume is retained; its volume, once bound, is
 * set to Retain.
 */
export async function ensureBackupStorage(
  instance: MySQLInstance,
  ctx: ReconcileContext,
  lookUps: VolumeLookUps = lookUpVolumes(instance, ctx, { data: false, backup: true }),
): Promise<void> {
  // The volume and the claim are independent objects, written at once, except that a claim is created once the volume
  // is written: kube-controller-manager binds a claim naming its volume as it sees it only when the volume is there
  // (otherwise at its next periodic sync, 15 s later; see createdAfterEarlier in the runtime).
  const claimFound = lookUps.backupClaim;
  const volumeWritten = !usesHostPathVolumes(instance)
    ? Promise.resolve()
    : lookUps.backupVolume.then(async (found) => {
        if (found === undefined) await ctx.apply(buildBackupVolume(instance), { absent: true });
        else await reopenBackupVolume(ctx, instance, found, await claimFound);
      });
  await Promise.all([
    volumeWritten,
    claimFound.then(async (found) => {
      if (found !== undefined) return holdBackupClaim(ctx, found);
      // Not after a volume write that failed (refused: someone else's volume of the name): the next reconcile tries both.
      await volumeWritten;
      await ctx.apply(buildBackupClaim(instance), { absent: true });
    }),
  ]);
}

/**
 * The hostPath backup volume of a claim that is gone (deleted with its namespace, or by hand) stays Released, still
 * naming the old claim's uid, and would never bind the claim of a new resource of the name: its dumps would be out of
 * reach of the restore. The volume this operator made for this name is handed to the new claim by forgetting that uid
 * (what an administrator does with `kubectl patch pv`); a volume someone else made is never touched.
 */
async function reopenBackupVolume(
  ctx: ReconcileContext,
  instance: MySQLInstance,
  pv: V1PersistentVolume,
  current: V1PersistentVolumeClaim | undefined,
): Promise<void> {
  const boundTo = pv.spec?.claimRef?.uid;
  if (!madeFor(pv, instance) || boundTo === undefined || boundTo === current?.metadata?.uid) return;
  if (pv.status?.phase !== "Released" && current === undefined) return;
  await ctx.mergePatch(pv, { spec: { claimRef: { uid: null, resourceVersion: null } } });
}

/** Puts the operator's finalizer on an existing backup claim (an object being deleted takes no new one) and retains its volume. */
async function holdBackupClaim(ctx: ReconcileContext, found: V1PersistentVolumeClaim): Promise<void> {
  const deleting = found.metadata?.deletionTimestamp !== undefined && found.metadata.deletionTimestamp !== null;
  if (!deleting && !(found.metadata?.finalizers ?? []).includes(BACKUP_CLAIM_FINALIZER)) await ctx.addFinalizer(found, BACKUP_CLAIM_FINALIZER);
  await retainVolume(ctx, found);
}

/**
 * When the resource goes (after its final backup, or without one): the backup claim's volume is set to
 * Retain, then the claim is let go. The claim itself stays; if it is deleted later (with its namespace),
 * the dumps stay on the retained volume.
 */
export async function releaseBackupStorage(instance: MySQLInstance, ctx: ReconcileContext): Promise<void> {
  const found = await existing<V1PersistentVolumeClaim>(ctx, claimReference(instance, instance.names.backupClaim));
  if (found === undefined) return;
  await retainVolume(ctx, found);
  if ((found.metadata?.finalizers ?? []).includes(BACKUP_CLAIM_FINALIZER)) await ctx.removeFinalizer(found, BACKUP_CLAIM_FINALIZER);
}

/**
 * Why a pod that mounts the backup claim cannot start when the claim is being deleted (a `kubectl delete pvc` while the
 * resource lives): the operator's finalizer holds it, and the scheduler takes no pod that mounts a claim being deleted.
 * The way out the sentence names is what the operator then does by itself: it makes the claim again (bound to the same
 * hostPath volume, whose reclaim policy it set to Retain first), and the Job's pod starts. With a StorageClass the new
 * claim gets a new volume: fine for a backup, not for a restore (its caller asks only in hostPath mode). `undefined`
 * otherwise.
 */
export async function backupClaimGoing(instance: MySQLInstance, ctx: ReconcileContext): Promise<string | undefined> {
  const { names } = instance;
  const found = await existing<V1PersistentVolumeClaim>(ctx, claimReference(instance, names.backupClaim));
  const deleting = found?.metadata?.deletionTimestamp;
  if (deleting === undefined || deleting === null || !(found?.metadata?.finalizers ?? []).includes(BACKUP_CLAIM_FINALIZER)) return undefined;
  const volume = found?.spec?.volumeName;
  const kept = volume === undefined || volume === "" ? "" : ` (its volume ${volume} is kept: reclaim policy Retain)`;
  const next = usesHostPathVolumes(instance)
    ? `the operator makes it again, bound to the same volume with the dumps, and the Job goes on by itself`
    : `the operator makes it again, with a new volume from the StorageClass (the older dumps stay on ${volume ?? "the old volume"}), and the Job goes on by itself`;
  return `PersistentVolumeClaim ${names.backupClaim} is being deleted, and no pod can mount it until it is gone; the operator's finalizer ${BACKUP_CLAIM_FINALIZER} holds it${kept}. Let it go: ${releaseClaimCommand(instance, names.backupClaim)}; ${next}`;
}

/** The command a person runs to take every finalizer off a claim of the resource's namespace (the operator's among them). */
export function releaseClaimCommand(instance: MySQLInstance, claim: string): string {
  return `kubectl patch pvc ${claim} -n ${instance.namespace ?? "default"} --type=merge -p '{"metadata":{"finalizers":null}}'`;
}

function claimReference(instance: MySQLInstance, name: string): ObjectReference {
  return { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name, namespace: instance.namespace } };
}

/** Sets the reclaim policy of the volume `claim` is bound to to Retain (a provisioner's default is often Delete). */
async function retainVolume(ctx: ReconcileContext, claim: V1PersistentVolumeClaim): Promise<void> {
  const name = claim.spec?.volumeName;
  if (name === undefined || name === "") return;
  const pv = await existing<V1PersistentVolume>(ctx, { apiVersion: "v1", kind: "PersistentVolume", metadata: { name } });
  if (pv === undefined || pv.spec?.persistentVolumeReclaimPolicy === "Retain") return;
  // A provisioner's volume is not the operator's to take over: only this one field is patched.
  await ctx.mergePatch(pv, { spec: { persistentVolumeReclaimPolicy: "Retain" } });
}

/** The finalizer the API server sets for `kubectl delete --cascade=orphan`, until the garbage collector orphaned the children. */
const ORPHAN_FINALIZER = "orphan";

/**
 * After the final backup (or with nothing to back up): deletes the hostPath data volume the
 * operator made for this resource (Retain keeps its directory) and lets the data claim go (the
 * garbage collector deletes it with the resource).
 */
export async function releaseData(instance: MySQLInstance, ctx: ReconcileContext): Promise<void> {
  // Not from the cache alone: deleted right after the step that made them, the resource goes before the cache shows
  // them, and a claim left with the finalizer stays Terminating for good, holding a next resource of the name.
  const [dataClaim, pv] = await Promise.all([
    existing<V1PersistentVolumeClaim>(ctx, claimReference(instance, instance.names.dataClaim)),
    existing<V1PersistentVolume>(ctx, { apiVersion: "v1", kind: "PersistentVolume", metadata: { name: instance.names.dataVolume } }),
  ]);
  // Only one this operator made for this resource: a volume of the same name made by hand may hold data.
  if (usesHostPathVolumes(instance) && pv !== undefined && madeFor(pv, instance) && (await claimStaysOurs(instance, ctx)))
    await ctx.delete({ apiVersion: "v1", kind: "PersistentVolume", metadata: { name: instance.names.dataVolume } });
  if (dataClaim?.metadata?.finalizers?.includes(DATA_CLAIM_FINALIZER)) await ctx.removeFinalizer(dataClaim, DATA_CLAIM_FINALIZER);
}

/**
 * Whether the data claim goes with the resource. Deleted with --cascade=orphan, the claim (no longer ours) is kept, and
 * so is the volume it is bound to; the garbage collector orphans it while the deletion runs, so neither a cache that may
 * lag behind it decides, but the resource's own `orphan` finalizer (the collector has not orphaned the claim yet) and,
 * without it, the claim as the API server holds it.
 */
async function claimStaysOurs(instance: MySQLInstance, ctx: ReconcileContext): Promise<boolean> {
  if ((instance.resource.metadata.finalizers ?? []).includes(ORPHAN_FINALIZER)) return false;
  const live = await ctx.read<V1PersistentVolumeClaim>(claimReference(instance, instance.names.dataClaim));
  return live === undefined || controlledBy(live, instance);
}

/**
 * `spec.storage_size` changed: the same amount written otherwise (`1024Mi` for `1Gi`) is no change; growing a dynamically
 * provisioned claim is applied already; a hostPath volume cannot grow and nothing can shrink.
 */
export function resizeDataVolume(instance: MySQLInstance, change: MySQLChange<"storage_size">): Result {
  const order = change.previous === undefined ? undefined : compareQuantities(change.current, change.previous);
  if (order === 0) return done(`storage_size ${change.current} is the size it was (${change.previous})`);
  if (order !== undefined && order < 0) {
    return failed(
      "StorageShrinkRefused",
      `storage_size cannot shrink from ${change.previous} to ${change.current}: a volume claim never shrinks. Set it back.`,
    );
  }
  if (usesHostPathVolumes(instance)) {
    return failed(
      "StorageResizeUnsupported",
      `the hostPath volume ${instance.names.dataVolume} cannot grow from ${change.previous} to ${change.current}; set storage_size back, or use a storageClassName that allows expansion`,
    );
  }
  return done(`storage request raised to ${instance.spec.storageSize}; the volume grows if its StorageClass allows expansion`);
}
