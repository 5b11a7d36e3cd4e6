/**
 * The backup schedule's decisions on a fake cache (the real control plane and MariaDB prove the whole path in
 * test/integration/mysql/scheduled-backup.test.ts): what a scheduled Job's end records, that an unchanged outcome writes
 * and announces nothing, that removing the field deletes the CronJob, and how deletion waits for a running one.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubernetesObject, V1ConfigMap, V1Job } from "@kubernetes/client-node";
import type { MySQL } from "../../generated/mysql-models.ts";
import { BACKUP_INFO_KEYS, buildBackupCronJob, buildBackupInfo } from "../../src/mysql/desired/index.ts";
import { MySQLReconciler } from "../../src/mysql/mysql-reconciler.ts";
import { instanceOf } from "../../src/mysql/instance.ts";
import { labelsFor } from "../../src/mysql/names.ts";
import { quiesceBackupSchedule, reconcileBackupSchedule, recordNewestScheduledDump, SCHEDULED_BACKUP_EVENTS } from "../../src/mysql/scheduled-backup.ts";
import { madeByOperator, originalResource, recordingContext } from "./fixtures.ts";

const SCHEDULE = "* * * * *";
const CRON_UID = "c0000000-0000-4000-8000-000000000001";

function scheduled(overrides: { status?: MySQL["status"]; schedule?: string | null } = {}): MySQL {
  const schedule = overrides.schedule === null ? undefined : (overrides.schedule ?? SCHEDULE);
  return originalResource({ spec: { backup: { keep: 5, ...(schedule === undefined ? {} : { schedule }) } }, status: { appliedSpec: {}, ...overrides.status } });
}

function cronJob(resource: MySQL, suspend = false, active: string[] = []): KubernetesObject {
  const built = madeByOperator(buildBackupCronJob(instanceOf(resource), SCHEDULE, suspend));
  return {
    ...built,
    metadata: {
      ...built.metadata,
      uid: CRON_UID,
      ownerReferences: [
        { apiVersion: "otus.homework/v1", kind: "MySQL", name: resource.metadata.name ?? "", uid: resource.metadata.uid ?? "", controller: true },
      ],
    },
    status: { active: active.map((name) => ({ name })) },
  } as KubernetesObject;
}

function job(resource: MySQL, minute: number, state: "running" | "failed" | "succeeded"): V1Job {
  const at = `2026-11-29T04:${String(minute).padStart(2, "0")}:00Z`;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: `mysql-instance-backup-schedule-${minute}`,
      namespace: "default",
      uid: `j-${minute}`,
      creationTimestamp: at as unknown as Date,
      labels: madeByOperator({ metadata: { labels: labelsFor(resource, "scheduled-backup") } }).metadata?.labels,
      ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: "mysql-instance-backup-schedule", uid: CRON_UID, controller: true }],
    },
    status: {
      startTime: at as unknown as Date,
      ...(state === "failed"
        ? {
            conditions: [
              {
                type: "Failed",
                status: "True",
                reason: "BackoffLimitExceeded",
                message: "Job has reached the specified backoff limit",
                lastTransitionTime: at as unknown as Date,
              },
            ],
          }
        : state === "succeeded"
          ? { completionTime: at as unknown as Date, conditions: [{ type: "Complete", status: "True", lastTransitionTime: at as unknown as Date }] }
          : {}),
    },
  };
}

/** backup-NAME-info as the cache shows it, naming a dump that ended at `lastSucceeded`. */
function info(resource: MySQL, lastSucceeded: string): KubernetesObject {
  return buildBackupInfo(instanceOf(resource), lastSucceeded, undefined, "earlier");
}

function appliedInfo(recorded: ReturnType<typeof recordingContext>["recorded"]): Record<string, string> | undefined {
  return (recorded.applied.find((a) => a.object.kind === "ConfigMap")?.object as V1ConfigMap | undefined)?.data;
}

function withEvents(ctx: ReturnType<typeof recordingContext>["ctx"]) {
  const events: string[] = [];
  return {
    ctx: {
      ...ctx,
      events: {
        normal: (_o: unknown, reason: string) => events.push(`Normal ${reason}`),
        warning: (_o: unknown, reason: string) => events.push(`Warning ${reason}`),
      },
    },
    events,
  };
}

