/** What the MySQL handlers return: the runtime's hook results, typed for the MySQL status. */
import type { MySQLStatus } from "../../generated/mysql-models.ts";
import { hookResults, type HookResult } from "../runtime/index.ts";

/** A hook's outcome for a MySQL resource. */
export type Result = HookResult<MySQLStatus>;

/** `done`, `waitFor` and `failed`, typed so that a status fact the schema does not declare is a compile error. */
export const { done, waitFor, failed } = hookResults<MySQLStatus>();

/** How often to look again while a Job runs or a rollout proceeds. */
export const POLL_MS = 5_000;

/**
 * How long a resource waits for kube-controller-manager to bind its claim before looking again when nothing woke it.
 * The wake-ups are watch events: the claim's binding, the Deployment's (a refused pod, an available one), the
 * operator's own volume's (deleted, released: its labels name the resource, see operator.ts), the resource's, and a
 * relist after a broken watch, which re-queues every resource. The timer is a safety net for a wake-up lost all the same,
 * which is then reported this late at most, as a pod Pending with no word is (`PENDING_GRACE_MS`, pod-diagnosis.ts). A thousand claims take
 * kube-controller-manager 4 to 12 minutes to bind: polled every {@link POLL_MS}, each of them would cost a reconcile
 * and a list of pods 50 to 150 times.
 */
export const BINDING_FALLBACK_MS = 5 * 60_000;

/**
 * How often a server pod the scheduler has said nothing about is looked at again in the grace after its claim's binding
 * (`waitsForClaim`, pod-diagnosis.ts): each look lists the pods and the pod's Events from the API server, and with a
 * thousand claims just bound the scheduler may take minutes to come to it; its verdict, once given, is reported this
 * late at most. The Deployment's watch wakes the resource once the pod is available.
 */
export const SCHEDULER_BACKLOG_POLL_MS = 30_000;

/**
 * When a server whose pods were just found starting normally (past `START_GRACE_MS`, pod-diagnosis.ts) is looked at
 * again: after a quarter of its Deployment's age, from {@link POLL_MS} up to {@link SCHEDULER_BACKLOG_POLL_MS}. Each
 * look is a reconcile and a list of its pods; a start that is slow because the cluster is busy (a thousand resources
 * created at once: the last servers start minutes later) is looked at less and less often, and a pod that then stops
 * starting (a crash loop, an image that cannot be pulled) is reported a quarter of its age late at most, 30 s at most.
 * An age not known (no Deployment in the cache): {@link POLL_MS}.
 */
export function startingPollMs(deploymentAgeMs: number): number {
  if (!Number.isFinite(deploymentAgeMs)) return POLL_MS;
  return Math.min(SCHEDULER_BACKLOG_POLL_MS, Math.max(POLL_MS, Math.round(deploymentAgeMs / 4)));
}
