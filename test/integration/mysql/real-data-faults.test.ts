/**
 * Faults with real data on the process node, the operator a separate `mysqlop run` process under its generated
 * RBAC. Both tests pick their moments from states they observe, never from a sampler's luck:
 *
 * - the server killed while the final backup is dumping (held on a table lock the test owns, so "during" is
 *   certain) and kept down: the deletion is held, a condition and a Warning Event say why, the previous dump is
 *   untouched; the server back, the backup completes with the newest rows;
 * - the operator SIGKILLed at seeded points of create, delete and re-create (MYSQLOP_CHAOS_SEED=n repeats a run)
 *   and restarted: every resource converges, no dump is lost, and each backup and restore Job was made once and
 *   succeeded once (Job pods are watched, so every attempt is counted however short it was).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi, type V1Pod } from "@kubernetes/client-node";
import type { MySQL } from "../../../generated/mysql-models.ts";
import { EXIT_CODES } from "../../../src/mysql/scripts/index.ts";
import { optionFileValue } from "../../../src/mysql/sql.ts";
import { kubectl, startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";
import { orUndefined } from "../../helpers/not-found.ts";
import { eventually } from "../../helpers/eventually.ts";
import { seededRandom } from "../../helpers/seeded-random.ts";
import { watchJobAttempts, type JobAttempts } from "../../helpers/job-attempts.ts";
import { mysqlOk } from "../../helpers/mysql-client.ts";
import { OperatorProcess } from "../../helpers/operator-process.ts";
import { containerPid, isReady, processNodeSkip } from "../../helpers/process-node.ts";

const NS = "default";
const LONG = 240_000;

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * The Job `job` was made once and ran to success once. Its pod may have been retried before that for one cause
 * only, told by its log, not its exit code: the script's own "cannot connect" (exit 2; the Job retries an
 * unreachable server by design). Any other failed attempt fails the test; every one is printed with its log.
 */
const RETRIED_FAILURES: readonly { what: string; log: RegExp }[] = [
  { what: "the server not reachable", log: /cannot connect to the server|server not reachable within/ },
];

async function ranOnce(attempts: JobAttempts, job: string): Promise<void> {
  // The pods ended before the Job completed, but the watch may deliver that a moment after the test saw the outcome.
  const seen = await eventually(
    `every attempt of ${job} seen to its end`,
    async () => {
      const all = attempts.of(job);
      return all.length > 0 && all.every((a) => (a.exitCode !== undefined && a.log !== undefined) || a.deleted === true) && all;
    },
    60_000,
  );
  // A pod deleted before the watch saw its end (its Job garbage-collected with the resource at once): its outcome is
  // unknown, said loudly; the dump on the volume (checked by the caller) shows the backup ran.
  for (const a of seen.filter((x) => x.exitCode === undefined)) console.log(`# ${job}: attempt ${a.pod} was deleted before its end was seen`);
  const known = seen.filter((a) => a.exitCode !== undefined);
  const failed = known.filter((a) => a.exitCode !== 0);
  const cause = (log = "") => RETRIED_FAILURES.find((f) => f.log.test(log))?.what;
  for (const a of failed) console.log(`# ${job}: attempt ${a.pod} failed (${cause(a.log) ?? "unexpected"}), exit ${a.exitCode}: ${a.log?.trim()}`);
  assert.equal(attempts.lostBecause, undefined, `the watch of Job pods ended early (${attempts.lostBecause}): attempts may be missing`);
  // Made once: a second Job of the name would be a second backup against the same history (or a lost final backup).
  const jobs = [...new Set(seen.map((a) => a.jobUid))];
  assert.equal(jobs.length, 1, `${job}: made once, one Job uid (pods ${seen.map((a) => `${a.pod}@${a.jobUid}`).join(", ")})`);
  // Only the last attempt may have gone with its Job before its end was seen: an earlier one ended before the next began.
  assert.deepEqual(
    seen
      .slice(0, -1)
      .filter((a) => a.exitCode === undefined)
      .map((a) => a.pod),
    [],
    `${job}: every attempt but the last seen to its end`,
  );
  const succeeded = known.filter((a) => a.exitCode === 0).map((a) => a.pod);
  const last = seen.at(-1);
  assert.deepEqual(
    succeeded,
    last?.exitCode === undefined ? [] : [last.pod],
    `${job}: exactly one attempt succeeded, the last (or the last went with its Job before its end was seen)`,
  );
  assert.deepEqual(
    failed.filter((a) => a.exitCode !== EXIT_CODES.connect || cause(a.log) === undefined).map((a) => `${a.pod}: exit ${a.exitCode}: ${a.log}`),
    [],
    `${job}: no attempt failed for a cause other than ${RETRIED_FAILURES.map((f) => f.what).join(" or ")}`,
  );
}

