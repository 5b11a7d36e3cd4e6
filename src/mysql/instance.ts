/**
 * One MySQL resource as the handlers see it during one reconcile step: the resource with its
 * child names and effective spec, computed once by the hook that runs and handed to every
 * module and desired-state builder it calls.
 */
import type { MySQL } from "../../generated/mysql-models.ts";
import { effectiveSpec, type EffectiveSpec } from "./applied.ts";
import { childNames, type ChildNames } from "./names.ts";

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
}

/** Derives the instance of `resource`. */
export function instanceOf(resource: MySQL): MySQLInstance {
  return {
    resource,
    name: resource.metadata.name ?? "",
    namespace: resource.metadata.namespace,
    names: childNames(resource),
    spec: effectiveSpec(resource),
  };
}
