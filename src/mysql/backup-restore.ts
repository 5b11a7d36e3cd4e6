/**
 * Backup on delete and restore on create, as Jobs that run the scripts in the resource's own
 * image against its server. `backup-NAME-info` (not owned, like the backup claim) records the
 * last good dump; a new resource of the same name restores it, and a dump taken of a server
 * whose creation never finished goes beside that record, never over it.
 */
import type { V1ConfigMap, V1PersistentVolume, V1PersistentVolumeClaim } from "@kubernetes/client-node";
import { MANAGED_BY_LABEL, notManagedSentence, type ReconcileContext } from "../runtime/index.ts";
import { readBackupReport, scriptError } from "./backup-report.ts";
import {
  BACKUP_INFO_KEYS,
  backupSubdirectory,
  buildBackupInfo,
  buildBackupJob,
  buildRestoreJob,
  DATA_CLAIM_FINALIZER,
  dumpPath,
  usesHostPathVolumes,
} from "./desired/index.ts";
import type { MySQLInstance } from "./instance.ts";
import { cacheBehind, EARLIER_RESOURCE, removeEndedJob } from "./job-removal.ts";
import { FINAL_BACKUP_ANNOTATION, FINAL_BACKUP_SKIP, OPERATOR_NAME } from "./names.ts";
import { jobReference, jobState, serverAvailable, serverDeployment, serverPodRefused, serverPods } from "./observe.ts";
import {
  age,
  claimWarning,
  describeNotStarting,
  jobNotStarting,
  podsNotStarting,
  START_GRACE_MS,
  waitsForClaim,
  waitsOnlyForClaims,
  type NotStarting,
} from "./pod-diagnosis.ts";
import { BINDING_FALLBACK_MS, done, failed, POLL_MS, SCHEDULER_BACKLOG_POLL_MS, startingPollMs, waitFor, type Result } from "./result.ts";
import { EXIT_CODES } from "./scripts/index.ts";
import { backupClaimGoing, bindingUnderway } from "./volumes.ts";

/** The reason of a backup or restore Job that cannot start because the backup claim is being deleted. */
export const BACKUP_CLAIM_DELETING = "BackupClaimDeleting";

/** Reasons of the Events of a restore on creation (its failure is the loop's Warning of the `RestoreFailed` status). */
export const RESTORE_EVENTS = { started: "RestoreStarted", succeeded: "RestoreSucceeded" } as const;

/** The finalizer the API server sets for `kubectl delete --cascade=foreground`. */
const FOREGROUND_DELETION = "foregroundDeletion";

function backupInfo(instance: MySQLInstance, ctx: ReconcileContext): V1ConfigMap | undefined {
  return ctx.cache.get<V1ConfigMap>("v1", "ConfigMap", instance.namespace, instance.names.backupInfo);
}

/** Whether creation finished: the loop recorded an applied spec. */
function creationFinished(instance: MySQLInstance): boolean {
  return instance.resource.status?.appliedSpec !== undefined;
}

/**
 * When a recorded backup was taken, as its dump and the restore's log name it: the dump's creation time the backup
 * script reported, else (a record without the report) when its Job completed.
 */
function backupTime(info: V1ConfigMap | undefined): string | undefined {
  return info?.data?.[BACKUP_INFO_KEYS.created] ?? info?.data?.[BACKUP_INFO_KEYS.lastSucceeded];
}

/**
 * The restore part of creation: with no earlier backup, done (with the original's status
 * message) once the server is available; with one, done once `restore-NAME-job` loaded it, or
 * found the database already holding data (then the backup is kept, not loaded). `bindingFallbackMs`: see
 * {@link BINDING_FALLBACK_MS}.
 */
