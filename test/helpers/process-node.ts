// Helpers for tests on the process node: why they would skip, waiting for pods, and what of a pod still runs.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import type { CoreV1Api, V1Pod } from "@kubernetes/client-node";
import { processNodeProblems } from "../../src/envtest/index.ts";
import { isSameProcess, processStartTime } from "../../src/envtest/process-identity.ts";
import { eventually } from "./eventually.ts";
import { mariaDbAvailable } from "./mariadb.ts";

/** `false` when the process node can run here, else the loud reason tests skip (as `describe`'s `skip`). */
export function processNodeSkip(opts: { mariadb?: boolean } = {}): false | string {
  const problems = processNodeProblems();
  if (opts.mariadb === true && !mariaDbAvailable())
    problems.push("mariadbd/mariadb-install-db/mariadb/mariadb-dump are not installed (.ci/setup installs them)");
  return problems.length === 0 ? false : `SKIPPED: the process node cannot run here: ${problems.join("; ")}`;
}

/** Waits (bounded) until the pod satisfies `check`, returning it. */
export function podWhere(core: CoreV1Api, namespace: string, name: string, what: string, check: (pod: V1Pod) => boolean, timeoutMs = 60_000): Promise<V1Pod> {
  return eventually(
    `pod ${namespace}/${name} ${what}`,
    async () => {
      const pod = await core.readNamespacedPod({ namespace, name });
      return check(pod) && pod;
    },
    timeoutMs,
    100,
  );
}

/** True once the pod's Ready condition is True. */
export function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
}

/** True once the pod reached Succeeded or Failed. */
export function isDone(pod: V1Pod): boolean {
  return pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
}

/** The host pid of a running container, from its `containerID` (`process://PID`). */
export function containerPid(pod: V1Pod, container?: string): number {
  const status = pod.status?.containerStatuses?.find((c) => container === undefined || c.name === container);
  const pid = Number(/^process:\/\/(\d+)$/.exec(status?.containerID ?? "")?.[1]);
  if (!Number.isInteger(pid)) throw new Error(`no containerID on ${pod.metadata?.name}: ${JSON.stringify(status)}`);
  return pid;
}

/** The PID namespace of a process (e.g. `pid:[4026532]`), or undefined when it is gone. */
export function pidNamespaceOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/** Pids of every live (non-zombie) process in the PID namespace `ns`. */
export function processesInNamespace(ns: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) !== ns) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** A process named for good: its pid and the kernel's start time (a pid, like a namespace's number, is reused). */
export interface ProcessRef {
  pid: number;
  startTime: string | undefined;
}

/**
 * The processes of a container's PID namespace now, by pid and start time: what a test checks later, since the
 * namespace's number itself is handed to the next namespace once this one is gone.
 */
export function containerProcesses(pod: V1Pod, container?: string): ProcessRef[] {
  const ns = pidNamespaceOf(containerPid(pod, container));
  if (ns === undefined) throw new Error(`the container of ${pod.metadata?.name} is gone`);
  return processesInNamespace(ns).map((pid) => ({ pid, startTime: processStartTime(pid) }));
}

/** Those of `processes` that still run. */
export function stillRunning(processes: ProcessRef[]): ProcessRef[] {
  return processes.filter((p) => p.startTime !== undefined && isSameProcess(p.pid, { startTime: p.startTime }));
}

/** Pids of live processes whose command line contains `marker`. */
export function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (cmdline.includes(marker) && !stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}
