/**
 * One pod on the process node, from binding to deletion, as a kubelet runs it:
 *
 * 1. set up: a pod IP, the pod's `/etc/hosts`, its volumes (retried while a claim is unbound or a Secret missing);
 * 2. init containers one after another, each to success;
 * 3. the containers, each restarted per `restartPolicy` with the kubelet's back-off (at once, then 10 s doubling
 *    to 5 min), probed for startup, readiness and liveness;
 * 4. on deletion: SIGTERM, the grace period, SIGKILL, a terminal status, then the pod object is removed.
 *
 * Status is derived from what the containers do (`pod-status.ts`) and written whenever it changes; Events say
 * what happened (Started, Killing, BackOff, Unhealthy, Failed, FailedMount) as a kubelet's do.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { V1Container, V1Pod, V1Probe } from "@kubernetes/client-node";
import type { JsonLogger } from "../../runtime/index.ts";
import { baseEnvironment, ContainerConfigError, containerEnvironment, expandReferences, type PodRuntimeFacts } from "./container-env.ts";
import { ContainerProcess, ContainerStartError, type ContainerExit, type NodeTools, type SandboxMount } from "./container-process.ts";
import { IMAGE_PROGRAMS_DIR, IMAGE_PROGRAMS_MOUNT, localImageFor, missingPrograms } from "./local-images.ts";
import { podStatus, type ContainerRecord, type ContainerState, type PodCondition, type PodRecord } from "./pod-status.ts";
import { HostsFile } from "./pod-network.ts";
import { probeTiming, ProbeVerdict, runProbe } from "./probes.ts";
import { processIdentity } from "./security.ts";
import { containerMounts, prepareVolumes, VolumeNotReadyError, type PreparedVolume, type VolumeLookup } from "./volumes.ts";

/** What a pod worker needs from its node. */
export interface PodWorkerDeps {
  readonly nodeName: string;
  readonly hostIP: string;
  readonly tools: NodeTools;
  /** The node's stand-in for the machine's `/` (hostPath volumes). */
  readonly hostRoot: string;
  /** Where pods' directories go. */
  readonly podsDir: string;
  readonly lookup: VolumeLookup;
  allocateIP(): string;
  releaseIP(ip: string): void;
  /** The pod's hosts file content for its identity. */
  hostsFile(pod: V1Pod, podIP: string): string;
  patchStatus(pod: V1Pod, status: Record<string, unknown>): Promise<void>;
  /** Removes the pod object once its containers are gone (grace period 0, guarded by its uid). */
  deletePod(pod: V1Pod): Promise<void>;
  event(pod: V1Pod, type: "Normal" | "Warning", reason: string, message: string, container?: string): void;
  /** Every process started for the pod, for the node's pid record. */
  processStarted(pid: number, name: string): void;
  processGone(pid: number): void;
  readonly log: JsonLogger;
}

const RETRY_SETUP_MS = 2_000;
const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;
/** A container that ran this long without failing starts its back-off afresh (the kubelet's rule). */
const BACKOFF_RESET_MS = 600_000;
const SETUP_TIMEOUT_MS = 30_000;
const TERMINATION_MESSAGE_LIMIT = 4096;

/** The container has nothing to run (an image without a command that the image table does not know): `CreateContainerError`. */
class ContainerCreateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ContainerCreateError";
  }
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** One container of the pod and everything known about its runs. */
class ContainerSlot {
  readonly spec: V1Container;
  readonly init: boolean;
  state: ContainerState = { kind: "waiting", reason: "ContainerCreating" };
  lastTerminated: Extract<ContainerState, { kind: "terminated" }> | undefined;
  /** Runs started so far, minus one (the kubelet's restartCount). */
  restartCount = 0;
  runs = 0;
  ready = false;
  started = false;
  process: ContainerProcess | undefined;
  /** Consecutive failed runs, for the back-off. */
  crashes = 0;
  /** Ends the probe loops of the current run. */
  probesAbort: AbortController | undefined;

  constructor(spec: V1Container, init: boolean) {
    this.spec = spec;
    this.init = init;
  }

  record(): ContainerRecord {
    return {
      name: this.spec.name,
      image: this.spec.image ?? "",
      state: this.state,
      ...(this.lastTerminated === undefined ? {} : { lastTerminated: this.lastTerminated }),
      restartCount: this.restartCount,
      ready: this.ready,
      started: this.started,
      ...(this.process?.pid !== undefined && this.state.kind === "running" ? { containerID: `process://${this.process.pid}` } : {}),
    };
  }
}

