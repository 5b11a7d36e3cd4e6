/**
 * The hand-written hooks: what each does from what the cache shows. The context is a
 * recording stand-in for the runtime (the loop itself is the runtime's to test); Jobs
 * are moved to Complete/Failed by hand, as the Job controller would.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import type {
  CoreV1Event,
  KubernetesObject,
  V1ConfigMap,
  V1Deployment,
  V1Job,
  V1PersistentVolume,
  V1PersistentVolumeClaim,
  V1Pod,
  V1ResourceRequirements,
  V1Secret,
} from "@kubernetes/client-node";
import {
  buildBackupClaim,
  buildBackupCronJob,
  buildBackupInfo,
  buildBackupJob,
  buildBackupVolume,
  buildCredentialsSecret,
  buildDataClaim,
  buildDataVolume,
  secretValue,
} from "../../src/mysql/desired/index.ts";
import { instanceOf } from "../../src/mysql/instance.ts";
import { childNames, labelsFor, serverSelector } from "../../src/mysql/names.ts";
import { PENDING_GRACE_MS, START_GRACE_MS } from "../../src/mysql/pod-diagnosis.ts";
import { MySQLReconciler } from "../../src/mysql/mysql-reconciler.ts";
import { BINDING_FALLBACK_MS, POLL_MS, SCHEDULER_BACKLOG_POLL_MS } from "../../src/mysql/result.ts";
import { STOP_BACKUP_GRACE_MS } from "../../src/mysql/backup-restore.ts";
import { EXIT_CODES } from "../../src/mysql/scripts/index.ts";
import type { MySQL } from "../../generated/mysql-models.ts";
import { AlreadyOwnedError, computeStatusPatch, MANAGED_BY_LABEL, type ReconcileContext } from "../../src/runtime/index.ts";
import { allStrings, madeByOperator, originalResource, recordingContext } from "./fixtures.ts";

const reconciler = new MySQLReconciler();

function finish(job: KubernetesObject, outcome: "Complete" | "Failed", message = ""): V1Job {
  return {
    ...(job as V1Job),
    status: {
      completionTime: outcome === "Complete" ? ("2026-11-26T15:00:00Z" as unknown as Date) : undefined,
      conditions: [{ type: outcome, status: "True", reason: outcome === "Failed" ? "PodFailurePolicy" : "Completed", message }],
    },
  };
}

function applied(recorded: { applied: { object: KubernetesObject; owner?: KubernetesObject }[] }): string[] {
  return recorded.applied.map((a) => `${a.object.kind}/${a.object.metadata?.name}${a.owner ? " (owned)" : ""}`);
}

function serverDeployment(availableReplicas: number): V1Deployment {
  return madeByOperator({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "mysql-instance", namespace: "default", generation: 1 },
    status: { observedGeneration: 1, availableReplicas },
  });
}

/** A resource of the same name as {@link originalResource}'s, deleted earlier: another uid. */
function earlierResource(overrides: Parameters<typeof originalResource>[0] = {}): MySQL {
  const earlier = originalResource(overrides);
  earlier.metadata.uid = "0ld00000-0000-4000-8000-000000000000";
  return earlier;
}

/** The hostPath data volume made for `resource`, bound to the claim whose uid is `claimUid`. */
function boundDataVolume(resource: MySQL, claimUid: string): V1PersistentVolume {
  const volume = buildDataVolume(instanceOf(resource));
  return { ...volume, spec: { ...volume.spec, claimRef: { ...volume.spec!.claimRef, uid: claimUid } }, status: { phase: "Bound" } };
}

test("onCreate without an earlier backup: volumes, backup storage (not owned), wait for the server → 'NAME created without restore-job'", async () => {
  const resource = originalResource();
  const { ctx, recorded, put } = recordingContext([ownedCredentials(resource, "otuspassword"), serverDeployment(0)]);
  const starting = await reconciler.onCreate(resource, ctx);
  assert.equal(starting.kind === "wait" && starting.reason, "Starting");
  // Written at once: in no particular order.
  assert.deepEqual(applied(recorded).toSorted(), [
    "PersistentVolume/backup-mysql-instance-pv",
    "PersistentVolume/mysql-instance-pv",
    "PersistentVolumeClaim/backup-mysql-instance-pvc",
  ]);
  put(serverDeployment(1));
  const result = await reconciler.onCreate(resource, ctx);
  const { serverStarted, ...rest } = result.status ?? {};
  assert.deepEqual({ ...result, status: rest }, { kind: "done", message: "mysql-instance created without restore-job", status: {} });
  assert.ok(!Number.isNaN(Date.parse(serverStarted ?? "")), "the first time the server is seen available is recorded");
  assert.equal(starting.status?.serverStarted, undefined, "not while it never was");
  assert.deepEqual(applied(recorded).slice(3), ["PersistentVolume/mysql-instance-pv"], "the backup storage is created once, never re-applied");
});

/** A server pod the scheduler holds back until its claim is bound, past the start grace, with its FailedScheduling Event. */
function claimWaitingServer(resource: ReturnType<typeof originalResource>, claimPhase: string): KubernetesObject[] {
  const instance = instanceOf(resource);
  const verdict = "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found";
  const pod: V1Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "mysql-instance-x",
      namespace: "default",
      uid: "pod-uid",
      labels: serverSelector(resource),
      creationTimestamp: new Date(Date.now() - START_GRACE_MS),
    },
    status: { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: verdict }] },
  };
  const claim = buildDataClaim(instance);
  return [
    ownedCredentials(resource, "otuspassword"),
    serverDeployment(0),
    pod,
    madeByOperator({ ...claim, metadata: { ...claim.metadata, uid: "claim-uid" }, status: { phase: claimPhase } }),
    warningEvent("pod-uid", "FailedScheduling", verdict),
  ];
}

function warningEvent(uid: string, reason: string, message: string): CoreV1Event {
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${uid}-${reason}`, namespace: "default" },
    involvedObject: { uid },
    type: "Warning",
    reason,
    message,
  };
}

test("onCreate, hostPath mode: a server pod held back until kube-controller-manager binds the claim to the operator's pre-bound volume is a wait naming both, however long it takes (no failure, no Event)", async () => {
  const resource = originalResource();
  const { ctx, recorded, put } = recordingContext(claimWaitingServer(resource, "Pending"));
  const volume = (phase: string): V1PersistentVolume => madeByOperator({ ...buildDataVolume(instanceOf(resource)), status: { phase } });
  for (const phase of ["Available", "Bound"]) {
    put(volume(phase));
    const waiting = await reconciler.onCreate(resource, ctx);
    assert.deepEqual(waiting.kind === "wait" && [waiting.reason, waiting.message, waiting.afterMs], [
      "Starting",
      "waiting for Deployment mysql-instance to become available (kube-controller-manager binds PersistentVolumeClaim mysql-instance-pvc to PersistentVolume mysql-instance-pv first, then the scheduler places the server's pod)",
      BINDING_FALLBACK_MS,
    ]);
  }
  assert.deepEqual(recorded.events, []);
  put(volume("Released"));
  const released = await reconciler.onCreate(resource, ctx);
  assert.equal(released.kind === "failed" && released.reason, "ServerNotStarting", "a Released volume does not bind by waiting");
});

test("onCreate, hostPath mode: a server pod Pending past the pending grace with no word from the scheduler yet (a thousand claims binding at once) is still the wait for the binding, while the claim binds to the operator's volume and for the pending grace after", async () => {
  const resource = originalResource();
  const objects = claimWaitingServer(resource, "Pending").filter((o) => o.kind !== "Event");
  const pod = objects.find((o) => o.kind === "Pod") as V1Pod;
  pod.metadata = { ...pod.metadata, creationTimestamp: new Date(Date.now() - PENDING_GRACE_MS - 60_000) };
  pod.status = { phase: "Pending" };
  const { ctx, recorded, put } = recordingContext([...objects, madeByOperator({ ...buildDataVolume(instanceOf(resource)), status: { phase: "Available" } })]);
  const waiting = await reconciler.onCreate(resource, ctx);
  assert.deepEqual(waiting.kind === "wait" && [waiting.reason, waiting.afterMs], ["Starting", BINDING_FALLBACK_MS]);
  assert.deepEqual(recorded.events, []);
  const claim = objects.find((o) => o.kind === "PersistentVolumeClaim") as V1PersistentVolumeClaim;
  const boundClaim: V1PersistentVolumeClaim = { ...claim, status: { phase: "Bound" } };
  put(boundClaim);
  // Just bound (the volume's phase changed a second ago): the scheduler takes up the pods it held back only now, and the
  // claim's own watch event may be what woke this reconcile.
  const boundVolume = (since: number): KubernetesObject =>
    madeByOperator({ ...buildDataVolume(instanceOf(resource)), status: { phase: "Bound", lastPhaseTransitionTime: new Date(Date.now() - since) } });
  // The claim's watch event came first: the operator's volume shows the binding only with its own event, still on its way.
  const lagging = await reconciler.onCreate(resource, ctx);
  assert.deepEqual(lagging.kind === "wait" && lagging.reason, "Starting", "the claim bound, its volume's event not in yet");
  put(boundVolume(1_000));
  const justBound = await reconciler.onCreate(resource, ctx);
  assert.deepEqual(justBound.kind === "wait" && justBound.reason, "Starting", "a claim bound a second ago: the scheduler's turn");
  assert.deepEqual(recorded.events, []);
  // With a thousand pods held back, the scheduler may take them up again minutes after their claims were bound: a pod
  // it has said nothing about gets the same grace after the binding as any pod after its creation.
  put(boundVolume(START_GRACE_MS + 60_000));
  const backlogged = await reconciler.onCreate(resource, ctx);
  assert.deepEqual(
    backlogged.kind === "wait" && [backlogged.reason, backlogged.afterMs],
    ["Starting", SCHEDULER_BACKLOG_POLL_MS],
    "bound a minute and a half ago, no word from the scheduler yet: its backlog, looked at again (a list of pods and one of Events) less often than every poll",
  );
  assert.deepEqual(recorded.events, []);
  put(boundVolume(PENDING_GRACE_MS + 1_000));
  const bound = await reconciler.onCreate(resource, ctx);
  assert.deepEqual(
    bound.kind === "failed" && [bound.reason, /PodPending/.test(bound.message)],
    ["ServerNotStarting", true],
    "once bound for longer than the pending grace, a pod still Pending with no word is diagnosed",
  );
});

test("onCreate, hostPath mode: the wait for kube-controller-manager's binding says what the first status said already (the claim binds first), so it writes no status of its own", async () => {
  const resource = originalResource();
  const objects = claimWaitingServer(resource, "Pending");
  const deployment = objects.find((o) => o.kind === "Deployment") as V1Deployment;
  deployment.metadata = { ...deployment.metadata, creationTimestamp: new Date() };
  const { ctx, put } = recordingContext([...objects, madeByOperator({ ...buildDataVolume(instanceOf(resource)), status: { phase: "Available" } })]);
  const first = await reconciler.onCreate(resource, ctx);
  assert.deepEqual(first.kind === "wait" && [first.reason, first.message], [
    "Starting",
    "waiting for Deployment mysql-instance to become available (kube-controller-manager binds PersistentVolumeClaim mysql-instance-pvc to PersistentVolume mysql-instance-pv first, then the scheduler places the server's pod)",
  ]);
  const written = { ...resource, status: { ...resource.status, ...(computeStatusPatch(resource, { result: first }) as MySQL["status"]) } };
  put({ ...deployment, metadata: { ...deployment.metadata, creationTimestamp: new Date(Date.now() - START_GRACE_MS) } });
  const binding = await reconciler.onCreate(written, ctx);
  assert.deepEqual(binding.kind === "wait" && [binding.reason, binding.afterMs], ["Starting", BINDING_FALLBACK_MS], "past the grace, the binding is awaited");
  assert.equal(computeStatusPatch(written, { result: binding }), undefined, "no status write while the claim binds");
});

test("onCreate, hostPath mode: while kube-controller-manager binds the claim to the operator's volume the pods are not listed and the next look is the fallback (the claim's watch wakes the reconcile); once bound, they are, every poll", async () => {
  const resource = originalResource();
  const objects = claimWaitingServer(resource, "Pending");
  const { ctx, put } = recordingContext([...objects, madeByOperator({ ...buildDataVolume(instanceOf(resource)), status: { phase: "Available" } })]);
  const listed: string[] = [];
  const list = ctx.list.bind(ctx);
  ctx.list = (apiVersion, kind, options) => {
    listed.push(kind);
    return list(apiVersion, kind, options);
  };
  const patient = new MySQLReconciler({ bindingFallbackMs: 3_600_000 });
  const binding = await patient.onCreate(resource, ctx);
  assert.deepEqual(binding.kind === "wait" && [binding.reason, binding.afterMs], ["Starting", 3_600_000]);
  assert.equal(listed.join(", "), "", "nothing listed while the claim binds");
  const claim = objects.find((o) => o.kind === "PersistentVolumeClaim") as V1PersistentVolumeClaim;
  const bound: V1PersistentVolumeClaim = { ...claim, spec: { ...claim.spec, volumeName: "mysql-instance-pv" }, status: { phase: "Bound" } };
  put(bound);
  const scheduling = await patient.onCreate(resource, ctx);
  assert.deepEqual(scheduling.kind === "wait" && [scheduling.reason, scheduling.afterMs], ["Starting", POLL_MS], "the scheduler's verdict may be stale");
  assert.ok(listed.includes("Pod"), `listed ${listed.join(", ")}`);
});

test("onCreate, hostPath mode: a Lost data claim is ServerNotStarting with the scheduler's verdict", async () => {
  const resource = originalResource();
  const { ctx } = recordingContext(claimWaitingServer(resource, "Lost"));
  const lost = await reconciler.onCreate(resource, ctx);
  assert.equal(lost.kind === "failed" && lost.reason, "ServerNotStarting");
});

test("onCreate, StorageClass mode: a claim still Pending after the start grace is ServerNotStarting with the scheduler's verdict, and the claim's Warning beside it", async () => {
  const resource = originalResource({ spec: { storageClassName: "never" } });
  const { ctx, put } = recordingContext(claimWaitingServer(resource, "Pending"));
  const verdict =
    "Deployment mysql-instance: pod mysql-instance-x cannot start: Unschedulable: 0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found";
  const stuck = await reconciler.onCreate(resource, ctx);
  assert.deepEqual(stuck.kind === "failed" && [stuck.reason, stuck.message], ["ServerNotStarting", verdict]);
  put(warningEvent("claim-uid", "ProvisioningFailed", 'storageclass.storage.k8s.io "never" not found'));
  const provisioning = await reconciler.onCreate(resource, ctx);
  assert.deepEqual(provisioning.kind === "failed" && [provisioning.reason, provisioning.message], [
    "ServerNotStarting",
    `${verdict}; PersistentVolumeClaim mysql-instance-pvc: ProvisioningFailed: storageclass.storage.k8s.io "never" not found`,
  ]);
});

test("onCreate: while the server's Deployment is younger than the start grace its pods are not listed (none could be diagnosed yet), and the next look is when the grace ends", async () => {
  const resource = originalResource();
  const young = serverDeployment(0);
  young.metadata = { ...young.metadata, creationTimestamp: new Date() };
  const { ctx } = recordingContext([ownedCredentials(resource, "otuspassword"), young]);
  const listed: string[] = [];
  const list = ctx.list.bind(ctx);
  ctx.list = (apiVersion, kind, options) => {
    listed.push(kind);
    return list(apiVersion, kind, options);
  };
  const starting = await reconciler.onCreate(resource, ctx);
  assert.deepEqual(starting.kind === "wait" && [starting.reason, starting.message], [
    "Starting",
    "waiting for Deployment mysql-instance to become available (kube-controller-manager binds PersistentVolumeClaim mysql-instance-pvc to PersistentVolume mysql-instance-pv first, then the scheduler places the server's pod)",
  ]);
  assert.equal(listed.includes("Pod"), false, `listed ${listed.join(", ")}`);
  assert.ok(starting.kind === "wait" && starting.afterMs > START_GRACE_MS / 2, "looked at again once the grace is over, not every poll");
  young.metadata = { ...young.metadata, creationTimestamp: new Date(Date.now() - START_GRACE_MS) };
  await reconciler.onCreate(resource, ctx);
  assert.equal(listed.includes("Pod"), true, "listed once the pods may be diagnosed");
});

test("onCreate: a server starting normally past the start grace is looked at again after a quarter of its Deployment's age, from POLL_MS up to SCHEDULER_BACKLOG_POLL_MS (each look lists its pods)", async () => {
  const resource = originalResource();
  const deployment = serverDeployment(0);
  const { ctx } = recordingContext([ownedCredentials(resource, "otuspassword"), deployment]);
  let podLists = 0;
  const list = ctx.list.bind(ctx);
  ctx.list = (apiVersion, kind, options) => {
    if (kind === "Pod") podLists++;
    return list(apiVersion, kind, options);
  };
  const nextLook = async (ageMs: number): Promise<number> => {
    deployment.metadata = { ...deployment.metadata, creationTimestamp: new Date(Date.now() - ageMs) };
    const result = await reconciler.onCreate(resource, ctx);
    assert.ok(result.kind === "wait" && result.reason === "Starting", JSON.stringify(result));
    return result.afterMs;
  };
  const near = (actual: number, expected: number, what: string): void =>
    assert.ok(Math.abs(actual - expected) < 1_000, `${what}: looked at again after ${actual} ms, not about ${expected} ms`);
  near(await nextLook(START_GRACE_MS), Math.max(POLL_MS, START_GRACE_MS / 4), "just past the grace");
  near(await nextLook(60_000), 15_000, "a minute old");
  near(await nextLook(10 * 60_000), SCHEDULER_BACKLOG_POLL_MS, "ten minutes old");
  assert.equal(podLists, 3, "its pods are listed at each look");
});

test("onCreate: a server pod the namespace refuses (the Deployment's ReplicaFailure) is ServerPodRefused with the admission's words and what to do", async () => {
  const refused = (resource: ReturnType<typeof originalResource>, message: string): V1Deployment => {
    const deployment = serverDeployment(0);
    return {
      ...deployment,
      metadata: { ...deployment.metadata, name: resource.metadata.name },
      status: { ...deployment.status, conditions: [{ type: "ReplicaFailure", status: "True", reason: "FailedCreate", message }] },
    };
  };
  const podSecurity =
    'pods "mysql-instance-5d8f9-x" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "volume-permissions")';
  const given: [string, ReturnType<typeof originalResource>, string, RegExp][] = [
    ["hostPath mode, restricted namespace", originalResource(), podSecurity, /use a storageClassName .* or enforce "baseline" in this namespace/],
    [
      "storage class, restricted namespace",
      originalResource({ spec: { storageClassName: "standard" } }),
      podSecurity,
      /meets the "restricted" Pod Security level/,
    ],
    ["a quota", originalResource(), 'pods "x" is forbidden: exceeded quota: compute', /ResourceQuota or LimitRange/],
  ];
  for (const [label, resource, message, hint] of given) {
    const { ctx } = recordingContext([ownedCredentials(resource, "otuspassword"), refused(resource, message)]);
    const result = await reconciler.onCreate(resource, ctx);
    assert.equal(result.kind === "failed" && result.reason, "ServerPodRefused", label);
    assert.ok(result.kind === "failed" && result.message.startsWith(`Deployment mysql-instance cannot create the server's pod: ${message}. `), label);
    assert.match(result.kind === "failed" ? result.message : "", hint, label);
  }
});

