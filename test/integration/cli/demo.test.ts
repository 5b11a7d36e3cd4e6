// `npm start` (`mysqlop demo`) as a newcomer runs it: one process in its own process group (a terminal's
// foreground job), the original scenario shown as it happens, a kubeconfig for a second terminal, and Ctrl-C
// (SIGINT to the whole group) removing everything: no process, no kubeconfig left.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { promisify } from "node:util";
import { findBinaries } from "../../../src/envtest/index.ts";
import { isProcessAlive } from "../../../src/envtest/process-identity.ts";
import { eventually } from "../../helpers/eventually.ts";
import { REPO_ROOT } from "../../helpers/control-plane.ts";
import { bestNodeKind } from "../../../src/cli/sandbox/session.ts";

const execFileAsync = promisify(execFile);

/** Every process below `root` now: children, grandchildren, … */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [pid, ppid] of parents) {
      if (ppid !== parent || found.includes(pid)) continue;
      found.push(pid);
      queue.push(pid);
    }
  }
  return found;
}

describe("npm start (mysqlop demo)", { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "mysqlop-demo-test-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("shows the original scenario reaching 'created without restore-job', runs the operator as its ServiceAccount, and Ctrl-C removes everything", async () => {
    const kubeconfig = join(dir, "kubeconfig");
    const child = spawn(process.execPath, [join(REPO_ROOT, "src/cli/main.ts"), "demo", "--kubeconfig", kubeconfig], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    try {
      const seconds = await eventually(
        "the demo reports the resource created",
        async () => /"mysql-instance created without restore-job", ([\d.]+) s after start/.exec(output)?.[1],
        240_000,
        250,
      );
      const node = bestNodeKind().kind;
      console.log(`npm start → "mysql-instance created without restore-job": ${seconds} s (${node} node)`);
      assert.match(output, node === "process" ? /pods run on the process node/ : /pods run on kwok's fake node/, "the demo says which node the pods run on");
      // Shown as it happened: the operator's log, the children, Events, the status with its conditions.
      assert.match(output, /^ +[\d.]+s {2}operator INFO {2}created PersistentVolumeClaim default\/mysql-instance-pvc/m);
      assert.match(output, /^ +[\d.]+s {2}child {4}\+ Deployment default\/mysql-instance$/m);
      assert.match(
        output,
        /^ +[\d.]+s {2}mysql {4}default\/mysql-instance {2}Ready=True Progressing=False Degraded=False: mysql-instance created without restore-job$/m,
      );
      // The Event and kubectl's own output may be shown after the status that ended the wait.
      await eventually("the Created Event shown", async () =>
        /^ +[\d.]+s {2}event {4}Normal {2}Created {2}MySQL\/mysql-instance: mysql-instance created without restore-job$/m.test(output),
      );
      await eventually("kubectl's answer shown", async () => /^ +[\d.]+s {2}kubectl {2}mysql\.otus\.homework\/mysql-instance created$/m.test(output));
      // For a second terminal: the export lines, then the original scenario's kubectl lines.
      assert.match(output, new RegExp(`^  export KUBECONFIG=${kubeconfig}$`, "m"));
      // A second shell has neither this Node nor the pinned kubectl on its PATH.
      assert.ok(output.includes(`  export PATH=${dirname(process.execPath)}:${dirname(findBinaries().kubectl)}:$PATH`), "the PATH line for a second shell");
      for (const line of [
        "kubectl describe my mysql-instance",
        "kubectl delete my mysql-instance",
        "kubectl apply -f deploy/cr.yaml",
        "kubectl events",
        "kubectl get my -o wide",
      ]) {
        assert.ok(output.includes(`  ${line}`), `'${line}' in the printed steps`);
      }
      assert.doesNotMatch(output, /otuspassword/);

      const kubectl = findBinaries().kubectl;
      const got = await execFileAsync(kubectl, ["--kubeconfig", kubeconfig, "get", "my", "mysql-instance", "-o", "jsonpath={.status.message}"]);
      assert.equal(got.stdout, "mysql-instance created without restore-job");
      const operatorKubeconfig = join(dir, "operator.kubeconfig");
      assert.match(output, new RegExp(`operator starting as system:serviceaccount:mysqlop-system:mysqlop \\(${operatorKubeconfig}\\)`));
      const whoami = await execFileAsync(kubectl, ["--kubeconfig", operatorKubeconfig, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"]);
      assert.equal(whoami.stdout, "system:serviceaccount:mysqlop-system:mysqlop");
      const flowSchema = await execFileAsync(kubectl, [
        "--kubeconfig",
        kubeconfig,
        "get",
        "flowschema",
        "mysqlop-leader-election",
        "-o",
        "jsonpath={.spec.priorityLevelConfiguration.name}",
      ]);
      assert.equal(flowSchema.stdout, "leader-election", "the sandbox installs deploy/flowschema.yaml as a cluster would");

      const started = descendants(child.pid!);
      assert.ok(started.length >= 5, `the control plane's processes run below the demo: ${started.join(", ")}`);
      process.kill(-child.pid!, "SIGINT");
      assert.deepEqual(await exited, { code: 0, signal: null }, output.slice(-3000));
      assert.match(output, /stopped; everything removed\n$/);
      // The operator stopped first, the control plane after: its lease's release reached the API server.
      assert.match(output, /^ +[\d.]+s {2}operator INFO {2}released the lease {2}lease=mysqlop-system\/mysqlop-leader$/m);
      await eventually("no process of the demo is left", async () => started.every((pid) => !isProcessAlive(pid)), 10_000);
      assert.ok(!existsSync(kubeconfig) && !existsSync(operatorKubeconfig), "both kubeconfigs are removed");
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, "SIGKILL");
    }
  });
});
