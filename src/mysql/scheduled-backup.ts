/**
 * The backups of `spec.backup.schedule`: the CronJob `NAME-backup-schedule` runs the final backup's Job template
 * (same script, history and retention) while the resource lives. Made only once creation finished, so that no
 * scheduled dump runs beside a restore; suspended on deletion, and its running Job awaited, so that none runs
 * beside the final backup (two backups in one directory would tidy away each other's files).
 */
import type { V1ConfigMap, V1CronJob, V1Job } from "@kubernetes/client-node";
import type { ScheduledBackupStatus } from "../../generated/mysql-models.ts";
import type { ReconcileContext } from "../runtime/index.ts";
import { isNamespaceTerminating } from "./backup-restore.ts";
import { readBackupReport, scriptError } from "./backup-report.ts";
import { BACKUP_INFO_KEYS, buildBackupCronJob, buildBackupInfo, dumpPath } from "./desired/index.ts";
import type { MySQLInstance } from "./instance.ts";
import { labelsFor } from "./names.ts";
import { jobOutcome, timestamp } from "./job-outcome.ts";
import { controlledBy, equalitySelector, jobReference, orphaned } from "./observe.ts";
import { describeNotStarting, jobNotStarting } from "./pod-diagnosis.ts";
import { POLL_MS, waitFor, type Result } from "./result.ts";

/** Reasons of the Events that mark a change of the scheduled backups' outcome. */
export const SCHEDULED_BACKUP_EVENTS = { succeeded: "ScheduledBackupSucceeded", failed: "ScheduledBackupFailed" } as const;

/** The status facts of a recorded scheduled backup: `status.backup.scheduled` (merge patch: `null` clears a key an earlier outcome set). */
export interface ScheduledBackupFacts {
  readonly backup: { readonly scheduled: { readonly [K in keyof ScheduledBackupStatus]-?: ScheduledBackupStatus[K] | null } };
}

/**
 * `NAME-backup-schedule` as cached when it is this resource's; with `orphanedToo` (on deletion, the schedule to settle)
 * also one of this name the operator made that no resource controls any more. Under `kubectl delete --cascade=orphan`
 * the garbage collector takes the owner reference off while the deletion runs; left running, that schedule would dump
 * beside the final backup, and afterwards on into the history, whose retention would in time remove the dump
 * backup-NAME-info records.
 */
function cachedCronJob(instance: MySQLInstance, ctx: ReconcileContext, orphanedToo = false): V1CronJob | undefined {
  const cronJob = ctx.cache.get<V1CronJob>("batch/v1", "CronJob", instance.namespace, instance.names.backupSchedule);
  return cronJob !== undefined && (controlledBy(cronJob, instance) || (orphanedToo && orphaned(cronJob))) ? cronJob : undefined;
}

/** The cached Jobs the CronJob `cronJob` made (its controller reference, by uid). */
function scheduledJobs(instance: MySQLInstance, ctx: ReconcileContext, cronJob: V1CronJob): V1Job[] {
  const uid = cronJob.metadata?.uid;
  return ctx.cache
    .list<V1Job>("batch/v1", "Job", instance.namespace)
    .filter((job) => job.metadata?.ownerReferences?.some((r) => r.controller === true && r.uid === uid) ?? false);
}

/**
 * For a created resource, on every reconcile: makes `NAME-backup-schedule` follow `spec.backup.schedule` (deleted
 * when the field is gone), and returns the status facts of a scheduled backup that ended since status last said,
 * with one Event when the outcome changes; `undefined` when there is nothing new to record.
 */
