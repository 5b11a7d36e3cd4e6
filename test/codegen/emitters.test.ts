/** Given/want tables for the pure pieces of the pipeline: naming, escaping, CRD and RBAC shape. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Deployment } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { markdownText, tableCell } from "../../src/codegen/emit/api-reference.ts";
import { buildCrd, emitCrd } from "../../src/codegen/emit/crd.ts";
import { GENERATED_HEADER_PATTERN, generatedHeader } from "../../src/codegen/emit/header.ts";
import { emitKustomization } from "../../src/codegen/emit/kustomization.ts";
import { emitNamespace } from "../../src/codegen/emit/namespace.ts";
import { buildOperatorDeployment, OPERATOR_UID } from "../../src/codegen/emit/operator-deployment.ts";
import { emitNamespacedRbacKustomization, emitNamespacedRbacOperator, emitNamespacedRbacWatchedRole, emitRbac } from "../../src/codegen/emit/rbac.ts";
import { reconcilerBaseInput } from "../../src/codegen/emit/inputs.ts";
import { emitReconcilerBase, escapeDocComment } from "../../src/codegen/emit/reconciler-base.ts";
import { stripGeneratorExtensions } from "../../src/codegen/emit/schema-tools.ts";
import { toPointer } from "../../src/codegen/errors.ts";
import { parseSchemaText } from "../../src/codegen/load.ts";
import { buildModel, type GeneratorModel, type RuntimeImports } from "../../src/codegen/model.ts";
import { runtimeImportProblem, runtimeModuleSpecifier } from "../../src/codegen/options.ts";
import { hookNameOf, validateSchema } from "../../src/codegen/validate.ts";
import { editedSchema, mysqlSchemaText, ROOT_SCHEMA, SPEC_PROPERTIES } from "./temp-project.ts";

async function mysqlModel(options: { runtimeImport?: string; outDir?: string } = {}): Promise<GeneratorModel> {
  const loaded = parseSchemaText(await mysqlSchemaText(), "schemas/mysql.yaml");
  validateSchema(loaded);
  return buildModel(loaded, { root: "/project", schemaPath: "schemas/mysql.yaml", ...options });
}

test("hookNameOf: spec field → change hook name", () => {
  const table: [string, string][] = [
    ["image", "onImageChange"],
    ["storage_size", "onStorageSizeChange"],
    ["passwordSecretRef", "onPasswordSecretRefChange"],
    ["storageClassName", "onStorageClassNameChange"],
    ["a_b_c", "onABCChange"],
    ["x2y", "onX2yChange"],
    ["$weird_name", "onWeirdNameChange"],
  ];
  for (const [given, want] of table) assert.equal(hookNameOf(given), want, given);
});

test("toPointer escapes ~ and / as RFC 6901 says", () => {
  const table: [(string | number)[], string][] = [
    [[], ""],
    [["versions", 0, "name"], "/versions/0/name"],
    [["a/b", "c~d"], "/a~1b/c~0d"],
  ];
  for (const [given, want] of table) assert.equal(toPointer(given), want);
});

test("escapeDocComment: descriptions cannot close a TSDoc comment, nor open a comment inside it", () => {
  const table: [string, string][] = [
    ["plain", "plain"],
    ["ends */ here", "ends *\\/ here"],
    ["*/*/", "*\\/\\*\\/"],
    ["crlf\r\nline", "crlf\nline"],
    // ts-morph's writer takes `/*` for a comment inside the JSDoc and ends it early (found in review).
    ["globs a/*.sql", "globs a/\\*.sql"],
  ];
  for (const [given, want] of table) assert.equal(escapeDocComment(given), want);
});

test("reconciler base: a hook's docs link to its field's docs in the models, or repeat the description that its named type carries", async () => {
  const model = await mysqlModel();
  const input = reconcilerBaseInput(model);
  const base = emitReconcilerBase(input).content;
  const described = (name: string) => model.specFields.find((f) => f.name === name)?.description ?? assert.fail(`no spec.${name}`);
  // spec.image has no title: json-schema-to-typescript documents the field in MySQLSpec.
  assert.equal(
    input.specFields.find((f) => f.name === "image")?.description,
    undefined,
    "its description does not reach the base's part, so editing it does not re-emit the base",
  );
  assert.ok(!base.includes(described("image").slice(0, 40)), "the description is not repeated in the base");
  assert.match(base, /What the field means: \{@link MySQLSpec\.image\}\./);
  // spec.passwordSecretRef and spec.resources have titles: their descriptions are on SecretKeySelector and ServerResources.
  for (const name of ["passwordSecretRef", "resources"]) {
    assert.ok(base.includes(described(name).trim().slice(0, 60)), `the hook of spec.${name} repeats its description`);
    assert.doesNotMatch(base, new RegExp(`\\{@link MySQLSpec\\.${name}\\}`), `no link to spec.${name}, a field without docs of its own`);
  }
});

