/** The pure desired-state builders: resource in, manifests out. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";
import type { V1ConfigMap, V1Deployment, V1PersistentVolume, V1PersistentVolumeClaim, V1Service } from "@kubernetes/client-node";
import {
  buildBackupClaim,
  buildBackupCronJob,
  buildBackupJob,
  buildBackupVolume,
  buildCredentialsSecret,
  buildDataVolume,
  buildPasswordChangeJob,
  buildPasswordChangeSecret,
  buildRestoreJob,
  desiredChildren,
  secretValue,
} from "../../../src/mysql/desired/index.ts";
import { instanceOf } from "../../../src/mysql/instance.ts";
import { childNames, OPERATOR_NAME } from "../../../src/mysql/names.ts";
import { createMySQLOperator } from "../../../src/mysql/operator.ts";
import { MANAGED_BY_LABEL } from "../../../src/runtime/index.ts";
import { BACKUP_KINDS, ENV, EXIT_CODES, SCRIPT_TEXTS } from "../../../src/mysql/scripts/index.ts";
import { allStrings, originalResource } from "../fixtures.ts";

test("the original cr.yaml → scripts, NAME-pvc, Service NAME, Deployment NAME with pods app=NAME", () => {
  const children = desiredChildren(instanceOf(originalResource()));
  assert.deepEqual(
    children.map((c) => `${c.kind}/${c.metadata?.name}`),
    ["ConfigMap/mysql-instance-scripts", "PersistentVolumeClaim/mysql-instance-pvc", "Service/mysql-instance", "Deployment/mysql-instance"],
  );
  for (const c of children) assert.equal(c.metadata?.namespace, "default");
  const deployment = children[3] as V1Deployment;
  const pod = deployment.spec!.template;
  assert.equal(pod.metadata!.labels!.app, "mysql-instance");
  assert.equal(deployment.spec!.strategy!.type, "Recreate", "two servers must never share a data directory");
  const container = pod.spec!.containers[0]!;
  assert.equal(container.image, "mysql:5.7");
  assert.deepEqual(container.env, [
    { name: "MYSQL_ROOT_PASSWORD", valueFrom: { secretKeyRef: { name: "mysql-instance-credentials", key: "password" } } },
    { name: "MYSQL_DATABASE", value: "otus-database" },
  ]);
  assert.deepEqual(pod.spec!.volumes, [{ name: "data", persistentVolumeClaim: { claimName: "mysql-instance-pvc" } }]);
  const service = children[2] as V1Service;
  assert.deepEqual(service.spec!.selector, deployment.spec!.selector!.matchLabels);
  assert.deepEqual((children[0] as V1ConfigMap).data, SCRIPT_TEXTS);
  assert.equal(secretValue(buildCredentialsSecret(instanceOf(originalResource()), "otuspassword"), "password"), "otuspassword");
});

test("the password appears only in the credentials Secret, never in a Deployment, Service, ConfigMap or Job", () => {
  const resource = originalResource({ spec: { password: "s3cr3t-value" } });
  const children = desiredChildren(instanceOf(resource));
  const base64 = Buffer.from("s3cr3t-value").toString("base64");
  for (const child of [
    ...children.filter((c) => c.kind !== "Secret"),
    buildBackupJob(instanceOf(resource)),
    buildRestoreJob(instanceOf(resource)),
    buildPasswordChangeJob(instanceOf(resource), "sha256:x"),
  ]) {
    const strings = allStrings(child).join("\n");
    assert.ok(!strings.includes("s3cr3t-value") && !strings.includes(base64), `${child.kind} ${child.metadata?.name} carries the password`);
  }
});

test("credentials are never desired (the create hook makes them once, the password hooks change them)", () => {
  const created = originalResource({ status: { appliedSpec: { image: '"mysql:5.7"' } } });
  assert.ok(!desiredChildren(instanceOf(created)).some((c) => c.kind === "Secret"));
  assert.ok(!desiredChildren(instanceOf(originalResource())).some((c) => c.kind === "Secret"));
  const ref = originalResource({ spec: { password: undefined, passwordSecretRef: { name: "root", key: "pw" } } });
  assert.ok(!desiredChildren(instanceOf(ref)).some((c) => c.kind === "Secret"));
});

test("storage: hostPath volumes without storageClassName, dynamic claims with it", () => {
  const given: [string, ReturnType<typeof originalResource>, { claimClass: string; volumeName?: string }][] = [
    ["hostPath", originalResource(), { claimClass: "", volumeName: "mysql-instance-pv" }],
    ["class", originalResource({ spec: { storageClassName: "standard" } }), { claimClass: "standard" }],
  ];
  for (const [label, resource, want] of given) {
    const claim = desiredChildren(instanceOf(resource)).find((c) => c.kind === "PersistentVolumeClaim") as V1PersistentVolumeClaim;
    assert.equal(claim.spec!.storageClassName, want.claimClass, label);
    assert.equal(claim.spec!.volumeName, want.volumeName, label);
    assert.equal(claim.spec!.resources!.requests!.storage, "1Gi", label);
  }
  const pv: V1PersistentVolume = buildDataVolume(instanceOf(originalResource()));
  assert.equal(pv.metadata!.name, "mysql-instance-pv");
  assert.equal(pv.spec!.hostPath!.path, "/var/lib/mysqlop/default/mysql-instance-3f1c2a9e/data", "per uid: a new resource starts empty");
  assert.deepEqual(pv.spec!.claimRef, { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: "default", name: "mysql-instance-pvc" });
  assert.equal(pv.metadata!.labels!["otus.homework/mysql"], "mysql-instance");
  const backupPv = buildBackupVolume(instanceOf(originalResource()));
  assert.equal(backupPv.metadata!.name, "backup-mysql-instance-pv");
  assert.equal(backupPv.spec!.hostPath!.path, "/var/lib/mysqlop/default/mysql-instance/backup", "per name: it outlives the resource");
  assert.equal(buildBackupClaim(instanceOf(originalResource())).metadata!.name, "backup-mysql-instance-pvc");
});

test("PersistentVolume names: original names in default, unique elsewhere", () => {
  const a = childNames(originalResource({ namespace: "team-a" }));
  const b = childNames(originalResource({ namespace: "team-b" }));
  assert.equal(childNames(originalResource()).dataVolume, "mysql-instance-pv");
  assert.match(a.dataVolume, /^mysql-instance-pv-[0-9a-f]{8}$/);
  assert.notEqual(a.dataVolume, b.dataVolume);
  assert.notEqual(a.backupVolume, b.backupVolume);
  assert.equal(a.backupJob, "backup-mysql-instance-job");
  assert.equal(a.restoreJob, "restore-mysql-instance-job");
});

test("a refused change keeps the applied value in the children (no apply error loop)", () => {
  const applied = { database: '"otus-database"', storage_size: '"1Gi"', storageClassName: '"standard"', image: '"mysql:5.7"' };
  const table: [string, Partial<ReturnType<typeof originalResource>["spec"]>, { database: string; size: string; cls: string }][] = [
    ["database rename", { database: "renamed", storageClassName: "standard" }, { database: "otus-database", size: "1Gi", cls: "standard" }],
    ["class change", { storageClassName: "fast" }, { database: "otus-database", size: "1Gi", cls: "standard" }],
    ["grow", { storage_size: "2Gi", storageClassName: "standard" }, { database: "otus-database", size: "2Gi", cls: "standard" }],
    ["shrink", { storage_size: "500Mi", storageClassName: "standard" }, { database: "otus-database", size: "1Gi", cls: "standard" }],
  ];
  for (const [label, spec, want] of table) {
    const children = desiredChildren(instanceOf(originalResource({ spec, status: { appliedSpec: applied } })));
    const claim = children.find((c) => c.kind === "PersistentVolumeClaim") as V1PersistentVolumeClaim;
    const env = (children.find((c) => c.kind === "Deployment") as V1Deployment).spec!.template.spec!.containers[0]!.env!;
    assert.equal(env.find((e) => e.name === "MYSQL_DATABASE")!.value, want.database, label);
    assert.equal(claim.spec!.resources!.requests!.storage, want.size, label);
    assert.equal(claim.spec!.storageClassName, want.cls, label);
  }
  const hostPathGrow = desiredChildren(instanceOf(originalResource({ spec: { storage_size: "5Gi" }, status: { appliedSpec: { storage_size: '"1Gi"' } } })));
  assert.equal(
    (hostPathGrow.find((c) => c.kind === "PersistentVolumeClaim") as V1PersistentVolumeClaim).spec!.resources!.requests!.storage,
    "1Gi",
    "a hostPath volume cannot grow",
  );
});

test("hostile database names reach containers only as environment values; commands are fixed", () => {
  const database = "x`; DROP DATABASE mysql; -- $(rm -rf /) 'q' \"d\"\nnext";
  const resource = originalResource({ spec: { database } });
  const deployment = desiredChildren(instanceOf(resource)).find((c) => c.kind === "Deployment") as V1Deployment;
  assert.equal(deployment.spec!.template.spec!.containers[0]!.env!.find((e) => e.name === "MYSQL_DATABASE")!.value, database.replaceAll("`", "``"));
  assert.equal(deployment.spec!.template.spec!.containers[0]!.command, undefined);
  for (const job of [buildBackupJob(instanceOf(resource)), buildRestoreJob(instanceOf(resource)), buildPasswordChangeJob(instanceOf(resource), "sha256:x")]) {
    const container = job.spec!.template.spec!.containers[0]!;
    assert.ok(!allStrings(container.command ?? []).some((s) => s.includes("DROP")), `${job.metadata!.name} command carries the name`);
    if (job.metadata!.name !== "passwd-mysql-instance-job") assert.equal(container.env!.find((e) => e.name === "MYSQL_DATABASE")!.value, database);
  }
});

test("backup and restore Jobs: script from the ConfigMap, backup claim mounted, permanent failures fail fast", () => {
  const job = buildBackupJob(instanceOf(originalResource()));
  assert.equal(job.metadata!.name, "backup-mysql-instance-job");
  const pod = job.spec!.template.spec!;
  assert.equal(pod.restartPolicy, "Never");
  assert.deepEqual(pod.containers[0]!.command, ["sh", "/mysqlop/scripts/backup.sh"]);
  assert.deepEqual(pod.volumes, [
    { name: "scripts", configMap: { name: "mysql-instance-scripts" } },
    { name: "backup", persistentVolumeClaim: { claimName: "backup-mysql-instance-pvc" } },
    // The passwords of a change that did not finish, while its Secret exists: only the option file, owner-only.
    {
      name: "password-fallbacks",
      secret: { secretName: "mysql-instance-password-change", optional: true, defaultMode: 0o400, items: [{ key: "client.cnf", path: "client.cnf" }] },
    },
  ]);
  const container = pod.containers[0]!;
  const fallbacksFile = container.env!.find((e) => e.name === ENV.passwordFallbacksFile)?.value;
  const mount = container.volumeMounts!.find((m) => m.name === "password-fallbacks");
  assert.ok(mount?.readOnly === true && fallbacksFile === `${mount.mountPath}/client.cnf`, JSON.stringify({ fallbacksFile, mount }));
  const restorePod = buildRestoreJob(instanceOf(originalResource())).spec!.template.spec!;
  assert.ok(!restorePod.volumes!.some((v) => v.secret !== undefined), "a restore connects to a new server, started with the recorded password");
  const codes = job.spec!.podFailurePolicy!.rules[0]!.onExitCodes!.values;
  assert.ok(codes.includes(EXIT_CODES.notEmpty) && codes.includes(EXIT_CODES.verify) && codes.includes(EXIT_CODES.config));
  assert.ok(!codes.includes(EXIT_CODES.connect), "an unreachable server is retried");
  assert.ok(!codes.includes(EXIT_CODES.dump), "a dump cut short by a restarting server is retried");
  assert.deepEqual(buildRestoreJob(instanceOf(originalResource())).spec!.template.spec!.containers[0]!.command, ["sh", "/mysqlop/scripts/restore.sh"]);
});

test("NAME-backup-schedule: the Jobs the CronJob controller makes from its template carry the operator's managed-by label, so the operator's Job cache (selected on it) holds them; the operator's name is therefore not an option", () => {
  const cronJob = buildBackupCronJob(instanceOf(originalResource({ spec: { backup: { keep: 3, schedule: "0 3 * * *" } } })), "0 3 * * *");
  assert.equal(cronJob.spec!.jobTemplate.metadata!.labels![MANAGED_BY_LABEL], OPERATOR_NAME);
  // Checked by the type checker (npm run typecheck): another name would select the caches on it, and the scheduled Jobs
  // would be missing from them.
  const withAnotherName = (): unknown =>
    // @ts-expect-error the MySQL operator's name is fixed
    createMySQLOperator({ name: "another" });
  void withAnotherName;
});

test("NAME-backup-schedule: the backup Job's template (script, volume, keep, source), one at a time, suspended on request, its own component label and backup kind", () => {
  const instance = instanceOf(originalResource({ spec: { backup: { keep: 7, schedule: "0 3 * * *" } } }));
  const backup = buildBackupJob(instance);
  const cronJob = buildBackupCronJob(instance, "0 3 * * *");
  assert.equal(cronJob.metadata!.name, "mysql-instance-backup-schedule");
  assert.equal(cronJob.spec!.schedule, "0 3 * * *");
  assert.equal(cronJob.spec!.concurrencyPolicy, "Forbid");
  assert.equal(cronJob.spec!.suspend, false);
  assert.ok(cronJob.spec!.successfulJobsHistoryLimit! >= 1 && cronJob.spec!.failedJobsHistoryLimit! >= 1);
  const template = cronJob.spec!.jobTemplate;
  const labels = { ...backup.metadata!.labels, "app.kubernetes.io/component": "scheduled-backup" };
  assert.deepEqual(template.metadata!.labels, labels);
  assert.deepEqual(cronJob.metadata!.labels, labels);
  // The same Job spec as the final backup, but for the component label of its pods and the kind its dumps record.
  const { template: podTemplate, ...jobSpec } = template.spec!;
  const { template: backupPodTemplate, ...backupJobSpec } = backup.spec!;
  assert.deepEqual(jobSpec, backupJobSpec);
  const envOf = (spec: typeof podTemplate.spec) => spec!.containers[0]!.env!;
  const kindOf = (spec: typeof podTemplate.spec) => envOf(spec).find((e) => e.name === ENV.backupKind)?.value;
  assert.equal(kindOf(podTemplate.spec), BACKUP_KINDS.scheduled);
  assert.equal(kindOf(backupPodTemplate.spec), BACKUP_KINDS.final);
  const withoutKind = (spec: typeof podTemplate.spec) => ({
    ...spec,
    containers: spec!.containers.map((c) => ({ ...c, env: c.env!.filter((e) => e.name !== ENV.backupKind) })),
  });
  assert.deepEqual(withoutKind(podTemplate.spec), withoutKind(backupPodTemplate.spec));
  assert.deepEqual(podTemplate.metadata!.labels, labels);
  assert.ok(envOf(podTemplate.spec).some((e) => e.name === ENV.backupKeep && e.value === "7"));
  // The resource's uid names the server the dumps are of: retention keeps only the newest unrestored dump of each.
  for (const spec of [podTemplate.spec, backupPodTemplate.spec]) {
    assert.ok(envOf(spec).some((e) => e.name === ENV.backupSource && e.value === instance.resource.metadata.uid));
  }
  assert.equal(buildBackupCronJob(instance, "0 3 * * *", true).spec!.suspend, true);
});

test("NAME-backup-schedule of the longest name a schedule allows (36) fits a CronJob's 52 characters", () => {
  const name = `a${"b".repeat(35)}`;
  assert.equal(buildBackupCronJob(instanceOf(originalResource({ name })), "* * * * *").metadata!.name!.length, 52);
});

test("restore Job: spec.restore.fromDatabase becomes RESTORE_FROM_DATABASE, and is absent without it", () => {
  const envOf = (job: ReturnType<typeof buildRestoreJob>) => job.spec!.template.spec!.containers[0]!.env!;
  assert.ok(!envOf(buildRestoreJob(instanceOf(originalResource()))).some((e) => e.name === ENV.restoreFromDatabase));
  const renamed = originalResource({ spec: { database: "new-name", restore: { fromDatabase: "otus-database" } } });
  const env = envOf(buildRestoreJob(instanceOf(renamed), "a".repeat(64)));
  assert.equal(env.find((e) => e.name === ENV.restoreFromDatabase)?.value, "otus-database");
  assert.equal(env.find((e) => e.name === ENV.database)?.value, "new-name");
  const codes = buildRestoreJob(instanceOf(renamed)).spec!.podFailurePolicy!.rules[0]!.onExitCodes!.values;
  assert.ok(codes.includes(EXIT_CODES.otherDatabase), "a dump of another database is not retried");
});

test("password change: the Secret holds the option file and SQL, the Job only file paths", () => {
  const resource = originalResource();
  const secret = buildPasswordChangeSecret(instanceOf(resource), "old'pw", 'new"pw', "n0nce");
  // The new password as a fallback: an attempt cut short may have set it already.
  assert.equal(
    secretValue(secret, "client.cnf"),
    '[client]\nuser="root"\npassword="old\'pw"\nhost="mysql-instance"\nport=3306\nconnect-timeout=10\n[client_1]\npassword="new\\"pw"\n',
  );
  assert.match(secretValue(secret, "change.sql")!, /IDENTIFIED BY 'new"pw';/);
  const job = buildPasswordChangeJob(instanceOf(resource), "sha256:abc");
  assert.equal(job.metadata!.annotations!["otus.homework/password-target"], "sha256:abc");
  assert.equal(secretValue(secret, "target"), 'new"pw', "recorded in NAME-credentials once the Job succeeded");
  assert.deepEqual(job.spec!.template.spec!.volumes, [
    {
      name: "password-change",
      secret: {
        secretName: "mysql-instance-password-change",
        defaultMode: 0o400,
        items: [
          { key: "client.cnf", path: "client.cnf" },
          { key: "change.sql", path: "change.sql" },
        ],
      },
    },
  ]);
});

test("only the server pod carries app=NAME (the original's kubectl exec selector finds one pod)", () => {
  const resource = originalResource();
  for (const job of [buildBackupJob(instanceOf(resource)), buildRestoreJob(instanceOf(resource)), buildPasswordChangeJob(instanceOf(resource), "sha256:x")]) {
    assert.equal(job.spec!.template.metadata!.labels!.app, undefined, job.metadata!.name);
    assert.equal(job.spec!.template.metadata!.labels!["app.kubernetes.io/instance"], "mysql-instance");
  }
});

/** The longest metadata.name the schema lets through. */
function schemaMaxNameLength(): number {
  const schema = parse(readFileSync(new URL("../../../schemas/mysql.yaml", import.meta.url), "utf8")) as {
    versions: { schema: { openAPIV3Schema: { properties: { metadata: { properties: { name: { maxLength: number } } } } } } }[];
  };
  return schema.versions[0]!.schema.openAPIV3Schema.properties.metadata.properties.name.maxLength;
}

