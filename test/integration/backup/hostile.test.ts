// Hostile database names and passwords are inert: each case round-trips, and the
// canaries an injection would create (a file in the scripts' working directory,
// a database named canary_*, a dropped guard database) prove nothing ran.
import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { BACKUP_FILES, ENV, EXIT_CODES, scriptPath } from "../../../src/mysql/scripts/index.ts";
import { mariaDbAvailable, startMariaDb, sqlIdentifier, sqlString, type MariaDbServer } from "../../helpers/mariadb.ts";
import { connectionEnv, createUser, installArgvRecorders, listDir, makeWorkspace, parseArgvLog, runScript, type Workspace } from "./harness.ts";

const skip = mariaDbAvailable() ? false : "SKIPPED: mariadbd/mariadb-install-db/mariadb/mariadb-dump not installed (bash .ci/run installs them)";

/** Given database names (all legal for MySQL: 1-64 characters, no / \ . NUL, no trailing space). */
const hostileNames: { why: string; name: string }[] = [
  { why: "hyphen (the original sample)", name: "otus-database" },
  { why: "single quote", name: "it's" },
  { why: "double quotes and space", name: 'say "hi" now' },
  { why: "backtick", name: "back`tick" },
  { why: "parameter expansion", name: "$HOME${PATH}$1" },
  { why: "command substitution", name: "$(touch pwned)" },
  { why: "backtick command substitution", name: "`touch pwned`" },
  { why: "shell separators", name: "a; touch pwned && touch pwned|cat" },
  { why: "glob characters", name: "*?[a-z]" },
  { why: "SQL string break-out", name: "x'; CREATE DATABASE canary_q; #" },
  { why: "SQL double-quote break-out", name: 'x"; CREATE DATABASE canary_dq; #' },
  { why: "SQL identifier break-out", name: "x`; CREATE DATABASE canary_bt; #" },
  { why: "identifier break-out that drops", name: "x`; DROP DATABASE guard; #" },
  { why: "newline into the dump's header comment", name: "n\nCREATE DATABASE canary_nl;\n-- " + "x" },
  { why: "newline and command substitution", name: "nl\n$(touch pwned)\n`touch pwned`" },
  { why: "carriage return and tab", name: "cr\rtab\tend" },
  { why: "looks like a client option", name: "--all-databases" },
  { why: "looks like a short option", name: "-e" },
  { why: "comment character", name: "#not-a-comment" },
  { why: "non-ASCII", name: "ünïcødé 日本語 ☃" },
];

/** Given passwords. Each carries a unique token so that a leak is found even in part. */
const hostilePasswords: { why: string; password: string }[] = [
  { why: "quotes", password: `it's "quoted"` },
  { why: "backslashes and escape-like text", password: 'back\\slash\\\\ \\n \\t \\s \\" end' },
  { why: "ends with a backslash", password: "trailing\\" },
  { why: "command substitution", password: "$(touch pwned)`touch pwned`" },
  { why: "parameter expansion", password: "$HOME ${PATH} $0 $$" },
  { why: "shell separators and comment", password: "; touch pwned; # comment" },
  { why: "option-file injection", password: '"\ninit-command=CREATE DATABASE canary_pw\n#' },
  { why: "option-file group injection", password: "\n[client]\nuser=root\nhost=nowhere\n" },
  { why: "leading and trailing spaces", password: "   spaced out   " },
  { why: "option-looking", password: "--password=x -p --init-command=CREATE DATABASE canary_opt" },
  { why: "tab and carriage return", password: "tab\tcr\rend" },
  { why: "single quote only", password: "'" },
  { why: "double quote only", password: '"' },
  { why: "starts with #", password: "#hash" },
  { why: "non-ASCII", password: "ünïcødé 日本 🐬" },
];

