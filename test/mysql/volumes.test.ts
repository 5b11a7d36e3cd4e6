/**
 * The hostPath data volume: pre-bound to the data claim by namespace and name only (kube-controller-manager binds such a
 * volume to any claim of that name, whatever its class), so it exists only beside a claim of that name that is this
 * resource's, whatever this operator is called.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubernetesObject, V1Node, V1PersistentVolume, V1PersistentVolumeClaim } from "@kubernetes/client-node";
import type { MySQL } from "../../generated/mysql-models.ts";
import { buildDataClaim, buildDataVolume } from "../../src/mysql/desired/index.ts";
import { instanceOf } from "../../src/mysql/instance.ts";
import { MySQLReconciler } from "../../src/mysql/mysql-reconciler.ts";
import { planDataVolume } from "../../src/mysql/volumes.ts";
import { NotManagedError, type ReconcileContext } from "../../src/runtime/index.ts";
import { madeByOperator, originalResource, recordingContext, type Recorded } from "./fixtures.ts";

const reconciler = new MySQLReconciler();
/** A name given with `mysqlop run --name`: the label value, field manager and Event source of everything it makes. */
const CUSTOM_NAME = "mysqlop-blue";
const DATA_VOLUME = "PersistentVolume/mysql-instance-pv";

const readyNode: V1Node = {
  apiVersion: "v1",
  kind: "Node",
  metadata: { name: "node-a", labels: { "kubernetes.io/hostname": "node-a" } },
  status: { conditions: [{ type: "Ready", status: "True" }] },
};

function applied(recorded: Recorded): string[] {
  return recorded.applied.map((a) => `${a.object.kind}/${a.object.metadata?.name}`);
}

/** `object` controlled by `resource`, as an apply with that owner leaves it. */
function ownedBy<T extends KubernetesObject>(object: T, resource: MySQL): T {
  const ref = { apiVersion: "otus.homework/v1", kind: "MySQL", name: resource.metadata.name!, uid: resource.metadata.uid!, controller: true };
  return { ...object, metadata: { ...object.metadata, uid: `${object.metadata?.name}-uid`, ownerReferences: [ref] } };
}

test("an operator run under another name knows its own data claim: the volume an earlier resource of the name left is replaced", async () => {
  // The earlier resource's volume (another uid, so another directory) was deleted; this resource's claim, which the loop
  // applied before the create hook, waits for its volume.
  const resource = originalResource();
  const claim = madeByOperator(ownedBy(buildDataClaim(instanceOf(resource)), resource), CUSTOM_NAME);
  const { ctx, recorded } = recordingContext([claim], { managerName: CUSTOM_NAME });
  await reconciler.onCreate(resource, ctx);
  assert.ok(applied(recorded).includes(DATA_VOLUME), `the volume is made again: ${applied(recorded).join(", ")}`);
});

test("a new resource's data volume is made in one step with its claim and server, under any operator name", async () => {
  for (const managerName of [undefined, CUSTOM_NAME]) {
    const { ctx, recorded } = recordingContext([readyNode], { managerName });
    await reconciler.onCreate(originalResource({ status: { storage: undefined } }), ctx);
    const order = applied(recorded).filter((o) =>
      ["PersistentVolume/mysql-instance-pv", "PersistentVolumeClaim/mysql-instance-pvc", "Deployment/mysql-instance"].includes(o),
    );
    assert.deepEqual(order.toSorted(), ["Deployment/mysql-instance", DATA_VOLUME, "PersistentVolumeClaim/mysql-instance-pvc"], String(managerName));
  }
});

