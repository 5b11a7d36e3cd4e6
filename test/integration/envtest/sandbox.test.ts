// `mysqlop sandbox`, run as a user runs it: a separate process, used through kubectl, stopped with Ctrl-C (SIGINT).
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { findBinaries, pidRecordDir } from "../../../src/envtest/index.ts";
import type { PidRecord } from "../../../src/envtest/pid-records.ts";
import { listeningPorts } from "../../../src/envtest/ports.ts";
import { isSameProcess } from "../../../src/envtest/process-identity.ts";
import { REPO_ROOT } from "../../helpers/control-plane.ts";

const execFileAsync = promisify(execFile);
const MAIN = join(REPO_ROOT, "src", "cli", "main.ts");

async function kubectl(kubeconfig: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(findBinaries().kubectl, ["--kubeconfig", kubeconfig, ...args], { timeout: 60_000 });
  return stdout;
}

describe("mysqlop sandbox", { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "mysqlop-sandbox-test-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("--help and a wrong flag", async () => {
    const help = await execFileAsync(process.execPath, [MAIN, "sandbox", "--help"]);
    assert.match(help.stdout, /usage: mysqlop sandbox \[--kubeconfig PATH\] \[--with-workloads\]/);
    await assert.rejects(execFileAsync(process.execPath, [MAIN, "sandbox", "--bogus"]), (error: { code?: number; stderr?: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr ?? "", /Unknown option '--bogus'/);
      return true;
    });
  });

  test("--with-workloads: CRD, RBAC and a fake node are there, kubectl works, Ctrl-C removes everything", async () => {
    const kubeconfig = join(dir, "nested", "kubeconfig");
    const child = spawn(process.execPath, [MAIN, "sandbox", "--kubeconfig", kubeconfig, "--with-workloads"], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    try {
      const deadline = Date.now() + 120_000;
      while (!stdout.includes("Press Ctrl-C")) {
        if (child.exitCode !== null) assert.fail(`sandbox exited early (${child.exitCode}): ${stderr}`);
        if (Date.now() > deadline) assert.fail(`sandbox not ready within 120 s: ${stderr}`);
        await sleep(100);
      }
      assert.match(stdout, new RegExp(`kubectl(?:\\S*)? --kubeconfig ${kubeconfig} get mysqls`));
      assert.equal(readFileSync(kubeconfig, "utf8").includes("client-certificate-data"), true);

      assert.match(await kubectl(kubeconfig, ["get", "crd", "mysqls.otus.homework", "-o", "name"]), /mysqls\.otus\.homework/);
      assert.match(await kubectl(kubeconfig, ["get", "serviceaccount", "mysqlop", "-n", "mysqlop-system", "-o", "name"]), /serviceaccount\/mysqlop/);
      assert.match(await kubectl(kubeconfig, ["get", "nodes"]), /kwok-node-0\s+Ready/);
      const operatorKubeconfig = /exactly its RBAC\): --kubeconfig (\S+)/.exec(stdout)?.[1];
      assert.ok(operatorKubeconfig !== undefined, stdout);
      assert.equal((await kubectl(operatorKubeconfig, ["auth", "can-i", "list", "mysqls.otus.homework", "--all-namespaces"])).trim(), "yes");
      await assert.rejects(kubectl(operatorKubeconfig, ["auth", "can-i", "delete", "nodes"]), (error: { code?: number; stdout?: string }) => {
        assert.equal(error.code, 1);
        assert.equal(error.stdout?.trim(), "no");
        return true;
      });

      const [recordFile] = readdirSync(pidRecordDir()).filter((f) => f.startsWith(`${child.pid}-`));
      assert.ok(recordFile !== undefined, "the sandbox keeps a pid record");
      const record = JSON.parse(readFileSync(join(pidRecordDir(), recordFile), "utf8")) as PidRecord;
      assert.deepEqual(record.processes.map((p) => p.name).sort(), ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"]);

      child.kill("SIGINT");
      const exit = await exited;
      assert.deepEqual(exit, { code: 0, signal: null }, stderr);
      assert.match(stderr, /SIGINT, stopping/);
      assert.ok(!existsSync(kubeconfig), "the kubeconfig of a server that is gone is removed");
      for (const p of record.processes) assert.ok(!isSameProcess(p.pid, p), `${p.name} is gone`);
      assert.deepEqual(await listeningPorts(record.ports), []);
      assert.ok(!existsSync(record.tempDir));
      assert.ok(!existsSync(join(pidRecordDir(), recordFile)));
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    }
  });
});