export async function restoreIfBackedUp(instance: MySQLInstance, ctx: ReconcileContext, bindingFallbackMs = BINDING_FALLBACK_MS): Promise<Result> {
  const { names, name } = instance;
  const info = backupInfo(instance, ctx);
  if (info === undefined) {
    return (await awaitServer(instance, ctx, bindingFallbackMs)) ?? (await recordNotCached(instance, ctx)) ?? done(`${name} created without restore-job`);
  }
  const lastBackup = backupTime(info) ?? "an earlier time";
  const fromDump = info.data?.[BACKUP_INFO_KEYS.dumpFile] ?? dumpPath(undefined);
  // Recorded by backups since dumps are kept as a history: the restore loads exactly that dump.
  const sha256 = info.data?.[BACKUP_INFO_KEYS.sha256];
  const outcome = jobState(instance, ctx, names.restoreJob);
  switch (outcome.state) {
    case "absent": {
      const behind = await cacheBehind(instance, ctx, names.restoreJob);
      if (behind !== undefined) return waitFor(POLL_MS, "Restoring", behind);
      await ctx.apply(buildRestoreJob(instance, sha256), { owner: instance.resource });
      // The loop announces a new resource's first wait only in status: the restore's start gets its own Event.
      ctx.events.normal(instance.resource, RESTORE_EVENTS.started, `${names.restoreJob} restores ${fromDump} (the backup of ${lastBackup})`);
      return waitFor(POLL_MS, "Restoring", `${names.restoreJob} restores the backup of ${lastBackup}`);
    }
    case "foreign":
      return removeEndedJob(instance, ctx, outcome.job, names.restoreJob, "Restoring", EARLIER_RESOURCE);
    case "running": {
      const stuck = await jobNotStarting(instance, ctx, outcome.job);
      if (stuck !== undefined) {
        // Only in hostPath mode does the claim made again reach the dumps (its volume is this operator's to bind to it):
        // a StorageClass would give it a new, empty volume, and the restore nothing to restore.
        const going = usesHostPathVolumes(instance) ? await backupClaimGoing(instance, ctx) : undefined;
        if (going !== undefined) return failed(BACKUP_CLAIM_DELETING, `${names.restoreJob} cannot start: ${going}.`);
        return failed(notStartingReason(stuck, "RestoreNotStarting"), `${names.restoreJob}: ${describeNotStarting(stuck)}; the backup is kept`);
      }
      return waitFor(POLL_MS, "Restoring", `${names.restoreJob} restores the backup of ${lastBackup}`);
    }
    case "succeeded": {
      const restored = { restore: { restoredAt: outcome.completedAt, job: names.restoreJob, fromDump } };
      // Announced once: status records the restore with the first result after it, the server's wait included.
      const recorded = instance.resource.status?.restore;
      if (recorded?.job !== names.restoreJob || recorded.restoredAt !== outcome.completedAt) {
        ctx.events.normal(
          instance.resource,
          RESTORE_EVENTS.succeeded,
          `${names.restoreJob} loaded ${fromDump} (the backup of ${lastBackup}) into database ${instance.spec.database}`,
        );
      }
      const starting = await awaitServer(instance, ctx, bindingFallbackMs);
      if (starting !== undefined) return { ...starting, status: { ...starting.status, ...restored } };
      return done(`${name} created with restore-job`, restored);
    }
    case "failed": {
      if (outcome.exitCode === EXIT_CODES.notEmpty) {
        const starting = await awaitServer(instance, ctx, bindingFallbackMs);
        if (starting !== undefined) return starting;
        return done(
          `${name} created without restore-job: the database already holds data, so the backup of ${lastBackup} was not loaded; ${fromDump} is kept on ${names.backupClaim} (later backups are new dumps beside it, and retention keeps the newest dump of each resource that no restore loaded)`,
        );
      }
      const why = await scriptError(instance, ctx, outcome.job);
      const partly =
        outcome.exitCode === EXIT_CODES.load
          ? ` Database ${instance.spec.database} may hold part of ${fromDump}: empty it (DROP DATABASE), then delete the Job to retry (README: "A restore that failed part-way").`
          : outcome.exitCode === EXIT_CODES.otherDatabase
            ? ` Fix the cause, then delete the Job to retry; or, to start with an empty database instead, delete ConfigMap ${names.backupInfo} (the dumps stay on ${names.backupClaim}).`
            : " Fix the cause, then delete the Job to retry.";
      return failed(
        "RestoreFailed",
        `${names.restoreJob} failed to restore ${fromDump} (the backup of ${lastBackup}) (${outcome.reason}: ${outcome.message})${why === undefined ? "" : `: ${why}`}; the backup is kept.${partly}`,
      );
    }
  }
}

