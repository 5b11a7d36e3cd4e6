/**
 * `npm run bench:operator`: the MySQL operator against N resources created at once (N = 100, 500,
 * 1 000; `BENCH_SIZES=100,500`), each N on fresh control planes with workloads (kube-controller-manager,
 * kube-scheduler, kwok), the operator as its own process under the generated RBAC, with unrelated
 * Secrets and ConfigMaps in the cluster (`BENCH_UNRELATED`, 1 000 of each, 8 KiB each).
 *
 * Per N, in one run:
 *  - the ceiling: on a fresh control plane, a tight client loop (16 in flight) creates what the operator
 *    would for N resources (the MySQL, its 4 owned children, the credentials, the data and backup volumes
 *    and the backup claim); once before and once after the operator's run, and their mean counts (the
 *    machine is shared, its load drifts);
 *  - the operator: on another fresh control plane, the same N MySQL resources created (16 in flight);
 *    the time until every one has its children and a first status (`observedGeneration`), and until every
 *    one says `NAME created without restore-job` and is Ready; the operator's own API writes (its
 *    `rest_client_writes_total`, which counts Events too and not the lease) next to every write the API
 *    server served meanwhile (`apiserver_request_total`), the rest being kube-controller-manager's,
 *    kube-scheduler's and kwok's; peak RSS and CPU seconds (from /proc); then `BENCH_IDLE_SECONDS` (60)
 *    with everything Ready: writes per minute and CPU; then the operator is stopped (SIGTERM) and a fresh one started,
 *    as a rollout or a failover would: its peak RSS while it lists every object and reconciles every resource, its RSS
 *    once settled, and its writes (none expected: nothing changed);
 *  - where the cores went while the objects were made: CPU ms per resource of each control-plane component
 *    (etcd, kube-apiserver, the workload components) in the ceiling's loop and until the operator made every
 *    resource's children, and the operator's own (on 2 cores the whole machine has 2 000 ms per second).
 *
 * The operator runs as the container image runs it: the bundle of `npm run bundle` (tree-shaken JavaScript, so
 * neither client-node's whole generated API nor Node's TypeScript stripper is part of its memory), with the node
 * flags of the Dockerfile's ENTRYPOINT;
 * `BENCH_OPERATOR_ENTRY=path/main.js` runs another build instead (e.g. of an earlier revision).
 * `BENCH_RESTARTS=6` restarts the operator that many times once everything is Ready (default 1), and
 * `BENCH_RESTART_ENTRIES=a.mjs,b.mjs` takes these builds in turn for the restarts (default: the operator's), each with
 * node flags of its own before it if wanted (`a.mjs,--max-semi-space-size=1 a.mjs`): a restart's peak RSS varies by
 * several MB from one to the next, so two builds or flags are compared on one control plane, alternating.
 * `BENCH_OPERATOR_ARGS="--workers 2 --qps 20 --burst 40"` passes flags to `mysqlop run`, to measure one lever at a
 * time; `BENCH_OPERATOR_NODE_ARGS` passes these flags to node instead (empty for none; e.g. `--cpu-prof`; with `--heapsnapshot-signal=SIGUSR2` a
 * heap snapshot is taken at the end of the idle window); `BENCH_OPERATOR_LOG=file` appends the
 * operator's log there (with `--log-level debug`, one line per API write). Figures only; nothing is asserted. Not part
 * of `npm test`. `BENCH_CEILING=0` leaves the ceiling out (to measure a lever of the operator alone).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { KubernetesObject } from "@kubernetes/client-node";
import { MYSQL_RESOURCE_TYPE } from "../../generated/mysql-constants.ts";
import type { MySQL } from "../../generated/mysql-models.ts";
import { bundleOperator } from "../../src/build/bundle.ts";
import { FAKE_NODE_NAME } from "../../src/envtest/index.ts";
import { buildBackupClaim, buildBackupVolume, buildCredentialsSecret, buildDataVolume, desiredChildren } from "../../src/mysql/desired/index.ts";
import { instanceOf, withPlacement } from "../../src/mysql/instance.ts";
import { createJsonLogger, Informer, KubeRest, kindInfoOf, PatchType } from "../../src/runtime/index.ts";
import { kubectl, startMysqlopControlPlane, type MysqlopControlPlane } from "../helpers/control-plane.ts";
import { inParallel } from "../helpers/in-parallel.ts";
import { withSpecDefaults } from "../helpers/spec-defaults.ts";

const sizes = (process.env.BENCH_SIZES ?? "100,500,1000").split(",").map(Number);
const unrelatedCount = Number(process.env.BENCH_UNRELATED ?? 1000);
const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
/** `BENCH_CEILING=0` leaves the ceiling out (to measure a lever of the operator alone, e.g. its memory). */
const withCeiling = process.env.BENCH_CEILING !== "0";
const operatorArgs = (process.env.BENCH_OPERATOR_ARGS ?? "").split(/\s+/).filter((a) => a !== "");
/** Another build of the operator to measure (e.g. of an earlier revision), instead of this checkout's bundle. */
const operatorEntry = process.env.BENCH_OPERATOR_ENTRY;
/** Restarts once everything is Ready, and the builds they take in turn (none given: the operator's). */
const restartCount = Number(process.env.BENCH_RESTARTS ?? 1);
const restartEntries = (process.env.BENCH_RESTART_ENTRIES ?? "").split(",").filter((e) => e !== "");
/** The operator bundle, as the container image runs it (`npm run bundle`). */
let bundleFile = "";
/** Node's flags in the image's ENTRYPOINT (`["node", FLAGS…, "/app/mysqlop.mjs"]`). */
function imageNodeFlags(): string[] {
  const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(readFileSync(new URL("../../Dockerfile", import.meta.url), "utf8"))?.[1];
  if (entrypoint === undefined) throw new Error("the Dockerfile has no ENTRYPOINT in exec form");
  return (JSON.parse(entrypoint) as string[]).slice(1).filter((a) => a.startsWith("--"));
}
/** The image's node flags unless `BENCH_OPERATOR_NODE_ARGS` is set (to "" for none). */
const operatorNodeArgs =
  process.env.BENCH_OPERATOR_NODE_ARGS === undefined ? imageNodeFlags() : process.env.BENCH_OPERATOR_NODE_ARGS.split(/\s+/).filter((a) => a !== "");
