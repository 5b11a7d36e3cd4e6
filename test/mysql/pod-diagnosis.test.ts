/** Why a pod does not start (given/want), and what the hooks make of it: Degraded with the reason, never a silent wait. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { CoreV1Event, KubernetesObject, V1Job, V1PersistentVolume, V1PersistentVolumeClaim, V1Pod } from "@kubernetes/client-node";
import {
  buildBackupClaim,
  buildBackupJob,
  buildDataClaim,
  buildDataVolume,
  buildPasswordChangeJob,
  buildRestoreJob,
  JOB_DEADLINE_SECONDS,
} from "../../src/mysql/desired/index.ts";
import { instanceOf } from "../../src/mysql/instance.ts";
import { MySQLReconciler } from "../../src/mysql/mysql-reconciler.ts";
import { START_GRACE_MS, PENDING_GRACE_MS, podNotStarting, waitsOnlyForClaims } from "../../src/mysql/pod-diagnosis.ts";
import { bindingUnderway } from "../../src/mysql/volumes.ts";
import { madeByOperator, originalResource, recordingContext } from "./fixtures.ts";

const NOW = new Date("2026-11-28T12:00:00Z");
const ago = (ms: number): Date => new Date(NOW.getTime() - ms);

function pod(status: V1Pod["status"], createdMsAgo = START_GRACE_MS): V1Pod {
  return { apiVersion: "v1", kind: "Pod", metadata: { name: "p", uid: "pod-uid", creationTimestamp: ago(createdMsAgo) }, status };
}
const waiting = (reason: string, message: string): V1Pod["status"] => ({
  phase: "Pending",
  containerStatuses: [{ name: "mysqlop", image: "i", imageID: "", ready: false, restartCount: 0, state: { waiting: { reason, message } } }],
});
const warning = (reason: string, message: string): CoreV1Event => ({
  involvedObject: {},
  metadata: {},
  type: "Warning",
  reason,
  message,
  lastTimestamp: ago(5_000),
});

test("podNotStarting: the scheduler's verdict, a waiting reason that waiting will not fix, a Warning Event after a while, or Pending too long", () => {
  const cases: [string, V1Pod, CoreV1Event[], string | undefined][] = [
    [
      "unschedulable",
      pod({
        phase: "Pending",
        conditions: [
          { type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/2 nodes are available: 2 node(s) had volume node affinity conflict." },
        ],
      }),
      [],
      "Unschedulable: 0/2 nodes are available: 2 node(s) had volume node affinity conflict.",
    ],
    [
      "unbound claim",
      pod({
        phase: "Pending",
        conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "pod has unbound immediate PersistentVolumeClaims" }],
      }),
      [],
      "Unschedulable: pod has unbound immediate PersistentVolumeClaims",
    ],
    [
      "bad image",
      pod(waiting("ImagePullBackOff", 'Back-off pulling image "mysql:nope"')),
      [],
      'ImagePullBackOff: container mysqlop: Back-off pulling image "mysql:nope"',
    ],
    [
      "missing Secret",
      pod(waiting("CreateContainerConfigError", 'secret "x-credentials" not found')),
      [],
      'CreateContainerConfigError: container mysqlop: secret "x-credentials" not found',
    ],
    [
      "a volume that does not mount, after a while",
      pod(waiting("ContainerCreating", ""), START_GRACE_MS),
      [warning("FailedMount", 'MountVolume.SetUp failed for volume "backup": not found')],
      'FailedMount: MountVolume.SetUp failed for volume "backup": not found',
    ],
    ["a Warning Event of a pod just created: not yet", pod(waiting("ContainerCreating", ""), 1_000), [warning("FailedMount", "x")], undefined],
    [
      "unschedulable for a moment while its claim binds: not yet",
      pod(
        {
          phase: "Pending",
          conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "pod has unbound immediate PersistentVolumeClaims" }],
        },
        2_000,
      ),
      [],
      undefined,
    ],
    [
      "Pending too long without a reason",
      pod({ phase: "Pending" }, PENDING_GRACE_MS),
      [],
      "PodPending: Pending for 5 minutes without a reason from the scheduler or the kubelet",
    ],
    ["Pending a little: may still start", pod({ phase: "Pending" }, 10_000), [], undefined],
    ["running", pod({ phase: "Running" }), [], undefined],
    [
      "a server in a crash loop",
      pod({ ...waiting("CrashLoopBackOff", "back-off 40s restarting failed container"), phase: "Running" }),
      [],
      "CrashLoopBackOff: container mysqlop: back-off 40s restarting failed container",
    ],
    ["finished", pod({ phase: "Failed" }), [], undefined],
  ];
  for (const [name, given, events, want] of cases) {
    const got = podNotStarting(given, events, NOW);
    assert.equal(got === undefined ? undefined : `${got.cause}: ${got.message}`, want, name);
  }
});

test("waitsOnlyForClaims: the scheduler's unbound-claim verdict (condition or Event), nothing else", () => {
  const cases: [string, string, string, boolean][] = [
    ["condition", "Unschedulable", "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found", true],
    ["Event", "FailedScheduling", "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found", true],
    ["another verdict", "Unschedulable", "0/2 nodes are available: 2 node(s) had volume node affinity conflict.", false],
    ["a kubelet's words", "FailedMount", "pod has unbound immediate PersistentVolumeClaims", false],
  ];
  for (const [name, cause, message, want] of cases) assert.equal(waitsOnlyForClaims({ object: "pod p", cause, message }), want, name);
});

test("bindingUnderway: hostPath mode, the operator's volume pre-bound to this claim and Available or Bound to it; nothing else is certain to bind", () => {
  const hostPath = instanceOf(originalResource());
  const claim = (phase: string, uid = "claim-uid"): V1PersistentVolumeClaim => {
    const built = buildDataClaim(hostPath);
    return { ...built, metadata: { ...built.metadata, uid }, status: { phase } };
  };
  const volume = (phase: string | undefined, change: (pv: V1PersistentVolume) => V1PersistentVolume = (pv) => pv): V1PersistentVolume =>
    change({ ...buildDataVolume(hostPath), status: phase === undefined ? undefined : { phase } });
  const cases: [string, ReturnType<typeof instanceOf>, V1PersistentVolumeClaim | undefined, V1PersistentVolume | undefined, boolean][] = [
    ["Available", hostPath, claim("Pending"), volume("Available"), true],
    ["Bound, the claim not yet", hostPath, claim("Pending"), volume("Bound"), true],
    ["not synced yet", hostPath, claim("Pending"), volume(undefined), true],
    [
      "claimRef with this claim's uid",
      hostPath,
      claim("Pending"),
      volume("Bound", (pv) => ({ ...pv, spec: { ...pv.spec, claimRef: { ...pv.spec?.claimRef, uid: "claim-uid" } } })),
      true,
    ],
    [
      "claimRef with an earlier claim's uid",
      hostPath,
      claim("Pending"),
      volume("Bound", (pv) => ({ ...pv, spec: { ...pv.spec, claimRef: { ...pv.spec?.claimRef, uid: "old" } } })),
      false,
    ],
    ["Released", hostPath, claim("Pending"), volume("Released"), false],
    ["Failed", hostPath, claim("Pending"), volume("Failed"), false],
    ["a Lost claim", hostPath, claim("Lost"), volume("Bound"), false],
    ["no volume", hostPath, claim("Pending"), undefined, false],
    ["no claim", hostPath, undefined, volume("Available"), false],
    ["a volume of another resource", hostPath, claim("Pending"), volume("Available", (pv) => ({ ...pv, metadata: { ...pv.metadata, labels: {} } })), false],
    ["StorageClass mode", instanceOf(originalResource({ spec: { storageClassName: "never" } })), claim("Pending"), volume("Available"), false],
  ];
  for (const [name, instance, givenClaim, givenVolume, want] of cases) assert.equal(bindingUnderway(instance, givenClaim, givenVolume), want, name);
});

test("every Job has a deadline", () => {
  const instance = instanceOf(originalResource());
  assert.equal(buildBackupJob(instance).spec?.activeDeadlineSeconds, JOB_DEADLINE_SECONDS.dump);
  assert.equal(buildRestoreJob(instance).spec?.activeDeadlineSeconds, JOB_DEADLINE_SECONDS.dump);
  assert.equal(buildPasswordChangeJob(instance, "d").spec?.activeDeadlineSeconds, JOB_DEADLINE_SECONDS.passwordChange);
});

const reconciler = new MySQLReconciler();
const created = originalResource({ status: { appliedSpec: { image: '"mysql:5.7"' } } });

function jobPod(job: V1Job, status: V1Pod["status"]): V1Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${job.metadata?.name}-x`,
      namespace: "default",
      uid: "pod-uid",
      creationTimestamp: new Date(Date.now() - START_GRACE_MS),
      labels: { "batch.kubernetes.io/controller-uid": job.metadata?.uid ?? "" },
    },
    status,
  };
}

test("a backup Job whose pod cannot start holds the deletion as Degraded (BackupNotStarting) with the cause and the way out", async () => {
  const { ctx, put } = recordingContext([created]);
  await reconciler.finalize(created, ctx);
  const job: V1Job = { ...ctx.cache.get<V1Job>("batch/v1", "Job", "default", "backup-mysql-instance-job")!, status: { active: 1, ready: 0 } };
  job.metadata = { ...job.metadata, uid: "job-uid", creationTimestamp: new Date() };
  put(job);
  put(jobPod(job, { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/1 nodes are available" }] }));
  const result = await reconciler.finalize(created, ctx);
  assert.equal(result.kind === "failed" && result.reason, "BackupNotStarting");
  assert.match(
    result.kind === "failed" ? result.message : "",
    /^backup-mysql-instance-job: pod backup-mysql-instance-job-x cannot start: Unschedulable: 0\/1 nodes are available\. .*kubectl annotate mysql mysql-instance -n default otus\.homework\/final-backup=skip/,
  );
  put({ ...job, status: { active: 1, ready: 1 } } as V1Job);
  assert.equal((await reconciler.finalize(created, ctx)).kind, "wait", "a pod that runs: backing up");
});

test("a Job that cannot create its pod because the namespace is being deleted: NamespaceTerminating, with the way out", async () => {
  const { ctx, put } = recordingContext([created]);
  await reconciler.finalize(created, ctx);
  const job = ctx.cache.get<V1Job>("batch/v1", "Job", "default", "backup-mysql-instance-job")!;
  put({ ...job, metadata: { ...job.metadata, uid: "job-uid", creationTimestamp: new Date(Date.now() - START_GRACE_MS) }, status: { active: 0 } } as V1Job);
  put({
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: "e", namespace: "default" },
    involvedObject: { uid: "job-uid" },
    type: "Warning",
    reason: "FailedCreate",
    message:
      'Error creating: pods "backup-mysql-instance-job-x" is forbidden: unable to create new content in namespace default because it is being terminated',
  } as CoreV1Event);
  const result = await reconciler.finalize(created, ctx);
  assert.equal(result.kind === "failed" && result.reason, "NamespaceTerminating");
  assert.match(result.kind === "failed" ? result.message : "", /namespace default is being deleted.*otus\.homework\/final-backup=skip/);
});

test("the final backup skipped by the annotation: no backup Job, a Warning Event, both claims let go", async () => {
  const resource = originalResource({ status: { appliedSpec: { image: '"mysql:5.7"' } } });
  resource.metadata.annotations = { "otus.homework/final-backup": "skip" };
  const instance = instanceOf(resource);
  const claims = reconciler.desired(resource).filter((c) => c.kind === "PersistentVolumeClaim");
  const backupClaim = madeByOperator(buildBackupClaim(instance));
  const { ctx, recorded } = recordingContext([...claims, backupClaim]);
  const warnings: string[] = [];
  const result = await reconciler.finalize(resource, { ...ctx, events: { normal: () => {}, warning: (_o, r, m) => void warnings.push(`${r}: ${m}`) } });
  assert.equal(result.kind, "done");
  assert.ok(!recorded.applied.some((a) => a.object.kind === "Job"), "no backup Job");
  assert.match(warnings[0] ?? "", /^FinalBackupSkipped: deleted without a final backup, as the annotation otus\.homework\/final-backup=skip asked/);
  assert.deepEqual(recorded.finalizersRemoved, [
    "PersistentVolumeClaim/mysql-instance-pvc otus.homework/backup",
    "PersistentVolumeClaim/backup-mysql-instance-pvc otus.homework/backup",
  ]);
});

test("the backup claim: held by the operator's finalizer while the resource lives, its bound volume set to Retain before it is let go", async () => {
  const resource = originalResource({ spec: { storageClassName: "standard" }, status: { appliedSpec: { image: '"mysql:5.7"' } } });
  const provisioned = {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: "pvc-1234" },
    spec: { persistentVolumeReclaimPolicy: "Delete" },
  };
  const unprotected = madeByOperator({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "backup-mysql-instance-pvc", namespace: "default" },
    spec: { volumeName: "pvc-1234", storageClassName: "standard" },
  });
  const { ctx, recorded, put } = recordingContext([resource, provisioned, unprotected]);
  await reconciler.finalize(resource, ctx);
  assert.deepEqual(recorded.finalizersAdded, ["PersistentVolumeClaim/backup-mysql-instance-pvc otus.homework/backup"], "a claim made earlier is held too");
  const volume = await ctx.read<{ metadata?: { labels?: Record<string, string> }; spec?: { persistentVolumeReclaimPolicy?: string } } & KubernetesObject>({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: "pvc-1234" },
  });
  assert.equal(volume?.spec?.persistentVolumeReclaimPolicy, "Retain", "the provisioned volume is set to Retain");
  assert.equal(volume?.metadata?.labels, undefined, "only that field is patched: the provisioner's volume is not taken over");
  assert.ok(!recorded.applied.some((a) => a.object.kind === "PersistentVolume"), "no apply to it");
  put(
    Object.assign(structuredClone(ctx.cache.get<V1Job>("batch/v1", "Job", "default", "backup-mysql-instance-job")!), {
      status: { completionTime: "2026-11-26T15:00:00Z", conditions: [{ type: "Complete", status: "True" }] },
    }),
  );
  assert.equal((await reconciler.finalize(resource, ctx)).kind, "done");
  assert.ok(recorded.finalizersRemoved.includes("PersistentVolumeClaim/backup-mysql-instance-pvc otus.homework/backup"), "let go once done");
});
