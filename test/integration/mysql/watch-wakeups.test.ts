/**
 * A starting server is woken by watch events, not by polling, on a real control plane (kube-controller-manager binds the
 * claims, the scheduler places the pods, kwok runs them), with the operator under its generated RBAC. The operator's
 * fallback for the wait on a claim's binding, and every retry, are an hour away; kube-controller-manager is held still
 * (SIGSTOP) until the servers' pods are past the start grace, so that no timer of the operator is due when it binds the
 * claims: the resources become Ready within the test only because the claims' and Deployments' changes re-queue them.
 * The informers' resync is an hour away too. The operator's own data volume carries no owner reference (it is
 * cluster-scoped), only labels naming its resource: its events must wake that resource all the same.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AppsV1Api } from "@kubernetes/client-node";
import { START_GRACE_MS } from "../../../src/mysql/pod-diagnosis.ts";
import { startInProcessOperator, type InProcessOperator } from "../../helpers/operator-process.ts";
import { kubectl, startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";
import { eventually } from "../../helpers/eventually.ts";
import { mysqlApi, mysqlManifest, type MySQLApi } from "../../helpers/mysql-api.ts";
import { orUndefined } from "../../helpers/not-found.ts";

const NS = "default";
const HOUR_MS = 3_600_000;

describe("a starting server is woken by its children's watch events", { timeout: 600_000 }, () => {
  let env: MysqlopControlPlane;
  let operator: InProcessOperator | undefined;
  let api: MySQLApi;

  before(async () => {
    env = await startMysqlopControlPlane({ workloads: true });
    api = mysqlApi(env.cp);
    operator = startInProcessOperator(env, {
      bindingFallbackMs: HOUR_MS,
      resyncMs: HOUR_MS,
      retryBackoff: { baseMs: HOUR_MS, maxMs: HOUR_MS, jitter: 0 },
    });
  });

  after(async () => {
    await operator?.stop();
    await env?.cp.stop();
  });

  /** The resource once its Ready condition is True (kube-controller-manager binds its claim, kwok runs its pod). */
  const readyResource = (name: string) =>
    eventually(
      `${name} Ready`,
      async () => {
        const m = await api.get(NS, name);
        return m?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true && m;
      },
      180_000,
      250,
    );

  test("resources whose claims are bound only after the start grace become Ready with the binding's fallback an hour away", async () => {
    const controllerManager = env.cp.components().find((c) => c.name === "kube-controller-manager")?.pid;
    assert.ok(controllerManager !== undefined, "kube-controller-manager runs");
    const apps = env.cp.kubeConfig.makeApiClient(AppsV1Api);
    const names = ["woken-a", "woken-b", "woken-c"];
    process.kill(controllerManager, "SIGSTOP");
    try {
      await Promise.all(names.map((name) => api.apply(mysqlManifest(name, NS))));
      for (const name of names) {
        // The operator made the server and the claim, and waits for the binding: nothing binds it while held still.
        const starting = await eventually(
          `${name} waits for its claim`,
          async () => {
            const m = await api.get(NS, name);
            const progressing = m?.status?.conditions?.find((c) => c.type === "Progressing");
            return progressing?.reason === "Starting" && (await orUndefined(apps.readNamespacedDeployment({ name, namespace: NS })));
          },
          60_000,
          250,
        );
        const claim = await api.core.readNamespacedPersistentVolumeClaim({ name: `${name}-pvc`, namespace: NS });
        assert.notEqual(claim.status?.phase, "Bound", "kube-controller-manager is held still");
        const created = new Date(starting.metadata?.creationTimestamp ?? 0).getTime();
        // Past the grace no timer of the operator is due (its first look at the pods would be then); wall clock, as the operator's.
        await eventually(`${name}'s server past the start grace`, async () => Date.now() - created > START_GRACE_MS + 2_000, 60_000, 500);
      }
    } finally {
      process.kill(controllerManager, "SIGCONT");
    }
    for (const name of names) {
      const ready = await readyResource(name);
      assert.equal(ready.status?.message, `${name} created without restore-job`);
      assert.equal(ready.status?.storage?.mode, "HostPath", "the claim is bound by kube-controller-manager to the operator's volume");
    }
  });

  test("the data volume deleted while its claim waits for the binding is made again: its event wakes the resource", async () => {
    const controllerManager = env.cp.components().find((c) => c.name === "kube-controller-manager")?.pid;
    assert.ok(controllerManager !== undefined, "kube-controller-manager runs");
    const name = "volume-woken";
    const volumeName = `${name}-pv`;
    process.kill(controllerManager, "SIGSTOP");
    try {
      await api.apply(mysqlManifest(name, NS));
      // The operator made the volume and the claim and waits for the binding (its fallback an hour away): nothing binds it while held still.
      const made = await eventually(
        `${name} waits for its claim, its volume made`,
        async () => {
          const m = await api.get(NS, name);
          const progressing = m?.status?.conditions?.find((c) => c.type === "Progressing");
          return progressing?.reason === "Starting" && (await orUndefined(api.core.readPersistentVolume({ name: volumeName })));
        },
        60_000,
        250,
      );
      const claim = await api.core.readNamespacedPersistentVolumeClaim({ name: `${name}-pvc`, namespace: NS });
      assert.notEqual(claim.status?.phase, "Bound", "kube-controller-manager is held still");
      assert.equal(made.spec?.claimRef?.name, `${name}-pvc`);
      // The API server's pv-protection finalizer is taken off by kube-controller-manager, held still: the test does it.
      const deleted = await kubectl(env.cp, ["delete", "pv", volumeName, "--wait=false"]);
      assert.equal(deleted.code, 0, deleted.stderr);
      const released = await kubectl(env.cp, ["patch", "pv", volumeName, "--type=merge", "-p", '{"metadata":{"finalizers":null}}']);
      assert.ok(released.code === 0 || released.stderr.includes("NotFound"), released.stderr);
      const again = await eventually(
        `${volumeName} made again`,
        async () => {
          const pv = await orUndefined(api.core.readPersistentVolume({ name: volumeName }));
          return pv !== undefined && pv.metadata?.uid !== made.metadata?.uid && pv;
        },
        90_000,
        250,
      );
      assert.equal(again.spec?.claimRef?.name, `${name}-pvc`, "the new volume is pre-bound to the resource's claim");
      assert.equal(again.spec?.hostPath?.path, made.spec?.hostPath?.path, "on the same directory");
    } finally {
      process.kill(controllerManager, "SIGCONT");
    }
    const ready = await readyResource(name);
    assert.equal(ready.status?.message, `${name} created without restore-job`);
  });
});
