/**
 * Removing a Job that must make way for another, on the API server's word rather than the cache's: the cache may lag
 * behind another writer (a killed run's last request carried out after this run listed), and a Job deleted half-way
 * can leave what it wrote (a dump, the server's root password) disagreeing with what the operator records.
 */
import type { V1Job } from "@kubernetes/client-node";
import type { MySQL } from "../../generated/mysql-models.ts";
import type { ReconcileContext } from "../runtime/index.ts";
import type { MySQLInstance } from "./instance.ts";
import { jobOutcome } from "./job-outcome.ts";
import { jobReference } from "./observe.ts";
import { POLL_MS, waitFor, type Result } from "./result.ts";

/**
 * Why the Job `job` must not be made from what the cache shows, checked on the API server: the resource is gone, or is
 * another one of the same name now (e.g. its final backup was taken, and the garbage collector may have taken that Job
 * with it). `undefined` when the resource is the one the cache shows.
 * Logged, since a resource that is gone has no status to say it in.
 */
export async function cacheBehind(instance: MySQLInstance, ctx: ReconcileContext, job: string): Promise<string | undefined> {
  const { resource, name } = instance;
  const live = await ctx.read<MySQL>({ apiVersion: resource.apiVersion, kind: resource.kind, metadata: { name, namespace: instance.namespace } });
  const uid = resource.metadata.uid;
  const why =
    live === undefined
      ? `${name} (uid ${uid ?? "?"}) is gone`
      : live.metadata.uid !== uid
        ? `${name} is another resource now (uid ${live.metadata.uid ?? "?"}, not ${uid ?? "?"})`
        : undefined;
  if (why === undefined) return undefined;
  const message = `${job} not made: ${why} on the API server, which this operator's cache does not show yet`;
  ctx.log.info(message);
  return message;
}

/** The `whose` of {@link removeEndedJob} for a Job another resource of the same name left (owned by another uid). */
export const EARLIER_RESOURCE = "left by an earlier resource of this name";

/**
 * Deletes `cached`, the Job `job` as the cache shows it, which must make way for another (`whose` says why it is not
 * wanted, e.g. "left by an earlier resource of this name"): only once the API server confirms that this resource is
 * the one the cache shows, that the Job is still that very Job (its uid), and that it has ended; then that Job alone,
 * by uid. One that still runs is waited for, never deleted: it is writing (a final backup into the same history, a
 * root password onto the server), and stopping it half-way leaves that half-done (the garbage collector removes one
 * whose owner is gone).
 */
export async function removeEndedJob(
  instance: MySQLInstance,
  ctx: ReconcileContext,
  cached: V1Job,
  job: string,
  reason: string,
  whose: string,
): Promise<Result> {
  const behind = await cacheBehind(instance, ctx, job);
  if (behind !== undefined) return waitFor(POLL_MS, reason, behind);
  const live = await ctx.read<V1Job>(jobReference(instance, job));
  const uid = live?.metadata?.uid;
  if (live === undefined || uid === undefined) return waitFor(POLL_MS, reason, `${job}, ${whose}, is gone`);
  if (uid !== cached.metadata?.uid)
    return waitFor(POLL_MS, reason, `${job} is another Job on the API server than the one this operator's cache shows; looking again`);
  if (jobOutcome(live, undefined).state === "running") {
    return waitFor(POLL_MS, reason, `waiting for ${job}, ${whose}, to end (it still runs; stopped half-way, it would leave its work half-done)`);
  }
  await ctx.delete(jobReference(instance, job), { propagationPolicy: "Background", uid });
  return waitFor(POLL_MS, reason, `removing ${job} ${whose}`);
}
