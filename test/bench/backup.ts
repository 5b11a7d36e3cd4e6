// npm run bench:backup — backup.sh / restore.sh against plain `mariadb-dump > file`
// / `mariadb < file` on the same ~100 MB database, same server, same run.
// Prints wall-clock MB/s (best and median run) and the CPU seconds spent by the
// client side (the command and all its children) and by the server: on a shared
// machine the wall clock is noisy, CPU time much less so. Asserts nothing.
//   BENCH_ROWS (default 480000 ≈ 117 MB of dump), BENCH_REPEAT (default 3).
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { BACKUP_FILES, EXIT_CODES, scriptPath } from "../../src/mysql/scripts/index.ts";
import { runCommand, startMariaDb, type MariaDbServer } from "../helpers/mariadb.ts";
import { connectionEnv, createUser, makeWorkspace, tableDigest, type Workspace } from "../integration/backup/harness.ts";

const rows = Number(process.env.BENCH_ROWS ?? 480_000);
const repeat = Number(process.env.BENCH_REPEAT ?? 3);
const db = "bench";
const user = "bench";
const password = "bench-password";
const dumpOptions = ["--single-transaction", "--routines", "--triggers", "--events", "--no-tablespaces"];
// Runs "$@" and then prints, with the shell builtin `times`, the CPU time of
// everything it waited for; the child's exit status is kept.
const withTimes = '"$@"; status=$?; times >&2; exit $status';

type Step = "plainDump" | "ourDump" | "plainRestore" | "ourRestore";
interface Run {
  wall: number;
  clientCpu: number;
  serverCpu: number;
}

async function serverCpuSeconds(server: MariaDbServer): Promise<number> {
  // Fields 14 and 15 of /proc/PID/stat (after the parenthesised name): utime, stime in clock ticks.
  const fields = (await readFile(`/proc/${server.pid}/stat`, "utf8")).replace(/^.*\) /s, "").split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function measure(server: MariaDbServer, label: string, env: NodeJS.ProcessEnv, command: string[]): Promise<Run> {
  const serverBefore = await serverCpuSeconds(server);
  const start = performance.now();
  const result = await runCommand("/bin/sh", ["-c", withTimes, "sh", ...command], { env });
  const wall = (performance.now() - start) / 1000;
  if (result.code !== EXIT_CODES.ok) throw new Error(`${label} failed (${result.code}): ${result.stderr}`);
  const serverCpu = (await serverCpuSeconds(server)) - serverBefore;
  // `times` prints the shell's user/sys, then its children's: "0m1.230000s 0m0.450000s".
  const childLine = result.stderr.trim().split("\n").at(-1) ?? "";
  const clientCpu = [...childLine.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
  process.stdout.write(`  ${label.padEnd(26)} ${wall.toFixed(2)} s wall, ${clientCpu.toFixed(2)} s client CPU, ${serverCpu.toFixed(2)} s server CPU\n`);
  return { wall, clientCpu, serverCpu };
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
    const plainFile = join(ws.root, "plain.sql");
    const ourFile = join(ws.backupDir, BACKUP_FILES.dump);
    const plainEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
    const scriptEnv = { ...plainEnv, HOME: ws.homeDir, TMPDIR: ws.tmpDir, BACKUP_DIR: ws.backupDir, ...connectionEnv(server, user, password, db) };
    const client = [`--host=127.0.0.1`, `--port=${server.port}`, `--user=${user}`, `--password=${password}`];
    const checkData = async (what: string) => {
      if ((await tableDigest(server, db, "events", "id")) !== digest) throw new Error(`${what} changed the data`);
    };
    const steps: Record<Step, () => Promise<Run>> = {
      plainDump: () =>
        measure(server, "plain mariadb-dump > file", plainEnv, ["sh", "-c", 'mariadb-dump "$@" > "$0"', plainFile, ...client, ...dumpOptions, "--", db]),
      ourDump: () => measure(server, "backup.sh", scriptEnv, ["/bin/sh", scriptPath("backup.sh")]),
      plainRestore: async () => {
        await server.sql(`DROP DATABASE ${db}; CREATE DATABASE ${db};`);
        const run = await measure(server, "plain mariadb < file", plainEnv, ["sh", "-c", 'mariadb "$@" < "$0"', plainFile, ...client, `--database=${db}`]);
        await checkData("plain restore");
        return run;
      },
      ourRestore: async () => {
        await server.sql(`DROP DATABASE ${db}`);
        const run = await measure(server, "restore.sh", scriptEnv, ["/bin/sh", scriptPath("restore.sh")]);
        await checkData("restore.sh");
        return run;
      },
    };
    const runs: Record<Step, Run[]> = { plainDump: [], ourDump: [], plainRestore: [], ourRestore: [] };
    // Alternate which goes first, so that warm-up and cache effects favour neither side.
    for (let round = 1; round <= repeat; round++) {
      process.stdout.write(`round ${round}/${repeat}\n`);
      const order: Step[] = round % 2 === 1 ? ["plainDump", "ourDump", "plainRestore", "ourRestore"] : ["ourDump", "plainDump", "ourRestore", "plainRestore"];
      for (const step of order) runs[step].push(await steps[step]());
    }
    report(runs, (await stat(plainFile)).size, (await stat(ourFile)).size);
  } finally {
    await ws?.remove();
    await server.stop();
  }
}

