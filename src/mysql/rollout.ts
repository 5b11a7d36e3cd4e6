/** A server rollout after a spec change the Deployment follows by itself (the image): done once it is rolled out. */
import type { MySQLChange } from "../../generated/mysql-reconciler-base.ts";
import type { ReconcileContext } from "../runtime/index.ts";
import type { MySQLInstance } from "./instance.ts";
import { serverDeployment } from "./observe.ts";
import { done, failed, POLL_MS, waitFor, type Result } from "./result.ts";

/** Waits until the Deployment runs `change.current` on an available pod; a rollout past its deadline fails. */
export function awaitImageRollout(instance: MySQLInstance, change: MySQLChange<"image">, ctx: ReconcileContext): Result {
  const name = instance.names.server;
  const deployment = serverDeployment(instance, ctx);
  const image = deployment?.spec?.template.spec?.containers[0]?.image;
  const status = deployment?.status;
  const stalled = status?.conditions?.find((c) => c.type === "Progressing" && c.status === "False" && c.reason === "ProgressDeadlineExceeded");
  if (stalled !== undefined)
    return failed("RolloutFailed", `Deployment ${name} does not come up with image ${change.current}: ${stalled.message ?? ""}. Fix the image or set it back.`);
  const rolledOut =
    image === change.current &&
    (status?.observedGeneration ?? 0) >= (deployment?.metadata?.generation ?? 1) &&
    (status?.updatedReplicas ?? 0) >= 1 &&
    (status?.availableReplicas ?? 0) >= 1;
  if (!rolledOut) return waitFor(POLL_MS, "RollingOut", `Deployment ${name} rolls over from ${change.previous ?? "(none)"} to ${change.current}`);
  return done(`image changed to ${change.current}`);
}
