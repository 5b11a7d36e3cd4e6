/**
 * The MySQL operator end to end on a real control plane: etcd, kube-apiserver with the
 * generated CRD and RBAC, kube-controller-manager, kube-scheduler and kwok (which runs
 * pods and completes Jobs without executing them). The runtime's Manager drives the
 * hand-written MySQLReconciler as the operator's ServiceAccount, so a missing permission
 * fails here. Covers the original scenario: create without restore, password change,
 * delete held until the backup Job completed, re-create with restore-job.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
  type V1Deployment,
} from "@kubernetes/client-node";
import type { MySQL } from "../../../generated/mysql-models.ts";
import { DATA_CLAIM_FINALIZER, secretValue } from "../../../src/mysql/desired/index.ts";
import type { Manager } from "../../../src/runtime/index.ts";
import { metricTotal, startInProcessOperator } from "../../helpers/operator-process.ts";
import { eventually as pollUntil } from "../../helpers/eventually.ts";
import { kubectl, REPO_ROOT, startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";
import { orUndefined } from "../../helpers/not-found.ts";
import { FAKE_NODE_NAME } from "../../../src/envtest/index.ts";

const NS = "default";
const NAME = "mysql-instance";
const CR = join(REPO_ROOT, "deploy/cr.yaml");

/** The MySQL flow waits on Jobs and rollouts: longer than the runtime tests. */
function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> {
  return pollUntil(what, check, timeoutMs, 250);
}