test("a failed scheduled Job is recorded with its reason, once, with one Warning Event; the CronJob is applied with the resource as owner", async () => {
  const resource = scheduled();
  const { ctx: base, recorded } = recordingContext([resource, cronJob(resource), job(resource, 1, "failed"), job(resource, 2, "running")]);
  const { ctx, events } = withEvents(base);
  const facts = await reconcileBackupSchedule(instanceOf(resource), ctx);
  assert.deepEqual(facts, {
    backup: {
      scheduled: {
        job: "mysql-instance-backup-schedule-1",
        outcome: "Failed",
        startedAt: "2026-11-29T04:01:00Z",
        finishedAt: "2026-11-29T04:01:00Z",
        reason: "BackoffLimitExceeded",
        message: "Job has reached the specified backoff limit",
        dumpFile: null,
        sizeBytes: null,
        sha256: null,
      },
    },
  });
  assert.deepEqual(events, [`Warning ${SCHEDULED_BACKUP_EVENTS.failed}`]);
  const applied = recorded.applied.find((a) => a.object.kind === "CronJob");
  assert.equal(applied?.owner, resource);

  // The same outcome already in status: nothing to write, nothing to announce.
  const known = scheduled({ status: { backup: { scheduled: { job: "mysql-instance-backup-schedule-1", outcome: "Failed" } } } });
  const again = withEvents(recordingContext([known, cronJob(known), job(known, 1, "failed")]).ctx);
  assert.equal(await reconcileBackupSchedule(instanceOf(known), again.ctx), undefined);
  assert.deepEqual(again.events, []);

  // Another failure after a failure: recorded, but the outcome did not change, so no Event.
  const next = withEvents(recordingContext([known, cronJob(known), job(known, 1, "failed"), job(known, 3, "failed")]).ctx);
  assert.equal((await reconcileBackupSchedule(instanceOf(known), next.ctx))?.backup.scheduled.job, "mysql-instance-backup-schedule-3");
  assert.deepEqual(next.events, []);
});

test("a succeeded scheduled Job followed by a failed one: backup-NAME-info names the succeeded dump, status the failure", async () => {
  const resource = scheduled({ status: { backup: { scheduled: { job: "mysql-instance-backup-schedule-4", outcome: "Succeeded" } } } });
  const { ctx, recorded } = recordingContext([
    resource,
    cronJob(resource),
    info(resource, "2026-11-29T04:04:00Z"),
    job(resource, 5, "succeeded"),
    job(resource, 6, "failed"),
  ]);
  const facts = await reconcileBackupSchedule(instanceOf(resource), withEvents(ctx).ctx);
  assert.equal(appliedInfo(recorded)?.[BACKUP_INFO_KEYS.job], "mysql-instance-backup-schedule-5");
  assert.equal(appliedInfo(recorded)?.[BACKUP_INFO_KEYS.lastSucceeded], "2026-11-29T04:05:00Z");
  assert.equal(facts?.backup.scheduled.job, "mysql-instance-backup-schedule-6");
  assert.equal(facts?.backup.scheduled.outcome, "Failed");

  // The failure already in status: the info still catches up with the succeeded dump, and status is left alone.
  const known = scheduled({ status: { backup: { scheduled: { job: "mysql-instance-backup-schedule-6", outcome: "Failed" } } } });
  const later = recordingContext([known, cronJob(known), info(known, "2026-11-29T04:04:00Z"), job(known, 5, "succeeded"), job(known, 6, "failed")]);
  assert.equal(await reconcileBackupSchedule(instanceOf(known), withEvents(later.ctx).ctx), undefined);
  assert.equal(appliedInfo(later.recorded)?.[BACKUP_INFO_KEYS.job], "mysql-instance-backup-schedule-5");
});

test("backup-NAME-info never moves back: a dump as old as or older than the one it names is not recorded", async () => {
  const resource = scheduled();
  for (const recordedAt of ["2026-11-29T04:05:00Z", "2026-11-29T04:10:00Z"]) {
    const { ctx, recorded } = recordingContext([resource, cronJob(resource), info(resource, recordedAt), job(resource, 5, "succeeded")]);
    const facts = await reconcileBackupSchedule(instanceOf(resource), withEvents(ctx).ctx);
    assert.equal(appliedInfo(recorded), undefined, `info at ${recordedAt} kept`);
    assert.equal(facts?.backup.scheduled.job, "mysql-instance-backup-schedule-5", "status still describes the newest ended Job");
  }
  // No info yet: the succeeded dump is recorded.
  const fresh = recordingContext([resource, cronJob(resource), job(resource, 5, "succeeded")]);
  await reconcileBackupSchedule(instanceOf(resource), withEvents(fresh.ctx).ctx);
  assert.equal(appliedInfo(fresh.recorded)?.[BACKUP_INFO_KEYS.job], "mysql-instance-backup-schedule-5");
});

