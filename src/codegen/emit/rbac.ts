/**
 * Emits the RBAC manifests from the schema's `operator` section, exact verbs only, in two
 * variants. `deploy/rbac.yaml`, for an operator that watches every namespace: a ServiceAccount,
 * a ClusterRole + binding for everything it touches, and a Role + binding in its own namespace.
 * `deploy/rbac-namespaced/`, for `mysqlop run --namespace`: cluster-wide rights only for
 * cluster-scoped resources (`operator.yaml`, applied once) and a Role + RoleBinding without a
 * namespace (`watched-namespace/`), applied in each watched namespace.
 */
import { posix } from "node:path";
import { Document, isMap, isSeq } from "yaml";
import type { GeneratorModel, RbacRule } from "../model.ts";
import { generatedHeader } from "./header.ts";

type RoleKind = "ClusterRole" | "Role";

/** The labels of every object that installs the operator (RBAC, namespace, Deployment). */
export function operatorLabels(model: GeneratorModel): Record<string, string> {
  return { "app.kubernetes.io/name": model.rbac.serviceAccount, "app.kubernetes.io/part-of": model.rbac.serviceAccount };
}

/** metadata of a generated object; `namespace: null` leaves it to whoever applies the file. */
function metadataOf(model: GeneratorModel, name: string, namespace: string | null | undefined): Record<string, unknown> {
  return { name, ...(typeof namespace === "string" ? { namespace } : {}), labels: operatorLabels(model) };
}

function ruleDocument(kind: RoleKind, model: GeneratorModel, name: string, namespace: string | null | undefined, rules: readonly RbacRule[]): Document {
  const doc = new Document({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind,
    metadata: metadataOf(model, name, namespace),
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

function bindingDocument(kind: `${RoleKind}Binding`, model: GeneratorModel, name: string, namespace: string | null | undefined): Document {
  return new Document({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind,
    metadata: metadataOf(model, name, namespace),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: kind === "RoleBinding" ? "Role" : "ClusterRole", name },
    subjects: [{ kind: "ServiceAccount", name: model.rbac.serviceAccount, namespace: model.rbac.namespace }],
  });
}

function serviceAccountDocument(model: GeneratorModel): Document {
  return new Document({ apiVersion: "v1", kind: "ServiceAccount", metadata: metadataOf(model, model.rbac.serviceAccount, model.rbac.namespace) });
}

/** The Role and binding in the operator's own namespace (leader election), if the schema has such rules. */
function ownNamespaceDocuments(model: GeneratorModel): Document[] {
  if (model.rbac.namespaceRules.length === 0) return [];
  const { serviceAccount: name, namespace } = model.rbac;
  return [ruleDocument("Role", model, name, namespace, model.rbac.namespaceRules), bindingDocument("RoleBinding", model, name, namespace)];
}

function render(model: GeneratorModel, docs: readonly Document[]): string {
  return `${generatedHeader(model, "hash")}\n${docs.map((d) => d.toString({ lineWidth: 0 })).join("---\n")}`;
}

/** Renders `deploy/rbac.yaml` (every namespace) as multi-document YAML (unformatted). */
export function emitRbac(model: GeneratorModel): string {
  const name = model.rbac.serviceAccount;
  return render(model, [
    serviceAccountDocument(model),
    ruleDocument("ClusterRole", model, name, undefined, model.rbac.clusterRules),
    bindingDocument("ClusterRoleBinding", model, name, undefined),
    ...ownNamespaceDocuments(model),
  ]);
}

/** Name of the ClusterRole (and binding) of the namespaced variant: cluster-scoped resources only. */
export function clusterScopedRoleName(model: GeneratorModel): string {
  return `${model.rbac.serviceAccount}-cluster-scoped`;
}

/** Renders `deploy/rbac-namespaced/operator.yaml`: applied once, beside the operator. */
export function emitNamespacedRbacOperator(model: GeneratorModel): string {
  const clusterScoped = model.rbac.clusterRules.filter((r) => r.clusterScoped);
  const name = clusterScopedRoleName(model);
  return render(model, [
    serviceAccountDocument(model),
    ...(clusterScoped.length === 0
      ? []
      : [ruleDocument("ClusterRole", model, name, undefined, clusterScoped), bindingDocument("ClusterRoleBinding", model, name, undefined)]),
    ...ownNamespaceDocuments(model),
  ]);
}

/** Renders `deploy/rbac-namespaced/watched-namespace/role.yaml`: no namespace, so `kubectl apply -n NS` or kustomize sets it. */
export function emitNamespacedRbacWatchedRole(model: GeneratorModel): string {
  const name = model.rbac.serviceAccount;
  const namespaced = model.rbac.clusterRules.filter((r) => !r.clusterScoped);
  return render(model, [ruleDocument("Role", model, name, null, namespaced), bindingDocument("RoleBinding", model, name, null)]);
}

/**
 * Renders the kustomization around the watched-namespace Role. Its `namespace` is the
 * placeholder an overlay replaces (`namespace: team-a` with this directory as a resource);
 * kustomize leaves the binding's subject, the ServiceAccount in the operator's namespace, alone.
 */
export function emitNamespacedRbacKustomization(model: GeneratorModel): string {
  return `${generatedHeader(model, "hash")}
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
# The namespace to watch: set it in an overlay that lists this directory (one per watched
# namespace), or apply the Role with kubectl apply -n NS; the operator runs with --namespace NS.
namespace: default
resources:
  - ${posix.basename(model.outputs.rbacNamespaced.watchedRole)}
`;
}
