/**
 * The one argument parser of every `mysqlop` command: node's `util.parseArgs` (strict), plus what
 * each command used to write again — `-h/--help` prints the command's help and exits 0, a usage
 * error names the problem above the help and exits 2.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** The options of one command, as `util.parseArgs` declares them (`--help` is added). */
export type CommandOptions = NonNullable<ParseArgsConfig["options"]>;

type Parsed<O extends CommandOptions> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: true }>>;

/** Parsed arguments, or the exit code the command returns at once (help shown, or a usage error). */
export type ParsedArgs<O extends CommandOptions> =
  { readonly values: Parsed<O>["values"]; readonly positionals: string[]; readonly exitCode?: undefined } | { readonly exitCode: number };

/**
 * Prints `PROGRAM COMMAND: message` (and the help, when given) to stderr; returns the usage-error exit code, 2.
 * `program` is `mysqlop` but for the `run` command of an operator `yo mysqlop` scaffolded, which has a name of its own.
 */
export function usageError(command: string, message: string, help?: string, program = "mysqlop"): number {
  console.error(`${program} ${command}: ${message}${help === undefined ? "" : `\n\n${help}`}`);
  return 2;
}

/** Parses `argv` for `PROGRAM COMMAND` (see the module comment); positionals are refused unless `allowPositionals`. */
export function parseCommandArgs<const O extends CommandOptions>(
  command: string,
  help: string,
  argv: readonly string[],
  options: O,
  allowPositionals = false,
  program = "mysqlop",
): ParsedArgs<O> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { ...options, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals });
  } catch (error) {
    return { exitCode: usageError(command, (error as Error).message, help, program) };
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    console.log(help);
    return { exitCode: 0 };
  }
  return { values: parsed.values as Parsed<O>["values"], positionals: parsed.positionals };
}
