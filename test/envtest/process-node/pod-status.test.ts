// The pod phase and conditions the process node reports, against the kubelet's own rules (given/want tables).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { podPhase, podStatus, type ContainerRecord, type ContainerState, type PodRecord } from "../../../src/envtest/process-node/pod-status.ts";

const T = "2026-01-01T00:00:00Z";
const running: ContainerState = { kind: "running", startedAt: T };
const waiting: ContainerState = { kind: "waiting", reason: "ContainerCreating" };
const exited = (exitCode: number): Extract<ContainerState, { kind: "terminated" }> => ({
  kind: "terminated",
  exitCode,
  reason: exitCode === 0 ? "Completed" : "Error",
  finishedAt: T,
});

function container(state: ContainerState, extra: Partial<ContainerRecord> = {}): ContainerRecord {
  return { name: "c", image: "busybox", state, restartCount: 0, ready: state.kind === "running", started: state.kind === "running", ...extra };
}

function pod(containers: ContainerRecord[], extra: Partial<PodRecord> = {}): PodRecord {
  return { restartPolicy: "Always", initContainers: [], containers, podIP: "127.1.2.3", hostIP: "127.0.0.1", startTime: T, terminal: false, ...extra };
}

describe("podPhase", () => {
  const cases: [string, PodRecord, string][] = [
    ["not started yet", pod([container(waiting)]), "Pending"],
    ["running", pod([container(running)]), "Running"],
    ["one running, one not started", pod([container(running), container(waiting)]), "Pending"],
    ["Always: exited 0 is restarting", pod([container(exited(0))]), "Running"],
    [
      "Always: in back-off after a crash",
      pod([container({ kind: "waiting", reason: "CrashLoopBackOff" }, { lastTerminated: exited(1), restartCount: 1 })]),
      "Running",
    ],
    ["Never: exited 0", pod([container(exited(0))], { restartPolicy: "Never" }), "Succeeded"],
    ["Never: exited 3", pod([container(exited(3))], { restartPolicy: "Never" }), "Failed"],
    ["Never: one failed, one succeeded", pod([container(exited(0)), container(exited(1))], { restartPolicy: "Never" }), "Failed"],
    ["OnFailure: exited 0", pod([container(exited(0))], { restartPolicy: "OnFailure" }), "Succeeded"],
    ["OnFailure: failed, restarting", pod([container(exited(2))], { restartPolicy: "OnFailure" }), "Running"],
    ["init container running", pod([container(waiting)], { initContainers: [container(running)] }), "Pending"],
    ["init container failed, Never", pod([container(waiting)], { restartPolicy: "Never", initContainers: [container(exited(1))] }), "Failed"],
    ["init container failed, Always: retried", pod([container(waiting)], { initContainers: [container(exited(1))] }), "Pending"],
    ["deleted, Always, stopped by SIGTERM", pod([container(exited(143))], { terminal: true }), "Failed"],
    ["deleted, Always, clean stop", pod([container(exited(0))], { terminal: true }), "Succeeded"],
    ["deleted before it started", pod([container(waiting)], { terminal: true }), "Failed"],
  ];
  for (const [name, given, want] of cases) test(name, () => assert.equal(podPhase(given), want));
});

describe("podStatus", () => {
  test("Ready follows the containers' readiness and keeps its transition time while unchanged", () => {
    const first = podStatus(pod([container(running, { ready: false })]), [], "2026-01-01T00:00:01Z");
    const ready = (s: Record<string, unknown>) =>
      (s["conditions"] as { type: string; status: string; lastTransitionTime: string; reason?: string }[]).find((c) => c.type === "Ready");
    assert.equal(ready(first)?.status, "False");
    assert.equal(ready(first)?.reason, "ContainersNotReady");
    const second = podStatus(pod([container(running, { ready: false })]), first["conditions"] as never, "2026-01-01T00:00:02Z");
    assert.equal(ready(second)?.lastTransitionTime, "2026-01-01T00:00:01Z");
    const third = podStatus(pod([container(running, { ready: true })]), second["conditions"] as never, "2026-01-01T00:00:03Z");
    assert.equal(ready(third)?.status, "True");
    assert.equal(ready(third)?.lastTransitionTime, "2026-01-01T00:00:03Z");
  });

  test("container statuses carry state, last state, restarts and the pod IP", () => {
    const status = podStatus(
      pod([container({ kind: "waiting", reason: "CrashLoopBackOff", message: "back-off 10s" }, { restartCount: 2, lastTerminated: exited(137) })]),
      [],
      T,
    );
    assert.equal(status["podIP"], "127.1.2.3");
    assert.deepEqual(status["podIPs"], [{ ip: "127.1.2.3" }]);
    const [c] = status["containerStatuses"] as Record<string, unknown>[];
    assert.deepEqual(c?.["state"], { waiting: { reason: "CrashLoopBackOff", message: "back-off 10s" } });
    assert.deepEqual(c?.["lastState"], { terminated: { exitCode: 137, reason: "Error", finishedAt: T } });
    assert.equal(c?.["restartCount"], 2);
  });
});
