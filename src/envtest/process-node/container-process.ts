/**
 * One run of one container on the process node: a sandbox (fresh mount, UTS and PID namespaces set up by
 * `sandbox.sh`, its PID 1 holding them like a pause container), then the container's command joining those
 * namespaces with `nsenter` and taking the pod's user with `setpriv`. The command and its arguments run
 * unmodified; the environment is handed to it directly (never through a shell or a file).
 *
 * Nothing outlives the node: every process is started under `setpriv --pdeathsig KILL` (the kernel kills it when
 * the node agent dies, however it dies) and the sandbox under `unshare --kill-child`, whose death kills the
 * namespace's PID 1 and with it every process in the namespace; the mounts vanish with the namespace.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { identify, processStartTime, signalIfSame, type KnownProcess } from "../process-identity.ts";
import type { ImageDirectory, ImageUser } from "./local-images.ts";

/** How long the sandbox may take to go after its PID 1 was killed before unshare is killed too. */
const SANDBOX_EXIT_WAIT_MS = 5_000;

/** Absolute paths of the machine's programs the node runs containers with (util-linux). */
export interface NodeTools {
  unshare: string;
  nsenter: string;
  setpriv: string;
  sh: string;
  /** `sandbox.sh` beside this file. */
  sandboxScript: string;
}

/** One bind mount into the container. */
export interface SandboxMount {
  /** A directory or file of the node. */
  source: string;
  /** The absolute path inside the container. */
  target: string;
  readOnly: boolean;
}

/** What `sandbox.sh` sets up. */
export interface SandboxPlan {
  /** The run's own directory: the root and its writable layer are mounted below it. */
  containerDir: string;
  readOnlyRoot: boolean;
  mounts: SandboxMount[];
  workingDir: string;
  hostname: string;
  /** Accounts of the container's image (see local-images.ts). */
  users?: readonly ImageUser[];
  /** Directories of the container's image. */
  directories?: readonly ImageDirectory[];
}

/** Who the command runs as, and with which privileges. */
export interface ProcessIdentity {
  uid: number;
  gid: number;
  /** Supplementary groups. */
  groups: number[];
  noNewPrivileges: boolean;
  /** Capability bounding set (names like `chown`), or `all` (privileged). */
  capabilities: string[] | "all";
}

/** Everything one container run needs. */
export interface ContainerLaunch {
  tools: NodeTools;
  plan: SandboxPlan;
  /** Command and arguments, already expanded. */
  command: string[];
  env: ReadonlyMap<string, string>;
  identity: ProcessIdentity;
  /** stdout and stderr of the command, appended. */
  logFile: string;
  /** Every process this run starts, right after it exists (for the pid record), and once it is gone. */
  onProcess: (pid: number, name: string) => void;
  onProcessGone: (pid: number) => void;
  /** Bound on the sandbox's set-up. */
  setupTimeoutMs: number;
}

/** How the command ended: its exit code (128 + signal number when a signal ended it, as a kubelet reports). */
export interface ContainerExit {
  exitCode: number;
  signal?: number;
}

/** The sandbox could not be set up or the command could not be started: `RunContainerError`. */
export class ContainerStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ContainerStartError";
  }
}

