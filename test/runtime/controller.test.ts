import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { InformerCache } from "../../src/runtime/cache-reader.ts";
import { Controller, labelOwnerKey, objectKey, onlyStatusChanged, ownerKeys, parseKey, type OwnerLabels } from "../../src/runtime/controller.ts";
import type { Informer, InformerEvent } from "../../src/runtime/informer.ts";
import { KubeRest, type KindInfo } from "../../src/runtime/kube-rest.ts";
import { createJsonLogger } from "../../src/runtime/logger.ts";
import { createRuntimeMetrics } from "../../src/runtime/metrics.ts";
import { ObjectWriter } from "../../src/runtime/reconcile-context.ts";
import type { ReconcileRequest, ReconcileResult, ResourceType } from "../../src/runtime/index.ts";

const widget: ResourceType = { group: "example.test", version: "v1", plural: "widgets", kind: "Widget", namespaced: true };
const configMaps: KindInfo = { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const volumes: KindInfo = { apiVersion: "v1", kind: "PersistentVolume", plural: "persistentvolumes", namespaced: false };
const widgetLabels: OwnerLabels = { namespace: "example.test/namespace", name: "example.test/widget" };

test("keys: namespace/name, name for cluster-scoped, and back", () => {
  assert.equal(objectKey("ns", "a"), "ns/a");
  assert.equal(objectKey(undefined, "a"), "a");
  assert.deepEqual(parseKey("ns/a"), { namespace: "ns", name: "a" });
  assert.deepEqual(parseKey("a"), { name: "a" });
});

test("ownerKeys: only controller owners of the primary kind, any version of its group", () => {
  const child: KubernetesObject = {
    metadata: {
      namespace: "ns",
      ownerReferences: [
        { apiVersion: "example.test/v1", kind: "Widget", name: "w1", uid: "1", controller: true },
        { apiVersion: "example.test/v2", kind: "Widget", name: "w2", uid: "2", controller: true },
        { apiVersion: "example.test/v1", kind: "Widget", name: "w3", uid: "3" },
        { apiVersion: "other.test/v1", kind: "Widget", name: "w4", uid: "4", controller: true },
        { apiVersion: "apps/v1", kind: "Deployment", name: "d", uid: "5", controller: true },
      ],
    },
  };
  assert.deepEqual(ownerKeys(child, widget), ["ns/w1", "ns/w2"]);
});

test("labelOwnerKey: both labels name a namespaced resource, the name alone a cluster-scoped one; a missing or empty label names none", () => {
  const labelled = (labels: Record<string, string>): KubernetesObject => ({ metadata: { name: "pv", labels } });
  assert.equal(labelOwnerKey(labelled({ "example.test/namespace": "ns", "example.test/widget": "w1" }), widget, widgetLabels), "ns/w1");
  assert.equal(labelOwnerKey(labelled({ "example.test/widget": "w1" }), widget, widgetLabels), undefined);
  assert.equal(labelOwnerKey(labelled({ "example.test/namespace": "ns", "example.test/widget": "" }), widget, widgetLabels), undefined);
  assert.equal(labelOwnerKey(labelled({ "example.test/namespace": "ns" }), widget, widgetLabels), undefined);
  assert.equal(labelOwnerKey({ metadata: { name: "pv" } }, widget, widgetLabels), undefined);
  assert.equal(labelOwnerKey(labelled({ "example.test/widget": "w1" }), { ...widget, namespaced: false }, widgetLabels), "w1");
});

/** An informer stand-in: the controller only subscribes to events. */
type FakeInformer = Informer & { fire(event: InformerEvent): void; relisted(): void; objects: KubernetesObject[] };
function fakeInformer(kind: KindInfo): FakeInformer {
  const handlers: ((e: InformerEvent) => void)[] = [];
  const relistHandlers: (() => void)[] = [];
  const objects: KubernetesObject[] = [];
  return {
    kind,
    objects,
    list: () => objects,
    onEvent: (h: (e: InformerEvent) => void) => handlers.push(h),
    onRelist: (h: () => void) => relistHandlers.push(h),
    fire: (e: InformerEvent) => handlers.forEach((h) => h(e)),
    relisted: () => relistHandlers.forEach((h) => h()),
  } as unknown as FakeInformer;
}

function setup(reconcile: (r: ReconcileRequest) => Promise<ReconcileResult>, concurrency: number, ownerLabels?: OwnerLabels) {
  const informers = new Map<string, ReturnType<typeof fakeInformer>>();
  const metrics = createRuntimeMetrics({ defaultMetrics: false });
  const lines: string[] = [];
  const controller = new Controller(
    {
      name: "widget",
      resourceType: widget,
      owns: [configMaps, volumes],
      ownerLabels,
      reconciler: { reconcile },
      concurrency,
      backoff: { baseMs: 5, maxMs: 50, jitter: 0 },
    },
    {
      cache: new InformerCache(),
      informerFor: (kind) => {
        const informer = informers.get(kind.kind) ?? fakeInformer(kind);
        informers.set(kind.kind, informer);
        return informer;
      },
      watchObject: () => ({ stop() {} }),
      events: { normal() {}, warning() {} },
      writer: new ObjectWriter({ rest: new KubeRest(new KubeConfig()), fieldManager: "test" }),
      log: createJsonLogger({ level: "debug", write: (l) => lines.push(l) }),
      metrics,
    },
  );
  const primary = informers.get("Widget")!;
  const owned = informers.get("ConfigMap")!;
  const ownedVolumes = informers.get("PersistentVolume")!;
  return { controller, primary, owned, ownedVolumes, metrics, lines };
}

const obj = (name: string, extra: Partial<KubernetesObject["metadata"]> = {}): KubernetesObject => ({ metadata: { name, namespace: "ns", ...extra } });

test("controller: bounded concurrency, one reconcile per key, owned child re-queues its owner, errors back off then succeed", async () => {
  let running = 0;
  let peak = 0;
  const runningKeys = new Set<string>();
  const calls = new Map<string, number>();
  let failuresLeft = 2;
  const { controller, primary, owned, metrics, lines } = setup(async (r) => {
    const key = `${r.namespace}/${r.name}`;
    assert.ok(!runningKeys.has(key), `${key} reconciled twice at once`);
    runningKeys.add(key);
    running++;
    peak = Math.max(peak, running);
    await sleep(5);
    running--;
    runningKeys.delete(key);
    calls.set(key, (calls.get(key) ?? 0) + 1);
    if (r.name === "flaky" && failuresLeft-- > 0) throw new Error("transient");
    return {};
  }, 2);
  controller.start();
  for (let i = 0; i < 6; i++) primary.fire({ type: "add", object: obj(`w${i}`) });
  for (let i = 0; i < 6; i++) primary.fire({ type: "update", object: obj(`w${i}`) });
  owned.fire({
    type: "update",
    object: obj("w0-cm", { ownerReferences: [{ apiVersion: "example.test/v1", kind: "Widget", name: "w9", uid: "9", controller: true }] }),
  });
  owned.fire({ type: "add", object: obj("orphan") });
  primary.fire({ type: "add", object: obj("flaky") });
  for (let i = 0; i < 100 && (calls.get("ns/flaky") ?? 0) < 3; i++) await sleep(10);
  await controller.stop(1000);
  assert.equal(peak, 2, "two workers, never more");
  assert.equal(calls.get("ns/w9"), 1, "the owner of the changed child was reconciled");
  assert.equal(calls.get("ns/orphan"), undefined, "a child without an owner re-queues nothing");
  assert.equal(calls.get("ns/flaky"), 3, "retried after two failures, then succeeded");
  for (let i = 0; i < 6; i++) assert.ok((calls.get(`ns/w${i}`) ?? 0) >= 1);
  const text = await metrics.registry.metrics();
  assert.match(text, /controller_runtime_reconcile_errors_total\{controller="widget"\} 2/);
  assert.match(text, /workqueue_retries_total\{name="widget"\} 2/);
  const failure = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === "reconcile failed");
  assert.equal(failure?.controller, "widget");
  assert.equal(failure?.key, "ns/flaky");
});

