/**
 * Whether a pid is still the process that was recorded (start time and executable from /proc), so that the
 * reaper never kills an unrelated process that reused a pid.
 */
import { readFileSync, readlinkSync, realpathSync } from "node:fs";

/**
 * The kernel's start time of a process (clock ticks since boot, field 22 of /proc/PID/stat): together with the
 * pid it names one process for good, so a recycled pid is never mistaken for the one recorded. Undefined when
 * the process is gone or /proc is unavailable.
 */
export function processStartTime(pid: number): string | undefined {
  const stat = procStat(pid);
  return stat?.fields[19];
}

function procStat(pid: number): { state: string; fields: string[] } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields after it start past the last ')'.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: rest[0] ?? "", fields: rest };
}

/** The executable a running process was started from (a replaced binary reads as its old path). */
export function processExecutable(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, "");
  } catch {
    return undefined;
  }
}

/** The canonical path of an executable file, as /proc/PID/exe will show it. */
export function canonicalExecutable(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** True while `pid` exists and is not a zombie. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  const stat = procStat(pid);
  return stat === undefined ? true : stat.state !== "Z";
}

/** True when `pid` still is the process that was recorded (same start time, and same executable when one is given). */
export function isSameProcess(pid: number, recorded: { startTime?: string; exe?: string }): boolean {
  if (!isProcessAlive(pid)) return false;
  const startTime = processStartTime(pid);
  if (startTime === undefined || recorded.startTime === undefined || startTime !== recorded.startTime) return false;
  return recorded.exe === undefined || processExecutable(pid) === recorded.exe;
}

/** A process named for good: its pid and the kernel's start time, read while it was known to be that process. */
export interface KnownProcess {
  readonly pid: number;
  readonly startTime: string | undefined;
}

/** Names the process `pid` is now (undefined when it is already gone). */
export function identify(pid: number | undefined): KnownProcess | undefined {
  if (pid === undefined) return undefined;
  const startTime = processStartTime(pid);
  return startTime === undefined ? undefined : { pid, startTime };
}

/**
 * Sends `signal` only while the pid still is the identified process: a pid the kernel recycled for an unrelated
 * process (a process of the host, another test's server) is never signalled. True when the signal was sent.
 */
export function signalIfSame(known: KnownProcess | undefined, signal: NodeJS.Signals): boolean {
  if (known === undefined || known.startTime === undefined || processStartTime(known.pid) !== known.startTime) return false;
  try {
    process.kill(known.pid, signal);
    return true;
  } catch {
    return false;
  }
}
