/**
 * What a finished Job's script said, from its pod's termination message (Kubernetes copies it into
 * the pod's status): the backup script's report (`key=value` lines: file, size, sha256, created),
 * so the operator records the dump without reading the volume; a failed script's error line.
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

/** How long after a backup Job completed its succeeded pod may still be missing from a list before the dump is recorded without its report. */
export const REPORT_GRACE_MS = 30_000;

/**
 * The report of the succeeded pod of `job` (read from the API server once the Job succeeded);
 * `pending` while no succeeded pod is listed yet, within {@link REPORT_GRACE_MS} of `completedAt`;
 * `undefined` when there is none to read (its pod is gone, or wrote none).
 */
export async function readBackupReport(
  instance: MySQLInstance,
  ctx: ReconcileContext,
  job: V1Job,
  completedAt: string,
  now = new Date(),
): Promise<BackupReport | "pending" | undefined> {
  const messages = await terminationMessages(instance, ctx, job, "Succeeded");
  for (const message of messages) {
    const report = parseBackupReport(message);
    if (report !== undefined) return report;
  }
  if (messages.length === 0 && now.getTime() - Date.parse(completedAt) < REPORT_GRACE_MS) return "pending";
  ctx.log.warn("a backup succeeded without a readable report: its dump is recorded without size and checksum", {
    job: job.metadata?.name,
    messages: messages.map((m) => m.slice(0, 200)),
  });
  return undefined;
}

/**
 * Why the script of a failed Job said it failed: the last line of a failed pod's termination
 * message (its log's tail, `restore: error: …`); `undefined` when its pods are gone.
 */
export async function scriptError(instance: MySQLInstance, ctx: ReconcileContext, job: V1Job): Promise<string | undefined> {
  for (const message of await terminationMessages(instance, ctx, job, "Failed")) {
    const last = message
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "")
      .at(-1);
    if (last !== undefined) return last;
  }
  return undefined;
}

/** The termination messages of the Job container in the pods of `job` that ended in `phase`. */
async function terminationMessages(instance: MySQLInstance, ctx: ReconcileContext, job: V1Job, phase: "Succeeded" | "Failed"): Promise<string[]> {
  const uid = job.metadata?.uid;
  if (uid === undefined) return [];
  return (await jobPods(instance, ctx, uid))
    .filter((pod) => pod.status?.phase === phase)
    .map((pod) => pod.status?.containerStatuses?.find((c) => c.name === JOB_CONTAINER)?.state?.terminated?.message)
    .filter((message): message is string => message !== undefined && message !== "");
}