/**
 * The cache holds only ConfigMaps this operator labelled, so before creation ends as one "without restore-job" the
 * API server is asked for the backup record: one there that the cache does not show lacks the operator's label (made,
 * copied or relabelled by hand), and creation stops with what to do, since going on would start the database empty
 * beside a backup its owner may well want back (and the final backup could not record over that ConfigMap either). A
 * labelled one the cache has not seen yet is waited for. `undefined` when there is none.
 */
async function recordNotCached(instance: MySQLInstance, ctx: ReconcileContext): Promise<Result | undefined> {
  const { names, name, namespace } = instance;
  const live = await ctx.read<V1ConfigMap>({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: names.backupInfo, namespace } });
  if (live === undefined) return undefined;
  if (live.metadata?.labels?.[MANAGED_BY_LABEL] === OPERATOR_NAME) {
    return waitFor(
      POLL_MS,
      "Restoring",
      `ConfigMap ${names.backupInfo} (the record of an earlier backup) is on the API server, but not yet in this operator's cache`,
    );
  }
  const label = `${MANAGED_BY_LABEL}=${OPERATOR_NAME}`;
  const ns = namespace ?? "default";
  // Begins as every refusal of an object someone else made (the runtime's NotManagedError).
  return failed(
    "AdoptionRefused",
    `${notManagedSentence(`ConfigMap ${ns}/${names.backupInfo}`, OPERATOR_NAME)}, and creation stops here: the backups of ${name} are recorded under that name, and this operator neither restores from that ConfigMap nor writes over it. If it is the record of an earlier backup of ${name} (copied from another cluster, say), add the label to restore that backup: kubectl label configmap ${names.backupInfo} -n ${ns} ${label}. Otherwise rename or remove it; to start with an empty database, remove it (any dumps stay on ${names.backupClaim}).`,
  );
}

/**
 * Ready should mean a server answers: creation ends only once the Deployment is available, also after a restore (a
 * Job may end before the server's Deployment reports an available pod). `undefined` when it is; else the wait, or why
 * the server does not start.
 */
async function awaitServer(instance: MySQLInstance, ctx: ReconcileContext, bindingFallbackMs: number): Promise<Result | undefined> {
  if (serverAvailable(instance, ctx)) return undefined;
  const { names } = instance;
  const refused = serverNotStarting(instance, ctx);
  if (refused !== undefined) return refused;
  // In hostPath mode the wait for kube-controller-manager's binding (below) is said from the start: a message of its
  // own after the grace would be one more status write for most new resources when many are created at once.
  const message = usesHostPathVolumes(instance)
    ? `waiting for Deployment ${names.server} to become available (kube-controller-manager binds PersistentVolumeClaim ${names.dataClaim} to PersistentVolume ${names.dataVolume} first, then the scheduler places the server's pod)`
    : `waiting for Deployment ${names.server} to become available`;
  const claim = ctx.cache.get<V1PersistentVolumeClaim>("v1", "PersistentVolumeClaim", instance.namespace, names.dataClaim);
  const volume = ctx.cache.get<V1PersistentVolume>("v1", "PersistentVolume", undefined, names.dataVolume);
  // While kube-controller-manager binds the claim to the operator's own volume the pod cannot be placed, and the
  // scheduler can say nothing else about it: its pods are not listed, and the claim's watch wakes the reconcile once it
  // is bound (the Deployment's, once the pod is refused or available); the timer is only a safety net.
  if (claim?.status?.phase !== "Bound" && bindingUnderway(instance, claim, volume)) return waitFor(bindingFallbackMs, "Starting", message);
  const starting = waitFor(POLL_MS, "Starting", message);
  // Its pods are younger than it: none can be diagnosed before START_GRACE_MS, so they are not even listed, nor looked
  // at again before then (the Deployment's watch wakes the reconcile once it is available).
  const created = serverDeployment(instance, ctx)?.metadata?.creationTimestamp;
  const age = created === undefined ? Infinity : Date.now() - new Date(created).getTime();
  if (age < START_GRACE_MS) return waitFor(Math.max(POLL_MS, START_GRACE_MS - age), "Starting", message);
  const pods = await serverPods(instance, ctx);
  const stuck = await podsNotStarting(instance, ctx, pods);
  if (stuck === undefined) return waitFor(startingPollMs(age), "Starting", message);
  const cause = `Deployment ${names.server}: ${describeNotStarting(stuck)}`;
  // When the claim was bound: its volume's phase change; a volume of this claim not Bound yet in the cache was bound
  // just now (its own watch event is still on its way).
  const ofClaim = volume !== undefined && claim?.status?.phase === "Bound" && claim.spec?.volumeName === volume.metadata?.name;
  const boundSince = !ofClaim ? undefined : volume.status?.phase === "Bound" ? volume.status.lastPhaseTransitionTime : new Date();
  if (!waitsForClaim(stuck, claim, boundSince)) return failed("ServerNotStarting", cause);
  // The operator's own pre-bound volume: the binding is certain, only slow, however long it takes; once it is done, a
  // pod the scheduler has not come to yet is its backlog (a verdict it gave before the binding is stale: looked at soon).
  if (bindingUnderway(instance, claim, volume)) {
    return claim?.status?.phase === "Bound" && !waitsOnlyForClaims(stuck) ? waitFor(SCHEDULER_BACKLOG_POLL_MS, "Starting", message) : starting;
  }
  const why = await claimWarning(instance, ctx, claim);
  return failed("ServerNotStarting", why === undefined ? cause : `${cause}; ${why.object}: ${why.cause}: ${why.message}`);
}

