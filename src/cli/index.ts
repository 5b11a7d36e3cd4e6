/** The CLI as a library (`generator-mysqlop/cli`): run any `mysqlop` command in-process. */
export { main } from "./cli.ts";
export { commands } from "./commands.ts";
export type { CommandEntry, CommandModule } from "./command.ts";
export { mysqlopUserAgent, mysqlopVersion, packageRoot } from "./package-info.ts";
export { runOperator, type OperatorDefinition, type OperatorRunOptions } from "./run/operator-command.ts";
