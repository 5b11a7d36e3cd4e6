/** The one argument parser of the `mysqlop` commands: help exits 0, a usage error names the problem and exits 2. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCommandArgs, usageError } from "../../src/cli/args.ts";

/** Runs `fn` with console.log/error captured. */
function captured<T>(fn: () => T): { result: T; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...args: unknown[]) => void out.push(args.join(" "));
  console.error = (...args: unknown[]) => void err.push(args.join(" "));
  try {
    return { result: fn(), out: out.join("\n"), err: err.join("\n") };
  } finally {
    Object.assign(console, { log, error });
  }
}

const HELP = "usage: mysqlop demo [--name N] [--flag]";
const OPTIONS = { name: { type: "string" }, flag: { type: "boolean", default: false } } as const;

test("values and positionals come back typed; defaults apply", () => {
  const { result } = captured(() => parseCommandArgs("demo", HELP, ["--name", "x", "a.yaml"], OPTIONS, true));
  assert.ok(result.exitCode === undefined);
  assert.equal(result.values.name, "x");
  assert.equal(result.values.flag, false);
  assert.deepEqual(result.positionals, ["a.yaml"]);
});

test("-h and --help print the help on stdout and exit 0", () => {
  for (const flag of ["-h", "--help"]) {
    const { result, out, err } = captured(() => parseCommandArgs("demo", HELP, [flag], OPTIONS));
    assert.equal(result.exitCode, 0);
    assert.equal(out, HELP);
    assert.equal(err, "");
  }
});

test("an unknown flag, a missing value or an unexpected positional: the problem and the help on stderr, exit 2", () => {
  const table: [string[], RegExp][] = [
    [["--nope"], /^mysqlop demo: Unknown option '--nope'/],
    [["--name"], /^mysqlop demo: Option '--name <value>' argument missing/],
    [["stray"], /^mysqlop demo: Unexpected argument 'stray'/],
  ];
  for (const [argv, want] of table) {
    const { result, out, err } = captured(() => parseCommandArgs("demo", HELP, argv, OPTIONS));
    assert.equal(result.exitCode, 2, argv.join(" "));
    assert.match(err, want);
    assert.ok(err.endsWith(HELP), "the help follows the problem");
    assert.equal(out, "");
  }
  const { result, err } = captured(() => usageError("demo", "--name must not be empty"));
  assert.equal(result, 2);
  assert.equal(err, "mysqlop demo: --name must not be empty");
});

test("another program's command (a scaffolded operator's run) names that program in its usage errors", () => {
  const { result, err } = captured(() => parseCommandArgs("run", HELP, ["--nope"], OPTIONS, false, "mariadb-operator"));
  assert.equal(result.exitCode, 2);
  assert.match(err, /^mariadb-operator run: Unknown option '--nope'/);
  assert.match(captured(() => usageError("run", "bad", undefined, "mariadb-operator")).err, /^mariadb-operator run: bad$/);
});