const inFlight = 16;
const namespace = "bench";
const unrelatedNamespace = "unrelated";
const password = "otuspassword";
const writeVerbs = new Set(["POST", "PUT", "PATCH", "APPLY", "DELETE", "DELETECOLLECTION"]);

/** The MySQL resource `i` of a run, as `kubectl apply -f cr.yaml` would create it (other name, `bench` namespace). */
function mysqlResource(i: number): MySQL {
  return {
    apiVersion: "otus.homework/v1",
    kind: "MySQL",
    metadata: { name: `mysql-${String(i).padStart(4, "0")}`, namespace },
    spec: withSpecDefaults({ image: "mysql:5.7", database: "otus-database", password, storage_size: "1Gi" }),
  };
}

/** The objects the operator creates for one resource (its status aside), built by the operator's own builders. */
function objectsOf(resource: MySQL): KubernetesObject[] {
  // Placed as the operator places it on this cluster (no default StorageClass: hostPath on the fake node), so that the
  // data claim and the server are among the owned children.
  const instance = withPlacement(
    instanceOf({
      ...resource,
      metadata: { ...resource.metadata, uid: `00000000-0000-0000-0000-${resource.metadata.name?.slice(-4).padStart(12, "0")}` },
    }),
    { mode: "HostPath", node: FAKE_NODE_NAME },
  );
  return [
    ...desiredChildren(instance),
    buildDataVolume(instance),
    buildCredentialsSecret(instance, password),
    buildBackupVolume(instance),
    buildBackupClaim(instance),
  ];
}

