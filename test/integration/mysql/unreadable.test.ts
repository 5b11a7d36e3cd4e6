/**
 * MySQL objects the schema refuses, on a real API server under the operator's RBAC: written while
 * the CRD had no validation (then the real CRD installed), they never get the finalizer and stay
 * deletable; one that got the finalizer from an earlier operator is let go when deleted.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { MYSQL_FINALIZER } from "../../../generated/mysql-constants.ts";
import type { MySQL } from "../../../generated/mysql-models.ts";
import { createMySQLOperator } from "../../../src/mysql/operator.ts";
import { createJsonLogger, type Manager } from "../../../src/runtime/index.ts";
import { CRD_FILE, kubectl, startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";
import { eventually } from "../../helpers/eventually.ts";
import { orUndefined } from "../../helpers/not-found.ts";

const NS = "default";

/** The MySQL CRD as it was before it validated anything: every object is accepted. */
const PERMISSIVE_CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "mysqls.otus.homework" },
  spec: {
    group: "otus.homework",
    names: { kind: "MySQL", listKind: "MySQLList", plural: "mysqls", singular: "mysql", shortNames: ["my"] },
    scope: "Namespaced",
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      },
    ],
  },
};

describe("MySQL objects the schema refuses", { timeout: 240_000 }, () => {
  let env: MysqlopControlPlane;
  let manager: Manager | undefined;
  let running: Promise<void> | undefined;
  let custom: CustomObjectsApi;

  const get = (name: string): Promise<MySQL | undefined> =>
    orUndefined(custom.getNamespacedCustomObject({ group: "otus.homework", version: "v1", namespace: NS, plural: "mysqls", name }) as Promise<MySQL>);
  const events = async (name: string) =>
    (await env.cp.kubeConfig.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: NS })).items.filter((e) => e.involvedObject.name === name);

  before(async () => {
    env = await startMysqlopControlPlane();
    custom = env.cp.kubeConfig.makeApiClient(CustomObjectsApi);
    // Objects written while the CRD validated nothing.
    await env.cp.applyManifests([PERMISSIVE_CRD]);
    const create = (body: object) => custom.createNamespacedCustomObject({ group: "otus.homework", version: "v1", namespace: NS, plural: "mysqls", body });
    await eventually("the permissive CRD serves", async () => {
      await create({ apiVersion: "otus.homework/v1", kind: "MySQL", metadata: { name: "no-spec" } });
      return true;
    });
    await create({ apiVersion: "otus.homework/v1", kind: "MySQL", metadata: { name: "bad-spec" }, spec: { database: "d", storage_size: "lots" } });
    // Two an earlier operator already holds with its finalizer: one with a refused spec, one with none.
    await create({
      apiVersion: "otus.homework/v1",
      kind: "MySQL",
      metadata: { name: "held", finalizers: [MYSQL_FINALIZER] },
      spec: { database: "d", password: "p", storage_size: "lots" },
    });
    await create({ apiVersion: "otus.homework/v1", kind: "MySQL", metadata: { name: "held-no-spec", finalizers: [MYSQL_FINALIZER] } });
    await env.cp.installCrd(CRD_FILE);
    manager = createMySQLOperator({ kubeConfig: env.operator.kubeConfig, probePort: false, logger: createJsonLogger({ level: "error" }) });
    running = manager.start();
  });

  after(async () => {
    await manager?.stop();
    await running?.catch(() => {});
    await env?.cp.stop();
  });

  test("no finalizer for a missing or refused spec: a warning names the problem, status says Degraded InvalidSpec", async () => {
    for (const [name, problem] of [
      ["no-spec", /missing required field "spec"/],
      ["bad-spec", /spec\.storage_size: must be a Kubernetes quantity/],
    ] as const) {
      const warning = await eventually(`InvalidSpec event on ${name}`, async () => (await events(name)).find((e) => e.reason === "InvalidSpec"), 60_000);
      assert.equal(warning.type, "Warning");
      assert.match(warning.message ?? "", problem);
      const object = await get(name);
      assert.ok(!(object?.metadata.finalizers ?? []).includes(MYSQL_FINALIZER), `${name} got the finalizer`);
      const degraded = object?.status?.conditions?.find((c) => c.type === "Degraded");
      if (degraded !== undefined) assert.equal(degraded.reason, "InvalidSpec");
    }
  });

  test("such objects are deletable; one holding the finalizer from before is let go", async () => {
    for (const name of ["no-spec", "bad-spec", "held"]) {
      const deleted = await kubectl(env.cp, ["delete", "mysql", name, "-n", NS, "--wait=false"]);
      assert.equal(deleted.code, 0, deleted.stderr);
    }
    for (const name of ["no-spec", "bad-spec", "held"]) await eventually(`${name} gone`, async () => (await get(name)) === undefined, 60_000);
    // The Warning is recorded after the finalizer's removal, which may let the object go before the Event is stored.
    await eventually(
      "the Warning on held",
      async () => (await events("held")).some((e) => e.reason === "InvalidSpec" && /finalizer removed without finalizing/.test(e.message ?? "")),
      60_000,
    );
  });

  test("held without any spec: the API server refuses every update, so the operator says how to finish; with a valid spec the deletion completes", async () => {
    const deleted = await kubectl(env.cp, ["delete", "mysql", "held-no-spec", "-n", NS, "--wait=false"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const advice = await eventually(
      "advice",
      async () => (await events("held-no-spec")).find((e) => e.reason === "InvalidSpec" && /give it a valid spec/.test(e.message ?? "")),
      60_000,
    );
    assert.match(advice.message ?? "", /spec: Required value/);
    const patched = await kubectl(env.cp, [
      "patch",
      "mysql",
      "held-no-spec",
      "-n",
      NS,
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { database: "d", password: "p", storage_size: "1Gi" } }),
    ]);
    assert.equal(patched.code, 0, patched.stderr);
    await eventually("held-no-spec gone", async () => (await get("held-no-spec")) === undefined, 60_000);
  });
});
