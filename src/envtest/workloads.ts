import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Node } from "@kubernetes/client-node";
import type { BinaryPaths } from "./binaries.ts";
import type { ControlPlaneCertificates } from "./certificates.ts";
import { ComponentStartError, type ComponentProcess } from "./component-process.ts";

/** Name of the one fake Node kwok pretends to run pods on. */
export const FAKE_NODE_NAME = "kwok-node-0";

// Taints the API server's admission (TaintNodesByCondition) puts on a new Node until it reports Ready.
const STARTUP_TAINT_KEYS = new Set(["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]);

// Controllers off: those that need a cloud, node CIDR allocation, or token Secrets nobody uses here.
const CONTROLLERS = "*,-nodeipam,-ttl,-bootstrapsigner,-tokencleaner,-cloud-node-lifecycle";

/** What {@link startWorkloads} needs from the control plane that calls it. */
export interface WorkloadContext {
  binaries: Required<BinaryPaths>;
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  certs: ControlPlaneCertificates;
  spawn: (name: string, binary: string, args: string[]) => Promise<ComponentProcess>;
  readyTimeoutMs: number;
  log: (line: string) => void;
}

/** The fake Node: big enough for any test, and annotated so kwok (also run with --manage-all-nodes) takes it. */
export function fakeNode(name: string = FAKE_NODE_NAME): V1Node {
  const resources = { cpu: "32", memory: "256Gi", pods: "110", "ephemeral-storage": "1Ti" };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", type: "kwok" },
    },
    status: { allocatable: resources, capacity: resources },
  };
}

function isReady(node: V1Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

function startupTaints(node: V1Node): boolean {
  return (node.spec?.taints ?? []).some((t) => STARTUP_TAINT_KEYS.has(t.key));
}

/** True once the fake node is Ready without start-up taints; lifts those taints itself when kwok reports Ready. */
async function nodeSchedulable(core: CoreV1Api, report: (state: string) => void): Promise<boolean> {
  const node = await core.readNode({ name: FAKE_NODE_NAME });
  report(`Ready=${isReady(node)}, taints=${JSON.stringify(node.spec?.taints ?? [])}`);
  if (!isReady(node)) return false;
  if (!startupTaints(node)) return true;
  // The node-lifecycle controller lifts the taint only on its next monitor pass (seconds later); kwok reports
  // Ready, which is what that controller checks, so lift it now. A controller re-adding it is seen on the next poll.
  const taints = (node.spec?.taints ?? []).filter((t) => !STARTUP_TAINT_KEYS.has(t.key));
  await core.patchNode({ name: FAKE_NODE_NAME, body: { spec: { taints } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
  return false;
}

/**
 * Starts kube-controller-manager (Deployment/ReplicaSet, Job, garbage collector, node lifecycle, …),
 * kube-scheduler and kwok, creates one fake Node and resolves once that Node is Ready and free of start-up
 * taints, so that the next pod is scheduled and driven to Running (or Succeeded for Job pods) by kwok.
 * Resolves to the kube-controller-manager process, which the control plane restarts when a CRD is added.
 */
export async function startWorkloads(ctx: WorkloadContext): Promise<ComponentProcess> {
  const { binaries, kubeconfigPath, certs } = ctx;
  const started = performance.now();
  const components = await Promise.all([
    ctx.spawn("kube-controller-manager", binaries.kubeControllerManager, [
      `--kubeconfig=${kubeconfigPath}`,
      "--leader-elect=false",
      "--secure-port=0",
      `--service-account-private-key-file=${certs.serviceAccountKeyFile}`,
      `--root-ca-file=${certs.caCertFile}`,
      "--use-service-account-credentials=false",
      `--controllers=${CONTROLLERS}`,
      // Garbage collection and Job/ReplicaSet syncs react within a second in a test instead of after backoff.
      "--concurrent-gc-syncs=5",
    ]),
    ctx.spawn("kube-scheduler", binaries.kubeScheduler, [`--kubeconfig=${kubeconfigPath}`, "--leader-elect=false", "--secure-port=0"]),
    ctx.spawn("kwok", binaries.kwok, [
      `--kubeconfig=${kubeconfigPath}`,
      `--config=${binaries.kwokStages}`,
      "--manage-all-nodes=true",
      "--cidr=10.0.1.0/24",
      "--node-ip=10.0.0.1",
      // The heartbeat-with-lease stage updates node status only every ~10 minutes and counts on a renewed Lease;
      // without one the node-lifecycle controller marks the node Unknown and taints it after ~50 s.
      "--node-lease-duration-seconds=40",
      // kwok serves metrics/health only when given an address; a fixed default would collide between runs.
      "--server-address=",
    ]),
  ]);
  const core = ctx.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNode({ body: fakeNode() });
  let last = "not seen yet";
  const deadline = Date.now() + ctx.readyTimeoutMs;
  for (;;) {
    const dead = components.find((c) => c.exitStatus !== undefined);
    if (dead !== undefined) {
      const { code, signal } = dead.exitStatus ?? { code: null, signal: null };
      throw new ComponentStartError(dead.name, `exited before the fake node was ready (code ${code}, signal ${signal})`, dead.logFile, dead.logTail());
    }
    try {
      if (await nodeSchedulable(core, (state) => (last = state))) break;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() >= deadline) {
      // kwok drives the node's status; the controller manager its taints: both logs matter here.
      const [kcm, , kwok] = components;
      const tails = [kwok, kcm].map((c) => (c === undefined ? "" : `--- ${c.name} (${c.logFile}) ---\n${c.logTail(20)}`)).join("\n");
      throw new ComponentStartError(
        "kwok",
        `did not make node ${FAKE_NODE_NAME} schedulable within ${ctx.readyTimeoutMs / 1000} s (${last})`,
        kwok?.logFile ?? "",
        tails,
      );
    }
    await sleep(100);
  }
  ctx.log(`envtest: kube-controller-manager, kube-scheduler, kwok and node ${FAKE_NODE_NAME} ready in ${Math.round(performance.now() - started)} ms`);
  const [controllerManager] = components;
  if (controllerManager === undefined) throw new Error("kube-controller-manager was not started");
  return controllerManager;
}
