// `kubectl apply -k deploy/` as a user runs it on a fresh cluster: nothing installed beforehand (no CRD, no namespace),
// the pinned kubectl, a control plane with workloads (kube-controller-manager, kube-scheduler, kwok), Pod Security on.
import assert from "node:assert/strict";
import { cp as cp_, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request, type RequestOptions } from "node:https";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { AppsV1Api, CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import ejs from "ejs";
import { parseAllDocuments } from "yaml";
import { startControlPlane, type ControlPlane } from "../../../src/envtest/index.ts";
import { eventually } from "../../helpers/eventually.ts";
import { kubectl, OPERATOR_NAMESPACE, OPERATOR_SERVICE_ACCOUNT, REPO_ROOT } from "../../helpers/control-plane.ts";

const DEPLOY_DIR = join(REPO_ROOT, "deploy");

describe("integration: kubectl apply -k deploy/ on a fresh cluster", { timeout: 240_000 }, () => {
  let cp: ControlPlane;

  before(async () => {
    cp = await startControlPlane({ workloads: true });
  });
  after(async () => {
    await cp?.stop();
  });

  test("every object applies on the first try; the operator's pods are scheduled and Running; kubectl get my works", async () => {
    const applied = await kubectl(cp, ["apply", "-k", DEPLOY_DIR]);
    assert.equal(applied.code, 0, `kubectl apply -k failed:\n${applied.stdout}\n${applied.stderr}`);
    assert.doesNotMatch(applied.stderr, /error|warning/i, applied.stderr);
    for (const object of [
      "customresourcedefinition.apiextensions.k8s.io/mysqls.otus.homework created",
      `namespace/${OPERATOR_NAMESPACE} created`,
      "serviceaccount/mysqlop created",
      "clusterrole.rbac.authorization.k8s.io/mysqlop created",
      "clusterrolebinding.rbac.authorization.k8s.io/mysqlop created",
      "role.rbac.authorization.k8s.io/mysqlop created",
      "rolebinding.rbac.authorization.k8s.io/mysqlop created",
      "flowschema.flowcontrol.apiserver.k8s.io/mysqlop-leader-election created",
      "deployment.apps/mysqlop created",
    ]) {
      assert.ok(applied.stdout.includes(object), `'${object}' in:\n${applied.stdout}`);
    }

    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    const apps = cp.kubeConfig.makeApiClient(AppsV1Api);
    const running = await eventually(
      "both operator pods scheduled and Running",
      async () => {
        const pods: V1Pod[] = (await core.listNamespacedPod({ namespace: OPERATOR_NAMESPACE, labelSelector: "app.kubernetes.io/name=mysqlop" })).items;
        return pods.length === 2 && pods.every((p) => p.spec?.nodeName !== undefined && p.status?.phase === "Running") && pods;
      },
      120_000,
      500,
    );
    for (const pod of running) {
      assert.equal(pod.spec?.serviceAccountName, "mysqlop");
      assert.equal(pod.spec?.containers[0]?.env?.find((e) => e.name === "POD_NAMESPACE")?.valueFrom?.fieldRef?.fieldPath, "metadata.namespace");
    }
    // Running is not yet ready: the Deployment counts a pod once its readiness probe passed.
    await eventually(
      "both operator pods ready",
      async () => (await apps.readNamespacedDeployment({ name: "mysqlop", namespace: OPERATOR_NAMESPACE })).status?.readyReplicas === 2,
      120_000,
      500,
    );
    // Pod Security `restricted` is enforced in the namespace; the ReplicaSet would report FailedCreate otherwise.
    const failed = (await core.listNamespacedEvent({ namespace: OPERATOR_NAMESPACE })).items.filter((e) => e.reason === "FailedCreate");
    assert.deepEqual(
      failed.map((e) => e.message),
      [],
    );

    const got = await kubectl(cp, ["get", "my", "--all-namespaces"]);
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stderr, /No resources found/);
    const again = await kubectl(cp, ["apply", "-k", DEPLOY_DIR]);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stdout, / created$/m, "a second apply creates nothing");
  });

  test("the shipped FlowSchema puts the operator's Lease requests, and only those, in the leader-election priority level", async () => {
    const applied = await kubectl(cp, ["apply", "-k", DEPLOY_DIR]);
    assert.equal(applied.code, 0, applied.stderr);
    const uidOf = async (flowSchema: string): Promise<string> => {
      const got = await kubectl(cp, ["get", "flowschema", flowSchema, "-o", "jsonpath={.metadata.uid} {.spec.priorityLevelConfiguration.name}"]);
      assert.equal(got.code, 0, got.stderr);
      return got.stdout;
    };
    const [ours, level] = (await uidOf("mysqlop-leader-election")).split(" ");
    assert.equal(level, "leader-election");
    const [serviceAccounts] = (await uidOf("service-accounts")).split(" ");
    const { kubeConfig } = await cp.serviceAccountKubeConfig({ namespace: OPERATOR_NAMESPACE, name: OPERATOR_SERVICE_ACCOUNT });
    // The API server names the FlowSchema a request matched in a response header, whatever the answer (a 404 here).
    const matched = async (method: string, path: string): Promise<string | undefined> => {
      const options: RequestOptions = { method };
      await kubeConfig.applyToHTTPSOptions(options);
      return new Promise((resolve, reject) => {
        request(`${cp.server}${path}`, options, (res) => {
          res.resume();
          res.on("end", () => resolve(res.headers["x-kubernetes-pf-flowschema-uid"] as string | undefined));
        })
          .on("error", reject)
          .end(method === "GET" ? undefined : JSON.stringify({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "probe" } }));
      });
    };
    const leases = `/apis/coordination.k8s.io/v1/namespaces/${OPERATOR_NAMESPACE}/leases`;
    assert.equal(await matched("GET", `${leases}/mysqlop-leader`), ours, "the operator's lease read");
    assert.equal(await matched("PUT", `${leases}/probe`), ours, "the operator's lease renewal");
    assert.equal(await matched("GET", "/apis/otus.homework/v1/mysqls"), serviceAccounts, "its other requests stay where they were");
    assert.equal(await matched("GET", "/apis/coordination.k8s.io/v1/namespaces/default/leases/probe"), serviceAccounts, "leases elsewhere are not its own");
  });

  test("a kustomize overlay sets the image with images:, the rest unchanged", async () => {
    const overlay = await mkdtemp(join(tmpdir(), "mysqlop-overlay-"));
    try {
      await writeFile(
        join(overlay, "kustomization.yaml"),
        // Kustomize refuses absolute paths; a relative one may leave the overlay's folder.
        `resources:\n  - ${relative(overlay, DEPLOY_DIR)}\nimages:\n  - name: mysqlop\n    newName: registry.example.test/team/mysqlop\n    newTag: "9.9.9"\n`,
      );
      const built = await kubectl(cp, ["kustomize", overlay]);
      assert.equal(built.code, 0, built.stderr);
      const objects = parseAllDocuments(built.stdout).map(
        (d) => d.toJS() as { kind: string; spec?: { template?: { spec?: { containers?: { image: string }[] } } } },
      );
      const deployment = objects.find((o) => o.kind === "Deployment");
      assert.equal(deployment?.spec?.template?.spec?.containers?.[0]?.image, "registry.example.test/team/mysqlop:9.9.9");
      assert.equal(objects.length, 9, "CRD, Namespace, ServiceAccount, ClusterRole(Binding), Role(Binding), FlowSchema, Deployment");
    } finally {
      await rm(overlay, { recursive: true, force: true });
    }
  });

  test("yo mysqlop's overlay for one watched namespace builds as its README says and the API server takes it (dry run); the namespace must exist", async () => {
    // The scaffold's overlay lists files of deploy/, outside its own folder: `kubectl apply -k` refuses that (kustomize's
    // load restrictor), so its README builds it with the restriction off and pipes it to kubectl apply.
    const project = await mkdtemp(join(tmpdir(), "mysqlop-namespaced-"));
    try {
      await cp_(DEPLOY_DIR, join(project, "deploy"), { recursive: true });
      const templates = join(REPO_ROOT, "generators/app/templates/deploy/namespaced");
      for (const file of ["kustomization.yaml", "watched/kustomization.yaml"]) {
        const text = await ejs.renderFile(join(templates, file), { name: OPERATOR_SERVICE_ACCOUNT, watchNamespaces: ["team-a"] });
        await mkdir(dirname(join(project, "deploy/namespaced", file)), { recursive: true });
        await writeFile(join(project, "deploy/namespaced", file), text);
      }
      const overlay = join(project, "deploy/namespaced");
      const refused = await kubectl(cp, ["kustomize", overlay]);
      assert.notEqual(refused.code, 0, "kubectl kustomize without --load-restrictor refuses files outside the overlay");
      assert.match(refused.stderr, /is not in or below/);
      const command = "kubectl kustomize --load-restrictor LoadRestrictionsNone deploy/namespaced/ | kubectl apply -f -";
      assert.ok((await readFile(join(overlay, "kustomization.yaml"), "utf8")).includes(command), "the overlay gives the command");
      const readme = await readFile(join(REPO_ROOT, "generators/app/templates/README.md"), "utf8");
      assert.ok(readme.includes(command.replace("|", "\\|")), "the README gives the command (its | escaped in a table)");
      const built = await kubectl(cp, ["kustomize", "--load-restrictor", "LoadRestrictionsNone", overlay]);
      assert.equal(built.code, 0, built.stderr);
      const objects = parseAllDocuments(built.stdout).map(
        (d) =>
          d.toJS() as { kind: string; metadata: { name: string; namespace?: string }; spec?: { template?: { spec?: { containers?: { args?: string[] }[] } } } },
      );
      const ids = objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`);
      assert.ok(ids.includes(`ClusterRole /${OPERATOR_SERVICE_ACCOUNT}-cluster-scoped`), ids.join(", "));
      assert.ok(!ids.includes(`ClusterRole /${OPERATOR_SERVICE_ACCOUNT}`), "not the ClusterRole for every namespace");
      assert.ok(ids.includes(`Role team-a/${OPERATOR_SERVICE_ACCOUNT}`), ids.join(", "));
      assert.ok(objects.find((o) => o.kind === "Deployment")?.spec?.template?.spec?.containers?.[0]?.args?.includes("--namespace=team-a"));
      assert.ok(!ids.some((id) => id.startsWith("Namespace /team-a")), "the overlay does not make (nor, on delete -k, delete) the watched namespace");

      const missing = await kubectl(cp, ["apply", "--dry-run=server", "-f", "-"], { input: built.stdout });
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /namespaces "team-a" not found/);
      assert.equal((await kubectl(cp, ["create", "namespace", "team-a"])).code, 0);
      const applied = await kubectl(cp, ["apply", "--dry-run=server", "-f", "-"], { input: built.stdout });
      assert.equal(applied.code, 0, applied.stderr);
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });
});