// The Job controller copies a Job's name into the pod label job-name, and label values stop at 63 characters:
// the API server rejects a longer Job name (checked on kube-apiserver v1.36.3).
test("Job names of the longest allowed resource name fit a label value (63): backup and password change", () => {
  const resource = originalResource({ name: "a".repeat(schemaMaxNameLength()) });
  for (const job of [buildBackupJob(instanceOf(resource)), buildPasswordChangeJob(instanceOf(resource), "x")])
    assert.ok(job.metadata!.name!.length <= 63, `${job.metadata!.name} (${job.metadata!.name!.length})`);
});

test("restore-NAME-job of the longest allowed resource name fits a label value (63)", () => {
  const resource = originalResource({ name: "a".repeat(schemaMaxNameLength()) });
  assert.ok(buildRestoreJob(instanceOf(resource)).metadata!.name!.length <= 63);
});

test("app=NAME labels the server pod only (and selects it); every object carries the app.kubernetes.io set", () => {
  const resource = originalResource({ namespace: "team-a" });
  const objects = [
    ...desiredChildren(instanceOf(resource)),
    buildDataVolume(instanceOf(resource)),
    buildBackupVolume(instanceOf(resource)),
    buildBackupClaim(instanceOf(resource)),
    buildBackupJob(instanceOf(resource)),
    buildRestoreJob(instanceOf(resource)),
    buildPasswordChangeJob(instanceOf(resource), "x"),
  ];
  for (const o of objects) {
    assert.equal(o.metadata?.labels?.app, undefined, `${o.kind} ${o.metadata?.name}`);
    assert.equal(o.metadata?.labels?.["app.kubernetes.io/instance"], "mysql-instance", `${o.kind} ${o.metadata?.name}`);
    assert.equal(o.metadata?.labels?.["app.kubernetes.io/managed-by"], "mysqlop");
  }
  const deployment = objects.find((o) => o.kind === "Deployment") as V1Deployment;
  assert.equal(deployment.spec!.template.metadata!.labels!.app, "mysql-instance");
  assert.equal(deployment.spec!.selector.matchLabels!.app, "mysql-instance");
  assert.equal((objects.find((o) => o.kind === "Service") as V1Service).spec!.selector!.app, "mysql-instance");
});
