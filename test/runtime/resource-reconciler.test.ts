import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubernetesObject } from "@kubernetes/client-node";
import { findCondition } from "../../src/runtime/conditions.ts";
import { KubeApiError } from "../../src/runtime/kube-rest.ts";
import {
  AlreadyOwnedError,
  done,
  failed,
  NotManagedError,
  ReconcileFailedError,
  ResourceReconciler,
  waitFor,
  type Condition,
  type CustomResource,
  type HookResult,
  type ReconcileContext,
  type ResourceType,
  type StandardStatus,
  type ChangeHooks,
  type SpecFieldInfo,
} from "../../src/runtime/index.ts";

interface GadgetStatus extends StandardStatus {
  restoredFrom?: string;
  cleanup?: { job: string; progress?: string; failure?: string };
}
type Gadget = CustomResource<{ size: string; color: string }, GadgetStatus>;

/** A fake context: a cache of one object, and a journal of every write. */
class FakeContext implements ReconcileContext {
  object: Gadget | undefined;
  journal: string[] = [];
  statuses: Record<string, unknown>[] = [];
  events: { normal: (o: KubernetesObject, r: string, m: string) => void; warning: (o: KubernetesObject, r: string, m: string) => void };
  eventLog: string[] = [];
  failApply = false;
  /** Thrown by every apply when set. */
  applyError: Error | undefined;
  log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  cache = {
    get: <T extends KubernetesObject>(apiVersion: string, kind: string, namespace: string | undefined, name: string): T | undefined => {
      assert.equal(apiVersion, "example.test/v1");
      assert.equal(kind, "Gadget");
      return this.object !== undefined && this.object.metadata.name === name && this.object.metadata.namespace === namespace
        ? (this.object as unknown as T)
        : undefined;
    },
    list: <T extends KubernetesObject>(): T[] => [],
  };

  constructor(object?: Gadget) {
    this.object = object;
    this.events = {
      normal: (_o, reason, message) => this.eventLog.push(`Normal ${reason}: ${message}`),
      warning: (_o, reason, message) => this.eventLog.push(`Warning ${reason}: ${message}`),
    };
  }
  async apply<T extends KubernetesObject>(object: T, options?: { owner?: KubernetesObject }): Promise<T> {
    if (this.failApply) throw new Error("boom");
    if (this.applyError !== undefined) throw this.applyError;
    this.journal.push(`apply ${object.kind}/${object.metadata?.name} owner=${options?.owner?.metadata?.name}`);
    return object;
  }
  async mergePatch<T extends KubernetesObject>(object: T): Promise<T> {
    this.journal.push(`mergePatch ${object.kind}/${object.metadata?.name}`);
    return object;
  }
  async list<T extends KubernetesObject>(): Promise<T[]> {
    return [];
  }
  async applyAll<T extends KubernetesObject>(objects: readonly T[], options?: { owner?: KubernetesObject }): Promise<T[]> {
    return Promise.all(objects.map((object) => this.apply(object, options)));
  }
  async read<T extends KubernetesObject>(): Promise<T | undefined> {
    return undefined;
  }
  async delete(): Promise<void> {
    this.journal.push("delete");
  }
  async addFinalizer<T extends KubernetesObject>(object: T, finalizer: string): Promise<T> {
    this.journal.push(`addFinalizer ${finalizer}`);
    const updated = structuredClone(object);
    updated.metadata = { ...updated.metadata, finalizers: [...(updated.metadata?.finalizers ?? []), finalizer], resourceVersion: "2" };
    return updated;
  }
  async removeFinalizer(_object: KubernetesObject, finalizer: string): Promise<void> {
    this.journal.push(`removeFinalizer ${finalizer}`);
  }
  async patchStatus(_object: KubernetesObject, status: Record<string, unknown>): Promise<void> {
    this.journal.push("patchStatus");
    this.statuses.push(status);
  }
}

class GadgetReconciler extends ResourceReconciler<Gadget> {
  readonly resourceType: ResourceType = { group: "example.test", version: "v1", plural: "gadgets", kind: "Gadget", namespaced: true };
  readonly finalizer = "example.test/cleanup";
  createResult: HookResult<GadgetStatus> = done("created fresh");
  finalizeResult: HookResult<GadgetStatus> = done("cleaned up");
  changeResult: HookResult<GadgetStatus> = done();
  hookCalls: string[] = [];

