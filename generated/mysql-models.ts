// Generated from schemas/mysql.yaml (sha256 4ff9b5afa563c197c86cf5b275d30f91c3086b535c873e1ab181b13a7ad3b4bb) by `mysqlop generate`. DO NOT EDIT.
/**
 * TypeScript models of the MySQL custom resource (otus.homework/v1),
 * as read from the API server: fields with a default are always present.
 * @packageDocumentation
 */
import type { V1ObjectMeta } from "@kubernetes/client-node";

/**
 * A single-instance MySQL server with its data volume, its Service and a backup that outlives it: deleting the resource first dumps the database into backup storage, and creating a resource of the same name restores that dump.
 */
export interface MySQL {
  /**
   * APIVersion defines the versioned schema of this representation of an object.
   */
  apiVersion: "otus.homework/v1";
  /**
   * Kind is a string value representing the REST resource this object represents.
   */
  kind: "MySQL";
  /**
   * Standard object metadata.
   */
  metadata: V1ObjectMeta;
  spec: MySQLSpec;
  status?: MySQLStatus;
}
/**
 * The desired MySQL server. Give the root password either inline (`password`, as in the original example) or, better, through `passwordSecretRef`; exactly one of the two.
 */
export interface MySQLSpec {
  /**
   * The MySQL container image, a reference such as `mysql:8.4` (the default: MySQL 8.4 LTS) or `registry.example.com/db/mysql@sha256:…`. The original example's `mysql:5.7` still works but is end of life. Changing it rolls the Deployment over to the new image (the data volume is kept).
   */
  image: string;
  /**
   * The database to create, backed up on delete and restored on create. Any name MySQL allows: 1 to 64 characters, without "/", "\", "." or control characters, without characters beyond U+FFFF (such as emoji, which MySQL rejects in identifiers), not ending in a space, and none of MySQL's own schemas (`mysql`, `sys`, `performance_schema`, `information_schema`, in any letter case). The operator quotes it everywhere, so hyphens (`otus-database`) and other special characters are fine. Changing it later is refused: the data lives in the old database.
   */
  database: string;
  /**
   * The MySQL root password, inline. Kept for compatibility with the original example; anyone who can read the resource can read it (`kubectl apply` also copies it into the last-applied-configuration annotation), so prefer `passwordSecretRef`. The operator keeps the server's current password in the Secret `NAME-credentials` and never logs it. Changing it changes the root password of the running server. At most 256 bytes in UTF-8, the limit of MySQL 8's default authentication.
   */
  password?: string;
  passwordSecretRef?: SecretKeySelector;
  /**
   * Size of the data volume, as a Kubernetes quantity (`1Gi`, `500Mi`). Growing it expands the PersistentVolumeClaim where the storage class allows expansion.
   */
  storage_size: string;
  /**
   * StorageClass of the data and backup volumes, for clusters with dynamic provisioning. When omitted, the claims name no class, so the cluster's default StorageClass provisions them (as the original example's claim did on minikube); only where the cluster has no default StorageClass, or `hostPath` asks for it, the operator creates hostPath PersistentVolumes itself, pinned to one node. It cannot be set, changed or removed later (a volume keeps its class): to move, delete the resource (a backup is taken) and create it again with the new class.
   */
  storageClassName?: string;
  backup?: BackupSpec;
  restore?: RestoreSpec;
  hostPath?: HostPathStorage;
  resources: ServerResources;
  jobResources: JobResources;
}
/**
 * Reads the MySQL root password from a key of an existing Secret in the resource's namespace. The value is read when the resource is created and whenever the reference changes, which changes the root password of the running server; to rotate, point it at a new Secret or key.
 */
export interface SecretKeySelector {
  /**
   * Name of the Secret, in the same namespace as the MySQL resource.
   */
  name: string;
  /**
   * The key within the Secret whose value is the password.
   */
  key: string;
}
/**
 * How backups are taken and kept. Every backup (the final one on deletion, and those of `schedule`) is a new dump in `history/` of the backup volume, named by its time, with its size and sha256; a new resource of the same name restores the newest. A change applies from the next backup on.
 */
