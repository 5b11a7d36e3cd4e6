/**
 * Scheduled backups with real data: the operator (under its generated RBAC) on a real control plane whose pods run on
 * the process node, kube-controller-manager's CronJob controller running `NAME-backup-schedule`. A schedule of
 * `* * * * *` must add real dumps to the backup history and status must name them; a deletion while a scheduled
 * backup runs must wait for it (the test holds a table lock, so that backup is known to be running for as long as
 * the test looks), then take the final backup; every dump stays intact.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BatchV1Api, CoreV1Api, CustomObjectsApi, type V1Pod } from "@kubernetes/client-node";
import type { MySQL } from "../../../generated/mysql-models.ts";
import { SCHEDULED_BACKUP_EVENTS } from "../../../src/mysql/scheduled-backup.ts";
import { startInProcessOperator } from "../../helpers/operator-process.ts";
import { kubectl, startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";
import { orUndefined } from "../../helpers/not-found.ts";
import { eventually } from "../../helpers/eventually.ts";
import { mysqlOk, mysqlQuery, type Connection } from "../../helpers/mysql-client.ts";
import type { CommandResult } from "../../helpers/mariadb.ts";
import { isReady, processNodeSkip } from "../../helpers/process-node.ts";

const NS = "default";
const NAME = "scheduled";
const DATABASE = "sched-db";
const PASSWORD = "schedpassword";
/** A CronJob runs at the start of a minute, its pod then starts on a loaded 2-core machine: generous bounds. */
const LONG = 240_000;
/** What the lock holder's session runs; found again by it in the process list to be killed. */
const HOLD = "SELECT SLEEP(900)";

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