  desired(resource: Gadget): KubernetesObject[] {
    return [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${resource.metadata.name}-config` } }];
  }
  async onCreate(): Promise<HookResult<GadgetStatus>> {
    this.hookCalls.push("onCreate");
    return this.createResult;
  }
  async finalize(): Promise<HookResult<GadgetStatus>> {
    this.hookCalls.push("finalize");
    return this.finalizeResult;
  }
  protected override readonly specFields: readonly SpecFieldInfo[] = [];
  protected override changeHooks(): ChangeHooks<Gadget> {
    return {};
  }
  /** Plain values (not canonical JSON) keep the loop's own assertions readable. */
  protected override fingerprint(resource: Gadget): Record<string, string> {
    return { size: resource.spec.size, color: resource.spec.color };
  }
  protected override async dispatchChanges(resource: Gadget, previous: Record<string, string>): Promise<HookResult<GadgetStatus>> {
    const changed = Object.keys(this.fingerprint(resource)).filter((k) => previous[k] !== this.fingerprint(resource)[k]);
    this.hookCalls.push(`dispatch ${changed.join(",")}`);
    return this.changeResult;
  }
}

function gadget(overrides: { status?: GadgetStatus; finalizers?: string[]; deleting?: boolean; generation?: number } = {}): Gadget {
  return {
    apiVersion: "example.test/v1",
    kind: "Gadget",
    metadata: {
      name: "g1",
      namespace: "ns",
      uid: "u1",
      generation: overrides.generation ?? 1,
      resourceVersion: "1",
      finalizers: overrides.finalizers,
      deletionTimestamp: overrides.deleting ? new Date("2026-01-01T00:00:00Z") : undefined,
    },
    spec: { size: "1Gi", color: "red" },
    status: overrides.status,
  };
}

const request = { namespace: "ns", name: "g1" };
const conditionsOf = (status: Record<string, unknown> | undefined): Condition[] => (status?.conditions as Condition[]) ?? [];

test("a missing resource is done without any write", async () => {
  const ctx = new FakeContext(undefined);
  assert.deepEqual(await new GadgetReconciler().reconcile(request, ctx), {});
  assert.deepEqual(ctx.journal, []);
});

test("first reconcile: finalizer, children with owner, onCreate, status Ready with appliedSpec and the hook's facts", async () => {
  const ctx = new FakeContext(gadget());
  const r = new GadgetReconciler();
  r.createResult = done("created with restore", { restoredFrom: "backup-1" });
  assert.deepEqual(await r.reconcile(request, ctx), {});
  assert.deepEqual(ctx.journal, ["addFinalizer example.test/cleanup", "apply ConfigMap/g1-config owner=g1", "patchStatus"]);
  assert.deepEqual(r.hookCalls, ["onCreate"]);
  const status = ctx.statuses[0];
  assert.equal(status?.observedGeneration, 1);
  assert.equal(status?.message, "created with restore");
  assert.equal(status?.restoredFrom, "backup-1");
  assert.deepEqual(status?.appliedSpec, { size: "1Gi", color: "red" });
  assert.equal(findCondition(conditionsOf(status), "Ready")?.status, "True");
  assert.equal(findCondition(conditionsOf(status), "Progressing")?.status, "False");
  assert.equal(findCondition(conditionsOf(status), "Degraded")?.status, "False");
  assert.deepEqual(ctx.eventLog, ["Normal Created: created with restore"]);
});

test("a waiting onCreate requeues, writes Progressing, and does not record appliedSpec", async () => {
  const ctx = new FakeContext(gadget({ finalizers: ["example.test/cleanup"] }));
  const r = new GadgetReconciler();
  r.createResult = waitFor(5000, "RestoreRunning", "waiting for the restore job");
  assert.deepEqual(await r.reconcile(request, ctx), { requeueAfterMs: 5000 });
  const status = ctx.statuses[0];
  assert.equal(status?.appliedSpec, undefined);
  assert.equal(findCondition(conditionsOf(status), "Progressing")?.status, "True");
  assert.equal(findCondition(conditionsOf(status), "Ready")?.reason, "RestoreRunning");
  assert.ok(!ctx.journal.includes("addFinalizer example.test/cleanup"), "finalizer was already there");
});

test("a failed hook sets Degraded, warns, and throws so the queue backs off", async () => {
  const ctx = new FakeContext(gadget({ finalizers: ["example.test/cleanup"] }));
  const r = new GadgetReconciler();
  r.createResult = failed("RestoreFailed", "dump unreadable");
  await assert.rejects(r.reconcile(request, ctx), ReconcileFailedError);
  const status = ctx.statuses[0];
  assert.equal(findCondition(conditionsOf(status), "Degraded")?.status, "True");
  assert.equal(findCondition(conditionsOf(status), "Degraded")?.reason, "RestoreFailed");
  assert.equal(status?.appliedSpec, undefined);
  assert.deepEqual(ctx.eventLog, ["Warning RestoreFailed: dump unreadable"]);
});

test("an apply error is recorded as Degraded/ApplyFailed and propagates", async () => {
  const ctx = new FakeContext(gadget({ finalizers: ["example.test/cleanup"] }));
  ctx.failApply = true;
  const r = new GadgetReconciler();
  await assert.rejects(r.reconcile(request, ctx), /boom/);
  assert.equal(findCondition(conditionsOf(ctx.statuses[0]), "Degraded")?.reason, "ApplyFailed");
  assert.deepEqual(r.hookCalls, [], "hooks do not run when the children could not be applied");
});

test("an object it may not adopt fails the reconcile with the refusal's reason, in status and in one Warning Event, before any hook", async () => {
  const ctx = new FakeContext(gadget({ finalizers: ["example.test/cleanup"] }));
  const reference = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "g1-config", namespace: "ns" } };
  ctx.applyError = new NotManagedError("ConfigMap ns/g1-config", reference, "gadget-operator");
  const r = new GadgetReconciler();
  await assert.rejects(r.reconcile(request, ctx), (error: unknown) => error instanceof ReconcileFailedError && error.reason === "AdoptionRefused");
  const degraded = findCondition(conditionsOf(ctx.statuses[0]), "Degraded");
  assert.equal(degraded?.status, "True");
  assert.equal(degraded?.reason, "AdoptionRefused");
  assert.match(degraded?.message ?? "", /^ConfigMap ns\/g1-config exists and was not made by gadget-operator/);
  assert.deepEqual(ctx.eventLog, [`Warning AdoptionRefused: ${ctx.applyError.message}`]);
  assert.deepEqual(r.hookCalls, [], "hooks do not run when a child was refused");
});

test("a child still controlled by the deleted resource of the same name (re-created at once): a wait for the garbage collector, not a failure", async () => {
  const ctx = new FakeContext(gadget({ finalizers: ["example.test/cleanup"] }));
  const reference = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "g1-config", namespace: "ns" } };
  const previous = { apiVersion: "example.test/v1", kind: "Gadget", name: "g1", uid: "u0", controller: true };
  ctx.applyError = new AlreadyOwnedError("ConfigMap ns/g1-config", reference, previous, {
    apiVersion: "example.test/v1",
    kind: "Gadget",
    name: "g1",
    uid: "u1",
  });
  const r = new GadgetReconciler();
  const result = await r.reconcile(request, ctx);
  assert.ok((result.requeueAfterMs ?? 0) > 0, `requeued, got ${JSON.stringify(result)}`);
  const conditions = conditionsOf(ctx.statuses[0]);
  assert.equal(findCondition(conditions, "Degraded")?.status, "False");
  assert.equal(findCondition(conditions, "Progressing")?.status, "True");
  assert.equal(findCondition(conditions, "Progressing")?.reason, "WaitingForGarbageCollector");
  assert.match(
    findCondition(conditions, "Progressing")?.message ?? "",
    /waiting for the garbage collector to remove ConfigMap ns\/g1-config left by the previous Gadget g1 \(uid u0\)/,
  );
  assert.deepEqual(ctx.eventLog, [], "no Warning (a new resource's first wait is only in status)");
  assert.deepEqual(r.hookCalls, [], "hooks wait for the children");
});

test("the wait for the garbage collector names a finalizer of its own that holds the old child (nothing may be left to remove it)", () => {
  const reference = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "g1-pvc", namespace: "ns" } };
  const previous = { apiVersion: "example.test/v1", kind: "Gadget", name: "g1", uid: "u0", controller: true };
  const owner = { apiVersion: "example.test/v1", kind: "Gadget", name: "g1", uid: "u1" };
  const held = new AlreadyOwnedError("PersistentVolumeClaim ns/g1-pvc", reference, previous, owner, ["kubernetes.io/pvc-protection", "example.test/backup"]);
  assert.ok(held.previousOwner);
  assert.match(held.message, /held by the finalizer example\.test\/backup: .*remove it from PersistentVolumeClaim ns\/g1-pvc by hand/);
  assert.doesNotMatch(held.message, /pvc-protection/, "the API server's protection goes by itself");
  const plain = new AlreadyOwnedError("PersistentVolumeClaim ns/g1-pvc", reference, previous, owner, ["kubernetes.io/pvc-protection"]);
  assert.doesNotMatch(plain.message, /held by/);
});

test("a child controlled by another live resource (another name) stays a refusal: Degraded AlreadyOwned and a Warning", async () => {
  const ctx = new FakeContext(gadget({ finalizers: ["example.test/cleanup"] }));
  const reference = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "g1-config", namespace: "ns" } };
  const other = { apiVersion: "example.test/v1", kind: "Gadget", name: "g2", uid: "u2", controller: true };
  ctx.applyError = new AlreadyOwnedError("ConfigMap ns/g1-config", reference, other, { apiVersion: "example.test/v1", kind: "Gadget", name: "g1", uid: "u1" });
  const r = new GadgetReconciler();
  await assert.rejects(r.reconcile(request, ctx), (error: unknown) => error instanceof ReconcileFailedError && error.reason === "AlreadyOwned");
  assert.equal(findCondition(conditionsOf(ctx.statuses[0]), "Degraded")?.reason, "AlreadyOwned");
  assert.deepEqual(ctx.eventLog, [`Warning AlreadyOwned: ${ctx.applyError.message}`]);
});

test("a refusal inside a hook (the finalizer's backup record, say) is reported the same way", async () => {
  const ctx = new FakeContext(gadget({ finalizers: ["example.test/cleanup"], deleting: true }));
  const reference = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "g1-record", namespace: "ns" } };
  const refusal = new NotManagedError("ConfigMap ns/g1-record", reference, "gadget-operator");
  const r = new GadgetReconciler();
  r.finalize = async () => {
    r.hookCalls.push("finalize");
    throw refusal;
  };
  await assert.rejects(r.reconcile(request, ctx), ReconcileFailedError);
  assert.equal(findCondition(conditionsOf(ctx.statuses[0]), "Degraded")?.reason, "AdoptionRefused");
  assert.deepEqual(ctx.eventLog, [`Warning AdoptionRefused: ${refusal.message}`]);
  assert.ok(!ctx.journal.includes("removeFinalizer example.test/cleanup"), "deletion stays held");
});

const reconciledStatus = (ts: string): GadgetStatus => ({
  observedGeneration: 1,
  message: "created fresh",
  appliedSpec: { size: "1Gi", color: "red" },
  conditions: [
    { type: "Ready", status: "True", reason: "Reconciled", message: "created fresh", lastTransitionTime: ts, observedGeneration: 1 },
    { type: "Progressing", status: "False", reason: "Reconciled", message: "", lastTransitionTime: ts, observedGeneration: 1 },
    { type: "Degraded", status: "False", reason: "AsExpected", message: "", lastTransitionTime: ts, observedGeneration: 1 },
  ],
});

test("an unchanged, reconciled resource: dispatch with no changes, no status write, no event", async () => {
  const ctx = new FakeContext(gadget({ finalizers: ["example.test/cleanup"], status: reconciledStatus("2026-01-01T00:00:00Z") }));
  const r = new GadgetReconciler();
  assert.deepEqual(await r.reconcile(request, ctx), {});
  assert.deepEqual(r.hookCalls, ["dispatch "]);
  assert.deepEqual(ctx.journal, ["apply ConfigMap/g1-config owner=g1"]);
  assert.deepEqual(ctx.eventLog, []);
});

test("a changed field: its hook runs; appliedSpec updated only when it is done; lastTransitionTime kept", async () => {
  const resource = gadget({ finalizers: ["example.test/cleanup"], status: reconciledStatus("2026-01-01T00:00:00Z"), generation: 2 });
  resource.spec.color = "blue";
  const ctx = new FakeContext(resource);
  const r = new GadgetReconciler();
  r.changeResult = waitFor(1000, "Repainting", "repainting");
  await r.reconcile(request, ctx);
  assert.deepEqual(r.hookCalls, ["dispatch color"]);
  assert.equal(ctx.statuses[0]?.appliedSpec, undefined, "not done yet: appliedSpec untouched");
  r.changeResult = done();
  await r.reconcile(request, ctx);
  const status = ctx.statuses[1];
  assert.deepEqual(status?.appliedSpec, { size: "1Gi", color: "blue" });
  assert.equal(status?.observedGeneration, 2);
  assert.equal(status?.message, undefined, "a done hook without a message keeps the existing message");
  const readyCondition = findCondition(conditionsOf(status), "Ready");
  assert.equal(readyCondition?.lastTransitionTime, "2026-01-01T00:00:00Z", "Ready stayed True: time kept");
  assert.equal(readyCondition?.observedGeneration, 2);
  assert.deepEqual(ctx.eventLog.at(-1), "Normal Updated: applied changes to color");
});

test("a removed spec field is nulled in appliedSpec", async () => {
  const status = reconciledStatus("2026-01-01T00:00:00Z");
  status.appliedSpec = { size: "1Gi", color: "red", legacy: "x" };
  const ctx = new FakeContext(gadget({ finalizers: ["example.test/cleanup"], status }));
  await new GadgetReconciler().reconcile(request, ctx);
  assert.deepEqual(ctx.statuses[0]?.appliedSpec, { size: "1Gi", color: "red", legacy: null });
});

test("deletion: finalize until done, then remove the finalizer; no children applied", async () => {
  const ctx = new FakeContext(gadget({ finalizers: ["example.test/cleanup"], deleting: true, status: reconciledStatus("2026-01-01T00:00:00Z") }));
  const r = new GadgetReconciler();
  r.finalizeResult = waitFor(2000, "BackupRunning", "waiting for the backup job");
  assert.deepEqual(await r.reconcile(request, ctx), { requeueAfterMs: 2000 });
  assert.deepEqual(ctx.journal, ["patchStatus"]);
  assert.equal(findCondition(conditionsOf(ctx.statuses[0]), "Ready")?.reason, "BackupRunning");
  r.finalizeResult = failed("BackupFailed", "disk full");
  await assert.rejects(r.reconcile(request, ctx), ReconcileFailedError);
  assert.ok(!ctx.journal.some((j) => j.startsWith("removeFinalizer")), "a failed finalize keeps the finalizer");
  r.finalizeResult = done("backed up");
  assert.deepEqual(await r.reconcile(request, ctx), {});
  assert.equal(ctx.journal.at(-1), "removeFinalizer example.test/cleanup");
  assert.deepEqual(r.hookCalls, ["finalize", "finalize", "finalize"]);
  assert.ok(!ctx.journal.some((j) => j.startsWith("apply")));
});

test("deletion: while the finalizer is held, status carries finalize's facts, conditions, message and observedGeneration", async () => {
  const ctx = new FakeContext(
    gadget({ finalizers: ["example.test/cleanup"], deleting: true, status: reconciledStatus("2026-01-01T00:00:00Z"), generation: 3 }),
  );
  const r = new GadgetReconciler();
  r.finalizeResult = waitFor(2000, "CleanupRunning", "cleanup-g1 runs", { cleanup: { job: "cleanup-g1", progress: "started" } });
  assert.deepEqual(await r.reconcile(request, ctx), { requeueAfterMs: 2000 });
  const waiting = ctx.statuses[0];
  assert.deepEqual(waiting?.cleanup, { job: "cleanup-g1", progress: "started" });
  assert.equal(waiting?.message, "cleanup-g1 runs");
  assert.equal(waiting?.observedGeneration, 3);
  assert.equal(waiting?.appliedSpec, undefined, "deletion never records appliedSpec");
  assert.deepEqual(
    conditionsOf(waiting).map((c) => [c.type, c.status, c.reason, c.message]),
    [
      ["Ready", "False", "CleanupRunning", "cleanup-g1 runs"],
      ["Progressing", "True", "CleanupRunning", "cleanup-g1 runs"],
      ["Degraded", "False", "AsExpected", ""],
    ],
  );
  assert.deepEqual(ctx.eventLog, ["Normal CleanupRunning: cleanup-g1 runs"]);

  ctx.object = { ...structuredClone(ctx.object!), status: { ...ctx.object!.status, ...(waiting as GadgetStatus) } };
  r.finalizeResult = failed("CleanupFailed", "cleanup-g1 failed: disk full", { cleanup: { job: "cleanup-g1", failure: "disk full" } });
  await assert.rejects(r.reconcile(request, ctx), ReconcileFailedError);
  const failing = ctx.statuses[1];
  assert.deepEqual(failing?.cleanup, { job: "cleanup-g1", failure: "disk full" });
  assert.equal(failing?.message, "cleanup-g1 failed: disk full");
  assert.equal(findCondition(conditionsOf(failing), "Degraded")?.status, "True");
  assert.equal(findCondition(conditionsOf(failing), "Degraded")?.reason, "CleanupFailed");
  assert.equal(findCondition(conditionsOf(failing), "Progressing")?.status, "False");
  assert.equal(ctx.eventLog.at(-1), "Warning CleanupFailed: cleanup-g1 failed: disk full");
  assert.ok(!ctx.journal.some((j) => j.startsWith("removeFinalizer")), "the finalizer is still held");
});

test("deletion held, but the resource is gone by the status write (finalizer removed by hand): done, no retry", async () => {
  for (const result of [waitFor<GadgetStatus>(2000, "CleanupRunning", "cleanup-g1 runs"), failed<GadgetStatus>("CleanupFailed", "disk full")]) {
    const ctx = new FakeContext(gadget({ finalizers: ["example.test/cleanup"], deleting: true, status: reconciledStatus("2026-01-01T00:00:00Z") }));
    ctx.patchStatus = async () => {
      throw new KubeApiError(404, 'gadgets.example.test "g1" not found', { reason: "NotFound" });
    };
    const r = new GadgetReconciler();
    r.finalizeResult = result;
    assert.deepEqual(await r.reconcile(request, ctx), {}, result.kind);
    assert.deepEqual(ctx.eventLog, [], "nothing to announce on an object that is gone");
  }
});

test("deletion held: any other failure of the status write propagates (retried with back-off)", async () => {
  const ctx = new FakeContext(gadget({ finalizers: ["example.test/cleanup"], deleting: true, status: reconciledStatus("2026-01-01T00:00:00Z") }));
  ctx.patchStatus = async () => {
    throw new KubeApiError(500, "etcdserver: request timed out", {});
  };
  const r = new GadgetReconciler();
  r.finalizeResult = waitFor(2000, "CleanupRunning", "cleanup-g1 runs");
  await assert.rejects(r.reconcile(request, ctx), /timed out/);
});

test("deletion done: the finalizer goes, no status write (the object is going away), even when it is already gone", async () => {
  const ctx = new FakeContext(gadget({ finalizers: ["example.test/cleanup"], deleting: true, status: reconciledStatus("2026-01-01T00:00:00Z") }));
  ctx.patchStatus = async () => {
    throw new KubeApiError(404, 'gadgets.example.test "g1" not found', { reason: "NotFound" });
  };
  const r = new GadgetReconciler();
  r.finalizeResult = done("cleaned up", { cleanup: { job: "cleanup-g1", progress: "finished" } });
  assert.deepEqual(await r.reconcile(request, ctx), {});
  assert.deepEqual(ctx.journal, ["removeFinalizer example.test/cleanup"]);
  assert.deepEqual(ctx.eventLog, ["Normal Finalized: cleaned up"]);
});

test("deletion done, then a reconcile on the cache's copy from before the finalizer went (its update not in yet): nothing runs, nothing is written", async () => {
  const ctx = new FakeContext(gadget({ finalizers: ["example.test/cleanup"], deleting: true, status: reconciledStatus("2026-01-01T00:00:00Z") }));
  const r = new GadgetReconciler();
  r.finalizeResult = done("cleaned up");
  assert.deepEqual(await r.reconcile(request, ctx), {});
  // A child's event woke the resource again while the cache still shows the version the finalizer was removed from.
  assert.deepEqual(await r.reconcile(request, ctx), {});
  assert.deepEqual(r.hookCalls, ["finalize"], "finalize would put back what it released (a finalizer on a child) with no one left to take it off");
  assert.deepEqual(ctx.journal, ["removeFinalizer example.test/cleanup"]);
  // Another version of the object (the finalizer put back by someone, say) is finalized again.
  ctx.object = { ...ctx.object!, metadata: { ...ctx.object!.metadata, resourceVersion: "2" } };
  assert.deepEqual(await r.reconcile(request, ctx), {});
  assert.deepEqual(r.hookCalls, ["finalize", "finalize"]);
});

test("deletion without our finalizer does nothing", async () => {
  const ctx = new FakeContext(gadget({ finalizers: ["someone.else/x"], deleting: true }));
  const r = new GadgetReconciler();
  assert.deepEqual(await r.reconcile(request, ctx), {});
  assert.deepEqual(ctx.journal, []);
  assert.deepEqual(r.hookCalls, []);
});

test("a failed status write announces nothing: the Created event follows a successful write", async () => {
  const ctx = new FakeContext(gadget({ finalizers: ["example.test/cleanup"] }));
  ctx.patchStatus = async () => {
    throw new Error("API server unavailable");
  };
  await assert.rejects(new GadgetReconciler().reconcile(request, ctx), /unavailable/);
  assert.deepEqual(ctx.eventLog, []);
});

test("one Event per transition: a new resource's first wait only in status, the same wait with a new message none, a new phase one, the same failure again none", async () => {
  const r = new GadgetReconciler();
  const ctx = new FakeContext(gadget({ finalizers: ["example.test/cleanup"] }));
  // Each reconcile sees the status the one before wrote, as the cache would.
  const step = async (result: HookResult<GadgetStatus>): Promise<void> => {
    r.createResult = result;
    const written = ctx.statuses.length;
    await r.reconcile(request, ctx).catch((error: unknown) => assert.ok(error instanceof ReconcileFailedError));
    const status = ctx.statuses[written];
    if (status !== undefined) ctx.object = { ...ctx.object!, status: { ...ctx.object!.status, ...(status as GadgetStatus) } };
  };
  await step(waitFor(5000, "Starting", "waiting for the server (0 of 1 up)"));
  await step(waitFor(5000, "Starting", "waiting for the server (still 0 of 1 up)"));
  assert.deepEqual(ctx.eventLog, [], "a new resource starting is a state, shown in status; its Created Event announces the end");
  await step(waitFor(5000, "Restoring", "restore-g1 runs"));
  await step(waitFor(5000, "Restoring", "restore-g1 runs, 40 %"));
  await step(failed("RestoreFailed", "restore-g1 failed"));
  await step(failed("RestoreFailed", "restore-g1 failed"));
  await step(done("g1 created with restore"));
  assert.deepEqual(ctx.eventLog, ["Normal Restoring: restore-g1 runs", "Warning RestoreFailed: restore-g1 failed", "Normal Created: g1 created with restore"]);
});

/** A Gadget whose schema refuses a spec without `color`. */
class StrictGadgetReconciler extends GadgetReconciler {
  protected override specProblems(resource: Gadget): string[] {
    return resource.spec?.color === undefined ? ['spec: missing required field "color"'] : [];
  }
}

function colorless(overrides: Parameters<typeof gadget>[0] = {}): Gadget {
  const g = gadget(overrides);
  return { ...g, spec: { size: "1Gi" } as Gadget["spec"] };
}

test("a spec the schema refuses gets no finalizer, no children and no hook: Degraded InvalidSpec and a warning, no retry", async () => {
  const ctx = new FakeContext(colorless());
  const r = new StrictGadgetReconciler();
  assert.deepEqual(await r.reconcile(request, ctx), {});
  assert.deepEqual(ctx.journal, ["patchStatus"], "no finalizer, no apply");
  assert.deepEqual(r.hookCalls, []);
  const degraded = findCondition(conditionsOf(ctx.statuses[0]), "Degraded");
  assert.equal(degraded?.reason, "InvalidSpec");
  assert.match(degraded?.message ?? "", /missing required field "color"/);
  assert.match(ctx.eventLog[0] ?? "", /^Warning InvalidSpec: the spec is refused by the schema \(spec: missing required field "color"\)/);
});

test("the schema's verdict is computed once per uid and generation: a reconcile woken by a child does not validate the same spec again", async () => {
  let validated = 0;
  class CountingGadgetReconciler extends StrictGadgetReconciler {
    protected override specProblems(resource: Gadget): string[] {
      validated++;
      return super.specProblems(resource);
    }
  }
  const r = new CountingGadgetReconciler();
  for (let i = 0; i < 3; i++) await r.reconcile(request, new FakeContext(colorless()));
  assert.equal(validated, 1, "generation 1, three reconciles");
  const ctx = new FakeContext({ ...gadget({ generation: 2 }) });
  await r.reconcile(request, ctx);
  assert.equal(validated, 2, "a new generation is validated");
  assert.ok(
    ctx.journal.some((entry) => entry.startsWith("addFinalizer")),
    `the fixed spec is reconciled: ${ctx.journal.join(", ")}`,
  );
});

test("a refused status write for a refused spec still warns and lets the object be (nothing to retry)", async () => {
  const ctx = new FakeContext(colorless());
  ctx.patchStatus = async () => {
    throw new KubeApiError(422, "status is invalid", { reason: "Invalid" });
  };
  assert.deepEqual(await new StrictGadgetReconciler().reconcile(request, ctx), {});
  assert.equal(ctx.eventLog.length, 1);
});

test("deleting a never-reconciled resource with a refused spec that holds the finalizer: the finalizer goes without finalize", async () => {
  const ctx = new FakeContext(colorless({ finalizers: ["example.test/cleanup"], deleting: true }));
  const r = new StrictGadgetReconciler();
  assert.deepEqual(await r.reconcile(request, ctx), {});
  assert.deepEqual(ctx.journal, ["removeFinalizer example.test/cleanup"]);
  assert.deepEqual(r.hookCalls, [], "finalize never sees a spec it cannot read");
  assert.match(ctx.eventLog[0] ?? "", /^Warning InvalidSpec: finalizer removed without finalizing/);
});

test("deleting a reconciled resource whose spec is now refused: deletion is held (finalize could not run), status says how to go on", async () => {
  const ctx = new FakeContext(colorless({ finalizers: ["example.test/cleanup"], deleting: true, status: reconciledStatus("2026-01-01T00:00:00Z") }));
  const r = new StrictGadgetReconciler();
  await assert.rejects(r.reconcile(request, ctx), ReconcileFailedError);
  assert.ok(!ctx.journal.includes("removeFinalizer example.test/cleanup"));
  assert.deepEqual(r.hookCalls, []);
  assert.match(findCondition(conditionsOf(ctx.statuses[0]), "Degraded")?.message ?? "", /fix the spec, or remove the finalizer by hand/);
});

test("the children are built once per uid and resourceVersion: a reconcile woken by a child applies the very objects built before", async () => {
  let built = 0;
  const given: KubernetesObject[][] = [];
  class CountingGadgetReconciler extends GadgetReconciler {
    override desired(resource: Gadget): KubernetesObject[] {
      built++;
      return super.desired(resource);
    }
  }
  const r = new CountingGadgetReconciler();
  const reconciled = (resourceVersion: string): Gadget => {
    const g = gadget({ finalizers: ["example.test/cleanup"], status: { appliedSpec: { size: "1Gi", color: "red" } } });
    return { ...g, metadata: { ...g.metadata, resourceVersion } };
  };
  for (let i = 0; i < 3; i++) {
    const ctx = new FakeContext(reconciled("5"));
    const applyAll = ctx.applyAll.bind(ctx);
    ctx.applyAll = (objects, options) => {
      given.push([...objects]);
      return applyAll(objects, options);
    };
    await r.reconcile(request, ctx);
  }
  assert.equal(built, 1, "resourceVersion 5, three reconciles");
  assert.ok(given[1]?.[0] !== undefined && given[1][0] === given[0]?.[0], "the same object: the writer's hash of it is not computed again");
  await r.reconcile(request, new FakeContext(reconciled("6")));
  assert.equal(built, 2, "a new resourceVersion is built again");
});
