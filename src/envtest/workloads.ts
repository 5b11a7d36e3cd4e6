/**
 * The workload half of a control plane: kube-controller-manager (Deployments, Jobs, garbage collection, node
 * lifecycle, EndpointSlices), kube-scheduler, and one Node that runs what is scheduled to it: kwok's fake node
 * (pods marked Running and Succeeded, nothing executes) or the process node (pods run as processes of this
 * machine, see `process-node/`).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Node } from "@kubernetes/client-node";
import type { NodeKind, WorkloadBinaries } from "./binaries.ts";
import type { ControlPlaneCertificates } from "./certificates.ts";
import { ComponentStartError, type ComponentProcess } from "./component-process.ts";
import type { ComponentSpec } from "./supervisor.ts";

/** Name of the one fake Node kwok pretends to run pods on. */
export const FAKE_NODE_NAME = "kwok-node-0";
/** Name of the process node. */
export const PROCESS_NODE_NAME = "process-node-0";
/** The process node's directory inside the control plane's temp dir: `pods/`, and `host/` for hostPath volumes. */
export const PROCESS_NODE_DIR = "process-node";

// Taints the API server's admission (TaintNodesByCondition) puts on a new Node until it reports Ready.
const STARTUP_TAINT_KEYS = new Set(["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]);

// Controllers off: those that need a cloud, node CIDR allocation, or token Secrets nobody uses here.
const CONTROLLERS = "*,-nodeipam,-ttl,-bootstrapsigner,-tokencleaner,-cloud-node-lifecycle";

// The process node gives its pods this long to stop when it is stopped; the harness waits a little longer.
const PROCESS_NODE_POD_GRACE_SECONDS = 10;

/** What {@link startWorkloads} needs from the control plane that calls it. */
export interface WorkloadContext {
  binaries: WorkloadBinaries;
  nodes: NodeKind;
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  certs: ControlPlaneCertificates;
  /** The control plane's temp dir (the process node keeps its pods and volumes below it). */
  tempDir: string;
  spawn: (spec: ComponentSpec) => Promise<ComponentProcess>;
  readyTimeoutMs: number;
  log: (line: string) => void;
}

/** What is running once {@link startWorkloads} resolved. */
export interface Workloads {
  /** Restarted by the control plane when a CRD is added. */
  controllerManager: ComponentProcess;
  /** The Node pods are scheduled to. */
  nodeName: string;
  /** Ports the node listens on (the process node's kubelet endpoint), for teardown to wait on. */
  ports: number[];
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

/** True once the node is Ready without start-up taints; lifts those taints itself once it reports Ready. */
async function nodeSchedulable(core: CoreV1Api, name: string, report: (state: string) => void): Promise<V1Node | undefined> {
  const node = await core.readNode({ name });
  report(`Ready=${isReady(node)}, taints=${JSON.stringify(node.spec?.taints ?? [])}`);
  if (!isReady(node)) return undefined;
  if (!startupTaints(node)) return node;
  // The node-lifecycle controller lifts the taint only on its next monitor pass (seconds later); the node reports
  // Ready, which is what that controller checks, so lift it now. A controller re-adding it is seen on the next poll.
  const taints = (node.spec?.taints ?? []).filter((t) => !STARTUP_TAINT_KEYS.has(t.key));
  await core.patchNode({ name, body: { spec: { taints } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
  return undefined;
}

/** The process node agent's entry point, beside this module (same extension, so a compiled copy finds its own). */
function processNodeMain(): string {
  const ext = fileURLToPath(import.meta.url).endsWith(".js") ? ".js" : ".ts";
  return fileURLToPath(new URL(`./process-node/agent-main${ext}`, import.meta.url));
}

/** The component that runs the node: kwok with its stages, or the process node agent. */
function nodeComponent(ctx: WorkloadContext): { spec: ComponentSpec; nodeName: string; create?: V1Node } {
  if (ctx.nodes === "process") {
    const dir = join(ctx.tempDir, PROCESS_NODE_DIR);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { certs } = ctx;
    return {
      nodeName: PROCESS_NODE_NAME,
      spec: {
        name: "process-node",
        binary: process.execPath,
        args: [
          processNodeMain(),
          `--kubeconfig=${ctx.kubeconfigPath}`,
          `--node-name=${PROCESS_NODE_NAME}`,
          `--dir=${dir}`,
          `--tls-cert=${certs.kubeletServingCertFile}`,
          `--tls-key=${certs.kubeletServingKeyFile}`,
          `--client-ca=${certs.caCertFile}`,
          `--stop-grace-seconds=${PROCESS_NODE_POD_GRACE_SECONDS}`,
        ],
        stopGraceMs: (PROCESS_NODE_POD_GRACE_SECONDS + 5) * 1000,
      },
    };
  }
  const { kwok, kwokStages } = ctx.binaries;
  if (kwok === undefined || kwokStages === undefined) throw new Error("the kwok node needs kwok and its stage files");
  return {
    nodeName: FAKE_NODE_NAME,
    create: fakeNode(),
    spec: {
      name: "kwok",
      binary: kwok,
      args: [
        `--kubeconfig=${ctx.kubeconfigPath}`,
        `--config=${kwokStages}`,
        "--manage-all-nodes=true",
        // Pod IPs outside the Service range, for 65 534 pods (a /24 ran out at 254).
        "--cidr=10.1.0.0/16",
        "--node-ip=10.0.0.1",
        // The heartbeat-with-lease stage updates node status only every ~10 minutes and counts on a renewed Lease;
        // without one the node-lifecycle controller marks the node Unknown and taints it after ~50 s.
        "--node-lease-duration-seconds=40",
        // kwok serves metrics/health only when given an address; a fixed default would collide between runs.
        "--server-address=",
      ],
    },
  };
}

/**
 * Starts kube-controller-manager, kube-scheduler and the node's component, and resolves once the Node is Ready
 * and free of start-up taints, so that the next pod is scheduled to it.
 */
export async function startWorkloads(ctx: WorkloadContext): Promise<Workloads> {
  const { binaries, kubeconfigPath, certs } = ctx;
  const started = performance.now();
  const node = nodeComponent(ctx);
  const components = await Promise.all([
    ctx.spawn({
      name: "kube-controller-manager",
      binary: binaries.kubeControllerManager,
      args: [
        `--kubeconfig=${kubeconfigPath}`,
        "--leader-elect=false",
        "--secure-port=0",
        `--service-account-private-key-file=${certs.serviceAccountKeyFile}`,
        `--root-ca-file=${certs.caCertFile}`,
        "--use-service-account-credentials=false",
        `--controllers=${CONTROLLERS}`,
        // Garbage collection and Job/ReplicaSet syncs react within a second in a test instead of after backoff.
        "--concurrent-gc-syncs=5",
      ],
    }),
    ctx.spawn({ name: "kube-scheduler", binary: binaries.kubeScheduler, args: [`--kubeconfig=${kubeconfigPath}`, "--leader-elect=false", "--secure-port=0"] }),
    ctx.spawn(node.spec),
  ]);
  const core = ctx.kubeConfig.makeApiClient(CoreV1Api);
  if (node.create !== undefined) await core.createNode({ body: node.create });
  let last = "not seen yet";
  const deadline = Date.now() + ctx.readyTimeoutMs;
  let ready: V1Node | undefined;
  for (;;) {
    const dead = components.find((c) => c.exitStatus !== undefined);
    if (dead !== undefined) {
      const { code, signal } = dead.exitStatus ?? { code: null, signal: null };
      throw new ComponentStartError(dead.name, `exited before node ${node.nodeName} was ready (code ${code}, signal ${signal})`, dead.logFile, dead.logTail());
    }
    try {
      ready = await nodeSchedulable(core, node.nodeName, (state) => (last = state));
      if (ready !== undefined) break;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() >= deadline) {
      // The node's component drives its status; the controller manager its taints: both logs matter here.
      const [kcm, , nodeProcess] = components;
      const tails = [nodeProcess, kcm].map((c) => (c === undefined ? "" : `--- ${c.name} (${c.logFile}) ---\n${c.logTail(20)}`)).join("\n");
      throw new ComponentStartError(
        node.spec.name,
        `did not make node ${node.nodeName} schedulable within ${ctx.readyTimeoutMs / 1000} s (${last})`,
        nodeProcess?.logFile ?? "",
        tails,
      );
    }
    await sleep(100);
  }
  ctx.log(
    `envtest: kube-controller-manager, kube-scheduler, ${node.spec.name} and node ${node.nodeName} ready in ${Math.round(performance.now() - started)} ms`,
  );
  const [controllerManager] = components;
  if (controllerManager === undefined) throw new Error("kube-controller-manager was not started");
  const kubeletPort = ready.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  return { controllerManager, nodeName: node.nodeName, ports: kubeletPort !== undefined && kubeletPort > 0 ? [kubeletPort] : [] };
}