describe("faults with real data on the process node", { skip: processNodeSkip({ mariadb: true }), timeout: 1_200_000 }, () => {
  let env: MysqlopControlPlane;
  let operator: OperatorProcess;
  let core: CoreV1Api;
  let batch: BatchV1Api;
  let apps: AppsV1Api;
  let custom: CustomObjectsApi;

  const mysql = (name: string): Promise<MySQL | undefined> =>
    orUndefined(custom.getNamespacedCustomObject({ group: "otus.homework", version: "v1", namespace: NS, plural: "mysqls", name }) as Promise<MySQL>);
  const apply = async (name: string, database: string, password: string): Promise<void> => {
    const manifest = {
      apiVersion: "otus.homework/v1",
      kind: "MySQL",
      metadata: { name, namespace: NS },
      spec: { image: "mysql:5.7", database, password, storage_size: "1Gi" },
    };
    const out = await kubectl(env.cp, ["apply", "-f", "-"], { input: JSON.stringify(manifest) });
    assert.equal(out.code, 0, out.stderr);
  };
  const messageIs = (name: string, text: string) =>
    eventually(
      `${name}: status.message "${text}"`,
      async () => {
        const m = await mysql(name);
        return m?.status?.message === text && m;
      },
      LONG,
      250,
    );
  const server = (name: string): Promise<V1Pod> =>
    eventually(
      `a Ready server pod of ${name}`,
      async () => {
        const ready = (await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${name}` })).items.filter(
          (p) => isReady(p) && p.metadata?.deletionTimestamp === undefined,
        );
        return ready.length === 1 && ready[0];
      },
      LONG,
      250,
    );
  const gone = (name: string) => eventually(`${name} deleted`, async () => (await mysql(name)) === undefined, LONG, 250);
  /** The node directory of a claim's hostPath volume. */
  const volumeDir = async (claimName: string): Promise<string> => {
    const claim = await core.readNamespacedPersistentVolumeClaim({ namespace: NS, name: claimName });
    const volume = await core.readPersistentVolume({ name: claim.spec?.volumeName ?? "" });
    const dir = env.cp.nodeHostPath(volume.spec?.hostPath?.path ?? "");
    assert.ok(dir !== undefined);
    return dir;
  };
  const dumpOf = async (name: string): Promise<{ dump: string; meta: string }> => {
    const dir = await volumeDir(`backup-${name}-pvc`);
    return { dump: readFileSync(join(dir, "mysqlop-dump.sql"), "utf8"), meta: readFileSync(join(dir, "mysqlop-dump.meta"), "utf8") };
  };
  before(async () => {
    env = await startMysqlopControlPlane({ workloads: "process" });
    core = env.cp.kubeConfig.makeApiClient(CoreV1Api);
    batch = env.cp.kubeConfig.makeApiClient(BatchV1Api);
    apps = env.cp.kubeConfig.makeApiClient(AppsV1Api);
    custom = env.cp.kubeConfig.makeApiClient(CustomObjectsApi);
    operator = new OperatorProcess(env.operator.kubeconfigPath);
    await operator.start();
  });

  after(async () => {
    await operator?.stop();
    await env?.cp.stop();
  });

  test("the server killed during the final backup: deletion held, a condition and an Event say why, the previous dump intact; the server back, the backup completes", async (t) => {
    const name = "fragile";
    const password = "fragile-pw";
    await apply(name, "fragile-db", password);
    await messageIs(name, `${name} created without restore-job`);
    const conn = (pod: V1Pod) => ({ host: pod.status?.podIP ?? "", password, database: "fragile-db" });
    await mysqlOk(conn(await server(name)), "CREATE TABLE t (v varchar(20)); INSERT INTO t VALUES ('before');");
    await kubectl(env.cp, ["delete", "mysqls.otus.homework", name, "--wait=true", "--timeout=240s"]);
    const previous = await dumpOf(name);
    assert.match(previous.dump, /'before'/);

    await apply(name, "fragile-db", password);
    await messageIs(name, `${name} created with restore-job`);
    const pod = await server(name);
    await mysqlOk(conn(pod), "INSERT INTO t VALUES ('after');");

    // A session of the test holds the table, so the backup's dump waits on it: it is certainly under way.
    const dir = mkdtempSync(join(tmpdir(), "mysqlop-lock-"));
    writeFileSync(join(dir, "c.cnf"), `[client]\nuser=root\npassword=${optionFileValue(password)}\nhost=${pod.status?.podIP}\nprotocol=TCP\n`, { mode: 0o600 });
    const holder = spawn("mariadb", [`--defaults-extra-file=${join(dir, "c.cnf")}`, "--batch", "--unbuffered", "--database=fragile-db"], {
      stdio: ["pipe", "pipe", "ignore"],
    });
    let lockOutput = "";
    holder.stdout.setEncoding("utf8").on("data", (chunk: string) => (lockOutput += chunk));
    const dataDir = await volumeDir(`${name}-pvc`);
    const dataMode = statSync(dataDir).mode & 0o7777;
    let killedAt: number;
    let heldMs: number;
    let backAt: number;
    try {
      holder.stdin.write("LOCK TABLES t WRITE; SELECT 'locked';\n");
      await eventually("the test's session holds the table", async () => lockOutput.includes("locked"), LONG, 50);
      const deleted = await kubectl(env.cp, ["delete", "mysqls.otus.homework", name, "--wait=false"]);
      assert.equal(deleted.code, 0, deleted.stderr);
      await eventually(
        "the backup's dump waiting on the table",
        async () =>
          (await mysqlOk(conn(pod), "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE STATE = 'Waiting for table metadata lock';")).trim() !== "0",
        LONG,
        100,
      );
      // Killed mid-dump, and kept down: its data directory is unreadable to the restarted server.
      chmodSync(dataDir, 0);
      process.kill(containerPid(pod), "SIGKILL");
      killedAt = performance.now();

      const held = await eventually(
        "the reason in status",
        async () => {
          const m = await mysql(name);
          const degraded = m?.status?.conditions?.find((c) => c.type === "Degraded" && c.status === "True");
          return degraded !== undefined && degraded.reason !== "BackingUp" && m;
        },
        LONG,
        250,
      );
      const degraded = held.status?.conditions?.find((c) => c.type === "Degraded");
      assert.ok(held.metadata.deletionTimestamp !== undefined && held.metadata.finalizers?.includes("otus.homework/backup"), "deletion held by the finalizer");
      assert.match(degraded?.message ?? "", new RegExp(`backup-${name}-job`), "the condition names the Job");
      // The Warning Event is recorded after the status write that the test saw, and sent on its own: wait for it.
      await eventually(
        `a Warning Event with reason ${degraded?.reason}`,
        async () =>
          (await core.listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.name=${name},type=Warning` })).items.some(
            (e) => e.reason === degraded?.reason,
          ),
        60_000,
        250,
      );
      const during = await dumpOf(name);
      assert.equal(sha256(during.dump), sha256(previous.dump), "the previous dump is intact");
      assert.equal(during.meta, previous.meta);
      heldMs = performance.now() - killedAt;
      console.log(`# fault (server killed during the final backup): held with ${degraded?.reason}: ${degraded?.message}`);
    } finally {
      backAt = performance.now();
      chmodSync(dataDir, dataMode);
      holder.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
    await gone(name);
    const figures = `server killed → the reason in status ${Math.round(heldMs)} ms; server back → backup done and resource gone ${Math.round(performance.now() - backAt)} ms`;
    t.diagnostic(`figures: ${figures}`);
    console.log(`# figures (server killed during the final backup): ${figures}`);
    const final = await dumpOf(name);
    assert.match(final.dump, /'before'/);
    assert.match(final.dump, /'after'/, "the backup taken once the server was back has the newest row");
    assert.match(final.meta, new RegExp(`^sha256=${sha256(final.dump)}$`, "m"));
  });

  test("the operator SIGKILLed at seeded points of create, delete and re-create: every resource converges, no dump lost, each Job ran once", async (t) => {
    const seed = Number(process.env["MYSQLOP_CHAOS_SEED"] ?? Date.now() % 1_000_000);
    const random = seededRandom(seed);
    console.log(`# chaos seed ${seed} (MYSQLOP_CHAOS_SEED=${seed} repeats this run)`);
    t.diagnostic(`chaos seed ${seed}`);
    const names = ["chaos-a", "chaos-b"];
    const [watched] = names as [string, string];
    const job = (kind: "backup" | "restore") => orUndefined(batch.readNamespacedJob({ namespace: NS, name: `${kind}-${watched}-job` }));
    const complete = async (kind: "backup" | "restore") =>
      (await job(kind))?.status?.conditions?.some((c) => c.type === "Complete" && c.status === "True") === true;
    const exists = async (read: () => Promise<unknown>) => (await orUndefined(read() as Promise<unknown>)) !== undefined;
    // Each point is "reached or passed", so a kill is never skipped because the operator was quicker than a poll.
    const phases: Record<string, [string, () => Promise<boolean>][]> = {
      create: [
        ["data volume made", () => exists(() => core.readPersistentVolume({ name: `${watched}-pv` }))],
        ["credentials made", () => exists(() => core.readNamespacedSecret({ namespace: NS, name: `${watched}-credentials` }))],
        ["Deployment made", () => exists(() => apps.readNamespacedDeployment({ namespace: NS, name: watched }))],
        ["server Ready", async () => (await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${watched}` })).items.some(isReady)],
        ["created", async () => (await mysql(watched))?.status?.message === `${watched} created without restore-job`],
      ],
      delete: [
        ["deletion seen", async () => (await mysql(watched))?.status?.backup?.job !== undefined || (await mysql(watched)) === undefined],
        ["backup Job made", async () => (await job("backup")) !== undefined || (await mysql(watched)) === undefined],
        ["backup Job complete", async () => (await complete("backup")) || (await mysql(watched)) === undefined],
        ["backup recorded", () => exists(() => core.readNamespacedConfigMap({ namespace: NS, name: `backup-${watched}-info` }))],
        ["gone", async () => (await mysql(watched)) === undefined],
      ],
      recreate: [
        ["restore Job made", async () => (await job("restore")) !== undefined],
        ["restore Job complete", () => complete("restore")],
        ["restored", async () => (await mysql(watched))?.status?.message === `${watched} created with restore-job`],
      ],
    };
    const attempts = await watchJobAttempts(env.cp.kubeConfig, NS);
    t.after(() => attempts.stop());
    const kills: string[] = [];
    const killAtTwoPoints = async (phase: string): Promise<void> => {
      const points = phases[phase] ?? [];
      const chosen = new Set<number>();
      while (chosen.size < Math.min(2, points.length)) chosen.add(Math.floor(random() * points.length));
      for (const index of [...chosen].sort((a, b) => a - b)) {
        const [label, reached] = points[index] ?? ["", async () => true];
        await eventually(`${phase}: ${label}`, reached, LONG, 50);
        await operator.kill();
        kills.push(`${phase}/${label}`);
        await operator.start();
      }
    };

    for (const name of names) await apply(name, "chaos-db", `${name}-pw`);
    await killAtTwoPoints("create");
    for (const name of names) {
      await messageIs(name, `${name} created without restore-job`);
      await mysqlOk(
        { host: (await server(name)).status?.podIP ?? "", password: `${name}-pw`, database: "chaos-db" },
        `CREATE TABLE t (v varchar(20)); INSERT INTO t VALUES ('${name}');`,
      );
    }

    for (const name of names) assert.equal((await kubectl(env.cp, ["delete", "mysqls.otus.homework", name, "--wait=false"])).code, 0);
    await killAtTwoPoints("delete");
    for (const name of names) {
      await gone(name);
      assert.match((await dumpOf(name)).dump, new RegExp(`'${name}'`), `${name}'s rows are in its dump`);
      await ranOnce(attempts, `backup-${name}-job`);
    }

    for (const name of names) await apply(name, "chaos-db", `${name}-pw`);
    await killAtTwoPoints("recreate");
    for (const name of names) {
      await messageIs(name, `${name} created with restore-job`);
      const rows = await mysqlOk({ host: (await server(name)).status?.podIP ?? "", password: `${name}-pw`, database: "chaos-db" }, "SELECT v FROM t;");
      assert.equal(rows, `${name}\n`, `${name}'s rows are back`);
      await ranOnce(attempts, `restore-${name}-job`);
    }
    console.log(`# chaos seed ${seed}: operator SIGKILLed at ${kills.join(", ")} (${operator.starts} starts)`);
  });
});
