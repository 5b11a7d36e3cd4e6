/**
 * The fixture controller as real child processes (under a ServiceAccount with only the RBAC the
 * runtime needs) against a real control plane: SIGKILL during a burst, two replicas with
 * leader election, takeover after a kill and after a graceful stop, and step-down when the
 * lease cannot be renewed.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { CoordinationV1Api } from "@kubernetes/client-node";
import { startControlPlane, type ControlPlane } from "../../../src/envtest/index.ts";
import { KubeRest, LeaderElector } from "../../../src/runtime/index.ts";
import { condition, eventually, metricValue, WidgetClient, widgetControllerPath, widgetCrdPath } from "./helpers.ts";
import { orUndefined } from "../../helpers/not-found.ts";

const leaseNamespace = "widget-system";
const leaseName = "widget-fixture-leader";
const timings = { leaseDurationMs: 6000, renewDeadlineMs: 4000, retryPeriodMs: 1000 };
const writeLimit = { qps: 25, burst: 10 };

/** Exactly the permissions the runtime and the fixture reconciler use. */
const rbac = [
  { apiVersion: "v1", kind: "Namespace", metadata: { name: leaseNamespace } },
  { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "widget-controller", namespace: leaseNamespace } },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: "widget-controller" },
    rules: [
      { apiGroups: ["fixtures.runtime.test"], resources: ["widgets"], verbs: ["get", "list", "watch", "patch"] },
      { apiGroups: ["fixtures.runtime.test"], resources: ["widgets/status"], verbs: ["patch"] },
      { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch", "create", "patch", "delete"] },
      { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
    ],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: "widget-controller" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "widget-controller" },
    subjects: [{ kind: "ServiceAccount", name: "widget-controller", namespace: leaseNamespace }],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "widget-leader-election", namespace: leaseNamespace },
    rules: [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] }],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "widget-leader-election", namespace: leaseNamespace },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "widget-leader-election" },
    subjects: [{ kind: "ServiceAccount", name: "widget-controller", namespace: leaseNamespace }],
  },
];

interface ControllerProcess {
  readonly identity: string;
  readonly child: ChildProcess;
  readonly probePort: number;
  readonly logs: Record<string, unknown>[];
  readonly exited: Promise<number | null>;
  metrics(): Promise<string>;
}

