/**
 * Where a resource's volumes come from, decided once at creation and kept for its life
 * (`status.storage`): the StorageClass the spec names; else the cluster's default StorageClass,
 * with claims that name no class (as the original's claim on minikube); else, or when
 * `spec.hostPath` asks, hostPath volumes the operator makes, pinned to one node with
 * `nodeAffinity` like local volumes, so the server and every Job that mounts them run where the
 * data is. A live resource never changes mode: a default StorageClass added later does not move
 * a hostPath resource, and the mode of an existing claim wins over anything the cluster says now.
 */
import type { V1Node, V1PersistentVolume, V1PersistentVolumeClaim, V1StorageClass } from "@kubernetes/client-node";

import type { ReconcileContext } from "../runtime/index.ts";
import { compareStrings } from "./compare.ts";
import { buildDataVolume } from "./desired/storage.ts";
import type { MySQLInstance } from "./instance.ts";
import { VOLUME_OWNER_LABELS } from "./names.ts";
import { controlledBy, orphaned } from "./observe.ts";
import { failed, type Result } from "./result.ts";
import { HOSTNAME_LABEL, type StoragePlacement } from "./storage-mode.ts";
import { releaseClaimCommand } from "./volumes.ts";

/** Annotations that mark the cluster's default StorageClass (the beta one is still honoured by the API server). */
const DEFAULT_CLASS_ANNOTATIONS = ["storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class"];

/** Whether `storageClass` is marked as the cluster's default. */
export function isDefaultClass(storageClass: V1StorageClass): boolean {
  return DEFAULT_CLASS_ANNOTATIONS.some((key) => storageClass.metadata?.annotations?.[key] === "true");
}

/** The cluster's default StorageClass: with several marked, the newest, as the API server's admission picks it. */
export function defaultStorageClass(classes: readonly V1StorageClass[]): V1StorageClass | undefined {
  const stamp = (c: V1StorageClass): string => String(c.metadata?.creationTimestamp ?? "");
  return classes.filter(isDefaultClass).sort((a, b) => compareStrings(stamp(b), stamp(a)) || compareStrings(a.metadata?.name ?? "", b.metadata?.name ?? ""))[0];
}

/** The `kubernetes.io/hostname` a volume is pinned to by its required node affinity, if any. */
export function pinnedNode(pv: V1PersistentVolume | undefined): string | undefined {
  for (const term of pv?.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? []) {
    const expression = term.matchExpressions?.find((e) => e.key === HOSTNAME_LABEL && e.operator === "In" && e.values?.length === 1);
    if (expression?.values?.[0] !== undefined) return expression.values[0];
  }
  return undefined;
}

/** The hostname label of a node (its name where it has none). */
export function hostnameOf(node: V1Node): string {
  return node.metadata?.labels?.[HOSTNAME_LABEL] ?? node.metadata?.name ?? "";
}

/** Ready, not cordoned, and without a taint that keeps new pods away. */
function takesPods(node: V1Node): boolean {
  const ready = node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
  const repelled = node.spec?.taints?.some((t) => t.effect === "NoSchedule" || t.effect === "NoExecute") ?? false;
  return ready && node.spec?.unschedulable !== true && !repelled;
}

/** Why no node is chosen: a reason for status and a sentence that names the way out. */
export interface NoNode {
  readonly reason: string;
  readonly message: string;
}

/**
 * The node for new hostPath volumes: the node of an existing backup volume of this name (its dumps are there, and the
 * restore and backup Jobs mount it beside the data, so the data must be there too), which `spec.hostPath.node` may name
 * but not contradict; else the node `spec.hostPath.node` names; else, among the nodes that take pods, the one with the
 * fewest volumes this operator pinned (ties by name).
 */
export function chooseNode(
  instance: MySQLInstance,
  nodes: readonly V1Node[],
  volumes: readonly V1PersistentVolume[],
): { readonly node: string; readonly why: string } | NoNode {
  const asked = instance.resource.spec.hostPath?.node;
  const named = asked === undefined ? undefined : nodes.find((n) => n.metadata?.name === asked);
  if (asked !== undefined && named === undefined)
    return { reason: NO_NODE, message: `spec.hostPath.node names ${asked}, which is not a node of this cluster (kubectl get nodes)` };
  const backupNode = pinnedNode(volumes.find((pv) => pv.metadata?.name === instance.names.backupVolume));
  if (backupNode !== undefined) {
    const there = nodes.find((n) => hostnameOf(n) === backupNode);
    if (there === undefined)
      return {
        reason: "BackupVolumeUnreachable",
        message: `PersistentVolume ${instance.names.backupVolume} (the dumps of earlier resources of this name) is on node ${backupNode}, which is not in the cluster (kubectl get nodes); the restore and backup Jobs mount it beside the data, so the data cannot go elsewhere. Bring node ${backupNode} back; or, to start without those dumps, ${startWithoutDumps(instance)}`,
      };
    if (named !== undefined && hostnameOf(named) !== backupNode)
      return {
        reason: "BackupVolumeElsewhere",
        message: `spec.hostPath.node names ${asked}, but PersistentVolume ${instance.names.backupVolume} (the dumps of earlier resources of this name) is on node ${backupNode}, and the restore and backup Jobs mount it beside the data. spec.hostPath cannot change: delete this resource (nothing was made for it yet) and create it again with spec.hostPath.node: ${there.metadata?.name ?? backupNode}, or without it; or, to start without those dumps, ${startWithoutDumps(instance)}`,
      };
    return { node: backupNode, why: `the backup volume ${instance.names.backupVolume} of this name is there` };
  }
  if (named !== undefined) return { node: hostnameOf(named), why: "spec.hostPath.node names it" };
  const load = new Map<string, number>();
  for (const pv of volumes) {
    const pinned = pv.metadata?.labels?.[VOLUME_OWNER_LABELS.name] === undefined ? undefined : pinnedNode(pv);
    if (pinned !== undefined) load.set(pinned, (load.get(pinned) ?? 0) + 1);
  }
  const candidates = nodes
    .filter(takesPods)
    .map(hostnameOf)
    .sort((a, b) => (load.get(a) ?? 0) - (load.get(b) ?? 0) || compareStrings(a, b));
  const chosen = candidates[0];
  if (chosen === undefined)
    return {
      reason: NO_NODE,
      message: `no node is Ready and schedulable (of ${nodes.length}) to hold the hostPath volumes; they are made only once a node can take them`,
    };
  return { node: chosen, why: candidates.length === 1 ? "the only node that takes pods" : `the node that takes pods with the fewest mysqlop volumes` };
}