test("model: a field is documented on its type exactly when json-schema-to-typescript names one for it (a non-empty title)", async () => {
  const documented = async (title: string | undefined) => {
    const text = await editedSchema((d) =>
      title === undefined ? d.deleteIn([...SPEC_PROPERTIES, "image", "title"]) : d.setIn([...SPEC_PROPERTIES, "image", "title"], title),
    );
    const loaded = parseSchemaText(text, "schemas/mysql.yaml");
    validateSchema(loaded);
    return buildModel(loaded, { root: "/project", schemaPath: "schemas/mysql.yaml" }).specFields.find((f) => f.name === "image")?.documentedOnType;
  };
  assert.equal(await documented(undefined), false);
  assert.equal(await documented(""), false, "an empty title names no type: the description stays on the field");
  assert.equal(await documented("ImageReference"), true);
});

test("model: an empty title on spec or status names no type, like an absent one: the types are MySQLSpec and MySQLStatus", async () => {
  const text = await editedSchema((d) => {
    d.setIn([...ROOT_SCHEMA, "properties", "spec", "title"], "");
    d.setIn([...ROOT_SCHEMA, "properties", "status", "title"], "");
  });
  const loaded = parseSchemaText(text, "schemas/mysql.yaml");
  validateSchema(loaded);
  const { typeNames } = buildModel(loaded, { root: "/project", schemaPath: "schemas/mysql.yaml" });
  assert.deepEqual(typeNames, { resource: "MySQL", spec: "MySQLSpec", status: "MySQLStatus" });
});

test("markdownText and tableCell: prose escaped, code spans kept, one line per cell", () => {
  const table: [string, string, string][] = [
    ["a *b* _c_", "a \\*b\\* \\_c\\_", "a \\*b\\* \\_c\\_"],
    ["use `storage_size`", "use `storage_size`", "use `storage_size`"],
    ["x | y", "x | y", "x \\| y"],
    ["<!-- x -->", "\\<!-- x --\\>", "\\<!-- x --\\>"],
    ["two\nlines", "two\nlines", "two lines"],
    ["back\\slash", "back\\\\slash", "back\\\\slash"],
  ];
  for (const [given, prose, cell] of table) {
    assert.equal(markdownText(given), prose, `markdownText(${JSON.stringify(given)})`);
    assert.equal(tableCell(given), cell, `tableCell(${JSON.stringify(given)})`);
  }
});

test("generatedHeader: one line per comment style, recognisable with the schema hash", async () => {
  const model = await mysqlModel();
  for (const style of ["line", "hash", "html"] as const) {
    const header = generatedHeader(model, style);
    assert.ok(!header.includes("\n"));
    const match = GENERATED_HEADER_PATTERN.exec(header);
    assert.ok(match, header);
    assert.equal(match[1], "schemas/mysql.yaml");
    assert.equal(match[2], model.source.sha256);
  }
});

test("model: spec fields in schema order, sensitivity and presence from the schema", async () => {
  const model = await mysqlModel();
  assert.deepEqual(
    model.specFields.map((f) => [f.name, f.hookName, f.alwaysPresent, f.sensitive]),
    [
      ["image", "onImageChange", true, false],
      ["database", "onDatabaseChange", true, false],
      ["password", "onPasswordChange", false, true],
      ["passwordSecretRef", "onPasswordSecretRefChange", false, false],
      ["storage_size", "onStorageSizeChange", true, false],
      ["storageClassName", "onStorageClassNameChange", false, false],
      ["backup", "onBackupChange", false, false],
      ["restore", "onRestoreChange", false, false],
      ["hostPath", "onHostPathChange", false, false],
      ["resources", "onResourcesChange", true, false],
      ["jobResources", "onJobResourcesChange", true, false],
    ],
  );
});

