/**
 * No silent adoption, on a real control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok)
 * with the operator under its generated RBAC: an object that carries the name of a child but not the operator's
 * managed-by label is someone else's. The operator refuses it (status and a Warning Event naming it, retried with
 * back-off) and changes nothing of it, not even metadata: its resourceVersion stays. Once the object is gone, the
 * resource converges and the child it then creates is its own. An object made by someone else right before the operator's
 * create (the race, made certain by a hook on the operator's requests; its cache holds only what it labelled) is refused
 * the same way.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AppsV1Api, BatchV1Api, CoreV1Api, type CoreV1Event, type KubernetesObject, type V1Deployment } from "@kubernetes/client-node";
import type { MySQL } from "../../../generated/mysql-models.ts";
import { MANAGED_BY_LABEL } from "../../../src/runtime/index.ts";
import { eventually as pollUntil } from "../../helpers/eventually.ts";
import { kubectl, startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";
import { readMySQL, startInProcessOperator, type InProcessOperator } from "../../helpers/operator-process.ts";
import { orUndefined } from "../../helpers/not-found.ts";

const NS = "default";

function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> {
  return pollUntil(what, check, timeoutMs, 250);
}

/** One kind of child, made by a user before the MySQL resource of its name. */
interface Squatter {
  /** The MySQL resource's name. */
  readonly mysql: string;
  /** How the operator names the object (`Kind namespace/name`). */
  readonly object: string;
  create(): Promise<unknown>;
  read(): Promise<KubernetesObject | undefined>;
  /**
   * Whether the object's own controllers are done with it (the deployment controller writes a new Deployment's revision
   * and status twice): only then does its snapshot stay as it is unless the operator changes it.
   */
  settled?(object: KubernetesObject): boolean;
  remove(): Promise<unknown>;
}

