/**
 * What the API server records for an object the writer creates (POST, so that a same-named object made meanwhile is a
 * 409, not taken over) and then applies: a real kube-apiserver's managedFields. The create's fields must become the
 * applies' own, so that an apply neither conflicts nor keeps what its declaration dropped, and nothing else written to
 * the object (a finalizer) is lost on the way.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { CoreV1Api, type KubernetesObject, type V1ConfigMap, type V1ManagedFieldsEntry } from "@kubernetes/client-node";
import { startControlPlane, type ControlPlane } from "../../../src/envtest/index.ts";
import { KubeRest, ObjectWriter } from "../../../src/runtime/index.ts";

const NS = "default";
const MANAGER = "ownership-test";

describe("integration: a created object's fields are its applies' own", { timeout: 120_000 }, () => {
  let plane: ControlPlane;
  let core: CoreV1Api;
  let rest: KubeRest;

  before(async () => {
    plane = await startControlPlane();
    core = plane.kubeConfig.makeApiClient(CoreV1Api);
    // The writer's user agent names the manager of its merge patches (finalizers), as the operator's does.
    rest = new KubeRest(plane.kubeConfig, { userAgent: `${MANAGER}/1.0.0` });
  });

  after(async () => {
    await rest?.close();
    await plane?.stop();
  });

  const owner = async (): Promise<KubernetesObject> =>
    core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { generateName: "owner-" } } }) as Promise<KubernetesObject>;
  const writer = (): ObjectWriter => new ObjectWriter({ rest, fieldManager: MANAGER, managedBy: MANAGER, appliedHashAnnotation: `${MANAGER}/applied-hash` });
  const configMap = (labels: Record<string, string>, data: Record<string, string>): V1ConfigMap & KubernetesObject => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "child", namespace: NS, labels },
    data,
  });
  const read = (): Promise<V1ConfigMap> => core.readNamespacedConfigMap({ name: "child", namespace: NS });
  const entries = (object: V1ConfigMap): string[] =>
    (object.metadata?.managedFields ?? []).map((e: V1ManagedFieldsEntry) => `${e.manager} ${e.operation}`).toSorted();

  test("created by POST, applied unchanged without conflict, then a dropped label and key are removed and the finalizer kept", async () => {
    const parent = await owner();
    const objects = writer();
    await objects.apply(configMap({ x: "1", y: "2" }, { a: "1", b: "2" }), { owner: parent });
    const created = await read();
    assert.deepEqual(entries(created), [`${MANAGER}-create Update`], "the create is recorded under its own manager");
    await objects.addFinalizer(created as KubernetesObject, `${MANAGER}/keep`);
    assert.deepEqual(entries(await read()), [`${MANAGER} Update`, `${MANAGER}-create Update`]);

    // The same declaration, sent (no cache here to tell it is unchanged): no conflict, every field kept, and the
    // create's fields handed over to the applies.
    await objects.apply(configMap({ x: "1", y: "2" }, { a: "1", b: "2" }), { owner: parent });
    const same = await read();
    assert.deepEqual(entries(same), [`${MANAGER} Apply`, `${MANAGER} Update`]);
    assert.deepEqual(same.data, { a: "1", b: "2" });
    assert.equal(same.metadata?.labels?.y, "2");
    assert.deepEqual(same.metadata?.finalizers, [`${MANAGER}/keep`]);

    // A declaration without `y` and `b`: the apply removes them, as it would had it created the object.
    await objects.apply(configMap({ x: "1" }, { a: "3" }), { owner: parent });
    const changed = await read();
    assert.deepEqual(changed.data, { a: "3" });
    assert.equal(changed.metadata?.labels?.y, undefined, "a label the declaration dropped is removed");
    assert.equal(changed.metadata?.labels?.x, "1");
    assert.deepEqual(changed.metadata?.finalizers, [`${MANAGER}/keep`], "the finalizer (another write's field) is kept");
    assert.deepEqual(entries(changed), [`${MANAGER} Apply`, `${MANAGER} Update`]);
    await objects.removeFinalizer(changed as KubernetesObject, `${MANAGER}/keep`);
  });
});
