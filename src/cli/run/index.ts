/** `mysqlop run`: the MySQL operator as a foreground process (the generic `run` of `operator-command.ts`). */
import { MYSQL_OPERATOR_NAMESPACE } from "../../../generated/mysql-constants.ts";
import { createMySQLOperator, DEFAULT_WORKERS } from "../../mysql/operator.ts";
import { mysqlopUserAgent } from "../package-info.ts";
import { runOperator } from "./operator-command.ts";

/** `mysqlop run`. */
export function run(argv: string[]): Promise<number> {
  return runOperator(argv, {
    program: "mysqlop",
    kind: "MySQL",
    defaultLeaseNamespace: MYSQL_OPERATOR_NAMESPACE,
    defaultWorkers: DEFAULT_WORKERS,
    userAgent: mysqlopUserAgent(),
    create: createMySQLOperator,
  });
}
