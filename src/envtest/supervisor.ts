/**
 * The processes of one control plane: every component is spawned through here, so that each run is in the pid
 * record (under `<cache>/run/`) from the instant it exists until it is reaped, and teardown finds all of them,
 * orderly (`stopAll`) or in an exit hook (`killNow`).
 */
import { join } from "node:path";
import { ComponentProcess, type ExitStatus } from "./component-process.ts";
import { PidRecordFile } from "./pid-records.ts";
import { listeningPortsSync } from "./ports.ts";
import { canonicalExecutable, isProcessAlive, processStartTime } from "./process-identity.ts";

/** SIGTERM → SIGKILL grace of a component unless it was given its own. */
export const DEFAULT_STOP_GRACE_MS = 2_000;

/** One component process of a control plane, as {@link ComponentSupervisor.statuses} reports it. */
export interface ComponentStatus {
  name: string;
  /** Set while it runs. */
  pid?: number;
  /** How its last run ended; absent while it runs or before it ever ran. */
  exitStatus?: ExitStatus;
  logFile: string;
}

/** How to run one component. */
export interface ComponentSpec {
  name: string;
  binary: string;
  args: string[];
  /** SIGTERM → SIGKILL grace when it is stopped (default {@link DEFAULT_STOP_GRACE_MS}); longer for one that stops children of its own. */
  stopGraceMs?: number;
  /** Stopped after every component without this flag (etcd: kube-apiserver waits for it while it shuts down). */
  stopLast?: boolean;
}

/** Spawns, records, stops and kills the component processes of one control plane. */
export class ComponentSupervisor {
  readonly #logDir: string;
  readonly #record: PidRecordFile;
  readonly #components: ComponentProcess[] = [];
  readonly #specs = new Map<ComponentProcess, ComponentSpec>();
  #ports: number[] = [];
  #stopping = false;

  constructor(logDir: string, record: PidRecordFile) {
    this.#logDir = logDir;
    this.#record = record;
  }

  /** A component whose every run is recorded; not started yet. */
  define(spec: ComponentSpec): ComponentProcess {
    const exe = canonicalExecutable(spec.binary);
    const { name } = spec;
    const component = new ComponentProcess({
      name,
      binary: spec.binary,
      args: spec.args,
      logFile: join(this.#logDir, `${name}.log`),
      onSpawn: (pid) => this.#record.addProcess({ name, pid, exe, startTime: processStartTime(pid) }),
      onExit: (pid) => this.#record.removeProcess(pid),
    });
    this.#components.push(component);
    this.#specs.set(component, spec);
    return component;
  }

  /** Defines and starts a component. */
  async spawn(spec: ComponentSpec): Promise<ComponentProcess> {
    const component = this.define(spec);
    await this.start(component);
    return component;
  }

  /** Starts (or restarts) a defined component; refused once teardown began, or it would outlive the teardown. */
  async start(component: ComponentProcess): Promise<void> {
    if (this.#stopping) throw new Error("the control plane was stopped during start-up");
    await component.start();
  }

  /** Records the ports the control plane listens on, so that teardown and the reaper can wait until they are free. */
  setPorts(ports: number[]): void {
    this.#ports = [...ports];
    this.#record.setPorts(this.#ports);
  }

  /** The recorded ports. */
  get ports(): number[] {
    return [...this.#ports];
  }

  /** SIGTERM, grace, SIGKILL for each of `components` at once; resolves once all are gone. */
  async stop(components: ComponentProcess[]): Promise<void> {
    await Promise.all(components.map((c) => c.stop(this.#specs.get(c)?.stopGraceMs ?? DEFAULT_STOP_GRACE_MS)));
  }

  /** Forgets components replaced by a retry (a port race), after they were stopped. */
  forget(components: ComponentProcess[]): void {
    for (const c of components) {
      const i = this.#components.indexOf(c);
      if (i >= 0) this.#components.splice(i, 1);
      this.#specs.delete(c);
    }
  }

  /** Stops every component (those marked `stopLast` last) and refuses new starts from now on. */
  async stopAll(): Promise<void> {
    this.#stopping = true;
    const last = (c: ComponentProcess): boolean => this.#specs.get(c)?.stopLast === true;
    await this.stop(this.#components.filter((c) => !last(c)));
    await this.stop(this.#components.filter(last));
  }

  /** True once no component process runs. */
  get allGone(): boolean {
    return this.#components.every((c) => c.pid === undefined);
  }

  /** Deletes the pid record (after a clean stop). */
  removeRecord(): void {
    this.#record.remove();
  }

  /**
   * Last-resort teardown for an exit hook, synchronous: SIGKILLs every component and waits briefly until they and
   * their ports are gone. The pid record is removed only when nothing survived, so the reaper can finish the job.
   */
  killNow(): void {
    this.#stopping = true;
    for (const c of this.#components) c.signal("SIGKILL");
    const pids = this.#components.map((c) => c.pid).filter((p): p is number => p !== undefined);
    // SIGKILL lands at once but the kernel needs a moment; the record must outlive any survivor for the reaper.
    const deadline = Date.now() + 2_000;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    // A killed multi-threaded process shows as a zombie before its last thread has closed its sockets: wait for those too.
    const settled = (): boolean => !pids.some(isProcessAlive) && (listeningPortsSync(this.#ports) ?? []).length === 0;
    while (!settled() && Date.now() < deadline) Atomics.wait(pause, 0, 0, 10);
    if (!pids.some(isProcessAlive)) this.#record.remove();
  }

  /** The current components (pid while running, how the last run ended). */
  statuses(): ComponentStatus[] {
    // A name defined twice (a retry after a port race) reports its latest definition.
    const current = new Map(this.#components.map((c) => [c.name, c]));
    return [...current.values()].map((c) => ({
      name: c.name,
      logFile: c.logFile,
      ...(c.pid !== undefined ? { pid: c.pid } : {}),
      ...(c.exitStatus !== undefined ? { exitStatus: c.exitStatus } : {}),
    }));
  }
}