export async function reconcileBackupSchedule(instance: MySQLInstance, ctx: ReconcileContext): Promise<ScheduledBackupFacts | undefined> {
  const schedule = instance.resource.spec.backup?.schedule;
  const cached = cachedCronJob(instance, ctx);
  if (schedule === undefined) {
    // The garbage collector would take a running scheduled Job mid-dump with its CronJob (and a deletion right after
    // would find no CronJob to wait for): suspended first, deleted once none runs. The CronJob's status changes bring
    // this back.
    // By uid: a CronJob of this name made after the cache looked (the field set again) is not the one settled here.
    // A dump that ended meanwhile is recorded first: the Jobs go with the CronJob, and a next resource restores the newest.
    if (
      cached !== undefined &&
      (await settleSchedule(instance, ctx, cached, `${instance.names.backupSchedule} is deleted once none runs`)) === undefined &&
      (await recordNewestScheduledDump(instance, ctx)) === undefined
    )
      await ctx.delete(
        { apiVersion: "batch/v1", kind: "CronJob", metadata: cached.metadata ?? {} },
        { propagationPolicy: "Background", uid: cached.metadata?.uid },
      );
    return undefined;
  }
  const cronJob = await ctx.apply(buildBackupCronJob(instance, schedule), { owner: instance.resource });
  const ended = endedJobs(scheduledJobs(instance, ctx, cached ?? cronJob));
  const { succeeded, dumpedAt, infoBehind } = newestDump(instance, ctx, ended);
  const newest = ended.at(-1);
  if (newest === undefined) return undefined;
  const previous = instance.resource.status?.backup?.scheduled;
  const { job, outcome } = newest;
  const name = job.metadata?.name ?? "";
  const verdict = outcome.state === "succeeded" ? "Succeeded" : "Failed";
  const known = previous?.job === name && previous.outcome === verdict;
  const report =
    succeeded !== undefined && dumpedAt !== undefined && (infoBehind || (!known && newest === succeeded))
      ? await readBackupReport(instance, ctx, succeeded.job, dumpedAt)
      : undefined;
  // Never back to an older dump, a final backup's record included; with its pod not listed yet, a later reconcile writes it.
  if (infoBehind && dumpedAt !== undefined && report !== "pending")
    await ctx.apply(buildBackupInfo(instance, dumpedAt, report, succeeded?.job.metadata?.name ?? ""));
  if (known) return undefined;
  const startedAt = timestamp(job.status?.startTime) ?? null;
  let record: ScheduledBackupFacts["backup"]["scheduled"];
  if (outcome.state === "succeeded") {
    // Its pod is not listed yet: recorded by a later reconcile (the CronJob's next status change, or a resync).
    if (report === "pending") return undefined;
    record = {
      job: name,
      outcome: verdict,
      startedAt,
      finishedAt: dumpedAt ?? null,
      reason: null,
      message: null,
      dumpFile: dumpPath(report),
      sizeBytes: report?.sizeBytes ?? null,
      sha256: report?.sha256 ?? null,
    };
  } else if (outcome.state === "failed") {
    const why = await scriptError(instance, ctx, job);
    const failedAt = job.status?.conditions?.find((c) => c.type === "Failed" && c.status === "True")?.lastTransitionTime;
    record = {
      job: name,
      outcome: verdict,
      startedAt,
      finishedAt: timestamp(failedAt) ?? null,
      reason: outcome.reason,
      message: `${outcome.message}${why === undefined ? "" : `: ${why}`}`,
      dumpFile: null,
      sizeBytes: null,
      sha256: null,
    };
  } else return undefined;
  if (previous?.outcome !== verdict) {
    if (verdict === "Succeeded") {
      const facts = record.sha256 === null ? "" : ` (${record.sizeBytes} bytes, sha256 ${record.sha256})`;
      ctx.events.normal(instance.resource, SCHEDULED_BACKUP_EVENTS.succeeded, `scheduled backup ${name} succeeded: ${record.dumpFile}${facts}`);
    } else {
      ctx.events.warning(
        instance.resource,
        SCHEDULED_BACKUP_EVENTS.failed,
        `scheduled backup ${name} failed (${record.reason}: ${record.message}); kubectl logs job/${name} says more. Earlier dumps are untouched.`,
      );
    }
  }
  return { backup: { scheduled: record } };
}

/**
 * On deletion, before the final backup (or, when it is skipped, before the data are let go): suspends
 * `NAME-backup-schedule` and waits while a Job of it runs, so that no scheduled backup writes the backup volume beside
 * the final one or a next resource's restore. `then` says in the wait's message what follows. `undefined` once none
 * runs (or there is no schedule).
 */
export async function quiesceBackupSchedule(
  instance: MySQLInstance,
  ctx: ReconcileContext,
  then = `${instance.names.backupJob} (the final backup) starts once it ended`,
): Promise<Result | undefined> {
  return settleSchedule(instance, ctx, cachedCronJob(instance, ctx, true), then);
}

/**
 * Suspends `cronJob` (when there is one) and waits while a scheduled Job runs; `then` says in the wait's message what
 * follows. The Jobs come from the API server as well as the cache: one the CronJob controller made from a stale view
 * just before the suspend landed may not be cached yet.
 */
async function settleSchedule(instance: MySQLInstance, ctx: ReconcileContext, cronJob: V1CronJob | undefined, then: string): Promise<Result | undefined> {
  const { names } = instance;
  if (cronJob !== undefined && cronJob.spec?.suspend !== true) {
    // An orphaned one stays so (the cascade asked to keep the children as they are, and a resource of this name made
    // later adopts it): only its suspend is patched.
    if (controlledBy(cronJob, instance)) await ctx.apply(buildBackupCronJob(instance, cronJob.spec?.schedule ?? "", true), { owner: instance.resource });
    else await ctx.mergePatch(cronJob, { spec: { suspend: true } });
    // Looked at again once the cache shows it suspended: a Job the CronJob made just before is listed by then.
    return waitFor(POLL_MS, "SuspendingBackupSchedule", `suspending ${names.backupSchedule}: ${then}`);
  }
  const live = await ctx.list<V1Job>("batch/v1", "Job", {
    namespace: instance.namespace,
    labelSelector: equalitySelector(labelsFor(instance.resource, "scheduled-backup")),
  });
  const byUid = new Map([...(cronJob === undefined ? [] : scheduledJobs(instance, ctx, cronJob)), ...live].map((job) => [job.metadata?.uid ?? "", job]));
  const jobs = [...byUid.values()].filter((job) => jobOutcome(job, undefined).state === "running");
  // One whose pod never started (an image that cannot be pulled, a node gone) dumps nothing and would hold the
  // deletion until its deadline: it goes, and the final backup says for itself why it does not start, if it does not.
  // That very Job, by uid: another of the same name made since it was listed may be dumping.
  for (const job of jobs) {
    const stuck = await jobNotStarting(instance, ctx, job);
    if (stuck === undefined) continue;
    await ctx.delete(jobReference(instance, job.metadata?.name ?? ""), { propagationPolicy: "Background", uid: job.metadata?.uid });
    return waitFor(
      POLL_MS,
      "AwaitingScheduledBackup",
      `removing the scheduled backup ${job.metadata?.name ?? ""}, which never started (${describeNotStarting(stuck)})`,
    );
  }
  const running = [...(cronJob?.status?.active ?? []).map((ref) => ref.name ?? ""), ...jobs.map((job) => job.metadata?.name ?? "")];
  if (running.length === 0) return undefined;
  return waitFor(POLL_MS, "AwaitingScheduledBackup", `the scheduled backup ${[...new Set(running)].join(", ")} is running; ${then}`);
}