/** Why a deletion took no backup because there was nothing to back up. */
export const NOTHING_TO_BACK_UP = "deleted before creation finished, with no server up: no backup taken, an earlier backup is kept";

/** The resource carries {@link FINAL_BACKUP_ANNOTATION}={@link FINAL_BACKUP_SKIP}: a person gave the final backup up. */
export function hasFinalBackupSkip(instance: MySQLInstance): boolean {
  return instance.resource.metadata.annotations?.[FINAL_BACKUP_ANNOTATION] === FINAL_BACKUP_SKIP;
}

/**
 * The final backup given up deliberately with the annotation {@link FINAL_BACKUP_ANNOTATION}={@link FINAL_BACKUP_SKIP}:
 * the Warning Event `FinalBackupSkipped` records it, and the returned text says it in status; `undefined` without it,
 * and when the backup Job already succeeded (that dump is recorded, not skipped).
 */
export function skippedByRequest(instance: MySQLInstance, ctx: ReconcileContext): string | undefined {
  if (!hasFinalBackupSkip(instance)) return undefined;
  // A backup that already succeeded is recorded instead: skipping it would leave a new resource of this name an older dump.
  if (jobState(instance, ctx, instance.names.backupJob).state === "succeeded") return undefined;
  const what = `deleted without a final backup, as the annotation ${FINAL_BACKUP_ANNOTATION}=${FINAL_BACKUP_SKIP} asked: the data of ${instance.names.dataClaim} were not backed up; earlier backups stay on ${instance.names.backupClaim}`;
  ctx.events.warning(instance.resource, "FinalBackupSkipped", what);
  return what;
}

/**
 * With the final backup given up ({@link hasFinalBackupSkip}), a backup Job of this resource that still runs (retrying
 * a server that is down, say) is stopped first, in the foreground (its pods go before it does) and by uid: a late
 * attempt would dump whatever answers at the Service's name by then, a next resource's server of this name included,
 * into the backup history. A wait while it goes; `undefined` once none runs.
 */
export async function stopFinalBackup(instance: MySQLInstance, ctx: ReconcileContext): Promise<Result | undefined> {
  const { names } = instance;
  const outcome = jobState(instance, ctx, names.backupJob);
  if (outcome.state !== "running") return undefined;
  const { metadata } = outcome.job;
  if (metadata?.deletionTimestamp === undefined || metadata.deletionTimestamp === null)
    await ctx.delete(jobReference(instance, names.backupJob), { propagationPolicy: "Foreground", uid: metadata?.uid });
  // A pod that cannot end (its node gone) would hold the way out for good: past the grace, the data are let go anyway.
  else if (age(metadata.deletionTimestamp, new Date()) > STOP_BACKUP_GRACE_MS) return undefined;
  return waitFor(POLL_MS, "StoppingBackup", `stopping ${names.backupJob}, as the final backup was given up: the data are let go once it is gone`);
}

