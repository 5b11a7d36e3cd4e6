/**
 * Emits `deploy/rbac.yaml` from the schema's `operator` section: a ServiceAccount, a
 * ClusterRole + binding (the operator watches all namespaces; PersistentVolumes are
 * cluster-scoped) and a Role + binding in the operator's namespace. Exact verbs only.
 */
import { Document, isMap, isSeq } from "yaml";
import type { GeneratorModel, RbacRule } from "../model.ts";
import { generatedHeader } from "./header.ts";

/** The labels of every object that installs the operator (RBAC, namespace, Deployment). */
export function operatorLabels(model: GeneratorModel): Record<string, string> {
  return { "app.kubernetes.io/name": model.rbac.serviceAccount, "app.kubernetes.io/part-of": model.rbac.serviceAccount };
}

function ruleDocument(kind: "ClusterRole" | "Role", model: GeneratorModel, rules: readonly RbacRule[]): Document {
  const metadata: Record<string, unknown> = { name: model.rbac.serviceAccount };
  if (kind === "Role") metadata.namespace = model.rbac.namespace;
  metadata.labels = operatorLabels(model);
  const doc = new Document({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind,
    metadata,
    rules: rules.map((r) => ({ apiGroups: [r.group], resources: [...r.resources], verbs: [...r.verbs] })),
  });
  const seq = doc.get("rules", true);
  if (isSeq(seq)) {
    seq.items.forEach((item, i) => {
      if (isMap(item)) item.commentBefore = ` ${rules[i]!.why}`;
    });
  }
  return doc;
}

function bindingDocument(kind: "ClusterRoleBinding" | "RoleBinding", model: GeneratorModel): Document {
  const metadata: Record<string, unknown> = { name: model.rbac.serviceAccount };
  if (kind === "RoleBinding") metadata.namespace = model.rbac.namespace;
  metadata.labels = operatorLabels(model);
  return new Document({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind,
    metadata,
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: kind === "RoleBinding" ? "Role" : "ClusterRole", name: model.rbac.serviceAccount },
    subjects: [{ kind: "ServiceAccount", name: model.rbac.serviceAccount, namespace: model.rbac.namespace }],
  });
}

/** Renders the RBAC manifests as multi-document YAML (unformatted). */
export function emitRbac(model: GeneratorModel): string {
  const docs: Document[] = [
    new Document({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: model.rbac.serviceAccount, namespace: model.rbac.namespace, labels: operatorLabels(model) },
    }),
    ruleDocument("ClusterRole", model, model.rbac.clusterRules),
    bindingDocument("ClusterRoleBinding", model),
  ];
  if (model.rbac.namespaceRules.length > 0) {
    docs.push(ruleDocument("Role", model, model.rbac.namespaceRules), bindingDocument("RoleBinding", model));
  }
  return `${generatedHeader(model, "hash")}\n${docs.map((d) => d.toString({ lineWidth: 0 })).join("---\n")}`;
}