/** The requests the API server served so far: writes by resource, reads (GET, LIST, WATCH) by verb and resource. */
async function apiServerRequests(env: MysqlopControlPlane): Promise<{ writes: Map<string, number>; reads: Map<string, number> }> {
  const result = await kubectl(env.cp, ["get", "--raw", "/metrics"]);
  if (result.code !== 0) throw new Error(`kubectl get --raw /metrics: ${result.stderr}`);
  const writes = new Map<string, number>();
  const reads = new Map<string, number>();
  for (const line of result.stdout.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const resource = labels.subresource ? `${labels.resource}/${labels.subresource}` : (labels.resource ?? "");
    const write = writeVerbs.has(labels.verb ?? "");
    const [map, key] = write ? [writes, resource] : [reads, `${labels.verb ?? ""} ${resource}`];
    map.set(key, (map.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
  }
  return { writes, reads };
}

function total(map: Map<string, number>): number {
  let sum = 0;
  for (const value of map.values()) sum += value;
  return sum;
}

function difference(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const result = new Map<string, number>();
  for (const [key, value] of after) if (value - (before.get(key) ?? 0) > 0) result.set(key, value - (before.get(key) ?? 0));
  return result;
}

/** RSS now and at peak (kB → MB), and CPU seconds used, of a process, from /proc. */
function processFigures(pid: number): { rssMb: number; peakRssMb: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  // utime and stime are fields 14 and 15; the command name (field 2) may hold spaces, so count after its ")".
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssMb: kb("VmRSS") / 1024, peakRssMb: kb("VmHWM") / 1024, cpuSeconds: ticks / 100 };
}

/** A metric of the operator's /metrics, summed over its labels. */
async function operatorMetric(probePort: number, name: string): Promise<number> {
  return metricSum(await scrapeOperator(probePort), name);
}

/** The operator's /metrics text, to read several figures of one moment from one request. */
async function scrapeOperator(probePort: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${probePort}/metrics`)).text();
}

/** The sum of a metric's samples (over all its label sets) in a /metrics text. */
function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  return sum;
}

/** A counter of the operator's metrics summed by the value of one of its labels. */
async function operatorMetricBy(probePort: number, name: string, label: string): Promise<Map<string, number>> {
  const text = await scrapeOperator(probePort);
  const byLabel = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const value = new RegExp(`${label}="([^"]*)"`).exec(line)?.[1] ?? "";
    byLabel.set(value, (byLabel.get(value) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
  }
  return byLabel;
}

/** CPU seconds used so far by each running control-plane component (etcd, kube-apiserver, the workload components). */
function componentCpuSeconds(env: MysqlopControlPlane): Map<string, number> {
  const seconds = new Map<string, number>();
  for (const { name, pid } of env.cp.components()) {
    if (pid === undefined) continue;
    try {
      seconds.set(name, (seconds.get(name) ?? 0) + processFigures(pid).cpuSeconds);
    } catch {
      // Exited between the listing and the read: its CPU is no longer counted by anyone.
    }
  }
  return seconds;
}

/** The CPU the components spent between two readings, in ms per resource, by component and in total. */
function cpuPerResource(before: Map<string, number>, after: Map<string, number>, n: number): { total: number; byComponent: string } {
  const spent = [...after].map(([name, seconds]) => [name, ((seconds - (before.get(name) ?? 0)) * 1000) / n] as const).sort((a, b) => b[1] - a[1]);
  return { total: spent.reduce((sum, [, ms]) => sum + ms, 0), byComponent: spent.map(([name, ms]) => `${name} ${Math.round(ms)}`).join(", ") };
}

/** The operator's own write counter. */
function operatorWrites(probePort: number): Promise<number> {
  return operatorMetric(probePort, "rest_client_writes_total");
}