test("controller: a cluster-scoped child re-queues the resource its owner labels name, before and after a change; one without them, and a namespaced child with them, re-queue nothing", async () => {
  const calls: string[] = [];
  const { controller, primary, owned, ownedVolumes } = setup(
    async (r) => {
      calls.push(`${r.namespace}/${r.name}`);
      return {};
    },
    1,
    widgetLabels,
  );
  controller.start();
  const pv = (labels: Record<string, string>): KubernetesObject => ({ metadata: { name: "pv", labels } });
  ownedVolumes.fire({ type: "delete", object: pv({ "example.test/namespace": "ns", "example.test/widget": "w1" }) });
  ownedVolumes.fire({
    type: "update",
    previous: pv({ "example.test/namespace": "ns", "example.test/widget": "w2" }),
    object: pv({ "example.test/namespace": "other", "example.test/widget": "w3" }),
  });
  ownedVolumes.fire({ type: "add", object: pv({ "example.test/widget": "w4" }) });
  // A namespaced child can carry an owner reference, and its labels could name a resource in another namespace.
  owned.fire({ type: "add", object: obj("cm", { labels: { "example.test/namespace": "victim-ns", "example.test/widget": "w5" } }) });
  // A later key, reconciled after any the events above queued (one worker, in order).
  primary.fire({ type: "add", object: obj("last") });
  for (let i = 0; i < 100 && !calls.includes("ns/last"); i++) await sleep(10);
  await controller.stop(1000);
  assert.deepEqual(calls.toSorted(), ["ns/last", "ns/w1", "ns/w2", "other/w3"]);
});

