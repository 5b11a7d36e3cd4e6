// Backup and restore round trips against a real MariaDB server.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, readdir, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BACKUP_FILES, ENV, EXIT_CODES, REQUIRED_TOOLS } from "../../../src/mysql/scripts/index.ts";
import { mariaDbAvailable, startMariaDb, runCommand, sqlIdentifier, sqlString, type MariaDbServer } from "../../helpers/mariadb.ts";
import { connectionEnv, createUser, listDir, makeWorkspace, runScript, tableDigest, type Workspace } from "./harness.ts";

const skip = mariaDbAvailable() ? false : "SKIPPED: mariadbd/mariadb-install-db/mariadb/mariadb-dump not installed (bash .ci/run installs them)";

describe("integration: backup and restore round trips", { skip }, () => {
  let server: MariaDbServer;
  const user = "operator";
  const password = "round-trip-secret";
  const workspaces: Workspace[] = [];
  async function workspace(): Promise<Workspace> {
    const ws = await makeWorkspace();
    workspaces.push(ws);
    return ws;
  }

  before(async () => {
    server = await startMariaDb();
    await createUser(server, user, password);
  });
  after(async () => {
    for (const ws of workspaces) await ws.remove();
    await server?.stop();
  });

  test("the original scenario: backup, drop the database, restore, the same rows come back", async () => {
    const ws = await workspace();
    const db = "otus-database";
    await server.sql(
      "CREATE DATABASE `otus-database`;\n" +
        "CREATE TABLE `otus-database`.test (id smallint unsigned not null auto_increment primary key, name varchar(20) not null);\n" +
        "INSERT INTO `otus-database`.test (id, name) VALUES (null, 'some data');\n" +
        "INSERT INTO `otus-database`.test (id, name) VALUES (null, 'some data-2');",
    );
    const env = connectionEnv(server, user, password, db);

    const backup = await runScript("backup.sh", ws, env);
    assert.equal(backup.code, EXIT_CODES.ok, backup.stderr);
    assert.deepEqual(await listDir(ws.backupDir), [BACKUP_FILES.metadata, BACKUP_FILES.dump, BACKUP_FILES.historyDir].sort());
    assert.deepEqual(await listDir(ws.tmpDir), [], "the private client config is removed");

    const dump = await readFile(join(ws.backupDir, BACKUP_FILES.dump));
    const meta = await readFile(join(ws.backupDir, BACKUP_FILES.metadata), "utf8");
    const fields = Object.fromEntries(
      meta
        .split("\n")
        .filter((line) => line.includes("=") && !line.startsWith("#"))
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    assert.equal(fields.sha256, createHash("sha256").update(dump).digest("hex"));
    assert.equal(fields.size, String(dump.length));
    assert.equal(fields.database, db);
    assert.equal(fields.server_version, server.version);
    assert.match(fields.created ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    for (const file of [BACKUP_FILES.dump, BACKUP_FILES.metadata]) {
      assert.equal((await stat(join(ws.backupDir, file))).mode & 0o777, 0o600, `${file} is owner-only`);
    }
    // The dump names no database: restore decides where it goes.
    assert.doesNotMatch(dump.toString("utf8"), /^(CREATE DATABASE|USE )/m);

    await server.sql("DROP DATABASE `otus-database`");
    const restore = await runScript("restore.sh", ws, env);
    assert.equal(restore.code, EXIT_CODES.ok, restore.stderr);
    assert.match(restore.stdout, /restored database otus-database .*: 1 tables, 0 routines, 0 events/);
    assert.equal(await server.sql("SELECT id, name FROM test ORDER BY id", db), "1\tsome data\n2\tsome data-2\n");
    assert.deepEqual(await listDir(ws.tmpDir), []);
  });

  test("routines, triggers, events and views come back", async () => {
    const ws = await workspace();
    const db = "with_code";
    await server.sql(
      [
        "CREATE DATABASE with_code",
        "USE with_code",
        "CREATE TABLE t (id int primary key, doubled int)",
        "CREATE TRIGGER t_double BEFORE INSERT ON t FOR EACH ROW SET NEW.doubled = NEW.id * 2",
        "CREATE PROCEDURE add_row(IN n int) INSERT INTO t (id) VALUES (n)",
        "CREATE FUNCTION triple(n int) RETURNS int DETERMINISTIC RETURN n * 3",
        "CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM t WHERE id < 0",
        "CREATE VIEW v AS SELECT id, doubled FROM t",
        "CALL add_row(21)",
      ].join(";\n") + ";",
    );
    const env = connectionEnv(server, user, password, db);
    assert.equal((await runScript("backup.sh", ws, env)).code, EXIT_CODES.ok);
    await server.sql("DROP DATABASE with_code");
    const restore = await runScript("restore.sh", ws, env);
    assert.equal(restore.code, EXIT_CODES.ok, restore.stderr);
    assert.match(restore.stdout, /: 2 tables, 2 routines, 1 events/);
    // The trigger and the procedure work after the restore.
    await server.sql("CALL add_row(5)", db);
    assert.equal(await server.sql("SELECT id, doubled, triple(id) FROM v ORDER BY id", db), "5\t10\t15\n21\t42\t63\n");
  });

  test("a dump of some megabytes round-trips with identical table digests", async () => {
    const ws = await workspace();
    const db = "bulk";
    // Text, unicode, binary (all 256 byte values), NULLs and numbers; about 8 MB of dump.
    await server.sql(
      "CREATE DATABASE bulk CHARACTER SET utf8mb4;\n" +
        "USE bulk;\n" +
        "CREATE TABLE bulk.rows (id int primary key, txt varchar(200), uni varchar(50), bin varbinary(64), num double, maybe int) ENGINE=InnoDB;\n" +
        "INSERT INTO bulk.rows SELECT seq, REPEAT(SHA2(seq, 256), 2), CONCAT('ünï \\'\"`\\\\ 日本 ', seq), " +
        "UNHEX(SHA2(seq, 512)), seq / 7, IF(seq % 3 = 0, NULL, seq) FROM seq_1_to_50000;\n" +
        "CREATE TABLE bulk.bytes (b tinyint unsigned primary key, v varbinary(1));\n" +
        "INSERT INTO bulk.bytes SELECT seq, CHAR(seq) FROM seq_0_to_255;",
    );
    const before = {
      rows: await tableDigest(server, db, "rows", "id"),
      bytes: await tableDigest(server, db, "bytes", "b"),
    };
    const env = connectionEnv(server, user, password, db);
    const backup = await runScript("backup.sh", ws, env);
    assert.equal(backup.code, EXIT_CODES.ok, backup.stderr);
    const size = (await stat(join(ws.backupDir, BACKUP_FILES.dump))).size;
    assert.ok(size > 5_000_000, `dump is ${size} bytes`);
    await server.sql("DROP DATABASE bulk");
    const restore = await runScript("restore.sh", ws, env);
    assert.equal(restore.code, EXIT_CODES.ok, restore.stderr);
    assert.deepEqual({ rows: await tableDigest(server, db, "rows", "id"), bytes: await tableDigest(server, db, "bytes", "b") }, before);
    assert.equal(await server.sql("SELECT COUNT(*) FROM bulk.rows"), "50000\n");
  });

  test("finds the client tools under the MySQL names (mysql, mysqldump) with nothing else on PATH", async () => {
    const ws = await workspace();
    const db = "mysql_names";
    await server.sql("CREATE DATABASE mysql_names; CREATE TABLE mysql_names.t (v varchar(10)); INSERT INTO mysql_names.t VALUES ('kept');");
    // PATH holds exactly the documented tools plus the MySQL client names.
    for (const tool of REQUIRED_TOOLS) {
      const found = await runCommand("/bin/sh", ["-c", 'command -v "$1"', "sh", tool]);
      assert.equal(found.code, 0, `${tool} is installed`);
      await symlink(found.stdout.trim(), join(ws.binDir, tool));
    }
    await symlink("/usr/bin/mariadb", join(ws.binDir, "mysql"));
    await symlink("/usr/bin/mariadb-dump", join(ws.binDir, "mysqldump"));
    const env = connectionEnv(server, user, password, db);

    const backup = await runScript("backup.sh", ws, env, { path: ws.binDir });
    assert.equal(backup.code, EXIT_CODES.ok, backup.stderr);
    assert.match(backup.stdout, /with mysqldump/);
    await server.sql("DROP DATABASE mysql_names");
    const restore = await runScript("restore.sh", ws, env, { path: ws.binDir });
    assert.equal(restore.code, EXIT_CODES.ok, restore.stderr);
    assert.equal(await server.sql("SELECT v FROM t", db), "kept\n");
  });

  test("openssl and sha256sum agree: a dump hashed by one verifies with the other", async () => {
    const ws = await workspace();
    const db = "hashers";
    await server.sql("CREATE DATABASE hashers; CREATE TABLE hashers.t (v int); INSERT INTO hashers.t VALUES (1);");
    // A PATH without openssl: the documented tools and the client names only.
    for (const tool of REQUIRED_TOOLS) {
      const found = await runCommand("/bin/sh", ["-c", 'command -v "$1"', "sh", tool]);
      await symlink(found.stdout.trim(), join(ws.binDir, tool));
    }
    for (const tool of ["mariadb", "mariadb-dump"]) await symlink(`/usr/bin/${tool}`, join(ws.binDir, tool));
    const withoutOpenssl = { path: ws.binDir };
    const withOpenssl = { path: `${ws.binDir}:/usr/bin:/bin` };
    assert.equal((await runCommand("/bin/sh", ["-c", "command -v openssl"])).code, 0, "openssl is installed (bash .ci/run installs it)");
    const env = connectionEnv(server, user, password, db);
    for (const [backupWith, restoreWith] of [
      [withOpenssl, withoutOpenssl],
      [withoutOpenssl, withOpenssl],
    ]) {
      assert.equal((await runScript("backup.sh", ws, env, backupWith)).code, EXIT_CODES.ok);
      await server.sql("DROP DATABASE hashers");
      const restore = await runScript("restore.sh", ws, env, restoreWith);
      assert.equal(restore.code, EXIT_CODES.ok, restore.stderr);
      assert.equal(await server.sql("SELECT v FROM t", db), "1\n");
    }
  });

  test("no client tool on PATH: exit 1 saying which names were looked for", async () => {
    const ws = await workspace();
    for (const tool of REQUIRED_TOOLS) {
      const found = await runCommand("/bin/sh", ["-c", 'command -v "$1"', "sh", tool]);
      await symlink(found.stdout.trim(), join(ws.binDir, tool));
    }
    const result = await runScript("backup.sh", ws, connectionEnv(server, user, password, "x"), { path: ws.binDir });
    assert.equal(result.code, EXIT_CODES.config);
    assert.match(result.stderr, /none of these client tools is on PATH: mariadb mysql/);
  });

  test("password from MYSQL_PASSWORD_FILE (trailing newline dropped); both variables set is refused", async () => {
    const ws = await workspace();
    const db = "from_file";
    await server.sql("CREATE DATABASE from_file; CREATE TABLE from_file.t (v int); INSERT INTO from_file.t VALUES (7);");
    const passwordFile = join(ws.root, "password");
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    const env: Record<string, string> = { ...connectionEnv(server, user, password, db), [ENV.passwordFile]: passwordFile };
    delete env[ENV.password];

    const backup = await runScript("backup.sh", ws, env);
    assert.equal(backup.code, EXIT_CODES.ok, backup.stderr);
    await server.sql("DROP DATABASE from_file");
    assert.equal((await runScript("restore.sh", ws, env)).code, EXIT_CODES.ok);
    assert.equal(await server.sql("SELECT v FROM t", db), "7\n");

    const both = await runScript("backup.sh", ws, { ...env, [ENV.password]: password });
    assert.equal(both.code, EXIT_CODES.config);
    assert.match(both.stderr, /set MYSQL_PASSWORD or MYSQL_PASSWORD_FILE, not both/);
  });

  test("wrong password: backup exits 2 and writes nothing", async () => {
    const ws = await workspace();
    await server.sql("CREATE DATABASE wrong_pw");
    const result = await runScript("backup.sh", ws, connectionEnv(server, user, "not-the-password", "wrong_pw"));
    assert.equal(result.code, EXIT_CODES.connect);
    assert.match(result.stderr, /Access denied/);
    assert.match(result.stderr, /cannot connect to the server; the previous dump is untouched/);
    assert.deepEqual(await listDir(ws.backupDir), []);
  });

  // The stock images differ in their sh: dash (Debian/Ubuntu based), bash
  // (mysql:5.7 on Oracle Linux, where sh is bash in POSIX mode), busybox.
  const shells: { name: string; shell: string[]; busyboxTools?: boolean }[] = [
    { name: "dash", shell: ["/bin/dash"] },
    { name: "bash --posix", shell: ["/bin/bash", "--posix"] },
    { name: "busybox sh with busybox tools", shell: ["/bin/busybox", "sh"], busyboxTools: true },
  ];
  for (const [index, { name, shell, busyboxTools }] of shells.entries()) {
    const installed = existsSync(shell[0] ?? "");
    test(
      `runs under ${name}: hostile name and password round-trip, no injection`,
      { skip: installed ? false : `SKIPPED: ${shell[0]} is not installed (apt-get install busybox to run it)` },
      async () => {
        const ws = await workspace();
        const db = `sh${index} x\`; DROP DATABASE guard_sh; # $(touch pwned)\n'"`;
        const secret = `sh-${index} "\\ $(touch pwned) \n#`;
        const shellUser = `shell${index}`;
        await createUser(server, shellUser, secret);
        await server.sql(
          "CREATE DATABASE IF NOT EXISTS guard_sh;\n" +
            `CREATE DATABASE ${sqlIdentifier(db)};\nCREATE TABLE ${sqlIdentifier(db)}.t (v varchar(50));\n` +
            `INSERT INTO ${sqlIdentifier(db)}.t VALUES (${sqlString(name)});`,
        );
        let path: string | undefined;
        if (busyboxTools) {
          for (const tool of ["sh", ...REQUIRED_TOOLS]) await symlink("/bin/busybox", join(ws.binDir, tool));
          await symlink("/usr/bin/mariadb", join(ws.binDir, "mariadb"));
          await symlink("/usr/bin/mariadb-dump", join(ws.binDir, "mariadb-dump"));
          path = ws.binDir;
        }
        const env = connectionEnv(server, shellUser, secret, db);
        const backup = await runScript("backup.sh", ws, env, { shell, path });
        assert.equal(backup.code, EXIT_CODES.ok, backup.stderr);
        await server.sql(`DROP DATABASE ${sqlIdentifier(db)}`);
        const restore = await runScript("restore.sh", ws, env, { shell, path });
        assert.equal(restore.code, EXIT_CODES.ok, restore.stderr);
        assert.equal(await server.sql(`SELECT v FROM ${sqlIdentifier(db)}.t`), `${name}\n`);
        const refused = await runScript("restore.sh", ws, env, { shell, path });
        assert.equal(refused.code, EXIT_CODES.notEmpty);
        assert.deepEqual(await readdir(ws.canaryDir), []);
        assert.deepEqual(await listDir(ws.tmpDir), []);
        assert.equal(await server.sql("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'guard_sh'"), "1\n");
        for (const output of [backup.stdout, backup.stderr, restore.stdout, restore.stderr]) assert.ok(!output.includes(secret));
      },
    );
  }
});