test("no data volume while the claim cannot be made: the referenced password Secret is missing; once the loop applied the claim, its volume", async () => {
  const spec = { password: undefined, passwordSecretRef: { name: "root", key: "pw" } };
  const { ctx, recorded } = recordingContext([readyNode]);
  const waiting = await reconciler.onCreate(originalResource({ spec, status: { storage: undefined } }), ctx);
  assert.equal(waiting.kind === "wait" && waiting.reason, "PasswordSecretMissing");
  assert.ok(!applied(recorded).includes(DATA_VOLUME), `a claim of that name made meanwhile by anyone would bind it: ${applied(recorded).join(", ")}`);

  // The next reconcile: the placement recorded, the loop applied the claim (and the server) before the create hook.
  const placed = originalResource({ spec });
  await ctx.applyAll(reconciler.desired(placed), { owner: placed });
  const still = await reconciler.onCreate(placed, ctx);
  assert.equal(still.kind === "wait" && still.reason, "PasswordSecretMissing");
  assert.ok(applied(recorded).includes(DATA_VOLUME), applied(recorded).join(", "));
});

test("a Deployment of the server's name someone else made: refused and left alone; the data volume only beside this resource's own claim", async () => {
  const theirs = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "mysql-instance", namespace: "default", uid: "theirs" } };
  const resource = originalResource({ status: { storage: undefined } });
  const { ctx, recorded } = recordingContext([readyNode, theirs]);
  await assert.rejects(reconciler.onCreate(resource, ctx), NotManagedError);
  assert.ok(!applied(recorded).includes("Deployment/mysql-instance"), applied(recorded).join(", "));
  assert.deepEqual(await ctx.read({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "mysql-instance", namespace: "default" } }), theirs);
  // The claim and the volume are written in the same step as the refused server (as the runtime does: only what runs pods
  // waits for the creates before it), so the volume is pre-bound to a claim that is this resource's: no one else's
  // claim can bind it.
  assert.ok(applied(recorded).includes(DATA_VOLUME), applied(recorded).join(", "));
  const claim = await ctx.read<V1PersistentVolumeClaim>({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "mysql-instance-pvc", namespace: "default" },
  });
  assert.equal(claim?.metadata?.ownerReferences?.[0]?.uid, resource.metadata.uid, "the volume's claim is this resource's");
});

test("no data volume beside a claim of that name someone else made (it would bind the volume): the create chain is refused", async () => {
  const theirs: V1PersistentVolumeClaim = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "mysql-instance-pvc", namespace: "default", uid: "theirs" },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
  };
  for (const managerName of [undefined, CUSTOM_NAME]) {
    const { ctx, recorded } = recordingContext([readyNode, theirs], { managerName });
    await assert.rejects(reconciler.onCreate(originalResource({ status: { storage: undefined } }), ctx), NotManagedError);
    assert.ok(!applied(recorded).includes(DATA_VOLUME), applied(recorded).join(", "));
  }
});

test("the claim's create failing after the volume was made: the volume, bound to nothing yet, is deleted (that very one), so no claim of that name made later can bind it", async () => {
  const { ctx: base, recorded } = recordingContext([readyNode]);
  const quota = new Error('persistentvolumeclaims "mysql-instance-pvc" is forbidden: exceeded quota: storage, requested: persistentvolumeclaims=1');
  // As the API server answers a namespace whose ResourceQuota allows no more claims: what precedes the claim is created.
  const ctx: ReconcileContext = {
    ...base,
    async applyAll<T extends KubernetesObject>(objects: readonly T[], options?: Parameters<ReconcileContext["applyAll"]>[1]): Promise<T[]> {
      const before = objects.slice(
        0,
        objects.findIndex((o) => o.kind === "PersistentVolumeClaim" && o.metadata?.name === "mysql-instance-pvc"),
      );
      await base.applyAll(before, options);
      throw quota;
    },
  };
  await assert.rejects(reconciler.onCreate(originalResource({ status: { storage: undefined } }), ctx), quota);
  assert.ok(applied(recorded).includes(DATA_VOLUME));
  const made = (await base.read<V1PersistentVolume>({ apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "mysql-instance-pv" } })) ?? {};
  assert.equal(made.metadata, undefined, "deleted");
  assert.deepEqual(
    recorded.deleted.map((d) => [d.kind, d.name, d.uid !== undefined]),
    [["PersistentVolume", "mysql-instance-pv", true]],
    "with the uid of the volume it made as precondition",
  );
});