/** Namespaces, room for every pod on the fake node, and the unrelated Secrets and ConfigMaps. */
async function prepare(env: MysqlopControlPlane, rest: KubeRest): Promise<void> {
  await env.cp.applyManifests([
    { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
    { apiVersion: "v1", kind: "Namespace", metadata: { name: unrelatedNamespace } },
  ]);
  // The fake node takes 110 pods, 32 CPUs and 256 GiB; every resource runs a server that requests 250m CPU and
  // 1 GiB by default (and its Jobs as much again at most), so 128 would be the most that could start.
  const most = Math.max(...sizes);
  const room = { pods: String(most * 2), cpu: String(most), memory: `${most * 4}Gi` };
  await rest.request("PATCH", `/api/v1/nodes/${FAKE_NODE_NAME}/status`, {
    body: { status: { capacity: room, allocatable: room } },
    contentType: PatchType.merge,
  });
  const filler = "x".repeat(8 * 1024);
  await inParallel(
    Array.from({ length: unrelatedCount }, (_, i) => i),
    inFlight,
    async (i) => {
      const metadata = { name: `unrelated-${i}`, namespace: unrelatedNamespace };
      await rest.request("POST", `/api/v1/namespaces/${unrelatedNamespace}/secrets`, {
        body: { apiVersion: "v1", kind: "Secret", metadata, data: { blob: Buffer.from(filler).toString("base64") } },
      });
      await rest.request("POST", `/api/v1/namespaces/${unrelatedNamespace}/configmaps`, {
        body: { apiVersion: "v1", kind: "ConfigMap", metadata, data: { blob: filler } },
      });
    },
  );
}

/** The ceiling: the operator's objects for `n` resources created by a tight client loop; resources per second. */
async function measureCeiling(n: number): Promise<{ seconds: number; writesPerResource: number; clusterCpuMsPerResource: number; cpuByComponent: string }> {
  const env = await startMysqlopControlPlane({ workloads: true });
  const rest = new KubeRest(env.cp.kubeConfig);
  try {
    await prepare(env, rest);
    const resources = Array.from({ length: n }, (_, i) => mysqlResource(i));
    const perResource = 1 + objectsOf(resources[0] as MySQL).length;
    const cpuBefore = componentCpuSeconds(env);
    const started = performance.now();
    await inParallel(resources, inFlight, async (resource) => {
      for (const object of [resource, ...objectsOf(resource)]) {
        const collection = (await rest.pathOf(object)).replace(/\/[^/]+$/, "");
        await rest.request("POST", collection, { body: object });
      }
    });
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuPerResource(cpuBefore, componentCpuSeconds(env), n);
    return { seconds, writesPerResource: perResource, clusterCpuMsPerResource: cpu.total, cpuByComponent: cpu.byComponent };
  } finally {
    await rest.close();
    await env.cp.stop();
  }
}

/** An entry of BENCH_RESTART_ENTRIES: node flags, then the script ("--max-semi-space-size=1 dist/x.mjs"). */
function restartEntryWords(entry: string): string[] {
  return entry.split(/\s+/).filter((w) => w !== "");
}

/**
 * The operator as a process (`words`: node flags of its own and the script; default the bench's build, run as
 * `node FLAGS… SCRIPT run …`); resolves once it leads, serves probes and its caches are synced.
 */
async function startOperator(
  kubeconfigPath: string,
  words = [operatorEntry ?? bundleFile],
): Promise<{ child: ChildProcess; probePort: number; log: string[] }> {
  const child = spawn(process.execPath, [...operatorNodeArgs, ...words, "run", "--kubeconfig", kubeconfigPath, "--probe-port", "0", ...operatorArgs], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log: string[] = [];
  const logFile = process.env.BENCH_OPERATOR_LOG === undefined ? undefined : createWriteStream(process.env.BENCH_OPERATOR_LOG, { flags: "a" });
  let probePort: number | undefined;
  // Without leader election the operator works as soon as its informers are synced.
  let leading = operatorArgs.includes("--no-leader-elect");
  const onLine = (chunk: Buffer): void => {
    logFile?.write(chunk);
    for (const line of chunk.toString().split("\n")) {
      if (line === "") continue;
      if (log.length < 10_000) log.push(line);
      if (line.includes('"msg":"serving probes and metrics"')) probePort = Number(/"port":(\d+)/.exec(line)?.[1]);
      if (line.includes('"msg":"became leader"')) leading = true;
    }
  };
  child.stdout?.on("data", onLine);
  child.stderr?.on("data", onLine);
  try {
    const deadline = performance.now() + 60_000;
    while (probePort === undefined || !leading) {
      if (child.exitCode !== null) throw new Error(`the operator exited with ${child.exitCode}:\n${log.slice(-20).join("\n")}`);
      if (performance.now() > deadline) throw new Error(`the operator did not lead within 60 s:\n${log.slice(-20).join("\n")}`);
      await sleep(100);
    }
    // Ready: every informer synced.
    while ((await fetch(`http://127.0.0.1:${probePort}/readyz`)).status !== 200) await sleep(100);
  } catch (error) {
    // Not left running beside the next one.
    child.kill("SIGKILL");
    throw error;
  }
  return { child, probePort, log };
}

interface OperatorFigures {
  childrenSeconds: number;
  readySeconds: number;
  operatorWrites: number;
  clusterWrites: number;
  writesByResource: Map<string, number>;
  /** GET, LIST and WATCH requests the API server served from the create to Ready (everyone's: the operator, kube-controller-manager, the scheduler, kwok). */
  readsByResource: Map<string, number>;
  /** Reconciles the operator ran, and watch events it received by kind, from creation to Ready. */
  reconciles: number;
  watchEventsByKind: Map<string, number>;
  baselineRssMb: number;
  readyRssMb: number;
  /** At the end of the idle window, and the V8 heap in use then (live objects plus garbage not collected yet). */
  idleRssMb: number;
  heapUsedMb: number;
  /** The V8 heap the process holds (used or not) and the memory outside it that V8 knows of (Buffers, ArrayBuffers). */
  heapTotalMb: number;
  externalMb: number;
  peakRssMb: number;
  cpuSeconds: number;
  /** Until every resource has its children: the operator's CPU, and the control plane's by component, per resource. */
  childrenOperatorCpuMsPerResource: number;
  childrenClusterCpuMsPerResource: number;
  childrenCpuByComponent: string;
  idleWritesPerMinute: number;
  idleCpuSecondsPerMinute: number;
  warnings: number;
  /** One per restart, in order. */
  restarts: RestartFigures[];
}

/** A fresh operator process started with every resource Ready (a rollout, a failover): it lists and reconciles all. */
interface RestartFigures {
  /** The build that ran. */
  entry: string;
  /** From its start until it leads, its caches are synced, every resource was reconciled and its queue is empty. */
  settledSeconds: number;
  peakRssMb: number;
  /** The peak when it was first seen ready (caches synced; its workers start about then): the lists' share of the peak. */
  syncedPeakRssMb: number;
  /** 5 s after it settled. */
  rssMb: number;
  /** Its API writes: none, when nothing changed while it was down. */
  writes: number;
  cpuSeconds: number;
}

/** Stops an operator process as its Deployment would (SIGTERM: it releases its lease), killing it after 15 s. */
async function stopOperator(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(15_000)]);
  child.kill("SIGKILL");
}

