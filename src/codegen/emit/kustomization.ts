/**
 * Emits `deploy/kustomization.yaml`: `kubectl apply -k deploy/` installs the CRD, the namespace,
 * the RBAC, the leader-election FlowSchema and the operator (kustomize orders them by kind). The image is set in an overlay, with
 * kustomize's `images:` naming the image of deploy/operator.yaml, so this file stays generated.
 */
import { Document } from "yaml";
import type { GeneratorModel } from "../model.ts";
import { generatedHeader } from "./header.ts";

/** Renders the Kustomization as YAML (unformatted). */
export function emitKustomization(model: GeneratorModel): string {
  const { crd, namespace, rbac, flowSchema, operatorDeployment } = model.outputs;
  const doc = new Document({
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    // All outputs share the deploy folder: each is listed by its file name.
    resources: [crd, namespace, rbac, flowSchema, operatorDeployment].map((path) => path.slice(path.lastIndexOf("/") + 1)),
  });
  return `${generatedHeader(model, "hash")}\n${doc.toString({ lineWidth: 0 })}`;
}
