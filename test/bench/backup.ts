// npm run bench:backup — throughput of backup.sh / restore.sh against plain
// `mariadb-dump > file` / `mariadb < file` on the same ~100 MB database, same
// server, same run. Prints figures; asserts nothing about timing.
//   BENCH_ROWS (default 480000 ≈ 100 MB of dump), BENCH_REPEAT (default 3). Prints the best and the median run of each.
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { BACKUP_FILES, EXIT_CODES } from "../../src/mysql/scripts/index.ts";
import { runCommand, startMariaDb, type MariaDbServer } from "../helpers/mariadb.ts";
import { connectionEnv, createUser, makeWorkspace, runScript, tableDigest, type Workspace } from "../integration/backup/harness.ts";

const rows = Number(process.env.BENCH_ROWS ?? 480_000);
const repeat = Number(process.env.BENCH_REPEAT ?? 3);
const db = "bench";
const user = "bench";
const password = "bench-password";
const dumpOptions = ["--single-transaction", "--routines", "--triggers", "--events", "--no-tablespaces"];

async function timed(label: string, run: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await run();
  const seconds = (performance.now() - start) / 1000;
  process.stdout.write(`  ${label}: ${seconds.toFixed(2)} s\n`);
  return seconds;
}

async function must(result: Promise<{ code: number | null; stderr: string }>, what: string): Promise<void> {
  const { code, stderr } = await result;
  if (code !== EXIT_CODES.ok) throw new Error(`${what} failed (${code}): ${stderr}`);
}

async function plainDump(server: MariaDbServer, file: string): Promise<void> {
  await must(
    runCommand("/bin/sh", [
      "-c",
      'exec mariadb-dump --host=127.0.0.1 --port="$1" --user="$2" --password="$3" "$4" "$5" "$6" "$7" "$8" -- "$9" > "${10}"',
      "sh",
      String(server.port),
      user,
      password,
      ...dumpOptions,
      db,
      file,
    ]),
    "plain dump",
  );
}

async function plainRestore(server: MariaDbServer, file: string): Promise<void> {
  await server.sql(`CREATE DATABASE ${db}`);
  await must(
    runCommand("/bin/sh", [
      "-c",
      'exec mariadb --host=127.0.0.1 --port="$1" --user="$2" --password="$3" --database="$4" < "$5"',
      "sh",
      String(server.port),
      user,
      password,
      db,
      file,
    ]),
    "plain restore",
  );
}

async function main(): Promise<void> {
  const server = await startMariaDb({ serverArgs: ["--innodb-buffer-pool-size=1G", "--innodb-log-file-size=512M"] });
  let ws: Workspace | undefined;
  try {
    ws = await makeWorkspace();
    await createUser(server, user, password);
    process.stdout.write(`MariaDB ${server.version}; generating ${rows} rows...\n`);
    await server.sql(
      `CREATE DATABASE ${db};\nUSE ${db};\n` +
        "CREATE TABLE events (id int primary key, at datetime, kind varchar(20), payload varchar(255), score double) ENGINE=InnoDB;\n" +
        `INSERT INTO events SELECT seq, '2026-01-01' + INTERVAL seq SECOND, CONCAT('kind-', seq % 17), ` +
        `CONCAT(SHA2(seq, 256), ' ', SHA2(seq + 1, 256), ' ', SHA2(seq + 2, 224)), seq / 3 FROM seq_1_to_${rows};`,
    );
    const digest = await tableDigest(server, db, "events", "id");
    const env = connectionEnv(server, user, password, db);
    const plainFile = join(ws.root, "plain.sql");
    const ourFile = join(ws.backupDir, BACKUP_FILES.dump);
    const runs: Record<"plainDump" | "ourDump" | "plainRestore" | "ourRestore", number[]> = { plainDump: [], ourDump: [], plainRestore: [], ourRestore: [] };
    const workspace = ws;

    const steps = {
      plainDump: () => timed("plain mariadb-dump > file", () => plainDump(server, plainFile)),
      ourDump: () => timed("backup.sh", () => must(runScript("backup.sh", workspace, env), "backup.sh")),
      plainRestore: async () => {
        await server.sql(`DROP DATABASE ${db}`);
        const seconds = await timed("plain mariadb < file", () => plainRestore(server, plainFile));
        if ((await tableDigest(server, db, "events", "id")) !== digest) throw new Error("plain restore changed the data");
        return seconds;
      },
      ourRestore: async () => {
        await server.sql(`DROP DATABASE ${db}`);
        const seconds = await timed("restore.sh", () => must(runScript("restore.sh", workspace, env), "restore.sh"));
        if ((await tableDigest(server, db, "events", "id")) !== digest) throw new Error("restore.sh changed the data");
        return seconds;
      },
    };
    // Alternate which goes first, so that warm-up and cache effects do not favour one side.
    for (let round = 1; round <= repeat; round++) {
      process.stdout.write(`round ${round}/${repeat}\n`);
      const order: (keyof typeof steps)[] =
        round % 2 === 1 ? ["plainDump", "ourDump", "plainRestore", "ourRestore"] : ["ourDump", "plainDump", "ourRestore", "plainRestore"];
      for (const step of order) runs[step].push(await steps[step]());
    }

    const plainBytes = (await stat(plainFile)).size;
    const ourBytes = (await stat(ourFile)).size;
    const mb = (bytes: number) => bytes / 1e6;
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
    const pick = { best: (values: number[]) => Math.min(...values), median };
    const lines = ["", `dump size: plain ${mb(plainBytes).toFixed(1)} MB, backup.sh ${mb(ourBytes).toFixed(1)} MB; ${repeat} runs each`];
    for (const [label, choose] of Object.entries(pick)) {
      const t = {
        plainDump: choose(runs.plainDump),
        ourDump: choose(runs.ourDump),
        plainRestore: choose(runs.plainRestore),
        ourRestore: choose(runs.ourRestore),
      };
      const rate = (bytes: number, seconds: number) => mb(bytes) / seconds;
      const row = (name: string, bytes: number, seconds: number) =>
        `${name.padEnd(27)}${seconds.toFixed(2).padStart(8)}  ${rate(bytes, seconds).toFixed(1).padStart(7)}`;
      const ratio = (ours: number, plain: number) => ((rate(ourBytes, ours) / rate(plainBytes, plain)) * 100).toFixed(1);
      lines.push(
        "",
        `${label} run              seconds     MB/s`,
        row("plain mariadb-dump > file", plainBytes, t.plainDump),
        row("backup.sh", ourBytes, t.ourDump),
        row("plain mariadb < file", plainBytes, t.plainRestore),
        row("restore.sh", ourBytes, t.ourRestore),
        `backup.sh  / plain dump:    ${ratio(t.ourDump, t.plainDump)} % of the throughput (target >= 85 %)`,
        `restore.sh / plain restore: ${ratio(t.ourRestore, t.plainRestore)} % of the throughput (target >= 85 %)`,
      );
    }
    process.stdout.write(lines.join("\n") + "\n");
  } finally {
    await ws?.remove();
    await server.stop();
  }
}

await main();
