/**
 * A pod's status as a kubelet reports it, computed from what the process node knows about its containers: the
 * phase by the kubelet's own rules (`getPhase` in pkg/kubelet/kubelet_pods.go), the standard conditions and one
 * status per container. Pure, so that the rules are tested as tables.
 */

/** Waiting, running or terminated, as in `V1ContainerState` (JSON form: times are RFC 3339 strings). */
export type ContainerState =
  | { readonly kind: "waiting"; readonly reason: string; readonly message?: string }
  | { readonly kind: "running"; readonly startedAt: string }
  | {
      readonly kind: "terminated";
      readonly exitCode: number;
      readonly signal?: number;
      readonly reason: string;
      readonly message?: string;
      readonly startedAt?: string;
      readonly finishedAt: string;
      readonly containerID?: string;
    };

/** What the node knows about one container of a pod. */
export interface ContainerRecord {
  readonly name: string;
  readonly image: string;
  readonly state: ContainerState;
  /** The run before the current one, when it ended. */
  readonly lastTerminated?: Extract<ContainerState, { kind: "terminated" }>;
  readonly restartCount: number;
  /** Readiness: the readiness probe's verdict, or true once running when it has none. */
  readonly ready: boolean;
  /** Started: the startup probe passed (or there is none) and it runs. */
  readonly started: boolean;
  readonly containerID?: string;
}

/** What the node knows about one pod. */
export interface PodRecord {
  readonly restartPolicy: "Always" | "OnFailure" | "Never";
  readonly initContainers: readonly ContainerRecord[];
  readonly containers: readonly ContainerRecord[];
  /** Set once the pod has its address and volumes (its "sandbox"). */
  readonly podIP?: string;
  readonly hostIP: string;
  readonly startTime: string;
  /** The pod is being deleted and its containers will not run again: the phase becomes terminal. */
  readonly terminal: boolean;
}

/** A pod condition in JSON form. */
export interface PodCondition {
  type: string;
  status: "True" | "False";
  reason?: string;
  message?: string;
  lastTransitionTime: string;
  lastProbeTime: null;
}

/** The phase by the kubelet's rules (regular init containers only; no sidecars). */
export function podPhase(pod: PodRecord): "Pending" | "Running" | "Succeeded" | "Failed" {
  let pendingInitialization = 0;
  let failedInitialization = 0;
  for (const c of pod.initContainers) {
    const s = c.state;
    if (s.kind === "running") pendingInitialization++;
    else if (s.kind === "terminated") {
      if (s.exitCode !== 0) failedInitialization++;
    } else if (c.lastTerminated !== undefined) {
      if (c.lastTerminated.exitCode !== 0) failedInitialization++;
    } else pendingInitialization++;
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of pod.containers) {
    const s = c.state;
    if (s.kind === "running") running++;
    else if (s.kind === "terminated") {
      stopped++;
      if (s.exitCode === 0) succeeded++;
    } else if (c.lastTerminated !== undefined) stopped++;
    else waiting++;
  }
  if (failedInitialization > 0 && pod.restartPolicy === "Never") return "Failed";
  // Being deleted and stopped for good: terminal whatever the restart policy (so a Job counts the pod).
  if (pod.terminal && running === 0) return stopped === succeeded && stopped === pod.containers.length ? "Succeeded" : "Failed";
  if (pendingInitialization > 0 || waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped > 0) {
    if (pod.restartPolicy === "Always") return "Running";
    if (stopped === succeeded) return "Succeeded";
    if (pod.restartPolicy === "Never") return "Failed";
    return "Running";
  }
  return "Pending";
}

function containerStatus(c: ContainerRecord, imageID: string): Record<string, unknown> {
  const state = (s: ContainerState): Record<string, unknown> => {
    if (s.kind === "waiting") return { waiting: { reason: s.reason, ...(s.message === undefined ? {} : { message: s.message }) } };
    if (s.kind === "running") return { running: { startedAt: s.startedAt } };
    const { kind: _kind, ...terminated } = s;
    return { terminated };
  };
  return {
    name: c.name,
    image: c.image,
    imageID,
    ...(c.containerID === undefined ? {} : { containerID: c.containerID }),
    ready: c.ready,
    started: c.started,
    restartCount: c.restartCount,
    state: state(c.state),
    lastState: c.lastTerminated === undefined ? {} : state(c.lastTerminated),
  };
}

/** The image ID reported for every container: no image is pulled, the machine's programs run. */
export const LOCAL_IMAGE_ID = "process-node://local";

/**
 * The `status` of the pod (without PodScheduled, which the scheduler owns). `previous` conditions keep their
 * `lastTransitionTime` while their status stays the same; `now` stamps the ones that changed.
 */
export function podStatus(pod: PodRecord, previous: readonly PodCondition[], now: string): Record<string, unknown> {
  const phase = podPhase(pod);
  const done = phase === "Succeeded" || phase === "Failed";
  const initialized = pod.initContainers.every((c) => c.state.kind === "terminated" && c.state.exitCode === 0);
  const notReady = pod.containers.filter((c) => !c.ready).map((c) => c.name);
  const containersReady = !done && notReady.length === 0;
  const why = done
    ? { reason: "PodCompleted" }
    : notReady.length > 0
      ? { reason: "ContainersNotReady", message: `containers with unready status: [${notReady.join(" ")}]` }
      : {};
  const wanted: Omit<PodCondition, "lastTransitionTime" | "lastProbeTime">[] = [
    { type: "PodReadyToStartContainers", status: pod.podIP !== undefined && !done ? "True" : "False" },
    {
      type: "Initialized",
      status: initialized || done ? "True" : "False",
      ...(initialized || done ? {} : { reason: "ContainersNotInitialized", message: "containers with incomplete status" }),
    },
    { type: "Ready", status: containersReady ? "True" : "False", ...(containersReady ? {} : why) },
    { type: "ContainersReady", status: containersReady ? "True" : "False", ...(containersReady ? {} : why) },
  ];
  const conditions: PodCondition[] = wanted.map((c) => {
    const before = previous.find((p) => p.type === c.type);
    return { ...c, lastProbeTime: null, lastTransitionTime: before !== undefined && before.status === c.status ? before.lastTransitionTime : now };
  });
  const ips = pod.podIP === undefined ? {} : { podIP: pod.podIP, podIPs: [{ ip: pod.podIP }] };
  return {
    phase,
    conditions,
    hostIP: pod.hostIP,
    hostIPs: [{ ip: pod.hostIP }],
    ...ips,
    startTime: pod.startTime,
    ...(pod.initContainers.length > 0 ? { initContainerStatuses: pod.initContainers.map((c) => containerStatus(c, LOCAL_IMAGE_ID)) } : {}),
    containerStatuses: pod.containers.map((c) => containerStatus(c, LOCAL_IMAGE_ID)),
  };
}
