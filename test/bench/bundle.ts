/**
 * `npm run bench:bundle`: the operator bundle (`npm run bundle`) against the same operator run
 * from the TypeScript sources, each a `mysqlop run` process under the operator's ServiceAccount on
 * one control plane (with workloads when kwok is built, so that the server becomes available).
 * Printed per variant: start-up until the workers start, RSS idle (caches synced, settled) and after
 * the original cr.yaml reconciled (status "created without restore-job"; without workloads, once its
 * children exist), and peak RSS. Figures only; nothing is asserted.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { bundleOperator } from "../../src/build/bundle.ts";
import { findBinaries } from "../../src/envtest/binaries.ts";
import { eventually } from "../helpers/eventually.ts";
import { kubectl, REPO_ROOT, startMysqlopControlPlane } from "../helpers/control-plane.ts";

/** Pause before an RSS sample, for start-up garbage to be collected and caches to settle. */
const settleMs = Number(process.env.BENCH_SETTLE_MS ?? 3000);

/** VmRSS and VmHWM of a process, in MB. */
function memoryMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) / 1024;
  return { rss: field("VmRSS"), peak: field("VmHWM") };
}

const started = performance.now();
const bundle = await bundleOperator();
const bundleMs = performance.now() - started;
const workloads = findBinaries().kwok !== undefined;
const env = await startMysqlopControlPlane({ workloads });
const variants = [
  { name: "bundle", args: [bundle.file] },
  // V8's young generation capped at 1 MB (default 16 MB per semi-space): smaller, slightly more GC.
  { name: "bundle-semi1", args: ["--max-semi-space-size=1", bundle.file] },
  { name: "sources", args: [join(REPO_ROOT, "src/cli/main.ts")] },
];
const rows: string[] = [];
try {
  for (const variant of variants) {
    const namespace = `bench-${variant.name}`;
    const created = await kubectl(env.cp, ["create", "namespace", namespace]);
    if (created.code !== 0) throw new Error(created.stderr);
    let output = "";
    const t0 = performance.now();
    const child: ChildProcess = spawn(
      process.execPath,
      [
        ...variant.args,
        "run",
        "--kubeconfig",
        env.operator.kubeconfigPath,
        "--namespace",
        namespace,
        "--no-leader-elect",
        "--probe-port",
        "0",
        "--log-format",
        "json",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
    const exited = new Promise((resolve) => child.on("exit", resolve));
    try {
      await eventually(`${variant.name}: workers started`, async () => output.includes('"msg":"starting workers"'), 60_000, 20);
      const startMs = performance.now() - t0;
      await sleep(settleMs);
      const idle = memoryMb(child.pid!);
      const applied = await kubectl(env.cp, ["apply", "-n", namespace, "-f", join(REPO_ROOT, "deploy/cr.yaml")]);
      if (applied.code !== 0) throw new Error(applied.stderr);
      const a0 = performance.now();
      await eventually(
        `${variant.name}: cr.yaml reconciled`,
        async () => {
          const got = await kubectl(env.cp, ["get", "-n", namespace, "my", "mysql-instance", "-o", "jsonpath={.status.message}"]);
          if (workloads) return got.stdout.includes("created without restore-job");
          return (await kubectl(env.cp, ["get", "-n", namespace, "deployment", "mysql-instance"])).code === 0;
        },
        120_000,
        200,
      );
      const reconcileMs = performance.now() - a0;
      await sleep(settleMs);
      const after = memoryMb(child.pid!);
      rows.push(
        `${variant.name.padEnd(12)} start ${startMs.toFixed(0).padStart(5)} ms   idle RSS ${idle.rss.toFixed(1).padStart(6)} MB   ` +
          `after cr.yaml ${after.rss.toFixed(1).padStart(6)} MB (reconciled in ${reconcileMs.toFixed(0)} ms)   peak ${after.peak.toFixed(1).padStart(6)} MB`,
      );
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  }
} finally {
  await env.cp.stop();
}
console.log(
  `bench:bundle — Node ${process.version}; bundle ${(bundle.bytes / 1024).toFixed(0)} KiB built in ${bundleMs.toFixed(0)} ms; workloads ${workloads ? "on (kwok)" : 'off: "after" means children created, not server available'}`,
);
for (const row of rows) console.log(row);
