/**
 * The password-change Job's command, option file and SQL against a real MariaDB server:
 * hostile passwords (quotes, backslashes, `#`, `$(...)`, newlines, non-ASCII) are set
 * exactly, and only the new password opens the server afterwards.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { PASSWORD_CHANGE_FILES, passwordChangeCommand } from "../../../src/mysql/desired/index.ts";
import { clientOptionFile, passwordChangeSql, sqlString } from "../../../src/mysql/sql.ts";
import { mariaDbAvailable, runCommand, startMariaDb } from "../../helpers/mariadb.ts";

const available = mariaDbAvailable();
if (!available) console.log("# SKIPPED password-change integration: Debian mariadb-server/mariadb-client are not installed (CI installs them)");
const options = { skip: available ? false : "mariadb-server is not installed", timeout: 120_000 };

/** A MariaDB server whose root@'%' opens with `password`, and a folder for the Job's files; both gone after the test. */
async function serverWithRoot(t: TestContext, password: string) {
  const server = await startMariaDb();
  t.after(() => server.stop());
  const dir = await mkdtemp(join(tmpdir(), "mysqlop-password-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await server.sql(`SET SESSION sql_mode = ''; CREATE USER 'root'@'%' IDENTIFIED BY ${sqlString(password)}; GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;`);
  return { server, dir };
}

test("password change against a real MariaDB: hostile passwords are set exactly", options, async (t) => {
  const passwords = [
    "otuspassword",
    `it's "quoted" #not-a-comment`,
    "back\\slash\\\\ and \\n",
    "$(touch /tmp/mysqlop-pwned); rm -rf / `id`",
    "  spaces around  ",
    "new\nline",
    "données 数据 🔑",
    "'; DROP USER 'root'@'%'; --",
  ];
  const first = passwords[0]!;
  const { server, dir } = await serverWithRoot(t, first);

  async function connectsWith(password: string): Promise<{ ok: boolean; detail: string }> {
    const cnf = join(dir, "probe.cnf");
    await writeFile(cnf, clientOptionFile("127.0.0.1", password, server.port), { mode: 0o600 });
    const result = await runCommand("mariadb", [`--defaults-extra-file=${cnf}`, "--batch", "--skip-column-names", "--execute=SELECT CURRENT_USER()"]);
    return { ok: result.code === 0 && result.stdout.trim() === "root@%", detail: result.stderr || result.stdout };
  }

  assert.ok((await connectsWith(first)).ok, "the starting password works");
  let current = first;
  for (const target of passwords.slice(1)) {
    await writeFile(join(dir, PASSWORD_CHANGE_FILES.client), clientOptionFile("127.0.0.1", current, server.port), { mode: 0o600 });
    await writeFile(join(dir, PASSWORD_CHANGE_FILES.sql), passwordChangeSql(target), { mode: 0o600 });
    const [shell, ...args] = passwordChangeCommand(dir);
    const run = await runCommand(shell!, args);
    assert.equal(run.code, 0, `changing to ${JSON.stringify(target)}: ${run.stderr}`);
    const withNew = await connectsWith(target);
    assert.ok(withNew.ok, `the new password ${JSON.stringify(target)} opens the server: ${withNew.detail}`);
    assert.equal((await connectsWith(current)).ok, false, `the old password ${JSON.stringify(current)} no longer works`);
    current = target;
  }
  assert.ok((await connectsWith(current)).ok);
  const users = await runCommand("mariadb", [
    `--defaults-extra-file=${join(dir, "probe.cnf")}`,
    "--batch",
    "--skip-column-names",
    "--execute=SELECT COUNT(*) FROM mysql.user WHERE user = 'root'",
  ]);
  assert.equal(users.code, 0, users.stderr);
  assert.ok(Number(users.stdout.trim()) >= 1, "no statement escaped its literal (root still exists)");
});

test(
  "a password change the server refuses (an old server without ALTER USER IF EXISTS): the Job's output names the error, never the statement with the password",
  options,
  async (t) => {
    const current = "otuspassword";
    const target = "S3cret-never-in-logs";
    const { server, dir } = await serverWithRoot(t, current);
    await writeFile(join(dir, PASSWORD_CHANGE_FILES.client), clientOptionFile("127.0.0.1", current, server.port), { mode: 0o600 });
    // What a server that does not know `IF EXISTS` there meets: a syntax error, whose message quotes the statement.
    await writeFile(join(dir, PASSWORD_CHANGE_FILES.sql), passwordChangeSql(target).replaceAll("ALTER USER IF EXISTS", "ALTER USER IF NOT_KNOWN"), {
      mode: 0o600,
    });
    const [shell, ...args] = passwordChangeCommand(dir);
    const run = await runCommand(shell!, args);
    assert.notEqual(run.code, 0, `exit 0 on a refused change: ${run.stdout}${run.stderr}`);
    const output = run.stdout + run.stderr;
    assert.ok(!output.includes(target), `the output (the pod's log and termination message) holds the password: ${output}`);
    assert.match(output, /ERROR 1064 \(42000\)/, "the error is named");
  },
);

test(
  "a password change tries the fallback passwords while the server says 'access denied': the new one (set by an attempt cut short) and those of earlier changes that did not finish",
  options,
  async (t) => {
    const recorded = "pw-recorded";
    const earlier = "pw-of-a-failed-change";
    const target = "pw-target";
    const { server, dir } = await serverWithRoot(t, earlier);
    async function change(current: string, fallbacks: string[], to: string): Promise<{ code: number; output: string }> {
      await writeFile(join(dir, PASSWORD_CHANGE_FILES.client), clientOptionFile("127.0.0.1", current, server.port, fallbacks), { mode: 0o600 });
      await writeFile(join(dir, PASSWORD_CHANGE_FILES.sql), passwordChangeSql(to), { mode: 0o600 });
      const [shell, ...args] = passwordChangeCommand(dir);
      const run = await runCommand(shell!, args);
      return { code: run.code ?? -1, output: run.stdout + run.stderr };
    }
    const opens = async (password: string): Promise<boolean> => {
      const cnf = join(dir, "probe.cnf");
      await writeFile(cnf, clientOptionFile("127.0.0.1", password, server.port), { mode: 0o600 });
      return (await runCommand("mariadb", [`--defaults-extra-file=${cnf}`, "--batch", "--execute=SELECT 1"])).code === 0;
    };

    // The server has the password of an earlier change whose Job failed after setting it; the credentials the older one.
    const run = await change(recorded, [target, earlier], target);
    assert.equal(run.code, 0, run.output);
    assert.ok(await opens(target), "the new password opens the server");
    assert.equal(await opens(earlier), false);

    // A retried attempt after one that set the password and was cut short: the new password opens the server already.
    assert.equal((await change(recorded, [target], target)).code, 0);
    assert.ok(await opens(target));

    // None of them: ERROR 1045, named without any password.
    const none = await change(recorded, [earlier, "another"], "never-set");
    assert.notEqual(none.code, 0);
    assert.match(none.output, /ERROR 1045 \(28000\).*none of the root passwords tried opens the server/s);
    for (const password of [recorded, earlier, "another", "never-set"])
      assert.ok(!none.output.includes(password), `the output holds ${password}: ${none.output}`);
    assert.ok(await opens(target), "unchanged");
  },
);
