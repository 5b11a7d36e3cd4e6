/**
 * Quantities written in another form than the API server stores (`0.5` CPU is stored as `500m`, `1024Mi` as `1Gi`):
 * the children hold the same amounts, so once the resource is Ready a resync writes nothing. Before, every reconcile
 * found the Deployment's, the claim's and the volume's quantities "changed" and applied them again.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AppsV1Api } from "@kubernetes/client-node";
import type { Manager } from "../../../src/runtime/index.ts";
import { metricTotal, startInProcessOperator } from "../../helpers/operator-process.ts";
import { startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";
import { eventually } from "../../helpers/eventually.ts";
import { mysqlApi, mysqlManifest, type MySQLApi } from "../../helpers/mysql-api.ts";

const NS = "default";
const NAME = "quantities";

describe("quantities in another form than the API server's", { timeout: 300_000 }, () => {
  let env: MysqlopControlPlane;
  let manager: Manager;
  let operator: { stop: () => Promise<void> } | undefined;
  let api: MySQLApi;

  before(async () => {
    env = await startMysqlopControlPlane({ workloads: true });
    api = mysqlApi(env.cp);
    // Resyncs every few seconds: each one re-reconciles the resource, which must write nothing when nothing changed.
    ({ manager, ...operator } = startInProcessOperator(env, { resyncMs: 2_000 }));
  });

  after(async () => {
    await operator?.stop();
    await env?.cp.stop();
  });

  test("0.5 CPU, 1024Mi memory and storage: Ready, the children hold the amounts, and resyncs write nothing", async () => {
    const resources = { requests: { cpu: "0.5", memory: "1024Mi" }, limits: { memory: "1073741824" } };
    await api.apply(mysqlManifest(NAME, NS, { storage_size: "1024Mi", resources, jobResources: { requests: { cpu: "0.1", memory: "262144Ki" } } }));
    await eventually("created and Ready", async () => {
      const m = await api.get(NS, NAME);
      return m?.status?.message === `${NAME} created without restore-job` && m.status.conditions?.some((c) => c.type === "Ready" && c.status === "True");
    });
    const deployment = await env.cp.kubeConfig.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: NAME, namespace: NS });
    // As the API server stores them: the operator's forms were not kept, so a string comparison would differ.
    assert.deepEqual(JSON.parse(JSON.stringify(deployment.spec?.template.spec?.containers[0]?.resources)), {
      requests: { cpu: "500m", memory: "1Gi" },
      limits: { memory: "1073741824" },
    });
    const claim = await api.core.readNamespacedPersistentVolumeClaim({ name: `${NAME}-pvc`, namespace: NS });
    assert.equal(claim.spec?.resources?.requests?.storage, "1Gi");

    // The Created Event is the last write of creation.
    await eventually("the Created Event", async () =>
      (await api.core.listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.name=${NAME}` })).items.some((e) => e.reason === "Created"),
    );
    const reconciles = await metricTotal(manager.metrics.reconcileTotal);
    await eventually("a resync after creation", async () => (await metricTotal(manager.metrics.reconcileTotal)) > reconciles);
    const before = await metricTotal(manager.metrics.apiWrites);
    const settled = await metricTotal(manager.metrics.reconcileTotal);
    await eventually("three more resyncs", async () => (await metricTotal(manager.metrics.reconcileTotal)) >= settled + 3, 60_000);
    assert.equal(
      await metricTotal(manager.metrics.apiWrites),
      before,
      `the operator wrote ${(await metricTotal(manager.metrics.apiWrites)) - before} times while nothing changed`,
    );
  });
});