test("a change that stays refused does not stop the schedule: backup-NAME-info follows a succeeded scheduled Job, status merged into the failure", async () => {
  const resource = originalResource({
    spec: { storageClassName: "standard", storage_size: "1Gi", backup: { keep: 5, schedule: SCHEDULE } },
    status: { appliedSpec: {} },
  });
  const reconciler = new MySQLReconciler();
  const fingerprints = (reconciler as unknown as { fingerprint(r: MySQL): Record<string, string> }).fingerprint(resource);
  const { ctx, recorded } = recordingContext([resource, cronJob(resource), info(resource, "2026-11-29T04:04:00Z"), job(resource, 5, "succeeded")]);
  const result = (await (reconciler as unknown as { dispatchChanges(r: unknown, p: unknown, c: unknown): Promise<unknown> }).dispatchChanges(
    resource,
    { ...fingerprints, storage_size: '"2Gi"' },
    withEvents(ctx).ctx,
  )) as { kind: string; reason?: string; status?: MySQL["status"] };
  assert.equal(result.kind, "failed");
  assert.equal(result.reason, "StorageShrinkRefused");
  assert.equal(appliedInfo(recorded)?.[BACKUP_INFO_KEYS.job], "mysql-instance-backup-schedule-5");
  assert.equal(result.status?.backup?.scheduled?.job, "mysql-instance-backup-schedule-5");
});

test("removing spec.backup.schedule suspends the CronJob, then deletes it once no scheduled Job runs; a resource without one makes none", async () => {
  const resource = scheduled({ schedule: null });
  const { ctx, recorded } = recordingContext([resource, cronJob(resource)]);
  assert.equal(await reconcileBackupSchedule(instanceOf(resource), ctx), undefined);
  assert.equal((recorded.applied[0]?.object as { spec?: { suspend?: boolean } }).spec?.suspend, true, "suspended first");
  assert.equal(recorded.deleted.length, 0, "a Job the CronJob made just before the suspend may still be on its way");
  await reconcileBackupSchedule(instanceOf(resource), ctx);
  // By uid: a CronJob of the same name made meanwhile (the field set again) is another one, and is not deleted.
  assert.deepEqual(
    recorded.deleted.map((d) => `${d.kind}/${d.name} uid ${d.uid ?? "none"}`),
    [`CronJob/mysql-instance-backup-schedule uid ${CRON_UID}`],
  );
  const plain = recordingContext([resource]);
  await reconcileBackupSchedule(instanceOf(resource), plain.ctx);
  assert.deepEqual(plain.recorded.applied, []);
  assert.deepEqual(plain.recorded.deleted, []);
});

test("removing spec.backup.schedule while a scheduled Job runs: the CronJob is suspended, not deleted (its garbage collection would take the Job mid-dump) until the Job ended", async () => {
  const resource = scheduled({ schedule: null });
  const { ctx, recorded, put } = recordingContext([resource, cronJob(resource), job(resource, 5, "running")]);
  await reconcileBackupSchedule(instanceOf(resource), ctx);
  assert.equal((recorded.applied[0]?.object as { spec?: { suspend?: boolean } }).spec?.suspend, true);
  await reconcileBackupSchedule(instanceOf(resource), ctx);
  assert.equal(recorded.deleted.length, 0, "kept while mysql-instance-backup-schedule-5 dumps");
  put(job(resource, 5, "failed"));
  await reconcileBackupSchedule(instanceOf(resource), ctx);
  assert.deepEqual(
    recorded.deleted.map((d) => `${d.kind}/${d.name}`),
    ["CronJob/mysql-instance-backup-schedule"],
  );
});

test("removing spec.backup.schedule while a scheduled Job runs that then succeeds: its dump is recorded in backup-NAME-info before the CronJob (and with it the Job) is deleted", async () => {
  const resource = scheduled({ schedule: null });
  const { ctx, recorded, put } = recordingContext([resource, cronJob(resource, true), info(resource, "2026-11-29T03:00:00Z"), job(resource, 5, "running")]);
  await reconcileBackupSchedule(instanceOf(resource), ctx);
  assert.equal(recorded.deleted.length, 0, "kept while mysql-instance-backup-schedule-5 dumps");
  put(job(resource, 5, "succeeded"));
  await reconcileBackupSchedule(instanceOf(resource), ctx);
  assert.equal(appliedInfo(recorded)?.lastSucceeded, "2026-11-29T04:05:00Z", "a next resource of this name restores the newest dump");
  assert.deepEqual(
    recorded.deleted.map((d) => `${d.kind}/${d.name}`),
    ["CronJob/mysql-instance-backup-schedule"],
  );
});

