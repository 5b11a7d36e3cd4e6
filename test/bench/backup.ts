// npm run bench:backup — backup.sh / restore.sh against plain `mariadb-dump > file`
// / `mariadb < file` on the same ~100 MB database, same server, same run.
// Prints wall-clock MB/s (best and median run) and the CPU seconds spent by the
// client side (the command and all its children) and by the server: on a shared
// machine the wall clock is noisy, CPU time much less so. Asserts nothing.
//   BENCH_ROWS (default 480000 ≈ 117 MB of dump), BENCH_REPEAT (default 3),
//   BENCH_COMPARE: comma-separated git revisions (e.g. `main`) or directories whose
//   backup.sh/restore.sh/common.sh are measured in the same run beside this tree's,
//   for before/after figures that share one machine state.
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { BACKUP_FILES, EXIT_CODES, SCRIPT_FILES, scriptPath } from "../../src/mysql/scripts/index.ts";
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

/** One set of scripts under test: this tree's, or one named in BENCH_COMPARE. */
interface Scripts {
  /** `backup.sh`, or `backup.sh (main)` for a compared revision. */
  suffix: string;
  backup: string;
  restore: string;
}

/** Copies the scripts of `source` (a directory, or a git revision of this repository) into `into`. */
async function comparedScripts(source: string, into: string): Promise<Scripts> {
  await mkdir(into, { recursive: true });
  for (const file of Object.values(SCRIPT_FILES)) {
    let text: string;
    if (existsSync(source)) text = await readFile(join(source, file), "utf8");
    else {
      const shown = await runCommand("git", ["show", `${source}:src/mysql/scripts/${file}`], {
        cwd: scriptPath("backup.sh").replace(/\/src\/mysql\/scripts\/backup\.sh$/, ""),
      });
      if (shown.code !== 0) throw new Error(`BENCH_COMPARE: cannot read ${file} of ${source}: ${shown.stderr}`);
      text = shown.stdout;
    }
    await writeFile(join(into, file), text);
  }
  return { suffix: ` (${source})`, backup: join(into, SCRIPT_FILES.backup), restore: join(into, SCRIPT_FILES.restore) };
}

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
  // Unmeasured: write back what earlier steps left dirty (the plain dump never flushes its
  // file), so that no step pays for another's writeback when it flushes its own.
  await runCommand("sync", []);
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
    const sets: Scripts[] = [{ suffix: "", backup: scriptPath("backup.sh"), restore: scriptPath("restore.sh") }];
    const compare = (process.env.BENCH_COMPARE ?? "").split(",").filter((source) => source !== "");
    for (const [index, source] of compare.entries()) sets.push(await comparedScripts(source, join(ws.root, `compare-${index}`)));
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
    const dumps: Step[] = [
      {
        label: PLAIN_DUMP,
        run: () => measure(server, PLAIN_DUMP, plainEnv, ["sh", "-c", 'mariadb-dump "$@" > "$0"', plainFile, ...client, ...dumpOptions, "--", db]),
      },
      ...sets.map((set) => ({ label: `backup.sh${set.suffix}`, run: () => measure(server, `backup.sh${set.suffix}`, scriptEnv, ["/bin/sh", set.backup]) })),
    ];
    const restores: Step[] = [
      {
        label: PLAIN_RESTORE,
        run: async () => {
          await server.sql(`DROP DATABASE ${db}; CREATE DATABASE ${db};`);
          const run = await measure(server, PLAIN_RESTORE, plainEnv, ["sh", "-c", 'mariadb "$@" < "$0"', plainFile, ...client, `--database=${db}`]);
          await checkData("plain restore");
          return run;
        },
      },
      ...sets.map((set) => ({
        label: `restore.sh${set.suffix}`,
        run: async () => {
          await server.sql(`DROP DATABASE ${db}`);
          const run = await measure(server, `restore.sh${set.suffix}`, scriptEnv, ["/bin/sh", set.restore]);
          await checkData(`restore.sh${set.suffix}`);
          return run;
        },
      })),
    ];
    const runs = new Map<string, Run[]>([...dumps, ...restores].map((step) => [step.label, []]));
    // Rotate which goes first, so that warm-up and cache effects favour none of them.
    // Each restore loads the dump the last backup.sh left (the same data every round).
    for (let round = 1; round <= repeat; round++) {
      process.stdout.write(`round ${round}/${repeat}\n`);
      for (const steps of [dumps, restores]) {
        const shift = (round - 1) % steps.length;
        for (const step of [...steps.slice(shift), ...steps.slice(0, shift)]) runs.get(step.label)!.push(await step.run());
      }
    }
    report(runs, dumps, restores, (await stat(plainFile)).size, (await stat(ourFile)).size);
  } finally {
    await ws?.remove();
    await server.stop();
  }
}

const PLAIN_DUMP = "plain mariadb-dump > file";
const PLAIN_RESTORE = "plain mariadb < file";

/** A measured command: one row of the report. */
interface Step {
  label: string;
  run: () => Promise<Run>;
}

function report(runs: Map<string, Run[]>, dumps: Step[], restores: Step[], plainBytes: number, ourBytes: number): void {
  const mb = (bytes: number) => bytes / 1e6;
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
  const best = (values: number[]) => Math.min(...values);
  const of = (label: string) => runs.get(label) ?? [];
  const bytesOf = (label: string) => (label === PLAIN_DUMP || label === PLAIN_RESTORE ? plainBytes : ourBytes);
  const lines = [
    "",
    `dump size: plain ${mb(plainBytes).toFixed(1)} MB, backup.sh ${mb(ourBytes).toFixed(1)} MB; ${repeat} runs each`,
    "",
    `${"".padEnd(36)}wall s (best/median)   MB/s (best/median)   client CPU s   server CPU s   (medians)`,
  ];
  for (const { label } of [...dumps, ...restores]) {
    const wall = of(label).map((r) => r.wall);
    lines.push(
      `${label.padEnd(36)}${best(wall).toFixed(2).padStart(7)} /${median(wall).toFixed(2).padStart(6)}      ` +
        `${(mb(bytesOf(label)) / best(wall)).toFixed(1).padStart(7)} /${(mb(bytesOf(label)) / median(wall)).toFixed(1).padStart(6)}` +
        `${median(of(label).map((r) => r.clientCpu))
          .toFixed(2)
          .padStart(15)}${median(of(label).map((r) => r.serverCpu))
          .toFixed(2)
          .padStart(15)}`,
    );
  }
  const ratio = (ours: string, plain: string, pick: (values: number[]) => number) =>
    ((mb(bytesOf(ours)) / pick(of(ours).map((r) => r.wall)) / (mb(bytesOf(plain)) / pick(of(plain).map((r) => r.wall)))) * 100).toFixed(1);
  const cpu = (label: string) => median(of(label).map((r) => r.clientCpu + r.serverCpu));
  lines.push("");
  for (const [steps, plain] of [
    [dumps, PLAIN_DUMP],
    [restores, PLAIN_RESTORE],
  ] as const) {
    for (const { label } of steps.filter((step) => step.label !== plain)) {
      lines.push(
        `${label.padEnd(26)} vs ${plain}: ${ratio(label, plain, best)} % of the throughput (best runs), ${ratio(label, plain, median)} % (medians); ` +
          `total CPU ${((cpu(plain) / cpu(label)) * 100).toFixed(1)} % efficiency. Target >= 85 %`,
      );
    }
  }
  lines.push("");
  process.stdout.write(lines.join("\n"));
}

await main();