test("controller: without owner labels a labelled cluster-scoped child re-queues nothing", async () => {
  const calls: string[] = [];
  const { controller, primary, ownedVolumes } = setup(async (r) => {
    calls.push(`${r.namespace}/${r.name}`);
    return {};
  }, 1);
  controller.start();
  ownedVolumes.fire({ type: "delete", object: { metadata: { name: "pv", labels: { "example.test/namespace": "ns", "example.test/widget": "w1" } } } });
  // A later key, reconciled after any the event above queued (one worker, in order).
  primary.fire({ type: "add", object: obj("last") });
  for (let i = 0; i < 100 && !calls.includes("ns/last"); i++) await sleep(10);
  await controller.stop(1000);
  assert.deepEqual(calls, ["ns/last"]);
});

test("controller: requeueAfter re-runs the key later; stop() waits for an in-flight reconcile", async () => {
  const seen: number[] = [];
  let release: (() => void) | undefined;
  const { controller, primary } = setup(async () => {
    seen.push(performance.now());
    if (seen.length === 1) return { requeueAfterMs: 30 };
    await new Promise<void>((r) => (release = r));
    return {};
  }, 1);
  controller.start();
  primary.fire({ type: "add", object: obj("a") });
  for (let i = 0; i < 100 && release === undefined; i++) await sleep(5);
  assert.equal(seen.length, 2);
  assert.ok(seen[1]! - seen[0]! >= 25, `requeued after ${seen[1]! - seen[0]!} ms`);
  const stopping = controller.stop(2000);
  await sleep(20);
  release?.();
  assert.equal(await stopping, true, "drained within the deadline");
});

test("controller: a relist of an owned kind re-queues every owner", async () => {
  const seen: string[] = [];
  const { controller, primary, owned } = setup(async (r) => {
    seen.push(`${r.namespace}/${r.name}`);
    return {};
  }, 1);
  primary.objects.push(obj("a"), obj("b"));
  controller.start();
  owned.relisted();
  for (let i = 0; i < 50 && seen.length < 2; i++) await sleep(5);
  await controller.stop(1000);
  assert.deepEqual(seen.sort(), ["ns/a", "ns/b"]);
});

test("controller: an update of the primary that changed only its status (our own status write) re-queues nothing; spec, metadata and deletion changes do", async () => {
  const seen: string[] = [];
  const { controller, primary } = setup(async (r) => {
    seen.push(r.name);
    return {};
  }, 1);
  controller.start();
  const base = (name: string, extra: Partial<KubernetesObject["metadata"]> = {}, status: object = {}): KubernetesObject =>
    ({ ...obj(name, { generation: 1, resourceVersion: "1", ...extra }), status }) as KubernetesObject;
  const update = (previous: KubernetesObject, object: KubernetesObject): void => primary.fire({ type: "update", object, previous });
  update(base("status-only"), base("status-only", { resourceVersion: "2" }, { message: "attempt 2 failed at 12:00:01" }));
  update(base("spec"), base("spec", { generation: 2, resourceVersion: "2" }));
  update(base("finalizer"), base("finalizer", { finalizers: ["example.test/cleanup"], resourceVersion: "2" }));
  update(base("label"), base("label", { labels: { a: "b" }, resourceVersion: "2" }));
  update(base("deleted"), base("deleted", { deletionTimestamp: new Date("2026-01-01T00:00:00Z"), resourceVersion: "2" }));
  update(base("no-generation", { generation: undefined }), base("no-generation", { generation: undefined, resourceVersion: "2" }, { x: 1 }));
  for (let i = 0; i < 50 && seen.length < 5; i++) await sleep(5);
  await sleep(30);
  await controller.stop(1000);
  assert.deepEqual(seen.sort(), ["deleted", "finalizer", "label", "no-generation", "spec"]);
});

test("onlyStatusChanged: absent and empty metadata lists/maps are equal, equal copies are equal, any difference in them is a change", () => {
  const at = (metadata: KubernetesObject["metadata"]): KubernetesObject => ({
    apiVersion: "v1",
    kind: "X",
    metadata: { name: "x", generation: 1, ...metadata },
  });
  assert.equal(onlyStatusChanged(at({}), at({ labels: {}, annotations: {}, finalizers: [], ownerReferences: [] })), true);
  assert.equal(onlyStatusChanged(at({ labels: {} }), at({})), true);
  const owner = { apiVersion: "a/v1", kind: "K", name: "o", uid: "u", controller: true };
  assert.equal(
    onlyStatusChanged(
      at({ labels: { a: "b" }, finalizers: ["f"], ownerReferences: [owner] }),
      at({ labels: { a: "b" }, finalizers: ["f"], ownerReferences: [{ ...owner }] }),
    ),
    true,
  );
  assert.equal(onlyStatusChanged(at({ labels: { a: "b" } }), at({ labels: { a: "c" } })), false);
  assert.equal(onlyStatusChanged(at({ annotations: { a: "b" } }), at({})), false);
  assert.equal(onlyStatusChanged(at({}), at({ finalizers: ["f"] })), false);
  assert.equal(onlyStatusChanged(at({ ownerReferences: [owner] }), at({ ownerReferences: [{ ...owner, controller: false }] })), false);
  assert.equal(onlyStatusChanged(at({}), at({ generation: 2 })), false);
});
