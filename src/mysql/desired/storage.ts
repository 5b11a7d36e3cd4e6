/**
 * Volumes, as the resource's placement says (see placement.ts): the data claim (owned) and the
 * backup claim and volume, which outlive the resource on purpose; in `HostPath` mode the
 * hostPath volumes the original created by hand, pinned to one node, and the node affinity that
 * brings every pod of the resource there.
 */
import type { V1Affinity, V1PersistentVolume, V1PersistentVolumeClaim, V1VolumeNodeAffinity } from "@kubernetes/client-node";
import { MYSQL_FINALIZER } from "../../../generated/mysql-constants.ts";
import type { MySQLInstance } from "../instance.ts";
import { labelsFor, VOLUME_OWNER_LABELS } from "../names.ts";
import { HOSTNAME_LABEL } from "../storage-mode.ts";

/** Where hostPath volumes live on the node. */
export const HOST_PATH_ROOT = "/var/lib/mysqlop";

/** The class part of a claim's spec: the named class; none at all (the default class fills it in); or "" and the hostPath volume. */
function claimSource(instance: MySQLInstance, volumeName: string): Pick<NonNullable<V1PersistentVolumeClaim["spec"]>, "storageClassName" | "volumeName"> {
  switch (instance.placement?.mode) {
    case "StorageClass":
      return { storageClassName: instance.spec.storageClassName };
    case "DefaultStorageClass":
      // Named by nobody, as in the original: the API server's admission puts the default class in.
      return {};
    default:
      // "" turns dynamic provisioning off; the claim binds to the volume built below.
      return { storageClassName: "", volumeName };
  }
}

function claim(instance: MySQLInstance, name: string, volumeName: string, component: "database" | "backup", finalizers?: string[]): V1PersistentVolumeClaim {
  const { resource, spec } = instance;
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: resource.metadata.namespace, labels: labelsFor(resource, component), ...(finalizers === undefined ? {} : { finalizers }) },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: spec.storageSize } }, ...claimSource(instance, volumeName) },
  };
}

function nodeSelectorTerms(node: string): { matchExpressions: { key: string; operator: string; values: string[] }[] }[] {
  return [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: "In", values: [node] }] }];
}

/** A hostPath volume's node affinity: local-volume semantics, so the scheduler puts every pod that mounts it on that node. */
function volumeNodeAffinity(instance: MySQLInstance): V1VolumeNodeAffinity | undefined {
  const node = instance.placement?.node;
  return node === undefined ? undefined : { required: { nodeSelectorTerms: nodeSelectorTerms(node) } };
}

/**
 * `HostPath` mode: the pods of the resource (server and Jobs) must run on the volumes' node. Those
 * that mount a volume are held there by its node affinity already; this says it on every pod, so
 * `kubectl get -o yaml` shows it and a Job that mounts nothing (the password change) goes there too.
 */
export function podAffinity(instance: MySQLInstance): { affinity?: V1Affinity } {
  const node = instance.placement?.mode === "HostPath" ? instance.placement.node : undefined;
  if (node === undefined) return {};
  return { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: nodeSelectorTerms(node) } } } };
}

function hostPathVolume(instance: MySQLInstance, name: string, claimName: string, path: string, component: "database" | "backup"): V1PersistentVolume {
  const { resource } = instance;
  const { storageSize } = instance.spec;
  const nodeAffinity = volumeNodeAffinity(instance);
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
      ...(nodeAffinity === undefined ? {} : { nodeAffinity }),
    },
  };
}

/** Whether the operator provides hostPath volumes itself (placement `HostPath`). */
export function usesHostPathVolumes(instance: MySQLInstance): boolean {
  return instance.placement?.mode === "HostPath";
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

/**
 * The finalizer on the backup claim while its resource lives: a namespace being deleted cannot take the
 * claim (and with a provisioner's Delete policy, the dumps) before the operator set its volume to Retain.
 */
export const BACKUP_CLAIM_FINALIZER = MYSQL_FINALIZER;

/** The backup claim `backup-NAME-pvc`: never owned, it must outlive the resource (held by {@link BACKUP_CLAIM_FINALIZER} while the resource lives). */
export function buildBackupClaim(instance: MySQLInstance): V1PersistentVolumeClaim {
  const { names } = instance;
  return claim(instance, names.backupClaim, names.backupVolume, "backup", [BACKUP_CLAIM_FINALIZER]);
}

/** The hostPath backup volume `backup-NAME-pv` (hostPath mode only); its directory is per name, not per uid. */
export function buildBackupVolume(instance: MySQLInstance): V1PersistentVolume {
  const { resource, names } = instance;
  const ns = resource.metadata.namespace ?? "default";
  return hostPathVolume(instance, names.backupVolume, names.backupClaim, `${HOST_PATH_ROOT}/${ns}/${resource.metadata.name}/backup`, "backup");
}
