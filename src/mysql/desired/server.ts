/** The MySQL server: a Deployment `NAME` (pods labelled `app=NAME`) and a Service `NAME`. */
import type { V1Deployment, V1Probe, V1Service, V1VolumeMount } from "@kubernetes/client-node";
import type { MySQLInstance } from "../instance.ts";
import { labelsFor, serverSelector } from "../names.ts";
import { databaseForEntrypoint } from "../sql.ts";
import { hardenedPodSpec } from "./pod-security.ts";
import { podAffinity, usesHostPathVolumes } from "./storage.ts";

/** Port of the server and its Service. */
export const MYSQL_PORT = 3306;
/** Key of the root password in the credentials Secret. */
export const PASSWORD_KEY = "password";

/** The Service `NAME` in front of the server. */
export function buildService(instance: MySQLInstance): V1Service {
  const { resource, names } = instance;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: names.server, namespace: resource.metadata.namespace, labels: labelsFor(resource, "database") },
    spec: { selector: serverSelector(resource), ports: [{ name: "mysql", port: MYSQL_PORT, targetPort: "mysql", protocol: "TCP" }] },
  };
}

/** Where the image keeps its data directory. */
export const DATA_DIR = "/var/lib/mysql";

/**
 * Whether the server answers: `mysqladmin ping` (`mariadb-admin` in MariaDB's images), which exits 0 for any answer of
 * the server, a refused login included, so it needs no password. Over TCP to the pod's own address (its hostname, in
 * the pod's /etc/hosts): the images' entrypoints run a temporary server without networking while they initialise a data
 * directory, and that one must not count as up.
 */
export const PING_COMMAND: readonly string[] = [
  "sh",
  "-c",
  [
    'admin=$(command -v mariadb-admin || command -v mysqladmin) || { echo "no mariadb-admin or mysqladmin in the image" >&2; exit 1; }',
    `exec "$admin" ping --protocol=tcp --host="$HOSTNAME" --port=${MYSQL_PORT} --user=mysqlop-probe --connect-timeout=5`,
  ].join("\n"),
];

/**
 * The server's probes, all by {@link PING_COMMAND}. The startup probe allows an hour before the first answer: crash
 * recovery of a large redo log, or the data dictionary upgrade of a major version (5.7 → 8.0), takes as long as it
 * takes, and the liveness probe, which would restart the server in the middle of it, waits until then. Afterwards a
 * server that gave no answer for two minutes is restarted; one that gave none for 30 s leaves the Service.
 */
export function serverProbes(): { startupProbe: V1Probe; readinessProbe: V1Probe; livenessProbe: V1Probe } {
  const ping = { exec: { command: [...PING_COMMAND] }, timeoutSeconds: 10 };
  return {
    // Every 5 s: a server that has just come up is in the Service seconds later.
    startupProbe: { ...ping, periodSeconds: 5, failureThreshold: 720 },
    readinessProbe: { ...ping, periodSeconds: 10, failureThreshold: 3 },
    livenessProbe: { ...ping, periodSeconds: 20, failureThreshold: 6 },
  };
}

/**
 * The Deployment `NAME`: one server on the data claim. `Recreate`, because two servers
 * must never open one data directory: an image change stops the old pod first.
 */
export function buildDeployment(instance: MySQLInstance): V1Deployment {
  const { resource, names, spec } = instance;
  const podLabels = { ...labelsFor(resource, "database"), ...serverSelector(resource) };
  const dataMount: V1VolumeMount = { name: "data", mountPath: DATA_DIR };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: names.server, namespace: resource.metadata.namespace, labels: labelsFor(resource, "database") },
    spec: {
      replicas: 1,
      strategy: { type: "Recreate" },
      selector: { matchLabels: serverSelector(resource) },
      template: {
        metadata: { labels: podLabels },
        spec: {
          ...podAffinity(instance),
          ...hardenedPodSpec({
            container: {
              name: "mysql",
              image: spec.image,
              env: [
                // Read by the image on the first start only; later changes go through the password hooks.
                { name: "MYSQL_ROOT_PASSWORD", valueFrom: { secretKeyRef: { name: names.credentials, key: PASSWORD_KEY } } },
                { name: "MYSQL_DATABASE", value: databaseForEntrypoint(spec.database) },
              ],
              ports: [{ name: "mysql", containerPort: MYSQL_PORT, protocol: "TCP" }],
              volumeMounts: [dataMount],
              ...serverProbes(),
            },
            volumes: [{ name: "data", persistentVolumeClaim: { claimName: names.dataClaim } }],
            resources: spec.resources,
            hostPathMounts: usesHostPathVolumes(instance) ? [dataMount] : [],
          }),
        },
      },
    },
  };
}
