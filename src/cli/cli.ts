/** The `mysqlop` dispatcher: picks a command from a table and runs it, loading only that command's code. */
import type { CommandEntry } from "./command.ts";
import { mysqlopVersion } from "./package-info.ts";

function usage(commands: readonly CommandEntry[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: mysqlop <command> [options]\n       mysqlop --version\n\ncommands:\n${lines.join("\n")}\n\nRun 'mysqlop <command> --help' for a command's options.`;
}

/** Runs `argv` (the arguments after `mysqlop`) against `commands`; resolves to the process exit code. */
export async function main(argv: readonly string[], commands: readonly CommandEntry[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-v" || name === "version") {
    console.log(mysqlopVersion());
    return 0;
  }
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage(commands));
    return name === undefined ? 1 : 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (entry === undefined) {
    console.error(`mysqlop: unknown command '${name}'\n\n${usage(commands)}`);
    return 1;
  }
  const command = await entry.load();
  return command.run(rest);
}
