/**
 * Volumes: the data claim (owned), and where the cluster has no dynamic provisioning
 * (no `storageClassName`) the hostPath volumes the original created by hand; the backup
 * claim and volume, which outlive the resource on purpose.
 */
import type { V1PersistentVolume, V1PersistentVolumeClaim } from "@kubernetes/client-node";
import { MYSQL_FINALIZER } from "../../../generated/mysql-constants.ts";
import type { MySQLInstance } from "../instance.ts";
import { labelsFor, VOLUME_OWNER_LABELS } from "../names.ts";

/** Where hostPath volumes live on the node. */
export const HOST_PATH_ROOT = "/var/lib/mysqlop";

function claim(instance: MySQLInstance, name: string, volumeName: string, component: "database" | "backup", finalizers?: string[]): V1PersistentVolumeClaim {
  const { resource, spec } = instance;
  const { storageSize, storageClassName } = spec;
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: resource.metadata.namespace, labels: labelsFor(resource, component), ...(finalizers === undefined ? {} : { finalizers }) },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: storageSize } },
      // "" turns dynamic provisioning off; the claim binds to the volume built below.
      storageClassName: storageClassName ?? "",
      ...(storageClassName === undefined ? { volumeName } : {}),
    },
  };
}

function hostPathVolume(instance: MySQLInstance, name: string, claimName: string, path: string, component: "database" | "backup"): V1PersistentVolume {
  const { resource } = instance;
  const { storageSize } = instance.spec;
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: {
      name,
      labels: {
        ...labelsFor(resource, component),
        [VOLUME_OWNER_LABELS.namespace]: resource.metadata.namespace ?? "default",
        [VOLUME_OWNER_LABELS.name]: resource.metadata.name ?? "",
      },
    },
    spec: {
      capacity: { storage: storageSize },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: "",
      // Pre-bound: no other claim can take it.
      claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: resource.metadata.namespace ?? "default", name: claimName },
      hostPath: { path, type: "DirectoryOrCreate" },
    },
  };
}

/** Whether the operator provides hostPath volumes itself (no storage class). */
export function usesHostPathVolumes(instance: MySQLInstance): boolean {
  return instance.spec.storageClassName === undefined;
}

/**
 * The finalizer on the data claim, the resource's own: a cascading delete (`--cascade=foreground`
 * deletes the owned children before the owner) or a hand-made `kubectl delete pvc` cannot take
 * the data before the final backup; the finalize hook removes it once the backup succeeded.
 */
export const DATA_CLAIM_FINALIZER = MYSQL_FINALIZER;

/** The data claim `NAME-pvc` (owned by the resource, held by {@link DATA_CLAIM_FINALIZER}). */
export function buildDataClaim(instance: MySQLInstance): V1PersistentVolumeClaim {
  const { names } = instance;
  return claim(instance, names.dataClaim, names.dataVolume, "database", [DATA_CLAIM_FINALIZER]);
}

/**
 * The hostPath data volume `NAME-pv` (hostPath mode only). Its directory carries the
 * resource's uid, so a new resource of the same name starts empty and gets the restore.
 */
export function buildDataVolume(instance: MySQLInstance): V1PersistentVolume {
  const { resource, names } = instance;
  const ns = resource.metadata.namespace ?? "default";
  const uid = (resource.metadata.uid ?? "").slice(0, 8);
  return hostPathVolume(instance, names.dataVolume, names.dataClaim, `${HOST_PATH_ROOT}/${ns}/${resource.metadata.name}-${uid}/data`, "database");
}

/** The backup claim `backup-NAME-pvc`: never owned, it must outlive the resource. */
export function buildBackupClaim(instance: MySQLInstance): V1PersistentVolumeClaim {
  const { names } = instance;
  return claim(instance, names.backupClaim, names.backupVolume, "backup");
}

/** The hostPath backup volume `backup-NAME-pv` (hostPath mode only); its directory is per name, not per uid. */
export function buildBackupVolume(instance: MySQLInstance): V1PersistentVolume {
  const { resource, names } = instance;
  const ns = resource.metadata.namespace ?? "default";
  return hostPathVolume(instance, names.backupVolume, names.backupClaim, `${HOST_PATH_ROOT}/${ns}/${resource.metadata.name}/backup`, "backup");
}