test("model: the watched kinds are the operator rules with watch, each declared once in the schema", async () => {
  const model = await mysqlModel();
  assert.deepEqual(
    model.watchedKinds.map((k) => `${k.apiVersion} ${k.kind} ${k.plural}${k.namespaced ? "" : " (cluster)"}`),
    [
      "v1 PersistentVolumeClaim persistentvolumeclaims",
      "v1 PersistentVolume persistentvolumes (cluster)",
      "v1 Service services",
      "apps/v1 Deployment deployments",
      "batch/v1 Job jobs",
      "batch/v1 CronJob cronjobs",
      "v1 Secret secrets",
      "v1 ConfigMap configmaps",
    ],
  );
  const watchedRules = model.rbac.clusterRules.filter((r) => r.verbs.includes("watch") && r.resources[0] !== model.plural);
  assert.deepEqual(
    model.watchedKinds.map((k) => k.plural).sort(),
    watchedRules.map((r) => r.resources[0]).sort(),
    "every watch right is an informer, and back",
  );
});

test("model: runtime imports join each runtime module to the --runtime-import folder or package subpath", async () => {
  const table: [{ runtimeImport?: string; outDir?: string }, RuntimeImports][] = [
    [
      {},
      /* default: relative paths from generated/ to src/runtime */ {
        index: "../src/runtime/index.ts",
        schemaValidation: "../src/runtime/schema-validation.ts",
      },
    ],
    [{ outDir: "out/deep" }, { index: "../../src/runtime/index.ts", schemaValidation: "../../src/runtime/schema-validation.ts" }],
    [{ outDir: "." }, { index: "./src/runtime/index.ts", schemaValidation: "./src/runtime/schema-validation.ts" }],
    [
      { runtimeImport: "generator-mysqlop/runtime" },
      { index: "generator-mysqlop/runtime/index", schemaValidation: "generator-mysqlop/runtime/schema-validation" },
    ],
    [{ runtimeImport: "../vendor/runtime/" }, { index: "../vendor/runtime/index.ts", schemaValidation: "../vendor/runtime/schema-validation.ts" }],
  ];
  for (const [given, want] of table) assert.deepEqual((await mysqlModel(given)).runtimeImports, want, JSON.stringify(given));
  await assert.rejects(
    mysqlModel({ runtimeImport: "../src/runtime/resource-reconciler.ts" }),
    /runtimeImport names the runtime folder or package subpath .*, not a file/,
  );
});

test("runtimeModuleSpecifier: a folder gets .ts files, a package subpath gets extensionless subpaths", () => {
  const table: [string, string][] = [
    ["../src/runtime", "../src/runtime/schema-validation.ts"],
    ["./runtime/", "./runtime/schema-validation.ts"],
    ["/opt/project/src/runtime", "/opt/project/src/runtime/schema-validation.ts"],
    ["generator-mysqlop/runtime", "generator-mysqlop/runtime/schema-validation"],
    ["@acme/operator-kit/runtime", "@acme/operator-kit/runtime/schema-validation"],
  ];
  for (const [given, want] of table) assert.equal(runtimeModuleSpecifier(given, "schema-validation"), want, given);
});

test("runtimeImportProblem refuses a file or nothing, accepts folders and package subpaths", () => {
  const table: [string, RegExp | undefined][] = [
    ["../src/runtime", undefined],
    ["generator-mysqlop/runtime", undefined],
    ["", /must not be empty/],
    ["../src/runtime/resource-reconciler.ts", /not a file/],
    ["generator-mysqlop/runtime/index.js", /not a file/],
  ];
  for (const [given, want] of table) {
    const problem = runtimeImportProblem(given);
    if (want === undefined) assert.equal(problem, undefined, given);
    else assert.match(problem ?? "", want, given);
  }
});

test("stripGeneratorExtensions removes x-mysqlop-* keys only, never user data", () => {
  const given = {
    type: "object",
    "x-mysqlop-sensitive": true,
    properties: { "x-mysqlop-sensitive": { type: "string", "x-mysqlop-pattern-hint": "h", default: { "x-mysqlop-keep": 1 }, enum: ["x-mysqlop-a"] } },
    oneOf: [{ required: ["a"], "x-mysqlop-sensitive": true }],
  };
  assert.deepEqual(stripGeneratorExtensions(given), {
    type: "object",
    properties: { "x-mysqlop-sensitive": { type: "string", default: { "x-mysqlop-keep": 1 }, enum: ["x-mysqlop-a"] } },
    oneOf: [{ required: ["a"] }],
  });
});

