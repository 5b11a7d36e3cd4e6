/** More fake nodes for a control plane with kwok workloads: a multi-node cluster where placement matters. */
import { CoreV1Api, PatchStrategy, setHeaderOptions, type V1Node } from "@kubernetes/client-node";
import type { ControlPlane } from "../../src/envtest/index.ts";
import { fakeNode } from "../../src/envtest/workloads.ts";
import { eventually } from "./eventually.ts";

const STARTUP_TAINTS = new Set(["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]);

/**
 * Adds the kwok node `name` (kwok runs with --manage-all-nodes, so it takes it over) and resolves once it is
 * Ready and free of the start-up taints, i.e. once the scheduler may put pods on it.
 */
export async function addFakeNode(cp: ControlPlane, name: string): Promise<void> {
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNode({ body: fakeNode(name) });
  await eventually(
    `node ${name} schedulable`,
    async () => {
      const node = await core.readNode({ name });
      if (!(node.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")) return false;
      const taints = node.spec?.taints ?? [];
      if (!taints.some((t) => STARTUP_TAINTS.has(t.key))) return true;
      // The node-lifecycle controller lifts them only on its next pass; kwok reports Ready, which is what it checks.
      await core.patchNode(
        { name, body: { spec: { taints: taints.filter((t) => !STARTUP_TAINTS.has(t.key)) } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
      return false;
    },
    60_000,
    200,
  );
}

/** Cordons (`kubectl cordon`) or uncordons a node. */
export async function setCordoned(cp: ControlPlane, name: string, cordoned: boolean): Promise<V1Node> {
  return cp.kubeConfig
    .makeApiClient(CoreV1Api)
    .patchNode({ name, body: { spec: { unschedulable: cordoned } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
}
