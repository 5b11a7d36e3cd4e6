import { startControlPlane } from "../../../src/envtest/index.ts";
import { KubeRest, PatchType } from "../../../src/runtime/kube-rest.ts";
const plane = await startControlPlane();
try {
  const rest = new KubeRest(plane.kubeConfig, { userAgent: "probe/1" });
  const fields = {"f:data":{".":{},"f:a":{},"f:b":{}},"f:metadata":{"f:labels":{".":{},"f:x":{},"f:y":{}}}};
  const mf = [{ manager: "mgr", operation: "Apply", apiVersion: "v1", fieldsType: "FieldsV1", fieldsV1: fields }];
  const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c1", namespace: "default", labels: { x: "1", y: "2" }, managedFields: mf }, data: { a: "1", b: "2" } };
  const r0: any = await rest.send("POST", "/api/v1/namespaces/default/configmaps", { body: cm, query: { fieldManager: "mgr" } });
  console.log("POST with managedFields", JSON.stringify(r0.body.metadata.managedFields));
  const p = "/api/v1/namespaces/default/configmaps/c1";
  const { managedFields: _m, ...meta } = cm.metadata;
  const cm2 = { ...cm, metadata: { ...meta, labels: { x: "1" } }, data: { a: "3" } };
  const r: any = await rest.send("PATCH", p, { body: cm2, contentType: PatchType.apply, query: { fieldManager: "mgr", force: true } });
  console.log("changed apply", JSON.stringify(r.body.data), JSON.stringify(r.body.metadata.labels), JSON.stringify(r.body.metadata.managedFields));
  // minimal entry
  const mf2 = [{ manager: "mgr", operation: "Apply", apiVersion: "v1", fieldsType: "FieldsV1", fieldsV1: {"f:metadata":{"f:labels":{"f:x":{}}}} }];
  const r1: any = await rest.send("POST", "/api/v1/namespaces/default/configmaps", { body: { ...cm, metadata: { ...cm.metadata, name: "c3", managedFields: mf2 } }, query: { fieldManager: "mgr" } });
  console.log("POST minimal", JSON.stringify(r1.body.metadata.managedFields));
} finally { await plane.stop(); }