function report(runs: Record<Step, Run[]>, plainBytes: number, ourBytes: number): void {
  const mb = (bytes: number) => bytes / 1e6;
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
  const best = (values: number[]) => Math.min(...values);
  const rows: [string, Step, number][] = [
    ["plain mariadb-dump > file", "plainDump", plainBytes],
    ["backup.sh", "ourDump", ourBytes],
    ["plain mariadb < file", "plainRestore", plainBytes],
    ["restore.sh", "ourRestore", ourBytes],
  ];
  const lines = [
    "",
    `dump size: plain ${mb(plainBytes).toFixed(1)} MB, backup.sh ${mb(ourBytes).toFixed(1)} MB; ${repeat} runs each`,
    "",
    "                            wall s (best/median)   MB/s (best/median)   client CPU s   server CPU s   (medians)",
  ];
  for (const [name, step, bytes] of rows) {
    const wall = runs[step].map((r) => r.wall);
    lines.push(
      `${name.padEnd(27)}${best(wall).toFixed(2).padStart(7)} /${median(wall).toFixed(2).padStart(6)}      ` +
        `${(mb(bytes) / best(wall)).toFixed(1).padStart(7)} /${(mb(bytes) / median(wall)).toFixed(1).padStart(6)}` +
        `${median(runs[step].map((r) => r.clientCpu))
          .toFixed(2)
          .padStart(15)}${median(runs[step].map((r) => r.serverCpu))
          .toFixed(2)
          .padStart(15)}`,
    );
  }
  const ratio = (ours: Step, plain: Step, pick: (values: number[]) => number) =>
    ((mb(ourBytes) / pick(runs[ours].map((r) => r.wall)) / (mb(plainBytes) / pick(runs[plain].map((r) => r.wall)))) * 100).toFixed(1);
  const cpu = (step: Step) => median(runs[step].map((r) => r.clientCpu + r.serverCpu));
  lines.push(
    "",
    `backup.sh  vs plain dump:    ${ratio("ourDump", "plainDump", best)} % of the throughput (best runs), ${ratio("ourDump", "plainDump", median)} % (medians); total CPU ${((cpu("plainDump") / cpu("ourDump")) * 100).toFixed(1)} % efficiency. Target >= 85 %`,
    `restore.sh vs plain restore: ${ratio("ourRestore", "plainRestore", best)} % of the throughput (best runs), ${ratio("ourRestore", "plainRestore", median)} % (medians); total CPU ${((cpu("plainRestore") / cpu("ourRestore")) * 100).toFixed(1)} % efficiency. Target >= 85 %`,
    "",
  );
  process.stdout.write(lines.join("\n"));
}

await main();
