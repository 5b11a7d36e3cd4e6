// The generated CRD and RBAC against a real kube-apiserver: what a user sees from kubectl, and what the
// operator's ServiceAccount may and may not do.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  RbacAuthorizationV1Api,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import { parse } from "yaml";
import { CRD_FILE, coldBuildSeconds, kubectl, OPERATOR_NAMESPACE, startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";
import { withSpecDefaults } from "../../helpers/spec-defaults.ts";

const FIXTURES = join(import.meta.dirname, "fixtures");

async function statusCodeOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (error) {
    if (error instanceof ApiException) return error.code;
    throw error;
  }
}

describe("generated CRD and RBAC on a real API server", { timeout: 180_000 }, () => {
  let env: MysqlopControlPlane;
  let crdFromFile: V1CustomResourceDefinition;

  before(async () => {
    env = await startMysqlopControlPlane();
    crdFromFile = parse(await readFile(CRD_FILE, "utf8")) as V1CustomResourceDefinition;
    const build = await coldBuildSeconds();
    console.log(`# figures: binaries cold build ${build ?? "unknown"} s; API server ready ${env.cp.timings.apiServerReadyMs} ms after start`);
  });
  after(() => env?.cp.stop());

  test("the CRD is installed and Established, with its names", async () => {
    const crd = await env.cp.kubeConfig.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name: "mysqls.otus.homework" });
    const established = crd.status?.conditions?.find((c) => c.type === "Established");
    assert.equal(established?.status, "True");
    assert.equal(crd.spec.names.kind, "MySQL");
    assert.equal(crd.spec.names.plural, "mysqls");
    assert.deepEqual(crd.status?.acceptedNames?.shortNames, crdFromFile.spec.names.shortNames);
  });

  test("the original cr.yaml is accepted by kubectl apply, unchanged", async () => {
    const applied = await kubectl(env.cp, ["apply", "-f", join(FIXTURES, "cr.yaml")]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /mysql\.otus\.homework\/mysql-instance created/);
    const stored = (await env.cp.kubeConfig.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: "otus.homework",
      version: "v1",
      namespace: "default",
      plural: "mysqls",
      name: "mysql-instance",
    })) as { spec: Record<string, unknown> };
    // The original's values as written; the fields it leaves out get the schema's defaults.
    assert.deepEqual(stored.spec, withSpecDefaults({ image: "mysql:5.7", database: "otus-database", password: "otuspassword", storage_size: "1Gi" }));
  });

  test("the served CRD keeps the schema's defaults: a MySQL without spec.image gets the supported default mysql:8.4 from the API server", async () => {
    // Read raw: client-node's typed CRD model names `default` differently and would hide the very key checked here.
    const served = await kubectl(env.cp, [
      "get",
      "crd",
      "mysqls.otus.homework",
      "-o",
      "jsonpath={.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.image.default}",
    ]);
    assert.equal(served.code, 0, served.stderr);
    assert.equal(served.stdout, "mysql:8.4");
    const customObjects = env.cp.kubeConfig.makeApiClient(CustomObjectsApi);
    const created = (await customObjects.createNamespacedCustomObject({
      group: "otus.homework",
      version: "v1",
      namespace: "default",
      plural: "mysqls",
      body: { apiVersion: "otus.homework/v1", kind: "MySQL", metadata: { name: "no-image" }, spec: { database: "d", password: "p", storage_size: "1Gi" } },
    })) as { spec: Record<string, unknown> };
    assert.equal(created.spec["image"], "mysql:8.4");
  });

  test("an unknown field (usless_data) is rejected with the API server's strict-decoding error", async () => {
    const applied = await kubectl(env.cp, ["apply", "-f", join(FIXTURES, "cr-usless-data.yaml")]);
    assert.notEqual(applied.code, 0);
    assert.match(applied.stderr, /strict decoding error: unknown field "usless_data"/);
    // The same through the API with fieldValidation=Strict, as an operator's client would send it.
    const body = parse(await readFile(join(FIXTURES, "cr-usless-data.yaml"), "utf8")) as object;
    const customObjects = env.cp.kubeConfig.makeApiClient(CustomObjectsApi);
    await assert.rejects(
      customObjects.createNamespacedCustomObject({
        group: "otus.homework",
        version: "v1",
        namespace: "default",
        plural: "mysqls",
        body,
        fieldValidation: "Strict",
      }),
      (error: unknown) => error instanceof ApiException && error.code === 400 && String(error.body).includes('unknown field \\"usless_data\\"'),
    );
  });

  test("a storage_size that is not a quantity is rejected with the schema's message", async () => {
    const applied = await kubectl(env.cp, ["apply", "-f", join(FIXTURES, "cr-bad-storage-size.yaml")]);
    assert.notEqual(applied.code, 0);
    assert.match(
      applied.stderr,
      /The MySQL "mysql-bad-storage" is invalid: spec\.storage_size: Invalid value: "one gigabyte": spec\.storage_size in body should match/,
    );
  });

  test("a missing required field is rejected with the schema's message", async () => {
    const applied = await kubectl(env.cp, ["apply", "-f", join(FIXTURES, "cr-missing-database.yaml")]);
    assert.notEqual(applied.code, 0);
    // A CRD with CEL rules adds a line saying they were skipped for an object that fails the schema already.
    assert.match(applied.stderr, /The MySQL "mysql-no-database" is invalid: (\n\* )?spec\.database: Required value/);
  });

  test("immutable fields: kubectl apply gets the API server's refusal for a change, and for setting or removing an optional one", async () => {
    const base = { apiVersion: "otus.homework/v1", kind: "MySQL", metadata: { name: "immutable", namespace: "default" } };
    const apply = (spec: Record<string, unknown>) => kubectl(env.cp, ["apply", "-f", "-"], { input: JSON.stringify({ ...base, spec }) });
    const spec = { database: "d", password: "p", storage_size: "1Gi" };
    assert.equal((await apply(spec)).code, 0);
    const table: [Record<string, unknown>, RegExp][] = [
      [
        { ...spec, database: "other" },
        /The MySQL "immutable" is invalid: spec\.database: Invalid value: field is immutable: it cannot change once the resource is created/,
      ],
      [
        { ...spec, storageClassName: "fast" },
        /spec\.storageClassName: Invalid value: field is immutable: it cannot be set, changed or removed once the resource is created/,
      ],
    ];
    for (const [given, want] of table) {
      const refused = await apply(given);
      assert.notEqual(refused.code, 0, JSON.stringify(given));
      assert.match(refused.stderr, want);
    }
    // An optional field present from the start: changing and removing it are refused too.
    const classed = { ...spec, storageClassName: "standard" };
    assert.equal((await kubectl(env.cp, ["delete", "mysql", "immutable", "-n", "default"])).code, 0);
    assert.equal((await apply(classed)).code, 0);
    for (const given of [{ ...spec, storageClassName: "fast" }, spec]) {
      const refused = await apply(given);
      assert.notEqual(refused.code, 0, JSON.stringify(given));
      assert.match(refused.stderr, /spec\.storageClassName: Invalid value: field is immutable/);
    }
    // Fields without the policy still change.
    assert.equal((await apply({ ...classed, storage_size: "2Gi", image: "mysql:8.0" })).code, 0);
    assert.equal((await kubectl(env.cp, ["delete", "mysql", "immutable", "-n", "default"])).code, 0);
  });

  test("kubectl get shows the printer columns, by plural, full name and short names", async () => {
    const columns = (crdFromFile.spec.versions[0]?.additionalPrinterColumns ?? []).filter((c) => (c.priority ?? 0) === 0).map((c) => c.name.toUpperCase());
    assert.ok(columns.includes("IMAGE") && columns.includes("DATABASE"), `printer columns in the CRD: ${columns.join(", ")}`);
    for (const resource of ["mysqls", "mysqls.otus.homework", ...(crdFromFile.spec.names.shortNames ?? [])]) {
      const got = await kubectl(env.cp, ["get", resource, "-n", "default"]);
      assert.equal(got.code, 0, got.stderr);
      const [header, row] = got.stdout.trimEnd().split("\n");
      assert.deepEqual(header?.trim().split(/\s{2,}/), ["NAME", ...columns], `header of kubectl get ${resource}`);
      assert.match(row ?? "", /^mysql-instance\s+mysql:5\.7\s+otus-database\s+1Gi\s/, `row of kubectl get ${resource}`);
    }
  });

  test("the operator's ServiceAccount can do what the generated RBAC allows", async () => {
    const { kubeConfig } = env.operator;
    const customObjects = kubeConfig.makeApiClient(CustomObjectsApi);
    const all = (await customObjects.listClusterCustomObject({ group: "otus.homework", version: "v1", plural: "mysqls" })) as { items: unknown[] };
    assert.ok(all.items.length >= 1, "lists MySQL resources in every namespace");
    const deployment = await kubeConfig.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: "default",
      body: {
        metadata: { name: "rbac-probe" },
        spec: {
          selector: { matchLabels: { app: "rbac-probe" } },
          template: { metadata: { labels: { app: "rbac-probe" } }, spec: { containers: [{ name: "c", image: "mysql:5.7" }] } },
        },
      },
    });
    assert.equal(deployment.metadata?.name, "rbac-probe");
    const lease = await kubeConfig.makeApiClient(CoordinationV1Api).createNamespacedLease({
      namespace: OPERATOR_NAMESPACE,
      body: { metadata: { name: "rbac-probe" }, spec: { holderIdentity: "test" } },
    });
    assert.equal(lease.metadata?.namespace, OPERATOR_NAMESPACE);
  });

  test("the operator's ServiceAccount gets 403 for what the generated RBAC does not allow", async () => {
    const { kubeConfig } = env.operator;
    const core = kubeConfig.makeApiClient(CoreV1Api);
    assert.equal(await statusCodeOf(core.deleteNode({ name: "any-node" })), 403, "deleting Nodes");
    assert.equal(await statusCodeOf(core.deleteNamespace({ name: "kube-system" })), 403, "deleting Namespaces");
    assert.equal(
      await statusCodeOf(kubeConfig.makeApiClient(CoordinationV1Api).createNamespacedLease({ namespace: "default", body: { metadata: { name: "outside" } } })),
      403,
      "Leases outside the operator's namespace",
    );
    assert.equal(
      await statusCodeOf(
        kubeConfig.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
          body: {
            metadata: { name: "escalate" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
            subjects: [],
          },
        }),
      ),
      403,
      "granting itself cluster-admin",
    );
    // And kubectl, as a user would see it.
    const denied = await kubectl(env.cp, ["delete", "node", "any-node"], { kubeconfig: env.operator.kubeconfigPath });
    assert.match(denied.stderr, /Forbidden.*system:serviceaccount:mysqlop-system:mysqlop.*cannot delete resource "nodes"/);
  });
});
