// `mysqlop run` as a separate process, so that a test can SIGKILL it at any point and start it again.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./control-plane.ts";
import { eventually } from "./eventually.ts";

/** A restartable operator process; its output (JSON log lines) is kept across runs. */
export class OperatorProcess {
  readonly #kubeconfig: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  /** Everything every run printed. */
  output = "";
  /** How many runs were started. */
  starts = 0;

  constructor(kubeconfigPath: string) {
    this.#kubeconfig = kubeconfigPath;
  }

  /**
   * Starts a run (without leader election, so that a restart after SIGKILL need not wait out the dead run's lease)
   * and waits until its workers start (its caches are synced then).
   */
  async start(): Promise<void> {
    const mark = this.output.length;
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, "src/cli/main.ts"), "run", "--kubeconfig", this.#kubeconfig, "--probe-port", "0", "--no-leader-elect"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.#child = child;
    this.starts++;
    child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.#exited = new Promise((resolve) => child.once("exit", () => resolve()));
    await eventually(
      "the operator's caches synced",
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the operator exited: ${this.output.slice(mark).slice(-2000)}`);
        return this.output.slice(mark).includes('"msg":"starting workers"');
      },
      60_000,
    );
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(): Promise<void> {
    this.#child?.kill("SIGKILL");
    await this.#exited;
    this.#child = undefined;
  }

  /** SIGTERM (an orderly stop), falling back to SIGKILL. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await this.#exited;
    clearTimeout(timer);
    this.#child = undefined;
  }
}