/** Stops `previous` and starts a fresh operator; measures it until it has reconciled all `n` resources and is idle. */
async function restartOperator(
  env: MysqlopControlPlane,
  previous: ChildProcess,
  n: number,
  entry?: string,
): Promise<{ operator: Awaited<ReturnType<typeof startOperator>>; figures: RestartFigures }> {
  await stopOperator(previous);
  const started = performance.now();
  const operator = await startOperator(env.operator.kubeconfigPath, entry === undefined ? undefined : restartEntryWords(entry));
  try {
    const pid = operator.child.pid ?? 0;
    const syncedPeakRssMb = processFigures(pid).peakRssMb;
    const deadline = performance.now() + 300_000;
    // Settled: every resource reconciled at least once, none in the queue or being reconciled, and none failed (a
    // failed one waits for its retry outside the queue).
    for (;;) {
      const text = await scrapeOperator(operator.probePort);
      const reconciles = metricSum(text, "controller_runtime_reconcile_total");
      const errors = metricSum(text, "controller_runtime_reconcile_errors_total");
      const depth = metricSum(text, "workqueue_depth");
      const active = metricSum(text, "controller_runtime_active_workers");
      if (errors > 0) throw new Error(`the restarted operator failed ${errors} reconciles:\n${operator.log.slice(-20).join("\n")}`);
      if (reconciles >= n && depth === 0 && active === 0) break;
      if (performance.now() > deadline)
        throw new Error(`the restarted operator did not settle within 300 s: ${reconciles} reconciles, queue ${depth}, ${active} active`);
      await sleep(200);
    }
    const settledSeconds = (performance.now() - started) / 1000;
    await sleep(5000);
    const figures = processFigures(pid);
    return {
      operator,
      figures: {
        entry: entry ?? operatorEntry ?? bundleFile,
        settledSeconds,
        peakRssMb: figures.peakRssMb,
        syncedPeakRssMb,
        rssMb: figures.rssMb,
        writes: await operatorWrites(operator.probePort),
        cpuSeconds: figures.cpuSeconds,
      },
    };
  } catch (error) {
    await stopOperator(operator.child);
    throw error;
  }
}

