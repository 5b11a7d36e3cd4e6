/**
 * mysqlop's envtest: a real Kubernetes control plane (etcd, kube-apiserver and, on request, kube-controller-manager,
 * kube-scheduler and one Node: kwok's fake one, or the process node that runs pods as processes of this machine)
 * for integration tests and `mysqlop sandbox`.
 *
 * ```ts
 * let cp: ControlPlane;
 * before(async () => { cp = await startControlPlane({ workloads: "process", crds: ["deploy/crd.yaml"] }); });
 * after(() => cp.stop());
 * ```
 *
 * Binaries: `TEST_ASSET_*`, then `KUBEBUILDER_ASSETS`, then the cache filled by `npm run envtest:build`.
 * Processes are recorded under `<cache>/run/` (cache = `MYSQLOP_CACHE` or `~/.cache/mysqlop`), so a start after
 * a SIGKILLed run reaps what that run left behind.
 * @packageDocumentation
 */
export { startControlPlane, type ComponentStatus, type ControlPlane, type StartControlPlaneOptions } from "./control-plane.ts";
export { findBinaries, cachedBinDir, PINNED_VERSIONS, type BinaryPaths } from "./binaries.ts";
export { ComponentStartError, lastLines, type ExitStatus } from "./component-process.ts";
export { reapLeftovers, pidRecordDir, type ReapReport } from "./pid-records.ts";
export { FAKE_NODE_NAME, PROCESS_NODE_NAME } from "./workloads.ts";
export type { NodeKind } from "./binaries.ts";
export { preferredNodeKind, processNodeProblems } from "./process-node/support.ts";
export { eventually } from "./eventually.ts";
