// `mysqlop run` as a user runs it: a process against a real API server, as the operator's ServiceAccount
// (exactly the generated RBAC), stopped with SIGTERM.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AppsV1Api, CoordinationV1Api, CoreV1Api } from "@kubernetes/client-node";
import { eventually } from "../../helpers/eventually.ts";
import { kubectl, OPERATOR_NAMESPACE, REPO_ROOT, startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";

describe("integration: mysqlop run", { timeout: 120_000 }, () => {
  let env: MysqlopControlPlane;
  let operator: ChildProcess | undefined;
  let output = "";
  let exited: Promise<number | null>;

  before(async () => {
    // A node to hold the hostPath volumes: without one the operator places nothing (as on any cluster without nodes).
    env = await startMysqlopControlPlane({ workloads: true });
  });
  after(async () => {
    operator?.kill("SIGKILL");
    await env?.cp.stop();
  });

  test("bad flags exit 2 naming the flag, without touching the cluster", async () => {
    const cases: [string[], RegExp][] = [
      [["--probe-port", "http"], /--probe-port must be a port number \(0-65535\), got "http"/],
      [["--workers", "0"], /--workers must be a whole number of at least 1, got "0"/],
      [["--qps=-5"], /--qps must be a number above 0, got "-5"/],
      [["--burst", "10"], /--burst needs --qps/],
    ];
    for (const [args, message] of cases) {
      const bad = spawn(process.execPath, [join(REPO_ROOT, "src/cli/main.ts"), "run", ...args], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      bad.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => bad.on("exit", resolve));
      assert.equal(code, 2, args.join(" "));
      assert.match(stderr, message);
    }
  });

  test("reconciles the original cr.yaml under the generated RBAC, then stops on SIGTERM with exit 0 and releases its lease", async () => {
    operator = spawn(process.execPath, [join(REPO_ROOT, "src/cli/main.ts"), "run", "--kubeconfig", env.operator.kubeconfigPath, "--probe-port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    operator.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    operator.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((resolve) => operator!.on("exit", resolve));
    await eventually("the operator leads", async () => output.includes('"msg":"became leader"'), 30_000);

    const applied = await kubectl(env.cp, ["apply", "-f", join(REPO_ROOT, "deploy/cr.yaml")]);
    assert.equal(applied.code, 0, applied.stderr);
    const apps = env.cp.kubeConfig.makeApiClient(AppsV1Api);
    const core = env.cp.kubeConfig.makeApiClient(CoreV1Api);
    const deployment = await eventually(
      "Deployment mysql-instance",
      () => apps.readNamespacedDeployment({ name: "mysql-instance", namespace: "default" }),
      30_000,
    );
    assert.equal(deployment.spec?.template.spec?.containers[0]?.image, "mysql:5.7");
    assert.equal(deployment.metadata?.ownerReferences?.[0]?.kind, "MySQL");
    await core.readNamespacedService({ name: "mysql-instance", namespace: "default" });
    await core.readNamespacedPersistentVolumeClaim({ name: "mysql-instance-pvc", namespace: "default" });
    assert.doesNotMatch(output, /otuspassword/, "the password never reaches the log");
    // What the operator did, at the default level, as it happened. The API server shows the Deployment as soon as it is
    // stored, which can be before the operator has its answer and logs the creation: the log is waited for.
    await eventually("the log names the children it created", async () => output.includes('"msg":"created Deployment default/mysql-instance"'));
    assert.match(output, /"msg":"created PersistentVolumeClaim default\/mysql-instance-pvc"/, "made before the Deployment, which waits for it");
    assert.match(output, /"msg":"added finalizer otus\.homework\/backup to MySQL default\/mysql-instance"/);
    assert.doesNotMatch(output, /"msg":"changed Deployment default\/mysql-instance"/, "a re-apply that changed nothing is not reported");

    operator.kill("SIGTERM");
    assert.equal(await exited, 0, output.slice(-2000));
    assert.match(output, /"msg":"released the lease"/);
    const lease = await env.cp.kubeConfig.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: "mysqlop-leader", namespace: OPERATOR_NAMESPACE });
    assert.ok(lease.spec?.holderIdentity === undefined || lease.spec.holderIdentity === "", `lease still held by ${lease.spec?.holderIdentity}`);
    // The API server names the manager of writes without a fieldManager (the Lease's create and updates) after the user agent.
    assert.deepEqual([...new Set((lease.metadata?.managedFields ?? []).map((f) => f.manager))], ["mysqlop"]);
  });
});
