// Every attempt (pod) of every Job in a namespace, as it ends: a watch, not a poll, so no attempt is missed however
// short it was, and the record outlives the pods (the garbage collector takes them with their Job).
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, Watch, type KubeConfig, type V1Pod } from "@kubernetes/client-node";

/** One attempt (pod) of a Job. */
export interface JobAttempt {
  readonly pod: string;
  /** The uid of the Job that owns the pod: two uids under one name mean the Job was made twice. */
  readonly jobUid: string;
  /** Undefined while the attempt runs (or if its pod went before its container ended). */
  readonly exitCode: number | undefined;
  readonly reason: string;
  /** A failed attempt's log, read as it ended: undefined until read, "(gone)" when the pod went first; "" otherwise. */
  readonly log: string | undefined;
  /** The pod was deleted; with `exitCode` undefined, before the watch saw its container end. */
  readonly deleted?: boolean;
}

/** What {@link watchJobAttempts} saw; `stop()` ends the watch. */
export interface JobAttempts {
  /** Every attempt of the Job `name` (any incarnation) since the watch started, in the order they were created. */
  of(name: string): JobAttempt[];
  /** Why the watch could not go on (then attempts may be missing), else undefined. */
  readonly lostBecause: string | undefined;
  stop(): void;
}

const JOB_NAME_LABEL = "batch.kubernetes.io/job-name";

/** Starts watching the pods of every Job in `namespace`; resolves once the watch is open. */
export async function watchJobAttempts(kubeConfig: KubeConfig, namespace: string): Promise<JobAttempts> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const byJob = new Map<string, Map<string, JobAttempt>>();
  let stopped = false;
  let lostBecause: string | undefined;
  const seen = (pod: V1Pod, deleted = false): void => {
    const job = pod.metadata?.labels?.[JOB_NAME_LABEL];
    const name = pod.metadata?.name ?? "";
    if (job === undefined) return;
    const attempts = byJob.get(job) ?? new Map<string, JobAttempt>();
    byJob.set(job, attempts);
    if (attempts.get(name)?.exitCode !== undefined) return;
    const ended = pod.status?.containerStatuses?.[0]?.state?.terminated;
    const attempt = { pod: name, jobUid: pod.metadata?.ownerReferences?.[0]?.uid ?? "", exitCode: ended?.exitCode, reason: ended?.reason ?? "", deleted };
    const failed = ended !== undefined && ended.exitCode !== 0;
    attempts.set(name, { ...attempt, log: failed ? undefined : "" });
    if (failed)
      void core.readNamespacedPodLog({ namespace, name }).then(
        (log) => attempts.set(name, { ...attempt, log }),
        () => attempts.set(name, { ...attempt, log: "(gone)" }),
      );
  };
  // A watch that ends (the client aborts one silent for 30 s; the server closes them now and then) is opened again
  // from the last resourceVersion it delivered, so no change is missed. Only "too old" (410) would lose changes.
  const listed = await core.listNamespacedPod({ namespace, labelSelector: JOB_NAME_LABEL });
  for (const pod of listed.items) seen(pod);
  let resourceVersion = listed.metadata?.resourceVersion ?? "";
  let controller: AbortController | undefined;
  const open = async (): Promise<void> => {
    if (stopped || lostBecause !== undefined) return;
    controller = await new Watch(kubeConfig).watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { labelSelector: JOB_NAME_LABEL, resourceVersion, allowWatchBookmarks: true },
      (type: string, object: V1Pod & { code?: number; message?: string }) => {
        if (type === "ERROR") {
          lostBecause = `watch error ${object.code}: ${object.message}`;
          return;
        }
        resourceVersion = object.metadata?.resourceVersion ?? resourceVersion;
        if (type !== "BOOKMARK") seen(object, type === "DELETED");
      },
      // A pause first, so that an API server that is going away is not asked in a tight loop.
      () =>
        void sleep(200)
          .then(open)
          .catch((error: unknown) => (lostBecause = String(error))),
    );
  };
  await open();
  return {
    of: (name) => [...(byJob.get(name)?.values() ?? [])],
    get lostBecause() {
      return lostBecause;
    },
    stop: () => {
      stopped = true;
      controller?.abort();
    },
  };
}
