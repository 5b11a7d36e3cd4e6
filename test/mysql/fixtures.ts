/** Resources and a recording ReconcileContext for the MySQL handler tests. */
import { randomUUID } from "node:crypto";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { MySQL } from "../../generated/mysql-models.ts";
import { OPERATOR_NAME } from "../../src/mysql/names.ts";
import {
  AlreadyOwnedError,
  MANAGED_BY_LABEL,
  NotManagedError,
  type ApplyAllOptions,
  type CacheReader,
  type ListOptions,
  type ReadOptions,
  type ReconcileContext,
} from "../../src/runtime/index.ts";
import { combineRefusals, createdAfterEarlier } from "../../src/runtime/reconcile-context.ts";
import { withSpecDefaults } from "../helpers/spec-defaults.ts";

/** The node the fixtures' hostPath volumes are pinned to. */
export const FIXTURE_NODE = "node-a";

/**
 * The original cr.yaml as the API server returns it (defaults filled, uid set), with its volumes
 * placed as the create hook records it (`status.storage`: hostPath on {@link FIXTURE_NODE}, or the
 * class the spec names); `status: { storage: undefined }` leaves the placement undecided.
 */
export function originalResource(overrides: { spec?: Partial<MySQL["spec"]>; status?: MySQL["status"]; namespace?: string; name?: string } = {}): MySQL {
  const storageClassName = overrides.spec?.storageClassName;
  const storage = storageClassName === undefined ? { mode: "HostPath" as const, node: FIXTURE_NODE } : { mode: "StorageClass" as const, storageClassName };
  return {
    apiVersion: "otus.homework/v1",
    kind: "MySQL",
    metadata: {
      name: overrides.name ?? "mysql-instance",
      namespace: overrides.namespace ?? "default",
      uid: "3f1c2a9e-0000-4000-8000-000000000001",
      generation: 1,
    },
    spec: withSpecDefaults({ image: "mysql:5.7", database: "otus-database", password: "otuspassword", storage_size: "1Gi", ...overrides.spec }),
    status: { storage, ...overrides.status },
  };
}

/** Every string in an object tree (to prove a secret appears nowhere). */
export function allStrings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => [k, ...allStrings(v)]);
  return [];
}

/** Equality field selectors over dotted paths (`involvedObject.uid=…`), as the API server answers them for Events. */
function matchesFields(object: KubernetesObject, selector: string): boolean {
  return selector.split(",").every((term) => {
    const [path = "", value] = term.split("=");
    let current: unknown = object;
    for (const part of path.split(".")) current = (current as Record<string, unknown> | undefined)?.[part];
    return current === value;
  });
}

function key(apiVersion: string, kind: string, namespace: string | undefined, name: string): string {
  return `${apiVersion}/${kind}/${namespace ?? ""}/${name}`;
}

/** What a hook did through the context. */
export interface Recorded {
  readonly applied: { object: KubernetesObject; owner?: KubernetesObject }[];
  /** With the uid the delete was conditioned on, where it was. */
  readonly deleted: { apiVersion: string; kind: string; name?: string; namespace?: string; uid?: string }[];
  /** `KIND/NAME finalizer` for every finalizer removed. */
  readonly finalizersRemoved: string[];
  /** `KIND/NAME finalizer` for every finalizer added. */
  readonly finalizersAdded: string[];
  /** `KIND/NAME` of every object read from the API server, `(watch)` and `(any version)` appended where asked. */
  readonly read: string[];
  /** Every status written outside a result (ctx.patchStatus). */
  readonly statusPatches: Record<string, unknown>[];
  /** `Normal REASON: message` / `Warning REASON: message` for every Event. */
  readonly events: string[];
}

/** `object` as the operator named `managerName` makes it: with its managed-by label (the runtime sets it on every apply). */
export function madeByOperator<T extends KubernetesObject>(object: T, managerName = OPERATOR_NAME): T {
  return { ...object, metadata: { ...object.metadata, labels: { ...object.metadata?.labels, [MANAGED_BY_LABEL]: managerName } } };
}

/** As the operator's caches: the resources, and of other kinds only what the operator labelled as its own. */
function cached(o: KubernetesObject, managerName: string): boolean {
  return o.kind === "MySQL" || o.metadata?.labels?.[MANAGED_BY_LABEL] === managerName;
}

/**
 * A ReconcileContext whose cache is a map and whose apply/delete write to that map, as
 * the API server plus informers would (without latency). Like the operator's caches, the
 * cache shows only what the operator labelled (apply labels what it writes, with `managerName`,
 * default {@link OPERATOR_NAME}); `read` sees all. `applyAll` refuses, as the runtime's does, each object that exists
 * without that label, writes the others (an object that runs pods, or a claim naming its volume, only when nothing was
 * refused before it), and then
 * throws the refusals; an object of this manager controlled by another owner is refused by `apply`, and by `applyAll`
 * before anything is written.
 */
