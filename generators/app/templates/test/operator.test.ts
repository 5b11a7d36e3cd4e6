/**
 * The <%= kind %> operator on a real control plane (etcd, kube-apiserver with the generated CRD and RBAC,
 * kube-controller-manager, kube-scheduler and a kwok node that marks pods Running without running them),
 * started by generator-mysqlop's envtest harness. The operator runs in this process as its
 * ServiceAccount, so a permission missing from the schema's operator rules fails here.
 *
 * The control-plane binaries: `npm run envtest:build` builds them once into ~/.cache/mysqlop (or set
 * KUBEBUILDER_ASSETS / TEST_ASSET_*).
 */
import assert from "node:assert/strict";
<% if (watchNamespaces !== undefined) { -%>
import { readFile } from "node:fs/promises";
<% } -%>
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { ApiException, AppsV1Api, CoreV1Api, CustomObjectsApi, type KubernetesObject } from "@kubernetes/client-node";
<% if (watchNamespaces !== undefined) { -%>
import { parseAllDocuments } from "yaml";
<% } -%>
import { eventually, startControlPlane, type ControlPlane } from "generator-mysqlop/envtest";
import { createJsonLogger, type Manager } from "generator-mysqlop/runtime";
import {
  <%= constantPrefix %>_GROUP,
  <%= constantPrefix %>_OPERATOR_NAMESPACE,
  <%= constantPrefix %>_OPERATOR_SERVICE_ACCOUNT,
  <%= constantPrefix %>_PLURAL,
  <%= constantPrefix %>_VERSION,
} from "../generated/<%= singular %>-constants.ts";
import type { <%= kind %> } from "../generated/<%= singular %>-models.ts";
import { create<%= kind %>Operator } from "../src/operator.ts";

const file = (path: string): string => fileURLToPath(new URL(`../${path}`, import.meta.url));
const NS = "<%= sampleNamespace %>";
const NAME = "<%= singular %>-sample";
/** Waits on pods and rollouts of a loaded machine: generous, but bounded. */
const WAIT_MS = 120_000;

async function orUndefined<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return undefined;
    throw error;
  }
}

