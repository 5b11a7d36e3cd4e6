/**
 * The placement of a resource's volumes as the resource itself records it (`status.storage`), read by
 * the pure desired-state builders; placement.ts decides it once, at creation.
 */
import type { MySQL, StorageStatus } from "../../generated/mysql-models.ts";

/** How the volumes are provided: a named StorageClass, the cluster's default one, or hostPath volumes pinned to one node. */
export type StorageMode = NonNullable<StorageStatus["mode"]>;

/** The decided placement of a resource's volumes. */
export interface StoragePlacement {
  readonly mode: StorageMode;
  /** The class the claims name (`StorageClass`), or the default class they got (`DefaultStorageClass`). */
  readonly storageClassName?: string;
  /** `HostPath`: the `kubernetes.io/hostname` of the node the volumes are pinned to; absent only for volumes made before pinning. */
  readonly node?: string;
}

/** The node label hostPath volumes are pinned by; the scheduler matches a volume's node affinity against node labels only. */
export const HOSTNAME_LABEL = "kubernetes.io/hostname";

/**
 * The placement as the resource alone tells it (pure, for the desired-state builders): recorded in
 * status; or implied by `spec.storageClassName`; or hostPath for a resource whose creation finished
 * before placements were recorded (the operator then made hostPath volumes for every resource without
 * a class). `undefined` until the create hook decided it.
 */
export function recordedPlacement(resource: MySQL, storageClassName: string | undefined): StoragePlacement | undefined {
  const recorded = resource.status?.storage;
  if (recorded?.mode !== undefined) return { mode: recorded.mode, storageClassName: recorded.storageClassName, node: recorded.node };
  if (storageClassName !== undefined) return { mode: "StorageClass", storageClassName };
  if (resource.status?.appliedSpec !== undefined) return { mode: "HostPath" };
  return undefined;
}