export function recordingContext(
  objects: KubernetesObject[] = [],
  { managerName = OPERATOR_NAME }: { readonly managerName?: string } = {},
): { ctx: ReconcileContext; recorded: Recorded; put: (o: KubernetesObject) => void } {
  const store = new Map<string, KubernetesObject>();
  const put = (o: KubernetesObject): void => void store.set(key(o.apiVersion ?? "", o.kind ?? "", o.metadata?.namespace, o.metadata?.name ?? ""), o);
  for (const o of objects) put(o);
  const recorded: Recorded = { applied: [], deleted: [], finalizersRemoved: [], finalizersAdded: [], read: [], statusPatches: [], events: [] };
  const cache: CacheReader = {
    get: <T extends KubernetesObject>(apiVersion: string, kind: string, namespace: string | undefined, name: string) => {
      const object = store.get(key(apiVersion, kind, namespace, name));
      return object !== undefined && cached(object, managerName) ? (object as T) : undefined;
    },
    list: <T extends KubernetesObject>(apiVersion: string, kind: string, namespace?: string) =>
      [...store.values()].filter(
        (o) => cached(o, managerName) && o.apiVersion === apiVersion && o.kind === kind && (namespace === undefined || o.metadata?.namespace === namespace),
      ) as T[],
  };
  // As the runtime's look-up: an object of this manager controlled by another owner (an earlier resource of the name
  // whose garbage collection is pending) is refused, not taken over.
  const alreadyOwned = (object: KubernetesObject, owner: KubernetesObject | undefined): AlreadyOwnedError | undefined => {
    const { namespace, name = "" } = object.metadata ?? {};
    const existing = store.get(key(object.apiVersion ?? "", object.kind ?? "", namespace, name));
    const controller = existing?.metadata?.ownerReferences?.find((r) => r.controller === true);
    if (owner === undefined || existing === undefined || controller === undefined || controller.uid === owner.metadata?.uid) return undefined;
    if (existing.metadata?.labels?.[MANAGED_BY_LABEL] !== managerName || object.metadata?.namespace !== owner.metadata?.namespace) return undefined;
    const reference = { apiVersion: object.apiVersion ?? "", kind: object.kind ?? "", metadata: { name, namespace } };
    const ownerRef = {
      apiVersion: owner.apiVersion ?? "",
      kind: owner.kind ?? "",
      name: owner.metadata?.name ?? "",
      uid: owner.metadata?.uid ?? "",
      controller: true,
    };
    return new AlreadyOwnedError(
      `${object.kind} ${namespace === undefined ? "" : `${namespace}/`}${name}`,
      reference,
      controller,
      ownerRef,
      existing.metadata?.finalizers,
    );
  };
  const ctx: ReconcileContext = {
    cache,
    // The API server's list: what the store holds, selected by namespace and by equality label selectors.
    async list<T extends KubernetesObject>(apiVersion: string, kind: string, options: ListOptions = {}): Promise<T[]> {
      const wanted = (options.labelSelector ?? "")
        .split(",")
        .filter((term) => term !== "")
        .map((term) => term.split("="));
      return ([...store.values()] as T[])
        .filter((o) => o.apiVersion === apiVersion && o.kind === kind && (options.namespace === undefined || o.metadata?.namespace === options.namespace))
        .filter((o) => wanted.every(([k, v]) => o.metadata?.labels?.[k ?? ""] === v))
        .filter((o) => options.fieldSelector === undefined || matchesFields(o, options.fieldSelector));
    },
    events: {
      normal: (_object, reason, message) => void recorded.events.push(`Normal ${reason}: ${message}`),
      warning: (_object, reason, message) => void recorded.events.push(`Warning ${reason}: ${message}`),
    },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    async apply<T extends KubernetesObject>(object: T, { owner }: { owner?: KubernetesObject } = {}): Promise<T> {
      const owned = alreadyOwned(object, owner);
      if (owned !== undefined) throw owned;
      // As the runtime's: no owner reference across namespaces, nor on a cluster-scoped object (no namespace here).
      const options = { owner: owner !== undefined && object.metadata?.namespace === owner.metadata?.namespace ? owner : undefined };
      recorded.applied.push({ object, owner: options.owner });
      // The API server gives each object a uid when it creates it and keeps it on every later write.
      const existing = store.get(key(object.apiVersion ?? "", object.kind ?? "", object.metadata?.namespace, object.metadata?.name ?? ""));
      const uid = object.metadata?.uid ?? existing?.metadata?.uid ?? randomUUID();
      // Status is a subresource: a write of the object leaves the status its controller set.
      const status = (existing as { status?: unknown } | undefined)?.status;
      const kept = status === undefined || "status" in object ? object : { ...object, status };
      const labelled = madeByOperator({ ...kept, metadata: { ...object.metadata, uid } }, managerName);
      const stored = options.owner
        ? {
            ...labelled,
            metadata: {
              ...labelled.metadata,
              ownerReferences: [
                {
                  apiVersion: options.owner.apiVersion ?? "",
                  kind: options.owner.kind ?? "",
                  name: options.owner.metadata?.name ?? "",
                  uid: options.owner.metadata?.uid ?? "",
                  controller: true,
                },
              ],
            },
          }
        : labelled;
      put(stored);
      return stored;
    },
    async applyAll<T extends KubernetesObject>(objects: readonly T[], options?: ApplyAllOptions): Promise<T[]> {
      // As the runtime's: each object someone else made is refused and the others are still written, except an absent
      // object that runs pods, or a claim naming its volume, after a refusal (a server never mounts a refused claim); then
      // every refusal is thrown at once.
      // Refused at the look-up, before anything of the step is sent.
      const owned = objects.map((object) => alreadyOwned(object, options?.owner)).filter((e) => e !== undefined);
      if (owned.length > 0) throw combineRefusals(owned);
      const refusals: NotManagedError[] = [];
      const written: T[] = [];
      for (const object of objects) {
        const { namespace, name = "" } = object.metadata ?? {};
        const existing = store.get(key(object.apiVersion ?? "", object.kind ?? "", namespace, name));
        if (existing !== undefined && existing.metadata?.labels?.[MANAGED_BY_LABEL] !== managerName) {
          const reference = { apiVersion: object.apiVersion ?? "", kind: object.kind ?? "", metadata: { name, namespace } };
          refusals.push(new NotManagedError(`${object.kind} ${namespace === undefined ? "" : `${namespace}/`}${name}`, reference, managerName));
        } else if (existing !== undefined || refusals.length === 0 || !createdAfterEarlier(object)) {
          written.push(await ctx.apply(object, { owner: options?.owner }));
        }
      }
      if (refusals.length > 0) throw combineRefusals(refusals);
      return written;
    },
    async read<T extends KubernetesObject>(
      object: { apiVersion: string; kind: string; metadata: { name?: string; namespace?: string } },
      options?: ReadOptions,
    ) {
      const how = `${options?.watch === true ? " (watch)" : ""}${options?.anyVersion === true ? " (any version)" : ""}`;
      recorded.read.push(`${object.kind}/${object.metadata.name ?? ""}${how}`);
      return store.get(key(object.apiVersion, object.kind, object.metadata.namespace, object.metadata.name ?? "")) as T | undefined;
    },
    async delete(object, options) {
      recorded.deleted.push({
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: object.metadata.name,
        namespace: object.metadata.namespace,
        ...(options?.uid === undefined ? {} : { uid: options.uid }),
      });
      store.delete(key(object.apiVersion, object.kind, object.metadata.namespace, object.metadata.name ?? ""));
    },
    async addFinalizer<T extends KubernetesObject>(object: T, finalizer: string): Promise<T> {
      recorded.finalizersAdded.push(`${object.kind}/${object.metadata?.name} ${finalizer}`);
      const finalizers = object.metadata?.finalizers ?? [];
      const updated = { ...object, metadata: { ...object.metadata, finalizers: finalizers.includes(finalizer) ? finalizers : [...finalizers, finalizer] } };
      if (store.has(key(object.apiVersion ?? "", object.kind ?? "", object.metadata?.namespace, object.metadata?.name ?? ""))) put(updated);
      return updated;
    },
    async removeFinalizer(object, finalizer) {
      recorded.finalizersRemoved.push(`${object.kind}/${object.metadata?.name} ${finalizer}`);
      const stored = store.get(key(object.apiVersion ?? "", object.kind ?? "", object.metadata?.namespace, object.metadata?.name ?? ""));
      if (stored !== undefined)
        put({ ...stored, metadata: { ...stored.metadata, finalizers: (stored.metadata?.finalizers ?? []).filter((f) => f !== finalizer) } });
    },
    async patchStatus(_object, status) {
      recorded.statusPatches.push(status);
    },
    async mergePatch<T extends KubernetesObject>(object: T, patch: Record<string, unknown>): Promise<T> {
      // Merges one level deep, enough for the fields the handlers patch (spec.persistentVolumeReclaimPolicy).
      const stored = store.get(key(object.apiVersion ?? "", object.kind ?? "", object.metadata?.namespace, object.metadata?.name ?? "")) ?? object;
      const merged = { ...stored } as Record<string, unknown>;
      for (const [field, value] of Object.entries(patch)) merged[field] = { ...(merged[field] as object), ...(value as object) };
      put(merged as unknown as KubernetesObject);
      return merged as unknown as T;
    },
  };
  return { ctx, recorded, put };
}