/** Runs one pod; see the file comment. */
export class PodWorker {
  readonly uid: string;
  readonly #deps: PodWorkerDeps;
  readonly #dir: string;
  readonly #log: JsonLogger;
  readonly #init: ContainerSlot[];
  readonly #containers: ContainerSlot[];
  readonly #startTime = now();
  #pod: V1Pod;
  #ip: string | undefined;
  readonly #hosts: HostsFile;
  #ipReleased = false;
  #volumes = new Map<string, PreparedVolume>();
  #terminating = false;
  #terminal = false;
  #gone = false;
  #published = "";
  #conditions: PodCondition[] = [];
  #publishing: Promise<void> = Promise.resolve();
  #publishQueued = false;
  readonly #wake = new Set<() => void>();
  readonly #running: Promise<void>;

  constructor(pod: V1Pod, deps: PodWorkerDeps) {
    this.#pod = pod;
    this.#deps = deps;
    this.uid = pod.metadata?.uid ?? "";
    this.#dir = join(deps.podsDir, `${pod.metadata?.namespace}_${pod.metadata?.name}_${this.uid}`);
    this.#hosts = new HostsFile(join(this.#dir, "etc-hosts"));
    this.#log = deps.log.child({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}` });
    this.#init = (pod.spec?.initContainers ?? []).map((c) => new ContainerSlot(c, true));
    this.#containers = (pod.spec?.containers ?? []).map((c) => new ContainerSlot(c, false));
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    this.#running = this.#run().catch((error: unknown) => this.#log.error("pod worker failed", { error }));
  }