describe("an object of a child's name that the operator did not make is refused, never adopted", { timeout: 600_000 }, () => {
  let env: MysqlopControlPlane;
  let operator: InProcessOperator;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let batch: BatchV1Api;

  const mysql = (name: string): Promise<MySQL | undefined> => readMySQL(env, NS, name);
  const condition = (m: MySQL | undefined, type: string) => m?.status?.conditions?.find((c) => c.type === type);
  const createMySQL = async (name: string): Promise<void> => {
    const manifest = JSON.stringify({
      apiVersion: "otus.homework/v1",
      kind: "MySQL",
      metadata: { name, namespace: NS },
      spec: { image: "mysql:8.4", database: "app", storage_size: "1Gi", password: `${name}-root` },
    });
    const applied = await kubectl(env.cp, ["apply", "-f", "-"], { input: manifest });
    assert.equal(applied.code, 0, applied.stderr);
  };
  const warnings = async (name: string): Promise<CoreV1Event[]> =>
    (await core.listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.name=${name},involvedObject.kind=MySQL` })).items.filter(
      (e) => e.type === "Warning",
    );
  const failedReconciles = async (): Promise<number> =>
    (await operator.manager.metrics.reconcileTotal.get()).values.filter((v) => v.labels.result === "error").reduce((sum, v) => sum + v.value, 0);

  /**
   * The refusal, as a user sees it: Degraded with reason AdoptionRefused naming the object, one Warning Event saying the
   * same; and, after the operator retried twice more, the object exactly as it was.
   */
  async function assertRefused(squatter: Squatter, name: string, made: KubernetesObject): Promise<void> {
    const refused = await eventually(`${name} refuses ${squatter.object}`, async () => {
      const m = await mysql(name);
      return condition(m, "Degraded")?.reason === "AdoptionRefused" && m;
    });
    const message = condition(refused, "Degraded")?.message ?? "";
    assert.ok(message.startsWith(`${squatter.object} exists and was not made by mysqlop`), message);
    assert.match(message, new RegExp(`lacks the label ${MANAGED_BY_LABEL.replaceAll(".", "\\.")}=mysqlop`));
    assert.equal(condition(refused, "Ready")?.status, "False");
    const events = await eventually(`the Warning Event on ${name}`, async () => {
      const found = (await warnings(name)).filter((e) => e.reason === "AdoptionRefused");
      return found.length > 0 && found;
    });
    assert.ok(events[0]?.message?.startsWith(`${squatter.object} exists`), events[0]?.message);
    // Read after the Event: the reconcile that sent it had counted its failure before the Event could be stored.
    const failures = await failedReconciles();
    await eventually("two more retries", async () => (await failedReconciles()) >= failures + 2);
    assert.deepEqual(await squatter.read(), made, `${squatter.object} changed`);
    assert.equal((await warnings(name)).filter((e) => e.reason === "AdoptionRefused").length, events.length, "no new Event for the same refusal");
  }

  before(async () => {
    env = await startMysqlopControlPlane({ workloads: true });
    core = env.cp.kubeConfig.makeApiClient(CoreV1Api);
    apps = env.cp.kubeConfig.makeApiClient(AppsV1Api);
    batch = env.cp.kubeConfig.makeApiClient(BatchV1Api);
    operator = startInProcessOperator(env);
  });

  after(async () => {
    await operator?.stop();
    await env?.cp.stop();
  });

  const squatters = (): Squatter[] => [
    {
      mysql: "adopt-pvc",
      object: `PersistentVolumeClaim ${NS}/adopt-pvc-pvc`,
      create: () =>
        core.createNamespacedPersistentVolumeClaim({
          namespace: NS,
          body: {
            metadata: { name: "adopt-pvc-pvc", labels: { app: "reports" } },
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } }, storageClassName: "manual" },
          },
        }),
      read: () => orUndefined(core.readNamespacedPersistentVolumeClaim({ name: "adopt-pvc-pvc", namespace: NS })),
      remove: () => core.deleteNamespacedPersistentVolumeClaim({ name: "adopt-pvc-pvc", namespace: NS }),
    },
    {
      mysql: "adopt-secret",
      object: `Secret ${NS}/adopt-secret-credentials`,
      create: () =>
        core.createNamespacedSecret({
          namespace: NS,
          body: { metadata: { name: "adopt-secret-credentials" }, stringData: { password: "their own password" } },
        }),
      read: () => orUndefined(core.readNamespacedSecret({ name: "adopt-secret-credentials", namespace: NS })),
      remove: () => core.deleteNamespacedSecret({ name: "adopt-secret-credentials", namespace: NS }),
    },
    {
      mysql: "adopt-svc",
      object: `Service ${NS}/adopt-svc`,
      create: () =>
        core.createNamespacedService({
          namespace: NS,
          body: { metadata: { name: "adopt-svc" }, spec: { selector: { app: "their-app" }, ports: [{ port: 3306 }] } },
        }),
      read: () => orUndefined(core.readNamespacedService({ name: "adopt-svc", namespace: NS })),
      remove: () => core.deleteNamespacedService({ name: "adopt-svc", namespace: NS }),
    },
    {
      mysql: "adopt-deploy",
      object: `Deployment ${NS}/adopt-deploy`,
      create: () =>
        apps.createNamespacedDeployment({
          namespace: NS,
          body: {
            metadata: { name: "adopt-deploy" },
            spec: {
              replicas: 0,
              selector: { matchLabels: { app: "their-app" } },
              template: { metadata: { labels: { app: "their-app" } }, spec: { containers: [{ name: "web", image: "nginx:1.27" }] } },
            },
          },
        }),
      read: () => orUndefined(apps.readNamespacedDeployment({ name: "adopt-deploy", namespace: NS })),
      remove: () => apps.deleteNamespacedDeployment({ name: "adopt-deploy", namespace: NS }),
      settled: (object) => (object as V1Deployment).status?.conditions?.some((c) => c.type === "Progressing" && c.reason === "NewReplicaSetAvailable") === true,
    },
    {
      mysql: "adopt-cm",
      object: `ConfigMap ${NS}/adopt-cm-scripts`,
      create: () => core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: "adopt-cm-scripts" }, data: { "backup.sh": "echo mine" } } }),
      read: () => orUndefined(core.readNamespacedConfigMap({ name: "adopt-cm-scripts", namespace: NS })),
      remove: () => core.deleteNamespacedConfigMap({ name: "adopt-cm-scripts", namespace: NS }),
    },
  ];

  for (const squatter of squatters()) {
    test(`${squatter.object}, made by a user: refused with its name in status and an Event, left as it was; once it is gone, the resource converges`, async () => {
      await squatter.create();
      const made = await eventually(`${squatter.object} made`, async () => {
        const object = await squatter.read();
        return object !== undefined && (squatter.settled?.(object) ?? true) && object;
      });
      await createMySQL(squatter.mysql);
      await assertRefused(squatter, squatter.mysql, made);
      await squatter.remove();
      await eventually(
        `${squatter.mysql} created`,
        async () => (await mysql(squatter.mysql))?.status?.message === `${squatter.mysql} created without restore-job`,
        120_000,
      );
      const ours = await eventually(`${squatter.object} made by the operator`, async () => {
        const object = await squatter.read();
        return object?.metadata?.uid !== made.metadata?.uid && object;
      });
      assert.equal(ours.metadata?.labels?.[MANAGED_BY_LABEL], "mysqlop");
      const uid = (await mysql(squatter.mysql))?.metadata.uid;
      assert.ok(
        ours.metadata?.ownerReferences?.some((r) => r.uid === uid && r.controller === true),
        `${squatter.object} is owned by its resource now`,
      );
    });
  }

  test("a user's PersistentVolumeClaim of the data claim's name: nothing mounts it, and deleting the resource leaves it as it was", async () => {
    const name = "adopt-kept";
    const claim = "adopt-kept-pvc";
    await core.createNamespacedPersistentVolumeClaim({
      namespace: NS,
      body: {
        metadata: { name: claim },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "manual" },
      },
    });
    const made = await core.readNamespacedPersistentVolumeClaim({ name: claim, namespace: NS });
    await createMySQL(name);
    await assertRefused(
      {
        mysql: name,
        object: `PersistentVolumeClaim ${NS}/${claim}`,
        create: async () => {},
        read: () => orUndefined(core.readNamespacedPersistentVolumeClaim({ name: claim, namespace: NS })),
        remove: async () => {},
      },
      name,
      made,
    );
    assert.equal(await orUndefined(apps.readNamespacedDeployment({ name, namespace: NS })), undefined, "no server was made to mount it");
    const deleted = await kubectl(env.cp, ["delete", "mysqls.otus.homework", name, "--wait=true", "--timeout=120s"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const kept = await core.readNamespacedPersistentVolumeClaim({ name: claim, namespace: NS });
    assert.deepEqual(kept, made, "deleting the resource took nothing of the user's claim");
  });

  test("a user's Deployment of the server's name in hostPath mode: no data volume is made, so a claim of the data claim's name made then binds nothing of the operator's", async () => {
    // The volume would name its claim by namespace and name only: kube-controller-manager binds such a volume to any claim of that name.
    const name = "adopt-vol";
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: "their-app" } },
          template: { metadata: { labels: { app: "their-app" } }, spec: { containers: [{ name: "web", image: "nginx:1.27" }] } },
        },
      },
    });
    await createMySQL(name);
    await eventually(`${name} refuses Deployment ${NS}/${name}`, async () => condition(await mysql(name), "Degraded")?.reason === "AdoptionRefused");
    // The refusing reconcile counts its failure after its status write, but before its Warning Event can be stored: once
    // the Event is seen, the count below is not a stale one that this same reconcile then raises (one retry fewer).
    await eventually(`the Warning Event on ${name}`, async () => (await warnings(name)).some((e) => e.reason === "AdoptionRefused"));
    const failures = await failedReconciles();
    await eventually("two more retries", async () => (await failedReconciles()) >= failures + 2);
    // A volume only beside the operator's own claim of that name (the step may have created both before the refusal).
    const ownClaim = await orUndefined(core.readNamespacedPersistentVolumeClaim({ name: `${name}-pvc`, namespace: NS }));
    const volume = await orUndefined(core.readPersistentVolume({ name: `${name}-pv` }));
    assert.ok(volume === undefined || ownClaim?.metadata?.labels?.[MANAGED_BY_LABEL] === "mysqlop", "no volume pre-bound to a claim the operator has not made");
    if (ownClaim === undefined) {
      await core.createNamespacedPersistentVolumeClaim({
        namespace: NS,
        body: {
          metadata: { name: `${name}-pvc` },
          spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "" },
        },
      });
      await eventually("two more retries", async () => (await failedReconciles()) >= failures + 4);
      assert.equal(await orUndefined(core.readPersistentVolume({ name: `${name}-pv` })), undefined);
      const theirs = await core.readNamespacedPersistentVolumeClaim({ name: `${name}-pvc`, namespace: NS });
      assert.equal(theirs.spec?.volumeName, undefined, "the user's claim is bound to nothing");
    }
    const deleted = await kubectl(env.cp, ["delete", "mysqls.otus.homework", name, "--wait=true", "--timeout=120s"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    await apps.deleteNamespacedDeployment({ name, namespace: NS });
    await orUndefined(core.deleteNamespacedPersistentVolumeClaim({ name: `${name}-pvc`, namespace: NS }));
  });

  test("a user's ConfigMap of the backup record's name: creation stops (a final backup could not be recorded there), the ConfigMap is not written over; once it is removed, all goes on", async () => {
    const name = "adopt-info";
    const record = `backup-${name}-info`;
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: record }, data: { note: "a user's own notes" } } });
    const made = await core.readNamespacedConfigMap({ name: record, namespace: NS });
    await createMySQL(name);
    const squatter: Squatter = {
      mysql: name,
      object: `ConfigMap ${NS}/${record}`,
      create: async () => {},
      read: () => orUndefined(core.readNamespacedConfigMap({ name: record, namespace: NS })),
      remove: () => core.deleteNamespacedConfigMap({ name: record, namespace: NS }),
    };
    // Not ours, so neither taken for a record of an earlier backup nor ignored.
    await assertRefused(squatter, name, made);
    assert.notEqual((await mysql(name))?.status?.message, `${name} created without restore-job`);
    await squatter.remove();
    await eventually(`${name} created`, async () => (await mysql(name))?.status?.message === `${name} created without restore-job`, 120_000);
    const deleted = await kubectl(env.cp, ["delete", "mysqls.otus.homework", name, "--wait=true", "--timeout=120s"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const ours = await core.readNamespacedConfigMap({ name: record, namespace: NS });
    assert.equal(ours.metadata?.labels?.[MANAGED_BY_LABEL], "mysqlop");
    assert.match(ours.data?.lastSucceeded ?? "", /^\d{4}-/);
  });

  test("a user's Job of the backup Job's name: the deletion is held, the Job is neither taken over nor deleted", async () => {
    const name = "adopt-job";
    const job = `backup-${name}-job`;
    await createMySQL(name);
    await eventually(`${name} created`, async () => (await mysql(name))?.status?.message === `${name} created without restore-job`, 120_000);
    await batch.createNamespacedJob({
      namespace: NS,
      body: {
        metadata: { name: job },
        spec: { suspend: true, template: { spec: { restartPolicy: "Never", containers: [{ name: "report", image: "busybox:1.36", command: ["true"] }] } } },
      },
    });
    const made = await eventually(`${job} made`, async () => {
      const object = await orUndefined(batch.readNamespacedJob({ name: job, namespace: NS }));
      // The job controller records a suspended Job's Suspended condition once: the snapshot is taken after it.
      return object?.status?.conditions?.some((c) => c.type === "Suspended") === true && object;
    });
    const deleted = await kubectl(env.cp, ["delete", "mysqls.otus.homework", name, "--wait=false"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const squatter: Squatter = {
      mysql: name,
      object: `Job ${NS}/${job}`,
      create: async () => {},
      read: () => orUndefined(batch.readNamespacedJob({ name: job, namespace: NS })),
      remove: () => batch.deleteNamespacedJob({ name: job, namespace: NS, propagationPolicy: "Background" }),
    };
    await assertRefused(squatter, name, made);
    assert.ok((await mysql(name))?.metadata.finalizers?.includes("otus.homework/backup"), "the deletion is held");
    await squatter.remove();
    await eventually(`${name} gone`, async () => (await mysql(name)) === undefined, 120_000);
  });
  test("a Service made right before the operator's create (the race, made certain; its cache does not hold another's object): refused, not taken over, no server made", async () => {
    const name = "adopt-race";
    const services = `/api/v1/namespaces/${NS}/services`;
    const squatter: Squatter = {
      mysql: name,
      object: `Service ${NS}/${name}`,
      create: () =>
        core.createNamespacedService({ namespace: NS, body: { metadata: { name }, spec: { selector: { app: "their-app" }, ports: [{ port: 3306 }] } } }),
      read: () => orUndefined(core.readNamespacedService({ name, namespace: NS })),
      remove: () => core.deleteNamespacedService({ name, namespace: NS }),
    };
    const rest = operator.manager.rest;
    const send = rest.send.bind(rest);
    // The user's create, once started: the test waits for it to have finished, not only begun (a read between the two
    // found nothing once, in CI).
    let raced: Promise<unknown> | undefined;
    // The operator's cache has no Service of the name; a user's appears before the operator's create arrives, as another
    // client's may at any moment.
    rest.send = (async (method: Parameters<typeof send>[0], path: string, options?: Parameters<typeof send>[2]) => {
      if (raced === undefined && method === "POST" && path === services && (options?.body as KubernetesObject | undefined)?.metadata?.name === name) {
        raced = squatter.create();
        await raced;
      }
      return send(method, path, options);
    }) as typeof rest.send;
    try {
      await createMySQL(name);
      await eventually("the Service made right before the operator's create", async () => raced !== undefined);
      await raced;
      const made = await squatter.read();
      assert.ok(made !== undefined);
      await assertRefused(squatter, name, made);
      assert.equal(await orUndefined(apps.readNamespacedDeployment({ name, namespace: NS })), undefined, "no server was made to use it");
    } finally {
      rest.send = send;
    }
    await squatter.remove();
    await eventually(`${name} created`, async () => (await mysql(name))?.status?.message === `${name} created without restore-job`, 120_000);
    const ours = await squatter.read();
    assert.equal(ours?.metadata?.labels?.[MANAGED_BY_LABEL], "mysqlop");
  });

  test("several children refused at once: each is named and watched, so that removing any of them re-queues the resource (retries an hour apart)", async () => {
    await operator.stop();
    // A retry of a failed reconcile an hour away: only a watch can bring the resource back within the test.
    operator = startInProcessOperator(env, { retryBackoff: { baseMs: 3_600_000, maxMs: 3_600_000, jitter: 0 } });
    try {
      const name = "adopt-many";
      const scripts = `${name}-scripts`;
      await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: scripts }, data: { "backup.sh": "echo mine" } } });
      await core.createNamespacedService({ namespace: NS, body: { metadata: { name }, spec: { selector: { app: "their-app" }, ports: [{ port: 3306 }] } } });
      await createMySQL(name);
      const both = await eventually(`${name} refuses both`, async () => {
        const message = condition(await mysql(name), "Degraded")?.message;
        return message?.includes(`Service ${NS}/${name} (AdoptionRefused)`) === true && message;
      });
      assert.ok(both.startsWith(`ConfigMap ${NS}/${scripts} exists and was not made by mysqlop`), both);
      // The failed reconcile that wrote the refusal is counted after its status write, but before its Warning Event can be
      // stored: once the Event is seen, the count below is not a stale one that the same reconcile then raises.
      await eventually(`the Warning Event on ${name}`, async () => (await warnings(name)).some((e) => e.reason === "AdoptionRefused"));
      const failures = await failedReconciles();
      // The second of the two: before every refused object was watched, only the first was.
      await core.deleteNamespacedService({ name, namespace: NS });
      const one = await eventually(`${name} re-queued by the Service's removal`, async () => {
        const degraded = condition(await mysql(name), "Degraded");
        return degraded?.reason === "AdoptionRefused" && degraded.message?.includes("Service") === false && degraded.message;
      });
      assert.ok(one.startsWith(`ConfigMap ${NS}/${scripts} exists`), one);
      // Likewise, the new reconcile's failure is counted after its status write.
      await eventually("the re-queued reconcile counted", async () => (await failedReconciles()) > failures);
      await core.deleteNamespacedConfigMap({ name: scripts, namespace: NS });
      const ours = await eventually(`${scripts} made by the operator`, async () => {
        const object = await orUndefined(core.readNamespacedConfigMap({ name: scripts, namespace: NS }));
        return object?.metadata?.labels?.[MANAGED_BY_LABEL] === "mysqlop" && object;
      });
      assert.equal(ours.data?.["backup.sh"] === "echo mine", false);
    } finally {
      await operator.stop();
      operator = startInProcessOperator(env);
    }
  });
});
