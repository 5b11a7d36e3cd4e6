/**
 * One supervised control-plane component (etcd, kube-apiserver, …): spawned with its log in a file, watched
 * for exit, stopped with SIGTERM and then SIGKILL (kube-apiserver does not exit promptly on SIGTERM).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const SIGKILL_WAIT_MS = 10_000;

/** How one component process ended. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Thrown when a component exits early or does not become ready in time; carries the tail of its log. */
export class ComponentStartError extends Error {
  readonly component: string;
  readonly logFile: string;
  readonly logTail: string;

  constructor(component: string, reason: string, logFile: string, logTail: string) {
    super(`${component} ${reason}\n--- last lines of ${logFile} ---\n${logTail}\n--- end of ${component} log ---`);
    this.name = "ComponentStartError";
    this.component = component;
    this.logFile = logFile;
    this.logTail = logTail;
  }
}

/** The last `count` lines of a file ("" when it is missing). */
export function lastLines(file: string, count: number): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return "";
  }
  return text.trimEnd().split("\n").slice(-count).join("\n");
}

/**
 * One long-running control-plane binary (etcd, kube-apiserver, …): spawned in its own process group with its
 * output appended to a log file (a pipe would stall the child whenever this process is busy, and lose the log
 * when it dies), and unref'd so that a test that forgets `stop()` still lets Node exit, the exit hook then killing it.
 */
export class ComponentProcess {
  readonly name: string;
  readonly binary: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly #onSpawn: (pid: number) => void;
  readonly #onExit: (pid: number) => void;
  #child: ChildProcess | undefined;
  #exited: Promise<ExitStatus> | undefined;
  #exitStatus: ExitStatus | undefined;

  /**
   * `onSpawn` runs synchronously right after the process exists (exec done), before anything else can happen
   * in this process, so that a pid record written there misses no instant; `onExit` runs once it is reaped.
   */
  constructor(opts: { name: string; binary: string; args: string[]; logFile: string; onSpawn?: (pid: number) => void; onExit?: (pid: number) => void }) {
    this.name = opts.name;
    this.binary = opts.binary;
    this.args = opts.args;
    this.logFile = opts.logFile;
    this.#onSpawn = opts.onSpawn ?? (() => {});
    this.#onExit = opts.onExit ?? (() => {});
  }

  /** Pid of the current run (undefined before start and after it exited). */
  get pid(): number | undefined {
    return this.#child !== undefined && this.#exitStatus === undefined ? this.#child.pid : undefined;
  }

  /** How the last run ended, undefined while it runs. */
  get exitStatus(): ExitStatus | undefined {
    return this.#exitStatus;
  }

  /** Spawns the binary; returns its pid. Fails synchronously-ish (rejects) when it cannot be spawned at all. */
  async start(): Promise<number> {
    if (this.pid !== undefined) throw new Error(`${this.name} is already running (pid ${this.pid})`);
    const fd = openSync(this.logFile, "a");
    writeSync(fd, `--- ${new Date().toISOString()} ${this.binary} ${this.args.join(" ")}\n`);
    let child: ChildProcess;
    try {
      child = spawn(this.binary, this.args, { stdio: ["ignore", fd, fd], detached: true });
    } finally {
      closeSync(fd);
    }
    const pid = child.pid;
    // Visible to stop() at once: a teardown racing this start must find the process to kill.
    this.#child = child;
    this.#exitStatus = undefined;
    this.#exited = new Promise<ExitStatus>((resolve) => {
      child.once("exit", (code, signal) => {
        this.#exitStatus = { code, signal };
        if (pid !== undefined) this.#onExit(pid);
        resolve(this.#exitStatus);
      });
      child.once("error", () => {
        // A spawn failure emits 'error' and no 'exit'.
        this.#exitStatus ??= { code: null, signal: null };
        resolve(this.#exitStatus);
      });
    });
    if (pid !== undefined) this.#onSpawn(pid);
    const spawnError = await new Promise<Error | undefined>((resolve) => {
      child.once("spawn", () => resolve(undefined));
      child.once("error", resolve);
    });
    if (spawnError !== undefined || child.pid === undefined) {
      throw new Error(`cannot start ${this.name} (${this.binary}): ${spawnError?.message ?? "no pid"}`);
    }
    child.unref();
    return child.pid;
  }

  /** The last lines of this component's log. */
  logTail(lines = 40): string {
    return lastLines(this.logFile, lines);
  }

  /**
   * Polls `isReady` until it answers true; throws a {@link ComponentStartError} with the log tail when the
   * process exits first or `timeoutMs` runs out. `describeLastProbe` adds what the probe last saw to the error.
   */
  async waitReady(isReady: () => Promise<boolean>, timeoutMs: number, describeLastProbe: () => string = () => ""): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#exitStatus !== undefined) {
        const { code, signal } = this.#exitStatus;
        throw new ComponentStartError(this.name, `exited before it was ready (code ${code}, signal ${signal})`, this.logFile, this.logTail());
      }
      if (await isReady().catch(() => false)) return;
      if (Date.now() >= deadline) {
        const probe = describeLastProbe();
        throw new ComponentStartError(this.name, `was not ready within ${timeoutMs / 1000} s${probe ? ` (${probe})` : ""}`, this.logFile, this.logTail());
      }
      await sleep(100);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone (reaped). Safe to call when not running. */
  async stop(graceMs: number): Promise<ExitStatus | undefined> {
    const child = this.#child;
    const exited = this.#exited;
    if (child === undefined || exited === undefined || this.#exitStatus !== undefined) return this.#exitStatus;
    // Hold the event loop open until the exit is seen, or Node could quit mid-teardown (the child is unref'd).
    child.ref();
    this.signal("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<"grace-over">((resolve) => {
      timer = setTimeout(() => resolve("grace-over"), graceMs);
    });
    const first = await Promise.race([exited, graceOver]);
    clearTimeout(timer);
    if (first !== "grace-over") return first;
    this.signal("SIGKILL");
    // SIGKILL cannot be caught, but a process stuck in the kernel (D state) outlives it: say so rather than hang.
    const killWait = new Promise<"stuck">((resolve) => {
      timer = setTimeout(() => resolve("stuck"), SIGKILL_WAIT_MS);
    });
    const second = await Promise.race([exited, killWait]);
    clearTimeout(timer);
    if (second === "stuck") throw new Error(`${this.name} (pid ${child.pid}) did not exit within ${SIGKILL_WAIT_MS / 1000} s of SIGKILL`);
    return second;
  }

  /** Sends `signal` to the component's process group (it is the group leader), synchronously; for exit hooks. */
  signal(signal: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    }
  }
}
