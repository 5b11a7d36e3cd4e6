/** The `run` command any runtime operator shares: its flags are checked before anything is built, under the operator's own name. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createMySQLOperator } from "../../../src/mysql/operator.ts";
import { runOperator, type OperatorDefinition, type OperatorRunOptions } from "../../../src/cli/run/operator-command.ts";

/** An operator other than mysqlop, built by `create`. */
function mariadbOperator(create: OperatorDefinition["create"]): OperatorDefinition {
  return {
    program: "mariadb-operator",
    kind: "MariaDB",
    defaultLeaseNamespace: "mariadb-operator-system",
    defaultWorkers: 4,
    userAgent: "mariadb-operator/0.0.1",
    create,
  };
}

/** Runs `body` with console.error captured; the lines it printed. */
async function errorsOf(body: () => Promise<void>): Promise<string[]> {
  const errors: string[] = [];
  const { error } = console;
  console.error = (...args: unknown[]) => void errors.push(args.join(" "));
  try {
    await body();
  } finally {
    console.error = error;
  }
  return errors;
}

test("a bad flag value names the operator's program and the flag, exits 2, and builds no Manager", async () => {
  let built = 0;
  const definition = mariadbOperator(() => {
    built += 1;
    throw new Error("not built on a usage error");
  });
  const errors = await errorsOf(async () => {
    assert.equal(await runOperator(["--workers", "0"], definition), 2);
    assert.equal(await runOperator(["--burst", "3"], definition), 2);
    assert.equal(await runOperator(["--bogus"], definition), 2);
  });
  assert.equal(built, 0);
  assert.match(errors[0]!, /^mariadb-operator run: --workers must be a whole number of at least 1, got "0"$/);
  assert.match(errors[1]!, /^mariadb-operator run: --burst needs --qps/);
  assert.match(
    errors[2]!,
    /^mariadb-operator run: Unknown option '--bogus'[\s\S]*usage: mariadb-operator run [\s\S]*MariaDB resources reconciled at once \(default 4\)/,
  );
});

test("--max-connections reaches the Manager's options; a value that is not a whole number of at least 1 is refused", async () => {
  const seen: OperatorRunOptions[] = [];
  const definition = mariadbOperator((options) => {
    seen.push(options);
    throw new Error("stop after create");
  });
  await assert.rejects(runOperator(["--max-connections", "8", "--no-leader-elect"], definition), /stop after create/);
  await assert.rejects(runOperator(["--no-leader-elect"], definition), /stop after create/);
  assert.deepEqual(
    seen.map((o) => o.maxConnections),
    [8, undefined],
  );
  const errors = await errorsOf(async () => {
    assert.equal(await runOperator(["--max-connections", "0"], definition), 2);
    assert.equal(await runOperator(["--max-connections", "2.5"], definition), 2);
  });
  assert.match(errors[0]!, /^mariadb-operator run: --max-connections must be a whole number of at least 1, got "0"$/);
  assert.match(errors[1]!, /^mariadb-operator run: --max-connections must be a whole number of at least 1, got "2.5"$/);
  assert.equal(seen.length, 2, "no Manager built on a usage error");
});

test("a kubeconfig that is not there, or none at all, is one sentence naming the way out (exit 2), not a stack trace or a retry against localhost:8080", async () => {
  // Found by a review: --kubeconfig /nonexistent died with ENOENT's stack, and with no kubeconfig at all client-node's
  // last resort (http://localhost:8080) was retried for ever.
  const definition = mariadbOperator((options) => createMySQLOperator(options));
  const saved = { KUBECONFIG: process.env["KUBECONFIG"], HOME: process.env["HOME"] };
  const home = await mkdtemp(join(tmpdir(), "no-kube-home-"));
  try {
    delete process.env["KUBECONFIG"];
    process.env["HOME"] = home;
    const errors = await errorsOf(async () => {
      assert.equal(await runOperator(["--kubeconfig", join(home, "absent.yaml"), "--no-leader-elect"], definition), 2);
      // No token file of a ServiceAccount on this machine: client-node would fall back to http://localhost:8080.
      if (!existsSync("/var/run/secrets/kubernetes.io/serviceaccount/token")) assert.equal(await runOperator(["--no-leader-elect"], definition), 2);
      process.env["KUBECONFIG"] = join(home, "also-absent.yaml");
      assert.equal(await runOperator(["--no-leader-elect"], definition), 2);
    });
    assert.match(errors[0] ?? "", /^mariadb-operator run: cannot read the kubeconfig .*absent\.yaml: no such file$/);
    if (errors.length === 3)
      assert.match(errors[1] ?? "", /^mariadb-operator run: no kubeconfig: pass --kubeconfig PATH, set KUBECONFIG, or write ~\/\.kube\/config/);
    assert.match(errors.at(-1) ?? "", /^mariadb-operator run: cannot read the kubeconfig KUBECONFIG .*also-absent\.yaml: no such file$/);
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await rm(home, { recursive: true, force: true });
  }
});
