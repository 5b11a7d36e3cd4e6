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
export const BACKUP_INFO_KEYS = { lastSucceeded: "lastSucceeded", job: "job", dumpFile: "dumpFile", database: "database" } as const;

/** The record of a backup that succeeded at `completedAt`. */
export function buildBackupInfo(instance: MySQLInstance, completedAt: string): V1ConfigMap {
  const { resource, names } = instance;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: names.backupInfo, namespace: resource.metadata.namespace, labels: labelsFor(resource, "backup") },
    data: {
      [BACKUP_INFO_KEYS.lastSucceeded]: completedAt,
      [BACKUP_INFO_KEYS.job]: names.backupJob,
      [BACKUP_INFO_KEYS.dumpFile]: `${BACKUP_DIR}/${BACKUP_FILES.dump}`,
      [BACKUP_INFO_KEYS.database]: instance.spec.database,
    },
  };
}
