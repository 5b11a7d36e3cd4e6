/**
 * The process node's agent, a small kubelet: registers a Node, keeps it alive (status heartbeat and a Lease in
 * `kube-node-lease`), runs every pod bound to it as local processes (`pod-worker.ts`), keeps pods' hosts files in
 * step with Services and the ready pods they select, and serves `kubectl logs` (`kubelet-server.ts`).
 *
 * It runs as its own process beside the control plane (like kwok), started by the harness. Every process it
 * starts dies with it (the kernel's parent-death signal), and it goes when its parent goes: a SIGKILLed test
 * run or sandbox leaves no pod behind. Its pods' processes are also in a pid record of its own, for the reaper.
 */
import { cpus, hostname as machineHostname, release, totalmem } from "node:os";
import { join } from "node:path";
import type { KubernetesObject, V1Pod, V1Service } from "@kubernetes/client-node";
import { Informer, isConflict, isNotFound, KubeRest, PatchType, type JsonLogger, type KindInfo } from "../../runtime/index.ts";
import { PidRecordFile } from "../pid-records.ts";
import { canonicalExecutable, processStartTime } from "../process-identity.ts";
import type { NodeTools } from "./container-process.ts";
import { startKubeletServer, type LogLookup } from "./kubelet-server.ts";
import { PodAddressBlock, renderHostsFile, type ServiceAddresses } from "./pod-network.ts";
import { PodWorker } from "./pod-worker.ts";
import type { VolumeLookup } from "./volumes.ts";

/** The Node's address: every pod address and the API server are on this machine's loopback. */
export const NODE_IP = "127.0.0.1";
/** Label that marks a process node (schedulers and tests can select it). */
export const PROCESS_NODE_LABEL = "mysqlop.dev/process-node";

const HEARTBEAT_MS = 10_000;
const LEASE_SECONDS = 40;
const STRATEGIC_MERGE = "application/strategic-merge-patch+json";

