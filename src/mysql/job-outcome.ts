/** Reads a Job's state the way the hooks need it: absent, someone else's, running, succeeded, failed (with exit code). */
import type { V1Job } from "@kubernetes/client-node";

/** The state of a Job this resource expects to own. */
export type JobOutcome =
  | { readonly state: "absent" }
  /** Left by an earlier resource of the same name (another uid): delete it and wait. */
  | { readonly state: "foreign"; readonly job: V1Job }
  | { readonly state: "running"; readonly job: V1Job }
  | { readonly state: "succeeded"; readonly job: V1Job; readonly completedAt: string | undefined }
  | { readonly state: "failed"; readonly job: V1Job; readonly reason: string; readonly message: string; readonly exitCode: number | undefined };

/** Classifies `job` (from the cache) for the resource with uid `ownerUid`. */
export function jobOutcome(job: V1Job | undefined, ownerUid: string | undefined): JobOutcome {
  if (job === undefined) return { state: "absent" };
  const owners = job.metadata?.ownerReferences ?? [];
  if (ownerUid !== undefined && !owners.some((o) => o.uid === ownerUid)) return { state: "foreign", job };
  const conditions = job.status?.conditions ?? [];
  const complete = conditions.find((c) => c.type === "Complete" && c.status === "True");
  if (complete !== undefined) return { state: "succeeded", job, completedAt: timestamp(job.status?.completionTime) ?? timestamp(complete.lastTransitionTime) };
  const failed = conditions.find((c) => c.type === "Failed" && c.status === "True");
  if (failed !== undefined) {
    const message = failed.message ?? "";
    const code = /exit code (\d+)/.exec(message)?.[1];
    return { state: "failed", job, reason: failed.reason ?? "Failed", message, exitCode: code === undefined ? undefined : Number(code) };
  }
  return { state: "running", job };
}

/** A time of a Job's status as an RFC 3339 string: informer caches hold JSON strings, client-node's typed calls return Dates. */
export function timestamp(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value instanceof Date ? value.toISOString().replace(/\.\d{3}Z$/, "Z") : String(value);
}
