// Backup history against a real MariaDB server: every backup is a new entry that no
// later backup replaces, a restore names the dump it must load, and retention removes
// a dump once a restore loaded it or a newer dump of the same server supersedes it.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { link, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BACKUP_FILES, BACKUP_KINDS, ENV, EXIT_CODES } from "../../../src/mysql/scripts/index.ts";
import { mariaDbAvailable, runCommand, startMariaDb, type MariaDbServer } from "../../helpers/mariadb.ts";
import { connectionEnv, createUser, listDir, makeWorkspace, runScript, shellQuote, type Workspace } from "./harness.ts";

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
  /** The history entry (name without extension) a backup's report names. */
  const entryOf = (report: Record<string, string>) => (report.file ?? "").replace(/^.*\//, "").replace(/\.sql$/, "");
  /** The time an entry's name gives (`mysqlop-dump-20261130T220521Z` → 2026-11-30T22:05:21Z). */
  const fromStamp = (entry: string) => entry.replace(/^.*(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z");
  /** The metadata fields of a history entry. */
  const metaOf = async (ws: Workspace, entry: string) => fields(await readFile(join(historyDir(ws), `${entry}.meta`), "utf8"));
  const sourceA = "8d2c3f1e-0b7a-4c55-9e3d-5f6a7b8c9d0a";
  const sourceB = "1f0e9d8c-7b6a-4559-8e4d-3c2b1a0f9e8d";
  const of = (source: string, kind: keyof typeof BACKUP_KINDS) => ({ [ENV.backupSource]: source, [ENV.backupKind]: BACKUP_KINDS[kind] });
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

  /**
   * Puts the volume as a concurrent backup leaves it between its history entry (step 5) and its commit (step 6): the
   * fixed names hold `recorded`'s dump, `newer`'s is only in the history (links, as backup.sh makes them). Then wraps
   * the client so that its first call — the wait for the server, after the dump was verified — first commits `newer`
   * under the fixed names with backup.sh's renames. Returns a check that the commit happened.
   */
  async function commitDuringWait(ws: Workspace, recorded: Record<string, string>, newer: Record<string, string>): Promise<() => Promise<void>> {
    const at = (...parts: string[]) => join(ws.backupDir, ...parts);
    for (const [ext, to] of [
      ["sql", BACKUP_FILES.dump],
      ["meta", BACKUP_FILES.metadata],
    ] as const) {
      await link(at(BACKUP_FILES.historyDir, `${entryOf(recorded)}.${ext}`), at(`${to}.setup`));
      await rename(at(`${to}.setup`), at(to));
    }
    const committed = join(ws.root, "committed");
    const real = (await runCommand("/bin/sh", ["-c", "command -v mariadb"], { env: { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" } })).stdout.trim();
    const newerEntry = shellQuote(at(BACKUP_FILES.historyDir, entryOf(newer)));
    await writeFile(
      join(ws.binDir, "mariadb"),
      [
        "#!/bin/sh",
        `if [ ! -e ${shellQuote(committed)} ]; then`,
        `  : >${shellQuote(committed)}`,
        `  ln ${newerEntry}.sql ${shellQuote(at(".hook.sql"))} && mv -f ${shellQuote(at(".hook.sql"))} ${shellQuote(at(BACKUP_FILES.dump))} || exit 99`,
        `  ln ${newerEntry}.meta ${shellQuote(at(".hook.meta"))} && mv -f ${shellQuote(at(".hook.meta"))} ${shellQuote(at(BACKUP_FILES.metadata))} || exit 99`,
        "fi",
        `exec ${shellQuote(real)} "$@"`,
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    return async () =>
      assert.deepEqual(await readFile(at(BACKUP_FILES.dump)), await readFile(at(newer.file ?? "")), "the newer dump was committed during the restore");
  }

  test("a backup that commits a newer dump while the restore waits for the server: the restore still loads the recorded dump, from its history entry", async () => {
    const ws = await workspace();
    const older = await backUp(ws, ["older"]);
    const newer = await backUp(ws, ["newer"]);
    const committed = await commitDuringWait(ws, older, newer);
    await server.sql(`DROP DATABASE \`${db}\``);
    const loaded = await restore(ws, { [ENV.restoreSha256]: older.sha256 ?? "" });
    assert.equal(loaded.code, EXIT_CODES.ok, loaded.stderr);
    await committed();
    assert.equal(await server.sql("SELECT name FROM test", db), "older\n", "the dump the record names and the restore verified");
    assert.match(loaded.stdout, new RegExp(`dump verified: .*${entryOf(older)}\\.sql \\(\\d+ bytes, sha256 ${older.sha256},`));
    assert.match(loaded.stdout, new RegExp(`restored database ${db} from .*${entryOf(older)}\\.sql`));
  });

  test("with no history entry to load (a volume from before the history), a newer dump renamed over the fixed name during the wait is not loaded either: the restore loads the file it opened and verified", async () => {
    const ws = await workspace();
    const older = await backUp(ws, ["older"]);
    const newer = await backUp(ws, ["newer"]);
    const committed = await commitDuringWait(ws, older, newer);
    // Only the fixed names hold the recorded dump now.
    for (const ext of ["sql", "meta"]) await rm(join(historyDir(ws), `${entryOf(older)}.${ext}`));
    await server.sql(`DROP DATABASE \`${db}\``);
    const loaded = await restore(ws, { [ENV.restoreSha256]: older.sha256 ?? "" });
    assert.equal(loaded.code, EXIT_CODES.ok, loaded.stderr);
    await committed();
    assert.equal(await server.sql("SELECT name FROM test", db), "older\n", "the dump the record names and the restore verified");
    assert.match(loaded.stdout, new RegExp(`dump verified: .*/${BACKUP_FILES.dump} \\(\\d+ bytes, sha256 ${older.sha256},`));
  });

  test("a re-run of a restore that succeeded (the same RESTORE_ID) says the dump is already restored and exits 0; another restore still refuses the data (exit 5)", async () => {
    const ws = await workspace();
    const taken = await backUp(ws, ["restored once"]);
    await server.sql(`DROP DATABASE \`${db}\``);
    const id = { [ENV.restoreId]: "3f2c6a1e-0b7d-4c55-9e1a-5d2f8c4b7a90", [ENV.restoreSha256]: taken.sha256 ?? "" };
    const first = await restore(ws, id);
    assert.equal(first.code, EXIT_CODES.ok, first.stderr);
    // As if the first run's pod was killed after it recorded the load, before it marked the entry restored.
    const mark = join(historyDir(ws), `${entryOf(taken)}${BACKUP_FILES.restoredSuffix}`);
    await rm(mark);
    const again = await restore(ws, id);
    assert.equal(again.code, EXIT_CODES.ok, again.stderr);
    assert.match(again.stdout, /already restored into database otus-database by an earlier run of this restore/);
    assert.match(await readFile(mark, "utf8"), /^restored=/, "the re-run marks the entry restored (else retention kept it for ever)");
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
    const fourthEntry = entryOf(fourth);
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

  test("scheduled dumps of one server: retention leaves the newest BACKUP_KEEP, each older one superseded by a newer dump of the same source, and says so", async () => {
    const ws = await workspace();
    const options = { [ENV.backupKeep]: "2", ...of(sourceA, "scheduled") };
    const reports = [];
    for (const row of ["1", "2", "3", "4", "5"]) reports.push(await backUp(ws, [row], options));
    assert.deepEqual(
      reports.map((report) => report.entries),
      ["1", "2", "2", "2", "2"],
    );
    assert.deepEqual(await entries(ws), reports.slice(-2).map(entryOf), "only the newest two remain");
    assert.deepEqual(
      await listDir(historyDir(ws)),
      (await entries(ws)).flatMap((entry) => [`${entry}.meta`, `${entry}.sql`]),
      "their dumps went with them",
    );
    const meta = await metaOf(ws, entryOf(reports[4] ?? {}));
    assert.equal(meta.source, sourceA);
    assert.equal(meta.kind, BACKUP_KINDS.scheduled);

    const said = await runScript("backup.sh", ws, env(options));
    assert.equal(said.code, EXIT_CODES.ok, said.stderr);
    assert.match(
      said.stdout,
      new RegExp(
        `retention: removed .*/${entryOf(reports[3] ?? {})}\\.sql \\(scheduled backup of ${sourceA}\\), older than the newest 2: superseded by ${entryOf(reports[4] ?? {})}\\.sql of the same source`,
      ),
    );
  });

  test("a backup whose pod's clock is behind (another node) still names its entry after the newest: the history's order stays the order of the backups, which retention goes by", async () => {
    const ws = await workspace();
    const keep = { [ENV.backupKeep]: "1" };
    const scheduled = await backUp(ws, ["on time"], { ...keep, ...of(sourceA, "scheduled") });
    // The final backup's node is 10 minutes behind.
    const real = (await runCommand("/bin/sh", ["-c", "command -v date"], { env: { PATH: "/usr/bin:/bin" } })).stdout.trim();
    await writeFile(join(ws.binDir, "date"), `#!/bin/sh\nexec '${real}' -d "@$(( $('${real}' +%s) - 600 ))" "$@"\n`, { mode: 0o755 });
    const final = await backUp(ws, ["final"], { ...keep, ...of(sourceA, "final") });
    assert.ok(entryOf(final) > entryOf(scheduled), `the final entry sorts after the scheduled one: ${entryOf(final)} vs ${entryOf(scheduled)}`);
    assert.match(entryOf(final), /^mysqlop-dump-\d{8}T\d{6}Z$/);
    assert.ok(Date.parse(final.created ?? "") < Date.parse(fromStamp(entryOf(scheduled))), "its metadata keeps its own clock's time");
    assert.deepEqual(await entries(ws), [entryOf(final)], "the scheduled dump is the one superseded, not the final one");
    assert.equal((await metaOf(ws, entryOf(final))).sha256, final.sha256);

    // The next server's backups, on a node with the right clock: A's final dump, never restored, stays.
    await rm(join(ws.binDir, "date"));
    const next = await backUp(ws, ["next"], { ...keep, ...of(sourceB, "scheduled") });
    assert.deepEqual(await entries(ws), [entryOf(final), entryOf(next)]);
  });

  test("the final dump of a server that was never restored survives any number of dumps of the next server; a restored one goes", async () => {
    const ws = await workspace();
    const keep = { [ENV.backupKeep]: "2" };
    await backUp(ws, ["a scheduled"], { ...keep, ...of(sourceA, "scheduled") });
    const finalA = await backUp(ws, ["a final"], { ...keep, ...of(sourceA, "final") });
    assert.equal((await metaOf(ws, entryOf(finalA))).kind, BACKUP_KINDS.final);

    // The next server's restore is refused (its database is not empty): A's final dump stays unrestored.
    const refused = await restore(ws, { [ENV.restoreSha256]: finalA.sha256 ?? "" });
    assert.equal(refused.code, EXIT_CODES.notEmpty, refused.stderr);
    const ofB = [];
    for (const row of ["b1", "b2", "b3", "b4", "b5"]) ofB.push(await backUp(ws, [row], { ...keep, ...of(sourceB, "scheduled") }));
    assert.deepEqual(
      await entries(ws),
      [entryOf(finalA), ...ofB.slice(-2).map(entryOf)],
      "A's scheduled dump was superseded by its final one; the final one is the newest of A",
    );
    assert.equal(ofB.at(-1)?.entries, "3");

    await server.sql(`DROP DATABASE \`${db}\``);
    const loaded = await restore(ws, { [ENV.restoreSha256]: finalA.sha256 ?? "" });
    assert.equal(loaded.code, EXIT_CODES.ok, loaded.stderr);
    assert.equal(await server.sql("SELECT name FROM test", db), "a final\n", "it is still the dump A left");
    const afterRestore = await backUp(ws, ["b6"], { ...keep, ...of(sourceB, "scheduled") });
    assert.deepEqual(await entries(ws), [entryOf(ofB.at(-1) ?? {}), entryOf(afterRestore)], "once restored, A's final dump goes like any other");
  });

  test("entries without a source (an older script's) keep the old rule: kept until restored, whatever newer dumps with a source come", async () => {
    const ws = await workspace();
    const keep = { [ENV.backupKeep]: "1" };
    const old = [await backUp(ws, ["old 1"], keep), await backUp(ws, ["old 2"], keep)];
    for (const entry of old.map(entryOf)) assert.equal((await metaOf(ws, entry)).source, undefined, "no BACKUP_SOURCE: no source recorded");
    const sourced = [];
    for (const row of ["a1", "a2", "a3"]) sourced.push(await backUp(ws, [row], { ...keep, ...of(sourceA, "scheduled") }));
    assert.deepEqual(await entries(ws), [...old.map(entryOf), entryOf(sourced.at(-1) ?? {})]);
    const said = await runScript("backup.sh", ws, env({ ...keep, ...of(sourceA, "scheduled") }));
    assert.equal(said.code, EXIT_CODES.ok, said.stderr);
    assert.match(
      said.stdout,
      new RegExp(`retention: kept .*/${entryOf(old[0] ?? {})}\\.sql, older than the newest 1: it was never restored, and its metadata names no source`),
    );
  });

  test("BACKUP_SOURCE and BACKUP_KIND are checked before anything is written", async () => {
    const ws = await workspace();
    const given: [Record<string, string>, RegExp][] = [
      [{ [ENV.backupSource]: "a/b" }, /BACKUP_SOURCE must name the server with letters, digits, '\.', '_' and '-' only/],
      [{ [ENV.backupSource]: "a\nsource=b" }, /BACKUP_SOURCE must name the server/],
      [{ [ENV.backupKind]: "hourly" }, /BACKUP_KIND must be final or scheduled/],
    ];
    for (const [extra, message] of given) {
      const result = await runScript("backup.sh", ws, env(extra));
      assert.equal(result.code, EXIT_CODES.config, `${JSON.stringify(extra)}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
    assert.deepEqual(await listDir(ws.backupDir), []);
  });
});
