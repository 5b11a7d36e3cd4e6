/**
 * `npm run bench:runtime`: the runtime with a no-op reconciler over N fixture Widgets
 * (default 2 000, `BENCH_N`) against a bare list+watch loop written with client-node alone,
 * on one control plane. Each consumer runs in its own child process (loading only what it
 * uses) so that peak RSS is its own.
 *
 * Phases, per consumer: (1) start → every object listed (bare) / reconciled (runtime);
 * (2) after a pause (`BENCH_SETTLE_MS`, 1 s) for the watch to connect, the parent updates every object once (32 in flight) → every update seen (bare) /
 * reconciled (runtime). Printed: objects/s, events/s, latency from update sent to processed
 * (p50/p99), CPU per event, peak RSS; then the runtime pipeline's CPU per event with the
 * network taken out. Figures only; nothing is asserted.
 *
 * `BENCH_CPU_PROF=dir` makes each child write a V8 CPU profile of its update phase (main thread)
 * to `dir/<consumer>-<round>.cpuprofile`, to see where the time goes.
 *
 * The children run this file compiled to JavaScript (as an operator image would ship it), so
 * that Node's TypeScript stripper is not part of their memory.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { constants, PerformanceObserver } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { CustomObjectsApi, KubeConfig, Watch, type KubernetesObject } from "@kubernetes/client-node";
import { inParallel } from "../helpers/in-parallel.ts";

const N = Number(process.env.BENCH_N ?? 2000);
/** Pause between a child's `listed` and its update phase, for its watch to connect. */
const settleMs = Number(process.env.BENCH_SETTLE_MS ?? 1000);
const namespace = "bench";
const group = "fixtures.runtime.test";
const widgetType = { group, version: "v1", plural: "widgets", kind: "Widget", namespaced: true } as const;
const apiVersion = `${group}/v1`;
const collectionPath = `/apis/${apiVersion}/namespaces/${namespace}/widgets`;

/** The consumers; the last is the runtime with V8's young generation capped (`--max-semi-space-size=1`). */
const modes = ["bare", "runtime", "runtime-small-young-gen"] as const;
type Mode = (typeof modes)[number];
const modeLabels: Record<Mode, string> = {
  bare: "bare list+watch (client-node)",
  runtime: "runtime (no-op reconcile)",
  "runtime-small-young-gen": "runtime, --max-semi-space-size=1",
};

interface WidgetLike extends KubernetesObject {
  spec: { message: string };
}