/** A new resource (dynamic provisioning) whose name has a backup recorded, and its context. */
function withEarlierBackup() {
  const resource = originalResource({ spec: { storageClassName: "standard" } });
  return {
    resource,
    ...recordingContext([resource, ownedCredentials(resource, "otuspassword"), buildBackupInfo(instanceOf(resource), "2026-11-26T14:00:00Z")]),
  };
}

test("onCreate with an earlier backup: restore Job (owned), wait, then 'NAME created with restore-job' with restore facts", async () => {
  const { resource, ctx, recorded, put } = withEarlierBackup();
  const first = await reconciler.onCreate(resource, ctx);
  assert.equal(first.kind, "wait");
  assert.ok(applied(recorded).includes("Job/restore-mysql-instance-job (owned)"));
  assert.ok(!applied(recorded).some((a) => a.startsWith("PersistentVolume/")), "dynamic provisioning: no hostPath volumes");
  assert.equal((await reconciler.onCreate(resource, ctx)).kind, "wait", "still running");
  put(finish(ctx.cache.get<V1Job>("batch/v1", "Job", "default", "restore-mysql-instance-job")!, "Complete"));
  // Restored, but the server's Deployment reports no available pod yet: creation is not done (Ready means a server answers).
  const starting = await reconciler.onCreate(resource, ctx);
  assert.ok(starting.kind === "wait" && starting.reason === "Starting", JSON.stringify(starting));
  put(serverDeployment(1));
  const done = await reconciler.onCreate(resource, ctx);
  const serverStarted = done.kind === "done" ? (done.status as { serverStarted?: string } | undefined)?.serverStarted : undefined;
  assert.ok(!Number.isNaN(Date.parse(serverStarted ?? "")), "the server seen available is recorded");
  assert.deepEqual(done, {
    kind: "done",
    message: "mysql-instance created with restore-job",
    status: { restore: { restoredAt: "2026-11-26T15:00:00Z", job: "restore-mysql-instance-job", fromDump: "/backup/mysqlop-dump.sql" }, serverStarted },
  });
});

test("onCreate: a restore that succeeded is recorded in status while the spec's password is still being set (else RestoreSucceeded is announced again on every poll of that change)", async () => {
  const resource = originalResource({ spec: { storageClassName: "standard" } });
  // The server started with an older password (the spec's changed meanwhile): step 8 changes it after the restore.
  const { ctx, recorded, put } = recordingContext([
    resource,
    ownedCredentials(resource, "older-pw"),
    buildBackupInfo(instanceOf(resource), "2026-11-26T14:00:00Z"),
    serverDeployment(1),
  ]);
  await reconciler.onCreate(resource, ctx);
  put(finish(ctx.cache.get<V1Job>("batch/v1", "Job", "default", "restore-mysql-instance-job")!, "Complete"));
  const changing = await reconciler.onCreate(resource, ctx);
  assert.ok(changing.kind === "wait" && ctx.cache.get("batch/v1", "Job", "default", "passwd-mysql-instance-job") !== undefined, JSON.stringify(changing));
  const restore = { restoredAt: "2026-11-26T15:00:00Z", job: "restore-mysql-instance-job", fromDump: "/backup/mysqlop-dump.sql" };
  assert.deepEqual((changing.status as { restore?: unknown } | undefined)?.restore, restore, "written with the wait for the password change");
  assert.equal(recorded.events.filter((e) => e.includes("RestoreSucceeded")).length, 1);
});

test("a restore names its backup by the dump's creation time, as the dump and the restore's log do (not by when its Job completed)", async () => {
  const resource = originalResource({ spec: { storageClassName: "standard" } });
  const report = { file: "history/mysqlop-dump-20261126T135958Z.sql", sizeBytes: 1234, sha256: "a".repeat(64), created: "2026-11-26T13:59:58Z" };
  const { ctx, recorded } = recordingContext([
    resource,
    ownedCredentials(resource, "otuspassword"),
    buildBackupInfo(instanceOf(resource), "2026-11-26T14:00:00Z", report),
  ]);
  const first = await reconciler.onCreate(resource, ctx);
  assert.deepEqual(recorded.events, [
    "Normal RestoreStarted: restore-mysql-instance-job restores /backup/history/mysqlop-dump-20261126T135958Z.sql (the backup of 2026-11-26T13:59:58Z)",
  ]);
  assert.ok(first.kind === "wait" && first.message === "restore-mysql-instance-job restores the backup of 2026-11-26T13:59:58Z", JSON.stringify(first));
});

test("onCreate with an earlier backup: one Normal Event when the restore Job is made, one when it succeeded, none on the reconciles between or after", async () => {
  const { resource, ctx, recorded, put } = withEarlierBackup();
  await reconciler.onCreate(resource, ctx);
  assert.deepEqual(recorded.events, [
    "Normal RestoreStarted: restore-mysql-instance-job restores /backup/mysqlop-dump.sql (the backup of 2026-11-26T14:00:00Z)",
  ]);
  await reconciler.onCreate(resource, ctx);
  assert.equal(recorded.events.length, 1, "still running: nothing new to announce");
  put(finish(ctx.cache.get<V1Job>("batch/v1", "Job", "default", "restore-mysql-instance-job")!, "Complete"));
  const starting = await reconciler.onCreate(resource, ctx);
  assert.deepEqual(recorded.events.slice(1), [
    "Normal RestoreSucceeded: restore-mysql-instance-job loaded /backup/mysqlop-dump.sql (the backup of 2026-11-26T14:00:00Z) into database otus-database",
  ]);
  // The restore is in status from then on (the loop writes it with the wait): the next reconciles announce it no more.
  assert.ok(starting.kind === "wait", JSON.stringify(starting));
  const restore = { restoredAt: "2026-11-26T15:00:00Z", job: "restore-mysql-instance-job", fromDump: "/backup/mysqlop-dump.sql" };
  assert.deepEqual((starting.status as { restore?: unknown } | undefined)?.restore, restore);
  const recordedRestore = { ...resource, status: { ...resource.status, restore } };
  await reconciler.onCreate(recordedRestore, ctx);
  put(serverDeployment(1));
  assert.equal((await reconciler.onCreate(recordedRestore, ctx)).kind, "done");
  assert.equal(recorded.events.length, 2, recorded.events.join("\n"));
});

test("onCreate: a restore refused because the database holds data is not a failure; other failures are", async () => {
  const resource = originalResource();
  for (const [exitCode, want] of [
    [EXIT_CODES.notEmpty, "done"],
    [EXIT_CODES.verify, "failed"],
  ] as const) {
    const { ctx, put } = recordingContext([resource, ownedCredentials(resource, "otuspassword"), buildBackupInfo(instanceOf(resource), "t")]);
    await reconciler.onCreate(resource, ctx);
    put(
      finish(
        ctx.cache.get<V1Job>("batch/v1", "Job", "default", "restore-mysql-instance-job")!,
        "Failed",
        `Container mysqlop for pod default/x failed with exit code ${exitCode} matching FailJob rule at index 0`,
      ),
    );
    put(serverDeployment(1));
    const result = await reconciler.onCreate(resource, ctx);
    assert.equal(result.kind, want, `exit ${exitCode}`);
    if (result.kind === "done") assert.match(result.message ?? "", /created without restore-job: the database already holds data/);
    if (result.kind === "failed") assert.equal(result.reason, "RestoreFailed");
  }
});