/** The reason of a placement that waits for a node. */
const NO_NODE = "NoNodeForVolumes";

/** What a person deletes to start a resource without the dumps of earlier ones of its name (creation then goes on). */
function startWithoutDumps(instance: MySQLInstance): string {
  const { names } = instance;
  return `delete ConfigMap ${names.backupInfo} (the record of the last dump), PersistentVolumeClaim ${names.backupClaim} (${releaseClaimCommand(instance, names.backupClaim)} first) and PersistentVolume ${names.backupVolume} (its directory stays on that node): creation then goes on by itself.`;
}

/**
 * Decides the placement of a new resource (see the module comment); returns it with the reason
 * a person reads in status and Events, or the hook's result when it cannot be decided now.
 */
export async function decidePlacement(instance: MySQLInstance, ctx: ReconcileContext): Promise<{ placement: StoragePlacement; why: string } | Result> {
  const { resource, names } = instance;
  const spec = resource.spec;
  if (spec.storageClassName !== undefined) {
    return { placement: { mode: "StorageClass", storageClassName: spec.storageClassName }, why: `spec.storageClassName names ${spec.storageClassName}` };
  }
  // An existing claim of this resource (made before the placement was recorded), or an orphaned one it adopts with its
  // data (an earlier resource of the name deleted with --cascade=orphan), keeps its mode.
  const claim = ctx.cache.get<V1PersistentVolumeClaim>("v1", "PersistentVolumeClaim", instance.namespace, names.dataClaim);
  if (claim !== undefined && (controlledBy(claim, instance) || orphaned(claim))) {
    if (claim.spec?.storageClassName === "") {
      const node = pinnedNode(ctx.cache.get<V1PersistentVolume>("v1", "PersistentVolume", undefined, names.dataVolume));
      return { placement: { mode: "HostPath", node }, why: `its claim ${names.dataClaim} is bound to a hostPath volume already` };
    }
    return {
      placement: { mode: "DefaultStorageClass", storageClassName: claim.spec?.storageClassName },
      why: `its claim ${names.dataClaim} was provisioned by StorageClass ${claim.spec?.storageClassName ?? "(none yet)"} already`,
    };
  }
  // Its hostPath data volume, made before its claim by a creation that then failed, keeps its node: a volume's node
  // affinity cannot change, so another node now would refuse every apply of it.
  const volume = ctx.cache.get<V1PersistentVolume>("v1", "PersistentVolume", undefined, names.dataVolume);
  const volumeNode = pinnedNode(volume);
  if (volume !== undefined && volumeNode !== undefined && volume.spec?.hostPath?.path === buildDataVolume(instance).spec?.hostPath?.path) {
    return { placement: { mode: "HostPath", node: volumeNode }, why: `its hostPath volume ${names.dataVolume} was made on node ${volumeNode} already` };
  }
  // The StorageClasses first: where a default one decides, the Nodes (every one of a large cluster) are not listed. The
  // create hook looks the volumes up meanwhile, so the Nodes' round trip takes the place of theirs.
  const byDefault = spec.hostPath === undefined ? defaultStorageClass(await ctx.list<V1StorageClass>("storage.k8s.io/v1", "StorageClass")) : undefined;
  if (byDefault !== undefined) {
    const name = byDefault.metadata?.name ?? "";
    return { placement: { mode: "DefaultStorageClass", storageClassName: name }, why: `the cluster's default StorageClass ${name} provisions the claims` };
  }
  const nodes = await ctx.list<V1Node>("v1", "Node");
  const chosen = chooseNode(instance, nodes, ctx.cache.list<V1PersistentVolume>("v1", "PersistentVolume"));
  if ("reason" in chosen) return failed(chosen.reason, chosen.message);
  const because = spec.hostPath === undefined ? "the cluster has no default StorageClass" : "spec.hostPath asks for them";
  return { placement: { mode: "HostPath", node: chosen.node }, why: `hostPath volumes on node ${chosen.node} (${chosen.why}), because ${because}` };
}