async function measureOperator(n: number): Promise<OperatorFigures> {
  const env = await startMysqlopControlPlane({ workloads: true });
  const rest = new KubeRest(env.cp.kubeConfig);
  let operator: Awaited<ReturnType<typeof startOperator>> | undefined;
  const informer = new Informer({ rest, kind: kindInfoOf(MYSQL_RESOURCE_TYPE), namespace, log: createJsonLogger({ level: "error" }), resyncMs: 0 });
  try {
    await prepare(env, rest);
    operator = await startOperator(env.operator.kubeconfigPath);
    const pid = operator.child.pid ?? 0;
    const children = new Map<string, number>();
    const ready = new Map<string, number>();
    let started = 0;
    informer.onEvent(({ object }) => {
      const resource = object as MySQL;
      const name = resource.metadata.name ?? "";
      if (resource.status?.observedGeneration !== undefined && !children.has(name)) children.set(name, performance.now());
      const isReady = resource.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
      if (isReady && resource.status?.message === `${name} created without restore-job` && !ready.has(name)) ready.set(name, performance.now());
    });
    informer.start();
    await informer.waitForSync();
    await sleep(1000);
    const before = processFigures(pid);
    const writesBefore = await operatorWrites(operator.probePort);
    const { writes: serverBefore, reads: readsBefore } = await apiServerRequests(env);
    const cpuBefore = componentCpuSeconds(env);
    const reconcilesBefore = await operatorMetric(operator.probePort, "controller_runtime_reconcile_total");
    const eventsBefore = await operatorMetricBy(operator.probePort, "informer_watch_events_total", "kind");
    started = performance.now();
    await inParallel(
      Array.from({ length: n }, (_, i) => mysqlResource(i)),
      inFlight,
      async (resource) => void (await rest.request("POST", `/apis/${resource.apiVersion}/namespaces/${namespace}/mysqls`, { body: resource })),
    );
    let lastReport = performance.now();
    let atChildren: { operatorCpuSeconds: number; components: Map<string, number> } | undefined;
    while (ready.size < n) {
      if (atChildren === undefined && children.size === n)
        atChildren = { operatorCpuSeconds: processFigures(pid).cpuSeconds, components: componentCpuSeconds(env) };
      if (operator.child.exitCode !== null) throw new Error(`the operator exited with ${operator.child.exitCode}:\n${operator.log.slice(-20).join("\n")}`);
      if (performance.now() - lastReport > 15_000) {
        lastReport = performance.now();
        console.log(`  N=${n}: ${children.size} with children, ${ready.size} Ready after ${((performance.now() - started) / 1000).toFixed(0)} s`);
      }
      await sleep(100);
    }
    const last = (times: Map<string, number>): number => (Math.max(...times.values()) - started) / 1000;
    const atReady = processFigures(pid);
    atChildren ??= { operatorCpuSeconds: atReady.cpuSeconds, components: componentCpuSeconds(env) };
    const childrenCpu = cpuPerResource(cpuBefore, atChildren.components, n);
    const writesAtReady = await operatorWrites(operator.probePort);
    const { writes: serverAtReady, reads: readsAtReady } = await apiServerRequests(env);
    const reconciles = (await operatorMetric(operator.probePort, "controller_runtime_reconcile_total")) - reconcilesBefore;
    const watchEventsByKind = difference(await operatorMetricBy(operator.probePort, "informer_watch_events_total", "kind"), eventsBefore);
    await sleep(idleSeconds * 1000);
    const idle = processFigures(pid);
    const writesIdle = await operatorWrites(operator.probePort);
    const memory = await scrapeOperator(operator.probePort);
    const heapUsedMb = metricSum(memory, "nodejs_heap_size_used_bytes") / 1024 / 1024;
    const heapTotalMb = metricSum(memory, "nodejs_heap_size_total_bytes") / 1024 / 1024;
    const externalMb = metricSum(memory, "nodejs_external_memory_bytes") / 1024 / 1024;
    if (operatorNodeArgs.some((a) => a.startsWith("--heapsnapshot-signal"))) {
      // Written into the operator's working directory (this one), named Heap.*.heapsnapshot.
      operator.child.kill("SIGUSR2");
      await sleep(20_000);
    }
    const warnings = operator.log.filter((l) => l.includes('"level":"warn"') || l.includes('"level":"error"')).length;
    const restarts: RestartFigures[] = [];
    for (let i = 0; i < restartCount; i++) {
      const entry = restartEntries.length === 0 ? undefined : restartEntries[i % restartEntries.length];
      const restarted = await restartOperator(env, operator.child, n, entry);
      operator = restarted.operator;
      restarts.push(restarted.figures);
    }
    const byResource = difference(serverAtReady, serverBefore);
    // The bench's own creates of the MySQL resources are not the cluster's work.
    byResource.set("mysqls", (byResource.get("mysqls") ?? 0) - n);
    return {
      childrenSeconds: last(children),
      readySeconds: last(ready),
      operatorWrites: writesAtReady - writesBefore,
      clusterWrites: total(byResource),
      writesByResource: byResource,
      readsByResource: difference(readsAtReady, readsBefore),
      reconciles,
      watchEventsByKind,
      baselineRssMb: before.rssMb,
      readyRssMb: atReady.rssMb,
      idleRssMb: idle.rssMb,
      heapUsedMb,
      heapTotalMb,
      externalMb,
      peakRssMb: idle.peakRssMb,
      cpuSeconds: atReady.cpuSeconds - before.cpuSeconds,
      childrenOperatorCpuMsPerResource: ((atChildren.operatorCpuSeconds - before.cpuSeconds) * 1000) / n,
      childrenClusterCpuMsPerResource: childrenCpu.total,
      childrenCpuByComponent: childrenCpu.byComponent,
      idleWritesPerMinute: ((writesIdle - writesAtReady) / idleSeconds) * 60,
      idleCpuSecondsPerMinute: ((idle.cpuSeconds - atReady.cpuSeconds) / idleSeconds) * 60,
      warnings,
      restarts,
    };
  } finally {
    informer.stop();
    if (operator !== undefined) await stopOperator(operator.child);
    await rest.close();
    await env.cp.stop();
  }
}

