/**
 * What the cache shows about one instance's children, read the way the handlers decide on it
 * (level-based: every decision is taken again from what is observed, never from memory).
 */
import type { KubernetesObject, V1Deployment, V1Job, V1Pod } from "@kubernetes/client-node";
import type { ReconcileContext, Readiness } from "../runtime/index.ts";
import type { MySQLInstance } from "./instance.ts";
import { jobOutcome, type JobOutcome } from "./job-outcome.ts";
import { serverSelector } from "./names.ts";

/** Whether `object` has a controller reference to this very resource (its uid, not just its name). */
export function controlledBy(object: KubernetesObject, instance: MySQLInstance): boolean {
  return object.metadata?.ownerReferences?.some((r) => r.controller === true && r.uid === instance.resource.metadata.uid) ?? false;
}

/**
 * Whether nothing controls `object`: one this operator made (the caches hold nothing else of the kinds it makes) whose
 * resource was deleted with `--cascade=orphan`. A new resource of the name adopts it, with the data and server it holds.
 */
export function orphaned(object: KubernetesObject): boolean {
  return !(object.metadata?.ownerReferences?.some((r) => r.controller === true) ?? false);
}

/** The state of the instance's Job `name`, from the cache. */
export function jobState(instance: MySQLInstance, ctx: ReconcileContext, name: string): JobOutcome {
  return jobOutcome(ctx.cache.get<V1Job>("batch/v1", "Job", instance.namespace, name), instance.resource.metadata.uid);
}

/** Enough of the instance's Job `name` to delete it. */
export function jobReference(instance: MySQLInstance, name: string): { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } {
  return { apiVersion: "batch/v1", kind: "Job", metadata: { name, namespace: instance.namespace } };
}

/** The server's Deployment, as cached. */
export function serverDeployment(instance: MySQLInstance, ctx: ReconcileContext): V1Deployment | undefined {
  return ctx.cache.get<V1Deployment>("apps/v1", "Deployment", instance.namespace, instance.names.server);
}

/** Whether the server's Deployment has rolled out its current spec and has an available pod. */
export function serverAvailable(instance: MySQLInstance, ctx: ReconcileContext): boolean {
  const deployment = serverDeployment(instance, ctx);
  const status = deployment?.status;
  return deployment !== undefined && (status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 1) && (status?.availableReplicas ?? 0) >= 1;
}

/** An equality label selector for `labels`, as the API server's `labelSelector` and `kubectl -l` take it. */
export function equalitySelector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/** The label selector of the server's pods, as `kubectl -l` takes it. */
function serverLabelSelector(instance: MySQLInstance): string {
  return equalitySelector(serverSelector(instance.resource));
}

/** The server's pods, from the API server (pods are not cached): read only while the server is not available. */
export function serverPods(instance: MySQLInstance, ctx: ReconcileContext): Promise<V1Pod[]> {
  return ctx.list<V1Pod>("v1", "Pod", { namespace: instance.namespace, labelSelector: serverLabelSelector(instance) });
}

/** The pods of the Job with uid `jobUid`, from the API server (pods are not cached): read only while it does not start, or once it succeeded. */
export function jobPods(instance: MySQLInstance, ctx: ReconcileContext, jobUid: string): Promise<V1Pod[]> {
  return ctx.list<V1Pod>("v1", "Pod", { namespace: instance.namespace, labelSelector: `batch.kubernetes.io/controller-uid=${jobUid}` });
}

/**
 * Why the server's pod cannot be created, when its ReplicaSet says so (the Deployment's `ReplicaFailure` condition):
 * a namespace's Pod Security level or quota refused it. `undefined` while nothing refused it.
 */
export function serverPodRefused(instance: MySQLInstance, ctx: ReconcileContext): string | undefined {
  const failure = serverDeployment(instance, ctx)?.status?.conditions?.find((c) => c.type === "ReplicaFailure" && c.status === "True");
  return failure === undefined ? undefined : (failure.message ?? failure.reason ?? "ReplicaFailure");
}

/** The reasons of Ready after creation: it follows whether the server's Deployment has an available pod. */
export const SERVER_READINESS = { available: "ServerAvailable", unavailable: "ServerUnavailable" } as const;

/**
 * Ready after creation: whether the server's Deployment has an available pod now (a crash loop, an eviction, a node
 * drain or a rollout take it away). The words stay the same while the cause does, so a server that stays down writes
 * nothing more.
 */
export function serverReadiness(instance: MySQLInstance, ctx: ReconcileContext): Readiness {
  const name = instance.names.server;
  if ((serverDeployment(instance, ctx)?.status?.availableReplicas ?? 0) >= 1)
    return { ready: true, reason: SERVER_READINESS.available, message: `Deployment ${name} is available: the server takes connections again` };
  const refused = serverPodRefused(instance, ctx);
  return {
    ready: false,
    reason: SERVER_READINESS.unavailable,
    message: `Deployment ${name} has no available server pod, so clients cannot connect${refused === undefined ? "" : `: ${refused}`} (kubectl describe pods -l ${serverLabelSelector(instance)} says why)`,
  };
}