/** How long {@link stopFinalBackup} waits for the Job's pods to end: well past a pod's default termination grace (30 s). */
export const STOP_BACKUP_GRACE_MS = 120_000;

/** The server's pod refused by the namespace (see {@link serverPodRefused}), with what to do about it; `undefined` otherwise. */
function serverNotStarting(instance: MySQLInstance, ctx: ReconcileContext): Result | undefined {
  const refusal = serverPodRefused(instance, ctx);
  if (refusal === undefined) return undefined;
  const podSecurity = refusal.includes("PodSecurity");
  const hint = !podSecurity
    ? "Fix the cause (a ResourceQuota or LimitRange, say); the Deployment retries by itself."
    : usesHostPathVolumes(instance)
      ? `Without spec.storageClassName the server's pod hands its hostPath volume to the mysql user with an init container that runs as root (kubelet creates hostPath directories owned by root), which the "restricted" Pod Security level refuses: use a storageClassName (delete and re-create the resource; a backup is taken), or enforce "baseline" in this namespace.`
      : 'Every pod of the operator meets the "restricted" Pod Security level; see what the message says is missing.';
  return failed("ServerPodRefused", `Deployment ${instance.names.server} cannot create the server's pod: ${refusal}. ${hint}`);
}

/**
 * Deleted before creation finished with no server up, one that was never seen available
 * (`status.serverStarted`), and no backup ever started for this deletion: there is nothing to dump,
 * and no server that could have taken writes since it was last up, as far as the cache shows.
 * Once a backup Job was made (status.backup), the server ran: a failed one deleted to retry, or a
 * server restarting at that moment, must not let the data claim go.
 */
export function nothingToBackUp(instance: MySQLInstance, ctx: ReconcileContext): boolean {
  return (
    !creationFinished(instance) &&
    instance.resource.status?.serverStarted === undefined &&
    instance.resource.status?.backup === undefined &&
    !serverAvailable(instance, ctx) &&
    jobState(instance, ctx, instance.names.backupJob).state === "absent"
  );
}

/**
 * `result` of a creation step, with `status.serverStarted` the first time the server is seen available:
 * from then on the server may hold writes, and a deletion waits for a backup even if creation never finishes.
 * `available` is taken before the step: a server that became available during it (the cache moved on while the
 * step waited for it) is recorded by the next step, together with its result, not by a write of its own.
 */
export function markServerStarted(instance: MySQLInstance, available: boolean, result: Result): Result {
  if (!firstSeenStarted(instance, available)) return result;
  return { ...result, status: { ...result.status, serverStarted: new Date().toISOString() } };
}

/** The server is available and `status.serverStarted` not recorded yet. */
function firstSeenStarted(instance: MySQLInstance, available: boolean): boolean {
  return available && instance.resource.status?.serverStarted === undefined;
}

/**
 * Writes `status.serverStarted` at once when the server is available and it is not recorded yet: for a creation
 * step that failed, whose status carries no result. A failure of this write is logged, never hides the step's error.
 */
export async function recordServerStarted(instance: MySQLInstance, available: boolean, ctx: ReconcileContext): Promise<void> {
  if (!firstSeenStarted(instance, available)) return;
  try {
    await ctx.patchStatus(instance.resource, { serverStarted: new Date().toISOString() });
  } catch (error) {
    ctx.log.warn("could not record that the server started", { error });
  }
}

/**
 * `kubectl delete --cascade=foreground`: the garbage collector deletes the server and any backup
 * Job before the owner, so no backup can run, and nothing brings the server back (finalize makes
 * no children); refused with the way out, unless this resource's backup already succeeded.
 */