test("CRD: mysqls.otus.homework, v1 served+storage, status subresource, short names, the original four fields, no generator extensions", async () => {
  const model = await mysqlModel();
  const crd = buildCrd(model) as {
    metadata: { name: string };
    spec: Record<string, unknown> & { versions: Record<string, unknown>[]; names: Record<string, unknown> };
  };
  assert.equal(crd.metadata.name, "mysqls.otus.homework");
  assert.equal(crd.spec.scope, "Namespaced");
  assert.deepEqual(crd.spec.names, { kind: "MySQL", listKind: "MySQLList", plural: "mysqls", singular: "mysql", shortNames: ["my"] });
  const [v1] = crd.spec.versions;
  assert.ok(v1);
  assert.equal(v1.name, "v1");
  assert.equal(v1.served, true);
  assert.equal(v1.storage, true);
  assert.deepEqual(v1.subresources, { status: {} });
  const spec = (v1.schema as { openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } } }).openAPIV3Schema.properties.spec;
  for (const field of ["image", "database", "password", "storage_size"]) assert.ok(field in spec.properties, field);
  const text = emitCrd(model);
  assert.ok(!text.includes("x-mysqlop-"), "our extensions are stripped: the API server rejects unknown keys");
  assert.match(text, /x-kubernetes-list-type: map/);
  const columns = (v1.additionalPrinterColumns as { name: string }[]).map((c) => c.name);
  assert.deepEqual(columns, ["Image", "Database", "Storage", "Ready", "Scheduled-Backup", "Message", "Age"]);
});

