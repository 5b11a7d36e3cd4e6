// Backup history against a real MariaDB server: every backup is a new entry that no
// later backup replaces, a restore names the dump it must load, and retention removes
// only dumps that a restore loaded.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BACKUP_FILES, ENV, EXIT_CODES } from "../../../src/mysql/scripts/index.ts";
import { mariaDbAvailable, startMariaDb, type MariaDbServer } from "../../helpers/mariadb.ts";
import { connectionEnv, createUser, listDir, makeWorkspace, runScript, type Workspace } from "./harness.ts";

const skip = mariaDbAvailable() ? false : "SKIPPED: mariadbd/mariadb-install-db/mariadb/mariadb-dump not installed (bash .ci/run installs them)";

const user = "operator";
const password = "history-secret";
const db = "otus-database";

/** The `key=value` lines of a metadata or report file. */
function fields(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\n")
      .filter((line) => line.includes("=") && !line.startsWith("#"))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

describe("integration: backup history and retention", { skip }, () => {
  let server: MariaDbServer;
  const workspaces: Workspace[] = [];
  async function workspace(): Promise<Workspace> {
    const ws = await makeWorkspace();
    workspaces.push(ws);
    return ws;
  }
  const env = (extra: Record<string, string> = {}) => ({ ...connectionEnv(server, user, password, db), ...extra });
  const historyDir = (ws: Workspace) => join(ws.backupDir, BACKUP_FILES.historyDir);
  /** The history entries (names without extension), oldest first. */
  async function entries(ws: Workspace): Promise<string[]> {
    return (await listDir(historyDir(ws))).filter((name) => name.endsWith(".meta")).map((name) => name.slice(0, -".meta".length));
  }
  /** Replaces the database's rows with `rows`, then backs it up; returns the report the script wrote. */
  async function backUp(ws: Workspace, rows: string[], extra: Record<string, string> = {}): Promise<Record<string, string>> {
    await server.sql(
      `DROP DATABASE IF EXISTS \`${db}\`; CREATE DATABASE \`${db}\`;\n` +
        `CREATE TABLE \`${db}\`.test (id smallint unsigned not null auto_increment primary key, name varchar(20) not null);\n` +
        rows.map((row) => `INSERT INTO \`${db}\`.test (name) VALUES ('${row}');`).join("\n"),
    );
    const report = join(ws.root, "report");
    const result = await runScript("backup.sh", ws, env({ [ENV.backupReportFile]: report, ...extra }));
    assert.equal(result.code, EXIT_CODES.ok, result.stderr);
    return fields(await readFile(report, "utf8"));
  }
  async function restore(ws: Workspace, extra: Record<string, string> = {}) {
    return runScript("restore.sh", ws, env(extra));
  }

  before(async () => {
    server = await startMariaDb();
    await createUser(server, user, password);
  });
  after(async () => {
    for (const ws of workspaces) await ws.remove();
    await server?.stop();
  });

  test("a restore refused for a non-empty database keeps its dump: the next backup is a new entry beside it, and the first can still be restored by its checksum", async () => {
    const ws = await workspace();
    const first = await backUp(ws, ["first"]);
    const firstDump = await readFile(join(ws.backupDir, first.file ?? ""));
    assert.equal(first.sha256, createHash("sha256").update(firstDump).digest("hex"), "the report names the dump it wrote");
    assert.equal(first.size, String(firstDump.length));
    assert.match(first.file ?? "", new RegExp(`^${BACKUP_FILES.historyDir}/${BACKUP_FILES.historyPrefix}\\d{8}T\\d{6}Z\\.sql$`));

    const refused = await restore(ws);
    assert.equal(refused.code, EXIT_CODES.notEmpty, refused.stderr);

    const second = await backUp(ws, ["second"]);
    assert.notEqual(second.file, first.file);
    assert.equal(second.entries, "2");
    assert.deepEqual(await readFile(join(ws.backupDir, first.file ?? "")), firstDump, "the first dump is untouched");
    assert.deepEqual(
      await readFile(join(ws.backupDir, BACKUP_FILES.dump)),
      await readFile(join(ws.backupDir, second.file ?? "")),
      "the fixed name holds the newest",
    );

    await server.sql(`DROP DATABASE \`${db}\``);
    const loaded = await restore(ws, { [ENV.restoreSha256]: first.sha256 ?? "" });
    assert.equal(loaded.code, EXIT_CODES.ok, loaded.stderr);
    assert.equal(await server.sql("SELECT name FROM test", db), "first\n");
    const [firstEntry, secondEntry] = await entries(ws);
    assert.deepEqual(await listDir(historyDir(ws)), [
      `${firstEntry}.meta`,
      `${firstEntry}${BACKUP_FILES.restoredSuffix}`,
      `${firstEntry}.sql`,
      `${secondEntry}.meta`,
      `${secondEntry}.sql`,
    ]);
  });

  test("RESTORE_SHA256 names the older dump while a newer one sits committed half-way (its meta.next): the recorded dump is loaded, never the newer", async () => {
    const ws = await workspace();
    const older = await backUp(ws, ["older"]);
    const olderMeta = await readFile(join(ws.backupDir, BACKUP_FILES.metadata));
    await backUp(ws, ["newer"]);
    // The state between the last two renames of a backup: the newer dump under the fixed name, its metadata as meta.next,
    // the older metadata still the current one.
    await writeFile(join(ws.backupDir, BACKUP_FILES.pendingMetadata), await readFile(join(ws.backupDir, BACKUP_FILES.metadata)));
    await writeFile(join(ws.backupDir, BACKUP_FILES.metadata), olderMeta);
    await server.sql(`DROP DATABASE \`${db}\``);
    const loaded = await restore(ws, { [ENV.restoreSha256]: older.sha256 ?? "" });
    assert.equal(loaded.code, EXIT_CODES.ok, loaded.stderr);
    assert.equal(await server.sql("SELECT name FROM test", db), "older\n", "the dump the record names");
    assert.match(loaded.stdout, new RegExp(`sha256 ${older.sha256}`));
  });

  test("a re-run of a restore that succeeded (the same RESTORE_ID) says the dump is already restored and exits 0; another restore still refuses the data (exit 5)", async () => {
    const ws = await workspace();
    const taken = await backUp(ws, ["restored once"]);
    await server.sql(`DROP DATABASE \`${db}\``);
    const id = { [ENV.restoreId]: "3f2c6a1e-0b7d-4c55-9e1a-5d2f8c4b7a90", [ENV.restoreSha256]: taken.sha256 ?? "" };
    const first = await restore(ws, id);
    assert.equal(first.code, EXIT_CODES.ok, first.stderr);
    const again = await restore(ws, id);
    assert.equal(again.code, EXIT_CODES.ok, again.stderr);
    assert.match(again.stdout, /already restored into database otus-database by an earlier run of this restore/);
    assert.equal(await server.sql("SELECT name FROM test", db), "restored once\n", "loaded once, not twice");
    const other = await restore(ws, { ...id, [ENV.restoreId]: "another-uid" });
    assert.equal(other.code, EXIT_CODES.notEmpty, other.stderr);
  });

  test("retention keeps the newest BACKUP_KEEP entries and removes an older one only once it was restored", async () => {
    const ws = await workspace();
    const keep = { [ENV.backupKeep]: "2" };
    const first = await backUp(ws, ["1"], keep);
    await backUp(ws, ["2"], keep);
    const third = await backUp(ws, ["3"], keep);
    assert.equal(third.entries, "3", "the oldest was never restored: kept beyond BACKUP_KEEP");

    await server.sql(`DROP DATABASE \`${db}\``);
    const loaded = await restore(ws, { [ENV.restoreSha256]: first.sha256 ?? "" });
    assert.equal(loaded.code, EXIT_CODES.ok, loaded.stderr);
    const [firstEntry, secondEntry, thirdEntry] = await entries(ws);

    const fourth = await backUp(ws, ["4"], keep);
    assert.equal(fourth.entries, "3");
    const fourthEntry = (fourth.file ?? "").replace(/^.*\//, "").replace(/\.sql$/, "");
    assert.deepEqual(await entries(ws), [secondEntry, thirdEntry, fourthEntry], `${firstEntry} (restored) went; ${secondEntry} (never restored) stayed`);
    assert.ok(!(await listDir(historyDir(ws))).some((name) => name.startsWith(firstEntry ?? "?")), "its dump and mark went too");
  });

  test("RESTORE_SHA256 naming a dump the volume does not hold fails (exit 4), also on an empty volume, instead of 'nothing to restore'", async () => {
    const missing = "0".repeat(64);
    const empty = await workspace();
    const onEmpty = await restore(empty, { [ENV.restoreSha256]: missing });
    assert.equal(onEmpty.code, EXIT_CODES.verify, onEmpty.stdout);
    assert.match(onEmpty.stderr, new RegExp(`the backup record names the dump with sha256 ${missing}, but no metadata in .* names it`));

    const ws = await workspace();
    await backUp(ws, ["kept"]);
    await server.sql(`DROP DATABASE \`${db}\``);
    const other = await restore(ws, { [ENV.restoreSha256]: missing });
    assert.equal(other.code, EXIT_CODES.verify, other.stdout);
    assert.equal(await server.sql(`SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${db}'`), "0\n", "the server was not touched");
  });

  test("RESTORE_REQUIRED: a recorded backup with no dump on the volume fails (exit 4) instead of 'nothing to restore'", async () => {
    const ws = await workspace();
    const alone = await restore(ws);
    assert.equal(alone.code, EXIT_CODES.ok, alone.stderr);
    assert.match(alone.stdout, /nothing to restore/);
    const required = await restore(ws, { [ENV.restoreRequired]: "1" });
    assert.equal(required.code, EXIT_CODES.verify, required.stdout);
    assert.match(required.stderr, /a backup was recorded, but there is no dump in .*; refusing to call that nothing to restore/);
  });

  test("a dump is loaded only into the database it was taken from, unless RESTORE_FROM_DATABASE names that database (exit 8 otherwise, the server untouched)", async () => {
    const ws = await workspace();
    const taken = await backUp(ws, ["from otus"]);
    await server.sql(`DROP DATABASE \`${db}\``);
    const target = "renamed db";
    const into = (extra: Record<string, string> = {}) => runScript("restore.sh", ws, { ...connectionEnv(server, user, password, target), ...extra });
    const targetExists = async () => server.sql(`SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${target}'`);

    const refused = await into();
    assert.equal(refused.code, EXIT_CODES.otherDatabase, refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(
        `dump .* was taken from database ${db}, not ${target}; refusing to load it into another database \\(set ${ENV.restoreFromDatabase}=${db}, spec\\.restore\\.fromDatabase of the resource, to load it anyway\\)`,
      ),
    );
    assert.equal(await targetExists(), "0\n", "the server was not touched");

    const wrongSwitch = await into({ [ENV.restoreFromDatabase]: "yet-another" });
    assert.equal(wrongSwitch.code, EXIT_CODES.otherDatabase, wrongSwitch.stderr);
    assert.equal(await targetExists(), "0\n");

    const allowed = await into({ [ENV.restoreFromDatabase]: db, [ENV.restoreSha256]: taken.sha256 ?? "" });
    assert.equal(allowed.code, EXIT_CODES.ok, allowed.stderr);
    assert.equal(await server.sql("SELECT name FROM test", target), "from otus\n");
    await server.sql(`DROP DATABASE \`${target}\``);

    const own = await restore(ws, { [ENV.restoreFromDatabase]: "yet-another" });
    assert.equal(own.code, EXIT_CODES.ok, `a dump of the resource's own database is always accepted: ${own.stderr}`);
    assert.equal(await server.sql("SELECT name FROM test", db), "from otus\n");
  });

  test("BACKUP_KEEP must be a whole number of at least 1", async () => {
    const ws = await workspace();
    for (const value of ["0", "two", "-1"]) {
      const result = await runScript("backup.sh", ws, env({ [ENV.backupKeep]: value }));
      assert.equal(result.code, EXIT_CODES.config, `${value}: ${result.stderr}`);
      assert.match(result.stderr, /BACKUP_KEEP must be a whole number of backups, at least 1/);
    }
    assert.deepEqual(await listDir(ws.backupDir), []);
  });
});