export function refuseForegroundDeletion(instance: MySQLInstance, ctx: ReconcileContext): Result | undefined {
  const { names } = instance;
  const foreground = (instance.resource.metadata.finalizers ?? []).includes(FOREGROUND_DELETION);
  if (!foreground || jobState(instance, ctx, names.backupJob).state === "succeeded") return undefined;
  return failed(
    "ForegroundDeletion",
    `deleted with --cascade=foreground, which has the garbage collector remove the server and its credentials before a backup can run, so none can be taken (deleting again with another cascade does not bring them back). The data stay on ${names.dataClaim}, held by the finalizer ${DATA_CLAIM_FINALIZER}. To let the deletion finish, give the final backup up with ${skipCommand(instance)} (first set persistentVolumeReclaimPolicy: Retain on the volume of ${names.dataClaim} to keep its disk, and copy the data off it if you need them).`,
  );
}

/**
 * Dumps the database into the backup claim with `backup-NAME-job` and, once it succeeded,
 * records the dump in `backup-NAME-info`. The server of an unfinished creation may hold writes,
 * or only part of a restore: its dump goes into `unfinished-UID/` beside an earlier backup, which
 * stays what a new resource of this name restores. While deletion is held, status names the Job
 * to look at. `finalizer` is named in the message of a failed backup (how to give it up).
 */
export async function backUp(instance: MySQLInstance, ctx: ReconcileContext, finalizer: string): Promise<Result> {
  const { names } = instance;
  const earlier = backupInfo(instance, ctx);
  const outcome = jobState(instance, ctx, names.backupJob);
  const backupUnderWay = { backup: { job: names.backupJob } };
  switch (outcome.state) {
    case "absent": {
      // Made once per deletion: a cache that shows no Job may be behind a resource already finalized (and its Job collected).
      const behind = await cacheBehind(instance, ctx, names.backupJob);
      if (behind !== undefined) return waitFor(POLL_MS, "BackingUp", behind, backupUnderWay);
      const aside = !creationFinished(instance) && earlier !== undefined ? `unfinished-${instance.resource.metadata.uid ?? ""}` : undefined;
      try {
        await ctx.apply(buildBackupJob(instance, aside), { owner: instance.resource });
      } catch (error) {
        if (isNamespaceTerminating(error)) return namespaceTerminating(instance, `${names.backupJob} cannot be created`);
        throw error;
      }
      return waitFor(
        POLL_MS,
        "BackingUp",
        `${names.backupJob} dumps the database into ${names.backupClaim}${aside === undefined ? "" : `, directory ${aside}`}`,
        backupUnderWay,
      );
    }
    case "foreign":
      return removeEndedJob(instance, ctx, outcome.job, names.backupJob, "BackingUp", EARLIER_RESOURCE);
    case "running": {
      // The Job retries a failed attempt (a server down or restarting) for minutes before it fails for good:
      // meanwhile the deletion is held, and status and an Event say why instead of "backing up".
      const failures = outcome.job.status?.failed ?? 0;
      if (failures > 0) {
        return failed(
          "BackupRetrying",
          `${names.backupJob}: ${failures} of at most ${(outcome.job.spec?.backoffLimit ?? 6) + 1} attempts failed so far, and it is retried (kubectl logs job/${names.backupJob} says why; exit code 2: the server is not reachable). The resource is kept until a backup succeeds; the previous backup is untouched.`,
          backupUnderWay,
        );
      }
      const stuck = await jobNotStarting(instance, ctx, outcome.job);
      if (stuck !== undefined) {
        if (notStartingReason(stuck, "") === NAMESPACE_TERMINATING) return namespaceTerminating(instance, `${names.backupJob}: ${describeNotStarting(stuck)}`);
        const going = await backupClaimGoing(instance, ctx);
        if (going !== undefined) return failed(BACKUP_CLAIM_DELETING, `${names.backupJob} cannot start: ${going}.`, backupUnderWay);
        return failed(
          "BackupNotStarting",
          `${names.backupJob}: ${describeNotStarting(stuck)}. The resource is kept until a backup succeeds: fix the cause (the Job goes on by itself), or give the final backup up with ${skipCommand(instance)}.`,
          backupUnderWay,
        );
      }
      return waitFor(POLL_MS, "BackingUp", `${names.backupJob} dumps the database into ${names.backupClaim}`, backupUnderWay);
    }
    case "failed":
      return failed(
        "BackupFailed",
        `${names.backupJob} failed (${outcome.reason}: ${outcome.message}); the resource is kept until a backup succeeds. Fix the cause and delete the Job to retry, or give the final backup up with ${skipCommand(instance)} (or remove the finalizer ${finalizer} from this resource and from ${names.dataClaim}).`,
        backupUnderWay,
      );
    case "succeeded": {
      // Where the dump went is the Job's: a record made or deleted since must not move it in or out of the history.
      const dumpedAside = backupSubdirectory(outcome.job);
      if (dumpedAside !== undefined) {
        const kept =
          earlier === undefined
            ? `; no backup is recorded (${names.backupInfo} is gone), so a new resource of this name starts with an empty database`
            : `; the earlier backup of ${backupTime(earlier) ?? "an earlier time"} is untouched and is what a new resource of this name restores`;
        return done(
          `deleted before creation finished: the server was backed up into ${names.backupClaim}, directory ${dumpedAside} (${names.backupJob})${kept}`,
        );
      }
      const completedAt = outcome.completedAt ?? new Date().toISOString();
      const report = await readBackupReport(instance, ctx, outcome.job, completedAt);
      if (report === "pending") return waitFor(POLL_MS, "BackingUp", `${names.backupJob} succeeded; reading its report`, backupUnderWay);
      await ctx.apply(buildBackupInfo(instance, completedAt, report));
      const dumpFile = dumpPath(report);
      const facts = report === undefined ? "" : ` (${report.sizeBytes} bytes, sha256 ${report.sha256})`;
      return done(`backup succeeded (${names.backupJob}); ${names.backupClaim} keeps it as ${dumpFile}${facts}`, {
        backup: {
          lastSucceeded: completedAt,
          job: names.backupJob,
          dumpFile,
          ...(report === undefined ? {} : { sizeBytes: report.sizeBytes, sha256: report.sha256, created: report.created }),
        },
      });
    }
  }
}