describe("<%= kind %> operator on a real control plane", { timeout: 600_000 }, () => {
  let cp: ControlPlane;
  let manager: Manager;
  let running: Promise<void>;
  let custom: CustomObjectsApi;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  const logs: string[] = [];
  const resource = (): Promise<<%= kind %> | undefined> =>
    orUndefined(
      custom.getNamespacedCustomObject({ group: <%= constantPrefix %>_GROUP, version: <%= constantPrefix %>_VERSION, namespace: NS, plural: <%= constantPrefix %>_PLURAL, name: NAME }) as Promise<<%= kind %>>,
    );

  before(async () => {
    // The CRD goes in before the workload components start, so the garbage collector knows the kind from the start.
    cp = await startControlPlane({ workloads: true, crds: [file("deploy/crd.yaml")] });
    await cp.applyManifests(file("deploy/namespace.yaml"));
<% if (watchNamespaces === undefined) { -%>
    await cp.applyManifests(file("deploy/rbac.yaml"));
<% } else { -%>
    // The namespaced RBAC variant: once for the operator, and the watched-namespace Role in the namespace it watches.
    await cp.applyManifests(file("deploy/rbac-namespaced/operator.yaml"));
    const role = parseAllDocuments(await readFile(file("deploy/rbac-namespaced/watched-namespace/role.yaml"), "utf8")).map((doc) => doc.toJS() as KubernetesObject);
    await cp.applyManifests(role.map((object) => ({ ...object, metadata: { ...object.metadata, namespace: NS } })));
<% } -%>
    const operator = await cp.serviceAccountKubeConfig({ namespace: <%= constantPrefix %>_OPERATOR_NAMESPACE, name: <%= constantPrefix %>_OPERATOR_SERVICE_ACCOUNT });
    custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    core = cp.kubeConfig.makeApiClient(CoreV1Api);
    apps = cp.kubeConfig.makeApiClient(AppsV1Api);
    manager = create<%= kind %>Operator({ kubeConfig: operator.kubeConfig, <% if (watchNamespaces !== undefined) { %>namespace: NS, <% } %>probePort: false, logger: createJsonLogger({ level: "info", write: (line) => void logs.push(line) }) });
    running = manager.start();
  });

  after(async () => {
    await manager?.stop();
    await running?.catch(() => {});
    await cp?.stop();
    const forbidden = logs.filter((line) => line.includes("forbidden"));
    if (forbidden.length > 0) console.log(`# operator log lines saying forbidden:\n${forbidden.slice(0, 5).join("\n")}`);
  });

  test("the sample: server, Service and volume owned or labelled, Ready, '<%= singular %>-sample created'", async () => {
    await cp.applyManifests(file("<%= files.sample %>"));
    const created = await eventually("Ready and the created message", async () => {
      const current = await resource();
      const ready = current?.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
      return ready && current?.status?.message === `${NAME} created` && current;
    }, WAIT_MS, 250);
    const ownedBy = (object: KubernetesObject | undefined): boolean =>
      object?.metadata?.ownerReferences?.some((r) => r.uid === created.metadata.uid && r.controller === true) ?? false;
    assert.ok(ownedBy(await apps.readNamespacedDeployment({ name: NAME, namespace: NS })), "the Deployment NAME is owned");
    assert.ok(ownedBy(await core.readNamespacedService({ name: NAME, namespace: NS })), "the Service NAME is owned");
    assert.ok(ownedBy(await core.readNamespacedPersistentVolumeClaim({ name: `${NAME}-pvc`, namespace: NS })), "the claim NAME-pvc is owned");
    const volumes = await core.listPersistentVolume({ labelSelector: `${<%= constantPrefix %>_GROUP}/<%= singular %>=${NAME}` });
    assert.equal(volumes.items.length, 1, "one hostPath volume, labelled with the resource's name");
    const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${NAME}` });
    assert.equal(pods.items.length, 1, "kubectl get pods -l app=NAME finds the server");
  });

  test("an unknown field is refused by the API server, naming it", async () => {
    const body = {
      apiVersion: `${<%= constantPrefix %>_GROUP}/${<%= constantPrefix %>_VERSION}`,
      kind: "<%= kind %>",
      metadata: { name: "typo", namespace: NS },
      spec: { database: "db", storage_size: "1Gi", passwordSecretRef: { name: "x", key: "y" }, usless_data: 1 },
    };
    await assert.rejects(
      custom.createNamespacedCustomObject({ group: <%= constantPrefix %>_GROUP, version: <%= constantPrefix %>_VERSION, namespace: NS, plural: <%= constantPrefix %>_PLURAL, body, fieldValidation: "Strict" }),
      (error: unknown) => error instanceof ApiException && error.code === 400 && /strict decoding error: unknown field \\?"spec\.usless_data/.test(String(error.body)),
    );
  });

  test("a new image rolls the Deployment over and is recorded as applied", async () => {
    await custom.patchNamespacedCustomObject(
      { group: <%= constantPrefix %>_GROUP, version: <%= constantPrefix %>_VERSION, namespace: NS, plural: <%= constantPrefix %>_PLURAL, name: NAME, body: [{ op: "replace", path: "/spec/image", value: "registry.example.com/db/server:2" }] },
    );
    await eventually("the image change applied", async () => (await resource())?.status?.message === "image changed to registry.example.com/db/server:2", WAIT_MS, 250);
    const deployment = await apps.readNamespacedDeployment({ name: NAME, namespace: NS });
    assert.equal(deployment.spec?.template.spec?.containers[0]?.image, "registry.example.com/db/server:2");
  });

  test("delete: the finalizer removes the hostPath volume, and the resource goes", async () => {
    await custom.deleteNamespacedCustomObject({ group: <%= constantPrefix %>_GROUP, version: <%= constantPrefix %>_VERSION, namespace: NS, plural: <%= constantPrefix %>_PLURAL, name: NAME });
    await eventually("the resource gone", async () => (await resource()) === undefined, WAIT_MS, 250);
    await eventually(
      "the hostPath volume gone or going",
      async () => {
        const volumes = await core.listPersistentVolume({ labelSelector: `${<%= constantPrefix %>_GROUP}/<%= singular %>=${NAME}` });
        return volumes.items.every((v) => v.metadata?.deletionTimestamp !== undefined);
      },
      WAIT_MS,
      250,
    );
  });
});