/** Those of `jobs` that ended, oldest first. */
function endedJobs(jobs: V1Job[]): { job: V1Job; outcome: ReturnType<typeof jobOutcome> }[] {
  return jobs
    .map((job) => ({ job, outcome: jobOutcome(job, undefined) }))
    .filter(({ outcome }) => outcome.state === "succeeded" || outcome.state === "failed")
    .sort((a, b) => created(a.job) - created(b.job));
}

/**
 * The newest succeeded of the `ended` Jobs, when it ended, and whether backup-NAME-info names an older dump (or none).
 * backup-NAME-info follows the newest succeeded dump even when a failure ended after it: the retention of later runs
 * removes a dump no record names, and a new resource of this name would restore an older one, or none.
 */
function newestDump(instance: MySQLInstance, ctx: ReconcileContext, ended: ReturnType<typeof endedJobs>) {
  const succeeded = ended.filter(({ outcome }) => outcome.state === "succeeded").at(-1);
  const dumpedAt = succeeded?.outcome.state === "succeeded" ? (succeeded.outcome.completedAt ?? new Date().toISOString()) : undefined;
  const infoBehind = dumpedAt !== undefined && !(Date.parse(dumpedAt) <= recordedDumpTime(instance, ctx));
  return { succeeded, dumpedAt, infoBehind };
}

/**
 * Once no scheduled backup runs, on the way out of the schedule (a deletion without a final backup, or
 * `spec.backup.schedule` removed): points backup-NAME-info at the newest scheduled dump when it names an older one (or
 * none), as a reconcile of the living resource would have, so that a next resource of this name restores the newest
 * dump. A wait while that Job's report cannot be read yet; `undefined` when done or there is nothing to record.
 */
export async function recordNewestScheduledDump(instance: MySQLInstance, ctx: ReconcileContext): Promise<Result | undefined> {
  const cronJob = cachedCronJob(instance, ctx, true);
  if (cronJob === undefined) return undefined;
  // settleSchedule asks the API server, which may know that a Job ended before the cache does: its dump is recorded
  // once the cache shows it ended (the CronJob, and with it the Job, goes only after that).
  const jobs = scheduledJobs(instance, ctx, cronJob);
  const seenRunning = jobs.find((job) => jobOutcome(job, undefined).state === "running");
  if (seenRunning !== undefined)
    return waitFor(
      POLL_MS,
      "AwaitingScheduledBackup",
      `the scheduled backup ${seenRunning.metadata?.name ?? ""} ended; its dump is recorded once the cache shows it`,
    );
  const { succeeded, dumpedAt, infoBehind } = newestDump(instance, ctx, endedJobs(jobs));
  if (succeeded === undefined || dumpedAt === undefined || !infoBehind) return undefined;
  const name = succeeded.job.metadata?.name ?? "";
  const report = await readBackupReport(instance, ctx, succeeded.job, dumpedAt);
  if (report === "pending") return waitFor(POLL_MS, "AwaitingScheduledBackup", `reading the report of the scheduled backup ${name}, to record its dump`);
  try {
    await ctx.apply(buildBackupInfo(instance, dumpedAt, report, name));
  } catch (error) {
    // The namespace is being deleted: backup-NAME-info goes with it, and nothing new may be made there.
    if (!isNamespaceTerminating(error)) throw error;
  }
  return undefined;
}

/** When the dump backup-NAME-info names ended; `NaN` without one. */
function recordedDumpTime(instance: MySQLInstance, ctx: ReconcileContext): number {
  const info = ctx.cache.get<V1ConfigMap>("v1", "ConfigMap", instance.namespace, instance.names.backupInfo);
  return Date.parse(info?.data?.[BACKUP_INFO_KEYS.lastSucceeded] ?? "");
}

function created(job: V1Job): number {
  return Date.parse(String(job.metadata?.creationTimestamp ?? "")) || 0;
}