describe("scheduled backups with real data on the process node", { skip: processNodeSkip({ mariadb: true }), timeout: 1_200_000 }, () => {
  let env: MysqlopControlPlane;
  let operator: { stop: () => Promise<void> } | undefined;
  let core: CoreV1Api;
  let batch: BatchV1Api;
  let custom: CustomObjectsApi;
  let conn: Connection | undefined;
  let holder: Promise<CommandResult> | undefined;

  const mysql = (): Promise<MySQL | undefined> =>
    orUndefined(custom.getNamespacedCustomObject({ group: "otus.homework", version: "v1", namespace: NS, plural: "mysqls", name: NAME }) as Promise<MySQL>);
  const server = (): Promise<V1Pod> =>
    eventually(
      "a Ready server pod",
      async () => {
        const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${NAME}` });
        const ready = pods.items.filter((p) => isReady(p) && p.metadata?.deletionTimestamp === undefined);
        return ready.length === 1 && ready[0];
      },
      LONG,
      250,
    );
  const backupDir = async (): Promise<string> => {
    const claim = await core.readNamespacedPersistentVolumeClaim({ namespace: NS, name: `backup-${NAME}-pvc` });
    const volume = await core.readPersistentVolume({ name: claim.spec?.volumeName ?? "" });
    const dir = env.cp.nodeHostPath(volume.spec?.hostPath?.path ?? "");
    assert.ok(dir !== undefined, "the backup volume is a hostPath on the process node");
    return dir;
  };
  const events = async (reason: string) =>
    (await core.listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.name=${NAME},involvedObject.kind=MySQL` })).items.filter(
      (e) => e.reason === reason,
    );
  /** Ends the lock holder's session (KILL from another connection): its table lock goes with it. */
  const releaseLock = async (): Promise<void> => {
    if (conn === undefined || holder === undefined) return;
    const ids = await mysqlOk(conn, `SELECT id FROM information_schema.processlist WHERE info = '${HOLD}';`);
    for (const id of ids.split("\n").filter((line) => /^\d+$/.test(line))) await mysqlQuery(conn, `KILL ${id};`);
    await holder;
    holder = undefined;
  };

  before(async () => {
    env = await startMysqlopControlPlane({ workloads: "process" });
    core = env.cp.kubeConfig.makeApiClient(CoreV1Api);
    batch = env.cp.kubeConfig.makeApiClient(BatchV1Api);
    custom = env.cp.kubeConfig.makeApiClient(CustomObjectsApi);
    operator = startInProcessOperator(env);
  });

  after(async () => {
    await releaseLock().catch(() => undefined);
    await operator?.stop();
    await env?.cp.stop();
  });

  test("* * * * * adds real dumps to the history and status names them; deletion waits for a running scheduled backup, then the final backup runs; every dump is intact", async () => {
    await custom.createNamespacedCustomObject({
      group: "otus.homework",
      version: "v1",
      namespace: NS,
      plural: "mysqls",
      body: {
        apiVersion: "otus.homework/v1",
        kind: "MySQL",
        metadata: { name: NAME },
        spec: { database: DATABASE, password: PASSWORD, storage_size: "1Gi", backup: { schedule: "* * * * *" } },
      },
    });
    await eventually("the resource is created", async () => (await mysql())?.status?.message === `${NAME} created without restore-job`, LONG, 250);
    const uid = (await mysql())?.metadata?.uid ?? assert.fail("the created resource has a uid");
    const pod = await server();
    conn = { host: pod.status?.podIP ?? "", password: PASSWORD, database: DATABASE };
    await mysqlOk(conn, "CREATE TABLE test (id int primary key, name varchar(20)); INSERT INTO test VALUES (1, 'scheduled');");
    // Dumps taken from the next second on hold the row (the schedule may have run before it was written).
    const written = Math.floor(Date.now() / 1000) * 1000;

    // 1. The CronJob, owned by the resource, runs one backup at a time.
    const cronJob = await eventually(
      "the CronJob",
      () => orUndefined(batch.readNamespacedCronJob({ namespace: NS, name: `${NAME}-backup-schedule` })),
      LONG,
      250,
    );
    assert.equal(cronJob.spec?.schedule, "* * * * *");
    assert.equal(cronJob.spec?.concurrencyPolicy, "Forbid");
    assert.equal(cronJob.metadata?.ownerReferences?.[0]?.kind, "MySQL");

    // 2. Two scheduled backups that hold the row, each recorded in status with the dump it wrote; one Event for both.
    const recorded = async (after?: string) =>
      eventually(
        `a scheduled backup recorded in status${after === undefined ? "" : ` after ${after}`}`,
        async () => {
          const scheduled = (await mysql())?.status?.backup?.scheduled;
          const fresh = Date.parse(scheduled?.startedAt ?? "") > written;
          return scheduled?.outcome === "Succeeded" && fresh && scheduled.job !== after && scheduled.dumpFile !== undefined && scheduled;
        },
        LONG,
        1000,
      );
    const dir = await backupDir();
    const checkDump = (scheduled: { dumpFile?: string; sha256?: string; sizeBytes?: number }) => {
      const file = join(dir, (scheduled.dumpFile ?? "").replace(/^\/backup\//, ""));
      const dump = readFileSync(file, "utf8");
      assert.match(dump, /INSERT INTO `test` VALUES\s*\(1,'scheduled'\);/, `the row is in ${file}`);
      assert.equal(scheduled.sha256, sha256(dump));
      assert.equal(scheduled.sizeBytes, Buffer.byteLength(dump));
      assert.match(readFileSync(file.replace(/\.sql$/, ".meta"), "utf8"), new RegExp(`^sha256=${sha256(dump)}$`, "m"), "its metadata is beside it");
    };
    const first = await recorded();
    checkDump(first);
    assert.match(first.job ?? "", new RegExp(`^${NAME}-backup-schedule-\\d+$`));
    const second = await recorded(first.job);
    checkDump(second);
    assert.equal((await events(SCHEDULED_BACKUP_EVENTS.succeeded)).length, 1, "one Event for the outcome's change, none for an unchanged outcome");
    const info = (await core.readNamespacedConfigMap({ namespace: NS, name: `backup-${NAME}-info` })).data ?? {};
    assert.match(info.job ?? "", new RegExp(`^${NAME}-backup-schedule-\\d+$`), "backup-NAME-info names a scheduled backup: a new resource restores the newest");
    assert.equal(info.sha256, sha256(readFileSync(join(dir, (info.dumpFile ?? "").replace(/^\/backup\//, "")), "utf8")));
    const wide = await kubectl(env.cp, ["get", "mysqls.otus.homework", NAME, "-o", "wide"]);
    assert.match(wide.stdout, /SCHEDULED-BACKUP[\s\S]*Succeeded/, "kubectl get -o wide shows the outcome");

    // 3. A scheduled backup that cannot end while the test holds a write lock on the table its dump reads.
    holder = mysqlQuery(conn, `LOCK TABLES test WRITE; ${HOLD};`, 1_000_000);
    await eventually(
      "the lock holder's session",
      async () => (await mysqlOk(conn!, `SELECT COUNT(*) FROM information_schema.processlist WHERE info = '${HOLD}';`)).trim() === "1",
      60_000,
      250,
    );
    await eventually(
      "a scheduled dump waiting for the lock",
      async () => Number((await mysqlOk(conn!, "SELECT COUNT(*) FROM information_schema.processlist WHERE state LIKE 'Waiting for table%';")).trim()) > 0,
      LONG,
      1000,
    );
    const running = (await batch.readNamespacedCronJob({ namespace: NS, name: `${NAME}-backup-schedule` })).status?.active?.map((r) => r.name) ?? [];
    assert.equal(running.length, 1, "one scheduled backup runs");

    // 4. Deleted now: the schedule is suspended, the final backup waits for the running one.
    const deleted = await kubectl(env.cp, ["delete", "mysqls.otus.homework", NAME, "--wait=false"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const waiting = await eventually(
      "status says the deletion waits for the scheduled backup",
      async () => {
        const m = await mysql();
        return m?.status?.conditions?.find((c) => c.type === "Progressing" && c.reason === "AwaitingScheduledBackup") && m;
      },
      LONG,
      250,
    );
    assert.match(waiting.status?.message ?? "", new RegExp(String(running[0])));
    assert.equal((await batch.readNamespacedCronJob({ namespace: NS, name: `${NAME}-backup-schedule` })).spec?.suspend, true, "the schedule is suspended");
    assert.equal(
      await orUndefined(batch.readNamespacedJob({ namespace: NS, name: `backup-${NAME}-job` })),
      undefined,
      "no final backup beside the scheduled one",
    );

    // 5. The lock goes: the scheduled backup ends, then the final backup runs and the resource goes.
    await releaseLock();
    await eventually("the resource is gone", async () => (await mysql()) === undefined, LONG, 500);

    // 6. Every dump is in the history with its metadata and checksum: the scheduled ones and the final one.
    const history = join(dir, "history");
    const dumps = readdirSync(history).filter((f) => f.endsWith(".sql"));
    let withRow = 0;
    for (const file of dumps) {
      const dump = readFileSync(join(history, file), "utf8");
      const meta = join(history, file.replace(/\.sql$/, ".meta"));
      assert.ok(existsSync(meta), `${file} has its metadata`);
      const metadata = readFileSync(meta, "utf8");
      assert.match(metadata, new RegExp(`^sha256=${sha256(dump)}$`, "m"), `${file} is intact`);
      assert.match(metadata, new RegExp(`^source=${uid}$`, "m"), `${file} names the resource it was taken from`);
      assert.match(metadata, new RegExp(`^kind=${file === dumps.at(-1) ? "final" : "scheduled"}$`, "m"), `${file}: the last dump is the final one`);
      if (Date.parse(/^created=(.*)$/m.exec(metadata)?.[1] ?? "") <= written) continue;
      assert.match(dump, /INSERT INTO `test` VALUES\s*\(1,'scheduled'\);/, `${file} holds the row`);
      withRow++;
    }
    assert.ok(withRow >= 4, `two recorded scheduled dumps, the one that waited, the final one: ${dumps.join(", ")}`);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes(".tmp.")),
      [],
      "no temporary file left",
    );
  });
});
