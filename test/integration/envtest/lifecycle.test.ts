// No leftovers, ever: stop() and every way a process can end (signals, uncaught errors, plain exit, SIGKILL
// followed by the next start) leave no component process, no listening port and no temp dir behind.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiException, CoreV1Api } from "@kubernetes/client-node";
import { ComponentStartError, findBinaries, pidRecordDir, startControlPlane, type ControlPlane } from "../../../src/envtest/index.ts";
import type { PidRecord } from "../../../src/envtest/pid-records.ts";
import { listeningPorts } from "../../../src/envtest/ports.ts";
import { isProcessAlive, isSameProcess } from "../../../src/envtest/process-identity.ts";

const HOLDER = join(import.meta.dirname, "fixtures", "hold-control-plane.ts");

/** The pid records a process left, each with its file name. */
function recordsOf(ownerPid: number): Array<PidRecord & { file: string }> {
  return readdirSync(pidRecordDir())
    .filter((f) => f.startsWith(`${ownerPid}-`) && f.endsWith(".json"))
    .map((f) => ({ ...(JSON.parse(readFileSync(join(pidRecordDir(), f), "utf8")) as PidRecord), file: join(pidRecordDir(), f) }));
}

function recordOfControlPlane(ownerPid: number, logDir: string): PidRecord & { file: string } {
  const record = recordsOf(ownerPid).find((r) => r.tempDir === dirname(logDir));
  assert.ok(record, `a pid record of pid ${ownerPid} for ${dirname(logDir)}`);
  return record;
}

/** Fails unless the control plane of `record` is really running: the checks below could then not pass vacuously. */
async function assertRunning(record: PidRecord): Promise<void> {
  assert.deepEqual(record.processes.map((p) => p.name).sort(), ["etcd", "kube-apiserver"]);
  for (const p of record.processes) assert.ok(isSameProcess(p.pid, p), `${p.name} (pid ${p.pid}) runs`);
  assert.deepEqual(await listeningPorts(record.ports), record.ports, "every port of the control plane listens");
  assert.ok(existsSync(record.tempDir), "the temp dir exists");
}

async function assertNothingLeft(record: PidRecord & { file: string }): Promise<void> {
  for (const p of record.processes) assert.ok(!isProcessAlive(p.pid) || !isSameProcess(p.pid, p), `${p.name} (pid ${p.pid}) is gone`);
  assert.deepEqual(await listeningPorts(record.ports), [], "no port of the control plane listens");
  assert.ok(!existsSync(record.tempDir), `temp dir ${record.tempDir} is removed`);
  assert.ok(!existsSync(record.file), `pid record ${record.file} is removed`);
}

