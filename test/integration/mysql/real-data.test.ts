/**
 * The original scenario with real data: the operator (under its generated RBAC) on a real control plane whose pods
 * run on the process node, so the server is a real mariadbd and backup-NAME-job and restore-NAME-job really run
 * their scripts. Rows written through the server's pod IP must survive delete → backup → re-create → restore; a
 * password change must take on the server; an image change must restart the server on the same data. Prints
 * figures: apply → Ready, and the delete → backup → re-create → restore cycle.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test, type TestContext } from "node:test";
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type V1Pod } from "@kubernetes/client-node";
import type { MySQL } from "../../../generated/mysql-models.ts";
import { secretValue } from "../../../src/mysql/desired/index.ts";
import { startInProcessOperator } from "../../helpers/operator-process.ts";
import { kubectl, REPO_ROOT, startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";
import { orUndefined } from "../../helpers/not-found.ts";
import { eventually } from "../../helpers/eventually.ts";
import { mysqlOk, mysqlQuery } from "../../helpers/mysql-client.ts";
import { containerPid, isReady, processNodeSkip } from "../../helpers/process-node.ts";

const NS = "default";
const NAME = "mysql-instance";
const DATABASE = "otus-database";
const CR = join(REPO_ROOT, "deploy/cr.yaml");
/** Waits for servers, Jobs and rollouts on a loaded 2-core machine: generous bounds. */
const LONG = 180_000;

/** The original's table and rows, as its README created them. */
const ORIGINAL_ROWS = [
  "CREATE TABLE test ( id smallint unsigned not null auto_increment, name varchar(20) not null, constraint pk_example primary key (id) );",
  "INSERT INTO test ( id, name ) VALUES ( null, 'some data' );",
  "INSERT INTO test ( id, name ) VALUES ( null, 'some data-2' );",
].join("\n");

function figure(t: TestContext, text: string): void {
  t.diagnostic(`figures: ${text}`);
  console.log(`# figures (real data): ${text}`);
}

