/** Reading and writing MySQL resources and their children from integration tests (as the admin). */
import { ApiException, BatchV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type V1Pod } from "@kubernetes/client-node";
import type { MySQL } from "../../generated/mysql-models.ts";
import type { ControlPlane } from "../../src/envtest/index.ts";
import { kubectl } from "./control-plane.ts";

/** `call`'s answer, or `undefined` for a 404. */
export async function orUndefined<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return undefined;
    throw error;
  }
}

/** A MySQL manifest: the original cr.yaml's spec with `spec` merged over it. */
export function mysqlManifest(name: string, namespace: string, spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: "otus.homework/v1",
    kind: "MySQL",
    metadata: { name, namespace, ...metadata },
    spec: { image: "mysql:5.7", database: "otus-database", password: "otuspassword", storage_size: "1Gi", ...spec },
  });
}

/** The typed clients and MySQL helpers of one control plane. */
export interface MySQLApi {
  readonly core: CoreV1Api;
  readonly batch: BatchV1Api;
  readonly custom: CustomObjectsApi;
  /** The MySQL `namespace/name`, or `undefined` once it is gone. */
  get(namespace: string, name: string): Promise<MySQL | undefined>;
  /** `kubectl apply -f -` of a manifest; throws with kubectl's stderr when it fails. */
  apply(manifest: string): Promise<void>;
  /** Merge-patches the resource (spec, metadata). */
  patch(namespace: string, name: string, body: Record<string, unknown>): Promise<void>;
  /** `kubectl delete` without waiting. */
  delete(namespace: string, name: string): Promise<void>;
  /** The pods of Job `job`. */
  jobPods(namespace: string, job: string): Promise<V1Pod[]>;
}

/** Helpers for the admin of `cp`. */
export function mysqlApi(cp: ControlPlane): MySQLApi {
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  const batch = cp.kubeConfig.makeApiClient(BatchV1Api);
  const custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
  const ref = (namespace: string, name: string) => ({ group: "otus.homework", version: "v1", namespace, plural: "mysqls", name });
  return {
    core,
    batch,
    custom,
    get: (namespace, name) => orUndefined(custom.getNamespacedCustomObject(ref(namespace, name)) as Promise<MySQL>),
    async apply(manifest) {
      const result = await kubectl(cp, ["apply", "-f", "-"], { input: manifest });
      if (result.code !== 0) throw new Error(`kubectl apply failed: ${result.stderr}`);
    },
    async patch(namespace, name, body) {
      await custom.patchNamespacedCustomObject({ ...ref(namespace, name), body }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    },
    async delete(namespace, name) {
      const result = await kubectl(cp, ["delete", "-n", namespace, "mysqls.otus.homework", name, "--wait=false"]);
      if (result.code !== 0) throw new Error(`kubectl delete failed: ${result.stderr}`);
    },
    async jobPods(namespace, job) {
      return (await core.listNamespacedPod({ namespace, labelSelector: `batch.kubernetes.io/job-name=${job}` })).items;
    },
  };
}
