/**
 * The children of one <%= kind %> resource, built from the resource alone (pure): the server (a
 * Deployment `NAME` with pods labelled `app=NAME`, a Service `NAME`) and its data volume (the claim
 * `NAME-pvc`, and without `spec.storageClassName` a hostPath PersistentVolume `NAME-pv`). Names are
 * deterministic, so a reconcile after a crash finds what an earlier one made.
 *
 * Yours to change: `yo mysqlop` writes this file once and never overwrites it.
 */
import { createHash } from "node:crypto";
import type { V1Deployment, V1PersistentVolume, V1PersistentVolumeClaim, V1Service } from "@kubernetes/client-node";
import { <%= constantPrefix %>_GROUP } from "../generated/<%= singular %>-constants.ts";
import type { <%= kind %> } from "../generated/<%= singular %>-models.ts";

/** Port of the server and its Service. */
export const SERVER_PORT = 3306;
/** Where hostPath volumes live on the node. */
export const HOST_PATH_ROOT = "/var/lib/<%= name %>";
/** Labels on the PersistentVolumes the operator made, naming their resource (a volume has no namespace and no owner). */
export const VOLUME_OWNER_LABELS = { namespace: `${<%= constantPrefix %>_GROUP}/namespace`, name: `${<%= constantPrefix %>_GROUP}/<%= singular %>` } as const;

/** The names of one resource's children. */
export interface ChildNames {
  /** Deployment and Service; also the `app` label of the pods. */
  readonly server: string;
  readonly dataClaim: string;
  /** Cluster-scoped, so made unique across namespaces. */
  readonly dataVolume: string;
}

/** The children's names; a PersistentVolume outside `default` carries a short hash of the namespace. */
export function childNames(resource: <%= kind %>): ChildNames {
  const name = resource.metadata.name ?? "";
  const namespace = resource.metadata.namespace ?? "default";
  const suffix = namespace === "default" ? "" : `-${createHash("sha256").update(namespace).digest("hex").slice(0, 8)}`;
  return { server: name, dataClaim: `${name}-pvc`, dataVolume: `${name}-pv${suffix}` };
}

/** The app.kubernetes.io labels of everything made for the resource. */
export function labelsFor(resource: <%= kind %>): Record<string, string> {
  return { "app.kubernetes.io/name": "<%= singular %>", "app.kubernetes.io/instance": resource.metadata.name ?? "", "app.kubernetes.io/component": "database" };
}

/** The server's pod selector: `app=NAME`, so `kubectl get pods -l app=NAME` finds it. */
export function serverSelector(resource: <%= kind %>): Record<string, string> {
  return { app: resource.metadata.name ?? "" };
}

/** Whether the operator provides the volume itself (no storage class named). */
export function usesHostPathVolume(resource: <%= kind %>): boolean {
  return resource.spec.storageClassName === undefined;
}

/** The Service `NAME` in front of the server. */
export function buildService(resource: <%= kind %>): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: childNames(resource).server, namespace: resource.metadata.namespace, labels: labelsFor(resource) },
    spec: { selector: serverSelector(resource), ports: [{ name: "db", port: SERVER_PORT, targetPort: "db", protocol: "TCP" }] },
  };
}

/**
 * The Deployment `NAME`: one server on the data claim. `Recreate`, because two servers must never
 * open one data directory. The password reaches the container from the Secret the resource names,
 * never through the operator.
 */
export function buildDeployment(resource: <%= kind %>): V1Deployment {
  const names = childNames(resource);
  const { spec } = resource;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: names.server, namespace: resource.metadata.namespace, labels: labelsFor(resource) },
    spec: {
      replicas: 1,
      strategy: { type: "Recreate" },
      selector: { matchLabels: serverSelector(resource) },
      template: {
        metadata: { labels: { ...labelsFor(resource), ...serverSelector(resource) } },
        spec: {
          containers: [
            {
              name: "server",
              image: spec.image,
              env: [
                // The official MySQL and MariaDB images read these on their first start, into an empty data directory.
                { name: "MYSQL_ROOT_PASSWORD", valueFrom: { secretKeyRef: { name: spec.passwordSecretRef.name, key: spec.passwordSecretRef.key } } },
                { name: "MYSQL_DATABASE", value: spec.database },
              ],
              ports: [{ name: "db", containerPort: SERVER_PORT, protocol: "TCP" }],
              volumeMounts: [{ name: "data", mountPath: "/var/lib/mysql" }],
              readinessProbe: { tcpSocket: { port: "db" }, initialDelaySeconds: 5, periodSeconds: 10 },
              livenessProbe: { tcpSocket: { port: "db" }, initialDelaySeconds: 60, periodSeconds: 20, failureThreshold: 6 },
            },
          ],
          volumes: [{ name: "data", persistentVolumeClaim: { claimName: names.dataClaim } }],
        },
      },
    },
  };
}

/** The data claim `NAME-pvc`: from the StorageClass named, else bound to the hostPath volume below. */
export function buildDataClaim(resource: <%= kind %>): V1PersistentVolumeClaim {
  const names = childNames(resource);
  const storageClassName = resource.spec.storageClassName;
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: names.dataClaim, namespace: resource.metadata.namespace, labels: labelsFor(resource) },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: resource.spec.storage_size } },
      // "" turns dynamic provisioning off; the claim binds to the volume of buildDataVolume.
      storageClassName: storageClassName ?? "",
      ...(storageClassName === undefined ? { volumeName: names.dataVolume } : {}),
    },
  };
}

/**
 * The hostPath volume `NAME-pv`, pre-bound to the claim. Its directory carries the resource's uid, so a new resource
 * of the same name starts empty. Cluster-scoped: no owner reference can remove it, so the finalizer does.
 */
export function buildDataVolume(resource: <%= kind %>): V1PersistentVolume {
  const names = childNames(resource);
  const namespace = resource.metadata.namespace ?? "default";
  const uid = (resource.metadata.uid ?? "").slice(0, 8);
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: {
      name: names.dataVolume,
      labels: { ...labelsFor(resource), [VOLUME_OWNER_LABELS.namespace]: namespace, [VOLUME_OWNER_LABELS.name]: resource.metadata.name ?? "" },
    },
    spec: {
      capacity: { storage: resource.spec.storage_size },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: "",
      claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace, name: names.dataClaim },
      hostPath: { path: `${HOST_PATH_ROOT}/${namespace}/${resource.metadata.name ?? ""}-${uid}/data`, type: "DirectoryOrCreate" },
    },
  };
}