test("onCreate: a restore Job of an earlier resource of the same name is waited for while it runs, then deleted (that very Job) first", async () => {
  const resource = originalResource();
  const stale = madeByOperator({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: "restore-mysql-instance-job",
      namespace: "default",
      uid: "old-job-uid",
      ownerReferences: [{ apiVersion: "otus.homework/v1", kind: "MySQL", name: "mysql-instance", uid: "old-uid" }],
    },
  });
  const { ctx, recorded, put } = recordingContext([resource, ownedCredentials(resource, "otuspassword"), buildBackupInfo(instanceOf(resource), "t"), stale]);
  const running = await reconciler.onCreate(resource, ctx);
  assert.equal(
    running.kind === "wait" && running.message,
    "waiting for restore-mysql-instance-job, left by an earlier resource of this name, to end (it still runs; stopped half-way, it would leave its work half-done)",
  );
  assert.deepEqual(recorded.deleted, [], "never deleted while it runs");
  put(finish(stale, "Complete"));
  const result = await reconciler.onCreate(resource, ctx);
  assert.equal(result.kind, "wait");
  assert.deepEqual(recorded.deleted, [{ apiVersion: "batch/v1", kind: "Job", name: "restore-mysql-instance-job", namespace: "default", uid: "old-job-uid" }]);
});

test("a Job the cache shows missing is made only while the API server holds this very resource (a cache behind another writer: gone, or re-created)", async () => {
  const resource = originalResource({ status: { appliedSpec: { image: '"mysql:5.7"' } } });
  const gone = recordingContext([buildCredentialsSecret(instanceOf(resource), "p")]);
  const first = await reconciler.finalize(resource, gone.ctx);
  assert.equal(
    first.kind === "wait" && first.message,
    "backup-mysql-instance-job not made: mysql-instance (uid 3f1c2a9e-0000-4000-8000-000000000001) is gone on the API server, which this operator's cache does not show yet",
  );
  assert.deepEqual(
    applied(gone.recorded).filter((a) => a.startsWith("Job/")),
    [],
  );

  const again = { ...resource, metadata: { ...resource.metadata, uid: "new-uid" } };
  // The credentials are still the ones the cache's resource made (the new resource's would be refused to it, before any Job).
  const recreated = recordingContext([again, ownedCredentials(resource, "otuspassword"), buildBackupInfo(instanceOf(resource), "t")]);
  const restoring = await reconciler.onCreate(originalResource(), recreated.ctx);
  assert.match(
    restoring.kind === "wait" ? restoring.message : "",
    /^restore-mysql-instance-job not made: mysql-instance is another resource now \(uid new-uid, not 3f1c2a9e/,
  );
  assert.deepEqual(
    applied(recreated.recorded).filter((a) => a.startsWith("Job/")),
    [],
  );
});

test("onCreate: a backup record the cache cannot show (no managed-by label) stops creation with what to do, never 'created without restore-job'; labelled, it is restored", async () => {
  const resource = originalResource({ spec: { storageClassName: "standard" } });
  const info = buildBackupInfo(instanceOf(resource), "2026-11-26T14:00:00Z");
  const { [MANAGED_BY_LABEL]: _label, ...otherLabels } = info.metadata?.labels ?? {};
  const unlabelled: V1ConfigMap = { ...info, metadata: { ...info.metadata, labels: otherLabels } };
  const { ctx, recorded, put } = recordingContext([resource, ownedCredentials(resource, "otuspassword"), serverDeployment(1), unlabelled]);
  const refused = await reconciler.onCreate(resource, ctx);
  assert.equal(refused.kind, "failed", JSON.stringify(refused));
  assert.equal(refused.kind === "failed" && refused.reason, "AdoptionRefused");
  assert.equal(
    refused.kind === "failed" && refused.message,
    `ConfigMap default/backup-mysql-instance-info exists and was not made by mysqlop (it lacks the label ${MANAGED_BY_LABEL}=mysqlop), so it is left unchanged, and creation stops here: the backups of mysql-instance are recorded under that name, and this operator neither restores from that ConfigMap nor writes over it. If it is the record of an earlier backup of mysql-instance (copied from another cluster, say), add the label to restore that backup: kubectl label configmap backup-mysql-instance-info -n default ${MANAGED_BY_LABEL}=mysqlop. Otherwise rename or remove it; to start with an empty database, remove it (any dumps stay on backup-mysql-instance-pvc).`,
  );
  assert.deepEqual(
    applied(recorded).filter((a) => a.startsWith("Job/") || a.startsWith("ConfigMap/backup-")),
    [],
    "neither a restore nor a new record",
  );

  put(info);
  const restoring = await reconciler.onCreate(resource, ctx);
  assert.equal(restoring.kind, "wait");
  assert.ok(applied(recorded).includes("Job/restore-mysql-instance-job (owned)"), "labelled, the record is restored");
});

test("onCreate: a backup record the API server holds with the managed-by label, but the cache not yet, is waited for", async () => {
  const resource = originalResource({ spec: { storageClassName: "standard" } });
  const { ctx, recorded } = recordingContext([
    resource,
    ownedCredentials(resource, "otuspassword"),
    serverDeployment(1),
    buildBackupInfo(instanceOf(resource), "2026-11-26T14:00:00Z"),
  ]);
  const behind: ReconcileContext = {
    ...ctx,
    cache: {
      ...ctx.cache,
      get: <T extends KubernetesObject>(apiVersion: string, kind: string, namespace: string | undefined, name: string) =>
        kind === "ConfigMap" ? undefined : ctx.cache.get<T>(apiVersion, kind, namespace, name),
    },
  };
  const waiting = await reconciler.onCreate(resource, behind);
  assert.equal(
    waiting.kind === "wait" && waiting.message,
    "ConfigMap backup-mysql-instance-info (the record of an earlier backup) is on the API server, but not yet in this operator's cache",
  );
  assert.ok(!applied(recorded).some((a) => a.startsWith("Job/")));
});

test("passwordSecretRef: a password longer than 256 bytes in UTF-8 is refused, naming the Secret and key (the schema holds spec.password to it; a longer value would also split the option-file lines that carry it)", async () => {
  const resource = originalResource({ spec: { password: undefined, passwordSecretRef: { name: "root", key: "pw" } } });
  const secretWith = (password: string) =>
    ({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "root", namespace: "default" },
      data: { pw: Buffer.from(password).toString("base64") },
    }) as V1Secret;
  const long = `${"é".repeat(128)}x`;
  const { ctx, recorded } = recordingContext([serverDeployment(1), secretWith(long)]);
  const refused = await reconciler.onCreate(resource, ctx);
  assert.ok(refused.kind === "failed" && refused.reason === "PasswordInvalid", JSON.stringify(refused));
  assert.equal(
    refused.message,
    'the root password in Secret root, key "pw", is 257 bytes: at most 256 bytes in UTF-8 (MySQL 8\'s caching_sha2_password refuses longer passwords)',
  );
  assert.ok(!recorded.applied.some((a) => a.object.metadata?.name === "mysql-instance-credentials"), "no credentials made");
  assert.equal((await reconciler.onCreate(resource, recordingContext([serverDeployment(1), secretWith("é".repeat(128))]).ctx)).kind, "done");
});

test("onCreate with passwordSecretRef waits for the Secret, then copies it into NAME-credentials", async () => {
  const resource = originalResource({ spec: { password: undefined, passwordSecretRef: { name: "root", key: "pw" } } });
  const { ctx, recorded, put } = recordingContext([serverDeployment(1)]);
  const waiting = await reconciler.onCreate(resource, ctx);
  assert.equal(waiting.kind, "wait");
  assert.equal(waiting.kind === "wait" && waiting.reason, "PasswordSecretMissing");
  assert.deepEqual(
    recorded.read.filter((r) => r.startsWith("Secret/")),
    ["Secret/root (watch)"],
    "the user's Secret: read from the API server and watched",
  );
  put({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "root", namespace: "default" },
    data: { pw: Buffer.from("from-secret").toString("base64") },
  } as V1Secret);
  assert.equal((await reconciler.onCreate(resource, ctx)).kind, "done");
  const creds = recorded.applied.find((a) => a.object.metadata?.name === "mysql-instance-credentials");
  assert.ok(creds?.owner, "credentials are owned");
  assert.equal(secretValue(creds.object as V1Secret, "password"), "from-secret");
});

test("finalize: backup Job, wait, then record the backup, delete the hostPath data volume, done", async () => {
  const resource = originalResource({ status: { appliedSpec: { image: '"mysql:5.7"' } } });
  const { ctx, recorded, put } = recordingContext([resource, buildCredentialsSecret(instanceOf(resource), "p"), buildDataVolume(instanceOf(resource))]);
  const first = await reconciler.finalize(resource, ctx);
  assert.equal(first.kind, "wait");
  assert.ok(applied(recorded).includes("Job/backup-mysql-instance-job (owned)"));
  assert.ok(applied(recorded).includes("PersistentVolumeClaim/backup-mysql-instance-pvc"), "backup claim is not owned");
  put(finish(ctx.cache.get<V1Job>("batch/v1", "Job", "default", "backup-mysql-instance-job")!, "Complete"));
  const done = await reconciler.finalize(resource, ctx);
  assert.equal(done.kind, "done");
  assert.deepEqual(done.status, { backup: { lastSucceeded: "2026-11-26T15:00:00Z", job: "backup-mysql-instance-job", dumpFile: "/backup/mysqlop-dump.sql" } });
  const info = ctx.cache.get<V1ConfigMap>("v1", "ConfigMap", "default", "backup-mysql-instance-info");
  assert.equal(info?.data?.lastSucceeded, "2026-11-26T15:00:00Z");
  assert.ok(!recorded.applied.find((a) => a.object.metadata?.name === "backup-mysql-instance-info")?.owner, "the backup record outlives the resource");
  assert.deepEqual(recorded.deleted, [{ apiVersion: "v1", kind: "PersistentVolume", name: "mysql-instance-pv", namespace: undefined }]);
});

test("finalize: a failed backup keeps the finalizer (failed) and says how to go on; no backup before creation finished", async () => {
  const resource = originalResource({ status: { appliedSpec: { image: '"mysql:5.7"' } } });
  const { ctx, put } = recordingContext([resource]);
  await reconciler.finalize(resource, ctx);
  put(finish(ctx.cache.get<V1Job>("batch/v1", "Job", "default", "backup-mysql-instance-job")!, "Failed", "BackoffLimitExceeded"));
  const result = await reconciler.finalize(resource, ctx);
  assert.equal(result.kind, "failed");
  assert.equal(result.kind === "failed" && result.reason, "BackupFailed");
  assert.deepEqual(result.status, { backup: { job: "backup-mysql-instance-job" } }, "status names the failed Job while deletion is held");
  assert.match(
    result.kind === "failed" ? result.message : "",
    /delete the Job to retry, or give the final backup up with kubectl annotate mysql mysql-instance -n default otus\.homework\/final-backup=skip \(or remove the finalizer otus\.homework\/backup from this resource and from mysql-instance-pvc\)/,
  );

  const never = recordingContext();
  const skipped = await reconciler.finalize(originalResource(), never.ctx);
  assert.equal(skipped.kind, "done");
  assert.deepEqual(never.recorded.applied, [], "no Job, and an earlier backup is not overwritten");
});

test("finalize: a backup Job whose attempts fail while it retries holds the deletion and says why (Degraded, Warning Event), naming the Job", async () => {
  const resource = originalResource({ status: { appliedSpec: { image: '"mysql:5.7"' } } });
  const { ctx, put } = recordingContext([resource]);
  await reconciler.finalize(resource, ctx);
  const job = ctx.cache.get<V1Job>("batch/v1", "Job", "default", "backup-mysql-instance-job")!;
  put({ ...job, status: { active: 0, failed: 2 } } as V1Job);
  const result = await reconciler.finalize(resource, ctx);
  assert.equal(result.kind === "failed" && result.reason, "BackupRetrying");
  assert.deepEqual(result.status, { backup: { job: "backup-mysql-instance-job" } });
  assert.match(result.kind === "failed" ? result.message : "", /backup-mysql-instance-job: 2 of at most 7 attempts failed/);
  assert.match(result.kind === "failed" ? result.message : "", /kubectl logs job\/backup-mysql-instance-job/);
  put({ ...job, status: { active: 1 } } as V1Job);
  const first = await reconciler.finalize(resource, ctx);
  assert.equal(first.kind === "wait" && first.reason, "BackingUp", "no failed attempt yet: just backing up");
});

