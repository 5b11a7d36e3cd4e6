/**
 * Why a pod of the resource does not start: read from the pod (the scheduler's verdict, the
 * kubelet's waiting reasons) and, when those say nothing, from its Events (a volume that does not
 * mount, a sandbox that cannot be made), within a bounded time. A Job whose pod never starts would
 * otherwise hold a deletion (or a creation) forever while status says "backing up".
 */
import type { CoreV1Event, V1Job, V1PersistentVolumeClaim, V1Pod } from "@kubernetes/client-node";
import type { ReconcileContext } from "../runtime/index.ts";
import { compareStrings } from "./compare.ts";
import type { MySQLInstance } from "./instance.ts";
import { jobPods } from "./observe.ts";

/** Why a pod does not start, in words a person can act on. */
export interface NotStarting {
  /** The pod (or, when none could be created, the Job). */
  readonly object: string;
  /** The cause as Kubernetes names it: `Unschedulable`, `ImagePullBackOff`, `CreateContainerConfigError`, `FailedMount`, … */
  readonly cause: string;
  readonly message: string;
}

/** Waiting reasons of a container that will not start by waiting longer. */
const STUCK_WAITING_REASONS = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "ErrImageNeverPull",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
  "CrashLoopBackOff",
]);

/** How long a pod may stay Pending without any reason before it is reported all the same. */
export const PENDING_GRACE_MS = 5 * 60_000;

/** The cause of a pod Pending past {@link PENDING_GRACE_MS} with no word from the scheduler or the kubelet. */
const PENDING_CAUSE = "PodPending";

/**
 * How long a pod may take to start before what keeps it is reported: during a normal start the scheduler
 * may call a pod unschedulable for a moment (its claim is bound a second later) and a kubelet may warn
 * once, and neither should turn a resource Degraded.
 */
export const START_GRACE_MS = 30_000;

/** How long ago `since` was at `now`, in ms; 0 without a time. */
export function age(since: Date | string | undefined, now: Date): number {
  return since === undefined ? 0 : now.getTime() - new Date(since).getTime();
}

/**
 * Why `pod` does not start (pure), once it is older than {@link START_GRACE_MS}: the scheduler could not
 * place it; a container waits for a reason that waiting will not fix (also a server in a crash loop); a
 * Warning Event while it is still Pending (a volume that does not mount); or it has been Pending longer than
 * {@link PENDING_GRACE_MS}. `undefined` while it runs, finished, or may still start.
 */
export function podNotStarting(pod: V1Pod, events: readonly CoreV1Event[], now: Date): NotStarting | undefined {
  const name = `pod ${pod.metadata?.name ?? ""}`;
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return undefined;
  if (pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null) return undefined;
  const created = pod.metadata?.creationTimestamp;
  if (age(created, now) < START_GRACE_MS) return undefined;
  const unschedulable = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable");
  if (unschedulable !== undefined) return { object: name, cause: "Unschedulable", message: unschedulable.message ?? "no node can take it" };
  for (const status of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const waiting = status.state?.waiting;
    if (waiting?.reason !== undefined && STUCK_WAITING_REASONS.has(waiting.reason)) {
      return { object: name, cause: waiting.reason, message: `container ${status.name}: ${waiting.message ?? waiting.reason}` };
    }
  }
  if (phase !== undefined && phase !== "Pending") return undefined;
  const warning = newestWarning(events);
  if (warning !== undefined) return { object: name, cause: warning.reason ?? "Warning", message: warning.message ?? "" };
  if (age(created, now) >= PENDING_GRACE_MS) {
    return {
      object: name,
      cause: PENDING_CAUSE,
      message: `Pending for ${Math.round(age(created, now) / 60_000)} minutes without a reason from the scheduler or the kubelet`,
    };
  }
  return undefined;
}

function newestWarning(events: readonly CoreV1Event[]): CoreV1Event | undefined {
  return [...events]
    .filter((e) => e.type === "Warning")
    .sort((a, b) => compareStrings(String(b.lastTimestamp ?? b.eventTime ?? ""), String(a.lastTimestamp ?? a.eventTime ?? "")))[0];
}

/**
 * Why the Job's pod does not start, read from the API server only while the Job has no ready pod:
 * from its pods, or, when it has none after {@link START_GRACE_MS}, from the Job's own Warning
 * Events (pods it could not create: a quota, Pod Security, a namespace being deleted).
 */
