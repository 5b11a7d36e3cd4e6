/**
 * `backup-NAME-info`: what the last successful backup was. Like the backup claim it is
 * not owned and outlives the resource; a new resource of the same name restores when it
 * finds one.
 */
import type { V1ConfigMap } from "@kubernetes/client-node";
import type { MySQLInstance } from "../instance.ts";
import { BACKUP_FILES } from "../scripts/index.ts";
import { labelsFor } from "../names.ts";
import { BACKUP_DIR } from "./jobs.ts";

/** Keys of the backup-info ConfigMap. */
export const BACKUP_INFO_KEYS = {
  lastSucceeded: "lastSucceeded",
  job: "job",
  dumpFile: "dumpFile",
  database: "database",
  sha256: "sha256",
  sizeBytes: "sizeBytes",
  created: "created",
} as const;

/** What the backup script reported about the dump it wrote (its termination message). */
export interface BackupReport {
  /** Path relative to the backup directory (`history/mysqlop-dump-….sql`). */
  readonly file: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly created: string;
}

/** The path of the dump a backup wrote, as the Jobs mount the backup volume: the reported file, else the fixed name. */
export function dumpPath(report: BackupReport | undefined): string {
  return `${BACKUP_DIR}/${report?.file ?? BACKUP_FILES.dump}`;
}

/**
 * The record of a backup that succeeded at `completedAt`, with what its script reported (absent when its pod is gone);
 * `job` is the Job that took it (the final `backup-NAME-job`, or one of the schedule's).
 */
export function buildBackupInfo(instance: MySQLInstance, completedAt: string, report?: BackupReport, job?: string): V1ConfigMap {
  const { resource, names } = instance;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: names.backupInfo, namespace: resource.metadata.namespace, labels: labelsFor(resource, "backup") },
    data: {
      [BACKUP_INFO_KEYS.lastSucceeded]: completedAt,
      [BACKUP_INFO_KEYS.job]: job ?? names.backupJob,
      [BACKUP_INFO_KEYS.dumpFile]: dumpPath(report),
      [BACKUP_INFO_KEYS.database]: instance.spec.database,
      ...(report === undefined
        ? {}
        : { [BACKUP_INFO_KEYS.sha256]: report.sha256, [BACKUP_INFO_KEYS.sizeBytes]: String(report.sizeBytes), [BACKUP_INFO_KEYS.created]: report.created }),
    },
  };
}
