/**
 * What the operator holds in memory, on a real API server with the generated RBAC: its caches of
 * owned kinds select what it labelled, so 2 000 unrelated Secrets and ConfigMaps (64 MB) change
 * neither its caches nor its RSS; a Secret named by passwordSecretRef is read from the API server
 * and watched by name only while a reconcile reads it. The operator runs as a process
 * (`mysqlop run`), so that its RSS is its own.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import type { MySQL } from "../../../generated/mysql-models.ts";
import { MANAGED_BY_LABEL } from "../../../src/runtime/index.ts";
import { inParallel } from "../../helpers/in-parallel.ts";
import { eventually } from "../../helpers/eventually.ts";
import { REPO_ROOT, startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";
import { metricValue } from "../runtime/helpers.ts";

const TEAM = "team";
const UNRELATED = "unrelated";
const UNRELATED_EACH = 1000;
const PAYLOAD = "x".repeat(32 * 1024);

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) / 1024;
}

describe("integration: the operator caches only what it made", { timeout: 600_000 }, () => {
  let env: MysqlopControlPlane;
  let operator: ChildProcess | undefined;
  let output = "";
  let probePort = 0;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;

  const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${probePort}/metrics`)).text();
  const cached = async (kind: string): Promise<number> => metricValue(await metrics(), "informer_cache_objects", { kind });
  const referenced = async (): Promise<number> => metricValue(await metrics(), "controller_referenced_objects");
  const mysql = async (): Promise<MySQL> =>
    (await custom.getNamespacedCustomObject({ group: "otus.homework", version: "v1", namespace: TEAM, plural: "mysqls", name: "db" })) as MySQL;

  before(async () => {
    // A node to hold the hostPath volumes: without one the operator places nothing (as on any cluster without nodes).
    env = await startMysqlopControlPlane({ workloads: true });
    core = env.cp.kubeConfig.makeApiClient(CoreV1Api);
    custom = env.cp.kubeConfig.makeApiClient(CustomObjectsApi);
    for (const name of [TEAM, UNRELATED]) await core.createNamespace({ body: { metadata: { name } } });
    operator = spawn(
      process.execPath,
      [join(REPO_ROOT, "src/cli/main.ts"), "run", "--kubeconfig", env.operator.kubeconfigPath, "--probe-port", "0", "--no-leader-elect"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const collect = (chunk: Buffer): void => void (output += chunk.toString());
    operator.stdout?.on("data", collect);
    operator.stderr?.on("data", collect);
    probePort = await eventually(
      "the operator serves probes",
      async () => Number(/"msg":"serving probes and metrics".*?"port":(\d+)/.exec(output)?.[1] ?? 0) || undefined,
      60_000,
    );
    await eventually("the operator's caches are synced", async () => (await fetch(`http://127.0.0.1:${probePort}/readyz`)).status === 200, 60_000);
  });

  after(async () => {
    if (operator !== undefined && operator.exitCode === null) {
      const exited = new Promise((resolve) => operator?.once("exit", resolve));
      operator.kill("SIGTERM");
      await exited;
    }
    await env?.cp.stop();
  });

  test("a passwordSecretRef Secret that does not exist yet: read from the API server and watched by name while waited for", async () => {
    await custom.createNamespacedCustomObject({
      group: "otus.homework",
      version: "v1",
      namespace: TEAM,
      plural: "mysqls",
      body: {
        apiVersion: "otus.homework/v1",
        kind: "MySQL",
        metadata: { name: "db" },
        spec: { image: "mysql:8.4", database: "app", storage_size: "1Gi", passwordSecretRef: { name: "root", key: "pw" } },
      },
    });
    await eventually("waiting for its Secret", async () => (await mysql()).status?.conditions?.some((c) => c.reason === "PasswordSecretMissing"), 60_000);
    // The controller takes up what a reconcile read once it returned, after the status write seen above.
    await eventually("the Secret root watched by name", async () => (await referenced()) === 1, 60_000);
    assert.equal(await cached("Secret"), 0, "and not cached: it is the user's");
  });

  test("2 000 unrelated Secrets and ConfigMaps (64 MB) change neither the operator's caches nor its RSS", async () => {
    const pid = operator?.pid ?? 0;
    // The scripts ConfigMap, made before the status the first test saw, reaches the cache by a watch of its own.
    await eventually("the operator's own scripts ConfigMap cached", async () => (await cached("ConfigMap")) >= 1, 60_000);
    const before = { secrets: await cached("Secret"), configMaps: await cached("ConfigMap"), rss: rssMb(pid) };
    await inParallel(
      Array.from({ length: UNRELATED_EACH }, (_, i) => i),
      16,
      async (i) => {
        await core.createNamespacedSecret({ namespace: UNRELATED, body: { metadata: { name: `s-${i}` }, stringData: { blob: PAYLOAD } } });
        await core.createNamespacedConfigMap({ namespace: UNRELATED, body: { metadata: { name: `c-${i}` }, data: { blob: PAYLOAD } } });
      },
    );
    // One object of each kind with the operator's label, created last: a watch delivers in order, so once the cache has it,
    // it has had every unrelated object before it too, had it selected them.
    const labels = { [MANAGED_BY_LABEL]: "mysqlop" };
    await core.createNamespacedSecret({ namespace: UNRELATED, body: { metadata: { name: "marker", labels }, stringData: { a: "b" } } });
    await core.createNamespacedConfigMap({ namespace: UNRELATED, body: { metadata: { name: "marker", labels }, data: { a: "b" } } });
    await eventually(
      "the markers are cached",
      async () => (await cached("Secret")) === before.secrets + 1 && (await cached("ConfigMap")) === before.configMaps + 1,
      60_000,
    );
    const grownMb = rssMb(pid) - before.rss;
    assert.ok(grownMb < 24, `RSS grew by ${grownMb.toFixed(1)} MB with 64 MB of unrelated objects in the cluster`);
  });

  test("the Secret appears: creation goes on, and the watch on it stops once no reconcile reads it any more", async () => {
    await core.createNamespacedSecret({ namespace: TEAM, body: { metadata: { name: "root" }, stringData: { pw: "s3cret" } } });
    // Past the Secret for good (the server may already be up on the kwok node, so no intermediate reason is waited for).
    await eventually(
      "past the Secret",
      async () => {
        const conditions = (await mysql()).status?.conditions ?? [];
        return conditions.length > 0 && !conditions.some((c) => c.reason === "PasswordSecretMissing");
      },
      60_000,
    );
    await eventually("the watch on it stopped", async () => (await referenced()) === 0, 60_000);
    const credentials = await core.readNamespacedSecret({ name: "db-credentials", namespace: TEAM });
    assert.equal(credentials.metadata?.labels?.[MANAGED_BY_LABEL], "mysqlop");
    assert.doesNotMatch(output, /s3cret/, "the password never reaches the log");
  });
});
