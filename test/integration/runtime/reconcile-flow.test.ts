/**
 * The runtime in-process against a real control plane (etcd + kube-apiserver): the create /
 * update / delete flow with the finalizer, owned children re-queueing their owner, status
 * conditions, aggregated Events, probes and metrics, and watches that recover after the API
 * server is stopped and started again.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startControlPlane, type ControlPlane } from "../../../src/envtest/index.ts";
import { createJsonLogger, Manager } from "../../../src/runtime/index.ts";
import { waitFor, type HookResult } from "../../../src/runtime/index.ts";
import { configMapKind, WidgetReconciler, widgetType, type Widget, type WidgetStatus } from "../../fixtures/runtime/widget-reconciler.ts";
import { condition, eventually, metricValue, WidgetClient, widgetCrdPath } from "./helpers.ts";

/** The fixture, whose finalize also hands a status fact to the loop while it holds deletion. */
class FactfulWidgetReconciler extends WidgetReconciler {
  override async finalize(widget: Widget): Promise<HookResult<WidgetStatus>> {
    const result = await super.finalize(widget);
    return result.kind === "wait"
      ? waitFor(result.afterMs, result.reason, result.message, { configMap: `${widget.metadata.name}-data (deletion held)` })
      : result;
  }
}

describe("integration: runtime against a real API server", { timeout: 240_000 }, () => {
  let plane: ControlPlane;
  let manager: Manager;
  let running: Promise<void>;
  let widgets: WidgetClient;
  const logLines: Record<string, unknown>[] = [];

  before(async () => {
    plane = await startControlPlane();
    await plane.installCrd(widgetCrdPath);
    widgets = new WidgetClient(plane.kubeConfig, "flow");
    await widgets.createNamespace();
    manager = new Manager({
      name: "widget-fixture",
      kubeConfig: plane.kubeConfig,
      probePort: 0,
      probeHost: "127.0.0.1",
      logger: createJsonLogger({ level: "debug", write: (line) => logLines.push(JSON.parse(line) as Record<string, unknown>) }),
    });
    manager.addController({
      name: "widget",
      resourceType: widgetType,
      owns: [configMapKind],
      reconciler: new FactfulWidgetReconciler("in-process"),
      concurrency: 2,
    });
    running = manager.start();
  });

  after(async () => {
    await manager?.stop();
    await running?.catch(() => undefined);
    await plane?.stop();
  });

  const probe = async (path: string): Promise<{ status: number; text: string }> => {
    const response = await fetch(`http://127.0.0.1:${manager.probePort}${path}`);
    return { status: response.status, text: await response.text() };
  };

  test("create: finalizer, owned ConfigMap with controller reference, Ready status, Created event", async () => {
    await widgets.create("alpha", { message: "hello" });
    const widget = await eventually("alpha Ready", async () => {
      const w = await widgets.get("alpha");
      return condition(w, "Ready")?.status === "True" ? w : undefined;
    });
    assert.deepEqual(widget.metadata.finalizers, ["fixtures.runtime.test/finalizer"]);
    assert.equal(widget.status?.observedGeneration, 1);
    assert.equal(widget.status?.message, "alpha created");
    assert.equal(widget.status?.configMap, "alpha-data");
    assert.deepEqual(widget.status?.appliedSpec, { message: "hello" });
    assert.equal(condition(widget, "Degraded")?.status, "False");
    const cm = await widgets.configMap("alpha-data");
    assert.equal(cm?.data?.message, "hello");
    assert.deepEqual(
      cm?.metadata?.ownerReferences?.map((r) => ({
        kind: r.kind,
        name: r.name,
        uid: r.uid,
        controller: r.controller,
        blockOwnerDeletion: r.blockOwnerDeletion,
      })),
      [{ kind: "Widget", name: "alpha", uid: widget.metadata.uid, controller: true, blockOwnerDeletion: true }],
    );
    assert.deepEqual(
      cm?.metadata?.managedFields?.map((f) => `${f.manager} ${f.operation}`),
      ["widget-fixture-create Update"],
      "created (a POST, so that one made meanwhile is refused) under the field manager's create name",
    );
    const events = await eventually(
      "Created event",
      async () => (await widgets.events("alpha")).filter((e) => e.reason === "Created").length > 0 && widgets.events("alpha"),
    );
    assert.equal(events.find((e) => e.reason === "Created")?.type, "Normal");
  });

  test("update: the changed field's hook runs, the child follows, lastTransitionTime of Ready is kept", async () => {
    const before = await widgets.get("alpha");
    const readySince = condition(before, "Ready")?.lastTransitionTime;
    await widgets.patchSpec("alpha", { message: "changed" });
    const widget = await eventually("alpha generation 2 observed", async () => {
      const w = await widgets.get("alpha");
      return w?.status?.observedGeneration === 2 ? w : undefined;
    });
    assert.equal(widget.status?.message, 'message set to "changed"');
    assert.deepEqual(widget.status?.appliedSpec, { message: "changed" });
    assert.equal(condition(widget, "Ready")?.lastTransitionTime, readySince);
    const cm = await widgets.configMap("alpha-data");
    assert.equal(cm?.data?.message, "changed");
    assert.deepEqual(
      cm?.metadata?.managedFields?.map((f) => `${f.manager} ${f.operation}`),
      ["widget-fixture Apply"],
      "the first change applied it server-side, the create's fields handed over to the applies",
    );
    await eventually("Updated event", async () => (await widgets.events("alpha")).some((e) => e.reason === "Updated"));
  });

  test("a change to an owned child re-queues its owner: a deleted or edited ConfigMap is restored", async () => {
    await widgets.core.deleteNamespacedConfigMap({ namespace: "flow", name: "alpha-data" });
    await eventually("ConfigMap recreated", async () => (await widgets.configMap("alpha-data"))?.data?.message === "changed");
    await widgets.core.patchNamespacedConfigMap(
      { namespace: "flow", name: "alpha-data", body: { data: { message: "tampered" } } },
      (await import("@kubernetes/client-node")).setHeaderOptions("Content-Type", "application/merge-patch+json"),
    );
    await eventually("ConfigMap restored", async () => (await widgets.configMap("alpha-data"))?.data?.message === "changed");
  });

  test("a failing hook: Degraded with its reason, one Warning Event however often it is retried, recovery resets", async () => {
    const failures = async (): Promise<number> => metricValue((await probe("/metrics")).text, "controller_runtime_reconcile_errors_total");
    const failedBefore = await failures();
    await widgets.patchSpec("alpha", { fail: true });
    const broken = await eventually("alpha Degraded", async () => {
      const w = await widgets.get("alpha");
      return condition(w, "Degraded")?.status === "True" ? w : undefined;
    });
    assert.equal(condition(broken, "Degraded")?.reason, "WidgetBroken");
    assert.equal(condition(broken, "Ready")?.status, "False");
    // Retried with back-off; each retry fails the same way, which is no new transition: nothing more is written.
    await eventually("retried", async () => (await failures()) >= failedBefore + 3, 30_000);
    // The Warning of the first failure is sent after its status write, on its own: the retries may come before it is stored.
    const warnings = await eventually("the WidgetBroken Warning", async () => {
      const found = (await widgets.events("alpha")).filter((e) => e.reason === "WidgetBroken");
      return found.length > 0 && found;
    });
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.type, "Warning");
    assert.equal(warnings[0]?.count, 1);
    await widgets.patchSpec("alpha", { fail: false });
    await eventually("alpha Ready again", async () => condition(await widgets.get("alpha"), "Ready")?.status === "True");
  });

  test("delete: the finalizer holds deletion while finalize waits, then lets go", async () => {
    await widgets.patchSpec("alpha", { holdDeletion: true });
    await eventually("holdDeletion observed", async () => (await widgets.get("alpha"))?.status?.observedGeneration === 5);
    await widgets.delete("alpha");
    const held = await eventually("deletion held", async () => {
      const w = await widgets.get("alpha");
      return condition(w, "Ready")?.reason === "DeletionHeld" ? w : undefined;
    });
    assert.ok(held.metadata.deletionTimestamp, "marked for deletion");
    assert.deepEqual(held.metadata.finalizers, ["fixtures.runtime.test/finalizer"]);
    assert.equal(condition(held, "Progressing")?.status, "True");
    assert.equal(held.status?.configMap, "alpha-data (deletion held)", "finalize's status facts are written while deletion is held");
    assert.equal(held.status?.message, "spec.holdDeletion is true");
    assert.equal(held.status?.observedGeneration, held.metadata.generation);
    await widgets.patchSpec("alpha", { holdDeletion: false });
    await eventually("alpha gone", async () => (await widgets.get("alpha")) === undefined);
  });

  test("a child controlled by an earlier owner of the same name is not adopted: a wait (Progressing, not Degraded) until the garbage collector removes it", async () => {
    // What the garbage collector has not removed yet (this control plane runs none): the child a
    // deleted Widget "gamma" with another uid got from this controller, i.e. applied by the same
    // field manager, whose next apply would otherwise simply replace the owner reference.
    const earlier = {
      apiVersion: "fixtures.runtime.test/v1",
      kind: "Widget",
      name: "gamma",
      uid: "00000000-0000-0000-0000-00000000dead",
      controller: true,
      blockOwnerDeletion: true,
    };
    const { PatchStrategy, setHeaderOptions } = await import("@kubernetes/client-node");
    await widgets.core.patchNamespacedConfigMap(
      {
        namespace: "flow",
        name: "gamma-data",
        fieldManager: "widget-fixture",
        force: true,
        body: {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "gamma-data", namespace: "flow", ownerReferences: [earlier], labels: { "app.kubernetes.io/managed-by": "widget-fixture" } },
          data: { message: "from the earlier gamma" },
        },
      },
      setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
    );
    await widgets.create("gamma", { message: "new gamma" });
    const waiting = await eventually("gamma waiting for the garbage collector", async () => {
      const w = await widgets.get("gamma");
      return condition(w, "Progressing")?.reason === "WaitingForGarbageCollector" ? w : undefined;
    });
    assert.equal(condition(waiting, "Progressing")?.status, "True");
    assert.notEqual(condition(waiting, "Degraded")?.status, "True", "a normal transient state, not a failure");
    assert.match(
      waiting.status?.message ?? "",
      /waiting for the garbage collector to remove ConfigMap flow\/gamma-data left by the previous Widget gamma \(uid 00000000-0000-0000-0000-00000000dead\)/,
    );
    const kept = await widgets.configMap("gamma-data");
    assert.deepEqual(
      kept?.metadata?.ownerReferences?.map((r) => r.uid),
      [earlier.uid],
      "the earlier owner's reference is untouched",
    );
    assert.equal(kept?.data?.message, "from the earlier gamma");
    // The garbage collector's part: the earlier child goes, and the new gamma converges.
    await widgets.core.deleteNamespacedConfigMap({ namespace: "flow", name: "gamma-data" });
    const ready = await eventually(
      "gamma Ready",
      async () => {
        const w = await widgets.get("gamma");
        return condition(w, "Ready")?.status === "True" ? w : undefined;
      },
      45_000,
    );
    const adopted = await widgets.configMap("gamma-data");
    assert.deepEqual(
      adopted?.metadata?.ownerReferences?.map((r) => r.uid),
      [ready.metadata.uid],
    );
    assert.equal(adopted?.data?.message, "new gamma");
  });

  test("probes and metrics", async () => {
    assert.equal((await probe("/healthz")).status, 200);
    assert.equal((await probe("/readyz")).status, 200);
    const metrics = (await probe("/metrics")).text;
    assert.ok(metricValue(metrics, "controller_runtime_reconcile_total", { controller: "widget", result: "success" }) > 0);
    assert.ok(metricValue(metrics, "controller_runtime_reconcile_errors_total", { controller: "widget" }) >= 2);
    assert.ok(metricValue(metrics, "workqueue_adds_total", { name: "widget" }) > 0);
    assert.equal(metricValue(metrics, "informer_cache_synced", { kind: "Widget" }), 1);
    assert.ok(metricValue(metrics, "controller_runtime_reconcile_time_seconds_count", { controller: "widget" }) > 0);
  });

  test("the API server stops and starts again: watches recover, later changes are reconciled, restarts show in metrics", async () => {
    const restartsBefore = metricValue((await probe("/metrics")).text, "informer_watch_restarts_total");
    await plane.stopApiServer();
    // Long enough for both watches to notice and enter back-off.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await plane.startApiServer();
    await widgets.create("beta", { message: "after the outage" });
    const beta = await eventually(
      "beta Ready after the outage",
      async () => {
        const w = await widgets.get("beta");
        return condition(w, "Ready")?.status === "True" ? w : undefined;
      },
      60_000,
    );
    assert.equal(beta.status?.configMap, "beta-data");
    // Twice: the first deletion may fall into the owned informer's relist (then the relist
    // re-queues every owner); the second can only be seen through the recovered watch.
    for (const round of ["first", "second"]) {
      await widgets.core.deleteNamespacedConfigMap({ namespace: "flow", name: "beta-data" });
      await eventually(`beta-data recreated after the ${round} deletion`, async () => (await widgets.configMap("beta-data")) !== undefined, 45_000).catch(
        (error: unknown) => {
          throw new Error(
            `${String(error)}\nlast log lines:\n${logLines
              .slice(-40)
              .map((l) => JSON.stringify(l))
              .join("\n")}`,
          );
        },
      );
    }
    const metrics = (await probe("/metrics")).text;
    const restarts = metricValue(metrics, "informer_watch_restarts_total");
    assert.ok(restarts > restartsBefore, `watch restarts ${restartsBefore} → ${restarts}`);
    assert.ok(metricValue(metrics, "informer_watch_restarts_total", { kind: "Widget" }) > 0);
    assert.ok(metricValue(metrics, "informer_watch_restarts_total", { kind: "ConfigMap" }) > 0);
    assert.equal((await probe("/healthz")).status, 200);
  });

  test("every reconcile log line names the controller and the key", () => {
    const reconcileLines = logLines.filter((l) => typeof l.msg === "string" && String(l.msg).startsWith("reconcile"));
    assert.ok(reconcileLines.length > 0);
    for (const line of reconcileLines) {
      assert.equal(line.controller, "widget", JSON.stringify(line));
      assert.match(String(line.key), /^flow\/(alpha|beta|gamma)$/, JSON.stringify(line));
    }
  });
});
