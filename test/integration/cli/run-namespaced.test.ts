// `mysqlop run --namespace` under the namespaced RBAC variant (deploy/rbac-namespaced/): a Role and RoleBinding in the
// watched namespace, cluster-wide rights for PersistentVolumes only, the Lease Role in the operator's namespace. The
// operator runs as a process with the ServiceAccount's token, so a right the variant lacks fails the test.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { eventually } from "../../helpers/eventually.ts";
import { kubectl, OPERATOR_NAMESPACE, REPO_ROOT, startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";
import { orUndefined } from "../../helpers/not-found.ts";

const WATCHED = "team-a";
const OTHER = "team-b";
const NAME = "mysql-instance";

interface MySQLObject {
  metadata: { finalizers?: string[] };
  status?: { message?: string };
}

describe("integration: mysqlop run --namespace under the namespaced RBAC", { timeout: 300_000 }, () => {
  let env: MysqlopControlPlane;
  let custom: CustomObjectsApi;
  let operator: ChildProcess | undefined;
  let output = "";

  const mysql = (namespace: string): Promise<MySQLObject | undefined> =>
    orUndefined(custom.getNamespacedCustomObject({ group: "otus.homework", version: "v1", namespace, plural: "mysqls", name: NAME }) as Promise<MySQLObject>);

  before(async () => {
    env = await startMysqlopControlPlane({ workloads: true, watchNamespaces: [WATCHED] });
    custom = env.cp.kubeConfig.makeApiClient(CustomObjectsApi);
    await env.cp.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: OTHER } } });
  });
  after(async () => {
    operator?.kill("SIGKILL");
    await env?.cp.stop();
  });

  test("the ServiceAccount may work in the watched namespace and on PersistentVolumes, and nowhere else", async () => {
    const canI = async (...args: string[]) => (await kubectl(env.cp, ["auth", "can-i", ...args], { kubeconfig: env.operator.kubeconfigPath })).stdout.trim();
    const table: [string[], "yes" | "no"][] = [
      [["list", "secrets", "-n", WATCHED], "yes"],
      [["create", "deployments.apps", "-n", WATCHED], "yes"],
      [["patch", "mysqls.otus.homework", "-n", WATCHED], "yes"],
      [["patch", "mysqls.otus.homework", "--subresource=status", "-n", WATCHED], "yes"],
      [["update", "mysqls.otus.homework", "--subresource=status", "-n", WATCHED], "no"],
      [["delete", "persistentvolumes"], "yes"],
      [["update", "leases.coordination.k8s.io", "-n", OPERATOR_NAMESPACE], "yes"],
      [["list", "secrets", "-n", OTHER], "no"],
      [["list", "secrets", "--all-namespaces"], "no"],
      [["get", "mysqls.otus.homework", "-n", OTHER], "no"],
      [["create", "jobs.batch", "-n", "default"], "no"],
      [["update", "leases.coordination.k8s.io", "-n", WATCHED], "no"],
    ];
    for (const [args, want] of table) assert.equal(await canI(...args), want, `kubectl auth can-i ${args.join(" ")}`);
  });

  test("reconciles the original cr.yaml in the watched namespace, leaves another namespace alone, and deletes with a backup", async () => {
    operator = spawn(
      process.execPath,
      [join(REPO_ROOT, "src/cli/main.ts"), "run", "--kubeconfig", env.operator.kubeconfigPath, "--namespace", WATCHED, "--probe-port", "0"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    operator.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    operator.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => operator!.on("exit", resolve));

    for (const namespace of [WATCHED, OTHER]) {
      const applied = await kubectl(env.cp, ["apply", "-n", namespace, "-f", join(REPO_ROOT, "deploy/cr.yaml")]);
      assert.equal(applied.code, 0, applied.stderr);
    }
    await eventually(`${WATCHED}/${NAME} created`, async () => (await mysql(WATCHED))?.status?.message === `${NAME} created without restore-job`, 120_000);
    const other = await mysql(OTHER);
    assert.equal(other?.status, undefined, "the resource in another namespace got no status");
    assert.deepEqual(other?.metadata.finalizers ?? [], [], "nor a finalizer");

    const deleted = await kubectl(env.cp, ["delete", "-n", WATCHED, "mysql", NAME, "--wait=false"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    await eventually(`${WATCHED}/${NAME} deleted after its backup`, async () => (await mysql(WATCHED)) === undefined, 120_000);
    const core = env.cp.kubeConfig.makeApiClient(CoreV1Api);
    await core.readNamespacedPersistentVolumeClaim({ name: `backup-${NAME}-pvc`, namespace: WATCHED });
    assert.doesNotMatch(output, /forbidden|\b403\b/i, "no request was refused");

    operator.kill("SIGTERM");
    assert.equal(await exited, 0, output.slice(-2000));
  });
});
