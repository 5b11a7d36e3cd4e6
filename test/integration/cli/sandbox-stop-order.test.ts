// Ctrl-C in `mysqlop demo` (and `mysqlop sandbox`) stops things in order: the operator first (it releases its lease
// with one more request to the API server), then the control plane. The envtest harness's own signal hook must not
// stop the control plane on the same signal behind the sandbox's back: the release then raced the API server's exit
// ("could not release the lease … socket hang up", once in a few runs of `npm start`).
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { pidRecordDir } from "../../../src/envtest/index.ts";
import type { PidRecord } from "../../../src/envtest/pid-records.ts";
import { isSameProcess } from "../../../src/envtest/process-identity.ts";
import { eventually } from "../../helpers/eventually.ts";

const FIXTURE = join(import.meta.dirname, "fixtures", "sandbox-request-after-signal.ts");
/** Past kube-apiserver's SIGTERM → SIGKILL grace (2 s): a control plane stopped on the signal is surely gone by then. */
const DELAY_MS = 2_500;

describe("a sandbox stopped by a signal", { timeout: 400_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "mysqlop-sandbox-stop-order-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * Kills a fixture's process group if it still runs (on a failed test; its control plane, in sessions of its own, is
   * then left to the next run's reaper of pid records).
   */
  function killGroup(child: ChildProcess): void {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
  }

  interface Fixture {
    child: ChildProcess;
    output: () => { stdout: string; stderr: string };
    exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  }

  interface Sandbox extends Fixture {
    record: PidRecord;
  }

  /** The fixture with `args`, in its own process group, as a terminal's foreground job (Ctrl-C signals the whole group). */
  function spawnFixture(args: string[]): Fixture {
    const child = spawn(process.execPath, [FIXTURE, ...args], { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    return { child, output: () => ({ stdout, stderr }), exited };
  }

  /** The fixture opening a sandbox, once it is ready, with its pid record. */
  async function startSandbox(name: string): Promise<Sandbox> {
    const fixture = spawnFixture([join(dir, `kubeconfig-${name}`), String(DELAY_MS)]);
    const { child, output } = fixture;
    await eventually("the sandbox is ready", async () => output().stdout.includes('{"ready":true}') || child.exitCode !== null, 90_000);
    assert.equal(child.exitCode, null, output().stderr);
    const [recordFile] = readdirSync(pidRecordDir()).filter((f) => new RegExp(`^${child.pid}-[0-9a-f]+\\.json$`).test(f));
    assert.ok(recordFile !== undefined, "the sandbox keeps a pid record");
    const record = JSON.parse(readFileSync(join(pidRecordDir(), recordFile), "utf8")) as PidRecord;
    return { ...fixture, record };
  }

  async function assertNothingLeft(record: PidRecord): Promise<void> {
    await eventually("no process of the control plane is left", async () => record.processes.every((p) => !isSameProcess(p.pid, p)), 10_000);
  }

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    test(`${signal} to the whole process group: the API server still answers until the sandbox stops it, then nothing is left`, async () => {
      const sandbox = await startSandbox(signal);
      try {
        process.kill(-sandbox.child.pid!, signal);
        assert.deepEqual(await sandbox.exited, { code: 0, signal: null }, sandbox.output().stderr);
        const [, last] = sandbox.output().stdout.trim().split("\n");
        assert.deepEqual(JSON.parse(last ?? "{}"), { signal, answer: "namespace/mysqlop-system" }, "the request after the signal was answered");
        await assertNothingLeft(sandbox.record);
      } finally {
        killGroup(sandbox.child);
      }
    });
  }

  for (const [mode, how] of [
    ["during-install", "to the sandbox's process as the step starts"],
    ["during-kubectl", "to its whole process group while a kubectl of the step runs (it fails)"],
  ] as const) {
    test(`Ctrl-C while the started sandbox installs its manifests, ${how}: not opened, its control plane stopped in order, no kubeconfig left`, async () => {
      const own = mkdtempSync(join(dir, `${mode}-`));
      const kubeconfig = join(own, "kubeconfig");
      const { child, output, exited } = spawnFixture([kubeconfig, "0", mode]);
      try {
        assert.deepEqual(await exited, { code: 0, signal: null }, output().stderr);
        const lines = output()
          .stdout.trim()
          .split("\n")
          .map((line) => JSON.parse(line) as { record?: PidRecord; opened?: boolean; log?: string });
        const [recorded, logged, outcome] = lines;
        // Signalled alone, the sandbox stops before its next step; as a group, the step's kubectl fails with it.
        const said =
          mode === "during-install" ? /^sandbox: SIGINT while installing$/ : /^sandbox: SIGINT while installing; the step failed: kubectl apply failed/;
        assert.match(logged?.log ?? "", said, "what the sandbox logged on the signal");
        // openSandbox resolves undefined only once closeSandbox stopped the control plane: an orderly stop, not the exit hook's kill.
        assert.deepEqual(outcome, { opened: false }, "openSandbox resolved undefined: the caller exits 130, as on a Ctrl-C during start-up");
        const record = recorded?.record;
        assert.ok(record !== undefined && record.processes.length > 0, "the control plane had started");
        await assertNothingLeft(record);
        assert.deepEqual(readdirSync(own), [], "no kubeconfig is left");
      } finally {
        killGroup(child);
      }
    });
  }

  test("a second Ctrl-C while the sandbox is still stopping its own way kills everything at once", async () => {
    const sandbox = await startSandbox("twice");
    try {
      process.kill(-sandbox.child.pid!, "SIGINT");
      await sleep(500);
      process.kill(-sandbox.child.pid!, "SIGINT");
      assert.deepEqual(await sandbox.exited, { code: 130, signal: null }, sandbox.output().stderr);
      assert.equal(sandbox.output().stdout.trim().split("\n").length, 1, "it did not wait for the request after the signal");
      await assertNothingLeft(sandbox.record);
    } finally {
      killGroup(sandbox.child);
    }
  });
});