export interface BackupSpec {
  /**
   * How many of the newest dumps are always kept. An older dump is removed once a restore loaded it, or once a newer dump of the same server (this resource, by its uid) exists: of each server the newest dump that was never restored is kept, so an earlier resource's last dump outlives any number of this one's backups.
   */
  keep: number;
  /**
   * When to take a backup while the resource lives, in cron syntax (`0 3 * * *`: every day at 03:00 in the time zone of kube-controller-manager; `@daily` and the other macros work too). The operator owns a CronJob `NAME-backup-schedule` that runs the same backup as the final one into the same history, under the same `keep`; it is made once the resource is created (never during a restore), one backup at a time (`concurrencyPolicy: Forbid`), and on deletion it is suspended and its running backup awaited before the final backup starts. `status.backup.scheduled` shows the last scheduled backup and its outcome, and a new resource of this name restores the newest dump, scheduled or final. Removing the field deletes the CronJob. The resource's name must then be at most 36 characters (a CronJob's name has 52).
   */
  schedule?: string;
}
/**
 * How the restore on creation treats the backup it finds. Read when the restore Job is made: on creation, and again after a failed `restore-NAME-job` is deleted to retry; a change once the resource is created does nothing.
 */
export interface RestoreSpec {
  /**
   * A dump is restored only into the database it was taken from: a backup of another `spec.database` (the resource was re-created with a new name for its database) is refused with reason `RestoreFailed`, and kept. Set this to the database the dump was taken from (the error names it) to load it into `spec.database` anyway, then delete the failed `restore-NAME-job`. A dump of `spec.database` itself is always accepted.
   */
  fromDatabase?: string;
}
/**
 * Asks for hostPath volumes made by the operator (`NAME-pv`, `backup-NAME-pv`) even where the cluster has a default StorageClass. Both are pinned to one node with `nodeAffinity`, as local volumes are, so the server and every Job that mounts them run there; without a node, the operator chooses one (the node of an existing backup volume of this name first). Without `storageClassName` and without this field, hostPath volumes are used only where the cluster has no default StorageClass. It cannot be set, changed or removed later.
 */
export interface HostPathStorage {
  /**
   * The node whose disk holds the volumes (`kubectl get nodes`).
   */
  node?: string;
}
/**
 * CPU and memory of the MySQL server's container, as in a pod spec: `requests` is what the scheduler reserves, `limits` the most it may use (a container above its memory limit is killed). A request must not exceed its limit. Leaving the field out gives the default: 250m CPU and 1Gi memory requested, 1Gi memory at most, and no CPU limit (a CPU limit throttles a busy server; add one where a quota asks for it). Set at least the memory to what InnoDB's buffer pool and the connections need. Giving the field replaces the whole default at creation; later edits change only the keys they give, so a request raised above the limit the resource has is refused (raise both). Changing it restarts the server (the Deployment rolls over).
 */
export interface ServerResources {
  /**
   * CPU (cores, `500m` or `2`) and memory (bytes, `512Mi` or `4Gi`).
   */
  requests?: {
    /**
     * CPU in cores (`500m` is half a core).
     */
    cpu?: number | string;
    /**
     * Memory in bytes (`512Mi`, `4Gi`).
     */
    memory?: number | string;
  };
  /**
   * CPU (cores, `500m` or `2`) and memory (bytes, `512Mi` or `4Gi`).
   */
  limits?: {
    /**
     * CPU in cores (`500m` is half a core).
     */
    cpu?: number | string;
    /**
     * Memory in bytes (`512Mi`, `4Gi`).
     */
    memory?: number | string;
  };
}
/**
 * CPU and memory of the containers of the backup, restore and password-change Jobs, as in a pod spec (see `resources`). The default, when the field is left out: 100m CPU and 256Mi memory requested, 256Mi memory at most. A Job takes the value in force when it is created.
 */
export interface JobResources {
  /**
   * CPU (cores, `500m` or `2`) and memory (bytes, `512Mi` or `4Gi`).
   */
  requests?: {
    /**
     * CPU in cores (`500m` is half a core).
     */
    cpu?: number | string;
    /**
     * Memory in bytes (`512Mi`, `4Gi`).
     */
    memory?: number | string;
  };
  /**
   * CPU (cores, `500m` or `2`) and memory (bytes, `512Mi` or `4Gi`).
   */
  limits?: {
    /**
     * CPU in cores (`500m` is half a core).
     */
    cpu?: number | string;
    /**
     * Memory in bytes (`512Mi`, `4Gi`).
     */
    memory?: number | string;
  };
}
/**
 * What the operator observed and did. Written by the operator only.
 */
