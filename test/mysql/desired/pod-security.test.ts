/** Every pod the operator makes: hardened the same way, sized from the spec, probed by a ping. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Deployment, V1Job, V1PodSpec } from "@kubernetes/client-node";
import type { MySQL } from "../../../generated/mysql-models.ts";
import { buildBackupJob, buildPasswordChangeJob, buildRestoreJob, desiredChildren } from "../../../src/mysql/desired/index.ts";
import { containerResources, MYSQL_USER, VOLUME_PERMISSIONS_CONTAINER } from "../../../src/mysql/desired/pod-security.ts";
import { PING_COMMAND, serverProbes } from "../../../src/mysql/desired/server.ts";
import { instanceOf } from "../../../src/mysql/instance.ts";
import { originalResource } from "../fixtures.ts";

/** Every pod spec of a resource: the server's, and each Job's (the backup also into a subdirectory). */
function podSpecs(resource: MySQL): [string, V1PodSpec][] {
  const instance = instanceOf(resource);
  const deployment = desiredChildren(instance).find((c) => c.kind === "Deployment") as V1Deployment;
  const jobs: [string, V1Job][] = [
    ["backup", buildBackupJob(instance)],
    ["backup aside", buildBackupJob(instance, "unfinished-x")],
    ["restore", buildRestoreJob(instance)],
    ["password change", buildPasswordChangeJob(instance, "hmac-sha256:x")],
  ];
  return [["server", deployment.spec!.template.spec!], ...jobs.map(([name, job]): [string, V1PodSpec] => [name, job.spec!.template.spec!])];
}

const hostPath = originalResource();
const storageClass = originalResource({ spec: { storageClassName: "standard" } });

test("every pod runs as the images' mysql user, never root, without escalation, capabilities or a ServiceAccount token, under RuntimeDefault seccomp", () => {
  for (const resource of [hostPath, storageClass]) {
    for (const [name, pod] of podSpecs(resource)) {
      assert.equal(pod.automountServiceAccountToken, false, name);
      assert.deepEqual(
        pod.securityContext,
        {
          runAsNonRoot: true,
          runAsUser: 999,
          runAsGroup: 999,
          fsGroup: 999,
          fsGroupChangePolicy: "OnRootMismatch",
          seccompProfile: { type: "RuntimeDefault" },
        },
        name,
      );
      assert.equal(pod.containers.length, 1, name);
      assert.deepEqual(pod.containers[0]!.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } }, name);
    }
  }
  assert.deepEqual(MYSQL_USER, { uid: 999, gid: 999 });
});

test("with a storage class no pod has an init container; with hostPath volumes the server and the backup hand their directory to mysql first", () => {
  for (const [name, pod] of podSpecs(storageClass)) assert.equal(pod.initContainers, undefined, name);
  const want: Record<string, { mountPath: string; subPath?: string } | undefined> = {
    server: { mountPath: "/var/lib/mysql" },
    backup: { mountPath: "/backup" },
    "backup aside": { mountPath: "/backup", subPath: "unfinished-x" },
    restore: undefined,
    "password change": undefined,
  };
  for (const [name, pod] of podSpecs(hostPath)) {
    const expected = want[name];
    if (expected === undefined) {
      assert.equal(pod.initContainers, undefined, `${name} only reads, or mounts no volume`);
      continue;
    }
    assert.equal(pod.initContainers?.length, 1, name);
    const init = pod.initContainers![0]!;
    assert.equal(init.name, VOLUME_PERMISSIONS_CONTAINER);
    assert.equal(init.image, "mysql:5.7", "the resource's own image (its sh, stat and chown)");
    assert.deepEqual(
      init.securityContext,
      { runAsNonRoot: false, runAsUser: 0, runAsGroup: 0, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"], add: ["CHOWN"] } },
      name,
    );
    const main = pod.containers[0]!.volumeMounts!.find((m) => m.mountPath === expected.mountPath);
    assert.deepEqual(init.volumeMounts, [{ ...main, readOnly: false }], `${name}: the very directory the main container mounts`);
    assert.equal(init.volumeMounts![0]!.subPath, expected.subPath, name);
    assert.deepEqual(init.command!.slice(-1), [expected.mountPath], name);
  }
});

test("resources: the spec's, quantities as strings, on the server's and the Jobs' containers (and the init container of their pod)", () => {
  const resource = originalResource({
    spec: {
      resources: { requests: { cpu: 2, memory: "4Gi" }, limits: { cpu: "2500m", memory: "4Gi" } },
      jobResources: { requests: { memory: "64Mi" } },
    },
  });
  for (const [name, pod] of podSpecs(resource)) {
    const want = name === "server" ? { requests: { cpu: "2", memory: "4Gi" }, limits: { cpu: "2500m", memory: "4Gi" } } : { requests: { memory: "64Mi" } };
    assert.deepEqual(pod.containers[0]!.resources, want, name);
    for (const init of pod.initContainers ?? []) assert.deepEqual(init.resources, want, `${name} init`);
  }
  const given: [MySQL["spec"]["resources"] | undefined, object][] = [
    [undefined, {}],
    [{}, {}],
    [{ requests: {} }, {}],
    [{ limits: { memory: 1073741824 } }, { limits: { memory: "1073741824" } }],
  ];
  for (const [resources, want] of given) assert.deepEqual(containerResources(resources), want, JSON.stringify(resources));
});

test("the defaults from the schema: 250m/1Gi for the server, 100m/256Mi for the Jobs, memory limited, CPU not", () => {
  const specs = new Map(podSpecs(originalResource()));
  const server = specs.get("server");
  const backup = specs.get("backup");
  assert.deepEqual(server!.containers[0]!.resources, { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "1Gi" } });
  assert.deepEqual(backup!.containers[0]!.resources, { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "256Mi" } });
});

test("the server is probed by mysqladmin ping over TCP to its own address: an hour to start up, then restarted after two minutes without an answer", () => {
  const container = new Map(podSpecs(originalResource())).get("server")!.containers[0]!;
  const ping = { exec: { command: [...PING_COMMAND] }, timeoutSeconds: 10 };
  assert.deepEqual(container.startupProbe, { ...ping, periodSeconds: 5, failureThreshold: 720 });
  assert.deepEqual(container.readinessProbe, { ...ping, periodSeconds: 10, failureThreshold: 3 });
  assert.deepEqual(container.livenessProbe, { ...ping, periodSeconds: 20, failureThreshold: 6 });
  assert.deepEqual(serverProbes().startupProbe, container.startupProbe);
  const startup = container.startupProbe!;
  assert.ok((startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3) >= 3600, "crash recovery and upgrades may take an hour");
  const script = PING_COMMAND[2]!;
  assert.match(script, /mariadb-admin \|\| command -v mysqladmin/);
  assert.match(script, /ping --protocol=tcp --host="\$HOSTNAME" --port=3306/);
  assert.ok(!/password|-p\b/i.test(script), "a ping needs no password: any answer of the server counts");
});