describe("integration: the fixture controller as processes", { timeout: 300_000 }, () => {
  let plane: ControlPlane;
  let kubeconfigPath: string;
  const processes: ControllerProcess[] = [];

  async function startController(identity: string): Promise<ControllerProcess> {
    const child = spawn(process.execPath, [widgetControllerPath], {
      env: {
        ...process.env,
        WIDGET_KUBECONFIG: kubeconfigPath,
        WIDGET_IDENTITY: identity,
        WIDGET_LEASE_NAMESPACE: leaseNamespace,
        WIDGET_LEASE_DURATION_MS: String(timings.leaseDurationMs),
        WIDGET_RENEW_DEADLINE_MS: String(timings.renewDeadlineMs),
        WIDGET_RETRY_PERIOD_MS: String(timings.retryPeriodMs),
        WIDGET_CONCURRENCY: "4",
        WIDGET_EXIT_WITH_PARENT: "1",
        WIDGET_WRITE_QPS: String(writeLimit.qps),
        WIDGET_WRITE_BURST: String(writeLimit.burst),
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const logs: Record<string, unknown>[] = [];
    createInterface(child.stderr!).on("line", (line) => {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ raw: line });
      }
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const probePort = await new Promise<number>((resolve, reject) => {
      const lines = createInterface(child.stdout!);
      lines.on("line", (line) => {
        const port = (JSON.parse(line) as { probePort?: number }).probePort;
        if (port !== undefined) resolve(port);
      });
      void exited.then((code) => reject(new Error(`controller ${identity} exited with ${code} before serving probes: ${JSON.stringify(logs.slice(-5))}`)));
    });
    const proc: ControllerProcess = {
      identity,
      child,
      probePort,
      logs,
      exited,
      metrics: async () => (await fetch(`http://127.0.0.1:${probePort}/metrics`)).text(),
    };
    processes.push(proc);
    return proc;
  }

  async function leaseHolder(): Promise<string | undefined> {
    const lease = await orUndefined(plane.kubeConfig.makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: leaseNamespace, name: leaseName }));
    return lease?.spec?.holderIdentity || undefined;
  }

  async function kill(proc: ControllerProcess, signal: NodeJS.Signals): Promise<number | null> {
    proc.child.kill(signal);
    return proc.exited;
  }

  before(async () => {
    plane = await startControlPlane();
    await plane.installCrd(widgetCrdPath);
    await plane.applyManifests(rbac);
    kubeconfigPath = (await plane.serviceAccountKubeConfig({ namespace: leaseNamespace, name: "widget-controller" })).kubeconfigPath;
  });

  after(async () => {
    for (const proc of processes) if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGKILL");
    await Promise.all(processes.map((p) => p.exited));
    await plane?.stop();
  });

  test("SIGKILL during a burst, then a restart: everything converges, nothing is duplicated", async () => {
    const widgets = new WidgetClient(plane.kubeConfig, "burst");
    await widgets.createNamespace();
    const first = await startController("burst-1");
    await eventually("burst-1 leads", async () => (await leaseHolder()) === "burst-1");
    const total = 120;
    const creates: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) creates.push(widgets.create(`w${String(i).padStart(3, "0")}`, { message: `m${i}` }));
    await Promise.all(creates);
    // Kill it mid-way: some widgets done, some half done, most not started.
    await eventually("some progress", async () => (await widgets.configMaps()).length >= 15, 60_000, 20);
    assert.equal(await kill(first, "SIGKILL"), null);
    const doneAtKill = (await widgets.list()).filter((w) => condition(w, "Ready")?.status === "True").length;
    assert.ok(doneAtKill < total, `the kill landed mid-burst (${doneAtKill}/${total} ready)`);

    const second = await startController("burst-2");
    const secondStarted = performance.now();
    const converged = await eventually(
      "all widgets Ready",
      async () => {
        const list = await widgets.list();
        return list.length === total && list.every((w) => condition(w, "Ready")?.status === "True" && w.status?.observedGeneration === w.metadata.generation)
          ? list
          : undefined;
      },
      120_000,
      500,
    );
    const configMaps = await widgets.configMaps();
    assert.equal(configMaps.length, total, "one ConfigMap per widget");
    for (const widget of converged) {
      assert.deepEqual(widget.metadata.finalizers, ["fixtures.runtime.test/finalizer"], `${widget.metadata.name}: one finalizer`);
      const owned = configMaps.filter((cm) => cm.metadata?.ownerReferences?.some((r) => r.uid === widget.metadata.uid));
      assert.equal(owned.length, 1, `${widget.metadata.name}: one child`);
      assert.equal(owned[0]?.metadata?.ownerReferences?.length, 1, `${widget.metadata.name}: one owner reference`);
      assert.equal(owned[0]?.data?.message, widget.spec.message);
    }
    const metrics = await second.metrics();
    const elapsedSeconds = (performance.now() - secondStarted) / 1000;
    assert.ok(metricValue(metrics, "controller_runtime_reconcile_total", { controller: "widget" }) > 0);
    // The write rate limit held: no more writes than the burst plus QPS × time.
    const writes = metricValue(metrics, "rest_client_writes_total");
    assert.ok(writes > 0);
    assert.ok(
      writes <= writeLimit.burst + writeLimit.qps * elapsedSeconds,
      `${writes} writes in ${elapsedSeconds.toFixed(1)} s exceed ${writeLimit.qps}/s + ${writeLimit.burst}`,
    );
    console.log(
      `# restart after SIGKILL: ${total} widgets converged in ${elapsedSeconds.toFixed(1)} s (incl. waiting out the dead leader's lease), ${writes} API writes (limit ${writeLimit.qps}/s, burst ${writeLimit.burst}), ${doneAtKill} were Ready at the kill`,
    );
    assert.equal(await kill(second, "SIGTERM"), 0, "graceful stop exits 0");
  });

  test("two replicas: exactly one reconciles; after a SIGKILL the standby takes over within the lease duration", async () => {
    const widgets = new WidgetClient(plane.kubeConfig, "pair");
    await widgets.createNamespace();
    // The previous test's leader released the lease on SIGTERM.
    const a = await startController("pair-a");
    await eventually("pair-a leads", async () => (await leaseHolder()) === "pair-a");
    const b = await startController("pair-b");
    await eventually("pair-b ready as standby", async () => (await fetch(`http://127.0.0.1:${b.probePort}/readyz`)).status === 200);
    for (let i = 0; i < 5; i++) await widgets.create(`p${i}`, { message: `m${i}` });
    await eventually("pair widgets ready", async () => (await widgets.list()).filter((w) => condition(w, "Ready")?.status === "True").length === 5, 30_000);
    const writers = new Set((await widgets.configMaps()).map((cm) => cm.data?.writer));
    assert.deepEqual([...writers], ["pair-a"], "only the leader applied children");
    const standbyMetrics = await b.metrics();
    assert.equal(metricValue(standbyMetrics, "controller_runtime_reconcile_total"), 0, "the standby reconciled nothing");
    assert.equal(metricValue(standbyMetrics, "leader_election_master_status"), 0);
    assert.equal(metricValue(standbyMetrics, "informer_cache_synced", { kind: "Widget" }), 1, "the standby's cache is warm");
    assert.equal(metricValue(await a.metrics(), "leader_election_master_status"), 1);

    const killedAt = performance.now();
    await kill(a, "SIGKILL");
    await eventually("pair-b leads", async () => (await leaseHolder()) === "pair-b", 20_000, 50);
    const takeoverMs = performance.now() - killedAt;
    assert.ok(takeoverMs <= timings.leaseDurationMs + 2 * timings.retryPeriodMs + 1000, `takeover after a kill took ${Math.round(takeoverMs)} ms`);
    console.log(`# takeover after SIGKILL of the leader: ${Math.round(takeoverMs)} ms (lease ${timings.leaseDurationMs} ms)`);
    await widgets.create("p5", { message: "after takeover" });
    await eventually("p5 reconciled by pair-b", async () => (await widgets.configMap("p5-data"))?.data?.writer === "pair-b", 20_000);
  });

  test("a graceful stop releases the lease: the standby takes over at once", async () => {
    const b = processes.find((p) => p.identity === "pair-b")!;
    const c = await startController("pair-c");
    await eventually("pair-c ready as standby", async () => (await fetch(`http://127.0.0.1:${c.probePort}/readyz`)).status === 200);
    assert.equal(await leaseHolder(), "pair-b");
    const stoppedAt = performance.now();
    const exit = kill(b, "SIGTERM");
    await eventually("pair-c leads", async () => (await leaseHolder()) === "pair-c", 20_000, 50);
    const takeoverMs = performance.now() - stoppedAt;
    assert.equal(await exit, 0);
    assert.ok(
      b.logs.some((l) => l.msg === "released the lease"),
      "pair-b logged the release",
    );
    assert.ok(takeoverMs < timings.leaseDurationMs / 2, `takeover after a graceful stop took ${Math.round(takeoverMs)} ms`);
    console.log(`# takeover after SIGTERM of the leader: ${Math.round(takeoverMs)} ms (lease ${timings.leaseDurationMs} ms)`);
  });

  test("five electors racing for a fresh lease: exactly one wins, and after its release exactly one other", async () => {
    const rest = new KubeRest(plane.kubeConfig);
    const log = { debug() {}, info() {}, warn() {}, error() {} };
    const electors = Array.from(
      { length: 5 },
      (_, i) =>
        new LeaderElector({
          rest,
          log,
          namespace: leaseNamespace,
          name: "race",
          identity: `racer-${i}`,
          leaseDurationMs: 3000,
          renewDeadlineMs: 2000,
          retryPeriodMs: 300,
        }),
    );
    try {
      const first = await Promise.race(electors.map((e) => e.acquire().then(() => e)));
      const holding = first.holdLeadership();
      await sleep(1500); // several retry periods of the others
      assert.deepEqual(
        electors.filter((e) => e.leading).map((e) => e.identity),
        [first.identity],
      );
      await first.stop(true);
      assert.equal(await holding, "stopped");
      const others = electors.filter((e) => e !== first);
      await eventually("another racer leads", async () => others.filter((e) => e.leading).length === 1, 3000, 20);
      await sleep(900);
      assert.equal(others.filter((e) => e.leading).length, 1, "still exactly one");
    } finally {
      await Promise.all(electors.map((e) => e.stop(false)));
      await rest.close();
    }
  });

  test("a leader that cannot renew steps down (and exits) before its lease can expire", async () => {
    const c = processes.find((p) => p.identity === "pair-c")!;
    assert.equal(await leaseHolder(), "pair-c");
    const stoppedAt = performance.now();
    const stoppedAtWall = Date.now();
    let lost: Record<string, unknown> | undefined;
    await plane.stopApiServer();
    try {
      const code = await Promise.race([c.exited, sleep(timings.leaseDurationMs + 4000).then(() => "still running" as const)]);
      const exitMs = performance.now() - stoppedAt;
      assert.equal(code, 1, "exit code 1: leadership lost");
      lost = c.logs.find((l) => String(l.msg).startsWith("leadership lost"));
      assert.ok(lost !== undefined, "it said why");
      console.log(
        `# leader exited ${Math.round(exitMs)} ms after the API server went away (renew deadline ${timings.renewDeadlineMs} ms, lease ${timings.leaseDurationMs} ms)`,
      );
    } finally {
      await plane.startApiServer();
    }
    // Its last renewal the API server stored (renewTime: when that renewal began) is what another replica sees: the lease
    // may be taken leaseDuration after it, and the step-down is due renewDeadline after it. Measured from the stop of the
    // API server instead, a renewal that began while the stop was under way (the SIGTERM takes its time on a loaded machine)
    // would count against the leader.
    assert.ok(lost !== undefined);
    const lease = await plane.kubeConfig.makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: leaseNamespace, name: leaseName });
    assert.equal(lease.spec?.holderIdentity, "pair-c", "nobody renewed or took the lease since");
    const renewTime: unknown = lease.spec?.renewTime;
    const lastRenewal = renewTime instanceof Date ? renewTime.getTime() : Date.parse(String(renewTime));
    assert.ok(Number.isFinite(lastRenewal), `renewTime ${String(renewTime)}`);
    assert.ok(lastRenewal <= Date.parse(String(lost.ts)), "the step-down came after the last renewal");
    const lostAfterMs = Date.parse(String(lost.ts)) - lastRenewal;
    console.log(`# stepped down ${lostAfterMs} ms after its last stored renewal began (${lastRenewal - stoppedAtWall} ms after the API server's stop began)`);
    assert.ok(
      lostAfterMs < timings.leaseDurationMs,
      `stepped down ${lostAfterMs} ms after its last renewal: the lease (${timings.leaseDurationMs} ms) may have gone to another`,
    );
    // The deadline's timer may fire late on a loaded machine: a second of it, still a second before the lease can go.
    assert.ok(
      lostAfterMs <= timings.renewDeadlineMs + 1000,
      `stopped leading ${lostAfterMs} ms after its last renewal began (renew deadline ${timings.renewDeadlineMs} ms, lease ${timings.leaseDurationMs} ms)`,
    );
  });
});