interface ChildReport {
  mode: Mode;
  listMs: number;
  updateMs: number;
  latenciesMs: number[];
  cpuMicrosPerEvent: number;
  /** The main thread's share (the rest is V8's GC and compiler threads and libuv's). */
  threadCpuMicrosPerEvent: number;
  /** Main-thread GC pause time (scavenges and mark-compact) of the update phase, per event. */
  gcMicrosPerEvent: number;
  markCompactMs: number;
  maxRssMb: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** A V8 CPU profiler (main thread) that writes `path` when stopped. */
async function startableProfiler(path: string): Promise<{ start(): Promise<unknown>; stop(): Promise<void> }> {
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 100 });
  let started: Promise<unknown> | undefined;
  return {
    start: () => (started = session.post("Profiler.start")),
    async stop() {
      await started;
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(path, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** Child: consume, report `listed`, then wait for every update of this round. */
async function runChild(mode: Mode, kubeconfigPath: string, round: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  // Reset after the runtime's modules are loaded: module loading is start-up, not throughput.
  let started = performance.now();
  const seen = new Set<string>();
  const latencies: number[] = [];
  let listMs = 0;
  let cpuAtUpdates = process.cpuUsage();
  let threadCpuAtUpdates = process.threadCpuUsage();
  // Main-thread GC pauses of the update phase: a cache keeps every object alive until its next version replaces it.
  const gc = { scavengeMs: 0, markCompactMs: 0 };
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gc.scavengeMs += entry.duration;
      else gc.markCompactMs += entry.duration;
    }
  });
  const profileDir = process.env.BENCH_CPU_PROF;
  const profiler = profileDir ? await startableProfiler(`${profileDir}/${mode}-${round}.cpuprofile`) : undefined;
  let firstSent = Infinity;
  const prefix = `${mode}${round}:`;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let listed = false;
  const listedNames = new Set<string>();

  const observe = (object: WidgetLike | undefined): void => {
    if (object === undefined) return;
    const name = object.metadata?.name ?? "";
    if (!listed) {
      listedNames.add(name);
      if (listedNames.size === N) {
        listed = true;
        listMs = performance.now() - started;
        // The update phase is measured from the parent's "go" (sent once the watch has had time to
        // connect): the runtime reports `listed` before its informer opened the watch, the bare loop
        // after, and a watch's set-up (a TLS context per connection) is not per-event work.
        process.stdin.once("data", () => {
          void (async () => {
            await profiler?.start();
            cpuAtUpdates = process.cpuUsage();
            threadCpuAtUpdates = process.threadCpuUsage();
            gcObserver.observe({ entryTypes: ["gc"] });
            process.stdout.write(JSON.stringify({ ready: true }) + "\n");
          })();
        });
        process.stdout.write(JSON.stringify({ listed: true }) + "\n");
      }
      return;
    }
    const message = object.spec.message;
    if (!message.startsWith(prefix) || seen.has(name)) return;
    const sentAt = Number(message.slice(message.lastIndexOf(":") + 1));
    firstSent = Math.min(firstSent, sentAt);
    seen.add(name);
    latencies.push(Date.now() - sentAt);
    if (seen.size === N) finish();
  };

  let stop: () => Promise<void>;
  if (mode === "bare") {
    // The baseline: a paginated list, then one watch whose handler counts events; no cache, no queue.
    const api = kc.makeApiClient(CustomObjectsApi);
    let continueToken: string | undefined;
    let resourceVersion: string;
    do {
      const page = (await api.listNamespacedCustomObject({ group, version: "v1", namespace, plural: "widgets", limit: 500, _continue: continueToken })) as {
        items: WidgetLike[];
        metadata: { continue?: string; resourceVersion: string };
      };
      for (const item of page.items) observe(item);
      continueToken = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion;
    } while (continueToken !== undefined);
    const controller = await new Watch(kc).watch(
      collectionPath,
      { resourceVersion, allowWatchBookmarks: true },
      (_phase: string, object: WidgetLike) => observe(object),
      () => {},
    );
    stop = async () => controller.abort();
  } else {
    const { Manager, createJsonLogger } = await import("../../src/runtime/index.ts");
    started = performance.now();
    const manager = new Manager({ name: "bench", kubeConfig: kc, probePort: false, logger: createJsonLogger({ level: "warn" }), resyncMs: 0 });
    manager.addController({
      name: "bench",
      resourceType: widgetType,
      concurrency: 2,
      reconciler: {
        async reconcile(request, ctx) {
          observe(ctx.cache.get<WidgetLike>(apiVersion, widgetType.kind, request.namespace, request.name));
          return {};
        },
      },
    });
    const running = manager.start();
    stop = async () => {
      await manager.stop();
      await running;
    };
  }
  await finished;
  const updateMs = Date.now() - firstSent;
  const cpu = process.cpuUsage(cpuAtUpdates);
  const threadCpu = process.threadCpuUsage(threadCpuAtUpdates);
  gcObserver.disconnect();
  await profiler?.stop();
  const report: ChildReport = {
    mode,
    listMs,
    updateMs,
    latenciesMs: latencies.sort((a, b) => a - b),
    cpuMicrosPerEvent: (cpu.user + cpu.system) / N,
    threadCpuMicrosPerEvent: (threadCpu.user + threadCpu.system) / N,
    gcMicrosPerEvent: ((gc.scavengeMs + gc.markCompactMs) * 1000) / N,
    markCompactMs: gc.markCompactMs,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(JSON.stringify(report) + "\n");
  await stop();
}

type Rest = InstanceType<(typeof import("../../src/runtime/index.ts"))["KubeRest"]>;

/** Compiles this file and what it imports to JavaScript under node_modules/.cache (so packages resolve); returns the compiled entry. */
function compileChild(): string {
  const root = new URL("../../", import.meta.url).pathname;
  const outDir = `${root}node_modules/.cache/mysqlop-bench-runtime`;
  mkdirSync(outDir, { recursive: true });
  const tsconfig = `${outDir}/tsconfig.json`;
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: `${root}tsconfig.json`,
      compilerOptions: { noEmit: false, outDir, rootDir: root },
      files: [`${root}test/bench/runtime.ts`],
      include: [],
    }),
  );
  const started = performance.now();
  const result = spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", tsconfig], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`compiling the bench child failed:\n${result.stdout}${result.stderr}`);
  console.log(`compiled the bench child to JavaScript in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return `${outDir}/test/bench/runtime.js`;
}

async function measure(mode: Mode, round: number, childEntry: string, kubeconfigPath: string, rest: Rest): Promise<ChildReport> {
  const nodeFlags = mode === "runtime-small-young-gen" ? ["--max-semi-space-size=1"] : [];
  const child = spawn(process.execPath, [...nodeFlags, childEntry, `--child=${mode}`, kubeconfigPath, String(round)], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, BENCH_N: String(N) },
  });
  const lines = createInterface(child.stdout);
  let report: ChildReport | undefined;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const names = Array.from({ length: N }, (_, i) => `w${String(i).padStart(5, "0")}`);
  await new Promise<void>((resolve, reject) => {
    lines.on("line", (line) => {
      const message = JSON.parse(line) as { listed?: boolean; ready?: boolean } & Partial<ChildReport>;
      if (message.listed === true) {
        setTimeout(() => child.stdin.write("go\n"), settleMs);
      } else if (message.ready === true) {
        void inParallel(names, 32, async (name) => {
          await rest.request("PATCH", `${collectionPath}/${name}`, {
            body: { spec: { message: `${mode}${round}:${name}:${Date.now()}` } },
            contentType: "application/merge-patch+json",
          });
        }).catch(reject);
      } else if (message.mode !== undefined) {
        report = message as ChildReport;
        resolve();
      }
    });
    void exited.then(() => (report === undefined ? reject(new Error(`${mode} child exited without a report`)) : resolve()));
  });
  await exited;
  return report!;
}

/**
 * The runtime's own cost per event with the network taken out: events fired straight into a
 * controller (queue, worker, context, metrics, no-op reconcile). End-to-end CPU figures on a
 * shared 2-core machine are noisy; this one is not.
 */
async function measurePipelineOnly(events: number): Promise<number> {
  const { Controller, InformerCache, KubeRest, ObjectWriter, createJsonLogger, createRuntimeMetrics } = await import("../../src/runtime/index.ts");
  type Event = import("../../src/runtime/index.ts").InformerEvent;
  type InformerType = import("../../src/runtime/index.ts").Informer;
  const handlers: ((event: Event) => void)[] = [];
  let reconciled = 0;
  let allDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  const controller = new Controller(
    {
      name: "pipeline",
      resourceType: widgetType,
      concurrency: 2,
      reconciler: {
        async reconcile() {
          if (++reconciled === events) allDone();
          return {};
        },
      },
    },
    {
      cache: new InformerCache(),
      informerFor: (kind) => ({ kind, onEvent: (handler: (event: Event) => void) => handlers.push(handler) }) as unknown as InformerType,
      watchObject: () => ({ stop() {} }),
      events: { normal() {}, warning() {} },
      writer: new ObjectWriter({ rest: new KubeRest(new KubeConfig()), fieldManager: "pipeline" }),
      log: createJsonLogger({ level: "warn" }),
      metrics: createRuntimeMetrics(),
    },
  );
  controller.start();
  const cpu = process.cpuUsage();
  for (let i = 0; i < events; i++) {
    for (const handler of handlers) handler({ type: "update", object: { metadata: { name: `w${i}`, namespace } } });
    if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
  }
  await finished;
  const used = process.cpuUsage(cpu);
  await controller.stop(1000);
  return (used.user + used.system) / events;
}

async function main(): Promise<void> {
  const childArg = process.argv.find((a) => a.startsWith("--child="));
  if (childArg !== undefined) {
    // Stop when the parent is gone (its end of our stdin closes), even if it was SIGKILLed.
    process.stdin.resume();
    process.stdin.once("close", () => process.exit(1));
    await runChild(childArg.slice("--child=".length) as Mode, process.argv[3] ?? "", process.argv[4] ?? "0");
    process.stdin.removeAllListeners("close");
    process.stdin.destroy();
    return;
  }
  const childEntry = compileChild();
  const { startControlPlane } = await import("../../src/envtest/index.ts");
  const { KubeRest } = await import("../../src/runtime/index.ts");
  const plane = await startControlPlane();
  try {
    await plane.installCrd(new URL("../fixtures/runtime/widget-crd.yaml", import.meta.url).pathname);
    await plane.applyManifests([{ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }]);
    const rest = new KubeRest(plane.kubeConfig);
    const createStarted = performance.now();
    await inParallel(
      Array.from({ length: N }, (_, i) => i),
      32,
      async (i) => {
        await rest.request("POST", collectionPath, {
          body: { apiVersion, kind: "Widget", metadata: { name: `w${String(i).padStart(5, "0")}`, namespace }, spec: { message: "initial" } },
        });
      },
    );
    console.log(`created ${N} Widgets in ${((performance.now() - createStarted) / 1000).toFixed(1)} s`);
    // Interleaved rounds: the machine is shared, so the best round of each consumer is compared.
    const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
    const reports: ChildReport[] = [];
    for (let round = 0; round < rounds; round++) for (const mode of modes) reports.push(await measure(mode, round, childEntry, plane.kubeconfigPath, rest));
    await rest.close();
    console.log(`\nN = ${N} Widgets, one control plane, each consumer in its own process, ${rounds} interleaved rounds`);
    console.table(
      reports.map((r) => ({
        consumer: modeLabels[r.mode],
        "list objects/s": Math.round(N / (r.listMs / 1000)),
        "update events/s": Math.round(N / (r.updateMs / 1000)),
        "latency p50 ms": percentile(r.latenciesMs, 50),
        "latency p99 ms": percentile(r.latenciesMs, 99),
        "CPU µs/event": Math.round(r.cpuMicrosPerEvent),
        "main thread µs/event": Math.round(r.threadCpuMicrosPerEvent),
        "GC pause µs/event": Math.round(r.gcMicrosPerEvent),
        "major GC ms": Math.round(r.markCompactMs),
        "peak RSS MB": Math.round(r.maxRssMb),
      })),
    );
    const best = (mode: Mode, pick: (r: ChildReport) => number): number => Math.min(...reports.filter((r) => r.mode === mode).map(pick));
    const pct = (pick: (r: ChildReport) => number): string => `${(((best("runtime", pick) - best("bare", pick)) / best("bare", pick)) * 100).toFixed(1)} %`;
    const pipelineMicros = await measurePipelineOnly(100_000);
    console.log(`runtime pipeline alone (queue, worker, context, metrics; no network): ${pipelineMicros.toFixed(1)} µs CPU per event`);
    console.log(
      `runtime vs bare (best round each): list phase time ${pct((r) => r.listMs)}, update phase time ${pct((r) => r.updateMs)}, ` +
        `CPU per update event ${pct((r) => r.cpuMicrosPerEvent)} (target < 20 %), main thread ${pct((r) => r.threadCpuMicrosPerEvent)}; peak RSS: bare ${Math.round(best("bare", (r) => r.maxRssMb))} MB, ` +
        `runtime ${Math.round(best("runtime", (r) => r.maxRssMb))} MB, runtime with --max-semi-space-size=1 ${Math.round(best("runtime-small-young-gen", (r) => r.maxRssMb))} MB (target < 120 MB)`,
    );
  } finally {
    await plane.stop();
  }
}

await main();