test("password change: Job with current and target in a Secret; on success the credentials hold the target", async () => {
  const resource = originalResource({ spec: { password: "new-pw" }, status: { appliedSpec: {} } });
  const { ctx, recorded, put } = recordingContext([resource, buildCredentialsSecret(instanceOf(resource), "old-pw")]);
  const change = { previous: undefined, current: "new-pw" } as const;
  assert.equal((await reconciler.onPasswordChange(resource, change, ctx)).kind, "wait");
  const job = ctx.cache.get<V1Job>("batch/v1", "Job", "default", "passwd-mysql-instance-job")!;
  assert.ok(!allStrings(job).some((s) => s.includes("new-pw") || s.includes("old-pw")), "no password in the Job");
  const changeSecret = ctx.cache.get<V1Secret>("v1", "Secret", "default", "mysql-instance-password-change")!;
  assert.match(secretValue(changeSecret, "client.cnf")!, /password="old-pw"/);
  assert.match(secretValue(changeSecret, "change.sql")!, /IDENTIFIED BY 'new-pw'/);
  put(finish(job, "Complete"));
  assert.deepEqual(await reconciler.onPasswordChange(resource, change, ctx), { kind: "done", message: "root password changed", status: undefined });
  assert.equal(secretValue(ctx.cache.get<V1Secret>("v1", "Secret", "default", "mysql-instance-credentials"), "password"), "new-pw");
  assert.ok(
    recorded.deleted.some((d) => d.name === "mysql-instance-password-change"),
    "the Secret with both passwords is removed",
  );

  // A newer change replaces the Job of the older one.
  const newer = originalResource({ spec: { password: "newer-pw" }, status: { appliedSpec: {} } });
  const waiting = await reconciler.onPasswordChange(newer, { previous: undefined, current: "newer-pw" }, ctx);
  assert.equal(waiting.kind, "wait");
  assert.ok(recorded.deleted.some((d) => d.kind === "Job" && d.name === "passwd-mysql-instance-job"));
});

test("image change: done only when the Deployment rolled out the new image; a stalled rollout fails", async () => {
  const resource = originalResource({ spec: { image: "mysql:8.0" } });
  const deployment = (image: string, status: V1Deployment["status"]): V1Deployment =>
    madeByOperator({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "mysql-instance", namespace: "default", generation: 2 },
      spec: { selector: {}, template: { spec: { containers: [{ name: "mysql", image }] } } },
      status,
    });
  const change = { previous: "mysql:5.7", current: "mysql:8.0" };
  const table: [V1Deployment, string][] = [
    [deployment("mysql:5.7", { observedGeneration: 1, availableReplicas: 1, updatedReplicas: 1 }), "wait"],
    [deployment("mysql:8.0", { observedGeneration: 2, availableReplicas: 0, updatedReplicas: 1 }), "wait"],
    [deployment("mysql:8.0", { observedGeneration: 2, availableReplicas: 1, updatedReplicas: 1 }), "done"],
    [
      deployment("mysql:8.0", {
        observedGeneration: 2,
        conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "timed out" }],
      }),
      "failed",
    ],
    // The stall of the previous image, B, reported before the Deployment controller saw this change to C (the apply's
    // answer carries the new generation and the old status): not this image's failure, a wait.
    [
      deployment("mysql:8.0", {
        observedGeneration: 1,
        conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "timed out" }],
      }),
      "wait",
    ],
  ];
  for (const [given, want] of table)
    assert.equal((await reconciler.onImageChange(resource, change, recordingContext([given]).ctx)).kind, want, JSON.stringify(given.status));
});

test("onResourcesChange: done once the rolled-out server carries the new amounts, however the API server writes them (0.5 is 500m)", async () => {
  const current = { requests: { cpu: "0.5", memory: "2Gi" }, limits: { memory: "2048Mi" } };
  const resource = originalResource({ spec: { resources: current } });
  const deployment = (resources: V1ResourceRequirements, status: V1Deployment["status"]): V1Deployment =>
    madeByOperator({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "mysql-instance", namespace: "default", generation: 2 },
      spec: { selector: {}, template: { spec: { containers: [{ name: "mysql", image: "mysql:5.7", resources }] } } },
      status,
    });
  const stored = { requests: { cpu: "500m", memory: "2Gi" }, limits: { memory: "2Gi" } };
  const rolledOut = { observedGeneration: 2, availableReplicas: 1, updatedReplicas: 1 };
  const table: [V1Deployment, string][] = [
    [
      deployment({ requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "1Gi" } }, { observedGeneration: 1, availableReplicas: 1, updatedReplicas: 1 }),
      "wait",
    ],
    [deployment(stored, { observedGeneration: 2, availableReplicas: 0, updatedReplicas: 1 }), "wait"],
    [deployment({ requests: stored.requests }, rolledOut), "wait"],
    [deployment(stored, rolledOut), "done"],
  ];
  const change = { previous: { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "1Gi" } }, current };
  for (const [given, want] of table) {
    const result = await reconciler.onResourcesChange(resource, change, recordingContext([given]).ctx);
    assert.equal(result.kind, want, JSON.stringify(given.spec?.template.spec?.containers[0]?.resources));
    if (result.kind === "wait")
      assert.match(result.message, /rolls over from resources requests cpu=250m memory=1Gi, limits memory=1Gi to requests cpu=0\.5 memory=2Gi/);
    if (result.kind === "done") assert.equal(result.message, "resources changed to requests cpu=0.5 memory=2Gi, limits memory=2048Mi");
  }
});

test("refused changes: shrink, hostPath growth; growth with a class is done", async () => {
  const { ctx } = recordingContext();
  const withClass = originalResource({
    spec: { storageClassName: "standard", storage_size: "2Gi" },
    status: { appliedSpec: { storage_size: '"1Gi"', storageClassName: '"standard"' } },
  });
  const table: [Promise<{ kind: string; reason?: string }>, string][] = [
    [reconciler.onStorageSizeChange(withClass, { previous: "2Gi", current: "1Gi" }), "StorageShrinkRefused"],
    [reconciler.onStorageSizeChange(originalResource({ spec: { storage_size: "2Gi" } }), { previous: "1Gi", current: "2Gi" }), "StorageResizeUnsupported"],
    [reconciler.onStorageSizeChange(withClass, { previous: "1Gi", current: "2Gi" }), "done"],
    // The same size written otherwise is no change, also where nothing can grow; a shrink is refused as such there too.
    [reconciler.onStorageSizeChange(originalResource({ spec: { storage_size: "1024Mi" } }), { previous: "1Gi", current: "1024Mi" }), "done"],
    [reconciler.onStorageSizeChange(originalResource({ spec: { storage_size: "512Mi" } }), { previous: "1Gi", current: "512Mi" }), "StorageShrinkRefused"],
  ];
  for (const [promise, want] of table) {
    const result = await promise;
    assert.equal(result.kind === "failed" ? result.reason : result.kind, want);
  }
  void ctx;
});

test("dispatchChanges (generated) calls exactly the hooks of changed fields; secrets only as hashes", async () => {
  const resource = originalResource({ spec: { image: "mysql:8.0", password: "new-pw" } });
  const fingerprints = (reconciler as unknown as { fingerprint(r: typeof resource): Record<string, string> }).fingerprint(resource);
  assert.match(fingerprints.password!, /^sha256:[0-9a-f]{64}$/);
  assert.ok(!Object.values(fingerprints).some((v) => v.includes("new-pw")));
  const called: string[] = [];
  class Spy extends MySQLReconciler {
    override async onImageChange(...args: Parameters<MySQLReconciler["onImageChange"]>) {
      called.push(`image ${args[1].previous}→${args[1].current}`);
      return this.done("image");
    }
    override async onPasswordChange(...args: Parameters<MySQLReconciler["onPasswordChange"]>) {
      called.push(`password ${String(args[1].previous)}`);
      return this.waitFor(1000, "PasswordChanging", "later", { message: "m" });
    }
  }
  const previous = { ...fingerprints, image: '"mysql:5.7"', password: "sha256:old" };
  const result = await (new Spy() as unknown as { dispatchChanges(r: unknown, p: unknown, c: unknown): Promise<unknown> }).dispatchChanges(
    resource,
    previous,
    recordingContext().ctx,
  );
  assert.deepEqual(called, ["image mysql:5.7→mysql:8.0", "password undefined"]);
  assert.deepEqual(result, { kind: "wait", afterMs: 1000, reason: "PasswordChanging", message: "later", status: { message: "m" } });
});

test("finalize before creation finished: no backup, but the hostPath data volume it created goes (else a re-create of the name is stuck)", async () => {
  const resource = originalResource();
  const { ctx, recorded } = recordingContext([buildDataVolume(instanceOf(resource))]);
  const result = await reconciler.finalize(resource, ctx);
  assert.equal(result.kind, "done");
  assert.ok(!recorded.applied.some((a) => a.object.kind === "Job"), "no backup Job: an earlier backup is not overwritten");
  assert.deepEqual(recorded.deleted, [{ apiVersion: "v1", kind: "PersistentVolume", name: "mysql-instance-pv", namespace: undefined }]);
});

test("onCreate: a data volume left by an earlier resource of this name is removed (Retain keeps its directory) and waited for, never patched", async () => {
  const old = earlierResource();
  const resource = originalResource();
  const leftover = { ...buildDataVolume(instanceOf(old)), status: { phase: "Released" } } as V1PersistentVolume;
  const { ctx, recorded, put } = recordingContext([ownedCredentials(resource, "otuspassword"), serverDeployment(1), leftover]);
  const first = await reconciler.onCreate(resource, ctx);
  assert.equal(first.kind === "wait" && first.reason, "WaitingForVolume");
  assert.ok(!applied(recorded).includes("PersistentVolume/mysql-instance-pv"), "its hostPath cannot change: an apply would fail");
  assert.deepEqual(recorded.deleted, [{ apiVersion: "v1", kind: "PersistentVolume", name: "mysql-instance-pv", namespace: undefined }]);

  // Still terminating (pv-protection): wait, do not delete again.
  put({ ...leftover, metadata: { ...leftover.metadata, deletionTimestamp: new Date() } });
  const terminating = await reconciler.onCreate(resource, ctx);
  assert.equal(terminating.kind === "wait" && terminating.reason, "WaitingForVolume");
  assert.equal(recorded.deleted.length, 1);
});

/** A resource whose creation is held (Progressing, WaitingForVolume) while an earlier resource's data volume of its name goes. */
function waitingForVolume(): MySQL {
  const condition = {
    status: "True" as const,
    reason: "WaitingForVolume",
    message: "PersistentVolume mysql-instance-pv of an earlier resource of this name is being removed",
    lastTransitionTime: "2026-11-30T03:15:17Z",
  };
  return originalResource({
    status: {
      conditions: [
        { type: "Ready", ...condition, status: "False" },
        { type: "Progressing", ...condition },
      ],
    },
  });
}

test("while an earlier resource's data volume of the name goes, the loop makes neither the claim nor the server (kube-controller-manager would find the volume bound to a different claim: Warning FailedBinding)", () => {
  const kinds = (resource: MySQL) => reconciler.desired(resource).map((child) => child.kind);
  assert.deepEqual(kinds(waitingForVolume()), ["ConfigMap", "Service"]);
  // Once creation finished, or before any wait, the loop keeps them as always.
  assert.deepEqual(kinds({ ...waitingForVolume(), status: { ...waitingForVolume().status, appliedSpec: { image: "x" } } }), [
    "ConfigMap",
    "PersistentVolumeClaim",
    "Service",
    "Deployment",
  ]);
  assert.deepEqual(kinds(originalResource()), ["ConfigMap", "PersistentVolumeClaim", "Service", "Deployment"]);
});

test("onCreate after the wait for an earlier resource's data volume: once it is gone, the volume, the claim and the server are made in one step", async () => {
  const resource = waitingForVolume();
  const { ctx, recorded } = recordingContext([ownedCredentials(resource, "otuspassword"), buildBackupClaim(instanceOf(resource))]);
  await reconciler.onCreate(resource, ctx);
  assert.deepEqual(applied(recorded).toSorted(), [
    "Deployment/mysql-instance (owned)",
    "PersistentVolume/backup-mysql-instance-pv",
    "PersistentVolume/mysql-instance-pv",
    "PersistentVolumeClaim/mysql-instance-pvc (owned)",
  ]);
});

test("onCreate: a data volume of an earlier resource still bound to the claim this resource now controls is kept as it is", async () => {
  const old = earlierResource();
  const resource = originalResource();
  const claim = madeByOperator({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: "mysql-instance-pvc",
      namespace: "default",
      uid: "claim-uid",
      ownerReferences: [{ apiVersion: "otus.homework/v1", kind: "MySQL", name: "mysql-instance", uid: resource.metadata.uid!, controller: true }],
    },
  });
  const bound = boundDataVolume(old, "claim-uid");
  const { ctx, recorded } = recordingContext([ownedCredentials(resource, "otuspassword"), serverDeployment(1), bound, claim]);
  const result = await reconciler.onCreate(resource, ctx);
  assert.equal(result.kind, "done");
  assert.deepEqual(recorded.deleted, []);
  assert.ok(!applied(recorded).includes("PersistentVolume/mysql-instance-pv"));
});

