/**
 * A backup Job is made once per deletion, and a backup or password Job that must make way (left by another owner, or
 * for an older password) is deleted only once it has ended, whatever the operator's cache says. The case the chaos test met after a
 * SIGKILL, made deterministic: the resource is finalized by another writer (a killed run's request that the API
 * server carries out late) while this operator's MySQL watch has not delivered it yet; the garbage collector then
 * takes the backup Job with the resource, and the Job's deletion re-queues the resource, which the operator still
 * sees held by its finalizer with no Job. Real control plane with kwok workloads (kube-controller-manager's garbage
 * collector), the operator in process as its ServiceAccount.
 */
import assert from "node:assert/strict";
import { after, before, describe, test, type TestContext } from "node:test";
import { Watch, type KubeConfig, type V1Job } from "@kubernetes/client-node";
import { MYSQL_GROUP, MYSQL_KIND, MYSQL_VERSION } from "../../../generated/mysql-constants.ts";
import { FAKE_NODE_NAME } from "../../../src/envtest/index.ts";
import { OPERATOR_NAME } from "../../../src/mysql/names.ts";
import { MANAGED_BY_LABEL } from "../../../src/runtime/index.ts";
import { startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";
import { eventually } from "../../helpers/eventually.ts";
import { setCordoned } from "../../helpers/kwok-nodes.ts";
import { mysqlApi, mysqlManifest, orUndefined, type MySQLApi } from "../../helpers/mysql-api.ts";
import { startInProcessOperator, type InProcessOperator } from "../../helpers/operator-process.ts";

const NS = "default";
const LONG = 120_000;

/** What the API server announced of the Jobs named `name`, by uid, in order: a Job made and collected at once is seen too. */
interface JobHistory {
  readonly uids: string[];
  /** Uids of the Jobs seen Complete. */
  readonly completed: Set<string>;
  /** Uids of the Jobs seen deleted. */
  readonly deleted: Set<string>;
  stop(): void;
}

async function watchJobs(kubeConfig: KubeConfig, namespace: string, name: string): Promise<JobHistory> {
  const uids: string[] = [];
  const completed = new Set<string>();
  const deleted = new Set<string>();
  const watch = await new Watch(kubeConfig).watch(
    `/apis/batch/v1/namespaces/${namespace}/jobs`,
    { fieldSelector: `metadata.name=${name}` },
    (type: string, job: V1Job) => {
      const uid = job.metadata?.uid;
      if (uid === undefined) return;
      if (!uids.includes(uid)) uids.push(uid);
      if (job.status?.conditions?.some((c) => c.type === "Complete" && c.status === "True")) completed.add(uid);
      if (type === "DELETED") deleted.add(uid);
    },
    () => {},
  );
  return { uids, completed, deleted, stop: () => watch.abort() };
}

describe("Jobs made once and removed only once ended, whatever the operator's cache shows", { timeout: 300_000 }, () => {
  let env: MysqlopControlPlane;
  let api: MySQLApi;

  before(async () => {
    env = await startMysqlopControlPlane({ workloads: true });
    api = mysqlApi(env.cp);
  });

  after(async () => {
    await env?.cp.stop();
  });

  /** An operator of the test's own (the first test stops one of its caches), stopped when the test ends. */
  const operatorFor = (t: TestContext): InProcessOperator => {
    const operator = startInProcessOperator(env);
    t.after(() => operator.stop());
    return operator;
  };

  test("the resource finalized by another writer while the operator's MySQL watch lags: the Job the garbage collector took is not made again", async (t) => {
    const name = "twice";
    const job = `backup-${name}-job`;
    const running = operatorFor(t);
    await api.apply(mysqlManifest(name, NS));
    await eventually("created", async () => (await api.get(NS, name))?.status?.message === `${name} created without restore-job`, LONG, 250);

    const history = await watchJobs(env.cp.kubeConfig, NS, job);
    t.after(() => history.stop());

    // Cordoned, the backup Job's pod cannot start: the backup stays under way while the test sets the scene.
    await setCordoned(env.cp, FAKE_NODE_NAME, true);
    try {
      await api.delete(NS, name);
      const first = await eventually("the backup Job made", () => orUndefined(api.batch.readNamespacedJob({ namespace: NS, name: job })), LONG, 250);
      // The API server shows the Job as soon as it is stored, which can be before the operator has its answer and logs the
      // creation: that line must come before the mark below, or it would be taken for a second creation.
      await eventually("the operator logged the Job it made", async () => running.logs.some((line) => line.includes(`created Job ${NS}/${job}`)), LONG, 50);
      // From here the operator's view of the resource stays as it is: a watch that has not delivered the next events.
      const mysqlCache = running.manager.cache.informerFor(`${MYSQL_GROUP}/${MYSQL_VERSION}`, MYSQL_KIND);
      const jobCache = running.manager.cache.informerFor("batch/v1", "Job");
      assert.ok(mysqlCache !== undefined && jobCache !== undefined);
      mysqlCache.stop();
      assert.ok(mysqlCache.get(NS, name)?.metadata?.deletionTimestamp !== undefined, "the operator's cache holds the resource being deleted");
      const mark = running.logs.length;

      // Another writer finalizes it; the resource goes, and the garbage collector takes the Job with it.
      await api.patch(NS, name, { metadata: { finalizers: null } });
      await eventually("the resource gone", async () => (await api.get(NS, name)) === undefined, LONG, 250);
      await eventually(
        "the Job collected",
        async () => (await orUndefined(api.batch.readNamespacedJob({ namespace: NS, name: job }))) === undefined,
        LONG,
        250,
      );
      await eventually("the operator's Job cache saw it go", async () => jobCache.get(NS, job) === undefined, LONG, 250);

      // The Job's deletion re-queued the resource, which the operator still sees held by its finalizer: that reconcile
      // either makes the Job again, or finds on the API server that the resource is gone and makes nothing.
      const outcome = await eventually(
        "the reconcile after the Job went",
        async () => running.logs.slice(mark).find((line) => line.includes(`created Job ${NS}/${job}`) || line.includes(`${job} not made`)),
        LONG,
        250,
      );
      assert.doesNotMatch(outcome, /created Job/, "the backup Job was made again for a resource that is gone");
      assert.deepEqual(history.uids, [first.metadata?.uid], "one Job uid");
      assert.equal(await orUndefined(api.batch.readNamespacedJob({ namespace: NS, name: job })), undefined, "no Job left behind");
    } finally {
      await setCordoned(env.cp, FAKE_NODE_NAME, false);
    }
  });

  test("a backup Job of the name owned by someone else is waited for while it runs, never deleted then; once it ended, that very Job is deleted and the resource's own made", async (t) => {
    const name = "heir";
    const job = `backup-${name}-job`;
    operatorFor(t);
    await api.apply(mysqlManifest(name, NS));
    await eventually("created", async () => (await api.get(NS, name))?.status?.message === `${name} created without restore-job`, LONG, 250);
    const history = await watchJobs(env.cp.kubeConfig, NS, job);
    t.after(() => history.stop());

    // As an earlier resource of the name would have left it, its owner still there (else the garbage collector takes it):
    // made by this operator, owned by another object, its pod unable to start (cordoned) so that it runs on.
    const keeper = await api.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: "keeper" } } });
    await setCordoned(env.cp, FAKE_NODE_NAME, true);
    let foreign: string | undefined;
    try {
      const made = await api.batch.createNamespacedJob({
        namespace: NS,
        body: {
          metadata: {
            name: job,
            labels: { [MANAGED_BY_LABEL]: OPERATOR_NAME },
            ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "keeper", uid: keeper.metadata?.uid ?? "", controller: true }],
          },
          spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "dump", image: "mysql:5.7" }] } } },
        },
      });
      foreign = made.metadata?.uid;
      await api.delete(NS, name);
      await eventually(
        "the operator waits for the running Job",
        async () => (await api.get(NS, name))?.status?.message?.startsWith(`waiting for ${job}, left by an earlier resource of this name, to end`),
        LONG,
        250,
      );
      // The test's own watch may deliver the Job a moment after the operator's did.
      await eventually("the test's watch saw the earlier Job", async () => history.uids.includes(foreign ?? ""), LONG, 50);
      assert.deepEqual(history.uids, [foreign], "the running Job is not deleted");
      assert.equal(history.deleted.size, 0, "the running Job is not deleted");
    } finally {
      await setCordoned(env.cp, FAKE_NODE_NAME, false);
    }
    // Its pod starts and kwok completes it; only then does the operator delete it and make its own.
    await eventually("the resource gone (its own backup done)", async () => (await api.get(NS, name)) === undefined, LONG, 250);
    // The operator acted on what its own watch delivered; the test's watch of the same Jobs may deliver it a moment later.
    await eventually("the test's watch saw the resource's own Job complete", async () => history.completed.has(history.uids[1] ?? ""), LONG, 50);
    assert.equal(history.uids.length, 2, `the earlier Job, then the resource's own: ${history.uids.join(", ")}`);
    assert.equal(history.uids[0], foreign);
    assert.ok(foreign !== undefined && history.completed.has(foreign), "the earlier Job ran to its end before it was deleted");
    assert.ok(history.completed.has(history.uids[1] ?? ""), "the resource's own backup Job completed");
    await api.core.deleteNamespacedConfigMap({ namespace: NS, name: "keeper" });
  });

  test("a password Job for an older password is waited for while it runs (it may have set that password), recorded once it ended, and only then replaced", async (t) => {
    const name = "repass";
    const job = `passwd-${name}-job`;
    operatorFor(t);
    await api.apply(mysqlManifest(name, NS));
    await eventually("created", async () => (await api.get(NS, name))?.status?.message === `${name} created without restore-job`, LONG, 250);
    const history = await watchJobs(env.cp.kubeConfig, NS, job);
    t.after(() => history.stop());
    const recorded = async (): Promise<string | undefined> => {
      const secret = await orUndefined(api.core.readNamespacedSecret({ namespace: NS, name: `${name}-credentials` }));
      const value = secret?.data?.password;
      return value === undefined ? undefined : Buffer.from(value, "base64").toString();
    };

    // Its pod cannot start (cordoned), so the Job for pw-2 runs on while the spec moves on to pw-3.
    await setCordoned(env.cp, FAKE_NODE_NAME, true);
    try {
      await api.apply(mysqlManifest(name, NS, { password: "pw-2" }));
      await eventually("the Job for pw-2 made", async () => history.uids.length === 1, LONG, 250);
      await api.apply(mysqlManifest(name, NS, { password: "pw-3" }));
      await eventually(
        "the operator waits for the running Job of the older password",
        async () => (await api.get(NS, name))?.status?.message?.startsWith(`waiting for ${job}, of an earlier password change, to end`),
        LONG,
        250,
      );
      assert.equal(history.deleted.size, 0, "the running Job is not deleted");
      assert.equal(await recorded(), "otuspassword");
    } finally {
      await setCordoned(env.cp, FAKE_NODE_NAME, false);
    }
    // kwok completes it; the operator records pw-2 (the server has it now), deletes that Job, and makes the one for pw-3.
    await eventually("the credentials hold pw-3", async () => (await recorded()) === "pw-3", LONG, 250);
    // The credentials follow the pw-3 Job's completion, as the operator's watch delivered it; the test's may lag behind.
    await eventually("the test's watch saw the pw-3 Job complete", async () => history.completed.has(history.uids[1] ?? ""), LONG, 50);
    assert.equal(history.uids.length, 2, `the Job for pw-2, then the one for pw-3: ${history.uids.join(", ")}`);
    const [older] = history.uids;
    assert.ok(older !== undefined && history.completed.has(older) && history.deleted.has(older), "the older Job ran to its end, then was deleted");
    await api.delete(NS, name);
    await eventually("the resource gone", async () => (await api.get(NS, name)) === undefined, LONG, 250);
  });
});
