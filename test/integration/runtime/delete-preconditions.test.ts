/**
 * The writer's delete preconditions on the real API server: with `uid`, only that very object; with `resourceVersion`,
 * only while nobody changed it since it was read (a volume kube-controller-manager bound meanwhile is not deleted).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { KubernetesObject } from "@kubernetes/client-node";
import { KubeApiError, KubeRest, ObjectWriter } from "../../../src/runtime/index.ts";
import { startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";

const namespace = "preconditions";
const configMaps = `/api/v1/namespaces/${namespace}/configmaps`;
const reference = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "held", namespace } };

describe("integration: delete preconditions on the real API server", { timeout: 120_000 }, () => {
  let plane: MysqlopControlPlane;
  let rest: KubeRest;
  let writer: ObjectWriter;

  before(async () => {
    plane = await startMysqlopControlPlane();
    rest = new KubeRest(plane.cp.kubeConfig, { userAgent: "preconditions-test/1.0" });
    writer = new ObjectWriter({ rest, fieldManager: "preconditions-test" });
    await rest.request("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } } });
  });
  after(async () => {
    await rest?.close();
    await plane?.cp.stop();
  });

  test("a delete with the uid and resourceVersion read is refused (409) once the object changed, and the object stays; with the current ones it is deleted", async () => {
    const made = await rest.request<KubernetesObject>("POST", configMaps, { body: { ...reference, data: { a: "1" } } });
    const uid = made.metadata?.uid;
    const read = made.metadata?.resourceVersion;
    const changed = await rest.request<KubernetesObject>("PATCH", `${configMaps}/held`, {
      body: { data: { a: "2" } },
      contentType: "application/merge-patch+json",
    });
    const refused = await writer.delete(reference, { uid, resourceVersion: read }).catch((e: unknown) => e);
    assert.ok(refused instanceof KubeApiError && refused.code === 409, String(refused));
    assert.equal((await rest.get<KubernetesObject>(`${configMaps}/held`)).metadata?.uid, uid, "still there");

    const otherUid = await writer.delete(reference, { uid: "00000000-0000-0000-0000-000000000000" }).catch((e: unknown) => e);
    assert.ok(otherUid instanceof KubeApiError && otherUid.code === 409, String(otherUid));

    await writer.delete(reference, { uid, resourceVersion: changed.metadata?.resourceVersion });
    const gone = await rest.get(`${configMaps}/held`).catch((e: unknown) => e);
    assert.ok(gone instanceof KubeApiError && gone.code === 404, String(gone));
  });
});
