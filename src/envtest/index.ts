/**
 * mysqlop's envtest: a real Kubernetes control plane (etcd, kube-apiserver and, on request, kube-controller-manager,
 * kube-scheduler and kwok) for integration tests and `mysqlop sandbox`.
 * @packageDocumentation
 */
export { startControlPlane, type ComponentStatus, type ControlPlane, type StartControlPlaneOptions } from "./control-plane.ts";
export { findBinaries, cachedBinDir, PINNED_VERSIONS, type BinaryPaths } from "./binaries.ts";
export { ComponentStartError, lastLines, type ExitStatus } from "./component-process.ts";
export { reapLeftovers, pidRecordDir, type ReapReport } from "./pid-records.ts";
export { FAKE_NODE_NAME } from "./workloads.ts";
