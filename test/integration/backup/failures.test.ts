// Failure cases: whatever goes wrong, the last good dump survives and a restore
// never loads a bad dump or overwrites data.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdir, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { BACKUP_FILES, ENV, EXIT_CODES } from "../../../src/mysql/scripts/index.ts";
import { clientOptionFile } from "../../../src/mysql/sql.ts";

const HISTORY_PREFIX = BACKUP_FILES.historyPrefix;
import { freePort, mariaDbAvailable, runCommand, startMariaDb, type MariaDbServer } from "../../helpers/mariadb.ts";
import { connectionEnv, createUser, listDir, makeWorkspace, runScript, tableDigest, type Workspace } from "./harness.ts";

const skip = mariaDbAvailable() ? false : "SKIPPED: mariadbd/mariadb-install-db/mariadb/mariadb-dump not installed (bash .ci/run installs them)";

const user = "operator";
const password = "failure-secret";
const committedFiles = [BACKUP_FILES.dump, BACKUP_FILES.metadata, BACKUP_FILES.historyDir].sort();

describe("integration: backup and restore failure cases", { skip }, () => {
  let server: MariaDbServer;
  const cleanups: (() => Promise<void>)[] = [];
  async function workspace(): Promise<Workspace> {
    const ws = await makeWorkspace();
    cleanups.push(ws.remove);
    return ws;
  }
  async function extraServer(port?: number): Promise<MariaDbServer> {
    const extra = await startMariaDb({ port });
    cleanups.push(extra.stop);
    await createUser(extra, user, password);
    return extra;
  }
  function env(db: string, target: MariaDbServer = server): Record<string, string> {
    return connectionEnv(target, user, password, db);
  }
  /** Creates `db` with table `test` holding `rows` and backs it up into `ws`; returns the dump and metadata bytes. */
  async function seedAndBackup(ws: Workspace, db: string, rows: string[], target: MariaDbServer = server) {
    await target.sql(
      `DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db};\n` +
        `CREATE TABLE ${db}.test (id smallint unsigned not null auto_increment primary key, name varchar(20) not null);\n` +
        rows.map((row) => `INSERT INTO ${db}.test (name) VALUES ('${row}');`).join("\n"),
    );
    const backup = await runScript("backup.sh", ws, env(db, target));
    assert.equal(backup.code, EXIT_CODES.ok, backup.stderr);
    return snapshot(ws);
  }
  async function snapshot(ws: Workspace) {
    return {
      dump: await readFile(join(ws.backupDir, BACKUP_FILES.dump)),
      meta: await readFile(join(ws.backupDir, BACKUP_FILES.metadata)),
    };
  }
  /** Fills `db`.big with about `megabytes` MB of rows, so that a dump takes a while. */
  async function fill(target: MariaDbServer, db: string, megabytes: number): Promise<void> {
    await target.sql(
      `CREATE TABLE ${db}.big (id int primary key, payload varchar(600));\n` +
        `INSERT INTO ${db}.big SELECT seq, REPEAT(SHA2(seq, 256), 8) FROM seq_1_to_${megabytes * 1900};`,
      db,
    );
  }
  async function databaseExists(db: string): Promise<boolean> {
    return (await server.sql(`SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${db}'`)) === "1\n";
  }
  /** Resolves once a temporary dump of at least `bytes` exists in `dir`. */
  async function waitForPartialDump(dir: string, bytes: number): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      for (const name of await listDir(dir)) {
        if (name.startsWith(".mysqlop-dump.sql.tmp.")) {
          const size = await stat(join(dir, name)).then(
            (s) => s.size,
            () => 0,
          );
          if (size >= bytes) return;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error("no partial dump appeared");
  }

  before(async () => {
    server = await startMariaDb();
    await createUser(server, user, password);
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await server?.stop();
  });

  test("no dump: restore exits 0 saying so, without contacting the server", async () => {
    const ws = await workspace();
    const closed = { ...env("never_created"), [ENV.port]: String(await freePort()) };
    const result = await runScript("restore.sh", ws, closed);
    assert.equal(result.code, EXIT_CODES.ok, result.stderr);
    assert.match(result.stdout, /no dump found at .*mysqlop-dump\.sql; nothing to restore/);
    const live = await runScript("restore.sh", ws, env("never_created"));
    assert.equal(live.code, EXIT_CODES.ok);
    assert.equal(await databaseExists("never_created"), false);
  });

  test("corrupted dump (one byte changed): restore refuses, database untouched, also with RESTORE_FORCE", async () => {
    const ws = await workspace();
    const { dump } = await seedAndBackup(ws, "corrupt_me", ["some data", "some data-2"]);
    const corrupted = Buffer.from(dump);
    const at = corrupted.indexOf("some data-2");
    corrupted[at] = "S".charCodeAt(0);
    await writeFile(join(ws.backupDir, BACKUP_FILES.dump), corrupted);
    // Target present with other content: it must stay exactly as it is.
    await server.sql("DELETE FROM corrupt_me.test WHERE id = 1", "corrupt_me");
    const before = await tableDigest(server, "corrupt_me", "test", "id");
    for (const force of ["", "1"]) {
      const result = await runScript("restore.sh", ws, { ...env("corrupt_me"), [ENV.restoreForce]: force });
      assert.equal(result.code, EXIT_CODES.verify, result.stderr);
      assert.match(result.stderr, /mysqlop-dump\.sql is corrupt: sha256 [0-9a-f]{64} does not match its metadata; refusing to load it/);
      assert.equal(await tableDigest(server, "corrupt_me", "test", "id"), before);
    }
    // Target absent: it is not even created.
    await server.sql("DROP DATABASE corrupt_me");
    assert.equal((await runScript("restore.sh", ws, env("corrupt_me"))).code, EXIT_CODES.verify);
    assert.equal(await databaseExists("corrupt_me"), false);
  });

  test("truncated dump: restore refuses and says so", async () => {
    const ws = await workspace();
    const { dump } = await seedAndBackup(ws, "truncate_me", ["some data"]);
    await writeFile(join(ws.backupDir, BACKUP_FILES.dump), dump.subarray(0, dump.length - 100));
    await server.sql("DROP DATABASE truncate_me");
    const result = await runScript("restore.sh", ws, env("truncate_me"));
    assert.equal(result.code, EXIT_CODES.verify);
    assert.match(result.stderr, new RegExp(`truncated or corrupt: ${dump.length - 100} bytes, metadata says ${dump.length}; refusing`));
    assert.equal(await databaseExists("truncate_me"), false);
  });

  test("dump without metadata, metadata without dump: both refused", async () => {
    const ws = await workspace();
    await seedAndBackup(ws, "half_gone", ["some data"]);
    await server.sql("DROP DATABASE half_gone");
    const metaPath = join(ws.backupDir, BACKUP_FILES.metadata);
    const dumpPath = join(ws.backupDir, BACKUP_FILES.dump);
    const saved = await readFile(metaPath);
    await rm(metaPath);
    const noMeta = await runScript("restore.sh", ws, env("half_gone"));
    assert.equal(noMeta.code, EXIT_CODES.verify);
    assert.match(noMeta.stderr, /no metadata .* cannot be verified; refusing to load it/);
    await writeFile(metaPath, saved);
    await rm(dumpPath);
    const noDump = await runScript("restore.sh", ws, env("half_gone"));
    assert.equal(noDump.code, EXIT_CODES.verify);
    assert.match(noDump.stderr, /metadata .* exists but the dump .* is missing/);
    assert.equal(await databaseExists("half_gone"), false);
  });

  test("non-empty target: restore refuses and leaves the data alone; RESTORE_FORCE=1 loads", async () => {
    const ws = await workspace();
    await seedAndBackup(ws, "occupied", ["from the dump"]);
    await server.sql("UPDATE test SET name = 'newer data'; CREATE TABLE other (v int); INSERT INTO other VALUES (1);", "occupied");
    const before = { test: await tableDigest(server, "occupied", "test", "id"), other: await tableDigest(server, "occupied", "other", "v") };
    const refused = await runScript("restore.sh", ws, env("occupied"));
    assert.equal(refused.code, EXIT_CODES.notEmpty);
    assert.match(refused.stderr, /database occupied already holds 2 tables, 0 routines, 0 events; refusing to overwrite it \(set RESTORE_FORCE=1/);
    assert.deepEqual({ test: await tableDigest(server, "occupied", "test", "id"), other: await tableDigest(server, "occupied", "other", "v") }, before);

    const forced = await runScript("restore.sh", ws, { ...env("occupied"), [ENV.restoreForce]: "1" });
    assert.equal(forced.code, EXIT_CODES.ok, forced.stderr);
    assert.equal(await server.sql("SELECT name FROM test", "occupied"), "from the dump\n");
    assert.equal(await server.sql("SELECT v FROM other", "occupied"), "1\n", "tables not in the dump are kept");
  });

  test("a database holding only a routine counts as non-empty", async () => {
    const ws = await workspace();
    await seedAndBackup(ws, "routine_only", ["x"]);
    await server.sql("DROP DATABASE routine_only; CREATE DATABASE routine_only; CREATE PROCEDURE routine_only.p() SELECT 1;");
    const result = await runScript("restore.sh", ws, env("routine_only"));
    assert.equal(result.code, EXIT_CODES.notEmpty);
    assert.match(result.stderr, /0 tables, 1 routines, 0 events/);
  });

  test("server down when the backup starts: exit 2, previous dump and metadata intact", async () => {
    const ws = await workspace();
    const previous = await seedAndBackup(ws, "down_at_start", ["some data"]);
    await server.sql("INSERT INTO test (name) VALUES ('newer')", "down_at_start");
    const result = await runScript("backup.sh", ws, { ...env("down_at_start"), [ENV.port]: String(await freePort()) });
    assert.equal(result.code, EXIT_CODES.connect);
    assert.match(result.stderr, /cannot connect to the server; the previous dump is untouched/);
    assert.deepEqual(await snapshot(ws), previous);
    assert.deepEqual(await listDir(ws.backupDir), committedFiles);
  });

  test("the server refuses MYSQL_PASSWORD (a password change set another): the backup connects with the fallback from MYSQL_PASSWORD_FALLBACKS_FILE that opens it, dumps with it too, and names the group, never a password; none that opens it is exit 2 saying so", async () => {
    const ws = await workspace();
    const changedUser = "changed_pw";
    // A password the option-file escapes must carry (quotes, backslash, '#'), as the operator writes it.
    const changed = `changed "pw" \\ 'x' #1`;
    await createUser(server, changedUser, changed);
    await server.sql(
      "DROP DATABASE IF EXISTS fallback_pw; CREATE DATABASE fallback_pw; CREATE TABLE fallback_pw.t (id int primary key); INSERT INTO fallback_pw.t VALUES (7);",
    );
    const fallbacks = join(ws.root, "password-change.cnf");
    // The password-change Secret's option file: [client] with the recorded password, then one group per fallback.
    await writeFile(fallbacks, clientOptionFile("elsewhere.invalid", "recorded-pw", 3306, ["first-wrong", changed]), { mode: 0o600 });
    const base = { ...connectionEnv(server, changedUser, "recorded-pw", "fallback_pw"), [ENV.passwordFallbacksFile]: fallbacks };
    const backup = await runScript("backup.sh", ws, base);
    assert.equal(backup.code, EXIT_CODES.ok, backup.stderr);
    assert.match(backup.stdout + backup.stderr, /connected with a fallback password \(group client_2 of MYSQL_PASSWORD_FALLBACKS_FILE\)/);
    assert.match(await readFile(join(ws.backupDir, BACKUP_FILES.dump), "utf8"), /INSERT INTO `t` VALUES\s*\(7\)/);
    for (const secret of ["recorded-pw", "first-wrong", changed]) assert.ok(!(backup.stdout + backup.stderr).includes(secret), "no password in the output");

    const previous = await snapshot(ws);
    await writeFile(fallbacks, clientOptionFile("elsewhere.invalid", "recorded-pw", 3306, ["first-wrong"]), { mode: 0o600 });
    const refused = await runScript("backup.sh", ws, base);
    assert.equal(refused.code, EXIT_CODES.connect, refused.stderr);
    assert.match(refused.stderr, /ERROR 1045 /);
    assert.match(
      refused.stderr,
      /cannot connect to the server: it refused MYSQL_PASSWORD and each password of MYSQL_PASSWORD_FALLBACKS_FILE; the previous dump is untouched/,
    );
    for (const secret of ["recorded-pw", "first-wrong", changed]) assert.ok(!(refused.stdout + refused.stderr).includes(secret), "no password in the output");
    assert.deepEqual(await snapshot(ws), previous, "the previous dump is untouched");
    // A line the option-file reader would split (its tail read as options, a host here): refused before any connection.
    await writeFile(fallbacks, `[client]\npassword="recorded-pw"\n[client_1]\npassword="${"A".repeat(4083)}"host=evil.invalid\n`, { mode: 0o600 });
    const split = await runScript("backup.sh", ws, base);
    assert.equal(split.code, EXIT_CODES.config, split.stderr);
    assert.match(split.stderr, /MYSQL_PASSWORD_FALLBACKS_FILE .* has a line longer than 4094 bytes/);
    // No such file (the operator's optional mount while no change is unfinished): MYSQL_PASSWORD only, as before.
    const none = await runScript("backup.sh", ws, { ...base, [ENV.passwordFallbacksFile]: join(ws.root, "absent.cnf") });
    assert.equal(none.code, EXIT_CODES.connect, none.stderr);
    assert.doesNotMatch(none.stderr, /MYSQL_PASSWORD_FALLBACKS_FILE/);
  });

  test("database does not exist: backup exits 3 naming the cause, writes nothing", async () => {
    const ws = await workspace();
    const result = await runScript("backup.sh", ws, env("no_such_database"));
    assert.equal(result.code, EXIT_CODES.dump);
    assert.match(result.stderr, /Unknown database 'no_such_database'/);
    assert.deepEqual(await listDir(ws.backupDir), []);
  });

  test("server killed in the middle of the dump: exit 3, previous dump and metadata intact, partial file removed", async () => {
    const victim = await extraServer();
    const ws = await workspace();
    const previous = await seedAndBackup(ws, "killed", ["some data"], victim);
    await fill(victim, "killed", 40);
    const running = runScript("backup.sh", ws, env("killed", victim));
    await waitForPartialDump(ws.backupDir, 1_000_000);
    victim.kill();
    const result = await running;
    assert.equal(result.code, EXIT_CODES.dump, result.stdout + result.stderr);
    assert.match(result.stderr, /mariadb-dump failed \(exit \d+\); the previous dump is untouched/);
    assert.deepEqual(await snapshot(ws), previous);
    assert.deepEqual(await listDir(ws.backupDir), committedFiles);
    assert.deepEqual(await listDir(ws.tmpDir), []);
  });

  test("backup volume full: exit 7, previous dump and metadata intact, partial file removed", async (t) => {
    const ws = await workspace();
    const small = join(ws.root, "small-volume");
    await mkdir(small);
    // A 2 MB tmpfs stands in for a full backup volume; mounting needs CAP_SYS_ADMIN.
    const mounted = await runCommand("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", small]);
    if (mounted.code !== 0) {
      t.skip(`SKIPPED: cannot mount a tmpfs here (${mounted.stderr.trim()}); needs root with CAP_SYS_ADMIN`);
      return;
    }
    try {
      const volumeEnv = (db: string) => ({ ...env(db), [ENV.backupDir]: small });
      await server.sql("CREATE DATABASE full_volume; CREATE TABLE full_volume.test (v int); INSERT INTO full_volume.test VALUES (1);");
      assert.equal((await runScript("backup.sh", ws, volumeEnv("full_volume"))).code, EXIT_CODES.ok);
      const previous = {
        dump: await readFile(join(small, BACKUP_FILES.dump)),
        meta: await readFile(join(small, BACKUP_FILES.metadata)),
      };
      await fill(server, "full_volume", 5);
      const result = await runScript("backup.sh", ws, volumeEnv("full_volume"));
      assert.equal(result.code, EXIT_CODES.write, result.stdout + result.stderr);
      assert.match(result.stderr, /Got errno 28 on write/, "the dump tool's own word for ENOSPC");
      assert.match(result.stderr, /writing .* failed \(mariadb-dump exit 5, e\.g\. the backup volume is full\); the previous dump is untouched/);
      assert.deepEqual({ dump: await readFile(join(small, BACKUP_FILES.dump)), meta: await readFile(join(small, BACKUP_FILES.metadata)) }, previous);
      assert.deepEqual(await listDir(small), committedFiles);
    } finally {
      await runCommand("umount", [small]);
    }
  });

  test("two backups that are each PID 1 of their pod write into distinct temporary files", async (t) => {
    const probe = await runCommand("unshare", ["--pid", "--fork", "/bin/sh", "-c", "echo $$"], {});
    if (probe.code !== 0 || probe.stdout.trim() !== "1") {
      t.skip(`SKIPPED: cannot run a shell as PID 1 of a new PID namespace here (unshare: ${probe.stderr.trim() || probe.stdout.trim()})`);
      return;
    }
    const ws = await workspace();
    await server.sql("DROP DATABASE IF EXISTS pid_one; CREATE DATABASE pid_one; CREATE TABLE pid_one.t (v int); INSERT INTO pid_one.t VALUES (1);");
    // The dump tool, wrapped: it records where its output goes (the script's temporary file), then runs.
    const targets = join(ws.root, "dump-targets");
    const real = (await runCommand("/bin/sh", ["-c", "command -v mariadb-dump"], { env: { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" } })).stdout.trim();
    await writeFile(join(ws.binDir, "mariadb-dump"), `#!/bin/sh\nexec 9>&1\nreadlink /proc/self/fd/9 >>'${targets}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
    for (const run of [1, 2]) {
      const backup = await runScript("backup.sh", ws, env("pid_one"), { shell: ["unshare", "--pid", "--fork", "/bin/sh"] });
      assert.equal(backup.code, EXIT_CODES.ok, `run ${run}: ${backup.stderr}`);
    }
    const [first, second] = (await readFile(targets, "utf8")).trim().split("\n");
    assert.match(first ?? "", /\/\.mysqlop-dump\.sql\.tmp\./);
    assert.notEqual(first, second, "each run's temporary dump has a name of its own");
  });

  test("a history entry of the same second made meanwhile (a backup run by hand beside this one) is never written over: exit 7, that entry intact", async () => {
    const ws = await workspace();
    await server.sql(
      "DROP DATABASE IF EXISTS same_second; CREATE DATABASE same_second; CREATE TABLE same_second.t (v int); INSERT INTO same_second.t VALUES (1);",
    );
    // The dump tool, wrapped: before it dumps, "another backup" commits entries under every name this run may have
    // chosen (its second, or one of the seconds before it on a slow machine).
    const history = join(ws.backupDir, BACKUP_FILES.historyDir);
    const real = (await runCommand("/bin/sh", ["-c", "command -v mariadb-dump"], { env: { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" } })).stdout.trim();
    await writeFile(
      join(ws.binDir, "mariadb-dump"),
      [
        "#!/bin/sh",
        `mkdir -p '${history}'`,
        "now=$(date -u +%s)",
        "for ago in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do",
        "  name=$(date -u -d @$((now - ago)) +%Y%m%dT%H%M%SZ)",
        `  printf 'the other backup\n' >'${history}/${HISTORY_PREFIX}'$name.sql`,
        `  printf 'sha256=other\n' >'${history}/${HISTORY_PREFIX}'$name.meta`,
        "done",
        `exec '${real}' "$@"`,
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    const backup = await runScript("backup.sh", ws, env("same_second"));
    assert.equal(backup.code, EXIT_CODES.write, backup.stdout + backup.stderr);
    assert.match(backup.stderr, /history entry .* appeared meanwhile \(another backup in the same second\?\); it is left as it is/);
    for (const name of await listDir(history)) {
      const text = await readFile(join(history, name), "utf8");
      assert.ok(text === "the other backup\n" || text === "sha256=other\n", `${name} kept the other backup's content, got ${text.slice(0, 60)}`);
    }
  });

  test("SIGTERM during the dump (Job deleted): exit 143, previous dump and metadata intact, partial file removed", async () => {
    const ws = await workspace();
    const previous = await seedAndBackup(ws, "sigterm_case", ["some data"]);
    await fill(server, "sigterm_case", 40);
    const running = runScript("backup.sh", ws, env("sigterm_case"), {
      onSpawn: (child) => {
        void waitForPartialDump(ws.backupDir, 100_000).then(() => child.kill("SIGTERM"));
      },
    });
    const result = await running;
    assert.equal(result.code, 143, result.stdout + result.stderr);
    assert.doesNotMatch(result.stdout, /backup complete/);
    assert.deepEqual(await snapshot(ws), previous);
    assert.deepEqual(await listDir(ws.backupDir), committedFiles);
    assert.deepEqual(await listDir(ws.tmpDir), []);
  });

  test("backup shell and its children SIGKILLed mid-dump (OOM kill): previous dump intact; the next backup cleans up and succeeds", async () => {
    const ws = await workspace();
    const previous = await seedAndBackup(ws, "oom_killed", ["some data"]);
    await fill(server, "oom_killed", 30);
    const running = runScript("backup.sh", ws, env("oom_killed"), {
      onSpawn: (child) => {
        void waitForPartialDump(ws.backupDir, 100_000).then(async () => {
          // The shell and everything it started, at once, like the kernel's OOM killer on the container.
          const pids = [String(child.pid)];
          for (const pid of await readdir("/proc")) {
            const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
            if (new RegExp(`^PPid:\\s+${child.pid}$`, "m").test(status)) pids.push(pid);
          }
          for (const pid of pids) process.kill(Number(pid), "SIGKILL");
        });
      },
    });
    const killed = await running;
    assert.equal(killed.signal, "SIGKILL");
    assert.deepEqual(await snapshot(ws), previous);
    assert.ok(
      (await listDir(ws.backupDir)).some((name) => name.startsWith(".mysqlop-dump.sql.tmp.")),
      "a partial dump was left behind",
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // let killed children go

    await server.sql("DELETE FROM big", "oom_killed");
    const next = await runScript("backup.sh", ws, env("oom_killed"));
    assert.equal(next.code, EXIT_CODES.ok, next.stderr);
    assert.deepEqual(await listDir(ws.backupDir), committedFiles);
  });

  test("a verified dump that fails to load: exit 6 saying the database may be partly restored; a retry of the same restore (RESTORE_ID) says so again (exit 6), never 'not empty'; emptied, the retry loads again", async () => {
    const ws = await workspace();
    const dump = "CREATE TABLE t (v int);\nINSERT INTO t VALUES (1);\nTHIS IS NOT SQL;\n";
    await writeFile(join(ws.backupDir, BACKUP_FILES.dump), dump);
    await writeFile(
      join(ws.backupDir, BACKUP_FILES.metadata),
      `format=1\nsha256=${createHash("sha256").update(dump).digest("hex")}\nsize=${Buffer.byteLength(dump)}\ncreated=2026-01-01T00:00:00Z\n`,
    );
    const id = { ...env("bad_sql"), [ENV.restoreId]: "8d1e0f52-6a3b-4e2c-9f7d-0c4b2a1e5f63" };
    const failed = await runScript("restore.sh", ws, id);
    assert.equal(failed.code, EXIT_CODES.load);
    assert.match(failed.stderr, /ERROR 1064/);
    assert.match(failed.stderr, /loading .* failed; database bad_sql may be partly restored/);
    assert.equal(await server.sql("SELECT v FROM t", "bad_sql"), "1\n");
    const retry = await runScript("restore.sh", ws, id);
    assert.equal(retry.code, EXIT_CODES.load, retry.stderr);
    assert.match(retry.stderr, /an earlier run of this restore began loading .* into database bad_sql .* and did not finish/);
    assert.equal(await server.sql("SELECT v FROM t", "bad_sql"), "1\n", "nothing loaded over it");
    // Without RESTORE_ID the script cannot tell its own half-load from data that were there: it refuses as not empty.
    const anonymous = await runScript("restore.sh", ws, env("bad_sql"));
    assert.equal(anonymous.code, EXIT_CODES.notEmpty);
    await server.sql("DROP DATABASE bad_sql");
    const emptied = await runScript("restore.sh", ws, id);
    assert.equal(emptied.code, EXIT_CODES.load, emptied.stderr);
    assert.match(emptied.stderr, /ERROR 1064/, "loaded again once emptied");
  });

  test("the server gone right after a complete load: the restore succeeds (exit 0) with a warning that it cannot count what it loaded", async () => {
    const ws = await workspace();
    const previous = await seedAndBackup(ws, "count_lost", ["kept"]);
    const digest = await tableDigest(server, "count_lost", "test", "id");
    await server.sql("DROP DATABASE count_lost");
    // The client, wrapped: its second look at information_schema (the count after the load) fails as if the server went away.
    const counted = join(ws.root, "counts");
    const real = (await runCommand("/bin/sh", ["-c", "command -v mariadb"], { env: { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" } })).stdout.trim();
    await writeFile(
      join(ws.binDir, "mariadb"),
      `#!/bin/sh\ncase "$*" in *information_schema.TABLES*) echo x >>'${counted}'; if [ "$(wc -l <'${counted}')" -ge 2 ]; then echo 'ERROR 2013 (HY000): Lost connection to server during query' >&2; exit 1; fi ;; esac\nexec '${real}' "$@"\n`,
      { mode: 0o755 },
    );
    const id = { ...env("count_lost"), [ENV.restoreId]: "3f0c9a52-1b7d-4e8a-a6c2-5d9e7f1b2c40" };
    const restored = await runScript("restore.sh", ws, id);
    assert.equal(restored.code, EXIT_CODES.ok, restored.stdout + restored.stderr);
    assert.equal((await readFile(counted, "utf8")).split("\n").filter(Boolean).length, 2, "the count after the load was the one that failed");
    assert.match(restored.stdout, /warning: .*cannot count/);
    assert.doesNotMatch(restored.stderr, /DROP DATABASE/, "no advice to throw away a good restore");
    assert.equal(await tableDigest(server, "count_lost", "test", "id"), digest);
    assert.deepEqual(await snapshot(ws), previous);
    // A retry of the same restore finds the load finished, never "partly restored".
    await rm(join(ws.binDir, "mariadb"));
    const retry = await runScript("restore.sh", ws, id);
    assert.equal(retry.code, EXIT_CODES.ok, retry.stderr);
    assert.match(retry.stdout, /already restored/);
  });

  test("a restore flushes its 'loading' mark (the file, then its directory) to disk before it loads", async () => {
    const ws = await workspace();
    await seedAndBackup(ws, "flushed_mark", ["kept"]);
    await server.sql("DROP DATABASE flushed_mark");
    // sync and the client, wrapped: each call logged, in order, to one file.
    const log = join(ws.root, "order");
    for (const program of ["sync", "mariadb"]) {
      const real = (await runCommand("/bin/sh", ["-c", `command -v ${program}`], { env: { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" } })).stdout.trim();
      await writeFile(join(ws.binDir, program), `#!/bin/sh\nprintf '%s %s\\n' ${program} "$*" >>'${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
    }
    const restoreId = "6b2d8e41-0c9f-4a7e-b3d5-1e8f2a9c7d06";
    const restored = await runScript("restore.sh", ws, { ...env("flushed_mark"), [ENV.restoreId]: restoreId });
    assert.equal(restored.code, EXIT_CODES.ok, restored.stderr);
    const calls = (await readFile(log, "utf8")).split("\n").filter(Boolean);
    const progress = join(ws.backupDir, `${BACKUP_FILES.progressPrefix}${restoreId}`);
    // The load is the client call into the database that reads the dump from stdin: no -e.
    const load = calls.findIndex((call) => call.startsWith("mariadb ") && call.includes(" --database=") && !call.includes(" -e "));
    const fileSynced = calls.indexOf(`sync ${progress}.tmp`);
    const dirSynced = calls.indexOf(`sync ${ws.backupDir}`);
    assert.ok(load > 0, calls.join("\n"));
    assert.ok(fileSynced >= 0 && fileSynced < load, `the progress file is flushed before the load:\n${calls.join("\n")}`);
    assert.ok(dirSynced > fileSynced && dirSynced < load, `its directory (the rename) is flushed before the load:\n${calls.join("\n")}`);
  });

  test("on a volume without hard links, each history entry's copy is flushed to disk before the next step, the metadata's (the commit) after the dump's", async () => {
    const ws = await workspace();
    // ln refuses (an SMB or FUSE volume); sync is logged, in order.
    const log = join(ws.root, "order");
    await writeFile(join(ws.binDir, "ln"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    const real = (await runCommand("/bin/sh", ["-c", "command -v sync"], { env: { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" } })).stdout.trim();
    await writeFile(join(ws.binDir, "sync"), `#!/bin/sh\nprintf 'sync %s\\n' "$*" >>'${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
    await seedAndBackup(ws, "copied_entry", ["copied"]);
    const history = join(ws.backupDir, BACKUP_FILES.historyDir);
    const entry = (await readdir(history)).find((f) => f.endsWith(".sql"));
    assert.ok(entry !== undefined, "a history entry was made by copying");
    const calls = (await readFile(log, "utf8")).split("\n").filter(Boolean);
    const dumpSynced = calls.indexOf(`sync ${join(history, entry)}`);
    const metaSynced = calls.indexOf(`sync ${join(history, entry.replace(/\.sql$/, ".meta"))}`);
    const historySynced = calls.indexOf(`sync ${history}`);
    assert.ok(dumpSynced >= 0 && metaSynced > dumpSynced && historySynced > metaSynced, `the order of the flushes:\n${calls.join("\n")}`);
  });

  test("restore into another database name, as RESTORE_FROM_DATABASE allows: the dump names no database", async () => {
    const ws = await workspace();
    await seedAndBackup(ws, "source_db", ["moved"]);
    const restore = await runScript("restore.sh", ws, { ...env("target_db"), [ENV.restoreFromDatabase]: "source_db" });
    assert.equal(restore.code, EXIT_CODES.ok, restore.stderr);
    assert.equal(await server.sql("SELECT name FROM test", "target_db"), "moved\n");
    assert.equal(await server.sql("SELECT name FROM test", "source_db"), "moved\n");
  });

  test("crash after the dump was renamed but before its metadata: restore accepts meta.next; the next backup completes the commit", async () => {
    const ws = await workspace();
    const old = await seedAndBackup(ws, "half_committed", ["old"]);
    const fresh = await seedAndBackup(ws, "half_committed", ["new"]);
    // The state between the last two renames of backup.sh step 5.
    await writeFile(join(ws.backupDir, BACKUP_FILES.metadata), old.meta);
    await writeFile(join(ws.backupDir, BACKUP_FILES.pendingMetadata), fresh.meta);
    await server.sql("DROP DATABASE half_committed");
    const restore = await runScript("restore.sh", ws, env("half_committed"));
    assert.equal(restore.code, EXIT_CODES.ok, restore.stderr);
    assert.equal(await server.sql("SELECT name FROM test", "half_committed"), "new\n");
    // Even a backup that cannot connect first finishes the interrupted commit.
    const backup = await runScript("backup.sh", ws, { ...env("half_committed"), [ENV.port]: String(await freePort()) });
    assert.equal(backup.code, EXIT_CODES.connect);
    assert.deepEqual(await snapshot(ws), fresh);
    assert.deepEqual(await listDir(ws.backupDir), committedFiles);
  });

  test("crash before the dump was renamed: restore ignores the stale meta.next; the next backup discards it and old temp files", async () => {
    const ws = await workspace();
    const fresh = await seedAndBackup(ws, "not_committed", ["new"]);
    await copyFile(join(ws.backupDir, BACKUP_FILES.metadata), join(ws.root, "fresh.meta"));
    const old = await seedAndBackup(ws, "not_committed", ["old"]);
    await writeFile(join(ws.backupDir, BACKUP_FILES.pendingMetadata), fresh.meta);
    await writeFile(join(ws.backupDir, ".mysqlop-dump.sql.tmp.4242"), "-- partial");
    await writeFile(join(ws.backupDir, ".mysqlop-dump.meta.tmp.4242"), "sha256=partial");
    await server.sql("DROP DATABASE not_committed");
    const restore = await runScript("restore.sh", ws, env("not_committed"));
    assert.equal(restore.code, EXIT_CODES.ok, restore.stderr);
    assert.equal(await server.sql("SELECT name FROM test", "not_committed"), "old\n");
    const backup = await runScript("backup.sh", ws, { ...env("not_committed"), [ENV.port]: String(await freePort()) });
    assert.equal(backup.code, EXIT_CODES.connect);
    assert.deepEqual(await snapshot(ws), old);
    assert.deepEqual(await listDir(ws.backupDir), committedFiles);
  });

  test("restore waits for a server that starts later", async () => {
    const ws = await workspace();
    const seeded = await seedAndBackup(ws, "late", ["some data"]);
    assert.ok(seeded.dump.length > 0);
    const port = await freePort();
    const lateEnv = { ...env("late"), [ENV.port]: String(port), [ENV.restoreWaitSeconds]: "60" };
    const running = runScript("restore.sh", ws, lateEnv);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const late = await extraServer(port);
    const result = await running;
    assert.equal(result.code, EXIT_CODES.ok, result.stderr);
    assert.equal(await late.sql("SELECT name FROM test", "late"), "some data\n");
  });

  test("restore gives up after RESTORE_WAIT_SECONDS when the server never comes", async () => {
    const ws = await workspace();
    await seedAndBackup(ws, "never_up", ["some data"]);
    const started = Date.now();
    const result = await runScript("restore.sh", ws, {
      ...env("never_up"),
      [ENV.port]: String(await freePort()),
      [ENV.restoreWaitSeconds]: "3",
    });
    assert.equal(result.code, EXIT_CODES.connect);
    assert.match(result.stderr, /server not reachable within 3s: .*Can't connect/);
    assert.ok(Date.now() - started < 20_000, "bounded");
  });

  const badConfig: { why: string; script: "backup.sh" | "restore.sh"; env: Record<string, string | undefined>; want: RegExp }[] = [
    { why: "MYSQL_DATABASE unset", script: "backup.sh", env: { [ENV.database]: undefined }, want: /MYSQL_DATABASE is not set/ },
    { why: "MYSQL_DATABASE unset", script: "restore.sh", env: { [ENV.database]: undefined }, want: /MYSQL_DATABASE is not set/ },
    {
      why: "backup volume not mounted",
      script: "backup.sh",
      env: { [ENV.backupDir]: "/nonexistent/backup" },
      want: /backup directory \/nonexistent\/backup does not exist \(is the backup volume mounted\?\)/,
    },
    { why: "backup volume not mounted", script: "restore.sh", env: { [ENV.backupDir]: "/nonexistent/backup" }, want: /does not exist/ },
    { why: "RESTORE_FORCE unclear", script: "restore.sh", env: { [ENV.restoreForce]: "maybe" }, want: /RESTORE_FORCE must be one of/ },
    { why: "RESTORE_WAIT_SECONDS not a number", script: "restore.sh", env: { [ENV.restoreWaitSeconds]: "5m" }, want: /RESTORE_WAIT_SECONDS must be a number/ },
    { why: "MYSQL_PORT not a number", script: "backup.sh", env: { [ENV.port]: "33o6" }, want: /MYSQL_PORT must be a number/ },
    {
      why: "password file unreadable",
      script: "backup.sh",
      env: { [ENV.password]: undefined, [ENV.passwordFile]: "/nonexistent/pw" },
      want: /cannot read MYSQL_PASSWORD_FILE/,
    },
  ];
  for (const { why, script, env: overrides, want } of badConfig) {
    test(`${script}: ${why} → exit 1 with a clear message`, async () => {
      const ws = await workspace();
      const merged: Record<string, string> = {};
      for (const [key, value] of Object.entries({ ...env("config_case"), ...overrides })) if (value !== undefined) merged[key] = value;
      const result = await runScript(script, ws, merged);
      assert.equal(result.code, EXIT_CODES.config, result.stderr);
      assert.match(result.stderr, want);
      assert.deepEqual(await listDir(ws.backupDir), []);
    });
  }
});
