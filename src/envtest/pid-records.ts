/**
 * Pid records of running control planes under `<cache>/run/`: a SIGKILLed test leaves its record behind, and the
 * next start reaps the processes and temp dirs it names (only those whose owner is gone, and only if each pid is
 * still the recorded program). Also machine-wide run locks with takeover of a dead holder's lock.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { mysqlopCacheDir } from "./cache-dir.ts";
import { waitPortsFree } from "./ports.ts";
import { isProcessAlive, isSameProcess, processStartTime } from "./process-identity.ts";

/** Prefix of every control plane's temp dir; the reaper removes only directories under the OS temp dir named so. */
export const TEMP_DIR_PREFIX = "mysqlop-envtest-";

/** One component process a control plane started, identified beyond its pid. */
export interface RecordedProcess {
  name: string;
  pid: number;
  exe: string;
  startTime?: string;
}

/** What a running control plane leaves on disk so that a later start can clean up after it if it is SIGKILLed. */
export interface PidRecord {
  owner: { pid: number; startTime?: string };
  /** The control plane's temp dir, removed with its processes; "" for a record of processes only (a node agent's pods). */
  tempDir: string;
  ports: number[];
  processes: RecordedProcess[];
}

/** Where pid records live: `<cache>/run/`. */
export function pidRecordDir(): string {
  return join(mysqlopCacheDir(), "run");
}

/** A pid record kept up to date, synchronously, as components start and stop (it must be right at any instant). */
export class PidRecordFile {
  readonly path: string;
  readonly #record: PidRecord;
  #removed = false;

  constructor(tempDir: string) {
    mkdirSync(pidRecordDir(), { recursive: true });
    this.path = join(pidRecordDir(), `${process.pid}-${randomBytes(4).toString("hex")}.json`);
    this.#record = { owner: { pid: process.pid, startTime: processStartTime(process.pid) }, tempDir, ports: [], processes: [] };
    this.#write();
  }

  /** Records the ports the control plane listens on, so the reaper can wait until they are free. */
  setPorts(ports: number[]): void {
    this.#record.ports = [...ports];
    this.#write();
  }

  /** Records a component right after it was spawned. */
  addProcess(entry: RecordedProcess): void {
    this.#record.processes = [...this.#record.processes.filter((p) => p.pid !== entry.pid), entry];
    this.#write();
  }

  /** Forgets a component once it is known to be gone. */
  removeProcess(pid: number): void {
    this.#record.processes = this.#record.processes.filter((p) => p.pid !== pid);
    this.#write();
  }

  /** Deletes the record (after a clean stop). */
  remove(): void {
    this.#removed = true;
    rmSync(this.path, { force: true });
  }

  #write(): void {
    // A late exit event must not bring back the record of a control plane that is gone.
    if (this.#removed) return;
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.#record, null, 2));
    renameSync(tmp, this.path);
  }
}

/** Holder of a lock file under the run dir. */
interface LockHolder {
  pid: number;
  startTime?: string;
}

function lockPath(name: string): string {
  return join(pidRecordDir(), `${name}.lock`);
}

function lockHolder(path: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as LockHolder;
    return typeof parsed.pid === "number" ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the lock at `path` is held by a live process; a lock just being written (no holder yet) counts as held. */
function lockHeld(path: string): boolean {
  const holder = lockHolder(path);
  if (holder === undefined) {
    try {
      return Date.now() - statSync(path).mtimeMs < 10_000;
    } catch {
      return false;
    }
  }
  return holder.startTime !== undefined && isSameProcess(holder.pid, { startTime: holder.startTime });
}

function createLock(path: string): boolean {
  try {
    writeFileSync(path, JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid) }), { flag: "wx", mode: 0o644 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return false;
  }
}

/**
 * Takes the machine-wide lock `name` (a file `<cache>/run/NAME.lock` naming this process) unless a live process
 * holds it; a dead holder's lock is taken over. For resources that parallel runs on one machine must not share.
 */