test("a data volume kube-controller-manager bound already (to the claim that appeared meanwhile) is not deleted under that claim", async () => {
  const resource = originalResource({ status: { storage: undefined } });
  const { ctx: base, recorded, put } = recordingContext([readyNode]);
  const ctx: ReconcileContext = {
    ...base,
    async applyAll<T extends KubernetesObject>(objects: readonly T[], options?: Parameters<ReconcileContext["applyAll"]>[1]): Promise<T[]> {
      const [volume] = await base.applyAll(
        objects.filter((o) => o.kind === "PersistentVolume"),
        options,
      );
      const pv = volume as V1PersistentVolume;
      put({ ...pv, spec: { ...pv.spec, claimRef: { ...pv.spec?.claimRef, uid: "theirs" } }, status: { phase: "Bound" } } as V1PersistentVolume);
      throw new NotManagedError(
        "PersistentVolumeClaim default/mysql-instance-pvc",
        { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "mysql-instance-pvc", namespace: "default" } },
        "mysqlop",
      );
    },
  };
  await assert.rejects(reconciler.onCreate(resource, ctx), NotManagedError);
  assert.deepEqual(recorded.deleted, []);
});

test("planDataVolume: no volume is planned while a claim of that name exists that this resource does not control: the runtime creates a child missing from its cache at once, before the claim's create meets the 409, and the volume would bind that claim meanwhile", async () => {
  const resource = originalResource();
  const theirs: V1PersistentVolumeClaim = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "mysql-instance-pvc", namespace: "default", uid: "their-claim" },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
    status: { phase: "Pending" },
  };
  const { ctx } = recordingContext([readyNode, theirs]);
  const plan = await planDataVolume(instanceOf(resource), ctx);
  assert.deepEqual("volume" in plan && [plan.volume, plan.absent], [undefined, false], "none beside someone else's claim");

  const ours = madeByOperator(ownedBy(buildDataClaim(instanceOf(resource)), resource));
  const { ctx: ownCtx } = recordingContext([readyNode, ours]);
  const own = await planDataVolume(instanceOf(resource), ownCtx);
  assert.equal("volume" in own && own.volume?.metadata?.name, "mysql-instance-pv", "beside this resource's own claim, the volume is planned");
});

test("deleted before the cache shows the data claim and volume made just before: the claim's finalizer is removed and the volume deleted all the same", async () => {
  // Found by reading: releaseData read both from the cache only, and a claim left with the operator's finalizer stays
  // Terminating for good once the resource is gone, holding a next resource of the name (WaitingForVolume).
  const resource = originalResource();
  resource.metadata.deletionTimestamp = new Date();
  resource.metadata.finalizers = ["otus.homework/backup"];
  const uid = resource.metadata.uid ?? "";
  const claim = madeByOperator(buildDataClaim(instanceOf(resource)));
  claim.metadata = { ...claim.metadata, ownerReferences: [{ apiVersion: "otus.homework/v1", kind: "MySQL", name: "mysql-instance", uid, controller: true }] };
  const volume = madeByOperator(buildDataVolume(instanceOf(resource)));
  const { ctx, recorded } = recordingContext([resource, claim, volume]);
  const unseen = new Set(["mysql-instance-pvc", "mysql-instance-pv"]);
  const behind: ReconcileContext = {
    ...ctx,
    cache: {
      get: <T extends KubernetesObject>(apiVersion: string, kind: string, namespace: string | undefined, name: string) =>
        unseen.has(name) ? undefined : ctx.cache.get<T>(apiVersion, kind, namespace, name),
      list: <T extends KubernetesObject>(apiVersion: string, kind: string, namespace?: string) =>
        ctx.cache.list<T>(apiVersion, kind, namespace).filter((o) => !unseen.has(o.metadata?.name ?? "")),
    },
  };
  assert.equal((await reconciler.finalize(resource, behind)).kind, "done");
  assert.ok(recorded.finalizersRemoved.includes("PersistentVolumeClaim/mysql-instance-pvc otus.homework/backup"), recorded.finalizersRemoved.join(", "));
  assert.ok(
    recorded.deleted.some((d) => d.kind === "PersistentVolume" && d.name === "mysql-instance-pv"),
    JSON.stringify(recorded.deleted),
  );
});