async function main(): Promise<void> {
  if (operatorEntry === undefined) bundleFile = (await bundleOperator()).file;
  console.log(
    `bench:operator: N = ${sizes.join(", ")}; ${unrelatedCount} unrelated Secrets and ConfigMaps; ${inFlight} creates in flight; ` +
      `node ${operatorNodeArgs.join(" ")} ${operatorEntry ?? bundleFile} run ${operatorArgs.join(" ") || "(defaults)"}; idle window ${idleSeconds} s`,
  );
  const rows: Record<string, string | number>[] = [];
  for (const n of sizes) {
    // The machine is shared: the ceiling is taken before and after the operator's run, and their mean compared.
    const before = withCeiling ? await measureCeiling(n) : undefined;
    if (before !== undefined) {
      console.log(
        `  N=${n}: ceiling before ${(n / before.seconds).toFixed(1)} resources/s (${before.writesPerResource} creates each, ${before.seconds.toFixed(1)} s)`,
      );
    }
    const op = await measureOperator(n);
    const after = withCeiling ? await measureCeiling(n) : undefined;
    if (after !== undefined) console.log(`  N=${n}: ceiling after ${(n / after.seconds).toFixed(1)} resources/s (${after.seconds.toFixed(1)} s)`);
    const ceilingRate = before !== undefined && after !== undefined ? (n / before.seconds + n / after.seconds) / 2 : NaN;
    const top = [...op.writesByResource].sort((a, b) => b[1] - a[1]).map(([r, c]) => `${r} ${(c / n).toFixed(1)}`);
    console.log(`  N=${n}: API server writes per resource, by resource: ${top.join(", ")}`);
    const reads = [...op.readsByResource]
      .filter(([, c]) => c / n >= 0.05)
      .sort((a, b) => b[1] - a[1])
      .map(([r, c]) => `${r} ${(c / n).toFixed(2)}`);
    console.log(`  N=${n}: API server reads per resource (everyone's, ≥ 0.05): ${reads.join(", ")}`);
    // Where the cores went while the children were made: against the ceiling's, per resource (2 cores = 2 000 ms/s).
    if (before !== undefined && after !== undefined) {
      console.log(
        `  N=${n}: CPU ms per resource while creating — ceiling: control plane ${Math.round((before.clusterCpuMsPerResource + after.clusterCpuMsPerResource) / 2)} (before: ${before.cpuByComponent}); ` +
          `operator run: control plane ${Math.round(op.childrenClusterCpuMsPerResource)} (${op.childrenCpuByComponent}) + operator ${Math.round(op.childrenOperatorCpuMsPerResource)}`,
      );
    } else {
      console.log(
        `  N=${n}: CPU ms per resource while creating — control plane ${Math.round(op.childrenClusterCpuMsPerResource)} (${op.childrenCpuByComponent}) + operator ${Math.round(op.childrenOperatorCpuMsPerResource)}`,
      );
    }
    const events = [...op.watchEventsByKind].sort((a, b) => b[1] - a[1]).map(([k, c]) => `${k} ${(c / n).toFixed(1)}`);
    console.log(`  N=${n}: the operator's reconciles per resource ${(op.reconciles / n).toFixed(1)}; watch events per resource, by kind: ${events.join(", ")}`);
    if (op.warnings > 0) console.log(`  N=${n}: the operator logged ${op.warnings} warnings or errors`);
    for (const restart of op.restarts) {
      console.log(
        `  N=${n}: restarted with every resource Ready${restartEntries.length > 1 ? ` (${restart.entry})` : ""}: settled in ${restart.settledSeconds.toFixed(1)} s, ` +
          `peak RSS ${Math.round(restart.peakRssMb)} MB (${Math.round(restart.syncedPeakRssMb)} when synced), RSS ${Math.round(restart.rssMb)} MB 5 s later, ${restart.writes} writes, CPU ${restart.cpuSeconds.toFixed(1)} s`,
      );
    }
    // The first build's restarts (all of them when one build restarts): peak and settled RSS, lowest–highest.
    const mine = op.restarts.filter((r) => r.entry === op.restarts[0]?.entry);
    const span = (values: number[]): string => {
      if (values.length === 0) return "–";
      const [low, high] = [Math.round(Math.min(...values)), Math.round(Math.max(...values))];
      return low === high ? `${low}` : `${low}–${high}`;
    };
    rows.push({
      N: n,
      "ceiling res/s": Number(ceilingRate.toFixed(1)),
      "children s": Number(op.childrenSeconds.toFixed(1)),
      "children res/s": Number((n / op.childrenSeconds).toFixed(1)),
      "ratio to ceiling": `${((n / op.childrenSeconds / ceilingRate) * 100).toFixed(0)} %`,
      "Ready s": Number(op.readySeconds.toFixed(1)),
      "Ready res/s": Number((n / op.readySeconds).toFixed(1)),
      "ms/res to Ready": Number(((op.readySeconds * 1000) / n).toFixed(1)),
      "own writes/res": Number((op.operatorWrites / n).toFixed(2)),
      "cluster writes/res": Number((op.clusterWrites / n).toFixed(1)),
      "peak RSS MB": Math.round(op.peakRssMb),
      "RSS idle→Ready MB": `${Math.round(op.baselineRssMb)}→${Math.round(op.readyRssMb)}`,
      "KB/res": Math.round(((op.readyRssMb - op.baselineRssMb) * 1024) / n),
      "idle end RSS/heap/used/external MB": `${Math.round(op.idleRssMb)}/${Math.round(op.heapTotalMb)}/${Math.round(op.heapUsedMb)}/${Math.round(op.externalMb)}`,
      "CPU s": Number(op.cpuSeconds.toFixed(1)),
      "CPU ms/res": Math.round((op.cpuSeconds * 1000) / n),
      "creating CPU ms/res ceiling cluster / run cluster+operator": `${before !== undefined && after !== undefined ? Math.round((before.clusterCpuMsPerResource + after.clusterCpuMsPerResource) / 2) : "–"} / ${Math.round(op.childrenClusterCpuMsPerResource)}+${Math.round(op.childrenOperatorCpuMsPerResource)}`,
      "idle writes/min": Number(op.idleWritesPerMinute.toFixed(1)),
      "idle CPU s/min": Number(op.idleCpuSecondsPerMinute.toFixed(2)),
      "restart peak/settled RSS MB": `${span(mine.map((r) => r.peakRssMb))}/${span(mine.map((r) => r.rssMb))}`,
      "restart writes": op.restarts.reduce((sum, r) => sum + r.writes, 0),
    });
    // Each N's row as soon as it is measured: a run stopped during a larger N keeps the smaller ones' figures.
    console.log(`  N=${n}: ${JSON.stringify(rows.at(-1))}`);
  }
  console.log("");
  console.table(rows);
}

await main();