function metadataEscape(name: string): string {
  return name.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

describe("integration: hostile values are inert", { skip }, () => {
  let server: MariaDbServer;
  const workspaces: Workspace[] = [];
  async function workspace(): Promise<Workspace> {
    const ws = await makeWorkspace();
    workspaces.push(ws);
    return ws;
  }

  before(async () => {
    server = await startMariaDb();
    await server.sql("CREATE DATABASE guard; CREATE TABLE guard.keep (v varchar(10)); INSERT INTO guard.keep VALUES ('intact');");
  });
  after(async () => {
    for (const ws of workspaces) await ws.remove();
    await server?.stop();
  });

  /** The canaries: no file in any working directory, no canary_* database, the guard database intact. */
  async function assertCanaries(): Promise<void> {
    for (const ws of workspaces) assert.deepEqual(await readdir(ws.canaryDir), [], "no command ran in the scripts' working directory");
    assert.equal(await server.sql("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'canary%'"), "0\n");
    assert.equal(await server.sql("SELECT v FROM guard.keep"), "intact\n");
  }
  afterEach(assertCanaries);

  for (const [index, { why, name }] of hostileNames.entries()) {
    test(`database name: ${why}`, async () => {
      const ws = await workspace();
      const user = `names${index}`;
      const password = `name-case-${index}`;
      await createUser(server, user, password);
      const db = sqlIdentifier(name);
      await server.sql(
        `CREATE DATABASE ${db};\nCREATE TABLE ${db}.test (id int primary key, name varchar(100));\n` + `INSERT INTO ${db}.test VALUES (1, ${sqlString(name)});`,
      );
      const env = connectionEnv(server, user, password, name);

      const backup = await runScript("backup.sh", ws, env);
      assert.equal(backup.code, EXIT_CODES.ok, backup.stderr);
      const meta = await readFile(join(ws.backupDir, BACKUP_FILES.metadata), "utf8");
      assert.ok(meta.split("\n").includes(`database=${metadataEscape(name)}`), meta);
      await server.sql(`DROP DATABASE ${db}`);

      const restore = await runScript("restore.sh", ws, env);
      assert.equal(restore.code, EXIT_CODES.ok, restore.stderr);
      assert.equal(
        await server.sql(`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${sqlString(name)}`),
        `${name.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\t/g, "\\t")}\n`,
        "restored under exactly its name",
      );
      assert.equal(await server.sql(`SELECT name = ${sqlString(name)} FROM ${db}.test WHERE id = 1`), "1\n");

      // A second restore must refuse (the name is matched exactly, not as a pattern).
      const again = await runScript("restore.sh", ws, env);
      assert.equal(again.code, EXIT_CODES.notEmpty, again.stderr);
      await server.sql(`DROP DATABASE ${db}`);
    });
  }

  for (const [index, { why, password }] of hostilePasswords.entries()) {
    const token = `PWTOKEN${index}x`;
    const secret = `${password}${token}`;
    for (const via of ["MYSQL_PASSWORD", "MYSQL_PASSWORD_FILE"] as const) {
      test(`password via ${via}: ${why}`, async () => {
        const ws = await workspace();
        const log = await installArgvRecorders(ws);
        const user = `pw${index}${via === "MYSQL_PASSWORD" ? "e" : "f"}`;
        const db = `pwdb_${user}`;
        await createUser(server, user, secret);
        await server.sql(`CREATE DATABASE ${db}; CREATE TABLE ${db}.t (v int); INSERT INTO ${db}.t VALUES (${index});`);
        const env = connectionEnv(server, user, secret, db);
        if (via === "MYSQL_PASSWORD_FILE") {
          const file = join(ws.root, "password");
          await writeFile(file, secret, { mode: 0o600 });
          delete env[ENV.password];
          env[ENV.passwordFile] = file;
        }

        const backup = await runScript("backup.sh", ws, env);
        assert.equal(backup.code, EXIT_CODES.ok, backup.stderr);
        await server.sql(`DROP DATABASE ${db}`);
        const restore = await runScript("restore.sh", ws, env);
        assert.equal(restore.code, EXIT_CODES.ok, restore.stderr);
        assert.equal(await server.sql(`SELECT v FROM ${db}.t`), `${index}\n`);

        for (const output of [backup.stdout, backup.stderr, restore.stdout, restore.stderr]) {
          assert.ok(!output.includes(token), "the password is never printed");
        }
        const calls = parseArgvLog(await readFile(log, "utf8"));
        assert.ok(
          calls.some((call) => call.tool === "mariadb-dump"),
          "the dump tool ran through the recorder",
        );
        assert.ok(calls.filter((call) => call.tool === "mariadb").length >= 3, "the client ran through the recorder");
        for (const call of calls) {
          assert.ok(!call.args.join("\0").includes(token), `no password in argv of ${call.tool}`);
          assert.match(call.args[0] ?? "", /^--defaults-extra-file=/, "the option file comes first");
          assert.equal(call.cnfMode, "600", "option file readable by its owner only");
          assert.equal(call.cnfDirMode, "700", "option file in a private directory");
          assert.equal(call.passwordInEnv, false, "MYSQL_PASSWORD is not passed on to the client tools");
        }
        assert.deepEqual(await listDir(ws.tmpDir), [], "the option file is removed");
        await server.sql(`DROP DATABASE ${db}`);
      });
    }
  }

  test("hostile BACKUP_DIR and TMPDIR paths are inert too", async () => {
    const ws = await workspace();
    const backupDir = join(ws.root, "backup $(touch pwned) `touch pwned` *;\n'\"");
    const tmpDir = join(ws.root, "tmp $(touch pwned) ?;\n'\"");
    await mkdir(backupDir);
    await mkdir(tmpDir);
    await createUser(server, "paths", "paths-pw");
    await server.sql("CREATE DATABASE paths; CREATE TABLE paths.t (v int); INSERT INTO paths.t VALUES (42);");
    const env = { ...connectionEnv(server, "paths", "paths-pw", "paths"), [ENV.backupDir]: backupDir, TMPDIR: tmpDir };
    const backup = await runScript("backup.sh", ws, env);
    assert.equal(backup.code, EXIT_CODES.ok, backup.stderr);
    assert.deepEqual(await listDir(backupDir), [BACKUP_FILES.dump, BACKUP_FILES.metadata].sort());
    await server.sql("DROP DATABASE paths");
    const restore = await runScript("restore.sh", ws, env);
    assert.equal(restore.code, EXIT_CODES.ok, restore.stderr);
    assert.equal(await server.sql("SELECT v FROM paths.t"), "42\n");
    assert.deepEqual(await listDir(tmpDir), []);
    await server.sql("DROP DATABASE paths");
  });

  test("ps view: no process's command line or environment holds the password while a backup runs", async () => {
    const ws = await workspace();
    const token = "PSTOKENq7";
    const secret = `ps "visible?" ${token}`;
    await createUser(server, "ps_watch", secret);
    await server.sql(
      "CREATE DATABASE ps_watch; CREATE TABLE ps_watch.big (id int primary key, payload varchar(600));\n" +
        "USE ps_watch; INSERT INTO big SELECT seq, REPEAT(SHA2(seq, 256), 8) FROM seq_1_to_60000;",
    );
    const seen = { dumpProcesses: 0, leaks: [] as string[] };
    let running = true;
    // What `ps -ef` / `ps e` would show: /proc/PID/cmdline and /proc/PID/environ of
    // every process. Only the script's own shell (and its forks before they exec)
    // may hold the password, in its environment: that is how a Secret arrives.
    const scriptShell = `/bin/sh\0${scriptPath("backup.sh")}\0`;
    const sample = async (): Promise<void> => {
      while (running) {
        for (const pid of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
          const cmdline = readProc(pid, "cmdline");
          const environ = readProc(pid, "environ");
          if (cmdline === undefined || environ === undefined) continue; // ended meanwhile
          if (/(^|\/)mariadb-dump\0/.test(cmdline)) seen.dumpProcesses++;
          if (cmdline.includes(token)) seen.leaks.push(`argv of ${cmdline}`);
          if (environ.includes(token) && cmdline !== scriptShell) seen.leaks.push(`environment of ${cmdline}`);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const sampler = sample();
    const backup = await runScript("backup.sh", ws, connectionEnv(server, "ps_watch", secret, "ps_watch"));
    running = false;
    await sampler;
    assert.equal(backup.code, EXIT_CODES.ok, backup.stderr);
    assert.ok(seen.dumpProcesses > 0, "the sampler saw the dump tool running");
    assert.deepEqual(seen.leaks, []);
    await server.sql("DROP DATABASE ps_watch");
  });
});

function readProc(pid: string, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "latin1");
  } catch {
    return undefined;
  }
}
