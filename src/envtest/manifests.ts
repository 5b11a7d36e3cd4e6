/**
 * Manifests into a control plane: YAML streams parsed to plain objects, server-side applied as they are by the
 * control plane's own kubectl (field manager `mysqlop-envtest`, conflicts forced), missing namespaces created first, and CRDs waited for until they
 * are Established, so that the next call can create resources of their kinds.
 */
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiextensionsV1Api, CoreV1Api, type KubeConfig, type KubernetesObject, type V1CustomResourceDefinition } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { kubectlApply } from "./kubectl-apply.ts";

const FIELD_MANAGER = "mysqlop-envtest";
const ESTABLISHED_TIMEOUT_MS = 30_000;

/** The objects of a multi-document YAML text; `source` names it in errors. Empty documents are skipped. */
export function objectsFromYaml(text: string, source: string): KubernetesObject[] {
  const objects: KubernetesObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== "object" || Array.isArray(value)) throw new Error(`${source}: a document is not a Kubernetes object`);
    objects.push(value as KubernetesObject);
  }
  return objects;
}

/** The objects of a YAML file, or (copied) the objects given. */
export async function loadManifests(fileOrObjects: string | object[]): Promise<KubernetesObject[]> {
  return typeof fileOrObjects === "string"
    ? objectsFromYaml(await readFile(fileOrObjects, "utf8"), fileOrObjects)
    : (structuredClone(fileOrObjects) as KubernetesObject[]);
}

/** The CustomResourceDefinitions of a file that must hold nothing else. */
export async function loadCrds(file: string): Promise<KubernetesObject[]> {
  const crds = objectsFromYaml(await readFile(file, "utf8"), file);
  if (crds.length === 0 || crds.some((o) => o.kind !== "CustomResourceDefinition")) {
    throw new Error(`${file}: expected only CustomResourceDefinition documents`);
  }
  return crds;
}

/** The CRDs among `objects`. */
export function crdsAmong(objects: KubernetesObject[]): KubernetesObject[] {
  return objects.filter((o) => o.apiVersion === "apiextensions.k8s.io/v1" && o.kind === "CustomResourceDefinition");
}

/** Creates the namespaces that namespaced objects name and that the objects themselves do not declare. */
async function createMissingNamespaces(kubeConfig: KubeConfig, objects: KubernetesObject[]): Promise<void> {
  const declared = new Set(objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata?.name));
  const wanted = new Set(objects.map((o) => o.metadata?.namespace).filter((ns): ns is string => ns !== undefined && !declared.has(ns)));
  const core = kubeConfig.makeApiClient(CoreV1Api);
  for (const name of wanted) {
    await core.createNamespace({ body: { metadata: { name } } }).catch((error: { code?: number }) => {
      if (error.code !== 409) throw error;
    });
  }
}

/** Server-side applies `objects` in order (namespaces they need first), then waits until the CRDs among them are Established. */
export async function applyObjects(kubeConfig: KubeConfig, access: { kubectl: string; kubeconfigPath: string }, objects: KubernetesObject[]): Promise<void> {
  await createMissingNamespaces(kubeConfig, objects);
  // Not client-node's KubernetesObjectApi: its typed models drop keys they name differently
  // (a CRD schema's `default` is `_default` there), which silently lost CRD defaults.
  if (objects.length > 0) await kubectlApply(access.kubectl, access.kubeconfigPath, objects, FIELD_MANAGER);
  await waitEstablished(kubeConfig, crdsAmong(objects));
}

function isEstablished(crd: V1CustomResourceDefinition): boolean {
  return (crd.status?.conditions ?? []).some((c) => c.type === "Established" && c.status === "True");
}

/** Waits (bounded) until every CRD in `crds` is Established. */
export async function waitEstablished(kubeConfig: KubeConfig, crds: KubernetesObject[]): Promise<void> {
  if (crds.length === 0) return;
  const api = kubeConfig.makeApiClient(ApiextensionsV1Api);
  const deadline = Date.now() + ESTABLISHED_TIMEOUT_MS;
  for (const crd of crds) {
    const name = crd.metadata?.name ?? "";
    for (;;) {
      const current = await api.readCustomResourceDefinition({ name });
      if (isEstablished(current)) break;
      if (Date.now() >= deadline) {
        throw new Error(`CRD ${name} was not Established within ${ESTABLISHED_TIMEOUT_MS / 1000} s: ${JSON.stringify(current.status?.conditions ?? [])}`);
      }
      await sleep(50);
    }
  }
}
