/** Where the volumes come from: the decision at creation (given/want tables) and what the builders make of it. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubernetesObject, V1Node, V1PersistentVolume, V1PersistentVolumeClaim, V1StorageClass } from "@kubernetes/client-node";
import type { MySQL } from "../../generated/mysql-models.ts";
import { buildBackupJob, buildBackupVolume, buildDataVolume, buildPasswordChangeJob, buildRestoreJob, desiredChildren } from "../../src/mysql/desired/index.ts";
import { instanceOf } from "../../src/mysql/instance.ts";
import { MySQLReconciler } from "../../src/mysql/mysql-reconciler.ts";
import { chooseNode, decidePlacement, defaultStorageClass } from "../../src/mysql/placement.ts";
import type { StoragePlacement } from "../../src/mysql/storage-mode.ts";
import { OPERATOR_NAME } from "../../src/mysql/names.ts";
import { MANAGED_BY_LABEL, NotManagedError } from "../../src/runtime/index.ts";
import { FIXTURE_NODE, madeByOperator, originalResource, recordingContext } from "./fixtures.ts";

function node(name: string, opts: { ready?: boolean; cordoned?: boolean; taint?: string; hostname?: string } = {}): V1Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": opts.hostname ?? name } },
    spec: { unschedulable: opts.cordoned, taints: opts.taint === undefined ? undefined : [{ key: "k", effect: opts.taint }] },
    status: { conditions: [{ type: "Ready", status: opts.ready === false ? "False" : "True" }] },
  };
}

function pinnedVolume(name: string, hostname: string, madeByUs = true): V1PersistentVolume {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name, labels: madeByUs ? { "otus.homework/mysql": "other", "otus.homework/namespace": "default", [MANAGED_BY_LABEL]: OPERATOR_NAME } : {} },
    spec: {
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [hostname] }] }] } },
    },
  };
}

function storageClass(name: string, annotations: Record<string, string>, created: string): V1StorageClass {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name, annotations, creationTimestamp: created as unknown as Date },
    provisioner: "x",
  };
}

const undecided = (spec: Partial<MySQL["spec"]> = {}) => instanceOf(originalResource({ spec, status: { storage: undefined } }));

test("chooseNode: the backup volume's node; else the node asked for; else the least loaded node that takes pods", () => {
  const cases: [string, Parameters<typeof chooseNode>, string][] = [
    ["asked for (even cordoned)", [undecided({ hostPath: { node: "b" } }), [node("a"), node("b", { cordoned: true })], []], "b"],
    ["asked for: its hostname label", [undecided({ hostPath: { node: "b" } }), [node("b", { hostname: "b.example" })], []], "b.example"],
    ["the backup volume's node", [undecided(), [node("a"), node("b")], [pinnedVolume("backup-mysql-instance-pv", "b")]], "b"],
    ["least loaded", [undecided(), [node("a"), node("b")], [pinnedVolume("x-pv", "a"), pinnedVolume("y-pv", "a"), pinnedVolume("z-pv", "b")]], "b"],
    ["volumes not ours do not count", [undecided(), [node("a"), node("b")], [pinnedVolume("x-pv", "a", false)]], "a"],
    [
      "cordoned, not ready and tainted nodes are left out",
      [undecided(), [node("a", { cordoned: true }), node("b", { ready: false }), node("c", { taint: "NoSchedule" }), node("d")], []],
      "d",
    ],
    [
      "asked for, where the backup volume is",
      [undecided({ hostPath: { node: "b" } }), [node("a"), node("b")], [pinnedVolume("backup-mysql-instance-pv", "b")]],
      "b",
    ],
  ];
  const refusal = (chosen: ReturnType<typeof chooseNode>): string => ("reason" in chosen ? `${chosen.reason}: ${chosen.message}` : chosen.node);
  for (const [name, args, want] of cases) assert.equal(refusal(chooseNode(...args)), want, name);
  assert.match(refusal(chooseNode(undecided(), [node("a", { cordoned: true })], [])), /^NoNodeForVolumes: no node is Ready and schedulable \(of 1\)/);
  assert.match(
    refusal(chooseNode(undecided({ hostPath: { node: "zz" } }), [node("a")], [])),
    /^NoNodeForVolumes: spec\.hostPath\.node names zz, which is not a node/,
  );
  // Found by a review (run on a real control plane): the data went to another node, and the restore Job, which mounts
  // both volumes, could never be scheduled (RestoreNotStarting, no way out named); every backup Job after it neither.
  const gone = refusal(chooseNode(undecided(), [node("a")], [pinnedVolume("backup-mysql-instance-pv", "gone")]));
  assert.match(gone, /^BackupVolumeUnreachable: PersistentVolume backup-mysql-instance-pv .* is on node gone, which is not in the cluster/);
  assert.match(
    gone,
    /Bring node gone back; or, to start without those dumps, delete ConfigMap backup-mysql-instance-info .*PersistentVolumeClaim backup-mysql-instance-pvc \(kubectl patch pvc backup-mysql-instance-pvc -n default --type=merge/,
  );
  const elsewhere = refusal(chooseNode(undecided({ hostPath: { node: "a" } }), [node("a"), node("b")], [pinnedVolume("backup-mysql-instance-pv", "b")]));
  assert.match(
    elsewhere,
    /^BackupVolumeElsewhere: spec\.hostPath\.node names a, but PersistentVolume backup-mysql-instance-pv .* is on node b.*spec\.hostPath cannot change: delete this resource .* create it again with spec\.hostPath\.node: b, or without it/,
  );
});

test("defaultStorageClass: the annotated class (GA or beta annotation), the newest of several, none without the annotation", () => {
  const cases: [string, V1StorageClass[], string | undefined][] = [
    ["none", [storageClass("a", {}, "2026-01-01T00:00:00Z")], undefined],
    [
      "annotated",
      [storageClass("a", {}, "2026-01-01T00:00:00Z"), storageClass("b", { "storageclass.kubernetes.io/is-default-class": "true" }, "2026-01-01T00:00:00Z")],
      "b",
    ],
    ["beta annotation", [storageClass("c", { "storageclass.beta.kubernetes.io/is-default-class": "true" }, "2026-01-01T00:00:00Z")], "c"],
    ["false is not default", [storageClass("d", { "storageclass.kubernetes.io/is-default-class": "false" }, "2026-01-01T00:00:00Z")], undefined],
    [
      "the newest of two",
      [
        storageClass("old", { "storageclass.kubernetes.io/is-default-class": "true" }, "2026-01-01T00:00:00Z"),
        storageClass("new", { "storageclass.kubernetes.io/is-default-class": "true" }, "2026-02-01T00:00:00Z"),
      ],
      "new",
    ],
  ];
  for (const [name, classes, want] of cases) assert.equal(defaultStorageClass(classes)?.metadata?.name, want, name);
});

test("decidePlacement: the spec's class; the default class; hostPath where there is none or when asked; an existing claim keeps its mode", async () => {
  const defaultClass = storageClass("standard", { "storageclass.kubernetes.io/is-default-class": "true" }, "2026-01-01T00:00:00Z");
  const ownedClaim = (className: string): V1PersistentVolumeClaim =>
    madeByOperator({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: {
        name: "mysql-instance-pvc",
        namespace: "default",
        ownerReferences: [{ apiVersion: "otus.homework/v1", kind: "MySQL", name: "mysql-instance", uid: originalResource().metadata.uid!, controller: true }],
      },
      spec: { storageClassName: className },
    });
  const cases: [string, ReturnType<typeof undecided>, KubernetesObject[], StoragePlacement][] = [
    ["spec names a class", undecided({ storageClassName: "fast" }), [defaultClass, node("a")], { mode: "StorageClass", storageClassName: "fast" }],
    ["the cluster's default class", undecided(), [defaultClass, node("a")], { mode: "DefaultStorageClass", storageClassName: "standard" }],
    ["no default class: hostPath on a node", undecided(), [node("a")], { mode: "HostPath", node: "a" }],
    ["hostPath asked for despite a default class", undecided({ hostPath: {} }), [defaultClass, node("a")], { mode: "HostPath", node: "a" }],
    ["an existing hostPath claim stays hostPath", undecided(), [defaultClass, node("a"), ownedClaim("")], { mode: "HostPath", node: undefined }],
    [
      "an existing provisioned claim stays so",
      undecided(),
      [node("a"), ownedClaim("old-default")],
      { mode: "DefaultStorageClass", storageClassName: "old-default" },
    ],
  ];
  for (const [name, instance, objects, want] of cases) {
    const decided = await decidePlacement(instance, recordingContext(objects).ctx);
    assert.ok("placement" in decided, `${name}: ${JSON.stringify(decided)}`);
    assert.deepEqual(decided.placement, want, name);
    assert.ok(decided.why.length > 0, name);
  }
  const stuck = await decidePlacement(undecided(), recordingContext([node("a", { ready: false })]).ctx);
  assert.ok("kind" in stuck && stuck.kind === "failed" && stuck.reason === "NoNodeForVolumes", JSON.stringify(stuck));
});

test("onCreate decides the placement once, builds the claim and the server from it at once, and hands status.storage to the loop", async () => {
  const resource = originalResource({ status: { storage: undefined } });
  assert.deepEqual(
    desiredChildren(instanceOf(resource)).map((c) => c.kind),
    ["ConfigMap", "Service"],
    "no claim and no Deployment while undecided",
  );
  const { ctx, recorded } = recordingContext([node("a")]);
  const result = await new MySQLReconciler().onCreate(resource, ctx);
  assert.equal(result.kind, "wait", "creation goes on: the server is not up yet");
  assert.deepEqual(result.status?.storage, {
    mode: "HostPath",
    node: "a",
    reason: "hostPath volumes on node a (the only node that takes pods), because the cluster has no default StorageClass",
  });
  const claim = recorded.applied.find((a) => a.object.kind === "PersistentVolumeClaim" && a.object.metadata?.name === "mysql-instance-pvc");
  assert.equal((claim?.object as V1PersistentVolumeClaim | undefined)?.spec?.volumeName, "mysql-instance-pv", "the claim, built for the hostPath volume");
  assert.ok(claim?.owner !== undefined, "owned, as the loop would apply it");
  assert.ok(recorded.applied.some((a) => a.object.kind === "Deployment" && a.owner !== undefined));
  const pv = recorded.applied.find((a) => a.object.kind === "PersistentVolume" && a.object.metadata?.name === "mysql-instance-pv")
    ?.object as V1PersistentVolume;
  assert.deepEqual(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms[0]?.matchExpressions?.[0]?.values, ["a"]);
  const again = await new MySQLReconciler().onCreate(originalResource({ status: { storage: { mode: "HostPath", node: "a" } } }), ctx);
  assert.equal(again.status?.storage, undefined, "decided once: a recorded placement is not decided again");
});

test("a new resource's hostPath volume is made before its claim (which binds at once), the credentials before the server; none for a claim of that name someone else made", async () => {
  const resource = originalResource({ status: { storage: undefined } });
  const { ctx, recorded } = recordingContext([node("a")]);
  await new MySQLReconciler().onCreate(resource, ctx);
  const order = recorded.applied.map((a) => `${a.object.kind}/${a.object.metadata?.name}`);
  const at = (object: string): number => {
    assert.ok(order.includes(object), `${object} in ${order.join(", ")}`);
    return order.indexOf(object);
  };
  assert.ok(at("PersistentVolume/mysql-instance-pv") < at("PersistentVolumeClaim/mysql-instance-pvc"), order.join(", "));
  assert.ok(at("PersistentVolumeClaim/mysql-instance-pvc") < at("Deployment/mysql-instance"), order.join(", "));
  assert.ok(at("Secret/mysql-instance-credentials") < at("Deployment/mysql-instance"), order.join(", "));

  const theirs: V1PersistentVolumeClaim = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "mysql-instance-pvc", namespace: "default", uid: "theirs" },
    spec: { accessModes: ["ReadWriteOnce"], storageClassName: "", resources: { requests: { storage: "1Gi" } } },
  };
  const squatted = recordingContext([node("a"), theirs]);
  await assert.rejects(new MySQLReconciler().onCreate(resource, squatted.ctx), NotManagedError);
  assert.equal(
    squatted.recorded.applied.some((a) => a.object.kind === "PersistentVolume" && a.object.metadata?.name === "mysql-instance-pv"),
    false,
    "no volume that names a claim someone else made",
  );
});

test("the builders follow the placement: no class named for the default class; hostPath volumes and every pod pinned to the node", () => {
  const byDefault = instanceOf(originalResource({ status: { storage: { mode: "DefaultStorageClass", storageClassName: "standard" } } }));
  const claim = desiredChildren(byDefault).find((c) => c.kind === "PersistentVolumeClaim") as V1PersistentVolumeClaim;
  assert.equal(claim.spec?.storageClassName, undefined, "the claim names no class: the API server fills in the default");
  assert.equal(claim.spec?.volumeName, undefined);
  assert.equal(
    (desiredChildren(byDefault).find((c) => c.kind === "Deployment") as { spec: { template: { spec: { affinity?: unknown } } } }).spec.template.spec.affinity,
    undefined,
  );

  const pinned = instanceOf(originalResource());
  const want = [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [FIXTURE_NODE] }] }];
  assert.deepEqual(buildDataVolume(pinned).spec?.nodeAffinity?.required?.nodeSelectorTerms, want);
  assert.deepEqual(buildBackupVolume(pinned).spec?.nodeAffinity?.required?.nodeSelectorTerms, want);
  const deployment = desiredChildren(pinned).find((c) => c.kind === "Deployment") as {
    spec: { template: { spec: { affinity?: { nodeAffinity?: unknown } } } };
  };
  const pods = [
    deployment.spec.template.spec,
    buildBackupJob(pinned).spec?.template.spec,
    buildRestoreJob(pinned).spec?.template.spec,
    buildPasswordChangeJob(pinned, "d").spec?.template.spec,
  ];
  for (const pod of pods) assert.deepEqual(pod?.affinity?.nodeAffinity, { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: want } });

  const legacy = instanceOf(originalResource({ status: { storage: undefined, appliedSpec: { image: '"mysql:5.7"' } } }));
  assert.equal(legacy.placement?.mode, "HostPath", "created before placements were recorded: hostPath, as then");
  assert.equal(buildDataVolume(legacy).spec?.nodeAffinity, undefined, "and not pinned after the fact");
});

test("a creation that failed after its hostPath volume was made keeps that volume's node when it is tried again", async () => {
  const resource = originalResource({ status: { storage: undefined } });
  const { ctx, recorded } = recordingContext([node("a"), node("b")]);
  const apply = ctx.apply.bind(ctx);
  let failBackupVolume = true;
  ctx.apply = (async (object: KubernetesObject, options?: Parameters<typeof ctx.apply>[1]) => {
    if (failBackupVolume && object.kind === "PersistentVolume" && object.metadata?.name === "backup-mysql-instance-pv")
      throw new Error("the API server answered 500");
    return apply(object, options);
  }) as typeof ctx.apply;
  const reconciler = new MySQLReconciler();
  await assert.rejects(reconciler.onCreate(resource, ctx), /500/);
  failBackupVolume = false;
  const second = await reconciler.onCreate(resource, ctx);
  const nodeOf = (pv: KubernetesObject) => (pv as V1PersistentVolume).spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values?.[0];
  const dataVolumeNodes = recorded.applied
    .filter((a) => a.object.kind === "PersistentVolume" && a.object.metadata?.name === "mysql-instance-pv")
    .map((a) => nodeOf(a.object));
  assert.equal(dataVolumeNodes.length >= 1, true);
  // A PersistentVolume's node affinity cannot change: another node on the retry would fail every apply for ever.
  assert.deepEqual([...new Set(dataVolumeNodes)], [dataVolumeNodes[0]], `data volume applied with nodes ${dataVolumeNodes.join(", ")}`);
  const storage = (second.status as { storage?: { node?: string } } | undefined)?.storage;
  assert.equal(storage?.node, dataVolumeNodes[0]);
});

test("decidePlacement lists the Nodes only where no default StorageClass decides the placement", async () => {
  const defaultClass = storageClass("standard", { "storageclass.kubernetes.io/is-default-class": "true" }, "2026-01-01T00:00:00Z");
  const listing = (objects: KubernetesObject[]) => {
    const { ctx } = recordingContext(objects);
    const listed: string[] = [];
    const list = ctx.list.bind(ctx);
    ctx.list = (apiVersion, kind, options) => {
      listed.push(kind);
      return list(apiVersion, kind, options);
    };
    return { ctx, listed };
  };
  const withDefault = listing([defaultClass, node("a")]);
  await decidePlacement(undecided(), withDefault.ctx);
  assert.deepEqual(withDefault.listed, ["StorageClass"]);
  const without = listing([node("a")]);
  await decidePlacement(undecided(), without.ctx);
  assert.deepEqual(without.listed.toSorted(), ["Node", "StorageClass"]);
});

test("onCreate looks the volumes and claims up while it decides the placement (none depends on it), not after", async () => {
  const resource = originalResource({ status: { storage: undefined } });
  const { ctx, recorded } = recordingContext([node("a")]);
  const list = ctx.list.bind(ctx);
  let readsMade = 0;
  ctx.list = async (apiVersion, kind, options) => {
    // The StorageClasses are answered only once the look-ups were sent (bounded: a hook that waits for the answer fails the test).
    if (kind === "StorageClass") {
      for (let waited = 0; recorded.read.length < 4 && waited < 2000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
      readsMade = recorded.read.length;
    }
    return list(apiVersion, kind, options);
  };
  await new MySQLReconciler().onCreate(resource, ctx);
  assert.equal(readsMade, 4, `read before the StorageClasses were answered: ${recorded.read.join(", ")}`);
  // From the API server's watch cache: each creates, and a create refuses an object made in the moment it lags behind;
  // but the data claim, which decides whether the data volume, pre-bound to a claim of that name, is made at all.
  assert.deepEqual(recorded.read.toSorted(), [
    "PersistentVolume/backup-mysql-instance-pv (any version)",
    "PersistentVolume/mysql-instance-pv (any version)",
    "PersistentVolumeClaim/backup-mysql-instance-pvc (any version)",
    "PersistentVolumeClaim/mysql-instance-pvc",
  ]);
});