const KINDS = {
  pods: { apiVersion: "v1", kind: "Pod", plural: "pods", namespaced: true },
  services: { apiVersion: "v1", kind: "Service", plural: "services", namespaced: true },
  endpointSlices: { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", plural: "endpointslices", namespaced: true },
} satisfies Record<string, KindInfo>;

/** What the agent needs to start. */
export interface NodeAgentOptions {
  rest: KubeRest;
  nodeName: string;
  /** The node's directory: pods, hostPath volumes (`host/`). */
  dir: string;
  tools: NodeTools;
  tls: { certFile: string; keyFile: string; caFile: string };
  log: JsonLogger;
}

interface EndpointSlice extends KubernetesObject {
  endpoints?: { addresses?: string[]; conditions?: { ready?: boolean } }[];
}

function nowTime(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

function microTime(): string {
  return new Date().toISOString().replace(/Z$/, "000Z");
}

/** Decoded Secret data. */
function decoded(data: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
}

/** Runs pods bound to one Node as processes of this machine. */
export class NodeAgent {
  readonly #opts: NodeAgentOptions;
  readonly #rest: KubeRest;
  readonly #log: JsonLogger;
  readonly #workers = new Map<string, PodWorker>();
  readonly #informers: Informer[] = [];
  readonly #addresses: PodAddressBlock;
  readonly #record: PidRecordFile;
  #kubeletPort = 0;
  #closeServer: (() => Promise<void>) | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #pods: Informer | undefined;
  #services: Informer | undefined;
  #slices: Informer | undefined;
  #hostsTimer: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined;
  readonly #since = nowTime();

  constructor(opts: NodeAgentOptions) {
    this.#opts = opts;
    this.#rest = opts.rest;
    this.#log = opts.log;
    this.#addresses = PodAddressBlock.acquire();
    // Its own record, owner this process: should the parent-death signal ever miss a pod, the reaper still finds it.
    this.#record = new PidRecordFile("");
  }

  /** Serves the kubelet endpoint, registers the Node and starts watching pods. */
  async start(): Promise<void> {
    const server = await startKubeletServer({ ...this.#opts.tls, host: NODE_IP, findLog: (ns, pod, c, previous) => this.#findLog(ns, pod, c, previous) });
    this.#kubeletPort = server.port;
    this.#closeServer = server.close;
    this.#record.setPorts([server.port]);
    await this.#register();
    this.#heartbeat = setInterval(() => void this.#beat().catch((error: unknown) => this.#log.warn("heartbeat failed", { error })), HEARTBEAT_MS);
    const informer = (kind: KindInfo): Informer => {
      const i = new Informer({ rest: this.#rest, kind, log: this.#log, resyncMs: 0 });
      this.#informers.push(i);
      return i;
    };
    this.#services = informer(KINDS.services);
    this.#slices = informer(KINDS.endpointSlices);
    this.#pods = informer(KINDS.pods);
    this.#services.onEvent(() => this.#hostsChanged());
    this.#slices.onEvent(() => this.#hostsChanged());
    this.#pods.onEvent((event) => {
      const pod = event.object as V1Pod;
      this.#hostsChanged();
      if (pod.spec?.nodeName !== this.#opts.nodeName) return;
      if (event.type === "delete") void this.#podGone(pod);
      else this.#podSeen(pod);
    });
    for (const i of this.#informers) void i.start();
    this.#log.info("process node ready", { node: this.#opts.nodeName, kubeletPort: this.#kubeletPort, podAddresses: `${this.#addresses.prefix}.0/24` });
  }

  /** Stops every pod (SIGTERM, at most `graceMs`, SIGKILL), the watches and the endpoint. Idempotent. */
  stop(graceMs: number): Promise<void> {
    this.#stopping ??= (async () => {
      clearInterval(this.#heartbeat);
      clearTimeout(this.#hostsTimer);
      for (const i of this.#informers) i.stop();
      await Promise.all([...this.#workers.values()].map((w) => w.shutdown(graceMs)));
      await this.#closeServer?.();
      await this.#rest.close();
      this.#addresses.close();
      this.#record.remove();
    })();
    return this.#stopping;
  }

  #podSeen(pod: V1Pod): void {
    const uid = pod.metadata?.uid ?? "";
    let worker = this.#workers.get(uid);
    if (worker === undefined) {
      if (this.#stopping !== undefined) return;
      worker = new PodWorker(pod, this.#workerDeps());
      this.#workers.set(uid, worker);
    }
    worker.update(pod);
  }

  async #podGone(pod: V1Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? "";
    const worker = this.#workers.get(uid);
    if (worker === undefined) return;
    await worker.gone();
    this.#workers.delete(uid);
  }

  #workerDeps(): ConstructorParameters<typeof PodWorker>[1] {
    return {
      nodeName: this.#opts.nodeName,
      hostIP: NODE_IP,
      tools: this.#opts.tools,
      hostRoot: join(this.#opts.dir, "host"),
      podsDir: join(this.#opts.dir, "pods"),
      lookup: this.#lookup(),
      allocateIP: () => this.#addresses.allocate(),
      releaseIP: (ip) => this.#addresses.release(ip),
      hostsFile: (pod, podIP) =>
        renderHostsFile(
          { namespace: pod.metadata?.namespace ?? "default", hostname: pod.spec?.hostname ?? pod.metadata?.name ?? "", podIP, subdomain: pod.spec?.subdomain },
          this.#serviceAddresses(),
          this.#addresses.unservedAddress,
        ),
      patchStatus: async (pod, status) => {
        await this.#rest.request("PATCH", `/api/v1/namespaces/${pod.metadata?.namespace}/pods/${pod.metadata?.name}/status`, {
          body: { metadata: { uid: pod.metadata?.uid }, status },
          contentType: STRATEGIC_MERGE,
        });
      },
      deletePod: async (pod) => {
        try {
          await this.#rest.request("DELETE", `/api/v1/namespaces/${pod.metadata?.namespace}/pods/${pod.metadata?.name}`, {
            body: { kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid } },
          });
        } catch (error) {
          if (!isNotFound(error) && !isConflict(error)) throw error;
        }
      },
      event: (pod, type, reason, message, container) => void this.#event(pod, type, reason, message, container),
      processStarted: (pid, name) =>
        this.#record.addProcess({ name, pid, exe: canonicalExecutable(this.#opts.tools.setpriv), startTime: processStartTime(pid) }),
      processGone: (pid) => this.#record.removeProcess(pid),
      log: this.#log,
    };
  }

  #lookup(): VolumeLookup {
    const get = async <T>(path: string): Promise<T | undefined> => {
      try {
        return await this.#rest.get<T>(path);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    };
    return {
      configMap: async (ns, name) => {
        const cm = await get<{ data?: Record<string, string>; binaryData?: Record<string, string> }>(
          `/api/v1/namespaces/${ns}/configmaps/${encodeURIComponent(name)}`,
        );
        return cm === undefined ? undefined : { ...cm.data, ...decoded(cm.binaryData) };
      },
      secret: async (ns, name) => {
        const secret = await get<{ data?: Record<string, string> }>(`/api/v1/namespaces/${ns}/secrets/${encodeURIComponent(name)}`);
        return secret === undefined ? undefined : decoded(secret.data);
      },
      claim: (ns, name) => get(`/api/v1/namespaces/${ns}/persistentvolumeclaims/${encodeURIComponent(name)}`),
      persistentVolume: (name) => get(`/api/v1/persistentvolumes/${encodeURIComponent(name)}`),
    };
  }

  /**
   * Ready endpoint addresses per Service. A Service with a selector gets the ready pods it selects, computed here:
   * the EndpointSlice controller refuses loopback addresses (pod IPs here), so its slices stay empty. A Service
   * without a selector gets the addresses of its EndpointSlices (label `kubernetes.io/service-name`).
   */
  #serviceAddresses(): ServiceAddresses[] {
    const pods = (this.#pods?.list() ?? []) as V1Pod[];
    const slices = (this.#slices?.list() ?? []) as EndpointSlice[];
    return ((this.#services?.list() ?? []) as V1Service[]).map((svc) => {
      const namespace = svc.metadata?.namespace ?? "default";
      const name = svc.metadata?.name ?? "";
      const selector = Object.entries(svc.spec?.selector ?? {});
      const addresses = new Set<string>();
      if (selector.length > 0) {
        const unready = svc.spec?.publishNotReadyAddresses === true;
        for (const pod of pods) {
          if (pod.metadata?.namespace !== namespace || pod.metadata.deletionTimestamp !== undefined || pod.status?.podIP === undefined) continue;
          if (!selector.every(([k, v]) => pod.metadata?.labels?.[k] === v)) continue;
          const ready = pod.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
          if (ready || unready) addresses.add(pod.status.podIP);
        }
      } else {
        for (const slice of slices) {
          if (slice.metadata?.namespace !== namespace || slice.metadata.labels?.["kubernetes.io/service-name"] !== name) continue;
          for (const endpoint of slice.endpoints ?? []) if (endpoint.conditions?.ready !== false) for (const a of endpoint.addresses ?? []) addresses.add(a);
        }
      }
      return { namespace, name, addresses: [...addresses] };
    });
  }

  /** Services or endpoints changed: every pod's hosts file is rewritten, once per burst of changes. */
  #hostsChanged(): void {
    if (this.#hostsTimer !== undefined) return;
    this.#hostsTimer = setTimeout(() => {
      this.#hostsTimer = undefined;
      for (const worker of this.#workers.values()) worker.refreshHosts();
    }, 50);
  }

  #findLog(namespace: string, podName: string, container: string, previous: boolean): LogLookup {
    const pod = (this.#pods?.get(namespace, podName) as V1Pod | undefined) ?? undefined;
    const worker = pod === undefined ? undefined : this.#workers.get(pod.metadata?.uid ?? "");
    if (pod === undefined || worker === undefined)
      return { kind: "error", status: 404, message: `pod ${namespace}/${podName} is not on node ${this.#opts.nodeName}` };
    if (!worker.containerNames().includes(container)) {
      return { kind: "error", status: 400, message: `container ${container} is not valid for pod ${podName}` };
    }
    const file = worker.logFile(container, previous);
    if (file === undefined) {
      return {
        kind: "error",
        status: 400,
        message: previous
          ? `previous terminated container "${container}" in pod "${podName}" not found`
          : `container "${container}" in pod "${podName}" is waiting to start`,
      };
    }
    const live = (): boolean => !previous && worker.isRunning(container) && worker.logFile(container, false) === file;
    return { kind: "found", file, live };
  }

  #nodeStatus(): Record<string, unknown> {
    const time = nowTime();
    const condition = (type: string, status: string, reason: string, message: string) => ({
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: time,
      lastTransitionTime: this.#since,
    });
    const resources = { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: "110", "ephemeral-storage": "100Gi" };
    return {
      capacity: resources,
      allocatable: resources,
      conditions: [
        condition("Ready", "True", "KubeletReady", "process node agent is posting ready status"),
        condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "process node has sufficient memory available"),
        condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "process node has no disk pressure"),
        condition("PIDPressure", "False", "KubeletHasSufficientPID", "process node has sufficient PID available"),
      ],
      addresses: [
        { type: "InternalIP", address: NODE_IP },
        { type: "Hostname", address: this.#opts.nodeName },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: this.#kubeletPort } },
      nodeInfo: {
        machineID: "",
        systemUUID: "",
        bootID: "",
        kernelVersion: release(),
        osImage: `process node on ${machineHostname()}`,
        containerRuntimeVersion: "process-node://1",
        kubeletVersion: "process-node",
        kubeProxyVersion: "",
        operatingSystem: "linux",
        architecture: process.arch === "x64" ? "amd64" : process.arch,
      },
    };
  }

  async #register(): Promise<void> {
    const name = this.#opts.nodeName;
    const node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name,
        labels: {
          "kubernetes.io/hostname": name,
          "kubernetes.io/os": "linux",
          "kubernetes.io/arch": process.arch === "x64" ? "amd64" : process.arch,
          [PROCESS_NODE_LABEL]: "true",
        },
      },
      status: this.#nodeStatus(),
    };
    try {
      await this.#rest.request("POST", "/api/v1/nodes", { body: node });
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    await this.#beat();
  }

  /** Node status with fresh heartbeat times, and the Lease renewed: the node-lifecycle controller keeps the node Ready. */
  async #beat(): Promise<void> {
    const name = this.#opts.nodeName;
    await this.#rest.request("PATCH", `/api/v1/nodes/${name}/status`, { body: { status: this.#nodeStatus() }, contentType: STRATEGIC_MERGE });
    const lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name, namespace: "kube-node-lease" },
      spec: { holderIdentity: name, leaseDurationSeconds: LEASE_SECONDS, renewTime: microTime() },
    };
    await this.#rest.request("PATCH", `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`, {
      body: lease,
      contentType: PatchType.apply,
      query: { fieldManager: "process-node", force: true },
    });
  }

  async #event(pod: V1Pod, type: "Normal" | "Warning", reason: string, message: string, container?: string): Promise<void> {
    const namespace = pod.metadata?.namespace ?? "default";
    const time = nowTime();
    try {
      await this.#rest.request("POST", `/api/v1/namespaces/${namespace}/events`, {
        body: {
          apiVersion: "v1",
          kind: "Event",
          metadata: { generateName: `${pod.metadata?.name}.`, namespace },
          involvedObject: {
            apiVersion: "v1",
            kind: "Pod",
            namespace,
            name: pod.metadata?.name,
            uid: pod.metadata?.uid,
            ...(container === undefined ? {} : { fieldPath: `spec.containers{${container}}` }),
          },
          type,
          reason,
          message,
          source: { component: "kubelet", host: this.#opts.nodeName },
          firstTimestamp: time,
          lastTimestamp: time,
          count: 1,
        },
      });
    } catch (error) {
      this.#log.debug("cannot record an event", { error, reason });
    }
  }
}
