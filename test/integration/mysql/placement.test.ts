/**
 * Where the volumes come from, on a real control plane with two kwok nodes (the scheduler
 * really places pods, kwok runs them): hostPath volumes pinned to one node where the cluster has
 * no default StorageClass, so a server rescheduled while that node is cordoned waits instead of
 * starting empty elsewhere, and the backup Job runs where the backup volume is; claims that name
 * no class where a default StorageClass exists; a live hostPath resource that stays hostPath when
 * a default class appears. The operator runs as its ServiceAccount under the generated RBAC.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { StorageV1Api, type V1PersistentVolume } from "@kubernetes/client-node";
import { FAKE_NODE_NAME } from "../../../src/envtest/index.ts";
import { startInProcessOperator, type InProcessOperator } from "../../helpers/operator-process.ts";
import { kubectl, startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";
import { eventually as pollUntil } from "../../helpers/eventually.ts";
import { addFakeNode, setCordoned } from "../../helpers/kwok-nodes.ts";
import { mysqlApi, mysqlManifest, orUndefined, type MySQLApi } from "../../helpers/mysql-api.ts";

const NS = "default";
const SECOND_NODE = "kwok-node-1";

function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> {
  return pollUntil(what, check, timeoutMs, 250);
}

function pinnedTo(pv: V1PersistentVolume | undefined): string[] | undefined {
  return pv?.spec?.nodeAffinity?.required?.nodeSelectorTerms.flatMap((t) => t.matchExpressions ?? []).flatMap((e) => e.values ?? []);
}

describe("volume placement on a two-node cluster", { timeout: 600_000 }, () => {
  let env: MysqlopControlPlane;
  let operator: InProcessOperator | undefined;
  let api: MySQLApi;

  const created = (name: string) =>
    eventually(`${name} created`, async () => {
      const m = await api.get(NS, name);
      return m?.status?.message === `${name} created without restore-job` && m;
    });

  before(async () => {
    env = await startMysqlopControlPlane({ workloads: true });
    await addFakeNode(env.cp, SECOND_NODE);
    api = mysqlApi(env.cp);
    operator = startInProcessOperator(env);
  });

  after(async () => {
    await operator?.stop();
    await env?.cp.stop();
  });

  test("no default StorageClass: both hostPath volumes pinned to the server's node; rescheduled while it is cordoned, the server waits there; the backup runs there", async () => {
    const name = "pinned";
    await api.apply(mysqlManifest(name, NS));
    const resource = await created(name);
    const [server] = (await api.core.listNamespacedPod({ namespace: NS, labelSelector: `app=${name}` })).items;
    const node = server?.spec?.nodeName ?? "";
    assert.ok([FAKE_NODE_NAME, SECOND_NODE].includes(node), `the server runs on a node of the cluster, got ${JSON.stringify(node)}`);
    assert.deepEqual(pinnedTo(await api.core.readPersistentVolume({ name: `${name}-pv` })), [node], "data volume pinned to the server's node");
    assert.deepEqual(pinnedTo(await api.core.readPersistentVolume({ name: `backup-${name}-pv` })), [node], "backup volume pinned to the same node");
    assert.equal(resource.status?.storage?.mode, "HostPath");
    assert.equal(resource.status?.storage?.node, node, "kubectl get -o yaml says so");
    assert.match(resource.status?.storage?.reason ?? "", /because the cluster has no default StorageClass/);

    // The node is cordoned and the pod goes (a drain): the replacement must not start on the other, empty node.
    await setCordoned(env.cp, node, true);
    await api.core.deleteNamespacedPod({ name: server?.metadata?.name ?? "", namespace: NS });
    const waiting = await eventually("the replacement pod found unschedulable", async () => {
      const pods = (await api.core.listNamespacedPod({ namespace: NS, labelSelector: `app=${name}` })).items;
      const fresh = pods.find((p) => p.metadata?.uid !== server?.metadata?.uid && p.metadata?.deletionTimestamp === undefined);
      return fresh?.status?.conditions?.some((c) => c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable") && fresh;
    });
    assert.equal(waiting.spec?.nodeName, undefined, "not placed on the other node");
    await setCordoned(env.cp, node, false);
    await eventually("the server back on its node", async () => {
      const pods = (await api.core.listNamespacedPod({ namespace: NS, labelSelector: `app=${name}` })).items;
      return pods.some((p) => p.spec?.nodeName === node && p.status?.phase === "Running");
    });

    await api.delete(NS, name);
    const [backupPod] = await eventually("the backup Job's pod", async () => {
      const pods = await api.jobPods(NS, `backup-${name}-job`);
      return pods.length > 0 && pods.every((p) => p.spec?.nodeName !== undefined) && pods;
    });
    assert.equal(backupPod?.spec?.nodeName, node, "the backup runs where the backup volume is");
    await eventually("deleted", async () => (await api.get(NS, name)) === undefined);
  });

  test("a resource created without a default StorageClass stays hostPath when one appears; a new one gets claims that name no class", async () => {
    await api.apply(mysqlManifest("stays", NS));
    const before = await created("stays");

    await env.cp.kubeConfig.makeApiClient(StorageV1Api).createStorageClass({
      body: {
        metadata: { name: "standard", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: "example.com/none",
        volumeBindingMode: "Immediate",
      },
    });

    await api.apply(mysqlManifest("defaulted", NS));
    const claim = await eventually("the data claim", () => orUndefined(api.core.readNamespacedPersistentVolumeClaim({ name: "defaulted-pvc", namespace: NS })));
    assert.equal(claim.spec?.storageClassName, "standard", "named by nobody, so the API server put the default class in");
    assert.equal(claim.spec?.volumeName, undefined);
    assert.equal(await orUndefined(api.core.readPersistentVolume({ name: "defaulted-pv" })), undefined, "the operator made no volume");
    // Status is written after the children, at the end of the reconcile that made the claim.
    const recorded = await eventually("status.storage", async () => (await api.get(NS, "defaulted"))?.status?.storage);
    assert.deepEqual(recorded, {
      mode: "DefaultStorageClass",
      storageClassName: "standard",
      reason: "the cluster's default StorageClass standard provisions the claims",
    });
    // The class's provisioner, played by hand: a volume of that class for the claim.
    await api.core.createPersistentVolume({
      body: {
        metadata: { name: "provisioned-for-defaulted" },
        spec: {
          capacity: { storage: "1Gi" },
          accessModes: ["ReadWriteOnce"],
          storageClassName: "standard",
          hostPath: { path: "/tmp/provisioned" },
          claimRef: { namespace: NS, name: "defaulted-pvc" },
        },
      },
    });
    await created("defaulted");

    // A change makes the operator apply the children of "stays" again: its claim keeps the hostPath volume.
    await api.patch(NS, "stays", { spec: { image: "mysql:8.0" } });
    await eventually("image applied", async () => (await api.get(NS, "stays"))?.status?.appliedSpec?.image === '"mysql:8.0"');
    const staysClaim = await api.core.readNamespacedPersistentVolumeClaim({ name: "stays-pvc", namespace: NS });
    assert.equal(staysClaim.spec?.storageClassName, "");
    assert.equal(staysClaim.spec?.volumeName, "stays-pv");
    const stays = await api.get(NS, "stays");
    assert.equal(stays?.status?.storage?.mode, "HostPath");
    assert.deepEqual(stays?.status?.storage, before.status?.storage, "the recorded placement is kept");
  });

  test("spec.hostPath asks for hostPath volumes on a named node although a default StorageClass exists", async () => {
    await api.apply(mysqlManifest("asked", NS, { hostPath: { node: SECOND_NODE } }));
    const resource = await created("asked");
    assert.deepEqual(resource.status?.storage, {
      mode: "HostPath",
      node: SECOND_NODE,
      reason: `hostPath volumes on node ${SECOND_NODE} (spec.hostPath.node names it), because spec.hostPath asks for them`,
    });
    assert.deepEqual(pinnedTo(await api.core.readPersistentVolume({ name: "asked-pv" })), [SECOND_NODE]);
    const [server] = (await api.core.listNamespacedPod({ namespace: NS, labelSelector: "app=asked" })).items;
    assert.equal(server?.spec?.nodeName, SECOND_NODE);
    const both = await api.apply(mysqlManifest("both", NS, { hostPath: {}, storageClassName: "standard" })).then(
      () => "",
      (error: Error) => error.message,
    );
    assert.match(both, /set storageClassName .* or hostPath .*, not both/, "refused by the API server");
  });

  test("the backup volume's node is gone: a new resource of the name waits (BackupVolumeUnreachable) naming the way out, and goes on once it is taken", async () => {
    // Found by a review, run on this control plane: the data went to another node, and the restore and backup Jobs,
    // which mount both volumes, could never be scheduled (RestoreNotStarting, no way out named).
    const name = "stranded";
    const third = "kwok-node-2";
    await addFakeNode(env.cp, third);
    await api.apply(mysqlManifest(name, NS, { hostPath: { node: third } }));
    await created(name);
    assert.equal((await kubectl(env.cp, ["annotate", "-n", NS, "mysqls.otus.homework", name, "otus.homework/final-backup=skip"])).code, 0);
    await api.delete(NS, name);
    await eventually(`${name} gone`, async () => (await api.get(NS, name)) === undefined);
    // Its data volume goes after it (kube-controller-manager lifts the volume's protection once its claim is gone): a
    // volume of that name seen below must be one the new resource made.
    await eventually(`${name}-pv gone`, async () => (await orUndefined(api.core.readPersistentVolume({ name: `${name}-pv` }))) === undefined);
    assert.deepEqual(pinnedTo(await api.core.readPersistentVolume({ name: `backup-${name}-pv` })), [third], "the dumps' volume stays on its node");
    await api.core.deleteNode({ name: third });
    await eventually(`node ${third} gone`, async () => (await orUndefined(api.core.readNode({ name: third }))) === undefined);

    await api.apply(mysqlManifest(name, NS, { hostPath: {} }));
    const waiting = await eventually("waits for the backup volume's node", async () => {
      const m = await api.get(NS, name);
      return m?.status?.conditions?.some((c) => c.type === "Degraded" && c.reason === "BackupVolumeUnreachable") === true && m;
    });
    assert.match(
      waiting.status?.message ?? "",
      new RegExp(
        `on node ${third}, which is not in the cluster .*Bring node ${third} back; or, to start without those dumps, delete ConfigMap backup-${name}-info`,
      ),
    );
    assert.equal(await orUndefined(api.core.readPersistentVolume({ name: `${name}-pv` })), undefined, "no data volume made elsewhere");

    // The second way out, as the message says it.
    await orUndefined(api.core.deleteNamespacedConfigMap({ name: `backup-${name}-info`, namespace: NS }));
    const unheld = await kubectl(env.cp, ["patch", "pvc", `backup-${name}-pvc`, "-n", NS, "--type=merge", "-p", '{"metadata":{"finalizers":null}}']);
    assert.equal(unheld.code, 0, unheld.stderr);
    assert.equal((await kubectl(env.cp, ["delete", "pvc", `backup-${name}-pvc`, "-n", NS])).code, 0);
    assert.equal((await kubectl(env.cp, ["delete", "pv", `backup-${name}-pv`])).code, 0);
    const resource = await eventually(
      `${name} created without the dumps`,
      async () => {
        const m = await api.get(NS, name);
        return m?.status?.message === `${name} created without restore-job` && m;
      },
      180_000,
    );
    assert.notEqual(resource.status?.storage?.node, third);
  });
});
