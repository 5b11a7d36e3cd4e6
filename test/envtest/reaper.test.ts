// The reaper's safety rules, with real processes (sleep) and forged pid records; no control plane is started.
// It may kill only what a dead owner recorded AND still is that very process (same start time, same executable),
// and remove only temp dirs that are ours.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pidRecordDir, reapLeftovers } from "../../src/envtest/index.ts";
import { releaseRunLock, TEMP_DIR_PREFIX, tryRunLock, type PidRecord } from "../../src/envtest/pid-records.ts";
import { isProcessAlive, processStartTime } from "../../src/envtest/process-identity.ts";

const SLEEP = realpathSync(spawnSync("sh", ["-c", "command -v sleep"], { encoding: "utf8" }).stdout.trim());

/** A pid that belonged to a process that has exited (so the record's owner is dead). */
function deadPid(): number {
  const child = spawnSync("true");
  assert.ok(child.pid !== undefined);
  return child.pid;
}

function forgeRecord(record: PidRecord): string {
  mkdirSync(pidRecordDir(), { recursive: true });
  const file = join(pidRecordDir(), `${record.owner.pid}-${Math.random().toString(16).slice(2, 10)}.json`);
  writeFileSync(file, JSON.stringify(record));
  return file;
}

describe("reapLeftovers", () => {
  const sleepers: ChildProcess[] = [];
  const dirs: string[] = [];
  const savedCache = process.env["MYSQLOP_CACHE"];
  // Forged records go to a cache of their own, out of reach of control planes other test files start meanwhile.
  before(() => {
    const cache = mkdtempSync(join(tmpdir(), "mysqlop-reaper-test-cache-"));
    dirs.push(cache);
    process.env["MYSQLOP_CACHE"] = cache;
  });
  after(() => {
    if (savedCache === undefined) delete process.env["MYSQLOP_CACHE"];
    else process.env["MYSQLOP_CACHE"] = savedCache;
    for (const s of sleepers) s.kill("SIGKILL");
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function sleeper(): { pid: number; startTime: string } {
    const child = spawn(SLEEP, ["300"], { stdio: "ignore" });
    sleepers.push(child);
    const pid = child.pid ?? 0;
    const startTime = processStartTime(pid);
    assert.ok(startTime !== undefined);
    return { pid, startTime };
  }

  test("kills a dead owner's process that is still the recorded one, and removes its temp dir and record", async () => {
    const victim = sleeper();
    const tempDir = mkdtempSync(join(tmpdir(), TEMP_DIR_PREFIX));
    dirs.push(tempDir);
    const file = forgeRecord({
      owner: { pid: deadPid(), startTime: "1" },
      tempDir,
      ports: [],
      processes: [{ name: "etcd", pid: victim.pid, exe: SLEEP, startTime: victim.startTime }],
    });
    const report = await reapLeftovers();
    assert.ok(report.killed.includes(`etcd (pid ${victim.pid})`), JSON.stringify(report));
    assert.ok(!isProcessAlive(victim.pid));
    assert.ok(!existsSync(tempDir));
    assert.ok(!existsSync(file));
  });

  test("spares a process whose pid was reused (other start time) or that runs another executable", async () => {
    const reused = sleeper();
    const other = sleeper();
    const file = forgeRecord({
      owner: { pid: deadPid(), startTime: "1" },
      tempDir: join(tmpdir(), `${TEMP_DIR_PREFIX}gone`),
      ports: [],
      processes: [
        { name: "etcd", pid: reused.pid, exe: SLEEP, startTime: String(Number(reused.startTime) - 1) },
        { name: "kube-apiserver", pid: other.pid, exe: "/usr/local/bin/kube-apiserver", startTime: other.startTime },
      ],
    });
    const report = await reapLeftovers();
    assert.deepEqual(
      report.killed.filter((k) => k.includes(String(reused.pid)) || k.includes(String(other.pid))),
      [],
    );
    assert.ok(isProcessAlive(reused.pid) && isProcessAlive(other.pid), "both unrelated processes still run");
    assert.ok(!existsSync(file), "the stale record is gone");
  });

  test("leaves the record of a live owner alone, and never removes a directory that is not its own", async () => {
    const victim = sleeper();
    const liveFile = forgeRecord({
      owner: { pid: process.pid, startTime: processStartTime(process.pid) },
      tempDir: join(tmpdir(), `${TEMP_DIR_PREFIX}live`),
      ports: [],
      processes: [{ name: "etcd", pid: victim.pid, exe: SLEEP, startTime: victim.startTime }],
    });
    const foreignDir = mkdtempSync(join(tmpdir(), "not-mysqlop-"));
    dirs.push(foreignDir);
    const deadFile = forgeRecord({ owner: { pid: deadPid(), startTime: "1" }, tempDir: foreignDir, ports: [], processes: [] });
    try {
      await reapLeftovers();
      assert.ok(isProcessAlive(victim.pid), "a live owner's process is not touched");
      assert.ok(existsSync(liveFile), "a live owner's record is kept");
      assert.ok(existsSync(foreignDir), "a directory without our prefix is never removed");
      assert.ok(!existsSync(deadFile));
    } finally {
      rmSync(liveFile, { force: true });
    }
  });
  test("machine-wide locks: one holder at a time; a dead holder's lock is taken over and reaped, a live or half-written one kept", async () => {
    assert.equal(tryRunLock("probe"), true);
    assert.equal(tryRunLock("probe"), false, "held by a live process (this one)");
    const dir = pidRecordDir();
    writeFileSync(join(dir, "dead.lock"), JSON.stringify({ pid: deadPid(), startTime: "1" }));
    writeFileSync(join(dir, "being-written.lock"), "");
    assert.equal(tryRunLock("dead"), true, "a dead holder's lock is taken over");
    releaseRunLock("dead");
    writeFileSync(join(dir, "dead.lock"), JSON.stringify({ pid: deadPid(), startTime: "1" }));
    await reapLeftovers();
    assert.ok(!existsSync(join(dir, "dead.lock")), "reaped");
    assert.ok(existsSync(join(dir, "probe.lock")), "a live holder's lock is kept");
    assert.ok(existsSync(join(dir, "being-written.lock")), "a lock whose holder is still writing it is kept");
    releaseRunLock("probe");
    assert.ok(!existsSync(join(dir, "probe.lock")));
  });
});
