// Nothing of a pod outlives the process node: its processes die with the node agent however it dies (the kernel's
// parent-death signal), and the agent goes when the process that started it is SIGKILLed.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { pidRecordDir, reapLeftovers } from "../../../src/envtest/index.ts";
import type { PidRecord } from "../../../src/envtest/pid-records.ts";
import { isProcessAlive, isSameProcess, processStartTime } from "../../../src/envtest/process-identity.ts";
import { eventually } from "../../helpers/eventually.ts";
import { pidNamespaceOf, processesInNamespace, processNodeSkip, stillRunning, type ProcessRef } from "../../helpers/process-node.ts";

const HOLDER = join(import.meta.dirname, "fixtures", "hold-process-node.ts");

interface Held {
  pid: number;
  podProcesses: ProcessRef[];
  agentPid: number;
  /** The holder's pid record, as it was while its pod ran, and where it lies. */
  record: PidRecord;
  recordPath: string;
  kill: () => void;
}

/** Runs hold-process-node.ts and waits until its pod runs. */
async function hold(): Promise<Held> {
  const child = spawn(process.execPath, [HOLDER], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const deadline = Date.now() + 120_000;
  while (!stdout.includes("\n")) {
    if (child.exitCode !== null || child.signalCode !== null) assert.fail(`holder exited early: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      assert.fail(`holder's pod did not run within 120 s: ${stderr}`);
    }
    await sleep(100);
  }
  const line = JSON.parse(stdout.split("\n")[0] ?? "") as { pid: number; logDir: string; podPid: number };
  const recordFile = readdirSync(pidRecordDir()).find((f) => {
    if (!f.startsWith(`${line.pid}-`) || !f.endsWith(".json")) return false;
    return (JSON.parse(readFileSync(join(pidRecordDir(), f), "utf8")) as PidRecord).tempDir === dirname(line.logDir);
  });
  assert.ok(recordFile, "the holder's pid record");
  const record = JSON.parse(readFileSync(join(pidRecordDir(), recordFile), "utf8")) as PidRecord;
  const agent = record.processes.find((p) => p.name === "process-node");
  assert.ok(agent, "the node agent is a recorded component");
  const podNamespace = pidNamespaceOf(line.podPid);
  assert.ok(podNamespace !== undefined, "the pod runs");
  const podProcesses = processesInNamespace(podNamespace).map((pid) => ({ pid, startTime: processStartTime(pid) }));
  assert.ok(podProcesses.length >= 3, "sandbox PID 1, sh and its sleeps");
  return { pid: line.pid, podProcesses, agentPid: agent.pid, record, recordPath: join(pidRecordDir(), recordFile), kill: () => child.kill("SIGKILL") };
}

describe("process node reaping", { skip: processNodeSkip(), timeout: 300_000 }, () => {
  test("the harness SIGKILLed: the agent notices, stops its pods and goes; the next start reaps the rest", async () => {
    const held = await hold();
    held.kill();
    await eventually("the pod's processes gone", async () => stillRunning(held.podProcesses).length === 0, 30_000);
    await eventually("the agent gone", async () => !isProcessAlive(held.agentPid), 30_000);
    const report = await reapLeftovers();
    // The pid-record directory is the user's: a control plane that another test run (a second CI clone) starts meanwhile
    // reaps first, with the same code. What counts is that the rest is gone, whoever's start took it.
    assert.ok(
      held.record.processes.some((p) => p.name.startsWith("etcd")),
      "the holder's record names its etcd",
    );
    assert.deepEqual(
      held.record.processes.filter((p) => isSameProcess(p.pid, p)).map((p) => `${p.name} (pid ${p.pid})`),
      [],
      `the reaper took the rest: ${JSON.stringify(report)}`,
    );
    assert.equal(existsSync(held.recordPath), false, "and removed the record");
  });

  test("the agent SIGKILLed: the kernel kills every process of its pods at once", async () => {
    const held = await hold();
    try {
      process.kill(held.agentPid, "SIGKILL");
      await eventually("the pod's processes gone", async () => stillRunning(held.podProcesses).length === 0, 10_000);
    } finally {
      held.kill();
      await eventually("holder gone", async () => !isProcessAlive(held.pid), 10_000);
      await reapLeftovers();
    }
  });
});