export function tryRunLock(name: string): boolean {
  mkdirSync(pidRecordDir(), { recursive: true });
  const path = lockPath(name);
  if (createLock(path)) return true;
  if (lockHeld(path)) return false;
  // Removed and created again, so that of two processes taking over the same dead lock only one wins.
  rmSync(path, { force: true });
  return createLock(path);
}

/** Gives the lock `name` back. */
export function releaseRunLock(name: string): void {
  rmSync(lockPath(name), { force: true });
}

/** What the reaper found and did. */
export interface ReapReport {
  /** Component processes it killed, e.g. `kube-apiserver (pid 1234)`. */
  killed: string[];
  /** Temp dirs it removed. */
  removedDirs: string[];
  /** Records it deleted (their owners are gone). */
  records: string[];
}

function readRecord(path: string): PidRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as PidRecord;
    return Array.isArray(parsed.processes) && typeof parsed.owner?.pid === "number" ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isOurTempDir(dir: string): boolean {
  if (dir === "") return false;
  const full = resolve(dir);
  return dirname(full) === resolve(tmpdir()) && basename(full).startsWith(TEMP_DIR_PREFIX);
}

function kill(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // Gone already, or (for -pid) not a group leader.
    }
  }
}

/**
 * Cleans up after control planes whose owning process died without teardown (SIGKILL, OOM, power loss of the
 * test runner): removes lock files of dead holders; for each pid record whose owner is gone, SIGKILLs every recorded component that still is the
 * same process (pid, start time and executable all match, so a recycled pid is never touched), waits until they
 * are gone and their ports are free, and removes the temp dir and the record. Records of live owners are left alone.
 */
export async function reapLeftovers(log: (line: string) => void = () => {}): Promise<ReapReport> {
  const report: ReapReport = { killed: [], removedDirs: [], records: [] };
  let files: string[];
  try {
    files = readdirSync(pidRecordDir()).filter((f) => f.endsWith(".json"));
  } catch {
    return report;
  }
  for (const file of readdirSync(pidRecordDir()).filter((f) => f.endsWith(".lock"))) {
    const path = join(pidRecordDir(), file);
    if (!lockHeld(path)) rmSync(path, { force: true });
  }
  for (const file of files) {
    const path = join(pidRecordDir(), file);
    const record = readRecord(path);
    if (record === undefined) {
      // Unreadable: half-written by a process that died mid-write, or foreign. Only ours match this name.
      if (/^\d+-[0-9a-f]+\.json$/.test(file)) rmSync(path, { force: true });
      continue;
    }
    const { owner } = record;
    // Without a start time (no /proc) an owner cannot be told from a recycled pid: only a dead pid is proof.
    const ownerAlive = owner.startTime === undefined ? isProcessAlive(owner.pid) : isSameProcess(owner.pid, { startTime: owner.startTime });
    if (ownerAlive) continue;
    const victims = record.processes.filter((p) => isSameProcess(p.pid, p));
    for (const p of victims) {
      kill(p.pid, "SIGKILL");
      report.killed.push(`${p.name} (pid ${p.pid})`);
    }
    const deadline = Date.now() + 10_000;
    while (victims.some((p) => isProcessAlive(p.pid)) && Date.now() < deadline) await sleep(20);
    const stillAlive = victims.filter((p) => isProcessAlive(p.pid));
    if (stillAlive.length > 0) {
      log(`reaper: ${stillAlive.map((p) => `${p.name} (pid ${p.pid})`).join(", ")} survived SIGKILL; record ${path} kept`);
      continue;
    }
    const busy = await waitPortsFree(record.ports, 5_000);
    if (busy.length > 0) log(`reaper: ports ${busy.join(", ")} of a dead control plane are still listening`);
    if (isOurTempDir(record.tempDir)) {
      rmSync(record.tempDir, { recursive: true, force: true });
      report.removedDirs.push(record.tempDir);
    }
    rmSync(path, { force: true });
    report.records.push(path);
  }
  if (report.killed.length > 0 || report.removedDirs.length > 0) {
    log(`reaper: killed ${report.killed.join(", ") || "nothing"}; removed ${report.removedDirs.length} temp dir(s) of dead runs`);
  }
  return report;
}