describe("the original scenario with real data on the process node", { skip: processNodeSkip({ mariadb: true }), timeout: 900_000 }, () => {
  let env: MysqlopControlPlane;
  let operator: { stop: () => Promise<void> } | undefined;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  let password = "otuspassword";

  const mysql = (namespace = NS, name = NAME): Promise<MySQL | undefined> =>
    orUndefined(custom.getNamespacedCustomObject({ group: "otus.homework", version: "v1", namespace, plural: "mysqls", name }) as Promise<MySQL>);
  const patchSpec = (spec: Record<string, unknown>) =>
    custom.patchNamespacedCustomObject(
      { group: "otus.homework", version: "v1", namespace: NS, plural: "mysqls", name: NAME, body: { spec } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
  /** The server's one Ready pod that is not going away. */
  const server = (namespace = NS, name = NAME): Promise<V1Pod> =>
    eventually(
      `a Ready server pod of ${namespace}/${name}`,
      async () => {
        const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${name}` });
        const ready = pods.items.filter((p) => isReady(p) && p.metadata?.deletionTimestamp === undefined);
        return ready.length === 1 && ready[0];
      },
      LONG,
      250,
    );
  const rows = async (pod: V1Pod, pw = password): Promise<string> =>
    mysqlOk({ host: pod.status?.podIP ?? "", password: pw, database: DATABASE }, "SELECT id, name FROM test ORDER BY id;");
  const backupDir = async (namespace = NS, name = NAME): Promise<string> => {
    const claim = await core.readNamespacedPersistentVolumeClaim({ namespace, name: `backup-${name}-pvc` });
    const volume = await core.readPersistentVolume({ name: claim.spec?.volumeName ?? "" });
    const dir = env.cp.nodeHostPath(volume.spec?.hostPath?.path ?? "");
    assert.ok(dir !== undefined, "the backup volume is a hostPath on the process node");
    return dir;
  };
  const messageIs = (text: string, namespace = NS, name = NAME) =>
    eventually(
      `status.message "${text}"`,
      async () => {
        const m = await mysql(namespace, name);
        return m?.status?.message === text && m;
      },
      LONG,
      250,
    );

  before(async () => {
    env = await startMysqlopControlPlane({ workloads: "process" });
    core = env.cp.kubeConfig.makeApiClient(CoreV1Api);
    custom = env.cp.kubeConfig.makeApiClient(CustomObjectsApi);
    operator = startInProcessOperator(env);
  });

  after(async () => {
    await operator?.stop();
    await env?.cp.stop();
  });

  test("apply cr.yaml → a real server; the original's rows → delete backs them up → apply again restores them", async (t) => {
    const applyAt = performance.now();
    const applied = await kubectl(env.cp, ["apply", "-f", CR]);
    assert.equal(applied.code, 0, applied.stderr);
    const created = await messageIs(`${NAME} created without restore-job`);
    const readyMs = performance.now() - applyAt;
    assert.equal(created.status?.conditions?.find((c) => c.type === "Ready")?.status, "True");
    const first = await server();
    assert.match(first.status?.podIP ?? "", /^127\./);
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${containerPid(first, "mysql")}/status`, "utf8"))?.[1];
    assert.equal(uid, "999", "the server runs as the image's mysql user, never root");

    await mysqlOk({ host: first.status?.podIP ?? "", password, database: DATABASE }, ORIGINAL_ROWS);
    const written = await rows(first);
    assert.equal(written, "1\tsome data\n2\tsome data-2\n");

    const deleteAt = performance.now();
    const deleted = await kubectl(env.cp, ["delete", "mysqls.otus.homework", NAME, "--wait=true", "--timeout=180s"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const backedUpMs = performance.now() - deleteAt;
    const dir = await backupDir();
    const dump = readFileSync(join(dir, "mysqlop-dump.sql"), "utf8");
    const meta = readFileSync(join(dir, "mysqlop-dump.meta"), "utf8");
    assert.match(dump, /INSERT INTO `test` VALUES\s*\(1,'some data'\),\s*\(2,'some data-2'\);/, "the rows are in the dump on the backup volume");
    assert.match(meta, new RegExp(`^sha256=${createHash("sha256").update(dump).digest("hex")}$`, "m"), "the metadata's checksum is the dump's");
    assert.match(meta, new RegExp(`^database=${DATABASE}$`, "m"));
    assert.equal(statSync(join(dir, "mysqlop-dump.sql")).uid, 999, "written by the backup Job as the mysql user");
    // The dump is a history entry of its own, and the record names it with its checksum and size.
    const record = (await core.readNamespacedConfigMap({ namespace: NS, name: `backup-${NAME}-info` })).data ?? {};
    const history = readdirSync(join(dir, "history")).filter((file) => file.endsWith(".sql"));
    assert.equal(history.length, 1, "one history entry");
    const entry = join(dir, "history", history[0] ?? "");
    assert.equal(readFileSync(entry, "utf8"), dump, "the history entry is the dump");
    // The backup Job's termination message carries file, size and checksum; the record is exactly this dump.
    const dumpFile = record.dumpFile ?? "";
    assert.equal(dumpFile, `/backup/history/${history[0] ?? ""}`, `the record names the history entry (${JSON.stringify(record)})`);
    assert.equal(record.sha256, createHash("sha256").update(dump).digest("hex"));
    assert.equal(record.sizeBytes, String(Buffer.byteLength(dump)));

    const reapplyAt = performance.now();
    const reapplied = await kubectl(env.cp, ["apply", "-f", CR]);
    assert.equal(reapplied.code, 0, reapplied.stderr);
    const restored = await messageIs(`${NAME} created with restore-job`);
    const restoredMs = performance.now() - reapplyAt;
    assert.equal(restored.status?.restore?.job, `restore-${NAME}-job`);
    assert.equal(restored.status?.restore?.fromDump, dumpFile, "the recorded dump is named");
    assert.ok(existsSync(entry.replace(/\.sql$/, ".restored")), "the restore marked its history entry");
    const second = await server();
    assert.notEqual(second.metadata?.uid, first.metadata?.uid, "a new server pod");
    assert.equal(await rows(second), written, "the two rows are back");
    const restoreLog = await kubectl(env.cp, ["logs", `job/restore-${NAME}-job`]);
    assert.match(restoreLog.stdout, /dump verified/);

    figure(
      t,
      `apply → Ready with a real server ${Math.round(readyMs)} ms; delete → backup done (resource gone) ${Math.round(backedUpMs)} ms; re-create → restored ${Math.round(restoredMs)} ms; cycle ${Math.round(performance.now() - deleteAt)} ms`,
    );
  });

  test("a password change: the new password works on the server and the old one is refused", async () => {
    const newPassword = "n3w'pa$$ #word";
    await patchSpec({ password: newPassword });
    await eventually(
      "the credentials hold the new password",
      async () => secretValue(await core.readNamespacedSecret({ namespace: NS, name: `${NAME}-credentials` }), "password") === newPassword,
      LONG,
      250,
    );
    await eventually("Ready again", async () => (await mysql())?.status?.conditions?.find((c) => c.type === "Ready")?.status === "True", LONG, 250);
    const pod = await server();
    const host = pod.status?.podIP ?? "";
    await eventually("the new password works", async () => (await mysqlQuery({ host, password: newPassword }, "SELECT 1;")).code === 0, LONG);
    const old = await mysqlQuery({ host, password }, "SELECT 1;");
    assert.notEqual(old.code, 0, "the old password is refused");
    assert.match(old.stderr, /Access denied for user 'root'/);
    password = newPassword;
    assert.equal(await rows(pod), "1\tsome data\n2\tsome data-2\n");
  });

  test("an image change restarts the server, in a new pod, on the same data", async () => {
    const before = await server();
    const serverId = async (pod: V1Pod) => mysqlOk({ host: pod.status?.podIP ?? "", password }, "SELECT @@hostname;");
    assert.equal((await serverId(before)).trim(), before.metadata?.name);
    await patchSpec({ image: "mysql:8.0" });
    await eventually("image applied", async () => (await mysql())?.status?.appliedSpec?.image === '"mysql:8.0"', LONG, 250);
    const after = await server();
    assert.notEqual(after.metadata?.uid, before.metadata?.uid, "a new pod");
    assert.equal(after.spec?.containers[0]?.image, "mysql:8.0");
    assert.equal((await serverId(after)).trim(), after.metadata?.name, "a new server process answers");
    assert.equal(await rows(after), "1\tsome data\n2\tsome data-2\n", "on the same data");
  });

  test("two resources of the same name in two namespaces keep their data apart", async () => {
    const manifest = (namespace: string, pw: string) =>
      JSON.stringify({
        apiVersion: "otus.homework/v1",
        kind: "MySQL",
        metadata: { name: "twin", namespace },
        spec: { image: "mysql:5.7", database: "shared-name", password: pw, storage_size: "1Gi" },
      });
    for (const namespace of ["team-a", "team-b"]) {
      await core.createNamespace({ body: { metadata: { name: namespace } } });
      const out = await kubectl(env.cp, ["apply", "-f", "-"], { input: manifest(namespace, `${namespace}-pw`) });
      assert.equal(out.code, 0, out.stderr);
    }
    const [a, b] = await Promise.all(
      ["team-a", "team-b"].map(async (namespace) => {
        await messageIs("twin created without restore-job", namespace, "twin");
        return server(namespace, "twin");
      }),
    );
    assert.ok(a !== undefined && b !== undefined);
    assert.notEqual(a.status?.podIP, b.status?.podIP);
    const conn = (pod: V1Pod, namespace: string) => ({ host: pod.status?.podIP ?? "", password: `${namespace}-pw`, database: "shared-name" });
    await mysqlOk(conn(a, "team-a"), "CREATE TABLE t (v varchar(20)); INSERT INTO t VALUES ('from a');");
    await mysqlOk(conn(b, "team-b"), "CREATE TABLE t (v varchar(20)); INSERT INTO t VALUES ('from b');");
    assert.notEqual((await mysqlQuery({ ...conn(a, "team-a"), password: "team-b-pw" }, "SELECT 1;")).code, 0, "each server has its own password");
    for (const namespace of ["team-a", "team-b"]) {
      const out = await kubectl(env.cp, ["delete", "-n", namespace, "mysqls.otus.homework", "twin", "--wait=true", "--timeout=180s"]);
      assert.equal(out.code, 0, out.stderr);
    }
    const dumps = await Promise.all(
      ["team-a", "team-b"].map(async (namespace) => readFileSync(join(await backupDir(namespace, "twin"), "mysqlop-dump.sql"), "utf8")),
    );
    assert.match(dumps[0] ?? "", /'from a'/);
    assert.doesNotMatch(dumps[0] ?? "", /'from b'/);
    assert.match(dumps[1] ?? "", /'from b'/);
    assert.doesNotMatch(dumps[1] ?? "", /'from a'/);
    for (const namespace of ["team-a", "team-b"]) {
      const out = await kubectl(env.cp, ["apply", "-f", "-"], { input: manifest(namespace, `${namespace}-pw`) });
      assert.equal(out.code, 0, out.stderr);
    }
    for (const [namespace, want] of [
      ["team-a", "from a"],
      ["team-b", "from b"],
    ] as const) {
      await messageIs("twin created with restore-job", namespace, "twin");
      const pod = await server(namespace, "twin");
      assert.equal(await mysqlOk(conn(pod, namespace), "SELECT v FROM t;"), `${want}\n`, `${namespace} got its own rows back`);
    }
  });

  /**
   * In the new namespace `namespace`: creates the resource `name` (spec.database {@link DATABASE}), writes table `t`
   * with the row 'kept' and deletes the resource, so that its backup is recorded. Returns what applies it again with
   * `spec` (spec.database included).
   */
  async function backedUpInNewNamespace(namespace: string, name: string, pw: string): Promise<(spec: Record<string, unknown>) => Promise<void>> {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const apply = async (spec: Record<string, unknown>) => {
      const out = await kubectl(env.cp, ["apply", "-f", "-"], {
        input: JSON.stringify({
          apiVersion: "otus.homework/v1",
          kind: "MySQL",
          metadata: { name, namespace },
          spec: { image: "mysql:5.7", password: pw, storage_size: "1Gi", ...spec },
        }),
      });
      assert.equal(out.code, 0, out.stderr);
    };
    await apply({ database: DATABASE });
    await messageIs(`${name} created without restore-job`, namespace, name);
    const first = await server(namespace, name);
    await mysqlOk({ host: first.status?.podIP ?? "", password: pw, database: DATABASE }, "CREATE TABLE t (v varchar(20)); INSERT INTO t VALUES ('kept');");
    const deleted = await kubectl(env.cp, ["delete", "-n", namespace, "mysqls.otus.homework", name, "--wait=true", "--timeout=180s"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    return apply;
  }

  test("a dump is restored only into the database it was taken from: re-created with another spec.database, RestoreFailed names both and spec.restore.fromDatabase, which then loads it", async () => {
    const namespace = "renamed-db";
    const name = "renamed";
    const other = "other-database";
    const apply = await backedUpInNewNamespace(namespace, name, "renamed-pw");
    await apply({ database: other });
    const degraded = await eventually(
      "Degraded RestoreFailed",
      async () => {
        const m = await mysql(namespace, name);
        const condition = m?.status?.conditions?.find((c) => c.type === "Degraded");
        return condition?.status === "True" && condition.reason === "RestoreFailed" && m;
      },
      LONG,
      250,
    );
    assert.match(degraded.status?.message ?? "", /exit code 8/);
    assert.match(
      degraded.status?.message ?? "",
      new RegExp(`to start with an empty database instead, delete ConfigMap backup-${name}-info`),
      "the other way out",
    );
    assert.match(
      degraded.status?.message ?? "",
      new RegExp(
        `was taken from database ${DATABASE}, not ${other}; refusing to load it into another database \\(set RESTORE_FROM_DATABASE=${DATABASE}, spec\\.restore\\.fromDatabase`,
      ),
    );
    const refusedPod = await server(namespace, name);
    assert.equal(
      await mysqlOk(
        { host: refusedPod.status?.podIP ?? "", password: "renamed-pw" },
        `SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${other}';`,
      ),
      "0\n",
      "nothing was loaded",
    );

    await apply({ database: other, restore: { fromDatabase: DATABASE } });
    const retried = await kubectl(env.cp, ["delete", "-n", namespace, "job", `restore-${name}-job`, "--wait=true"]);
    assert.equal(retried.code, 0, retried.stderr);
    await messageIs(`${name} created with restore-job`, namespace, name);
    const restored = await server(namespace, name);
    assert.equal(await mysqlOk({ host: restored.status?.podIP ?? "", password: "renamed-pw", database: other }, "SELECT v FROM t;"), "kept\n");

    const skip = await kubectl(env.cp, ["annotate", "-n", namespace, "mysqls.otus.homework", name, "otus.homework/final-backup=skip"]);
    assert.equal(skip.code, 0, skip.stderr);
    const gone = await kubectl(env.cp, ["delete", "-n", namespace, "mysqls.otus.homework", name, "--wait=true", "--timeout=180s"]);
    assert.equal(gone.code, 0, gone.stderr);
  });

  test("a restore that failed part-way is never reported as created: the retry (a new Job) fails again naming the partly restored database, not 'already holds data'", async () => {
    const namespace = "half-loaded";
    const name = "half";
    const apply = await backedUpInNewNamespace(namespace, name, "half-pw");
    // The recorded dump gains a statement the server refuses after its table and row: a load that stops part-way.
    // Its checksum is made right everywhere (metadata, history entry, record): the dump verifies, then fails to load.
    const dir = await backupDir(namespace, name);
    const record = await core.readNamespacedConfigMap({ namespace, name: `backup-${name}-info` });
    const entry = join(dir, (record.data?.dumpFile ?? "").replace(/^\/backup\//, ""));
    const broken = `${readFileSync(entry, "utf8")}\nTHIS IS NOT SQL;\n`;
    const [oldSum, newSum] = [record.data?.sha256 ?? "", createHash("sha256").update(broken).digest("hex")];
    writeFileSync(entry, broken);
    for (const meta of [entry.replace(/\.sql$/, ".meta"), join(dir, "mysqlop-dump.meta")]) {
      writeFileSync(
        meta,
        readFileSync(meta, "utf8")
          .replace(oldSum, newSum)
          .replace(/^size=\d+$/m, `size=${Buffer.byteLength(broken)}`),
      );
    }
    await core.patchNamespacedConfigMap(
      { namespace, name: `backup-${name}-info`, body: { data: { sha256: newSum, sizeBytes: String(Buffer.byteLength(broken)) } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );

    await apply({ database: DATABASE });
    const failedOnce = await eventually(
      "Degraded RestoreFailed (exit 6)",
      async () => {
        const m = await mysql(namespace, name);
        return /exit code 6/.test(m?.status?.message ?? "") && m;
      },
      LONG,
      250,
    );
    assert.equal(failedOnce.status?.conditions?.find((c) => c.type === "Degraded")?.reason, "RestoreFailed");
    assert.match(failedOnce.status?.message ?? "", /may hold part of \/backup\/history\/.*: empty it \(DROP DATABASE\), then delete the Job to retry/);
    const half = await server(namespace, name);
    assert.equal(await mysqlOk({ host: half.status?.podIP ?? "", password: "half-pw", database: DATABASE }, "SELECT v FROM t;"), "kept\n", "loaded part-way");

    // The retry a person starts without emptying the database first.
    const retried = await kubectl(env.cp, ["delete", "-n", namespace, "job", `restore-${name}-job`, "--wait=true"]);
    assert.equal(retried.code, 0, retried.stderr);
    const after = await eventually(
      "the retry's outcome in status",
      async () => {
        const m = await mysql(namespace, name);
        const message = m?.status?.message ?? "";
        return (message.startsWith(`${name} created`) || /an earlier run of this restore began loading/.test(message)) && m;
      },
      LONG,
      250,
    );
    assert.match(after.status?.message ?? "", /an earlier run of this restore began loading .* into database otus-database .* and did not finish/);
    assert.equal(after.status?.conditions?.find((c) => c.type === "Ready")?.status, "False");
    assert.equal(after.status?.appliedSpec, undefined, "creation did not finish");

    const skip = await kubectl(env.cp, ["annotate", "-n", namespace, "mysqls.otus.homework", name, "otus.homework/final-backup=skip"]);
    assert.equal(skip.code, 0, skip.stderr);
    const gone = await kubectl(env.cp, ["delete", "-n", namespace, "mysqls.otus.homework", name, "--wait=true", "--timeout=180s"]);
    assert.equal(gone.code, 0, gone.stderr);
  });

  test("a recorded backup whose dump is not on the volume is a failed restore naming the cause, never 'created with restore-job'", async () => {
    const namespace = "lost-dump";
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    // The record of a backup whose volume is elsewhere (another node, a re-created claim): the new backup claim is empty.
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        // Labelled as the operator labels its record (its caches select what it manages).
        metadata: { name: "backup-lost-info", labels: { "app.kubernetes.io/managed-by": "mysqlop" } },
        data: { lastSucceeded: "2026-11-01T10:00:00Z", job: "backup-lost-job", dumpFile: "/backup/mysqlop-dump.sql", database: DATABASE },
      },
    });
    const out = await kubectl(env.cp, ["apply", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "otus.homework/v1",
        kind: "MySQL",
        metadata: { name: "lost", namespace },
        spec: { image: "mysql:5.7", database: DATABASE, password: "lost-pw", storage_size: "1Gi" },
      }),
    });
    assert.equal(out.code, 0, out.stderr);
    const lastStatus = async () =>
      `${JSON.stringify((await mysql(namespace, "lost"))?.status)}\n${(await kubectl(env.cp, ["get", "jobs,pods", "-n", namespace, "-o", "wide"])).stdout}`;
    const degraded = await eventually(
      "Degraded RestoreFailed",
      async () => {
        const m = await mysql(namespace, "lost");
        const condition = m?.status?.conditions?.find((c) => c.type === "Degraded");
        return condition?.status === "True" && condition.reason === "RestoreFailed" && m;
      },
      LONG,
      250,
    ).catch(async (error: unknown) => {
      throw new Error(`${String(error)}; last seen: ${await lastStatus()}`);
    });
    assert.match(degraded.status?.message ?? "", /exit code 4/);
    assert.match(degraded.status?.message ?? "", /a backup was recorded, but there is no dump in \/backup/);
    assert.equal(degraded.status?.restore, undefined, "no restore is recorded");
    const deleted = await kubectl(env.cp, ["annotate", "-n", namespace, "mysqls.otus.homework", "lost", "otus.homework/final-backup=skip"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const gone = await kubectl(env.cp, ["delete", "-n", namespace, "mysqls.otus.homework", "lost", "--wait=true", "--timeout=180s"]);
    assert.equal(gone.code, 0, gone.stderr);
  });
});
