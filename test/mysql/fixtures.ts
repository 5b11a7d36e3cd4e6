/** Resources and a recording ReconcileContext for the MySQL handler tests. */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { MySQL } from "../../generated/mysql-models.ts";
import { OPERATOR_NAME } from "../../src/mysql/names.ts";
import { MANAGED_BY_LABEL, type CacheReader, type ReconcileContext } from "../../src/runtime/index.ts";
import { withSpecDefaults } from "../helpers/spec-defaults.ts";

/** The original cr.yaml as the API server returns it (defaults filled, uid set). */
export function originalResource(overrides: { spec?: Partial<MySQL["spec"]>; status?: MySQL["status"]; namespace?: string; name?: string } = {}): MySQL {
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
    ...(overrides.status === undefined ? {} : { status: overrides.status }),
  };
}

/** Every string in an object tree (to prove a secret appears nowhere). */
export function allStrings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => [k, ...allStrings(v)]);
  return [];
}

function key(apiVersion: string, kind: string, namespace: string | undefined, name: string): string {
  return `${apiVersion}/${kind}/${namespace ?? ""}/${name}`;
}

/** What a hook did through the context. */
export interface Recorded {
  readonly applied: { object: KubernetesObject; owner?: KubernetesObject }[];
  readonly deleted: { apiVersion: string; kind: string; name?: string; namespace?: string }[];
  /** `KIND/NAME finalizer` for every finalizer removed. */
  readonly finalizersRemoved: string[];
  /** `KIND/NAME` of every object read from the API server, `(watch)` appended where asked. */
  readonly read: string[];
}

/** `object` as the operator makes it: with its managed-by label (the runtime sets it on every apply). */
export function madeByOperator<T extends KubernetesObject>(object: T): T {
  return { ...object, metadata: { ...object.metadata, labels: { ...object.metadata?.labels, [MANAGED_BY_LABEL]: OPERATOR_NAME } } };
}

/** As the operator's caches: the resources, and of other kinds only what the operator labelled as its own. */
function cached(o: KubernetesObject): boolean {
  return o.kind === "MySQL" || o.metadata?.labels?.[MANAGED_BY_LABEL] === OPERATOR_NAME;
}

/**
 * A ReconcileContext whose cache is a map and whose apply/delete write to that map, as
 * the API server plus informers would (without latency). Like the operator's caches, the
 * cache shows only what the operator labelled (apply labels what it writes); `read` sees all.
 */
export function recordingContext(objects: KubernetesObject[] = []): { ctx: ReconcileContext; recorded: Recorded; put: (o: KubernetesObject) => void } {
  const store = new Map<string, KubernetesObject>();
  const put = (o: KubernetesObject): void => void store.set(key(o.apiVersion ?? "", o.kind ?? "", o.metadata?.namespace, o.metadata?.name ?? ""), o);
  for (const o of objects) put(o);
  const recorded: Recorded = { applied: [], deleted: [], finalizersRemoved: [], read: [] };
  const cache: CacheReader = {
    get: <T extends KubernetesObject>(apiVersion: string, kind: string, namespace: string | undefined, name: string) => {
      const object = store.get(key(apiVersion, kind, namespace, name));
      return object !== undefined && cached(object) ? (object as T) : undefined;
    },
    list: <T extends KubernetesObject>(apiVersion: string, kind: string, namespace?: string) =>
      [...store.values()].filter(
        (o) => cached(o) && o.apiVersion === apiVersion && o.kind === kind && (namespace === undefined || o.metadata?.namespace === namespace),
      ) as T[],
  };
  const ctx: ReconcileContext = {
    cache,
    events: { normal: () => {}, warning: () => {} },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    async apply<T extends KubernetesObject>(object: T, options?: { owner?: KubernetesObject }): Promise<T> {
      recorded.applied.push({ object, owner: options?.owner });
      const labelled = madeByOperator(object);
      const stored = options?.owner
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
    async applyAll<T extends KubernetesObject>(objects: readonly T[], options?: { owner?: KubernetesObject }): Promise<T[]> {
      return Promise.all(objects.map((object) => ctx.apply(object, options)));
    },
    async read<T extends KubernetesObject>(
      object: { apiVersion: string; kind: string; metadata: { name?: string; namespace?: string } },
      options?: { watch?: boolean },
    ) {
      recorded.read.push(`${object.kind}/${object.metadata.name ?? ""}${options?.watch === true ? " (watch)" : ""}`);
      return store.get(key(object.apiVersion, object.kind, object.metadata.namespace, object.metadata.name ?? "")) as T | undefined;
    },
    async delete(object) {
      recorded.deleted.push({ apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace });
      store.delete(key(object.apiVersion, object.kind, object.metadata.namespace, object.metadata.name ?? ""));
    },
    async addFinalizer<T extends KubernetesObject>(object: T): Promise<T> {
      return object;
    },
    async removeFinalizer(object, finalizer) {
      recorded.finalizersRemoved.push(`${object.kind}/${object.metadata?.name} ${finalizer}`);
      const stored = store.get(key(object.apiVersion ?? "", object.kind ?? "", object.metadata?.namespace, object.metadata?.name ?? ""));
      if (stored !== undefined)
        put({ ...stored, metadata: { ...stored.metadata, finalizers: (stored.metadata?.finalizers ?? []).filter((f) => f !== finalizer) } });
    },
    async patchStatus() {},
  };
  return { ctx, recorded, put };
}