test("winding the schedule down, a Job the API server lists as ended while the cache still shows it running: the CronJob (and with it the Job) stays until the cache shows it, then its dump is recorded", async () => {
  const resource = scheduled({ schedule: null });
  const { ctx, recorded, put } = recordingContext([resource, cronJob(resource, true), info(resource, "2026-11-29T03:00:00Z"), job(resource, 5, "running")]);
  const ended = job(resource, 5, "succeeded");
  const lagging = { ...ctx, list: (async (apiVersion, kind, options) => (kind === "Job" ? [ended] : ctx.list(apiVersion, kind, options))) as typeof ctx.list };
  await reconcileBackupSchedule(instanceOf(resource), lagging);
  assert.equal(recorded.deleted.length, 0, "not deleted while the cache shows the Job running");
  assert.equal(appliedInfo(recorded), undefined);
  put(ended);
  await reconcileBackupSchedule(instanceOf(resource), lagging);
  assert.equal(appliedInfo(recorded)?.lastSucceeded, "2026-11-29T04:05:00Z");
  assert.deepEqual(
    recorded.deleted.map((d) => `${d.kind}/${d.name}`),
    ["CronJob/mysql-instance-backup-schedule"],
  );
});

test("recording the newest scheduled dump on the way out: never back to an older one; a wait while its report may still come; nothing in a namespace being deleted", async () => {
  const resource = scheduled({ schedule: null });
  // backup-NAME-info names a newer dump (a final backup's, say): left as it is.
  const newer = recordingContext([resource, cronJob(resource, true), info(resource, "2026-11-29T05:00:00Z"), job(resource, 5, "succeeded")]);
  assert.equal(await recordNewestScheduledDump(instanceOf(resource), newer.ctx), undefined);
  assert.equal(appliedInfo(newer.recorded), undefined, "never back to an older dump");
  // Ended seconds ago and its pod not listed yet: its report (file, size, checksum) may still come.
  const fresh = job(resource, 6, "succeeded");
  const now = new Date().toISOString() as unknown as Date;
  fresh.status = { ...fresh.status, completionTime: now, conditions: [{ type: "Complete", status: "True", lastTransitionTime: now }] };
  const pending = recordingContext([resource, cronJob(resource, true), info(resource, "2026-11-29T03:00:00Z"), fresh]);
  const waiting = await recordNewestScheduledDump(instanceOf(resource), pending.ctx);
  assert.equal(waiting?.kind, "wait", JSON.stringify(waiting));
  assert.equal(appliedInfo(pending.recorded), undefined);
  await reconcileBackupSchedule(instanceOf(resource), pending.ctx);
  assert.equal(pending.recorded.deleted.length, 0, "the CronJob stays while the dump is not recorded");
  // The namespace is being deleted: backup-NAME-info cannot be made, and goes with the namespace anyway.
  const terminating = recordingContext([resource, cronJob(resource, true), job(resource, 5, "succeeded")]);
  const refusing = {
    ...terminating.ctx,
    apply: (() =>
      Promise.reject(
        Object.assign(new Error("namespace default is being terminated"), { body: { details: { causes: [{ reason: "NamespaceTerminating" }] } } }),
      )) as typeof terminating.ctx.apply,
  };
  assert.equal(await recordNewestScheduledDump(instanceOf(resource), refusing), undefined);
});

