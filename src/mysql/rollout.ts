/** A server rollout after a spec change the Deployment follows by itself (image, resources): done once it is rolled out. */
import type { V1Container, V1ResourceRequirements } from "@kubernetes/client-node";
import type { MySQLChange } from "../../generated/mysql-reconciler-base.ts";
import { compareQuantities, type ReconcileContext } from "../runtime/index.ts";
import { containerResources } from "./desired/pod-security.ts";
import type { MySQLInstance } from "./instance.ts";
import { serverDeployment } from "./observe.ts";
import { done, failed, POLL_MS, waitFor, type Result } from "./result.ts";

/** What a rollout brings: the field, its values in words, and whether the server's container carries the new one. */
interface Rollout {
  readonly field: "image" | "resources";
  readonly from: string;
  readonly to: string;
  readonly carried: (container: V1Container | undefined) => boolean;
}

/** Waits until the Deployment runs `rollout` on an available pod; a rollout past its deadline fails. */
function awaitServerRollout(instance: MySQLInstance, rollout: Rollout, ctx: ReconcileContext): Result {
  const name = instance.names.server;
  const deployment = serverDeployment(instance, ctx);
  const status = deployment?.status;
  // Only once the Deployment controller saw this generation: before, a stall is the previous spec's (the apply's answer
  // carries the new spec with the old status).
  const observed = (status?.observedGeneration ?? 0) >= (deployment?.metadata?.generation ?? 1);
  const stalled = observed
    ? status?.conditions?.find((c) => c.type === "Progressing" && c.status === "False" && c.reason === "ProgressDeadlineExceeded")
    : undefined;
  if (stalled !== undefined)
    return failed(
      "RolloutFailed",
      `Deployment ${name} does not come up with ${rollout.field} ${rollout.to}: ${stalled.message ?? ""}. Fix the ${rollout.field} or set it back.`,
    );
  const rolledOut =
    rollout.carried(deployment?.spec?.template.spec?.containers[0]) && observed && (status?.updatedReplicas ?? 0) >= 1 && (status?.availableReplicas ?? 0) >= 1;
  if (!rolledOut) return waitFor(POLL_MS, "RollingOut", `Deployment ${name} rolls over from ${rollout.field} ${rollout.from} to ${rollout.to}`);
  return done(`${rollout.field} changed to ${rollout.to}`);
}

/** Waits until the Deployment runs `change.current` on an available pod; a rollout past its deadline fails. */
export function awaitImageRollout(instance: MySQLInstance, change: MySQLChange<"image">, ctx: ReconcileContext): Result {
  return awaitServerRollout(
    instance,
    { field: "image", from: change.previous ?? "(none)", to: change.current, carried: (c) => c?.image === change.current },
    ctx,
  );
}

/** `requests cpu=250m memory=1Gi, limits memory=1Gi`. */
function describeResources(resources: MySQLChange<"resources">["current"] | undefined): string {
  const { requests, limits } = containerResources(resources);
  const list = (what: string, values: Record<string, string> | undefined) =>
    values === undefined
      ? []
      : [
          `${what} ${Object.entries(values)
            .map(([k, v]) => `${k}=${v}`)
            .join(" ")}`,
        ];
  const parts = [...list("requests", requests), ...list("limits", limits)];
  return parts.length === 0 ? "none" : parts.join(", ");
}

/** Whether two containers' resources are the same amounts (the API server stores `0.5` as `500m`, `1024Mi` as `1Gi`). */
function sameResources(a: V1ResourceRequirements, b: V1ResourceRequirements): boolean {
  const same = (x: Record<string, string> | undefined, y: Record<string, string> | undefined): boolean => {
    const names = new Set([...Object.keys(x ?? {}), ...Object.keys(y ?? {})]);
    return [...names].every((name) => {
      const [p, q] = [x?.[name], y?.[name]];
      return p !== undefined && q !== undefined && compareQuantities(p, q) === 0;
    });
  };
  return same(a.requests, b.requests) && same(a.limits, b.limits);
}

/** Waits until the Deployment's server runs with the resources `change.current` on an available pod. */
export function awaitResourcesRollout(instance: MySQLInstance, change: MySQLChange<"resources">, ctx: ReconcileContext): Result {
  const wanted = containerResources(change.current);
  return awaitServerRollout(
    instance,
    {
      field: "resources",
      from: describeResources(change.previous),
      to: describeResources(change.current),
      carried: (c) => sameResources(c?.resources ?? {}, wanted),
    },
    ctx,
  );
}
