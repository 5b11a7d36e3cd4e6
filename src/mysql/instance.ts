/**
 * One MySQL resource as the handlers see it during one reconcile step: the resource with its
 * child names and effective spec, computed once by the hook that runs and handed to every
 * module and desired-state builder it calls.
 */
import type { MySQL } from "../../generated/mysql-models.ts";
import { effectiveSpec, type EffectiveSpec } from "./applied.ts";
import { childNames, type ChildNames } from "./names.ts";
import { recordedPlacement, type StoragePlacement } from "./storage-mode.ts";

/** A MySQL resource with what is derived from it. */
export interface MySQLInstance {
  readonly resource: MySQL;
  /** `metadata.name`. */
  readonly name: string;
  /** `metadata.namespace`, as the resource carries it (children are created there). */
  readonly namespace: string | undefined;
  readonly names: ChildNames;
  /** The values children are built from (see `effectiveSpec`). */
  readonly spec: EffectiveSpec;
  /** Where the volumes come from; `undefined` until the create hook decided it (then no claim or server is built yet). */
  readonly placement: StoragePlacement | undefined;
}

/** Derives the instance of `resource`. */
export function instanceOf(resource: MySQL): MySQLInstance {
  const spec = effectiveSpec(resource, (storageClassName) => {
    const mode = recordedPlacement(resource, storageClassName)?.mode;
    return mode !== undefined && mode !== "HostPath";
  });
  return {
    resource,
    name: resource.metadata.name ?? "",
    namespace: resource.metadata.namespace,
    names: childNames(resource),
    spec,
    placement: recordedPlacement(resource, spec.storageClassName),
  };
}

/** The same instance with its volumes placed as the create hook just decided (recorded in status by the loop afterwards). */
export function withPlacement(instance: MySQLInstance, placement: StoragePlacement): MySQLInstance {
  return { ...instance, placement };
}