describe("MySQL operator on a real control plane", { timeout: 420_000 }, () => {
  let env: MysqlopControlPlane;
  let manager: Manager;
  let operator: { stop: () => Promise<void> } | undefined;
  let core: CoreV1Api;
  let batch: BatchV1Api;
  let custom: CustomObjectsApi;

  const mysql = (): Promise<MySQL | undefined> =>
    orUndefined(custom.getNamespacedCustomObject({ group: "otus.homework", version: "v1", namespace: NS, plural: "mysqls", name: NAME }) as Promise<MySQL>);

  before(async () => {
    env = await startMysqlopControlPlane({ workloads: true });
    core = env.cp.kubeConfig.makeApiClient(CoreV1Api);
    batch = env.cp.kubeConfig.makeApiClient(BatchV1Api);
    custom = env.cp.kubeConfig.makeApiClient(CustomObjectsApi);
    // Resyncs every few seconds: each one re-reconciles every resource, which must write nothing when nothing changed.
    ({ manager, ...operator } = startInProcessOperator(env, { resyncMs: 3_000 }));
  });

  after(async () => {
    await operator?.stop();
    await env?.cp.stop();
  });

  const reconciles = (): Promise<number> => metricTotal(manager.metrics.reconcileTotal);
  const writes = (): Promise<number> => metricTotal(manager.metrics.apiWrites);
  let writesBeforeCreate = 0;

  test("the original cr.yaml: children owned, volumes not, 'created without restore-job', no secret in status", async () => {
    writesBeforeCreate = await writes();
    const applied = await kubectl(env.cp, ["apply", "-f", CR]);
    assert.equal(applied.code, 0, applied.stderr);
    const created = await eventually("status.message", async () => {
      const m = await mysql();
      return m?.status?.message === `${NAME} created without restore-job` && m;
    });
    const uid = created.metadata.uid;
    const ownedBy = (o: KubernetesObject | undefined) => o?.metadata?.ownerReferences?.some((r) => r.uid === uid && r.controller === true) ?? false;
    assert.ok(ownedBy(await env.cp.kubeConfig.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: NAME, namespace: NS })), "Deployment NAME");
    assert.ok(ownedBy(await core.readNamespacedService({ name: NAME, namespace: NS })), "Service NAME");
    assert.ok(ownedBy(await core.readNamespacedPersistentVolumeClaim({ name: `${NAME}-pvc`, namespace: NS })), "NAME-pvc");
    assert.ok(ownedBy(await core.readNamespacedSecret({ name: `${NAME}-credentials`, namespace: NS })), "credentials");
    const backupClaim = await core.readNamespacedPersistentVolumeClaim({ name: `backup-${NAME}-pvc`, namespace: NS });
    assert.equal(backupClaim.metadata?.ownerReferences, undefined, "the backup claim outlives the resource");
    const pv = await core.readPersistentVolume({ name: `${NAME}-pv` });
    assert.equal(pv.metadata?.labels?.["otus.homework/mysql"], NAME);
    const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${NAME}` });
    assert.equal(pods.items.length, 1, "kubectl get pods -l app=NAME finds the server only");
    assert.equal(created.status?.conditions?.find((c) => c.type === "Ready")?.status, "True");
    assert.match(created.status?.appliedSpec?.password ?? "", /^sha256:[0-9a-f]{64}$/);
    // kubectl's own last-applied-configuration copies the spec (the reason to prefer passwordSecretRef); the operator adds nothing.
    const { "kubectl.kubernetes.io/last-applied-configuration": _kubectl, ...annotations } = created.metadata.annotations ?? {};
    assert.ok(!JSON.stringify({ status: created.status, annotations }).includes("otuspassword"), "no password in status or the operator's annotations");
  });

  test("creation takes at most 12 writes; once Ready, nothing changed writes nothing: resyncs, a child's status update, someone else's label on a child, an annotation on the resource", async () => {
    // The Created Event is the last write of creation; then one more reconcile (a resync) settles it.
    await eventually("the Created Event", async () =>
      (await core.listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.name=${NAME}` })).items.some((e) => e.reason === "Created"),
    );
    const settled = await reconciles();
    await eventually("a resync after creation", async () => (await reconciles()) > settled);
    const before = await writes();
    // 8 objects created (Service, Deployment, data claim, scripts, credentials, data and backup volume, backup claim), the
    // finalizer, 2 status writes (Starting, created) and the Created Event.
    assert.ok(before - writesBeforeCreate <= 12, `creation took ${before - writesBeforeCreate} writes`);
    const reconcilesBefore = await reconciles();
    await eventually("two resyncs", async () => (await reconciles()) >= reconcilesBefore + 2);

    const apps = env.cp.kubeConfig.makeApiClient(AppsV1Api);
    const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
    const deployment = await apps.readNamespacedDeployment({ name: NAME, namespace: NS });
    const touched = [...(deployment.status?.conditions ?? []), { type: "TestTouched", status: "True", reason: "Test", message: "a status update" }];
    await apps.patchNamespacedDeploymentStatus({ name: NAME, namespace: NS, body: { status: { conditions: touched } } }, merge);
    await core.patchNamespacedService({ name: NAME, namespace: NS, body: { metadata: { labels: { "example.test/team": "db" } } } }, merge);
    await custom.patchNamespacedCustomObject(
      {
        group: "otus.homework",
        version: "v1",
        namespace: NS,
        plural: "mysqls",
        name: NAME,
        body: { metadata: { annotations: { "example.test/note": "hi" } } },
      },
      merge,
    );
    const afterTouches = await reconciles();
    await eventually("reconciled after the touches and another resync", async () => (await reconciles()) >= afterTouches + 2);
    assert.equal(await writes(), before, `the operator wrote ${(await writes()) - before} times while nothing changed`);
    assert.equal((await mysql())?.status?.conditions?.find((c) => c.type === "Ready")?.status, "True");
  });

  /** How many times the operator recorded an Event of `reason` on the resource. */
  const eventCount = async (reason: string) =>
    (await core.listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.name=${NAME}` })).items
      .filter((e) => e.reason === reason)
      .reduce((sum, e) => sum + (e.count ?? 1), 0);

  test("Ready follows the server after creation: False (ServerUnavailable) while no server pod is available, True again once one is; one Event each way, no write while nothing changes", async () => {
    const ready = async () => (await mysql())?.status?.conditions?.find((c) => c.type === "Ready");
    assert.equal((await ready())?.status, "True");
    // The server's pod is gone and its replacement cannot be scheduled: the Deployment has no available replica.
    await core.patchNode({ name: FAKE_NODE_NAME, body: { spec: { unschedulable: true } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    try {
      await core.deleteCollectionNamespacedPod({ namespace: NS, labelSelector: `app=${NAME}`, gracePeriodSeconds: 0 });
      const down = await eventually("Ready False", async () => {
        const c = await ready();
        return c?.status === "False" && c;
      });
      assert.equal(down.reason, "ServerUnavailable");
      assert.match(down.message ?? "", new RegExp(`Deployment ${NAME}`));
      const column = await kubectl(env.cp, [
        "get",
        "mysqls.otus.homework",
        NAME,
        "-n",
        NS,
        "-o",
        "custom-columns=READY:.status.conditions[?(@.type=='Ready')].status",
        "--no-headers",
      ]);
      assert.equal(column.stdout.trim(), "False", "kubectl's Ready column");
      await eventually("the ServerUnavailable Event", async () => (await eventCount("ServerUnavailable")) >= 1);
      // The operator counts the Event's write once it has the answer, which may come after the test saw the Event: one
      // more reconcile (a resync) first, as after creation above.
      const eventSeen = await reconciles();
      await eventually("a resync after the Event", async () => (await reconciles()) > eventSeen);
      const quiet = await writes();
      const reconcilesBefore = await reconciles();
      await eventually("two resyncs while the server is down", async () => (await reconciles()) >= reconcilesBefore + 2);
      assert.equal(await writes(), quiet, `the operator wrote ${(await writes()) - quiet} times while the server stayed down`);
      assert.equal(await eventCount("ServerUnavailable"), 1, "one Warning Event for the transition");
    } finally {
      await core.patchNode({ name: FAKE_NODE_NAME, body: { spec: { unschedulable: false } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    }
    const up = await eventually("Ready True again", async () => {
      const c = await ready();
      return c?.status === "True" && c;
    });
    assert.equal(up.reason, "ServerAvailable");
    await eventually("the ServerAvailable Event", async () => (await eventCount("ServerAvailable")) === 1);
    assert.equal(await eventCount("ServerUnavailable"), 1);
  });

  test("a password change runs passwd-NAME-job, then the credentials hold the new password and the change Secret is gone", async () => {
    await custom.patchNamespacedCustomObject(
      { group: "otus.homework", version: "v1", namespace: NS, plural: "mysqls", name: NAME, body: { spec: { password: "n3w'pa$$ #word" } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await eventually(
      "credentials updated",
      async () => secretValue(await core.readNamespacedSecret({ name: `${NAME}-credentials`, namespace: NS }), "password") === "n3w'pa$$ #word",
    );
    const job = await batch.readNamespacedJob({ name: `passwd-${NAME}-job`, namespace: NS });
    assert.ok(!JSON.stringify(job.spec).includes("n3w'pa$$"), "no password in the Job spec");
    await eventually(
      "change Secret removed",
      async () => (await orUndefined(core.readNamespacedSecret({ name: `${NAME}-password-change`, namespace: NS }))) === undefined,
    );
    await eventually("Ready again", async () => (await mysql())?.status?.conditions?.find((c) => c.type === "Ready")?.status === "True");
    const events = await core.listNamespacedEvent({ namespace: NS });
    const jobs = await batch.listNamespacedJob({ namespace: NS });
    const m = await mysql();
    const { "kubectl.kubernetes.io/last-applied-configuration": _kubectl, ...annotations } = m?.metadata.annotations ?? {};
    const visible = JSON.stringify({ events: events.items, jobs: jobs.items, status: m?.status, annotations });
    assert.ok(
      events.items.some((e) => e.involvedObject.name === NAME),
      "the operator records Events",
    );
    for (const secret of ["otuspassword", "n3w'pa$$ #word"]) {
      for (const form of [secret, Buffer.from(secret).toString("base64"), JSON.stringify(secret).slice(1, -1)])
        assert.ok(!visible.includes(form), `${JSON.stringify(form)} in an Event, a Job, the status or an annotation`);
    }
  });

  const patchSpec = (spec: Record<string, unknown>) =>
    custom.patchNamespacedCustomObject(
      { group: "otus.homework", version: "v1", namespace: NS, plural: "mysqls", name: NAME, body: { spec } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );

  test("an image change rolls the Deployment and is recorded once it is rolled out", async () => {
    await patchSpec({ image: "mysql:8.0" });
    await eventually("image applied", async () => (await mysql())?.status?.appliedSpec?.image === '"mysql:8.0"');
    const deployment = await env.cp.kubeConfig.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: NAME, namespace: NS });
    assert.equal(deployment.spec?.template.spec?.containers[0]?.image, "mysql:8.0");
    assert.equal((await mysql())?.status?.conditions?.find((c) => c.type === "Ready")?.status, "True");
    assert.equal(await eventCount("ServerAvailable"), 1, "the end of a change is no 'available again'");
  });

  test("an immutable field (storage class) is refused by the API server at once; the claim and the status stay as they were", async () => {
    const before = await mysql();
    await assert.rejects(patchSpec({ storageClassName: "fast" }), (error: unknown) => {
      const { code, body } = error as { code?: number; body?: unknown };
      return code === 422 && /spec\.storageClassName: Invalid value: field is immutable/.test(String(body));
    });
    const claim = await core.readNamespacedPersistentVolumeClaim({ name: `${NAME}-pvc`, namespace: NS });
    assert.equal(claim.spec?.storageClassName, "", "the claim keeps its class");
    const after = await mysql();
    assert.equal(after?.metadata.generation, before?.metadata.generation, "nothing was stored");
    assert.equal(after?.status?.conditions?.find((c) => c.type === "Degraded")?.status, "False");
  });

  test("a hand edit that removes the server's hardening (a false or 0 the API server keeps) is put back", async () => {
    const apps = env.cp.kubeConfig.makeApiClient(AppsV1Api);
    const read = () => apps.readNamespacedDeployment({ name: NAME, namespace: NS });
    const hardening = (d: V1Deployment) => {
      const pod = d.spec?.template.spec;
      return {
        token: pod?.automountServiceAccountToken,
        escalation: pod?.containers[0]?.securityContext?.allowPrivilegeEscalation,
        initUser: pod?.initContainers?.[0]?.securityContext?.runAsUser,
      };
    };
    const declared = { token: false, escalation: false, initUser: 0 };
    assert.deepEqual(hardening(await read()), declared, "the operator declares them (hostPath mode: the init container runs as root to chown)");
    const removed = await kubectl(env.cp, [
      "patch",
      "deployment",
      NAME,
      "-n",
      NS,
      "--type=json",
      "-p",
      JSON.stringify([
        { op: "remove", path: "/spec/template/spec/automountServiceAccountToken" },
        { op: "remove", path: "/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation" },
        { op: "remove", path: "/spec/template/spec/initContainers/0/securityContext/runAsUser" },
      ]),
    ]);
    assert.equal(removed.code, 0, removed.stderr);
    await eventually(
      "the hardening put back",
      async () => {
        const d = await read();
        return JSON.stringify(hardening(d)) === JSON.stringify(declared) && d;
      },
      30_000,
    );
    await eventually("the server rolled out again", async () => {
      const d = await read();
      return d.status?.observedGeneration === d.metadata?.generation && d.status?.updatedReplicas === 1 && d.status?.availableReplicas === 1;
    });
    await eventually("Ready", async () => (await mysql())?.status?.conditions?.find((c) => c.type === "Ready")?.status === "True");
  });

  test("delete: held by the finalizer until backup-NAME-job completed; backup claim and record stay, data volume goes", async () => {
    const deleted = await kubectl(env.cp, ["delete", "mysqls.otus.homework", NAME, "--wait=false"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const backupJob = await eventually("backup Job", () => orUndefined(batch.readNamespacedJob({ name: `backup-${NAME}-job`, namespace: NS })));
    assert.deepEqual(backupJob.spec?.template.spec?.containers[0]?.command, ["sh", "/mysqlop/scripts/backup.sh"]);
    await eventually("resource gone", async () => (await mysql()) === undefined, 120_000);
    const completed = await orUndefined(batch.readNamespacedJob({ name: `backup-${NAME}-job`, namespace: NS }));
    assert.ok(
      completed === undefined || completed.status?.conditions?.some((c) => c.type === "Complete" && c.status === "True"),
      "the resource went only after the backup completed",
    );
    const info = await core.readNamespacedConfigMap({ name: `backup-${NAME}-info`, namespace: NS });
    assert.match(info.data?.lastSucceeded ?? "", /^\d{4}-\d\d-\d\dT/);
    assert.ok(await core.readNamespacedPersistentVolumeClaim({ name: `backup-${NAME}-pvc`, namespace: NS }), "backup claim kept");
    await eventually("data PV removed", async () => (await orUndefined(core.readPersistentVolume({ name: `${NAME}-pv` }))) === undefined, 120_000);
  });

  test("re-create: restore-NAME-job runs and status says 'created with restore-job'", async () => {
    const applied = await kubectl(env.cp, ["apply", "-f", CR]);
    assert.equal(applied.code, 0, applied.stderr);
    const restored = await eventually(
      "restored",
      async () => {
        const m = await mysql();
        return m?.status?.message === `${NAME} created with restore-job` && m;
      },
      120_000,
    );
    assert.equal(restored.status?.restore?.job, `restore-${NAME}-job`);
    const job = await batch.readNamespacedJob({ name: `restore-${NAME}-job`, namespace: NS });
    assert.ok(job.metadata?.ownerReferences?.some((r) => r.uid === restored.metadata.uid));
    // kubectl describe shows the restore: one Event when its Job was made, one when it succeeded.
    const restoreEvents = async () =>
      (await core.listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.uid=${restored.metadata.uid ?? ""}` })).items
        .filter((e) => e.reason?.startsWith("Restore"))
        .map((e) => `${e.type} ${e.reason} x${e.count ?? 1}`)
        .sort();
    await eventually("the restore's Events", async () => (await restoreEvents()).length === 2);
    assert.deepEqual(await restoreEvents(), ["Normal RestoreStarted x1", "Normal RestoreSucceeded x1"]);
  });

  test("delete and re-create at once (old claim and volume still going): the new resource gets its own volume and the restore", async () => {
    const before = await mysql();
    assert.ok(before?.metadata.uid, "the restored resource of the previous test");
    const deleted = await kubectl(env.cp, ["delete", "mysqls.otus.homework", NAME, "--wait=true", "--timeout=120s"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const applied = await kubectl(env.cp, ["apply", "-f", CR]);
    assert.equal(applied.code, 0, applied.stderr);
    const again = await eventually(
      "restored again",
      async () => {
        const m = await mysql();
        return m?.metadata.uid !== before.metadata.uid && m?.status?.message === `${NAME} created with restore-job` && m;
      },
      120_000,
    );
    const uid = again.metadata.uid ?? "";
    const pv = await core.readPersistentVolume({ name: `${NAME}-pv` });
    assert.match(pv.spec?.hostPath?.path ?? "", new RegExp(`/${NAME}-${uid.slice(0, 8)}/data$`), "the new resource's own directory");
    const claim = await core.readNamespacedPersistentVolumeClaim({ name: `${NAME}-pvc`, namespace: NS });
    assert.ok(
      claim.metadata?.ownerReferences?.some((r) => r.uid === uid && r.controller === true),
      "the claim belongs to the new resource",
    );
    await eventually(
      "claim bound to it",
      async () => (await core.readNamespacedPersistentVolumeClaim({ name: `${NAME}-pvc`, namespace: NS })).status?.phase === "Bound",
    );
  });

  test("deleted before creation finished: the volume goes, and a new resource of the name is created normally", async () => {
    const name = "mysql-early";
    const manifest = (secret: string) =>
      JSON.stringify({
        apiVersion: "otus.homework/v1",
        kind: "MySQL",
        metadata: { name, namespace: NS },
        spec: { image: "mysql:5.7", database: "early", storage_size: "1Gi", passwordSecretRef: { name: secret, key: "pw" } },
      });
    const early = (): Promise<MySQL | undefined> =>
      orUndefined(custom.getNamespacedCustomObject({ group: "otus.homework", version: "v1", namespace: NS, plural: "mysqls", name }) as Promise<MySQL>);
    assert.equal((await kubectl(env.cp, ["apply", "-f", "-"], { input: manifest("early-root") })).code, 0);
    await eventually("waiting for its password Secret", async () => (await early())?.status?.conditions?.some((c) => c.reason === "PasswordSecretMissing"));
    // kwok reports the server's pod ready although its password Secret is missing (a kubelet would not start it), so the
    // server counts as up once the operator's cache shows its Deployment available.
    await eventually(
      "the server up, as the operator sees it",
      async () => (manager.cache.get<V1Deployment>("apps/v1", "Deployment", NS, name)?.status?.availableReplicas ?? 0) >= 1,
    );
    const first = await core.readPersistentVolume({ name: `${name}-pv` });
    const deleted = await kubectl(env.cp, ["delete", "mysqls.otus.homework", name, "--wait=true", "--timeout=120s"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    // A server that is up is backed up even before creation finished (it may hold writes).
    const info = await core.readNamespacedConfigMap({ name: `backup-${name}-info`, namespace: NS });
    assert.match(info.data?.lastSucceeded ?? "", /^\d{4}-/, "no earlier backup: the usual place, recorded");
    await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: "early-root" }, stringData: { pw: "early-pw" } } });
    assert.equal((await kubectl(env.cp, ["apply", "-f", "-"], { input: manifest("early-root") })).code, 0);
    const created = await eventually(
      "created",
      async () => {
        const m = await early();
        return m?.status?.message === `${name} created with restore-job` && m;
      },
      120_000,
    );
    const pv = await core.readPersistentVolume({ name: `${name}-pv` });
    assert.notEqual(pv.metadata?.uid, first.metadata?.uid, "a new volume");
    assert.match(pv.spec?.hostPath?.path ?? "", new RegExp(`-${(created.metadata.uid ?? "").slice(0, 8)}/data$`));
  });

  test("a backup record without the operator's label (its cache cannot show it) stops creation with what to do; labelled, it is restored", async () => {
    const name = "mysql-relabelled";
    const info = `backup-${name}-info`;
    const resource = (): Promise<MySQL | undefined> =>
      orUndefined(custom.getNamespacedCustomObject({ group: "otus.homework", version: "v1", namespace: NS, plural: "mysqls", name }) as Promise<MySQL>);
    // As a record copied from another cluster without its labels would be.
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: info }, data: { lastSucceeded: "2026-11-26T14:00:00Z", dumpFile: "/backup/mysqlop-dump.sql" } },
    });
    const manifest = JSON.stringify({
      apiVersion: "otus.homework/v1",
      kind: "MySQL",
      metadata: { name, namespace: NS },
      spec: { image: "mysql:5.7", database: "relabelled", password: "pw", storage_size: "1Gi" },
    });
    assert.equal((await kubectl(env.cp, ["apply", "-f", "-"], { input: manifest })).code, 0);
    const refused = await eventually("creation stopped", async () => {
      const m = await resource();
      return m?.status?.conditions?.find((c) => c.type === "Degraded" && c.status === "True" && c.reason === "AdoptionRefused") && m;
    });
    assert.match(refused.status?.message ?? "", new RegExp(`kubectl label configmap ${info} -n ${NS} app.kubernetes.io/managed-by=mysqlop`));
    assert.notEqual(refused.status?.message, `${name} created without restore-job`);
    assert.equal(await orUndefined(batch.readNamespacedJob({ name: `restore-${name}-job`, namespace: NS })), undefined, "no restore Job");

    const labelled = await kubectl(env.cp, ["label", "configmap", info, "-n", NS, "app.kubernetes.io/managed-by=mysqlop"]);
    assert.equal(labelled.code, 0, labelled.stderr);
    await eventually("restored", async () => (await resource())?.status?.message === `${name} created with restore-job`);
  });

  test("foreground cascading delete: the data claim is kept until a backup succeeded, and the resource says why it waits", async () => {
    const name = "mysql-fg";
    const fg = (): Promise<MySQL | undefined> =>
      orUndefined(custom.getNamespacedCustomObject({ group: "otus.homework", version: "v1", namespace: NS, plural: "mysqls", name }) as Promise<MySQL>);
    const manifest = JSON.stringify({
      apiVersion: "otus.homework/v1",
      kind: "MySQL",
      metadata: { name, namespace: NS },
      spec: { image: "mysql:5.7", database: "fg", storage_size: "1Gi", password: "fg-pw" },
    });
    assert.equal((await kubectl(env.cp, ["apply", "-f", "-"], { input: manifest })).code, 0);
    await eventually("created", async () => (await fg())?.status?.message === `${name} created without restore-job`);
    const claim = await core.readNamespacedPersistentVolumeClaim({ name: `${name}-pvc`, namespace: NS });
    assert.ok(claim.metadata?.finalizers?.includes("kubernetes.io/pvc-protection"), "the API server's own protection is kept by our applies");
    const deleted = await kubectl(env.cp, ["delete", "mysqls.otus.homework", name, "--cascade=foreground", "--wait=false"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    // Once the garbage collector has asked for the claim to go (its deletionTimestamp), the claim must still be there:
    // a fixed pause instead could end before the collector got to it on a loaded machine, and then prove nothing.
    const asked = await eventually("the garbage collector asked for the data claim to go", async () => {
      const claim = await orUndefined(core.readNamespacedPersistentVolumeClaim({ name: `${name}-pvc`, namespace: NS }));
      return (claim === undefined || claim.metadata?.deletionTimestamp !== undefined) && { claim };
    });
    assert.ok(asked.claim !== undefined, "the data claim must not go before a backup");
    const refused = await eventually("the reason in status", async () => {
      const m = await fg();
      return m?.status?.conditions?.find((c) => c.type === "Degraded" && c.status === "True" && c.reason === "ForegroundDeletion") && m;
    });
    assert.match(refused.status?.message ?? "", new RegExp(`${name}-pvc`));
    assert.match(refused.status?.message ?? "", new RegExp(`kubectl annotate mysql ${name} -n ${NS} otus\\.homework/final-backup=skip`), "the way out");
    assert.ok((await fg()) !== undefined, "the resource is held too");
    // Read again once the operator has said why it waits (after it saw the deletion): still there, still held.
    const kept = await orUndefined(core.readNamespacedPersistentVolumeClaim({ name: `${name}-pvc`, namespace: NS }));
    assert.ok(kept?.metadata?.finalizers?.includes(DATA_CLAIM_FINALIZER), "the data claim is still there, held, after the operator saw the deletion");
  });
});