test("onCreate, hostPath mode: the data volume and claim an earlier resource of this name left without an owner (--cascade=orphan) are adopted with its server, never deleted under it", async () => {
  const old = earlierResource();
  const resource = originalResource();
  // What the garbage collector leaves of the earlier resource's claim: its labels, no owner.
  const orphanedClaim = madeByOperator({
    ...buildDataClaim(instanceOf(old)),
    metadata: { ...buildDataClaim(instanceOf(old)).metadata, uid: "claim-uid" },
    status: { phase: "Bound" },
  });
  const bound = boundDataVolume(old, "claim-uid");
  // A new resource: its placement is decided by the create hook, which then makes the claim and the server itself.
  delete resource.status;
  const { ctx, recorded } = recordingContext([resource, buildCredentialsSecret(instanceOf(old), "otuspassword"), serverDeployment(1), bound, orphanedClaim]);
  const result = await reconciler.onCreate(resource, ctx);
  assert.deepEqual(recorded.deleted, [], "the volume the server runs on is not deleted");
  assert.equal(result.kind === "done" && result.message, "mysql-instance created without restore-job", JSON.stringify(result));
  const claim = ctx.cache.get<V1PersistentVolumeClaim>("v1", "PersistentVolumeClaim", "default", "mysql-instance-pvc");
  assert.ok(
    claim?.metadata?.ownerReferences?.some((r) => r.controller === true && r.uid === resource.metadata.uid),
    "the claim is adopted",
  );
  const node = bound.spec?.nodeAffinity?.required?.nodeSelectorTerms[0]?.matchExpressions?.[0]?.values?.[0];
  assert.ok(node !== undefined);
  assert.deepEqual(
    result.status?.storage,
    { mode: "HostPath", node, reason: "its claim mysql-instance-pvc is bound to a hostPath volume already" },
    "placed on the volume's node",
  );
});

test("a name starting with 'backup-' is refused: its data claim and volume would be another resource's backup claim and volume", async () => {
  const other = originalResource({ name: "y" });
  const clash = originalResource({ name: "backup-y" });
  assert.equal(childNames(clash).dataClaim, childNames(other).backupClaim, "the clash this guards against");
  assert.equal(childNames(clash).dataVolume, childNames(other).backupVolume);
  assert.deepEqual(reconciler.desired(clash), [], "nothing applied: the loop would adopt the backup claim as a data claim");
  const { ctx, recorded } = recordingContext([buildBackupClaim(instanceOf(other)), buildBackupVolume(instanceOf(other))]);
  const created = await reconciler.onCreate(clash, ctx);
  assert.equal(created.kind === "failed" && created.reason, "NameReserved");
  const finalized = await reconciler.finalize(clash, ctx);
  assert.equal(finalized.kind, "done");
  assert.deepEqual(recorded.applied, []);
  assert.deepEqual(recorded.deleted, [], "the other resource's backup volume is untouched");
});

/** NAME-credentials as this resource's own (controller reference to its uid). */
function ownedCredentials(resource: ReturnType<typeof originalResource>, password: string): V1Secret {
  const secret = buildCredentialsSecret(instanceOf(resource), password);
  return {
    ...secret,
    metadata: {
      ...secret.metadata,
      ownerReferences: [{ apiVersion: "otus.homework/v1", kind: "MySQL", name: resource.metadata.name!, uid: resource.metadata.uid!, controller: true }],
    },
  };
}

test("a password changed while creating never rewrites NAME-credentials behind the server's back; creation ends with the change applied", async () => {
  // The server started with "first-pw"; the spec now asks for "second-pw" before creation finished.
  const resource = originalResource({ spec: { password: "second-pw" } });
  assert.ok(!reconciler.desired(resource).some((c) => c.kind === "Secret"), "the loop must not overwrite the credentials the server started with");
  const { ctx } = recordingContext([ownedCredentials(resource, "first-pw"), serverDeployment(1)]);
  const result = await reconciler.onCreate(resource, ctx);
  assert.equal(result.kind === "wait" && result.reason, "PasswordChanging", "not done while the server has another password than the spec");
  assert.equal(secretValue(ctx.cache.get<V1Secret>("v1", "Secret", "default", "mysql-instance-credentials"), "password"), "first-pw");
  const job = ctx.cache.get<V1Job>("batch/v1", "Job", "default", "passwd-mysql-instance-job");
  assert.ok(job !== undefined, "the change goes through the password Job");
});

test("NAME-credentials left by an earlier resource of this name are neither trusted nor taken over: made anew once the garbage collector removed them", async () => {
  const resource = originalResource({ spec: { password: undefined, passwordSecretRef: { name: "root", key: "pw" } } });
  const stale = buildCredentialsSecret(instanceOf(resource), "old-incarnation");
  stale.metadata!.ownerReferences = [{ apiVersion: "otus.homework/v1", kind: "MySQL", name: "mysql-instance", uid: "old-uid", controller: true }];
  const root = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "root", namespace: "default" },
    data: { pw: Buffer.from("from-secret").toString("base64") },
  } as V1Secret;
  const { ctx, recorded } = recordingContext([stale, root]);
  // Not taken over: the garbage collector removes the earlier resource's Secret; until then nothing of the step is made.
  const refused = await reconciler.onCreate(resource, ctx).then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(refused instanceof AlreadyOwnedError && refused.previousOwner, String(refused));
  assert.equal(secretValue(ctx.cache.get<V1Secret>("v1", "Secret", "default", "mysql-instance-credentials"), "password"), "old-incarnation");
  assert.ok(!applied(recorded).includes("Deployment/mysql-instance"), "no server with the earlier resource's password");
  await ctx.delete({ apiVersion: "v1", kind: "Secret", metadata: { name: "mysql-instance-credentials", namespace: "default" } });
  await reconciler.onCreate(resource, ctx);
  assert.equal(secretValue(ctx.cache.get<V1Secret>("v1", "Secret", "default", "mysql-instance-credentials"), "password"), "from-secret");
});

test("NAME-credentials orphaned by an earlier resource of this name (--cascade=orphan) are adopted as they are: the server left running has that password; the spec's follows by a password change", async () => {
  const earlier = earlierResource({ spec: { password: "pw-2", storageClassName: "standard" } });
  const resource = originalResource({ spec: { password: "pw-1", storageClassName: "standard" } });
  // What the garbage collector leaves of the earlier resource's children: its labels, no owner.
  const orphaned = buildCredentialsSecret(instanceOf(earlier), "pw-2");
  const claim = { ...buildDataClaim(instanceOf(earlier)), status: { phase: "Bound" } };
  const { ctx, recorded, put } = recordingContext([resource, orphaned, madeByOperator(claim), serverDeployment(1)]);
  const credentials = (): string | undefined => secretValue(ctx.cache.get<V1Secret>("v1", "Secret", "default", "mysql-instance-credentials"), "password");
  const changing = await reconciler.onCreate(resource, ctx);
  assert.equal(credentials(), "pw-2", "not overwritten from the spec behind the server's back");
  const adopted = recorded.applied.find((a) => a.object.kind === "Secret" && a.object.metadata?.name === "mysql-instance-credentials");
  assert.equal(adopted?.owner?.metadata?.uid, resource.metadata.uid, "adopted: owned by the new resource");
  assert.equal(changing.kind === "wait" && changing.reason, "PasswordChanging", JSON.stringify(changing));
  const change = ctx.cache.get<V1Secret>("v1", "Secret", "default", "mysql-instance-password-change");
  assert.match(secretValue(change, "client.cnf") ?? "", /^password="pw-2"$/m, "the change connects with the adopted password");
  assert.match(secretValue(change, "change.sql") ?? "", /IDENTIFIED BY 'pw-1'/);
  put(finish(ctx.cache.get<V1Job>("batch/v1", "Job", "default", "passwd-mysql-instance-job")!, "Complete"));
  const created = await reconciler.onCreate(resource, ctx);
  assert.equal(created.kind === "done" && created.message, "mysql-instance created without restore-job");
  assert.equal(credentials(), "pw-1");
});

test("a password Job that succeeded is recorded before a newer change replaces it (the server has its password now)", async () => {
  const first = originalResource({ spec: { password: "pw-2" }, status: { appliedSpec: {} } });
  const { ctx, put } = recordingContext([first, ownedCredentials(first, "pw-1")]);
  assert.equal((await reconciler.onPasswordChange(first, { previous: undefined, current: "pw-2" }, ctx)).kind, "wait");
  put(finish(ctx.cache.get<V1Job>("batch/v1", "Job", "default", "passwd-mysql-instance-job")!, "Complete"));
  // The spec moved on to pw-3 before the operator saw the Job finish.
  const second = originalResource({ spec: { password: "pw-3" }, status: { appliedSpec: {} } });
  for (let i = 0; i < 3; i++) await reconciler.onPasswordChange(second, { previous: undefined, current: "pw-3" }, ctx);
  assert.equal(secretValue(ctx.cache.get<V1Secret>("v1", "Secret", "default", "mysql-instance-credentials"), "password"), "pw-2");
  const change = ctx.cache.get<V1Secret>("v1", "Secret", "default", "mysql-instance-password-change");
  assert.match(secretValue(change, "client.cnf") ?? "", /password="pw-2"/, "the next change connects with the password the server has");
  assert.match(secretValue(change, "change.sql") ?? "", /IDENTIFIED BY 'pw-3'/);
});

test("a password Job that failed (it may have set its password first) and then a newer change: the next Job also tries the failed change's password, and every change's since", async () => {
  const first = originalResource({ spec: { password: "pw-2" }, status: { appliedSpec: {} } });
  const { ctx, put } = recordingContext([first, ownedCredentials(first, "pw-1")]);
  assert.equal((await reconciler.onPasswordChange(first, { previous: undefined, current: "pw-2" }, ctx)).kind, "wait");
  const job = (): V1Job => ctx.cache.get<V1Job>("batch/v1", "Job", "default", "passwd-mysql-instance-job")!;
  put(finish(job(), "Failed", "Job has reached the specified backoff limit"));
  const failedChange = await reconciler.onPasswordChange(first, { previous: undefined, current: "pw-2" }, ctx);
  assert.equal(failedChange.kind, "failed");
  assert.match(failedChange.kind === "failed" ? failedChange.message : "", /or the new one if the Job set it before it failed/);

  // The spec moves on to pw-3: the failed Job goes, and the next one connects with pw-1, else pw-3, else pw-2.
  const clientFile = (): string => secretValue(ctx.cache.get<V1Secret>("v1", "Secret", "default", "mysql-instance-password-change"), "client.cnf") ?? "";
  const passwords = (): string[] => [...clientFile().matchAll(/^password="(.*)"$/gm)].map((m) => m[1]!);
  const third = originalResource({ spec: { password: "pw-3" }, status: { appliedSpec: {} } });
  for (let i = 0; i < 3; i++) await reconciler.onPasswordChange(third, { previous: undefined, current: "pw-3" }, ctx);
  assert.match(secretValue(ctx.cache.get<V1Secret>("v1", "Secret", "default", "mysql-instance-password-change"), "change.sql") ?? "", /IDENTIFIED BY 'pw-3'/);
  assert.deepEqual(passwords(), ["pw-1", "pw-3", "pw-2"]);
  assert.match(clientFile(), /^\[client_1\]\npassword="pw-3"\n\[client_2\]\npassword="pw-2"$/m);

  // That one vanishes too (deleted by hand) before pw-4: pw-2 and pw-3 are both still candidates.
  await ctx.delete({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "passwd-mysql-instance-job", namespace: "default" } });
  const fourth = originalResource({ spec: { password: "pw-4" }, status: { appliedSpec: {} } });
  await reconciler.onPasswordChange(fourth, { previous: undefined, current: "pw-4" }, ctx);
  assert.deepEqual(passwords(), ["pw-1", "pw-4", "pw-3", "pw-2"]);
  assert.equal(
    secretValue(ctx.cache.get<V1Secret>("v1", "Secret", "default", "mysql-instance-credentials"), "password"),
    "pw-1",
    "nothing recorded unverified",
  );

  // Once a Job succeeded, its password is recorded and the Secret with all the others goes.
  put(finish(job(), "Complete"));
  assert.equal((await reconciler.onPasswordChange(fourth, { previous: undefined, current: "pw-4" }, ctx)).kind, "done");
  assert.equal(secretValue(ctx.cache.get<V1Secret>("v1", "Secret", "default", "mysql-instance-credentials"), "password"), "pw-4");
  assert.equal(ctx.cache.get<V1Secret>("v1", "Secret", "default", "mysql-instance-password-change"), undefined);
});

test("a password change whose Job failed, then reverted: a Job sets the recorded password again, trying the failed change's, before the Secret holding it goes", async () => {
  const first = originalResource({ spec: { password: "pw-2" }, status: { appliedSpec: {} } });
  const { ctx, put } = recordingContext([first, ownedCredentials(first, "pw-1")]);
  await reconciler.onPasswordChange(first, { previous: undefined, current: "pw-2" }, ctx);
  const job = (): V1Job | undefined => ctx.cache.get<V1Job>("batch/v1", "Job", "default", "passwd-mysql-instance-job");
  const change = (): V1Secret | undefined => ctx.cache.get<V1Secret>("v1", "Secret", "default", "mysql-instance-password-change");
  put(finish(job()!, "Failed", "Job has reached the specified backoff limit"));
  // The server may have pw-2 now; the spec goes back to pw-1, which NAME-credentials hold.
  const reverted = originalResource({ spec: { password: "pw-1" }, status: { appliedSpec: {} } });
  // The failed Job goes first (by uid, once the API server confirmed it), then the new one is made.
  const removing = await reconciler.onPasswordChange(reverted, { previous: undefined, current: "pw-1" }, ctx);
  assert.equal(removing.kind, "wait", "not done: the server may have pw-2");
  assert.equal(job(), undefined, "the failed Job is removed");
  const result = await reconciler.onPasswordChange(reverted, { previous: undefined, current: "pw-1" }, ctx);
  assert.equal(result.kind === "wait" && result.reason, "PasswordChanging", JSON.stringify(result));
  assert.deepEqual(
    [...(secretValue(change(), "client.cnf") ?? "").matchAll(/^password="(.*)"$/gm)].map((m) => m[1]),
    ["pw-1", "pw-2"],
    "connects with pw-1, else with the failed change's pw-2",
  );
  assert.match(secretValue(change(), "change.sql") ?? "", /IDENTIFIED BY 'pw-1'/);
  put(finish(job()!, "Complete"));
  assert.equal((await reconciler.onPasswordChange(reverted, { previous: undefined, current: "pw-1" }, ctx)).kind, "done");
  assert.equal(change(), undefined, "gone once a Job succeeded");
});