test("RBAC: exact verbs from the schema, no wildcard, cluster role for the operator, role for leases", async () => {
  const model = await mysqlModel();
  const text = emitRbac(model);
  assert.ok(!text.includes("*"), "no * anywhere");
  const docs = parseAllDocuments(text);
  assert.ok(Array.isArray(docs));
  const objects = docs.map(
    (d) =>
      d.toJS() as { kind: string; metadata: { name: string; namespace?: string }; rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[] },
  );
  assert.deepEqual(
    objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`),
    [
      "ServiceAccount/mysqlop-system/mysqlop",
      "ClusterRole//mysqlop",
      "ClusterRoleBinding//mysqlop",
      "Role/mysqlop-system/mysqlop",
      "RoleBinding/mysqlop-system/mysqlop",
    ],
  );
  const rules = new Map(objects[1]!.rules!.map((r) => [`${r.apiGroups[0]}/${r.resources[0]}`, r.verbs]));
  assert.deepEqual(rules.get("otus.homework/mysqls"), ["get", "list", "watch", "patch"]);
  assert.deepEqual(rules.get("otus.homework/mysqls/status"), ["patch"]);
  assert.deepEqual(rules.get("otus.homework/mysqls/finalizers"), ["update"]);
  for (const kind of ["/persistentvolumeclaims", "/persistentvolumes", "/services", "apps/deployments", "batch/jobs", "/secrets", "/configmaps", "/events"])
    assert.ok(rules.has(kind), kind);
  assert.deepEqual(objects[3]!.rules, [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] }]);
});

test("operator Deployment: in the operator's namespace under its ServiceAccount, leader-elected replicas, probes, limits, restricted pod security", async () => {
  const model = await mysqlModel();
  const deployment = buildOperatorDeployment(model) as unknown as V1Deployment;
  assert.equal(deployment.metadata?.namespace, "mysqlop-system");
  assert.equal(deployment.spec?.replicas, 2);
  const pod = deployment.spec!.template.spec!;
  assert.equal(pod.serviceAccountName, "mysqlop");
  assert.deepEqual(pod.securityContext, { runAsNonRoot: true, runAsUser: OPERATOR_UID, runAsGroup: OPERATOR_UID, seccompProfile: { type: "RuntimeDefault" } });
  const container = pod.containers[0]!;
  assert.equal(container.image, "mysqlop:0.1.0");
  assert.deepEqual(container.args, ["run", "--probe-port=8081", "--log-format=json"]);
  assert.deepEqual(container.env?.[0], { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } });
  assert.equal(container.livenessProbe?.httpGet?.path, "/healthz");
  assert.equal(container.readinessProbe?.httpGet?.path, "/readyz");
  assert.deepEqual(container.resources, { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } });
  assert.deepEqual(container.securityContext, {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
  });
});

test("operator Deployment defaults when the schema has no operator.deployment: image <serviceAccount>:latest, 2 replicas, port 8081", async () => {
  const text = (await mysqlSchemaText()).replace(/\n {2}# The operator's own Deployment[\s\S]*$/, "\n");
  const model = buildModel(parseSchemaText(text, "schemas/mysql.yaml"), { root: ".", schemaPath: "schemas/mysql.yaml" });
  assert.deepEqual(model.operatorDeployment, {
    image: "mysqlop:latest",
    replicas: 2,
    probePort: 8081,
    resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } },
  });
});

test("namespace and kustomization: the namespace enforces restricted pod security; the kustomization lists CRD, namespace, RBAC, FlowSchema, operator", async () => {
  const model = await mysqlModel();
  const namespace = parseAllDocuments(emitNamespace(model))[0]!.toJS() as { metadata: { name: string; labels: Record<string, string> } };
  assert.equal(namespace.metadata.name, "mysqlop-system");
  assert.equal(namespace.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
  const kustomization = parseAllDocuments(emitKustomization(model))[0]!.toJS() as { kind: string; resources: string[] };
  assert.equal(kustomization.kind, "Kustomization");
  assert.deepEqual(kustomization.resources, ["crd.yaml", "namespace.yaml", "rbac.yaml", "flowschema.yaml", "operator.yaml"]);
});

test("namespaced RBAC: a ClusterRole for cluster-scoped resources only, a Role without namespace for the rest, the same rights in sum", async () => {
  const model = await mysqlModel();
  type Rbac = { kind: string; metadata: { name: string; namespace?: string }; rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
  const objectsOf = (text: string): Rbac[] => parseAllDocuments(text).map((d) => d.toJS() as Rbac);
  const operator = objectsOf(emitNamespacedRbacOperator(model));
  const watched = objectsOf(emitNamespacedRbacWatchedRole(model));
  for (const text of [emitNamespacedRbacOperator(model), emitNamespacedRbacWatchedRole(model)]) assert.ok(!text.includes("*"), "no * anywhere");
  assert.deepEqual(
    operator.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`),
    [
      "ServiceAccount/mysqlop-system/mysqlop",
      "ClusterRole//mysqlop-cluster-scoped",
      "ClusterRoleBinding//mysqlop-cluster-scoped",
      "Role/mysqlop-system/mysqlop",
      "RoleBinding/mysqlop-system/mysqlop",
    ],
  );
  assert.deepEqual(operator[1]!.rules, [
    { apiGroups: [""], resources: ["nodes"], verbs: ["list"] },
    { apiGroups: [""], resources: ["persistentvolumes"], verbs: ["get", "list", "watch", "create", "patch", "delete"] },
    { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["list"] },
  ]);
  assert.deepEqual(
    watched.map((o) => `${o.kind}/${o.metadata.namespace ?? "(none)"}/${o.metadata.name}`),
    ["Role/(none)/mysqlop", "RoleBinding/(none)/mysqlop"],
    "no namespace: whoever applies it names the watched namespace",
  );
  assert.deepEqual((watched[1] as unknown as { subjects: unknown[] }).subjects, [{ kind: "ServiceAccount", name: "mysqlop", namespace: "mysqlop-system" }]);
  const key = (r: { apiGroups: string[]; resources: string[]; verbs: string[] }) => `${r.apiGroups[0]}/${r.resources[0]}:${r.verbs.join(",")}`;
  const everyNamespace = objectsOf(emitRbac(model))[1]!.rules!.map(key).sort();
  assert.deepEqual([...operator[1]!.rules!, ...watched[0]!.rules!].map(key).sort(), everyNamespace, "the two variants grant the same rights");
  const kustomization = parseAllDocuments(emitNamespacedRbacKustomization(model))[0]!.toJS() as Record<string, unknown>;
  assert.deepEqual(kustomization, { apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", namespace: "default", resources: ["role.yaml"] });
});
