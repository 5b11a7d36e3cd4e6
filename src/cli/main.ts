#!/usr/bin/env node
import { commands } from "./commands.ts";

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: mysqlop <command> [options]\n\ncommands:\n${lines.join("\n")}\n\nRun 'mysqlop <command> --help' for a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name === undefined ? 1 : 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (entry === undefined) {
    console.error(`mysqlop: unknown command '${name}'\n\n${usage()}`);
    return 1;
  }
  const command = await entry.load();
  return command.run(rest);
}

process.exitCode = await main(process.argv.slice(2));
