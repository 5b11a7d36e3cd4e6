// With workloads on: kube-controller-manager, kube-scheduler and kwok make Deployments run, Jobs complete and
// owners' deletion collect their dependents, as on a real cluster (no container runs: kwok fakes the kubelet).
import assert from "node:assert/strict";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi, type V1Pod } from "@kubernetes/client-node";
import { FAKE_NODE_NAME } from "../../../src/envtest/index.ts";
import { startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";
import { orUndefined } from "../../helpers/not-found.ts";

/** Polls `check` every 100 ms until it returns a value; fails with `what` after `timeoutMs`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) assert.fail(`${what}: not within ${timeoutMs / 1000} s${lastError ? ` (last error: ${String(lastError)})` : ""}`);
    await sleep(100);
  }
}

async function isGone(read: () => Promise<unknown>): Promise<true | undefined> {
  return (await orUndefined(read())) === undefined ? true : undefined;
}

describe("workloads on the fake node", { timeout: 180_000 }, () => {
  let env: MysqlopControlPlane;
  let startedAt: number;

  before(async () => {
    startedAt = performance.now();
    env = await startMysqlopControlPlane({ workloads: true });
  });
  after(() => env?.cp.stop());

  test("a Deployment reaches a Running pod on the fake node", async (t) => {
    const { kubeConfig, timings } = env.cp;
    const created = performance.now();
    await kubeConfig.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: "default",
      body: {
        metadata: { name: "web" },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: "web" } },
          template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx" }] } },
        },
      },
    });
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const pod = await eventually<V1Pod>("a Running pod of Deployment web", async () => {
      const pods = await core.listNamespacedPod({ namespace: "default", labelSelector: "app=web" });
      return pods.items.find((p) => p.status?.phase === "Running");
    });
    const now = performance.now();
    assert.equal(pod.spec?.nodeName, FAKE_NODE_NAME);
    const figures = `API server ready ${timings.apiServerReadyMs} ms, workloads ready ${timings.workloadsReadyMs} ms, first pod Running ${Math.round(now - startedAt)} ms after start (${Math.round(now - created)} ms after the Deployment was created)`;
    t.diagnostic(`figures: ${figures}`);
    console.log(`# figures (workloads): ${figures}`);
  });

  test("a Job's pod succeeds and the Job becomes Complete", async () => {
    const batch = env.cp.kubeConfig.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({
      namespace: "default",
      body: {
        metadata: { name: "once" },
        spec: { backoffLimit: 0, template: { spec: { restartPolicy: "Never", containers: [{ name: "once", image: "busybox", command: ["true"] }] } } },
      },
    });
    const job = await eventually("Job once Complete", async () => {
      const current = await batch.readNamespacedJob({ namespace: "default", name: "once" });
      return current.status?.conditions?.some((c) => c.type === "Complete" && c.status === "True") ? current : undefined;
    });
    assert.equal(job.status?.succeeded, 1);
  });

  test("deleting an owner garbage-collects its dependents", async () => {
    const { kubeConfig } = env.cp;
    const apps = kubeConfig.makeApiClient(AppsV1Api);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    // Built-in owners: the Deployment owns a ReplicaSet, which owns the pods.
    const replicaSets = await eventually("ReplicaSet of Deployment web", async () => {
      const list = await apps.listNamespacedReplicaSet({ namespace: "default", labelSelector: "app=web" });
      return list.items.length > 0 ? list.items : undefined;
    });
    await apps.deleteNamespacedDeployment({ namespace: "default", name: "web" });
    for (const rs of replicaSets) {
      await eventually(`ReplicaSet ${rs.metadata?.name} collected`, () =>
        isGone(() => apps.readNamespacedReplicaSet({ namespace: "default", name: rs.metadata?.name ?? "" })),
      );
    }
    await eventually("pods of Deployment web collected", async () => {
      const pods = await core.listNamespacedPod({ namespace: "default", labelSelector: "app=web" });
      return pods.items.length === 0 ? true : undefined;
    });

    // A MySQL resource owning a ConfigMap, as the operator's children are owned.
    const customObjects = kubeConfig.makeApiClient(CustomObjectsApi);
    const owner = (await customObjects.createNamespacedCustomObject({
      group: "otus.homework",
      version: "v1",
      namespace: "default",
      plural: "mysqls",
      body: { apiVersion: "otus.homework/v1", kind: "MySQL", metadata: { name: "owner" }, spec: { database: "db", password: "pw", storage_size: "1Gi" } },
    })) as { metadata: { uid: string } };
    await core.createNamespacedConfigMap({
      namespace: "default",
      body: {
        metadata: {
          name: "owned",
          ownerReferences: [{ apiVersion: "otus.homework/v1", kind: "MySQL", name: "owner", uid: owner.metadata.uid, blockOwnerDeletion: true }],
        },
        data: { a: "b" },
      },
    });
    await customObjects.deleteNamespacedCustomObject({ group: "otus.homework", version: "v1", namespace: "default", plural: "mysqls", name: "owner" });
    // The garbage collector's queue and a second CI run share two cores: a generous bound, not a speed check.
    await eventually("ConfigMap owned collected", () => isGone(() => core.readNamespacedConfigMap({ namespace: "default", name: "owned" })), 90_000);
  });

  test("an owner whose CRD was installed after start-up is garbage-collected too", async () => {
    // The garbage collector rediscovers resource types every 30 s; installCrd restarts it so this takes seconds.
    await env.cp.installCrd(join(import.meta.dirname, "fixtures", "widget-crd.yaml"));
    const customObjects = env.cp.kubeConfig.makeApiClient(CustomObjectsApi);
    const core = env.cp.kubeConfig.makeApiClient(CoreV1Api);
    const widget = { group: "test.mysqlop.local", version: "v1", namespace: "default", plural: "widgets" };
    const owner = (await customObjects.createNamespacedCustomObject({
      ...widget,
      body: { apiVersion: "test.mysqlop.local/v1", kind: "Widget", metadata: { name: "late" }, spec: {} },
    })) as { metadata: { uid: string } };
    await core.createNamespacedConfigMap({
      namespace: "default",
      body: {
        metadata: {
          name: "owned-by-widget",
          ownerReferences: [{ apiVersion: "test.mysqlop.local/v1", kind: "Widget", name: "late", uid: owner.metadata.uid }],
        },
      },
    });
    await customObjects.deleteNamespacedCustomObject({ ...widget, name: "late" });
    await eventually(
      "ConfigMap owned-by-widget collected",
      () => isGone(() => core.readNamespacedConfigMap({ namespace: "default", name: "owned-by-widget" })),
      90_000,
    );
  });
});