/** `text` single-quoted for POSIX sh: nothing inside is interpreted. */
export function shellQuote(text: string): string {
  if (text.includes("\0")) throw new Error("a NUL character cannot be passed to a shell");
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The plan file `sandbox.sh` sources: one call per line, every value quoted. */
export function renderPlan(plan: SandboxPlan): string {
  const lines = [`container_dir ${shellQuote(plan.containerDir)}`];
  if (plan.readOnlyRoot) lines.push("read_only_root");
  lines.push("root_fs");
  for (const u of plan.users ?? []) lines.push(`image_user ${shellQuote(u.name)} ${u.uid} ${u.gid} ${shellQuote(u.home)}`);
  for (const d of plan.directories ?? []) lines.push(`image_dir ${shellQuote(d.path)} ${d.mode.toString(8)} ${d.uid} ${d.gid}`);
  for (const m of plan.mounts) lines.push(`mount_volume ${shellQuote(m.source)} ${shellQuote(m.target)} ${m.readOnly ? "ro" : "rw"}`);
  lines.push(`working_dir ${shellQuote(plan.workingDir)}`, `host_name ${shellQuote(plan.hostname)}`, "");
  return lines.join("\n");
}

/** `setpriv` arguments that switch to `identity` (they end with `--`). */
export function setprivArgs(identity: ProcessIdentity): string[] {
  const args = [`--reuid=${identity.uid}`, `--regid=${identity.gid}`];
  args.push(identity.groups.length > 0 ? `--groups=${identity.groups.join(",")}` : "--clear-groups");
  if (identity.noNewPrivileges) args.push("--no-new-privs");
  if (identity.capabilities !== "all") {
    const set = ["-all", ...identity.capabilities.map((c) => `+${c}`)].join(",");
    args.push(`--bounding-set=${set}`, `--inh-caps=-all`);
  }
  args.push("--");
  return args;
}

/**
 * Arguments of `setpriv` that run `command` inside the container whose PID 1 is `nsPid`: dying with the node,
 * in its mount, UTS and PID namespaces, its root and working directory, as `identity`.
 */
function joinArgs(tools: NodeTools, nsPid: number, identity: ProcessIdentity, command: string[]): string[] {
  const enter = [tools.nsenter, `--target=${nsPid}`, "--mount", "--uts", "--pid", "--root", "--wd", "--"];
  return ["--pdeathsig=KILL", "--", ...enter, tools.setpriv, ...setprivArgs(identity), ...command];
}

function signalNumber(signal: NodeJS.Signals | null): number | undefined {
  return signal === null ? undefined : (constants.signals as Record<string, number>)[signal];
}

/** The children of `pid` (needs CONFIG_PROC_CHILDREN, which every common kernel has), else by scanning /proc. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter((p) => p !== "")
      .map(Number);
  } catch {
    return [];
  }
}

function exitOf(code: number | null, signal: NodeJS.Signals | null): ContainerExit {
  const number = signalNumber(signal);
  return number === undefined ? { exitCode: code ?? 255 } : { exitCode: 128 + number, signal: number };
}

/** A spawned helper that reports its exit once. */
function watch(child: ChildProcess): Promise<ContainerExit> {
  return new Promise((resolve) => {
    child.once("exit", (code, signal) => resolve(exitOf(code, signal)));
    child.once("error", () => resolve({ exitCode: 255 }));
  });
}

/** A running container: its sandbox and its command. */
export class ContainerProcess {
  /** How the command ended, once it did. */
  readonly exited: Promise<ContainerExit>;
  /** When the command started (RFC 3339). */
  readonly startedAt: string;
  readonly #command: ChildProcess;
  readonly #launch: ContainerLaunch;
  /** Host pid of the namespace's PID 1, through which commands join it. */
  readonly #nsPid: number;
  /** The namespace's PID 1 as a process, so that a late kill never hits a process that reused its pid. */
  readonly #ns: KnownProcess | undefined;
  #main: KnownProcess | undefined;

  private constructor(
    launch: ContainerLaunch,
    sandbox: ChildProcess,
    sandboxExit: Promise<ContainerExit>,
    nsPid: number,
    command: ChildProcess,
    exited: Promise<ContainerExit>,
  ) {
    this.#launch = launch;
    this.#nsPid = nsPid;
    this.#ns = identify(nsPid);
    this.#command = command;
    this.startedAt = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    // Resolves only once the sandbox is gone too: unshare reaps the namespace's PID 1 only after the kernel
    // removed every other process of the namespace, so nothing of the container is left then.
    this.exited = exited.then(async (exit) => {
      this.destroy();
      const stuck = setTimeout(() => sandbox.kill("SIGKILL"), SANDBOX_EXIT_WAIT_MS);
      await sandboxExit;
      clearTimeout(stuck);
      return exit;
    });
  }

  /** Sets up the sandbox and starts the command in it; a failure throws {@link ContainerStartError} and leaves nothing running. */
  static async start(launch: ContainerLaunch): Promise<ContainerProcess> {
    const { tools, plan } = launch;
    const planFile = join(plan.containerDir, "plan.sh");
    writeFileSync(planFile, renderPlan(plan), { mode: 0o600 });
    const sandbox = spawn(
      tools.setpriv,
      [
        "--pdeathsig=KILL",
        "--",
        tools.unshare,
        "--mount",
        "--propagation=private",
        "--uts",
        "--pid",
        "--fork",
        "--kill-child=KILL",
        "--",
        tools.sh,
        tools.sandboxScript,
        planFile,
      ],
      { stdio: ["ignore", "pipe", "pipe"], detached: true, env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } },
    );
    const sandboxExit = watch(sandbox);
    if (sandbox.pid !== undefined) launch.onProcess(sandbox.pid, "sandbox");
    void sandboxExit.then(() => sandbox.pid !== undefined && launch.onProcessGone(sandbox.pid));
    let nsPid: number;
    try {
      nsPid = await ContainerProcess.#waitSandbox(sandbox, sandboxExit, launch.setupTimeoutMs);
    } catch (error) {
      sandbox.kill("SIGKILL");
      await sandboxExit;
      throw error;
    }
    const fd = openSync(launch.logFile, "a");
    let command: ChildProcess;
    try {
      command = spawn(tools.setpriv, joinArgs(tools, nsPid, launch.identity, launch.command), {
        stdio: ["ignore", fd, fd],
        detached: true,
        env: Object.fromEntries(launch.env),
      });
    } finally {
      closeSync(fd);
    }
    const exited = watch(command);
    if (command.pid !== undefined) launch.onProcess(command.pid, "container");
    void exited.then(() => command.pid !== undefined && launch.onProcessGone(command.pid));
    const container = new ContainerProcess(launch, sandbox, sandboxExit, nsPid, command, exited);
    await container.#findMain();
    return container;
  }

  /** Resolves with the namespace's PID 1 once the sandbox printed "ready"; throws with its error output otherwise. */
  static async #waitSandbox(sandbox: ChildProcess, exit: Promise<ContainerExit>, timeoutMs: number): Promise<number> {
    let out = "";
    let err = "";
    sandbox.stdout?.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    sandbox.stderr?.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
    let ended = false;
    void exit.then(() => (ended = true));
    const deadline = Date.now() + timeoutMs;
    while (!out.includes("ready\n")) {
      if (ended) throw new ContainerStartError(`the sandbox failed: ${err.trim() || "no error output"}`);
      if (Date.now() > deadline) throw new ContainerStartError(`the sandbox was not set up within ${timeoutMs / 1000} s: ${err.trim()}`);
      await sleep(10);
    }
    // setpriv exec'd unshare, so the sandbox pid is unshare's; its only child is the namespace's PID 1, which printed
    // "ready" from inside the container's root and working directory (what nsenter --root --wd takes from it).
    const [nsPid] = childrenOf(sandbox.pid ?? 0);
    if (nsPid === undefined) throw new ContainerStartError("the sandbox has no PID 1");
    return nsPid;
  }

  /** The command's own pid: nsenter's child (nsenter forks to enter the PID namespace, and forwards no signal). */
  async #findMain(): Promise<void> {
    const nsenter = this.#command.pid;
    if (nsenter === undefined) return;
    for (let i = 0; i < 200 && this.#main === undefined; i++) {
      const [child] = childrenOf(nsenter);
      if (child !== undefined) this.#main = identify(child);
      else if (this.#command.exitCode !== null || this.#command.signalCode !== null) return;
      else await sleep(5);
    }
  }

  /** Host pid of the command (undefined if it ended before it could be seen). */
  get pid(): number | undefined {
    return this.#main?.pid;
  }

  /** Sends `signal` to the command while it runs (never to a process that reused its pid after it ended). */
  signal(signal: NodeJS.Signals): void {
    signalIfSame(this.#main, signal);
  }

  /** Kills the namespace's PID 1, and with it every process of the container; the mounts go with the namespaces. */
  destroy(): void {
    signalIfSame(this.#ns, "SIGKILL");
  }

  /** Runs `command` inside the container as its user (an `exec` probe); resolves with its exit code and output. */
  exec(command: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const { tools, identity, env } = this.#launch;
    // nsenter joins whatever process holds the pid now: once the container is gone, never another process's namespaces.
    if (this.#ns === undefined || processStartTime(this.#nsPid) !== this.#ns.startTime)
      return Promise.resolve({ exitCode: 255, output: "the container is gone" });
    return new Promise((resolve) => {
      const child = spawn(tools.setpriv, joinArgs(tools, this.#nsPid, identity, command), { stdio: ["ignore", "pipe", "pipe"], env: Object.fromEntries(env) });
      let output = "";
      child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
      child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      child.once("error", (error) => {
        clearTimeout(timer);
        resolve({ exitCode: 255, output: error.message });
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        resolve({ exitCode: signal === "SIGKILL" ? -1 : exitOf(code, signal).exitCode, output: output.slice(-1024) });
      });
    });
  }
}
