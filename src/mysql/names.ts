/**
 * Names and labels of everything the operator creates for one MySQL resource. Names are
 * deterministic so that a reconcile after a crash finds what an earlier one created.
 */
import { createHash } from "node:crypto";
import { MYSQL_GROUP } from "../../generated/mysql-constants.ts";
import type { MySQL } from "../../generated/mysql-models.ts";
import { MANAGED_BY_LABEL } from "../runtime/index.ts";

/**
 * The operator's name: its field manager, Event source, lease name prefix, and the value of
 * {@link MANAGED_BY_LABEL} on everything it makes (the runtime sets that label on every apply, and
 * caches only what carries it).
 */
export const OPERATOR_NAME = "mysqlop";

/**
 * A resource named `backup-X` would take `backup-X-pvc` and `backup-X-pv` as its data claim and
 * volume: the backup claim and volume of the resource `X` in the same namespace, which would then
 * be adopted, mounted as a data directory and garbage-collected with it. Such names are refused.
 */
export const RESERVED_NAME_PREFIX = "backup-";

/** Whether the resource's name collides with the backup storage names of another resource (see {@link RESERVED_NAME_PREFIX}). */
export function hasReservedName(resource: MySQL): boolean {
  return (resource.metadata.name ?? "").startsWith(RESERVED_NAME_PREFIX);
}

/** Label and annotation prefix of this operator: the resource's API group. */
export const LABEL_PREFIX = MYSQL_GROUP;

/** The names of one resource's children. */
export interface ChildNames {
  /** Deployment and Service; also the `app` label of the pods (as in the original). */
  readonly server: string;
  readonly dataClaim: string;
  /** Cluster-scoped, so made unique across namespaces (see {@link childNames}). */
  readonly dataVolume: string;
  readonly backupClaim: string;
  readonly backupVolume: string;
  /** ConfigMap recording the last backup that succeeded; like the backup claim it outlives the resource. */
  readonly backupInfo: string;
  readonly credentials: string;
  readonly scripts: string;
  readonly backupJob: string;
  /** The CronJob of `spec.backup.schedule` (at most 52 characters: the schema limits the name of a resource that has one). */
  readonly backupSchedule: string;
  readonly restoreJob: string;
  readonly passwordJob: string;
  readonly passwordChange: string;
}

/**
 * Names as in the original scenario (`NAME-pvc`, `backup-NAME-job`, …). PersistentVolumes
 * are cluster-scoped: in the `default` namespace they keep the original names
 * (`NAME-pv`, `backup-NAME-pv`); elsewhere a short hash of the namespace is appended so
 * that two namespaces never fight over one volume.
 */
export function childNames(resource: MySQL): ChildNames {
  const name = resource.metadata.name ?? "";
  const namespace = resource.metadata.namespace ?? "default";
  const suffix = namespace === "default" ? "" : `-${createHash("sha256").update(namespace).digest("hex").slice(0, 8)}`;
  return {
    server: name,
    dataClaim: `${name}-pvc`,
    dataVolume: `${name}-pv${suffix}`,
    backupClaim: `backup-${name}-pvc`,
    backupVolume: `backup-${name}-pv${suffix}`,
    backupInfo: `backup-${name}-info`,
    credentials: `${name}-credentials`,
    scripts: `${name}-scripts`,
    backupJob: `backup-${name}-job`,
    backupSchedule: `${name}-backup-schedule`,
    restoreJob: `restore-${name}-job`,
    // Not "password-": with the longest name allowed it would pass the 63 characters of the job-name label.
    passwordJob: `passwd-${name}-job`,
    passwordChange: `${name}-password-change`,
  };
}

/**
 * What the objects of one resource carry: the app.kubernetes.io set. `app=NAME` is for the
 * server's pods only ({@link serverSelector}), so the original's `kubectl get pods -l app=NAME`
 * finds exactly one pod, and a cluster-scoped volume never matches a namesake in another namespace.
 */
export function labelsFor(
  resource: MySQL,
  component: "database" | "backup" | "scheduled-backup" | "restore" | "password-change" | "credentials" | "scripts",
): Record<string, string> {
  const name = resource.metadata.name ?? "";
  return {
    "app.kubernetes.io/name": "mysql",
    "app.kubernetes.io/instance": name,
    "app.kubernetes.io/component": component,
    [MANAGED_BY_LABEL]: OPERATOR_NAME,
  };
}

/** Pod selector of the server: exactly the original's `app=NAME`, plus the component so Jobs never match. */
export function serverSelector(resource: MySQL): Record<string, string> {
  return { app: resource.metadata.name ?? "", "app.kubernetes.io/component": "database" };
}

/** Labels on PersistentVolumes the operator created itself, so it can find and remove them. */
export const VOLUME_OWNER_LABELS = { namespace: `${LABEL_PREFIX}/namespace`, name: `${LABEL_PREFIX}/mysql` } as const;
/** Annotation on a MySQL resource: {@link FINAL_BACKUP_SKIP} deletes it without the final backup, deliberately (an Event records it). */
export const FINAL_BACKUP_ANNOTATION = `${LABEL_PREFIX}/final-backup`;
/** The value of {@link FINAL_BACKUP_ANNOTATION} that skips the final backup. */
export const FINAL_BACKUP_SKIP = "skip";
/** Annotation on the password-change Job: a digest of the password it sets, keyed by a nonce kept in the password-change Secret. */
export const PASSWORD_TARGET_ANNOTATION = `${LABEL_PREFIX}/password-target`;
