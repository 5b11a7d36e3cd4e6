/**
 * Emits `deploy/flowschema.yaml`: API Priority and Fairness puts the operator's own Lease requests in
 * the built-in `leader-election` priority level, where kube-controller-manager's and kube-scheduler's
 * lease renewals go (FlowSchema `system-leader-election`). Without it they match `service-accounts` and
 * share `workload-low` with every write the operator makes, so a busy operator's renewal can wait in
 * its own queue until the renew deadline passes.
 *
 * The rule names exactly what leader election does (get, create, update of leases in the operator's
 * namespace, by its ServiceAccount); everything else the operator sends stays where it was. The
 * precedence (150) sits after the built-in `system-leader-election` (100) and before every generic
 * schema (`system-node-high` 400 … `service-accounts` 9000, `global-default` 9900).
 */
import { Document } from "yaml";
import type { GeneratorModel } from "../model.ts";
import { generatedHeader } from "./header.ts";
import { operatorLabels } from "./rbac.ts";

/** Name of the FlowSchema: `<serviceAccount>-leader-election`. */
export function flowSchemaName(model: GeneratorModel): string {
  return `${model.rbac.serviceAccount}-leader-election`;
}

/** Renders the FlowSchema as YAML (unformatted). */
export function emitFlowSchema(model: GeneratorModel): string {
  const { serviceAccount, namespace } = model.rbac;
  const doc = new Document({
    apiVersion: "flowcontrol.apiserver.k8s.io/v1",
    kind: "FlowSchema",
    metadata: { name: flowSchemaName(model), labels: operatorLabels(model) },
    spec: {
      matchingPrecedence: 150,
      priorityLevelConfiguration: { name: "leader-election" },
      distinguisherMethod: { type: "ByUser" },
      rules: [
        {
          subjects: [{ kind: "ServiceAccount", serviceAccount: { name: serviceAccount, namespace } }],
          resourceRules: [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], namespaces: [namespace], verbs: ["get", "create", "update"] }],
        },
      ],
    },
  });
  return `${generatedHeader(model, "hash")}\n${doc.toString({ lineWidth: 0 })}`;
}
