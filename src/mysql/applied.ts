/**
 * The spec values children are built from: what the last fully successful reconcile applied
 * (the runtime's `appliedValue`) where a child cannot follow a spec change in place (a PVC's
 * class, a static volume's size, the database the data lives in), so a refused change never
 * turns into an apply error loop.
 */
import type { MySQL, MySQLSpec } from "../../generated/mysql-models.ts";
import { appliedValue, compareQuantities } from "../runtime/index.ts";

/** The spec values children are built from (see the module comment). */
export interface EffectiveSpec {
  readonly image: string;
  readonly database: string;
  readonly storageSize: string;
  readonly storageClassName: string | undefined;
  /** The server container's CPU and memory. */
  readonly resources: MySQLSpec["resources"];
  /** The Jobs' containers' CPU and memory. */
  readonly jobResources: MySQLSpec["jobResources"];
}

/**
 * Spec values, except database, storage class and (unless it may grow) size, which stay as applied.
 * `growable` tells whether the data claim is provisioned by a StorageClass (a hostPath volume cannot grow).
 */
export function effectiveSpec(resource: MySQL, growable: (storageClassName: string | undefined) => boolean): EffectiveSpec {
  const spec = resource.spec;
  const database = appliedValue(resource, "database");
  const storageClass = appliedValue(resource, "storageClassName");
  const size = appliedValue(resource, "storage_size");
  const storageClassName = storageClass.known ? storageClass.value : spec.storageClassName;
  let storageSize = spec.storage_size;
  if (size.known && size.value !== undefined && size.value !== spec.storage_size) {
    // Only a dynamically provisioned claim can grow; nothing can shrink.
    const mayGrow = growable(storageClassName) && (compareQuantities(spec.storage_size, size.value) ?? 0) > 0;
    if (!mayGrow) storageSize = size.value;
  }
  return {
    image: spec.image,
    database: database.known && database.value !== undefined ? database.value : spec.database,
    storageSize,
    storageClassName,
    resources: spec.resources,
    jobResources: spec.jobResources,
  };
}
