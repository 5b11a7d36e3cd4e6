/** The MySQL operator in the test's own process, on a control plane with mysqlop's CRD and RBAC: how the integration tests run it. */
import { CustomObjectsApi } from "@kubernetes/client-node";
import { MYSQL_GROUP, MYSQL_PLURAL, MYSQL_VERSION } from "../../generated/mysql-constants.ts";
import type { MySQL } from "../../generated/mysql-models.ts";
import { createMySQLOperator, type MySQLOperatorOptions } from "../../src/mysql/operator.ts";
import { createJsonLogger, type Manager } from "../../src/runtime/index.ts";
import type { MysqlopControlPlane } from "./control-plane.ts";
import { orUndefined } from "./not-found.ts";

/** A started operator and what it logged. */
export interface OperatorUnderTest {
  readonly manager: Manager;
  /** Every JSON log line, in order. */
  readonly logs: string[];
  /** Stops it (in `after`), and prints the log lines that mention a refused request: a right the generated RBAC lacks. */
  stop(): Promise<void>;
}

/** Starts the operator as its generated ServiceAccount (`env.operator`), without a probe server, logging into memory. */
export function startOperator(env: MysqlopControlPlane, options: Omit<MySQLOperatorOptions, "kubeConfig" | "logger"> = {}): OperatorUnderTest {
  const logs: string[] = [];
  const manager = createMySQLOperator({
    kubeConfig: env.operator.kubeConfig,
    probePort: false,
    logger: createJsonLogger({ level: "info", write: (line) => void logs.push(line) }),
    ...options,
  });
  const running = manager.start();
  return {
    manager,
    logs,
    stop: async () => {
      await manager.stop();
      await running.catch(() => {});
      const forbidden = logs.filter((line) => /forbidden|\b403\b/i.test(line));
      if (forbidden.length > 0) console.log(`# operator log lines mentioning 403:\n${forbidden.slice(0, 5).join("\n")}`);
    },
  };
}

/** The MySQL resource `namespace/name` as the API server has it now, or `undefined`. */
export function readMySQL(env: MysqlopControlPlane, namespace: string, name: string): Promise<MySQL | undefined> {
  const custom = env.cp.kubeConfig.makeApiClient(CustomObjectsApi);
  return orUndefined(custom.getNamespacedCustomObject({ group: MYSQL_GROUP, version: MYSQL_VERSION, namespace, plural: MYSQL_PLURAL, name }) as Promise<MySQL>);
}