export async function jobNotStarting(instance: MySQLInstance, ctx: ReconcileContext, job: V1Job, now = new Date()): Promise<NotStarting | undefined> {
  const status = job.status;
  if ((status?.ready ?? 0) > 0 || (status?.succeeded ?? 0) > 0) return undefined;
  const uid = job.metadata?.uid;
  if (uid === undefined) return undefined;
  const pods = await jobPods(instance, ctx, uid);
  if (pods.length === 0) {
    if (age(job.metadata?.creationTimestamp, now) < START_GRACE_MS) return undefined;
    const events = await eventsOf(instance, ctx, uid);
    const warning = events.find((e) => e.type === "Warning");
    return warning === undefined
      ? undefined
      : { object: `Job ${job.metadata?.name ?? ""}`, cause: warning.reason ?? "Warning", message: warning.message ?? "" };
  }
  return podsNotStarting(instance, ctx, pods, now);
}

/** The first of `pods` that does not start (its Events read only when the pod itself says nothing). */
export async function podsNotStarting(
  instance: MySQLInstance,
  ctx: ReconcileContext,
  pods: readonly V1Pod[],
  now = new Date(),
): Promise<NotStarting | undefined> {
  for (const pod of pods) {
    const fromPod = podNotStarting(pod, [], now);
    if (fromPod !== undefined) return fromPod;
    if (pod.status?.phase !== "Pending" || age(pod.metadata?.creationTimestamp, now) < START_GRACE_MS || pod.metadata?.uid === undefined) continue;
    const fromEvents = podNotStarting(pod, await eventsOf(instance, ctx, pod.metadata.uid), now);
    if (fromEvents !== undefined) return fromEvents;
  }
  return undefined;
}

function eventsOf(instance: MySQLInstance, ctx: ReconcileContext, uid: string): Promise<CoreV1Event[]> {
  return ctx.list<CoreV1Event>("v1", "Event", { namespace: instance.namespace, fieldSelector: `involvedObject.uid=${uid}` });
}

/** The scheduler's words (its VolumeBinding plugin) for a pod held back until its claims are bound. */
const UNBOUND_CLAIMS = "unbound immediate PersistentVolumeClaims";

/**
 * Whether the scheduler's only complaint about a pod is that a claim it mounts is not bound yet (its condition or its
 * FailedScheduling Event): the plugin that says so rejects the pod before any node is weighed, so nothing else is said.
 */
export function waitsOnlyForClaims(stuck: NotStarting): boolean {
  return (stuck.cause === "Unschedulable" || stuck.cause === "FailedScheduling") && stuck.message.includes(UNBOUND_CLAIMS);
}

/**
 * Whether `stuck` is a pod waiting for `claim` to be bound: the scheduler says so ({@link waitsOnlyForClaims}), or has
 * said nothing yet ("PodPending") while the claim is not bound, or was bound less than {@link PENDING_GRACE_MS} ago
 * (`boundSince`: its volume's `status.lastPhaseTransitionTime`, where known). With a thousand claims binding at once,
 * the scheduler may not look at the pod for longer than {@link PENDING_GRACE_MS}, and takes it up again only once the
 * binding is done, perhaps after the reconcile that the binding itself woke, and with a backlog minutes later: after
 * the binding, a pod it has said nothing about gets the grace any pod gets after its creation.
 */
export function waitsForClaim(stuck: NotStarting, claim: V1PersistentVolumeClaim | undefined, boundSince?: Date | string, now = new Date()): boolean {
  if (waitsOnlyForClaims(stuck)) return true;
  if (stuck.cause !== PENDING_CAUSE || claim === undefined) return false;
  return claim.status?.phase !== "Bound" || (boundSince !== undefined && age(boundSince, now) < PENDING_GRACE_MS);
}

/**
 * The newest Warning Event on `claim` (a provisioner that fails, a StorageClass that does not exist), read from the API
 * server while it is Pending: the claim's own words beside the scheduler's verdict on the pod.
 */
export async function claimWarning(
  instance: MySQLInstance,
  ctx: ReconcileContext,
  claim: V1PersistentVolumeClaim | undefined,
): Promise<NotStarting | undefined> {
  const uid = claim?.metadata?.uid;
  if (claim?.status?.phase !== "Pending" || uid === undefined) return undefined;
  const warning = newestWarning(await eventsOf(instance, ctx, uid));
  return warning === undefined
    ? undefined
    : { object: `PersistentVolumeClaim ${claim.metadata?.name ?? ""}`, cause: warning.reason ?? "Warning", message: warning.message ?? "" };
}

/** "pod x cannot start: ImagePullBackOff: …", for a status message. */
export function describeNotStarting(stuck: NotStarting): string {
  return `${stuck.object} cannot start: ${stuck.cause}: ${stuck.message}`;
}
