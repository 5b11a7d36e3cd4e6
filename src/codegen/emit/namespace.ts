/**
 * Emits `deploy/namespace.yaml`: the operator's namespace, which the RBAC and the Deployment name.
 * Pod Security admission enforces the `restricted` profile there: the operator's pods must (and do)
 * run as non-root, without privilege escalation or capabilities, with the RuntimeDefault seccomp profile.
 */
import { Document } from "yaml";
import type { GeneratorModel } from "../model.ts";
import { generatedHeader } from "./header.ts";
import { operatorLabels } from "./rbac.ts";

/** Renders the Namespace as YAML (unformatted). */
export function emitNamespace(model: GeneratorModel): string {
  const doc = new Document({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: model.rbac.namespace, labels: { ...operatorLabels(model), "pod-security.kubernetes.io/enforce": "restricted" } },
  });
  return `${generatedHeader(model, "hash")}\n${doc.toString({ lineWidth: 0 })}`;
}
