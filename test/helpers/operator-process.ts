// The operator for integration tests: in the test's own process (a runtime Manager, as the operator's
// ServiceAccount), or as a separate `mysqlop run` process that a test can SIGKILL at any point and start again.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { MYSQL_GROUP, MYSQL_PLURAL, MYSQL_VERSION } from "../../generated/mysql-constants.ts";
import type { MySQL } from "../../generated/mysql-models.ts";
import { createMySQLOperator, type MySQLOperatorOptions } from "../../src/mysql/operator.ts";
import { createJsonLogger, type Manager } from "../../src/runtime/index.ts";
import { REPO_ROOT, type MysqlopControlPlane } from "./control-plane.ts";
import { eventually } from "./eventually.ts";
import { orUndefined } from "./not-found.ts";

/** An operator started by {@link startInProcessOperator}. */
export interface InProcessOperator {
  readonly manager: Manager;
  /** Every JSON log line, in order. */
  readonly logs: string[];
  /** Stops it (in `after`), and prints the log lines that mention a refused request: a right the generated RBAC lacks. */
  stop(): Promise<void>;
}

/**
 * The operator running in this process as the operator's ServiceAccount (more Manager options in `options`);
 * `stop()` stops it and prints any log line about a 403 (a missing permission).
 */
export function startInProcessOperator(
  env: MysqlopControlPlane,
  options: Omit<MySQLOperatorOptions, "kubeConfig" | "probePort" | "logger"> = {},
): InProcessOperator {
  const logs: string[] = [];
  const manager = createMySQLOperator({
    ...options,
    kubeConfig: env.operator.kubeConfig,
    probePort: false,
    logger: createJsonLogger({ level: "info", write: (line) => void logs.push(line) }),
  });
  const running = manager.start();
  return {
    manager,
    logs,
    stop: async () => {
      await manager.stop();
      await running.catch(() => {});
      const forbidden = logs.filter((l) => l.includes("forbidden") || l.includes("403"));
      if (forbidden.length > 0) console.log(`# operator log lines mentioning 403:\n${forbidden.slice(0, 5).join("\n")}`);
    },
  };
}

/** The sum of a metric over all its label sets (the operator's writes, its reconciles). */
export async function metricTotal(metric: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);
}

/** The MySQL resource `namespace/name` as the API server has it now, or `undefined`. */
export function readMySQL(env: MysqlopControlPlane, namespace: string, name: string): Promise<MySQL | undefined> {
  const custom = env.cp.kubeConfig.makeApiClient(CustomObjectsApi);
  return orUndefined(custom.getNamespacedCustomObject({ group: MYSQL_GROUP, version: MYSQL_VERSION, namespace, plural: MYSQL_PLURAL, name }) as Promise<MySQL>);
}

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
