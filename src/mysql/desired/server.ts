/** The MySQL server: a Deployment `NAME` (pods labelled `app=NAME`) and a Service `NAME`. */
import type { V1Deployment, V1Service } from "@kubernetes/client-node";
import type { MySQLInstance } from "../instance.ts";
import { labelsFor, serverSelector } from "../names.ts";
import { databaseForEntrypoint } from "../sql.ts";

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

/**
 * The Deployment `NAME`: one server on the data claim. `Recreate`, because two servers
 * must never open one data directory: an image change stops the old pod first.
 */
export function buildDeployment(instance: MySQLInstance): V1Deployment {
  const { resource, names, spec } = instance;
  const podLabels = { ...labelsFor(resource, "database"), ...serverSelector(resource) };
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
          containers: [
            {
              name: "mysql",
              image: spec.image,
              env: [
                // Read by the image on the first start only; later changes go through the password hooks.
                { name: "MYSQL_ROOT_PASSWORD", valueFrom: { secretKeyRef: { name: names.credentials, key: PASSWORD_KEY } } },
                { name: "MYSQL_DATABASE", value: databaseForEntrypoint(spec.database) },
              ],
              ports: [{ name: "mysql", containerPort: MYSQL_PORT, protocol: "TCP" }],
              volumeMounts: [{ name: "data", mountPath: "/var/lib/mysql" }],
              readinessProbe: { tcpSocket: { port: "mysql" }, initialDelaySeconds: 5, periodSeconds: 10 },
              livenessProbe: { tcpSocket: { port: "mysql" }, initialDelaySeconds: 60, periodSeconds: 20, failureThreshold: 6 },
            },
          ],
          volumes: [{ name: "data", persistentVolumeClaim: { claimName: names.dataClaim } }],
        },
      },
    },
  };
}