/** The reason of a status that says the namespace is being deleted. */
export const NAMESPACE_TERMINATING = "NamespaceTerminating";

/** `fallback`, or {@link NAMESPACE_TERMINATING} when the pod cannot even be created because the namespace is going. */
function notStartingReason(stuck: NotStarting, fallback: string): string {
  return /because it is being terminated/.test(stuck.message) ? NAMESPACE_TERMINATING : fallback;
}

/** Whether an API error says that nothing new may be created in the namespace: it is being deleted. */
export function isNamespaceTerminating(error: unknown): boolean {
  const causes = (error as { body?: { details?: { causes?: { reason?: string }[] } } }).body?.details?.causes ?? [];
  return causes.some((c) => c.reason === NAMESPACE_TERMINATING);
}

/**
 * `held`, a result that holds a deletion (a password change to settle first, credentials missing), with the way
 * out added: the final backup can be given up deliberately.
 */
export function withSkipWayOut(held: Result, instance: MySQLInstance): Result {
  if (held.kind === "done") return held;
  return { ...held, message: `${held.message}. The deletion waits for it; or give the final backup up with ${skipCommand(instance)}` };
}

/** The command that gives the final backup up deliberately (see {@link FINAL_BACKUP_ANNOTATION}). */
export function skipCommand(instance: MySQLInstance): string {
  return `kubectl annotate mysql ${instance.name} -n ${instance.namespace ?? "default"} ${FINAL_BACKUP_ANNOTATION}=${FINAL_BACKUP_SKIP}`;
}

/**
 * The namespace is being deleted: no Job (no pod) can start in it any more, so the final backup
 * cannot run; the deletion is held, with the way out. The backups stay: their claim is held by the
 * operator's finalizer and their volume is retained.
 */
export function namespaceTerminating(instance: MySQLInstance, what: string): Result {
  const { names } = instance;
  return failed(
    NAMESPACE_TERMINATING,
    `namespace ${instance.namespace ?? "default"} is being deleted, so no backup Job can start in it (${what}). The data stay on ${names.dataClaim} (finalizer ${DATA_CLAIM_FINALIZER}) and the earlier backups on ${names.backupClaim}, whose volume is retained. To let the namespace go without a final backup: ${skipCommand(instance)} (set persistentVolumeReclaimPolicy: Retain on the volume of ${names.dataClaim} first to keep its disk).`,
  );
}
