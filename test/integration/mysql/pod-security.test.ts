/**
 * Pod Security admission, for real: kube-apiserver's own PodSecurity plugin judges every pod the operator makes in a
 * namespace labelled `pod-security.kubernetes.io/enforce=restricted` (the operator under its generated RBAC,
 * kube-controller-manager creating the pods, kwok running them). With a storage class every pod is admitted: the
 * server's, and the restore, password-change and backup Jobs'. Without one the server's pod carries a root init
 * container for its hostPath volume, which `restricted` refuses and `baseline` admits; the resource then says why.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ApiException, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type CoreV1Event } from "@kubernetes/client-node";
import type { MySQL } from "../../../generated/mysql-models.ts";
import { secretValue } from "../../../src/mysql/desired/index.ts";
import { kubectl, startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";
import { eventually as pollUntil } from "../../helpers/eventually.ts";
import { readMySQL, startInProcessOperator, type InProcessOperator } from "../../helpers/operator-process.ts";
import { orUndefined } from "../../helpers/not-found.ts";

const RESTRICTED = "locked";
const BASELINE = "relaxed";
const CLASS = "fast";

function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
  return pollUntil(what, check, timeoutMs, 250);
}

describe("Pod Security: a namespace that enforces 'restricted' admits every pod the operator makes", { timeout: 600_000 }, () => {
  let env: MysqlopControlPlane;
  let operator: InProcessOperator;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;

  const mysql = (namespace: string, name: string): Promise<MySQL | undefined> => readMySQL(env, namespace, name);
  const messageIs = (namespace: string, name: string, text: string) =>
    eventually(`${namespace}/${name}: "${text}"`, async () => {
      const m = await mysql(namespace, name);
      return m?.status?.message === text && m;
    });
  const apply = async (object: unknown): Promise<void> => {
    const applied = await kubectl(env.cp, ["apply", "-f", "-"], { input: JSON.stringify(object) });
    assert.equal(applied.code, 0, applied.stderr);
  };
  const resource = (namespace: string, name: string, spec: Record<string, unknown> = {}) => ({
    apiVersion: "otus.homework/v1",
    kind: "MySQL",
    metadata: { name, namespace },
    spec: { database: "app", storage_size: "1Gi", password: "first-pw", ...spec },
  });
  /** What a storage class's provisioner would do for a claim: a volume of the class, bound to it. */
  const provision = (namespace: string, claim: string, volume: string) =>
    core.createPersistentVolume({
      body: {
        metadata: { name: volume },
        spec: {
          capacity: { storage: "1Gi" },
          accessModes: ["ReadWriteOnce"],
          storageClassName: CLASS,
          persistentVolumeReclaimPolicy: "Retain",
          hostPath: { path: `/srv/${volume}` },
          claimRef: { namespace, name: claim },
        },
      },
    });
  const events = async (namespace: string): Promise<CoreV1Event[]> => (await core.listNamespacedEvent({ namespace })).items;

  before(async () => {
    env = await startMysqlopControlPlane({ workloads: true });
    core = env.cp.kubeConfig.makeApiClient(CoreV1Api);
    custom = env.cp.kubeConfig.makeApiClient(CustomObjectsApi);
    const levels: [string, string][] = [
      [RESTRICTED, "restricted"],
      [BASELINE, "baseline"],
    ];
    for (const [name, level] of levels) {
      await core.createNamespace({
        body: { metadata: { name, labels: { "pod-security.kubernetes.io/enforce": level, "pod-security.kubernetes.io/enforce-version": "latest" } } },
      });
    }
    operator = startInProcessOperator(env);
  });

  after(async () => {
    await operator?.stop();
    await env?.cp.stop();
  });

  test("the admission is real: a pod that runs as root is refused in the restricted namespace", async () => {
    const error = await core
      .createNamespacedPod({ namespace: RESTRICTED, body: { metadata: { name: "as-root" }, spec: { containers: [{ name: "c", image: "busybox" }] } } })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(error instanceof ApiException && error.code === 403, String(error));
    const { message } = JSON.parse(String(error.body)) as { message: string };
    assert.match(message, /violates PodSecurity "restricted:latest": .*runAsNonRoot != true/);
  });

  test("with a storage class: the server's pod and the restore, password-change and backup Jobs' pods are all admitted", async () => {
    const name = "db";
    await provision(RESTRICTED, `${name}-pvc`, "db-data-1");
    await provision(RESTRICTED, `backup-${name}-pvc`, "db-backup");
    // The first life of the resource ends in a backup, so that the second begins with the restore Job.
    await apply(resource(RESTRICTED, name, { storageClassName: CLASS }));
    await messageIs(RESTRICTED, name, `${name} created without restore-job`);
    await custom.patchNamespacedCustomObject(
      { group: "otus.homework", version: "v1", namespace: RESTRICTED, plural: "mysqls", name, body: { spec: { password: "second-pw" } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await eventually(
      "the password changed",
      async () => secretValue(await core.readNamespacedSecret({ namespace: RESTRICTED, name: `${name}-credentials` }), "password") === "second-pw",
    );
    const deleted = await kubectl(env.cp, ["delete", "-n", RESTRICTED, "mysqls.otus.homework", name, "--wait=true", "--timeout=180s"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    await eventually(
      "the data claim gone",
      async () => (await orUndefined(core.readNamespacedPersistentVolumeClaim({ namespace: RESTRICTED, name: `${name}-pvc` }))) === undefined,
    );
    await provision(RESTRICTED, `${name}-pvc`, "db-data-2");
    await apply(resource(RESTRICTED, name, { storageClassName: CLASS }));
    await messageIs(RESTRICTED, name, `${name} created with restore-job`);

    // kube-controller-manager sends its Events from a queue of its own, after the pods they tell of: they are waited for.
    const owners = [`backup-${name}-job`, `restore-${name}-job`, `passwd-${name}-job`];
    const createdBy = (seen: CoreV1Event[]) =>
      seen.filter((e) => e.reason === "SuccessfulCreate" && /^Created pod: /.test(e.message ?? "")).map((e) => e.involvedObject.name ?? "");
    const seen = await eventually("a SuccessfulCreate Event of each Job and of the server's ReplicaSet", async () => {
      const all = await events(RESTRICTED);
      const created = createdBy(all);
      return owners.every((owner) => created.includes(owner)) && created.some((owner) => owner.startsWith(`${name}-`)) && all;
    }).catch(async (error: unknown) => {
      throw new Error(`${String(error)} (created: ${createdBy(await events(RESTRICTED)).join(", ")})`);
    });
    const refused = seen.filter((e) => e.reason === "FailedCreate");
    assert.deepEqual(
      refused.map((e) => e.message),
      [],
      "no pod of the operator's was refused",
    );
  });

  test("without a storage class (hostPath volumes): 'restricted' refuses the server's root init container, the resource says why and what to do; 'baseline' admits it", async () => {
    const name = "hp";
    await apply(resource(RESTRICTED, name));
    const refused = await eventually("ServerPodRefused", async () => {
      const m = await mysql(RESTRICTED, name);
      return m?.status?.conditions?.find((c) => c.type === "Degraded" && c.reason === "ServerPodRefused") ?? false;
    });
    assert.match(refused.message, /^Deployment hp cannot create the server's pod: .*violates PodSecurity "restricted:latest"/);
    assert.match(refused.message, /volume-permissions/, "the admission names the init container");
    assert.match(refused.message, /use a storageClassName .* or enforce "baseline" in this namespace/);
    const warned = await eventually("the Warning Event", async () =>
      (await events(RESTRICTED)).find((e) => e.involvedObject.name === name && e.involvedObject.kind === "MySQL" && e.reason === "ServerPodRefused"),
    );
    assert.equal(warned.type, "Warning");

    await apply(resource(BASELINE, name));
    await messageIs(BASELINE, name, `${name} created without restore-job`);
    assert.deepEqual(
      (await events(BASELINE)).filter((e) => e.reason === "FailedCreate").map((e) => e.message),
      [],
    );
  });
});