interface Holder {
  pid: number;
  /** Lets an `exit` or `throw` holder go on (it waits so that its pid record can be read first). */
  proceed: () => void;
  record: PidRecord & { file: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Runs hold-control-plane.ts in its own Node process and waits until its control plane is up. */
async function startHolder(mode: "wait" | "exit" | "throw"): Promise<Holder> {
  const child = spawn(process.execPath, [HOLDER, mode], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal, stderr })),
  );
  const deadline = Date.now() + 90_000;
  while (!stdout.includes("\n")) {
    if (child.exitCode !== null || child.signalCode !== null) assert.fail(`holder exited before its control plane was up: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      assert.fail(`holder did not report a control plane within 90 s: ${stderr}`);
    }
    await sleep(50);
  }
  const line = JSON.parse(stdout.split("\n")[0] ?? "") as { pid: number; logDir: string };
  assert.equal(child.pid, line.pid);
  // Record read right away: after exit hooks run it is gone, which is what the tests check.
  return { pid: line.pid, record: recordOfControlPlane(line.pid, line.logDir), exited, proceed: () => child.stdin.end("go\n") };
}

function fakeBinary(dir: string, name: string, script: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Runs `fn` with environment variables set, restoring them afterwards. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe("control-plane lifecycle", { timeout: 300_000 }, () => {
  const started: ControlPlane[] = [];
  after(() => Promise.all(started.map((cp) => cp.stop())));

  test("stop() leaves no process, no listening port and no temp dir; a second stop() is harmless", async () => {
    const cp = await startControlPlane();
    started.push(cp);
    const record = recordOfControlPlane(process.pid, cp.logDir);
    await assertRunning(record);
    await cp.stop();
    await assertNothingLeft(record);
    await cp.stop();
  });

  test("stopApiServer/startApiServer: same port and certificates, etcd keeps the data", async () => {
    const cp = await startControlPlane();
    started.push(cp);
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "survivor" }, data: { kept: "yes" } } });
    const port = Number(new URL(cp.server).port);
    const etcdBefore = recordOfControlPlane(process.pid, cp.logDir).processes.find((p) => p.name === "etcd");

    await cp.stopApiServer();
    assert.deepEqual(await listeningPorts([port]), [], "nothing listens on the API server's port");
    await assert.rejects(
      core.listNamespace(),
      (error: unknown) => !(error instanceof ApiException) && /ECONNREFUSED|fetch failed/i.test(String(error) + String((error as { cause?: unknown }).cause)),
    );

    await cp.startApiServer();
    assert.equal(cp.server, `https://127.0.0.1:${port}`);
    const survivor = await core.readNamespacedConfigMap({ namespace: "default", name: "survivor" });
    assert.equal(survivor.data?.["kept"], "yes");
    const record = recordOfControlPlane(process.pid, cp.logDir);
    assert.deepEqual(
      record.processes.find((p) => p.name === "etcd"),
      etcdBefore,
      "etcd ran on, untouched",
    );
    await cp.stop();
    await assertNothingLeft(record);
  });

  test("after a SIGKILLed owner, the next start reaps its etcd and kube-apiserver", async () => {
    // A cache of its own for the pid records (same binaries): a control plane started meanwhile by another test
    // file would otherwise reap the orphans before this test has seen them.
    const binaries = findBinaries();
    const cache = mkdtempSync(join(tmpdir(), "mysqlop-reap-test-cache-"));
    const isolated = {
      MYSQLOP_CACHE: cache,
      TEST_ASSET_ETCD: binaries.etcd,
      TEST_ASSET_KUBE_APISERVER: binaries.kubeApiserver,
      TEST_ASSET_KUBECTL: binaries.kubectl,
    };
    try {
      await withEnv(isolated, async () => {
        const holder = await startHolder("wait");
        await assertRunning(holder.record);
        process.kill(holder.pid, "SIGKILL");
        const { signal } = await holder.exited;
        assert.equal(signal, "SIGKILL");
        // The orphans are real: still running, still listening, their temp dir still there.
        await assertRunning(holder.record);
        assert.ok(existsSync(holder.record.file), "the killed owner's pid record is still there");

        const cp = await startControlPlane();
        started.push(cp);
        await assertNothingLeft(holder.record);
        await cp.stop();
      });
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    test(`${signal} to the owner tears everything down, then the owner dies of ${signal}`, async () => {
      const holder = await startHolder("wait");
      await assertRunning(holder.record);
      process.kill(holder.pid, signal);
      const exit = await holder.exited;
      assert.equal(exit.signal, signal, `exit ${JSON.stringify(exit)}`);
      await assertNothingLeft(holder.record);
    });
  }

  test("SIGTERM while the control plane is still starting: nothing is left either", async () => {
    const child = spawn(process.execPath, [HOLDER, "wait"], { stdio: ["ignore", "ignore", "pipe"] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    // Strike as soon as etcd runs, before kube-apiserver is ready.
    let record: (PidRecord & { file: string }) | undefined;
    const deadline = Date.now() + 60_000;
    while (record === undefined) {
      assert.ok(Date.now() < deadline && child.exitCode === null, "the holder recorded etcd in time");
      record = recordsOf(child.pid ?? 0).find((r) => r.processes.some((p) => p.name === "etcd"));
      await sleep(10);
    }
    child.kill("SIGTERM");
    const exit = await exited;
    assert.ok(exit.signal === "SIGTERM" || exit.code === 1, `exit ${JSON.stringify(exit)}`);
    // What was recorded when it was killed, and anything spawned later, which the final record would hold.
    await assertNothingLeft(record);
    assert.deepEqual(recordsOf(child.pid ?? 0), [], "no pid record of the holder remains");
  });

  test("an uncaught exception after start still tears everything down", async () => {
    const holder = await startHolder("throw");
    await assertRunning(holder.record);
    holder.proceed();
    const exit = await holder.exited;
    assert.equal(exit.code, 1);
    assert.match(exit.stderr, /deliberate uncaught exception/);
    await assertNothingLeft(holder.record);
  });

  test("a process that ends without calling stop() tears everything down on exit", async () => {
    const holder = await startHolder("exit");
    await assertRunning(holder.record);
    holder.proceed();
    const exit = await holder.exited;
    assert.equal(exit.code, 0, exit.stderr);
    await assertNothingLeft(holder.record);
  });

  test("a component that exits during start-up fails the start with its last log lines, and nothing is left", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mysqlop-fake-apiserver-"));
    try {
      const fake = fakeBinary(dir, "kube-apiserver", 'echo "fake kube-apiserver: line one"\necho "E1126 fake: cannot bind: something is wrong" >&2\nexit 3');
      const error = await withEnv({ TEST_ASSET_KUBE_APISERVER: fake }, () =>
        startControlPlane().then(
          (cp) => (started.push(cp), assert.fail("a start with a crashing kube-apiserver succeeded")),
          (e: unknown) => e,
        ),
      );
      assert.ok(error instanceof ComponentStartError, String(error));
      assert.equal(error.component, "kube-apiserver");
      assert.match(error.message, /kube-apiserver exited before it was ready \(code 3/);
      assert.match(error.message, /fake kube-apiserver: line one\nE1126 fake: cannot bind: something is wrong/);
      const kept = /all component logs kept in (.+)\)$/m.exec(error.message)?.[1];
      assert.ok(kept !== undefined && existsSync(join(kept, "etcd.log")) && existsSync(join(kept, "kube-apiserver.log")), error.message);
      rmSync(kept, { recursive: true, force: true });
      assert.deepEqual(
        recordsOf(process.pid).filter((r) => !started.some((cp) => r.tempDir === dirname(cp.logDir))),
        [],
        "no pid record left",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a component that never gets ready fails the start after the timeout, with its log, and is killed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mysqlop-fake-apiserver-"));
    try {
      const pidFile = join(dir, "pid");
      // exec keeps the pid: the test can check that exactly this process was killed.
      const fake = fakeBinary(dir, "kube-apiserver", `echo $$ > ${pidFile}\necho "fake kube-apiserver: waiting for Godot"\nexec sleep 120`);
      const error = await withEnv({ TEST_ASSET_KUBE_APISERVER: fake }, () =>
        startControlPlane({ readyTimeoutMs: 1_500 }).then(
          (cp) => (started.push(cp), assert.fail("a start with a silent kube-apiserver succeeded")),
          (e: unknown) => e,
        ),
      );
      assert.ok(error instanceof ComponentStartError, String(error));
      assert.match(error.message, /kube-apiserver was not ready within 1\.5 s \(\/readyz: 0 .*ECONNREFUSED/);
      assert.match(error.logTail, /fake kube-apiserver: waiting for Godot/);
      const fakePid = Number(readFileSync(pidFile, "utf8"));
      assert.ok(fakePid > 0 && !isProcessAlive(fakePid), `the silent kube-apiserver (pid ${fakePid}) was killed`);
      const kept = /all component logs kept in (.+)\)$/m.exec(error.message)?.[1];
      if (kept !== undefined) rmSync(kept, { recursive: true, force: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
