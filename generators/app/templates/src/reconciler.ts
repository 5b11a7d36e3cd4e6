/**
 * The hand-written <%= kind %> handlers on top of the generated skeleton
 * (generated/<%= singular %>-reconciler-base.ts): the decisions, while the runtime owns the loop
 * (read, finalizer, apply `desired`, change hooks, status, Events). Hooks decide from what the cache
 * shows and never wait in place: something still under way is a `waitFor`.
 *
 * Yours to change: `yo mysqlop` writes this file once and never overwrites it, `npm run generate`
 * never touches it. A field added to the schema with a change hook adds an abstract `on…Change`
 * method to the base class, and this class stops compiling until it implements it.
 */
import type { KubernetesObject, V1Deployment, V1PersistentVolume } from "@kubernetes/client-node";
import type { HookResult, ReconcileContext } from "generator-mysqlop/runtime";
import type { <%= kind %>, <%= kind %>Status } from "../generated/<%= singular %>-models.ts";
import { <%= kind %>ReconcilerBase, type <%= kind %>Change } from "../generated/<%= singular %>-reconciler-base.ts";
import { buildDataClaim, buildDataVolume, buildDeployment, buildService, childNames, usesHostPathVolume, VOLUME_OWNER_LABELS } from "./children.ts";

/** How often to look again while the server starts or rolls out. */
const POLL_MS = 5_000;

type Result = HookResult<<%= kind %>Status>;

/** Reconciles <%= kind %> resources: a server with its Service and data volume. */
export class <%= kind %>Reconciler extends <%= kind %>ReconcilerBase {
  /** Pure: the children the loop applies, with owner references, on every reconcile. */
  desired(resource: <%= kind %>): KubernetesObject[] {
    return [buildDataClaim(resource), buildService(resource), buildDeployment(resource)];
  }

  /** Creation, after the loop applied the children: the volume no owner can hold, then the server's start. */
  async onCreate(resource: <%= kind %>, ctx: ReconcileContext): Promise<Result> {
    const name = resource.metadata.name ?? "";
    // 1. The hostPath volume: cluster-scoped, so applied here rather than owned, and removed by finalize.
    if (usesHostPathVolume(resource)) await ctx.apply(buildDataVolume(resource));
    // 2. Done once the server's Deployment has an available pod.
    if (!serverAvailable(resource, ctx)) return this.waitFor(POLL_MS, "Starting", `waiting for Deployment ${name} to become available`);
    return this.done(`${name} created`);
  }

  /**
   * Deletion: the owned children go with the resource (garbage collection); the hostPath volume this
   * operator made for it does not, so it is deleted here. Its directory stays on the node (Retain).
   */
  async finalize(resource: <%= kind %>, ctx: ReconcileContext): Promise<Result> {
    const volumeName = childNames(resource).dataVolume;
    const volume = ctx.cache.get<V1PersistentVolume>("v1", "PersistentVolume", undefined, volumeName);
    const labels = volume?.metadata?.labels ?? {};
    const madeForThis = labels[VOLUME_OWNER_LABELS.namespace] === (resource.metadata.namespace ?? "default") && labels[VOLUME_OWNER_LABELS.name] === resource.metadata.name;
    if (volume === undefined || !madeForThis) return this.done("nothing to clean up");
    await ctx.delete({ apiVersion: "v1", kind: "PersistentVolume", metadata: { name: volumeName } });
    return this.done(`deleted PersistentVolume ${volumeName}; its directory ${volume.spec?.hostPath?.path ?? ""} stays on the node`);
  }

  /** The Deployment already carries the new image (applied by the loop); done once it has rolled out. */
  async onImageChange(resource: <%= kind %>, change: <%= kind %>Change<"image">, ctx: ReconcileContext): Promise<Result> {
    const name = resource.metadata.name ?? "";
    const deployment = serverDeployment(resource, ctx);
    const stalled = deployment?.status?.conditions?.find((c) => c.type === "Progressing" && c.status === "False" && c.reason === "ProgressDeadlineExceeded");
    if (stalled !== undefined) return this.failed("RolloutFailed", `Deployment ${name} does not come up with image ${change.current}: ${stalled.message ?? ""}. Fix the image or set it back.`);
    const running = deployment?.spec?.template.spec?.containers[0]?.image === change.current && serverAvailable(resource, ctx);
    if (!running) return this.waitFor(POLL_MS, "RollingOut", `Deployment ${name} rolls over from ${change.previous ?? "(none)"} to ${change.current}`);
    return this.done(`image changed to ${change.current}`);
  }
}

function serverDeployment(resource: <%= kind %>, ctx: ReconcileContext): V1Deployment | undefined {
  return ctx.cache.get<V1Deployment>("apps/v1", "Deployment", resource.metadata.namespace, childNames(resource).server);
}

/** Whether the server's Deployment has rolled out its current spec and has an available pod. */
function serverAvailable(resource: <%= kind %>, ctx: ReconcileContext): boolean {
  const deployment = serverDeployment(resource, ctx);
  const status = deployment?.status;
  return deployment !== undefined && (status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 1) && (status?.availableReplicas ?? 0) >= 1;
}
