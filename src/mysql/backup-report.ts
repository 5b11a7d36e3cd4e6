/**
 * What a finished backup Job wrote: the backup script puts `key=value` lines (file, size, sha256,
 * created) into its termination message, which Kubernetes copies into the pod's status, so the
 * operator records the dump without reading the volume or the pod's logs.
 */
import type { V1Job } from "@kubernetes/client-node";
import type { ReconcileContext } from "../runtime/index.ts";
import { JOB_CONTAINER, type BackupReport } from "./desired/index.ts";
import type { MySQLInstance } from "./instance.ts";
import { jobPods } from "./observe.ts";

/** The report in a termination message, or `undefined` when a field is missing or malformed (nothing half-recorded). */
export function parseBackupReport(message: string | undefined): BackupReport | undefined {
  if (message === undefined) return undefined;
  const fields = new Map<string, string>();
  for (const line of message.split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) fields.set(line.slice(0, at), line.slice(at + 1));
  }
  const file = fields.get("file");
  const size = fields.get("size");
  const sha256 = fields.get("sha256");
  const created = fields.get("created");
  if (file === undefined || !/^[A-Za-z0-9._/-]+$/.test(file) || file.split("/").includes("..")) return undefined;
  if (size === undefined || !/^\d+$/.test(size) || sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256)) return undefined;
  if (created === undefined || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(created)) return undefined;
  return { file, sizeBytes: Number(size), sha256, created };
}

/** The report of the succeeded pod of `job` (read from the API server once, when the Job succeeded); `undefined` when its pod is gone. */
export async function readBackupReport(instance: MySQLInstance, ctx: ReconcileContext, job: V1Job): Promise<BackupReport | undefined> {
  const uid = job.metadata?.uid;
  if (uid === undefined) return undefined;
  for (const pod of await jobPods(instance, ctx, uid)) {
    if (pod.status?.phase !== "Succeeded") continue;
    const container = pod.status.containerStatuses?.find((c) => c.name === JOB_CONTAINER);
    const report = parseBackupReport(container?.state?.terminated?.message);
    if (report !== undefined) return report;
  }
  return undefined;
}