test("finalize: a password change under way finishes (and is recorded) before the backup Job starts", async () => {
  const resource = originalResource({ spec: { password: "pw-2" }, status: { appliedSpec: {} } });
  const { ctx, put } = recordingContext([ownedCredentials(resource, "pw-1")]);
  await reconciler.onPasswordChange(resource, { previous: undefined, current: "pw-2" }, ctx);
  const running = await reconciler.finalize(resource, ctx);
  assert.equal(running.kind === "wait" && running.reason, "PasswordChanging");
  assert.match(
    running.kind === "wait" ? running.message : "",
    /give the final backup up with kubectl annotate mysql mysql-instance -n default otus\.homework\/final-backup=skip/,
  );
  assert.equal(ctx.cache.get("batch/v1", "Job", "default", "backup-mysql-instance-job"), undefined, "no backup with credentials that may be stale");
  put(finish(ctx.cache.get<V1Job>("batch/v1", "Job", "default", "passwd-mysql-instance-job")!, "Complete"));
  const backingUp = await reconciler.finalize(resource, ctx);
  assert.equal(backingUp.kind === "wait" && backingUp.reason, "BackingUp");
  assert.deepEqual(backingUp.status, { backup: { job: "backup-mysql-instance-job" } });
  assert.equal(
    secretValue(ctx.cache.get<V1Secret>("v1", "Secret", "default", "mysql-instance-credentials"), "password"),
    "pw-2",
    "the backup connects with the password the server has",
  );
});

test("the password Job names its target only by a hash keyed with a secret (not with the resource's public uid)", async () => {
  const resource = originalResource({ spec: { password: undefined, passwordSecretRef: { name: "root", key: "pw" } }, status: { appliedSpec: {} } });
  const root = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "root", namespace: "default" },
    data: { pw: Buffer.from("guessable").toString("base64") },
  } as V1Secret;
  const { ctx } = recordingContext([ownedCredentials(resource, "old"), root]);
  await reconciler.onPasswordSecretRefChange(resource, { previous: undefined, current: { name: "root", key: "pw" } }, ctx);
  const job = ctx.cache.get<V1Job>("batch/v1", "Job", "default", "passwd-mysql-instance-job")!;
  const guess = createHmac("sha256", resource.metadata.uid!).update("guessable").digest("hex");
  assert.ok(!allStrings(job.metadata).some((s) => s.includes(guess)), "anyone who can read Jobs could test guesses against it");
});

test("the data claim carries the backup finalizer; finalize releases it only with the backup done (or nothing to back up)", async () => {
  const resource = originalResource({ status: { appliedSpec: { image: '"mysql:5.7"' } } });
  const claim = reconciler.desired(resource).find((c) => c.kind === "PersistentVolumeClaim")!;
  assert.deepEqual(claim.metadata?.finalizers, ["otus.homework/backup"], "a cascading delete cannot take the data before the backup");
  const { ctx, recorded, put } = recordingContext([resource, claim]);
  await reconciler.finalize(resource, ctx);
  assert.deepEqual(recorded.finalizersRemoved, [], "not while the backup runs");
  put(finish(ctx.cache.get<V1Job>("batch/v1", "Job", "default", "backup-mysql-instance-job")!, "Complete"));
  assert.equal((await reconciler.finalize(resource, ctx)).kind, "done");
  assert.deepEqual(recorded.finalizersRemoved, [
    "PersistentVolumeClaim/mysql-instance-pvc otus.homework/backup",
    "PersistentVolumeClaim/backup-mysql-instance-pvc otus.homework/backup",
  ]);

  const early = recordingContext([claim]);
  assert.equal((await reconciler.finalize(originalResource(), early.ctx)).kind, "done");
  assert.deepEqual(early.recorded.finalizersRemoved, ["PersistentVolumeClaim/mysql-instance-pvc otus.homework/backup"], "nothing to back up: the claim may go");
});

test("deleted during an unfinished creation: once a backup Job was made (the server ran), a failed backup deleted to retry never becomes 'nothing to back up'", async () => {
  // Creation unfinished (a restore or password change under way), the server down, no Job: but status says a
  // backup Job was made for this deletion, so the server ran and may hold writes; the data claim stays.
  const resource = originalResource({ status: { backup: { job: "backup-mysql-instance-job" } } });
  const claim = reconciler.desired(resource).find((c) => c.kind === "PersistentVolumeClaim")!;
  const { ctx, recorded } = recordingContext([resource, claim]);
  const result = await reconciler.finalize(resource, ctx);
  assert.notEqual(result.kind, "done", "the deletion is held until a backup succeeds");
  assert.deepEqual(recorded.finalizersRemoved, [], "the data claim keeps its finalizer");
  assert.ok(
    recorded.applied.some((a) => a.object.kind === "Job" && a.object.metadata?.name === "backup-mysql-instance-job"),
    "the backup is tried again",
  );
});

test("the skip annotation set after the backup Job succeeded: that backup is recorded (what a new resource restores), not skipped", async () => {
  const resource = originalResource({ status: { appliedSpec: { image: '"mysql:5.7"' } } });
  const claim = reconciler.desired(resource).find((c) => c.kind === "PersistentVolumeClaim")!;
  const { ctx, recorded, put } = recordingContext([resource, claim]);
  await reconciler.finalize(resource, ctx);
  put(finish(ctx.cache.get<V1Job>("batch/v1", "Job", "default", "backup-mysql-instance-job")!, "Complete"));
  resource.metadata.annotations = { ...resource.metadata.annotations, "otus.homework/final-backup": "skip" };
  const result = await reconciler.finalize(resource, ctx);
  assert.equal(result.kind, "done");
  assert.match(result.kind === "done" ? (result.message ?? "") : "", /backup succeeded/);
  assert.ok(
    recorded.applied.some((a) => a.object.kind === "ConfigMap" && a.object.metadata?.name === "backup-mysql-instance-info"),
    "the succeeded dump is recorded for the next resource of this name",
  );
});

test("the skip annotation while the final backup Job still retries (a server that is down): that Job is stopped, by uid, and the data are let go only once it is gone", async () => {
  const resource = originalResource({ status: { appliedSpec: { image: '"mysql:5.7"' } } });
  const claim = reconciler.desired(resource).find((c) => c.kind === "PersistentVolumeClaim")!;
  const { ctx, recorded, put } = recordingContext([resource, claim]);
  await reconciler.finalize(resource, ctx);
  const job = ctx.cache.get<V1Job>("batch/v1", "Job", "default", "backup-mysql-instance-job")!;
  const retrying = { ...job, metadata: { ...job.metadata, uid: "backup-1" }, status: { active: 1, failed: 2 } } as V1Job;
  put(retrying);
  resource.metadata.annotations = { ...resource.metadata.annotations, "otus.homework/final-backup": "skip" };
  // A late attempt would dump whatever answers at the Service's name by then (a next resource's server included).
  const stopping = await reconciler.finalize(resource, ctx);
  assert.ok(stopping.kind === "wait" && /backup-mysql-instance-job/.test(stopping.message), JSON.stringify(stopping));
  assert.deepEqual(
    recorded.deleted.map((d) => `${d.kind}/${d.name} uid ${d.uid ?? "none"}`),
    ["Job/backup-mysql-instance-job uid backup-1"],
  );
  assert.deepEqual(recorded.finalizersRemoved, [], "the data stay while it may still dump");
  // Deleted in the foreground: the Job stays, marked, until its pods are gone; not deleted again meanwhile.
  put({ ...retrying, metadata: { ...retrying.metadata, deletionTimestamp: new Date() } } as V1Job);
  assert.equal((await reconciler.finalize(resource, ctx)).kind, "wait");
  assert.equal(recorded.deleted.length, 1);
  // Gone (the garbage collector removed its pods, then the Job): the data are let go, without a final backup.
  await ctx.delete({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "backup-mysql-instance-job", namespace: "default" } });
  const released = await reconciler.finalize(resource, ctx);
  assert.ok(released.kind === "done" && /without a final backup/.test(released.message ?? ""), JSON.stringify(released));
  assert.ok((recorded.finalizersRemoved as string[]).includes("PersistentVolumeClaim/mysql-instance-pvc otus.homework/backup"));
  // A pod that cannot end (its node gone) holds the Job for good: past the grace, the way out is not held by it.
  const stuck = recordingContext([resource, claim]);
  const stuckSince = new Date(Date.now() - STOP_BACKUP_GRACE_MS - 1_000);
  stuck.put({ ...retrying, metadata: { ...retrying.metadata, deletionTimestamp: stuckSince } } as V1Job);
  assert.equal((await reconciler.finalize(resource, stuck.ctx)).kind, "done");
  assert.deepEqual(stuck.recorded.deleted, [], "not deleted again");
});

test("the skip annotation while a scheduled backup runs: the CronJob is suspended and the finalizer kept until that Job ended (no final backup even so)", async () => {
  const resource = originalResource({ spec: { backup: { keep: 5, schedule: "* * * * *" } }, status: { appliedSpec: { image: '"mysql:5.7"' } } });
  resource.metadata.annotations = { ...resource.metadata.annotations, "otus.homework/final-backup": "skip" };
  const claim = reconciler.desired(resource).find((c) => c.kind === "PersistentVolumeClaim")!;
  const owner = { apiVersion: "otus.homework/v1", kind: "MySQL", name: "mysql-instance", uid: resource.metadata.uid ?? "", controller: true };
  const schedule = buildBackupCronJob(instanceOf(resource), "* * * * *");
  const cron = madeByOperator({ ...schedule, metadata: { ...schedule.metadata, uid: "cron-1", ownerReferences: [owner] } });
  const scheduledJob = (state: "running" | "ended"): V1Job => ({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: "mysql-instance-backup-schedule-1",
      namespace: "default",
      uid: "sj-1",
      labels: labelsFor(resource, "scheduled-backup"),
      ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: "mysql-instance-backup-schedule", uid: "cron-1", controller: true }],
    },
    status: state === "running" ? { startTime: "2026-11-29T04:00:00Z" as unknown as Date, active: 1 } : finish({ kind: "Job" }, "Complete").status,
  });
  const { ctx, recorded, put } = recordingContext([resource, claim, cron, scheduledJob("running")]);
  const suspending = await reconciler.finalize(resource, ctx);
  assert.equal(suspending.kind, "wait", JSON.stringify(suspending));
  assert.ok(recorded.applied.some((a) => a.object.kind === "CronJob" && (a.object as { spec?: { suspend?: boolean } }).spec?.suspend === true));
  const awaiting = await reconciler.finalize(resource, ctx);
  assert.ok(awaiting.kind === "wait" && awaiting.message.includes("mysql-instance-backup-schedule-1"), JSON.stringify(awaiting));
  assert.match(awaiting.message, /without a final backup/, "the skip is not announced as a final backup to come");
  assert.deepEqual(recorded.finalizersRemoved, [], "the data stay while the scheduled backup writes the backup volume");
  put(scheduledJob("ended"));
  const released = await reconciler.finalize(resource, ctx);
  assert.equal(released.kind, "done");
  assert.match(released.kind === "done" ? (released.message ?? "") : "", /without a final backup/);
  assert.ok(!recorded.applied.some((a) => a.object.kind === "Job"), "no final backup Job");
  const info = recorded.applied.find((a) => a.object.kind === "ConfigMap" && a.object.metadata?.name === "backup-mysql-instance-info");
  assert.equal(
    (info?.object as V1ConfigMap | undefined)?.data?.lastSucceeded,
    "2026-11-26T15:00:00Z",
    "the scheduled dump that ended meanwhile is recorded: a next resource of this name restores it, not an older one",
  );
});