  /** The pod as last seen; a deletion timestamp starts the termination. */
  update(pod: V1Pod): void {
    this.#pod = pod;
    if (pod.metadata?.deletionTimestamp !== undefined && !this.#terminating) void this.#terminate(pod.metadata.deletionGracePeriodSeconds ?? 30);
  }

  /** The pod object is gone (deleted, or force-deleted): kill what still runs and remove the pod's directory. */
  async gone(): Promise<void> {
    this.#gone = true;
    this.#terminating = true;
    this.#wakeAll();
    for (const slot of this.#slots()) slot.process?.destroy();
    await this.#running;
    await Promise.all(this.#slots().map((s) => s.process?.exited));
    this.#releaseIP();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  /** The node stops: SIGTERM to every container, at most `graceMs`, then SIGKILL. */
  async shutdown(graceMs: number): Promise<void> {
    this.#gone = true;
    await this.#stopContainers(graceMs);
    await this.#running;
  }

  /** The log file of a container's current run (or the one before, with `previous`); undefined when there is none. */
  logFile(container: string, previous: boolean): string | undefined {
    const slot = this.#slots().find((s) => s.spec.name === container);
    if (slot === undefined || slot.runs === 0) return undefined;
    const run = slot.runs - 1 - (previous ? 1 : 0);
    return run < 0 ? undefined : this.#logPath(slot, run);
  }

  /** Whether the container's current run is running (its log may still grow). */
  isRunning(container: string): boolean {
    return this.#slots().some((s) => s.spec.name === container && s.state.kind === "running");
  }

  /** The names of the pod's containers (init containers first). */
  containerNames(): string[] {
    return this.#slots().map((s) => s.spec.name);
  }

  /** Rewrites the pod's hosts file in place when its text changed (a bind mount follows the file, so running containers see it). */
  refreshHosts(): void {
    if (this.#ip === undefined || this.#gone) return;
    try {
      this.#hosts.update(this.#deps.hostsFile(this.#pod, this.#ip));
    } catch (error) {
      this.#log.warn("cannot rewrite the hosts file", { error });
    }
  }

  #slots(): ContainerSlot[] {
    return [...this.#init, ...this.#containers];
  }

  #logPath(slot: ContainerSlot, run: number): string {
    return join(this.#dir, "logs", slot.spec.name, `${run}.log`);
  }

  #facts(): PodRuntimeFacts {
    return { podIP: this.#ip ?? "", hostIP: this.#deps.hostIP };
  }

  /** Sleeps until `ms` passed or something wakes the worker (termination). */
  async #pause(ms: number): Promise<void> {
    if (this.#terminating) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake.add(done);
    });
  }

  #wakeAll(): void {
    for (const wake of this.#wake) wake();
    this.#wake.clear();
  }

  async #run(): Promise<void> {
    this.#publish();
    if (!(await this.#setUp())) return this.#finish();
    for (const slot of this.#init) {
      if (!(await this.#runToSuccess(slot))) return this.#finish();
    }
    await Promise.all(this.#containers.map((slot) => this.#keepRunning(slot)));
    this.#finish();
  }

  /** Step 1: address, hosts file, volumes. False when the pod went away meanwhile. */
  async #setUp(): Promise<boolean> {
    this.#ip = this.#pod.spec?.hostNetwork === true ? this.#deps.hostIP : this.#deps.allocateIP();
    mkdirSync(join(this.#dir, "logs"), { recursive: true });
    this.refreshHosts();
    for (let attempt = 0; !this.#terminating; attempt++) {
      try {
        this.#volumes = await prepareVolumes({
          pod: this.#pod,
          podDir: this.#dir,
          hostRoot: this.#deps.hostRoot,
          lookup: this.#deps.lookup,
          facts: this.#facts(),
        });
        this.#publish();
        return true;
      } catch (error) {
        if (!(error instanceof VolumeNotReadyError) && !(error instanceof ContainerConfigError)) throw error;
        const message = `MountVolume.SetUp failed: ${error.message}`;
        if (attempt === 0 || attempt % 15 === 0) this.#deps.event(this.#pod, "Warning", "FailedMount", message);
        for (const slot of this.#slots()) slot.state = { kind: "waiting", reason: "ContainerCreating", message };
        this.#publish();
        await this.#pause(RETRY_SETUP_MS);
      }
    }
    return false;
  }

  /** An init container, restarted until it succeeds (unless restartPolicy is Never). */
  async #runToSuccess(slot: ContainerSlot): Promise<boolean> {
    for (;;) {
      const exit = await this.#runOnce(slot);
      if (exit === "stopped") return false;
      if (exit !== undefined && exit.exitCode === 0) return true;
      if (this.#policy() === "Never" && exit !== undefined) return false;
      if (!(await this.#backOff(slot))) return false;
    }
  }

  /** A regular container, restarted per restartPolicy until the pod stops. */
  async #keepRunning(slot: ContainerSlot): Promise<void> {
    for (;;) {
      const exit = await this.#runOnce(slot);
      if (exit === "stopped") return;
      if (exit !== undefined) {
        const policy = this.#policy();
        if (policy === "Never" || (policy === "OnFailure" && exit.exitCode === 0)) return;
      }
      if (!(await this.#backOff(slot))) return;
    }
  }

  #policy(): "Always" | "OnFailure" | "Never" {
    const policy = this.#pod.spec?.restartPolicy;
    return policy === "Never" || policy === "OnFailure" ? policy : "Always";
  }

  /** Waits out the restart back-off (CrashLoopBackOff); false when the pod stops meanwhile. */
  async #backOff(slot: ContainerSlot): Promise<boolean> {
    if (this.#terminating) return false;
    const delay = slot.crashes <= 1 ? 0 : Math.min(BACKOFF_BASE_MS * 2 ** (slot.crashes - 2), BACKOFF_MAX_MS);
    if (delay > 0) {
      // A container that ran and ended is in CrashLoopBackOff; one that could not start keeps its error as reason.
      if (slot.state.kind === "terminated") {
        const message = `back-off ${delay / 1000}s restarting failed container=${slot.spec.name} pod=${this.#pod.metadata?.name}_${this.#pod.metadata?.namespace}(${this.uid})`;
        slot.state = { kind: "waiting", reason: "CrashLoopBackOff", message };
        const event = `Back-off restarting failed container ${slot.spec.name} in pod ${this.#pod.metadata?.name}`;
        this.#deps.event(this.#pod, "Warning", "BackOff", event, slot.spec.name);
        this.#publish();
      }
      await this.#pause(delay);
    }
    return !this.#terminating;
  }

  /**
   * One run of a container: configure, start, probe, wait for its end. Undefined when it could not start (a
   * config error, a failed sandbox), "stopped" when the pod stops before it starts.
   */
  async #runOnce(slot: ContainerSlot): Promise<ContainerExit | undefined | "stopped"> {
    if (this.#terminating) return "stopped";
    let process: ContainerProcess;
    const run = slot.runs;
    const runDir = join(this.#dir, "containers", slot.spec.name, String(run));
    try {
      const launch = await this.#launch(slot, runDir, run);
      if (this.#terminating) return "stopped";
      process = await ContainerProcess.start(launch);
    } catch (error) {
      rmSync(runDir, { recursive: true, force: true });
      if (!(error instanceof ContainerConfigError) && !(error instanceof ContainerStartError) && !(error instanceof ContainerCreateError)) throw error;
      const reason =
        error instanceof ContainerConfigError
          ? "CreateContainerConfigError"
          : error instanceof ContainerCreateError
            ? "CreateContainerError"
            : "RunContainerError";
      slot.state = { kind: "waiting", reason, message: error.message };
      this.#deps.event(this.#pod, "Warning", "Failed", `Error: ${error.message}`, slot.spec.name);
      this.#publish();
      if (error instanceof ContainerConfigError) {
        // Not a crash of the container (nothing ran): tried again soon, without a restart or a back-off.
        await this.#pause(RETRY_SETUP_MS);
        return this.#terminating ? "stopped" : this.#runOnce(slot);
      }
      slot.crashes++;
      return undefined;
    }
    if (this.#terminating) {
      // The pod stopped (or went) while the container started: gone() and the node's stop could not see this
      // process, so it is killed here, before the worker they await ends.
      process.destroy();
      await process.exited;
      rmSync(runDir, { recursive: true, force: true });
      return "stopped";
    }
    if (slot.runs > 0) slot.restartCount++;
    slot.runs++;
    slot.process = process;
    slot.state = { kind: "running", startedAt: process.startedAt };
    slot.started = slot.spec.startupProbe === undefined;
    slot.ready = slot.spec.readinessProbe === undefined && !slot.init && slot.started;
    this.#deps.event(this.#pod, "Normal", "Started", `Started container ${slot.spec.name}`, slot.spec.name);
    this.#publish();
    if (!slot.init) this.#startProbes(slot, process);
    const exit = await process.exited;
    slot.probesAbort?.abort();
    slot.ready = false;
    const message = this.#terminationMessage(slot, join(runDir, "termination-log"), exit, run);
    const finishedAt = now();
    const terminated: Extract<ContainerState, { kind: "terminated" }> = {
      kind: "terminated",
      exitCode: exit.exitCode,
      ...(exit.signal === undefined ? {} : { signal: exit.signal }),
      reason: exit.exitCode === 0 ? "Completed" : "Error",
      ...(message === "" ? {} : { message }),
      startedAt: process.startedAt,
      finishedAt,
      ...(process.pid === undefined ? {} : { containerID: `process://${process.pid}` }),
    };
    const ranFor = Date.parse(finishedAt) - Date.parse(process.startedAt);
    slot.crashes = ranFor >= BACKOFF_RESET_MS ? 1 : slot.crashes + 1;
    slot.state = terminated;
    slot.lastTerminated = terminated;
    rmSync(runDir, { recursive: true, force: true });
    this.#log.info("container exited", { container: slot.spec.name, exitCode: exit.exitCode, restartCount: slot.restartCount });
    this.#publish();
    return exit;
  }

  /** What a container's next run needs: environment, command, user, mounts. Throws ContainerConfigError. */
  async #launch(slot: ContainerSlot, runDir: string, run: number): Promise<Parameters<typeof ContainerProcess.start>[0]> {
    const spec = slot.spec;
    const identity = processIdentity(this.#pod, spec);
    const hostname = this.#pod.spec?.hostname ?? this.#pod.metadata?.name ?? "pod";
    const env = await containerEnvironment(this.#pod, spec, this.#facts(), this.#deps.lookup, baseEnvironment(hostname, identity.uid));
    const command = this.#command(spec, env);
    rmSync(runDir, { recursive: true, force: true });
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    const terminationLog = join(runDir, "termination-log");
    writeFileSync(terminationLog, "", { mode: 0o666 });
    // As the kubelet does: writable by the container's user whatever it is (the mode above is cut by the umask).
    chmodSync(terminationLog, 0o666);
    const mounts: SandboxMount[] = [
      ...containerMounts(spec, this.#volumes, env),
      { source: this.#hosts.path, target: "/etc/hosts", readOnly: false },
      { source: IMAGE_PROGRAMS_DIR, target: IMAGE_PROGRAMS_MOUNT, readOnly: true },
      { source: terminationLog, target: spec.terminationMessagePath ?? "/dev/termination-log", readOnly: false },
    ];
    mkdirSync(join(this.#dir, "logs", spec.name), { recursive: true });
    const image = localImageFor(spec.image ?? "");
    return {
      tools: this.#deps.tools,
      plan: {
        containerDir: runDir,
        readOnlyRoot: spec.securityContext?.readOnlyRootFilesystem === true,
        mounts,
        workingDir: spec.workingDir ?? "/",
        hostname,
        users: image?.users ?? [],
        directories: image?.directories ?? [],
      },
      command,
      env,
      identity,
      logFile: this.#logPath(slot, run),
      onProcess: (pid, name) => this.#deps.processStarted(pid, `${this.#pod.metadata?.namespace}/${this.#pod.metadata?.name}/${spec.name} ${name}`),
      onProcessGone: (pid) => this.#deps.processGone(pid),
      setupTimeoutMs: SETUP_TIMEOUT_MS,
    };
  }

  /** The command line: the spec's command and args, or the image's local program (see local-images.ts). */
  #command(spec: V1Container, env: ReadonlyMap<string, string>): string[] {
    const expand = (list: string[] | undefined): string[] => (list ?? []).map((s) => expandReferences(s, env));
    if (spec.command !== undefined && spec.command.length > 0) return [...expand(spec.command), ...expand(spec.args)];
    const image = localImageFor(spec.image ?? "");
    if (image === undefined) {
      throw new ContainerCreateError(
        `image ${JSON.stringify(spec.image)} has no local program on the process node (which runs the machine's own programs, not images): give the container a command, or see LOCAL_IMAGES in src/envtest/process-node/local-images.ts`,
      );
    }
    const missing = missingPrograms(image);
    if (missing.length > 0) throw new ContainerCreateError(`image ${spec.image} runs ${image.description}, which needs ${missing.join(", ")} on this machine`);
    const [program, ...rest] = image.entrypoint;
    return ["/bin/sh", `${IMAGE_PROGRAMS_MOUNT}/${program}`, ...rest, ...expand(spec.args)];
  }

  /** The terminated state's message: the termination-message file, or the log's tail when the policy asks for it. */
  #terminationMessage(slot: ContainerSlot, file: string, exit: ContainerExit, run: number): string {
    let message = "";
    try {
      message = readFileSync(file, "utf8").slice(0, TERMINATION_MESSAGE_LIMIT);
    } catch {
      // No message.
    }
    if (message === "" && exit.exitCode !== 0 && slot.spec.terminationMessagePolicy === "FallbackToLogsOnError") {
      try {
        message = readFileSync(this.#logPath(slot, run), "utf8").trimEnd().split("\n").slice(-80).join("\n").slice(-2048);
      } catch {
        // No log either.
      }
    }
    return message;
  }

  #startProbes(slot: ContainerSlot, process: ContainerProcess): void {
    const abort = new AbortController();
    slot.probesAbort = abort;
    const spec = slot.spec;
    const target = { podIP: this.#ip ?? this.#deps.hostIP, container: spec, exec: (command: string[], timeoutMs: number) => process.exec(command, timeoutMs) };
    const loop = async (
      probe: V1Probe,
      kind: "Startup" | "Readiness" | "Liveness",
      onVerdict: (healthy: boolean, message: string) => void,
      initially: boolean,
    ) => {
      const timing = probeTiming(probe);
      const verdict = new ProbeVerdict(timing, initially);
      await sleep(timing.initialDelayMs, undefined, { signal: abort.signal }).catch(() => {});
      while (!abort.signal.aborted) {
        if (kind !== "Startup" && !slot.started) {
          await sleep(200, undefined, { signal: abort.signal }).catch(() => {});
          continue;
        }
        const result = await runProbe(probe, target);
        if (abort.signal.aborted) return;
        if (verdict.record(result.ok)) {
          if (!verdict.healthy) this.#deps.event(this.#pod, "Warning", "Unhealthy", `${kind} probe failed: ${result.message}`, spec.name);
          onVerdict(verdict.healthy, result.message);
          if (kind === "Startup" && verdict.healthy) return;
        }
        await sleep(timing.periodMs, undefined, { signal: abort.signal }).catch(() => {});
      }
    };
    if (spec.startupProbe !== undefined) {
      void loop(
        spec.startupProbe,
        "Startup",
        (healthy) => {
          if (healthy) {
            slot.started = true;
            if (spec.readinessProbe === undefined) slot.ready = true;
            this.#publish();
          } else this.#restartUnhealthy(slot, process, "startup");
        },
        false,
      );
    }
    if (spec.readinessProbe !== undefined) {
      void loop(
        spec.readinessProbe,
        "Readiness",
        (healthy) => {
          slot.ready = healthy;
          this.#publish();
        },
        false,
      );
    }
    if (spec.livenessProbe !== undefined) {
      void loop(spec.livenessProbe, "Liveness", (healthy) => healthy || this.#restartUnhealthy(slot, process, "liveness"), true);
    }
  }

  /** A failed liveness or startup probe: the container is killed (grace period of the pod) and restarted. */
  #restartUnhealthy(slot: ContainerSlot, process: ContainerProcess, probe: string): void {
    if (this.#terminating) return;
    this.#deps.event(this.#pod, "Normal", "Killing", `Container ${slot.spec.name} failed ${probe} probe, will be restarted`, slot.spec.name);
    void this.#stopProcess(process, (this.#pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000);
  }

  async #stopProcess(process: ContainerProcess, graceMs: number): Promise<void> {
    process.signal("SIGTERM");
    const timer = setTimeout(() => process.destroy(), graceMs);
    await process.exited;
    clearTimeout(timer);
  }

  async #stopContainers(graceMs: number): Promise<void> {
    this.#terminating = true;
    this.#wakeAll();
    await Promise.all(
      this.#slots().map(async (slot) => {
        const process = slot.process;
        if (process === undefined || slot.state.kind !== "running") return;
        this.#deps.event(this.#pod, "Normal", "Killing", `Stopping container ${slot.spec.name}`, slot.spec.name);
        await this.#stopProcess(process, graceMs);
      }),
    );
  }

  /** Deletion: stop the containers within the grace period, report a terminal status, remove the pod object. */
  async #terminate(graceSeconds: number): Promise<void> {
    await this.#stopContainers(graceSeconds * 1000);
    await this.#running;
    if (this.#gone) return;
    await this.#publishing;
    try {
      await this.#deps.deletePod(this.#pod);
    } catch (error) {
      this.#log.warn("cannot remove the terminated pod", { error });
    }
  }

  /** Containers will not run again: the phase becomes terminal (for a deleted pod) and the address goes back. */
  #finish(): void {
    for (const slot of this.#slots()) {
      if (slot.state.kind === "waiting" && slot.lastTerminated !== undefined && this.#terminating) slot.state = slot.lastTerminated;
    }
    this.#terminal = this.#terminating;
    this.#publish();
    this.#releaseIP();
  }

  /** Once no process of the pod runs, its address may go to another pod (the status keeps showing it). */
  #releaseIP(): void {
    if (this.#ip === undefined || this.#ipReleased || this.#ip === this.#deps.hostIP) return;
    this.#ipReleased = true;
    this.#deps.releaseIP(this.#ip);
  }

  /** Writes the status when it changed; calls coalesce while one write is under way. */
  #publish(): void {
    if (this.#gone) return;
    if (this.#publishQueued) return;
    this.#publishQueued = true;
    this.#publishing = this.#publishing.then(async () => {
      this.#publishQueued = false;
      if (this.#gone) return;
      const record: PodRecord = {
        restartPolicy: this.#policy(),
        initContainers: this.#init.map((s) => s.record()),
        containers: this.#containers.map((s) => s.record()),
        ...(this.#ip === undefined ? {} : { podIP: this.#ip }),
        hostIP: this.#deps.hostIP,
        startTime: this.#startTime,
        terminal: this.#terminal,
      };
      const status = podStatus(record, this.#conditions, now());
      const text = JSON.stringify(status);
      if (text === this.#published) return;
      try {
        await this.#deps.patchStatus(this.#pod, status);
        this.#published = text;
        this.#conditions = status["conditions"] as PodCondition[];
      } catch (error) {
        this.#log.warn("status update failed; retrying", { error });
        await sleep(500);
        this.#publish();
      }
    });
  }
}
