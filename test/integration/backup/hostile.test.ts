// Hostile database names and passwords are inert: each case round-trips, and the
// canaries an injection would create (a file in the scripts' working directory,
// a database named canary_*, a dropped guard database) prove nothing ran.
import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { BACKUP_FILES, CLIENT_TOOLS, ENV, EXIT_CODES, OPTIONAL_TOOLS, REQUIRED_TOOLS, type ScriptName } from "../../../src/mysql/scripts/index.ts";
import { mariaDbAvailable, startMariaDb, sqlIdentifier, sqlString, type MariaDbServer } from "../../helpers/mariadb.ts";
import { connectionEnv, connectionEnvVia, createUser, installProgramRecorders, listDir, makeWorkspace, runScript, type Workspace } from "./harness.ts";

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
        const recorded = await installProgramRecorders(ws, ["mariadb", "mariadb-dump"]);
        const user = `pw${index}${via === "MYSQL_PASSWORD" ? "e" : "f"}`;
        const db = `pwdb_${user}`;
        await createUser(server, user, secret);
        await server.sql(`CREATE DATABASE ${db}; CREATE TABLE ${db}.t (v int); INSERT INTO ${db}.t VALUES (${index});`);
        const env = await connectionEnvVia(server, ws, via, user, secret, db);

        const backup = await runScript("backup.sh", ws, env);
        assert.equal(backup.code, EXIT_CODES.ok, backup.stderr);
        await server.sql(`DROP DATABASE ${db}`);
        const restore = await runScript("restore.sh", ws, env);
        assert.equal(restore.code, EXIT_CODES.ok, restore.stderr);
        assert.equal(await server.sql(`SELECT v FROM ${db}.t`), `${index}\n`);

        for (const output of [backup.stdout, backup.stderr, restore.stdout, restore.stderr]) {
          assert.ok(!output.includes(token), "the password is never printed");
        }
        const calls = await recorded();
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
    assert.deepEqual(await listDir(backupDir), [BACKUP_FILES.dump, BACKUP_FILES.metadata, BACKUP_FILES.historyDir].sort());
    await server.sql("DROP DATABASE paths");
    const restore = await runScript("restore.sh", ws, env);
    assert.equal(restore.code, EXIT_CODES.ok, restore.stderr);
    assert.equal(await server.sql("SELECT v FROM paths.t"), "42\n");
    assert.deepEqual(await listDir(tmpDir), []);
    await server.sql("DROP DATABASE paths");
  });

  // Every program either script starts runs through a recorder (PATH holds nothing else), so
  // the check sees each program's environment as it started, whenever it ran: no sampling.
  for (const via of ["MYSQL_PASSWORD", "MYSQL_PASSWORD_FILE"] as const) {
    test(`no program started by backup.sh or restore.sh has the password (${via}) in its environment or argv`, async () => {
      const ws = await workspace();
      const token = `ENVTOKEN${via.length}q`;
      const secret = `env "visible?" ${token}`;
      const user = `env_${via.length}`;
      const db = `env_watch_${via.length}`;
      await createUser(server, user, secret);
      await server.sql(`CREATE DATABASE ${db}; CREATE TABLE ${db}.t (v int); INSERT INTO ${db}.t VALUES (1);`);
      const recorded = await installProgramRecorders(ws, [...REQUIRED_TOOLS, ...OPTIONAL_TOOLS, CLIENT_TOOLS.client[0], CLIENT_TOOLS.dump[0]]);
      const env = await connectionEnvVia(server, ws, via, user, secret, db);
      const run = async (script: ScriptName) => {
        const result = await runScript(script, ws, env, { path: ws.binDir });
        assert.equal(result.code, EXIT_CODES.ok, result.stderr);
      };
      await run("backup.sh");
      await server.sql(`DROP DATABASE ${db}`);
      await run("restore.sh");
      assert.equal(await server.sql(`SELECT v FROM ${db}.t`), "1\n");

      const calls = await recorded();
      const started = new Set(calls.map((call) => call.tool));
      for (const tool of ["mariadb", "mariadb-dump", "openssl", "mktemp", "date", "mv", "sync", "rm", "wc"])
        assert.ok(started.has(tool), `${tool} ran (ran: ${[...started].join(", ")})`);
      if (via === "MYSQL_PASSWORD_FILE") assert.ok(started.has("cat"), "cat read the password file");
      for (const call of calls) {
        assert.equal(call.passwordInEnv, false, `MYSQL_PASSWORD in the environment of ${call.tool} ${call.args.join(" ")}`);
        assert.deepEqual(
          call.env.filter((entry) => entry.includes(token)),
          [],
          `the password in the environment of ${call.tool}`,
        );
        assert.ok(!call.args.join("\0").includes(token), `the password in argv of ${call.tool}`);
      }
      await server.sql(`DROP DATABASE ${db}`);
    });
  }

  // The option-file reader reads a line in pieces of 4094 bytes (fgets into 4096) and parses
  // each piece as a line: a longer password="..." line would inject the rest as options.
  test("option-file line limit: a password line of 4094 bytes round-trips; one byte more is refused before anything runs", async () => {
    const ws = await workspace();
    await server.sql("CREATE DATABASE long_pw; CREATE TABLE long_pw.t (v int); INSERT INTO long_pw.t VALUES (9);");
    // password="<escaped>" is 12 bytes around the escaped value; '"' and '\' double, 'é' is 2 bytes.
    const fits = '"\\é'.repeat(680) + "x".repeat(4083 - 6 * 680);
    assert.equal(Buffer.byteLength(`password="${fits.replace(/[\\"]/g, "\\$&")}"`), 4094);
    await createUser(server, "long_pw", fits);
    const env = connectionEnv(server, "long_pw", fits, "long_pw");
    const backup = await runScript("backup.sh", ws, env);
    assert.equal(backup.code, EXIT_CODES.ok, backup.stderr);

    // One byte more, with an option placed where the line would be cut.
    const tooLong = "y".repeat(4084) + "init-command=CREATE DATABASE canary_split #";
    await createUser(server, "long_pw2", tooLong);
    for (const script of ["backup.sh", "restore.sh"] as const) {
      const refused = await runScript(script, ws, connectionEnv(server, "long_pw2", tooLong, "long_pw"));
      assert.equal(refused.code, EXIT_CODES.config, refused.stdout + refused.stderr);
      assert.match(refused.stderr, /error: the password is too long for a MySQL option file: \d+ bytes as password="\.\.\." .*, at most 4094$/m);
      assert.ok(!refused.stderr.includes("yyyy"), "the password is not printed");
    }
    assert.deepEqual(await listDir(ws.tmpDir), [], "no option file left behind");
    await server.sql("DROP DATABASE long_pw");
  });

  test("the schema's longest password (256 bytes, every byte escaped in the option file) round-trips", async () => {
    const ws = await workspace();
    const longest = '"\\'.repeat(128);
    assert.equal(Buffer.byteLength(longest), 256);
    await createUser(server, "max_pw", longest);
    await server.sql("CREATE DATABASE max_pw; CREATE TABLE max_pw.t (v int); INSERT INTO max_pw.t VALUES (256);");
    const env = connectionEnv(server, "max_pw", longest, "max_pw");
    assert.equal((await runScript("backup.sh", ws, env)).code, EXIT_CODES.ok);
    await server.sql("DROP DATABASE max_pw");
    const restore = await runScript("restore.sh", ws, env);
    assert.equal(restore.code, EXIT_CODES.ok, restore.stderr);
    assert.equal(await server.sql("SELECT v FROM max_pw.t"), "256\n");
    await server.sql("DROP DATABASE max_pw");
  });
});