test("deletion with a final backup: a scheduled dump that ended while the deletion waited for it is recorded before the final backup starts (were the final backup to fail and the finalizers be removed by hand, the record would name an older dump, or one retention removed)", async () => {
  const resource = originalResource({ spec: { backup: { keep: 1, schedule: "* * * * *" } }, status: { appliedSpec: { image: '"mysql:5.7"' } } });
  const claim = reconciler.desired(resource).find((c) => c.kind === "PersistentVolumeClaim")!;
  const owner = { apiVersion: "otus.homework/v1", kind: "MySQL", name: "mysql-instance", uid: resource.metadata.uid ?? "", controller: true };
  const schedule = buildBackupCronJob(instanceOf(resource), "* * * * *", true);
  const cron = madeByOperator({ ...schedule, metadata: { ...schedule.metadata, uid: "cron-1", ownerReferences: [owner] } });
  const ended: V1Job = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: "mysql-instance-backup-schedule-9",
      namespace: "default",
      uid: "sj-9",
      labels: labelsFor(resource, "scheduled-backup"),
      ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: "mysql-instance-backup-schedule", uid: "cron-1", controller: true }],
    },
    status: finish({ kind: "Job" }, "Complete").status,
  };
  const older = buildBackupInfo(instanceOf(resource), "2026-11-26T14:00:00Z", undefined, "mysql-instance-backup-schedule-8");
  const { ctx, recorded } = recordingContext([resource, claim, cron, ended, older]);
  const backingUp = await reconciler.finalize(resource, ctx);
  assert.equal(backingUp.kind, "wait", JSON.stringify(backingUp));
  const info = recorded.applied.find((a) => a.object.kind === "ConfigMap" && a.object.metadata?.name === "backup-mysql-instance-info");
  assert.equal((info?.object as V1ConfigMap | undefined)?.data?.lastSucceeded, "2026-11-26T15:00:00Z", "the scheduled dump that ended is recorded");
  assert.ok(applied(recorded).includes("Job/backup-mysql-instance-job (owned)"), "then the final backup starts");
});

test("a creation step that fails while the server is available still records status.serverStarted before the error", async () => {
  const resource = originalResource();
  const { ctx, recorded } = recordingContext([ownedCredentials(resource, "otuspassword"), serverDeployment(1)]);
  ctx.apply = () => Promise.reject(new Error("the API server is unavailable"));
  await assert.rejects(reconciler.onCreate(resource, ctx), /the API server is unavailable/);
  assert.ok(
    recorded.statusPatches.some((s) => typeof s.serverStarted === "string"),
    "the server may take writes during the back-off: a deletion then must back it up",
  );
});

test("deleted during an unfinished creation whose server once ran (status.serverStarted) and is down now: the deletion waits for a backup", async () => {
  // A restore that failed, or a password change under way: no appliedSpec, the server took writes, and is
  // restarting at the moment of deletion. Without the marker this was "nothing to back up" and the claim went.
  const resource = originalResource({ status: { serverStarted: "2026-11-29T00:00:00Z" } });
  const claim = reconciler.desired(resource).find((c) => c.kind === "PersistentVolumeClaim")!;
  const { ctx, recorded } = recordingContext([resource, claim, serverDeployment(0)]);
  const result = await reconciler.finalize(resource, ctx);
  assert.notEqual(result.kind, "done", "held until a backup succeeds (or the skip annotation)");
  assert.deepEqual(recorded.finalizersRemoved, [], "the data claim keeps its finalizer");
  assert.ok(recorded.applied.some((a) => a.object.kind === "Job" && a.object.metadata?.name === "backup-mysql-instance-job"));
});

test("finalize under foreground cascading deletion: no backup Job (the garbage collector takes server and Job), the claim is kept, status says why", async () => {
  const resource = originalResource({ status: { appliedSpec: { image: '"mysql:5.7"' } } });
  resource.metadata.finalizers = ["foregroundDeletion", "otus.homework/backup"];
  resource.metadata.deletionTimestamp = new Date();
  const claim = reconciler.desired(resource).find((c) => c.kind === "PersistentVolumeClaim")!;
  const { ctx, recorded } = recordingContext([claim]);
  const result = await reconciler.finalize(resource, ctx);
  assert.equal(result.kind === "failed" && result.reason, "ForegroundDeletion");
  const message = result.kind === "failed" ? result.message : "";
  assert.match(message, /mysql-instance-pvc/);
  // The server is gone by then, and nothing makes it again: another cascade cannot get a backup, only the skip ends it.
  assert.doesNotMatch(message, /Delete with the default \(background\) cascade to get a backup/);
  assert.match(message, /give the final backup up with kubectl annotate/);
  assert.ok(!recorded.applied.some((a) => a.object.kind === "Job"));
  assert.deepEqual(recorded.finalizersRemoved, []);
});

test("a PersistentVolume of the data volume's name that this operator did not make is never deleted", async () => {
  const resource = originalResource({ status: { appliedSpec: { image: '"mysql:5.7"' } } });
  // As the original homework made it by hand: no labels of ours, its own path and reclaim policy.
  const handMade = {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: "mysql-instance-pv" },
    spec: { hostPath: { path: "/data/mysql" }, persistentVolumeReclaimPolicy: "Delete" },
    status: { phase: "Released" },
  } as V1PersistentVolume;
  const creating = recordingContext([ownedCredentials(resource, "otuspassword"), serverDeployment(1), handMade]);
  const created = await reconciler.onCreate(originalResource(), creating.ctx);
  assert.equal(created.kind === "failed" && created.reason, "VolumeNameTaken");
  assert.deepEqual(creating.recorded.deleted, []);

  const deleting = recordingContext([resource, handMade]);
  await reconciler.finalize(originalResource(), deleting.ctx);
  const backedUp = recordingContext([resource, handMade]);
  await reconciler.finalize(resource, backedUp.ctx);
  backedUp.put(finish(backedUp.ctx.cache.get<V1Job>("batch/v1", "Job", "default", "backup-mysql-instance-job")!, "Complete"));
  assert.equal((await reconciler.finalize(resource, backedUp.ctx)).kind, "done");
  assert.deepEqual([...deleting.recorded.deleted, ...backedUp.recorded.deleted], []);
});

test("finalize under foreground deletion still completes when this resource's backup Job already succeeded", async () => {
  const resource = originalResource({ status: { appliedSpec: { image: '"mysql:5.7"' } } });
  const { ctx, put } = recordingContext([resource, buildDataVolume(instanceOf(resource))]);
  await reconciler.finalize(resource, ctx);
  put(finish(ctx.cache.get<V1Job>("batch/v1", "Job", "default", "backup-mysql-instance-job")!, "Complete"));
  resource.metadata.finalizers = ["foregroundDeletion", "otus.homework/backup"];
  const result = await reconciler.finalize(resource, ctx);
  assert.equal(result.kind, "done");
  assert.ok(ctx.cache.get("v1", "ConfigMap", "default", "backup-mysql-instance-info"), "the backup is recorded");
});

test("finalize after --cascade=orphan: the data claim no longer belongs to the resource, so its volume is not deleted under it", async () => {
  const resource = originalResource({ status: { appliedSpec: { image: '"mysql:5.7"' } } });
  const orphaned = { ...buildDataClaim(instanceOf(resource)), status: { phase: "Bound" } };
  const { ctx, recorded, put } = recordingContext([resource, buildDataVolume(instanceOf(resource)), orphaned]);
  await reconciler.finalize(resource, ctx);
  put(finish(ctx.cache.get<V1Job>("batch/v1", "Job", "default", "backup-mysql-instance-job")!, "Complete"));
  assert.equal((await reconciler.finalize(resource, ctx)).kind, "done");
  assert.deepEqual(recorded.deleted, [], "the kept claim stays bound to its volume");
  assert.deepEqual(recorded.finalizersRemoved, [
    "PersistentVolumeClaim/mysql-instance-pvc otus.homework/backup",
    "PersistentVolumeClaim/backup-mysql-instance-pvc otus.homework/backup",
  ]);
});

test("finalize under --cascade=orphan while the cache still shows the claim as the resource's (the garbage collector orphans it meanwhile): its volume is not deleted", async () => {
  const resource = originalResource({ status: { appliedSpec: { image: '"mysql:5.7"' } } });
  resource.metadata.deletionTimestamp = new Date();
  resource.metadata.annotations = { "otus.homework/final-backup": "skip" };
  const owner = { apiVersion: "otus.homework/v1", kind: "MySQL", name: "mysql-instance", uid: resource.metadata.uid!, controller: true };
  const claim = buildDataClaim(instanceOf(resource));
  const stillOwned = madeByOperator({ ...claim, metadata: { ...claim.metadata, ownerReferences: [owner] }, status: { phase: "Bound" } });
  for (const [what, finalizers, apiServerClaim] of [
    ["the resource still carries the orphan finalizer", ["orphan", "otus.homework/backup"], stillOwned],
    ["orphaned on the API server already", ["otus.homework/backup"], { ...stillOwned, metadata: { ...stillOwned.metadata, ownerReferences: [] } }],
  ] as const) {
    resource.metadata.finalizers = [...finalizers];
    const { ctx, recorded } = recordingContext([resource, buildDataVolume(instanceOf(resource)), stillOwned]);
    const behind: ReconcileContext = {
      ...ctx,
      read: async (object, options) => (object.kind === "PersistentVolumeClaim" ? (apiServerClaim as never) : ctx.read(object, options)),
    };
    assert.equal((await reconciler.finalize(resource, behind)).kind, "done", what);
    assert.deepEqual(recorded.deleted, [], `${what}: the orphaned claim stays bound to its volume`);
  }
});

test("finalize before creation finished with the server up (e.g. a failed restore, then writes): backed up beside the earlier dump, never over it", async () => {
  const resource = originalResource();
  const { ctx, recorded, put } = recordingContext([
    resource,
    serverDeployment(1),
    buildBackupInfo(instanceOf(resource), "2026-11-26T14:00:00Z"),
    buildDataVolume(instanceOf(resource)),
  ]);
  const first = await reconciler.finalize(resource, ctx);
  assert.equal(first.kind === "wait" && first.reason, "BackingUp");
  const job = ctx.cache.get<V1Job>("batch/v1", "Job", "default", "backup-mysql-instance-job")!;
  const mount = job.spec!.template.spec!.containers[0]!.volumeMounts!.find((m) => m.name === "backup")!;
  assert.equal(mount.subPath, `unfinished-${resource.metadata.uid}`, "the earlier, good dump is not replaced");
  put(finish(job, "Complete"));
  const result = await reconciler.finalize(resource, ctx);
  assert.equal(result.kind, "done");
  assert.match(result.kind === "done" ? (result.message ?? "") : "", /unfinished-3f1c2a9e/);
  assert.equal(
    ctx.cache.get<V1ConfigMap>("v1", "ConfigMap", "default", "backup-mysql-instance-info")?.data?.lastSucceeded,
    "2026-11-26T14:00:00Z",
    "the next resource restores the earlier backup",
  );
  assert.ok(recorded.deleted.some((d) => d.kind === "PersistentVolume"));

  // Without an earlier backup there is nothing to replace: the usual place, recorded.
  const fresh = recordingContext([resource, serverDeployment(1)]);
  await reconciler.finalize(resource, fresh.ctx);
  const plain = fresh.ctx.cache.get<V1Job>("batch/v1", "Job", "default", "backup-mysql-instance-job")!;
  assert.equal(plain.spec!.template.spec!.containers[0]!.volumeMounts!.find((m) => m.name === "backup")!.subPath, undefined);
});

test("where a final backup's dump went is read from its Job, not decided again once it succeeded: what changed meanwhile cannot misplace its record", async () => {
  const resource = originalResource();
  const earlier = buildBackupInfo(instanceOf(resource), "2026-11-26T14:00:00Z");
  const backupJob = (ctx: ReconcileContext) => ctx.cache.get<V1Job>("batch/v1", "Job", "default", "backup-mysql-instance-job")!;
  const backupMount = (job: V1Job) => job.spec!.template.spec!.containers[0]!.volumeMounts!.find((m) => m.name === "backup")!;

  // Made beside the earlier dump; backup-NAME-info then deleted by hand while it ran: its dump is still not in the
  // history a record points into, so it is not recorded (the record would name a file that is not there).
  const aside = recordingContext([resource, serverDeployment(1), earlier, buildDataVolume(instanceOf(resource))]);
  await reconciler.finalize(resource, aside.ctx);
  const asideJob = backupJob(aside.ctx);
  assert.equal(backupMount(asideJob).subPath, `unfinished-${resource.metadata.uid}`);
  const infoGone = recordingContext([resource, serverDeployment(1), buildDataVolume(instanceOf(resource)), finish(asideJob, "Complete")]);
  const asideDone = await reconciler.finalize(resource, infoGone.ctx);
  assert.equal(asideDone.kind, "done");
  assert.match(asideDone.kind === "done" ? (asideDone.message ?? "") : "", /directory unfinished-3f1c2a9e/);
  assert.match(asideDone.kind === "done" ? (asideDone.message ?? "") : "", /no backup is recorded/);
  assert.equal(infoGone.ctx.cache.get("v1", "ConfigMap", "default", "backup-mysql-instance-info"), undefined, "nothing recorded");

  // Made in the usual place (no earlier backup then); a record of an earlier backup appeared while it ran: this dump
  // is the newest, and a next resource of the name restores it.
  const plain = recordingContext([resource, serverDeployment(1), buildDataVolume(instanceOf(resource))]);
  await reconciler.finalize(resource, plain.ctx);
  const plainJob = backupJob(plain.ctx);
  assert.equal(backupMount(plainJob).subPath, undefined);
  const infoAppeared = recordingContext([resource, serverDeployment(1), earlier, buildDataVolume(instanceOf(resource)), finish(plainJob, "Complete")]);
  const plainDone = await reconciler.finalize(resource, infoAppeared.ctx);
  assert.equal(plainDone.kind, "done");
  assert.match(plainDone.kind === "done" ? (plainDone.message ?? "") : "", /^backup succeeded/);
  assert.equal(
    infoAppeared.ctx.cache.get<V1ConfigMap>("v1", "ConfigMap", "default", "backup-mysql-instance-info")?.data?.lastSucceeded,
    "2026-11-26T15:00:00Z",
    "the final backup (completed at 15:00) is recorded over the older record (14:00)",
  );
});

