// The operator process: `node src/main.ts run [--kubeconfig PATH] [--namespace NS] …` (`npm start -- --help`).
import { readFileSync } from "node:fs";
import { runOperator } from "generator-mysqlop/cli";
import { <%= constantPrefix %>_OPERATOR_NAMESPACE } from "../generated/<%= singular %>-constants.ts";
import { create<%= kind %>Operator, DEFAULT_WORKERS, OPERATOR_NAME } from "./operator.ts";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
const [command, ...args] = process.argv.slice(2);
if (command !== "run") {
  console.error(`usage: ${OPERATOR_NAME} run [--help]`);
  process.exitCode = 2;
} else {
  process.exitCode = await runOperator(args, {
    program: OPERATOR_NAME,
    kind: "<%= kind %>",
    defaultLeaseNamespace: <%= constantPrefix %>_OPERATOR_NAMESPACE,
    defaultWorkers: DEFAULT_WORKERS,
    userAgent: `${OPERATOR_NAME}/${version}`,
    create: create<%= kind %>Operator,
  });
}
