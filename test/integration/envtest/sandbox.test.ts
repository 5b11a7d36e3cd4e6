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
import type { V1Pod } from "@kubernetes/client-node";
import { REPO_ROOT } from "../../helpers/control-plane.ts";
import { eventually } from "../../helpers/eventually.ts";
import { mysqlOk } from "../../helpers/mysql-client.ts";
import { OperatorProcess } from "../../helpers/operator-process.ts";
import { containerProcesses, processNodeSkip, stillRunning } from "../../helpers/process-node.ts";

const execFileAsync = promisify(execFile);
const MAIN = join(REPO_ROOT, "src", "cli", "main.ts");

async function kubectl(kubeconfig: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(findBinaries().kubectl, ["--kubeconfig", kubeconfig, ...args], { timeout: 60_000 });
  return stdout;
}

interface RunningSandbox {
  pid: number;
  output: () => { stdout: string; stderr: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: (signal: NodeJS.Signals) => void;
  record: PidRecord & { file: string };
}

/** Starts `mysqlop sandbox ARGS` as a user would, and waits until it says it is ready. */
async function startSandbox(args: string[]): Promise<RunningSandbox> {
  const child = spawn(process.execPath, [MAIN, "sandbox", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + 120_000;
  while (!stdout.includes("Press Ctrl-C")) {
    if (child.exitCode !== null) assert.fail(`sandbox exited early (${child.exitCode}): ${stderr}`);
    if (Date.now() > deadline) {
      child.kill("SIGTERM");
      assert.fail(`sandbox not ready within 120 s: ${stderr}`);
    }
    await sleep(100);
  }
  const [recordFile] = readdirSync(pidRecordDir()).filter((f) => f.startsWith(`${child.pid}-`));
  assert.ok(recordFile !== undefined, "the sandbox keeps a pid record");
  const file = join(pidRecordDir(), recordFile);
  const record = { ...(JSON.parse(readFileSync(file, "utf8")) as PidRecord), file };
  return { pid: child.pid ?? 0, output: () => ({ stdout, stderr }), exited, kill: (signal) => child.kill(signal), record };
}

async function assertNothingLeft(record: PidRecord & { file: string }): Promise<void> {
  for (const p of record.processes) assert.ok(!isSameProcess(p.pid, p), `${p.name} is gone`);
  assert.deepEqual(await listeningPorts(record.ports), []);
  assert.ok(!existsSync(record.tempDir));
  assert.ok(!existsSync(record.file));
}

describe("mysqlop sandbox", { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "mysqlop-sandbox-test-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("--help and a wrong flag", async () => {
    const help = await execFileAsync(process.execPath, [MAIN, "sandbox", "--help"]);
    assert.match(help.stdout, /usage: mysqlop sandbox \[--kubeconfig PATH\] \[--workloads process\|kwok\|auto \| --with-workloads\]/);
    await assert.rejects(execFileAsync(process.execPath, [MAIN, "sandbox", "--bogus"]), (error: { code?: number; stderr?: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr ?? "", /Unknown option '--bogus'/);
      return true;
    });
  });

  test("--with-workloads: CRD, RBAC and a fake node are there, kubectl works, Ctrl-C removes everything", async () => {
    const kubeconfig = join(dir, "nested", "kubeconfig");
    const sandbox = await startSandbox(["--kubeconfig", kubeconfig, "--with-workloads"]);
    try {
      const { stdout } = sandbox.output();
      assert.match(stdout, new RegExp(`kubectl(?:\\S*)? --kubeconfig ${kubeconfig} get mysqls`));
      assert.equal(readFileSync(kubeconfig, "utf8").includes("client-certificate-data"), true);

      assert.match(await kubectl(kubeconfig, ["get", "crd", "mysqls.otus.homework", "-o", "name"]), /mysqls\.otus\.homework/);
      assert.match(await kubectl(kubeconfig, ["get", "serviceaccount", "mysqlop", "-n", "mysqlop-system", "-o", "name"]), /serviceaccount\/mysqlop/);
      assert.match(await kubectl(kubeconfig, ["get", "nodes"]), /kwok-node-0\s+Ready/);
      const operatorKubeconfig = /run --kubeconfig (\S+) +# the operator as its ServiceAccount/.exec(stdout)?.[1];
      assert.equal(operatorKubeconfig, join(dir, "nested", "operator.kubeconfig"), "a stable path beside the admin kubeconfig");
      assert.match(stdout, new RegExp(`^  export KUBECONFIG=${kubeconfig}$`, "m"));
      assert.equal((await kubectl(operatorKubeconfig, ["auth", "can-i", "list", "mysqls.otus.homework", "--all-namespaces"])).trim(), "yes");
      await assert.rejects(kubectl(operatorKubeconfig, ["auth", "can-i", "delete", "nodes"]), (error: { code?: number; stdout?: string }) => {
        assert.equal(error.code, 1);
        assert.equal(error.stdout?.trim(), "no");
        return true;
      });
      assert.deepEqual(sandbox.record.processes.map((p) => p.name).sort(), ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"]);

      sandbox.kill("SIGINT");
      const exit = await sandbox.exited;
      assert.deepEqual(exit, { code: 0, signal: null }, sandbox.output().stderr);
      assert.match(sandbox.output().stderr, /SIGINT, stopping/);
      assert.ok(!existsSync(kubeconfig), "the kubeconfig of a server that is gone is removed");
      assert.ok(!existsSync(operatorKubeconfig), "the operator's too");
      await assertNothingLeft(sandbox.record);
    } finally {
      sandbox.kill("SIGTERM");
      await sandbox.exited;
    }
  });

  test(
    "--workloads process: the README's walk — mysqlop run, cr.yaml, a real server at its pod IP; Ctrl-C removes everything, the server too",
    { skip: processNodeSkip({ mariadb: true }) },
    async () => {
      const kubeconfig = join(dir, "process", "kubeconfig");
      const sandbox = await startSandbox(["--kubeconfig", kubeconfig, "--workloads", "process"]);
      let operator: OperatorProcess | undefined;
      try {
        const { stdout } = sandbox.output();
        assert.match(stdout, /Pods run on the process node/);
        assert.match(await kubectl(kubeconfig, ["get", "nodes"]), /process-node-0\s+Ready/);
        const operatorKubeconfig = /run --kubeconfig (\S+) +# the operator as its ServiceAccount/.exec(stdout)?.[1];
        assert.ok(operatorKubeconfig !== undefined, stdout);
        operator = new OperatorProcess(operatorKubeconfig);
        await operator.start();
        await kubectl(kubeconfig, ["apply", "-f", join(REPO_ROOT, "deploy", "cr.yaml")]);
        await eventually(
          "mysql-instance created",
          async () =>
            (await kubectl(kubeconfig, ["get", "my", "mysql-instance", "-o", "jsonpath={.status.message}"])) === "mysql-instance created without restore-job",
          180_000,
          500,
        );
        const ip = await kubectl(kubeconfig, ["get", "pods", "-l", "app=mysql-instance", "-o", "jsonpath={.items[0].status.podIP}"]);
        assert.equal((await mysqlOk({ host: ip, password: "otuspassword", database: "otus-database" }, "SELECT 42;")).trim(), "42");
        const pod = JSON.parse(await kubectl(kubeconfig, ["get", "pods", "-l", "app=mysql-instance", "-o", "jsonpath={.items[0]}"])) as V1Pod;
        const server = containerProcesses(pod);
        assert.ok(server.length >= 2, "the server's processes");
        assert.match(await kubectl(kubeconfig, ["logs", pod.metadata?.name ?? ""]), /mariadbd/);
        await operator.stop();

        sandbox.kill("SIGINT");
        const exit = await sandbox.exited;
        assert.deepEqual(exit, { code: 0, signal: null }, sandbox.output().stderr);
        await assertNothingLeft(sandbox.record);
        assert.deepEqual(stillRunning(server), [], "the server is gone with the sandbox");
      } finally {
        await operator?.stop();
        sandbox.kill("SIGTERM");
        await sandbox.exited;
      }
    },
  );

  test("a component that dies ends the sandbox with exit 1 and that component's log", async () => {
    const kubeconfig = join(dir, "dies", "kubeconfig");
    const sandbox = await startSandbox(["--kubeconfig", kubeconfig]);
    try {
      const apiServer = sandbox.record.processes.find((p) => p.name === "kube-apiserver");
      assert.ok(apiServer !== undefined);
      process.kill(apiServer.pid, "SIGKILL");
      const exit = await sandbox.exited;
      assert.deepEqual(exit, { code: 1, signal: null });
      const { stderr } = sandbox.output();
      assert.match(stderr, /kube-apiserver exited unexpectedly \(code null, signal SIGKILL\)/);
      assert.match(stderr, /--- last lines of .*kube-apiserver\.log ---\n[IWE]\d{4} /);
      assert.ok(!existsSync(kubeconfig));
      await assertNothingLeft(sandbox.record);
    } finally {
      sandbox.kill("SIGTERM");
      await sandbox.exited;
    }
  });
});