test("backup storage made by hand (not labelled as ours, so not cached) is found on the API server and used as it is", async () => {
  const resource = originalResource();
  const claim = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "backup-mysql-instance-pvc", namespace: "default" },
    spec: { storageClassName: "nfs", resources: { requests: { storage: "50Gi" } } },
  };
  const volume = { apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "backup-mysql-instance-pv" }, spec: { nfs: { server: "nas", path: "/b" } } };
  const { ctx, recorded } = recordingContext([ownedCredentials(resource, "otuspassword"), serverDeployment(1), claim, volume]);
  assert.equal((await reconciler.onCreate(resource, ctx)).kind, "done");
  assert.deepEqual(applied(recorded), ["PersistentVolume/mysql-instance-pv"], "neither backup claim nor backup volume is applied over");
  assert.ok(recorded.read.includes("PersistentVolumeClaim/backup-mysql-instance-pvc (any version)"));
});

test("finalize records the dump the backup reported (file, size, sha256, created); a new resource's restore Job asks for exactly that dump", async () => {
  const resource = originalResource({ status: { appliedSpec: { image: '"mysql:5.7"' } } });
  const { ctx, put } = recordingContext([resource, buildCredentialsSecret(instanceOf(resource), "p")]);
  await reconciler.finalize(resource, ctx);
  const job = ctx.cache.get<V1Job>("batch/v1", "Job", "default", "backup-mysql-instance-job")!;
  assert.deepEqual(
    job.spec?.template.spec?.containers[0]?.env?.filter((e) => e.name.startsWith("BACKUP_")).map((e) => `${e.name}=${e.value ?? ""}`),
    ["BACKUP_DIR=/backup", "BACKUP_KEEP=5", "BACKUP_REPORT_FILE=/dev/termination-log", "BACKUP_KIND=final", `BACKUP_SOURCE=${resource.metadata.uid ?? "?"}`],
  );
  const sha256 = "ab".repeat(32);
  put(finish({ ...job, metadata: { ...job.metadata, uid: "job-uid" } }, "Complete"));
  put({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "backup-mysql-instance-job-x", namespace: "default", labels: { "batch.kubernetes.io/controller-uid": "job-uid" } },
    status: {
      phase: "Succeeded",
      containerStatuses: [
        {
          name: "mysqlop",
          image: "mysql:5.7",
          imageID: "",
          ready: false,
          restartCount: 0,
          state: {
            terminated: {
              exitCode: 0,
              message: `file=history/mysqlop-dump-20261126T145900Z.sql\nsize=1234\nsha256=${sha256}\ncreated=2026-11-26T14:59:00Z\nentries=2\n`,
            },
          },
        },
      ],
    },
  } as KubernetesObject);
  const done = await reconciler.finalize(resource, ctx);
  assert.deepEqual(done.status, {
    backup: {
      lastSucceeded: "2026-11-26T15:00:00Z",
      job: "backup-mysql-instance-job",
      dumpFile: "/backup/history/mysqlop-dump-20261126T145900Z.sql",
      sizeBytes: 1234,
      sha256,
      created: "2026-11-26T14:59:00Z",
    },
  });
  const info = ctx.cache.get<V1ConfigMap>("v1", "ConfigMap", "default", "backup-mysql-instance-info")!;
  assert.equal(info.data?.sha256, sha256);

  const next = originalResource();
  const created = recordingContext([next, ownedCredentials(next, "otuspassword"), info]);
  await reconciler.onCreate(next, created.ctx);
  const restore = created.ctx.cache.get<V1Job>("batch/v1", "Job", "default", "restore-mysql-instance-job")!;
  assert.deepEqual(
    restore.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === "RESTORE_SHA256"),
    { name: "RESTORE_SHA256", value: sha256 },
  );
  created.put(finish(restore, "Failed", "Pod failed: container mysqlop exit code 5"));
  created.put(serverDeployment(1));
  const kept = await reconciler.onCreate(next, created.ctx);
  assert.equal(kept.kind, "done");
  assert.match(kept.kind === "done" ? (kept.message ?? "") : "", /\/backup\/history\/mysqlop-dump-20261126T145900Z\.sql is kept on backup-mysql-instance-pvc/);
});

test("the backup Job keeps spec.backup.keep dumps", () => {
  const job = buildBackupJob(instanceOf(originalResource({ spec: { backup: { keep: 12 } } })));
  assert.equal(job.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === "BACKUP_KEEP")?.value, "12");
});

/** The server at pw-1, the spec changed to pw-2: its passwd Job (uid `passwd-job-uid`) made and running. */
async function passwordJobRunning() {
  const first = originalResource({ spec: { password: "pw-2" }, status: { appliedSpec: {} } });
  const recording = recordingContext([first, ownedCredentials(first, "pw-1")]);
  await reconciler.onPasswordChange(first, { previous: undefined, current: "pw-2" }, recording.ctx);
  const job = { ...recording.ctx.cache.get<V1Job>("batch/v1", "Job", "default", "passwd-mysql-instance-job")!, status: { active: 1 } } as V1Job;
  job.metadata = { ...job.metadata, uid: "passwd-job-uid" };
  recording.put(job);
  return { ...recording, job };
}

test("a password Job of an older target is never deleted while it runs (it may have set its password half-way); once ended, it is recorded, then deleted by uid", async () => {
  const { ctx, recorded, put, job } = await passwordJobRunning();
  const second = originalResource({ spec: { password: "pw-3" }, status: { appliedSpec: {} } });
  const running = await reconciler.onPasswordChange(second, { previous: undefined, current: "pw-3" }, ctx);
  assert.equal(
    running.kind === "wait" && running.message,
    "waiting for passwd-mysql-instance-job, of an earlier password change, to end (it still runs; stopped half-way, it would leave its work half-done)",
  );
  assert.deepEqual(recorded.deleted, [], "never deleted while it runs");

  // The API server holds another Job of that name by now (the cache lags): not deleted on the cache's word.
  const ended = finish(job, "Complete");
  put(ended);
  const replaced = { ...ended, metadata: { ...ended.metadata, uid: "another-uid" } };
  const lagging: typeof ctx = { ...ctx, read: async (object, options) => (object.kind === "Job" ? (replaced as never) : ctx.read(object, options)) };
  const looking = await reconciler.onPasswordChange(second, { previous: undefined, current: "pw-3" }, lagging);
  assert.match(looking.kind === "wait" ? looking.message : "", /is another Job on the API server than the one this operator's cache shows/);
  assert.deepEqual(recorded.deleted, [], "only the very Job looked at is deleted");

  await reconciler.onPasswordChange(second, { previous: undefined, current: "pw-3" }, ctx);
  assert.equal(secretValue(ctx.cache.get<V1Secret>("v1", "Secret", "default", "mysql-instance-credentials"), "password"), "pw-2", "recorded before it goes");
  assert.deepEqual(recorded.deleted, [{ apiVersion: "batch/v1", kind: "Job", name: "passwd-mysql-instance-job", namespace: "default", uid: "passwd-job-uid" }]);
});

test("a password Job left by an earlier resource of this name is waited for while it runs, then deleted (that very Job)", async () => {
  const resource = originalResource({ spec: { password: "pw-2" }, status: { appliedSpec: {} } });
  const stale = madeByOperator({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: "passwd-mysql-instance-job",
      namespace: "default",
      uid: "old-job-uid",
      ownerReferences: [{ apiVersion: "otus.homework/v1", kind: "MySQL", name: "mysql-instance", uid: "old-uid" }],
    },
    status: { active: 1 },
  });
  const { ctx, recorded, put } = recordingContext([resource, ownedCredentials(resource, "pw-1"), stale]);
  const running = await reconciler.onPasswordChange(resource, { previous: undefined, current: "pw-2" }, ctx);
  assert.equal(
    running.kind === "wait" && running.message,
    "waiting for passwd-mysql-instance-job, left by an earlier resource of this name, to end (it still runs; stopped half-way, it would leave its work half-done)",
  );
  assert.deepEqual(recorded.deleted, [], "never deleted while it runs");
  put(finish(stale, "Failed"));
  await reconciler.onPasswordChange(resource, { previous: undefined, current: "pw-2" }, ctx);
  assert.deepEqual(recorded.deleted, [{ apiVersion: "batch/v1", kind: "Job", name: "passwd-mysql-instance-job", namespace: "default", uid: "old-job-uid" }]);
});

test("finalize: the credentials gone after a password change hold the deletion (CredentialsMissing), naming the skip annotation as the way out", async () => {
  const resource = originalResource({ spec: { password: "pw-2" }, status: { appliedSpec: {} } });
  const { ctx, put } = recordingContext([ownedCredentials(resource, "pw-1")]);
  await reconciler.onPasswordChange(resource, { previous: undefined, current: "pw-2" }, ctx);
  put(finish(ctx.cache.get<V1Job>("batch/v1", "Job", "default", "passwd-mysql-instance-job")!, "Complete"));
  assert.equal((await reconciler.onPasswordChange(resource, { previous: undefined, current: "pw-2" }, ctx)).kind, "done");
  await ctx.delete({ apiVersion: "v1", kind: "Secret", metadata: { name: "mysql-instance-credentials", namespace: "default" } });
  const held = await reconciler.finalize(resource, ctx);
  assert.equal(held.kind === "failed" && held.reason, "CredentialsMissing");
  assert.match(held.kind === "failed" ? held.message : "", /otus\.homework\/final-backup=skip/);
});

test("a password change reverted while its Job runs waits for that Job, records what it set, then changes the password back", async () => {
  const { ctx, recorded, put, job } = await passwordJobRunning();
  const reverted = originalResource({ spec: { password: "pw-1" }, status: { appliedSpec: {} } });
  const change = { previous: undefined, current: "pw-1" } as const;
  const running = await reconciler.onPasswordChange(reverted, change, ctx);
  assert.equal(running.kind === "wait" && running.reason, "PasswordChanging", "not done while a Job that may set pw-2 runs");
  assert.equal(recorded.deleted.length, 0, "neither the Job nor the Secret naming its password is deleted while it runs");

  put(finish(job, "Complete"));
  assert.equal((await reconciler.onPasswordChange(reverted, change, ctx)).kind, "wait");
  assert.equal(secretValue(ctx.cache.get<V1Secret>("v1", "Secret", "default", "mysql-instance-credentials"), "password"), "pw-2", "the server has pw-2 now");
  assert.ok(recorded.deleted.some((d) => d.kind === "Job" && d.uid === "passwd-job-uid"));
  assert.equal((await reconciler.onPasswordChange(reverted, change, ctx)).kind, "wait");
  const back = ctx.cache.get<V1Secret>("v1", "Secret", "default", "mysql-instance-password-change");
  assert.match(secretValue(back, "client.cnf") ?? "", /password="pw-2"/, "the change back connects with the password the server has");
  assert.match(secretValue(back, "change.sql") ?? "", /IDENTIFIED BY 'pw-1'/);
  assert.ok(ctx.cache.get<V1Job>("batch/v1", "Job", "default", "passwd-mysql-instance-job") !== undefined, "a new Job sets pw-1 again");
});

test("hostPath backup storage: the claim is created only once its volume is written (made, or reopened from an earlier resource), so kube-controller-manager binds it as it sees it", async () => {
  const resource = originalResource();
  const earlier = madeByOperator({
    ...buildBackupVolume(instanceOf(resource)),
    spec: { ...buildBackupVolume(instanceOf(resource)).spec, claimRef: { namespace: "default", name: "backup-mysql-instance-pvc", uid: "old-claim-uid" } },
    status: { phase: "Released" },
  } as V1PersistentVolume);
  for (const [what, leftover, volumeWrite] of [
    ["no backup volume yet", [], "apply PersistentVolume/backup-mysql-instance-pv"],
    ["an earlier resource's Released backup volume", [earlier], "mergePatch PersistentVolume/backup-mysql-instance-pv"],
  ] as const) {
    const { ctx } = recordingContext([ownedCredentials(resource, "otuspassword"), serverDeployment(1), ...leftover]);
    const trace: string[] = [];
    // Each write traced as sent and as answered; the backup volume's answered late.
    const traced =
      <A extends unknown[], R>(verb: string, write: (object: KubernetesObject, ...rest: A) => Promise<R>) =>
      async (object: KubernetesObject, ...rest: A): Promise<R> => {
        const name = `${verb} ${object.kind}/${object.metadata?.name}`;
        trace.push(name);
        if (object.metadata?.name === "backup-mysql-instance-pv") await new Promise((resolve) => setTimeout(resolve, 30));
        const answer = await write(object, ...rest);
        trace.push(`answered ${name}`);
        return answer;
      };
    const ordered: ReconcileContext = { ...ctx, apply: traced("apply", ctx.apply), mergePatch: traced("mergePatch", ctx.mergePatch) } as ReconcileContext;
    assert.equal((await reconciler.onCreate(resource, ordered)).kind, "done", what);
    const claimSent = trace.indexOf("apply PersistentVolumeClaim/backup-mysql-instance-pvc");
    assert.ok(claimSent > trace.indexOf(`answered ${volumeWrite}`) && trace.includes(`answered ${volumeWrite}`), `${what}: ${trace.join(", ")}`);
  }
});