export interface MySQLStatus {
  /**
   * The `metadata.generation` the status describes.
   */
  observedGeneration?: number;
  /**
   * Standard conditions: `Ready` (the server is available), `Progressing` (a restore, backup or change is under way) and `Degraded` (something needs a person).
   */
  conditions?: Condition[];
  /**
   * What the operator did last, in words (e.g. `mysql-instance created with restore-job`).
   */
  message?: string;
  /**
   * Per spec field, a fingerprint of the value the last fully successful reconcile applied; the operator compares it to the spec to call change hooks. Secret fields appear only as salted hashes.
   */
  appliedSpec?: {
    [k: string]: string;
  };
  /**
   * When the operator first saw this resource's server available. From then on a deletion waits for a backup (or the `otus.homework/final-backup: skip` annotation), even when creation never finished and the server is down at that moment.
   */
  serverStarted?: string;
  storage?: StorageStatus;
  backup?: BackupStatus;
  restore?: RestoreStatus;
}
/**
 * One aspect of the resource's state (metav1.Condition).
 */
export interface Condition {
  /**
   * Type of the condition, in CamelCase (`Ready`).
   */
  type: string;
  /**
   * Whether the condition holds.
   */
  status: "True" | "False" | "Unknown";
  /**
   * Why the condition last changed, in CamelCase (`BackupSucceeded`).
   */
  reason: string;
  /**
   * Details for a person.
   */
  message: string;
  /**
   * When the condition's status last changed.
   */
  lastTransitionTime: string;
  /**
   * The `metadata.generation` the condition was set for.
   */
  observedGeneration?: number;
}
/**
 * Where the volumes come from, decided once when the resource is created and kept for its life (a live resource never changes mode).
 */
export interface StorageStatus {
  /**
   * `StorageClass`: the class `spec.storageClassName` names. `DefaultStorageClass`: the claims name no class and the cluster's default StorageClass provisions them. `HostPath`: volumes the operator made, pinned to `node` (the cluster had no default StorageClass, or `spec.hostPath` asked for it).
   */
  mode?: "StorageClass" | "DefaultStorageClass" | "HostPath";
  /**
   * The StorageClass of the claims (the cluster's default at creation, for `DefaultStorageClass`).
   */
  storageClassName?: string;
  /**
   * `HostPath`: the node the volumes are pinned to (its `kubernetes.io/hostname`), where the server and its Jobs run.
   */
  node?: string;
  /**
   * Why this mode (and node) was chosen, in words.
   */
  reason?: string;
}
/**
 * The last backup that succeeded.
 */
export interface BackupStatus {
  /**
   * When the backup Job completed.
   */
  lastSucceeded?: string;
  /**
   * Name of the backup Job (`backup-NAME-job`).
   */
  job?: string;
  /**
   * Path of the dump in the backup Job's mount of the backup volume (`/backup/history/mysqlop-dump-YYYYMMDDTHHMMSSZ.sql`); its metadata file beside it holds the checksum the restore verifies.
   */
  dumpFile?: string;
  /**
   * Size of the dump in bytes.
   */
  sizeBytes?: number;
  /**
   * SHA-256 of the dump (hex); a restore loads exactly the dump with this checksum.
   */
  sha256?: string;
  /**
   * When the dump started (the consistent snapshot's time).
   */
  created?: string;
  scheduled?: ScheduledBackupStatus;
}
/**
 * The last backup of `spec.backup.schedule` that ended (a Job of the CronJob `NAME-backup-schedule`), succeeded or failed.
 */
export interface ScheduledBackupStatus {
  /**
   * Name of the Job the CronJob made.
   */
  job?: string;
  /**
   * How it ended.
   */
  outcome?: "Succeeded" | "Failed";
  /**
   * When the Job started.
   */
  startedAt?: string;
  /**
   * When it completed or failed.
   */
  finishedAt?: string;
  /**
   * `Failed`: why, as the Job says (`BackoffLimitExceeded`, `DeadlineExceeded`, …).
   */
  reason?: string;
  /**
   * `Failed`: the Job's message and the script's last error line.
   */
  message?: string;
  /**
   * `Succeeded`: path of the dump it added to the history (as the Jobs mount the backup volume).
   */
  dumpFile?: string;
  /**
   * `Succeeded`: size of the dump in bytes.
   */
  sizeBytes?: number;
  /**
   * `Succeeded`: SHA-256 of the dump (hex).
   */
  sha256?: string;
}
/**
 * The restore performed when the resource was created, if any.
 */
export interface RestoreStatus {
  /**
   * When the restore Job completed.
   */
  restoredAt?: string;
  /**
   * Name of the restore Job (`restore-NAME-job`).
   */
  job?: string;
  /**
   * Path of the dump that was restored.
   */
  fromDump?: string;
}