test("deletion under --cascade=orphan: a schedule the garbage collector orphaned already is still suspended (without taking it back: a merge patch), and its running Job awaited", async () => {
  const resource = scheduled();
  const owned = cronJob(resource);
  const orphanedSchedule = { ...owned, metadata: { ...owned.metadata, ownerReferences: [] } } as KubernetesObject;
  const { ctx, recorded } = recordingContext([resource, orphanedSchedule, job(resource, 5, "running")]);
  const suspending = await quiesceBackupSchedule(instanceOf(resource), ctx);
  assert.equal(suspending?.kind, "wait", JSON.stringify(suspending));
  const stored = ctx.cache.get<KubernetesObject & { spec?: { suspend?: boolean } }>("batch/v1", "CronJob", "default", "mysql-instance-backup-schedule");
  assert.equal(stored?.spec?.suspend, true, "suspended: it would dump beside the final backup, and afterwards retention would remove the recorded dump");
  assert.deepEqual(stored?.metadata?.ownerReferences, [], "left without an owner, as the orphan cascade asked");
  assert.equal(recorded.applied.length, 0, "not applied with the resource as owner");
  const waiting = await quiesceBackupSchedule(instanceOf(resource), ctx);
  assert.ok(waiting?.kind === "wait" && waiting.message.includes("mysql-instance-backup-schedule-5"), JSON.stringify(waiting));
});

test("deletion: a running scheduled Job only the API server lists (made from a stale view just before the suspend, not cached yet) is awaited", async () => {
  const resource = scheduled();
  const { ctx } = recordingContext([resource, cronJob(resource, true), job(resource, 8, "running")]);
  const stale = {
    ...ctx,
    cache: {
      ...ctx.cache,
      list: <T extends KubernetesObject>(apiVersion: string, kind: string, namespace?: string) =>
        kind === "Job" ? [] : ctx.cache.list<T>(apiVersion, kind, namespace),
    },
  };
  assert.deepEqual(stale.cache.list("batch/v1", "Job", "default"), [], "the cache does not show it");
  const waiting = await quiesceBackupSchedule(instanceOf(resource), stale);
  assert.ok(waiting?.kind === "wait" && waiting.message.includes("mysql-instance-backup-schedule-8"), JSON.stringify(waiting));
});

test("deletion: the CronJob is suspended first, a running scheduled Job is awaited, then the final backup may start", async () => {
  const resource = scheduled();
  const live = recordingContext([resource, cronJob(resource)]);
  const suspending = await quiesceBackupSchedule(instanceOf(resource), live.ctx);
  assert.equal(suspending?.kind, "wait");
  assert.equal((live.recorded.applied[0]?.object as { spec?: { suspend?: boolean } }).spec?.suspend, true);

  const busy = recordingContext([resource, cronJob(resource, true), job(resource, 5, "running")]);
  const waiting = await quiesceBackupSchedule(instanceOf(resource), busy.ctx);
  assert.ok(waiting?.kind === "wait" && waiting.reason === "AwaitingScheduledBackup", JSON.stringify(waiting));
  assert.match(waiting.message, /mysql-instance-backup-schedule-5/);
  // Listed in the CronJob's status before the Job reached the cache: awaited too.
  const listed = await quiesceBackupSchedule(
    instanceOf(resource),
    recordingContext([resource, cronJob(resource, true, ["mysql-instance-backup-schedule-6"])]).ctx,
  );
  assert.ok(listed?.kind === "wait" && listed.message.includes("mysql-instance-backup-schedule-6"));

  // A scheduled Job whose pod never started (its image cannot be pulled) dumps nothing: it is removed, not awaited for hours.
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "stuck-pod", namespace: "default", creationTimestamp: "2020-01-01T00:00:00Z", labels: { "batch.kubernetes.io/controller-uid": "j-7" } },
    status: {
      phase: "Pending",
      containerStatuses: [{ name: "mysqlop", state: { waiting: { reason: "ImagePullBackOff", message: "Back-off pulling image" } } }],
    },
  } as unknown as KubernetesObject;
  const stuck = recordingContext([resource, cronJob(resource, true), job(resource, 7, "running"), pod]);
  const removing = await quiesceBackupSchedule(instanceOf(resource), stuck.ctx);
  assert.ok(removing?.kind === "wait" && /never started.*ImagePullBackOff/.test(removing.message), JSON.stringify(removing));
  // By uid (the API server's precondition): a Job of the same name made meanwhile is another Job, and is not deleted.
  assert.deepEqual(
    stuck.recorded.deleted.map((d) => `${d.kind}/${d.name} uid ${d.uid ?? "none"}`),
    ["Job/mysql-instance-backup-schedule-7 uid j-7"],
  );

  const idle = recordingContext([resource, cronJob(resource, true), job(resource, 5, "failed")]);
  assert.equal(await quiesceBackupSchedule(instanceOf(resource), idle.ctx), undefined);
  assert.equal(await quiesceBackupSchedule(instanceOf(resource), recordingContext([resource]).ctx), undefined, "no schedule, nothing to wait for");
});
