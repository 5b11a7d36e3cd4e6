/** Shared helpers of the runtime's integration tests (real control plane, fixture Widget kind). */
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig, type V1ConfigMap, type CoreV1Event } from "@kubernetes/client-node";
import type { Widget } from "../../fixtures/runtime/widget-reconciler.ts";
import { orUndefined } from "../../helpers/not-found.ts";

/** Absolute path of the fixture CRD. */
export const widgetCrdPath = new URL("../../fixtures/runtime/widget-crd.yaml", import.meta.url).pathname;

/** Absolute path of the fixture controller program. */
export const widgetControllerPath = new URL("../../fixtures/runtime/widget-controller.ts", import.meta.url).pathname;

export { eventually } from "../../helpers/eventually.ts";

/** Test-side client for Widgets and ConfigMaps, independent of the runtime under test. */
export class WidgetClient {
  readonly custom: CustomObjectsApi;
  readonly core: CoreV1Api;
  readonly namespace: string;

  constructor(kubeConfig: KubeConfig, namespace: string) {
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.namespace = namespace;
  }

  async createNamespace(): Promise<void> {
    await this.core.createNamespace({ body: { metadata: { name: this.namespace } } });
  }

  create(name: string, spec: Widget["spec"]): Promise<Widget> {
    return this.custom.createNamespacedCustomObject({
      group: "fixtures.runtime.test",
      version: "v1",
      namespace: this.namespace,
      plural: "widgets",
      body: { apiVersion: "fixtures.runtime.test/v1", kind: "Widget", metadata: { name }, spec },
    }) as Promise<Widget>;
  }

  async get(name: string): Promise<Widget | undefined> {
    return orUndefined(
      this.custom.getNamespacedCustomObject({
        group: "fixtures.runtime.test",
        version: "v1",
        namespace: this.namespace,
        plural: "widgets",
        name,
      }) as Promise<Widget>,
    );
  }

  async list(): Promise<Widget[]> {
    const list = (await this.custom.listNamespacedCustomObject({
      group: "fixtures.runtime.test",
      version: "v1",
      namespace: this.namespace,
      plural: "widgets",
    })) as { items: Widget[] };
    return list.items;
  }

  patchSpec(name: string, spec: Partial<Widget["spec"]>): Promise<Widget> {
    return this.custom.patchNamespacedCustomObject(
      { group: "fixtures.runtime.test", version: "v1", namespace: this.namespace, plural: "widgets", name, body: { spec } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    ) as Promise<Widget>;
  }

  async delete(name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({ group: "fixtures.runtime.test", version: "v1", namespace: this.namespace, plural: "widgets", name });
  }

  async configMap(name: string): Promise<V1ConfigMap | undefined> {
    return orUndefined(this.core.readNamespacedConfigMap({ namespace: this.namespace, name }));
  }

  async configMaps(): Promise<V1ConfigMap[]> {
    return (await this.core.listNamespacedConfigMap({ namespace: this.namespace, labelSelector: "app.kubernetes.io/managed-by=widget-fixture" })).items;
  }

  async events(objectName: string): Promise<CoreV1Event[]> {
    return (await this.core.listNamespacedEvent({ namespace: this.namespace, fieldSelector: `involvedObject.name=${objectName}` })).items;
  }
}

/** The condition of `type` in a widget's status. */
export function condition(widget: Widget | undefined, type: string): { status: string; reason: string; lastTransitionTime: string } | undefined {
  return widget?.status?.conditions?.find((c) => c.type === type);
}

/** The value of a Prometheus sample in text exposition (sum over matching lines). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}
