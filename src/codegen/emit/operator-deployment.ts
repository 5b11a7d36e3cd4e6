/**
 * Emits `deploy/operator.yaml`: the operator's Deployment in its namespace, under its
 * ServiceAccount. Replicas stand by for the leader (a Lease in `POD_NAMESPACE`, from the downward
 * API); liveness follows the informers' watchdog (`/healthz`), readiness the synced caches
 * (`/readyz`); the container passes Pod Security's `restricted` profile.
 */
import { Document } from "yaml";
import type { GeneratorModel } from "../model.ts";
import { generatedHeader } from "./header.ts";
import { operatorLabels } from "./rbac.ts";

/** The UID and GID the container runs as: a numeric user, so that the kubelet can verify runAsNonRoot. */
export const OPERATOR_UID = 65532;

/** The Deployment as a plain object. */
export function buildOperatorDeployment(model: GeneratorModel): Record<string, unknown> {
  const deployment = model.operatorDeployment;
  const name = model.rbac.serviceAccount;
  const selector = { "app.kubernetes.io/name": name, "app.kubernetes.io/component": "operator" };
  const labels = { ...operatorLabels(model), ...selector };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: model.rbac.namespace, labels },
    spec: {
      replicas: deployment.replicas,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: name,
          // Shutdown lets in-flight reconciles finish for up to 30 s, then releases the lease.
          terminationGracePeriodSeconds: 40,
          securityContext: { runAsNonRoot: true, runAsUser: OPERATOR_UID, runAsGroup: OPERATOR_UID, seccompProfile: { type: "RuntimeDefault" } },
          // Standby replicas on other nodes, where there are other nodes.
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selector } } },
              ],
            },
          },
          containers: [
            {
              name: "operator",
              image: deployment.image,
              imagePullPolicy: "IfNotPresent",
              args: ["run", `--probe-port=${deployment.probePort}`, "--log-format=json"],
              env: [
                { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              ],
              ports: [{ name: "probes", containerPort: deployment.probePort, protocol: "TCP" }],
              livenessProbe: { httpGet: { path: "/healthz", port: "probes" }, initialDelaySeconds: 15, periodSeconds: 20, failureThreshold: 3 },
              readinessProbe: { httpGet: { path: "/readyz", port: "probes" }, periodSeconds: 10 },
              resources: { requests: { ...deployment.resources.requests }, limits: { ...deployment.resources.limits } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ["ALL"] },
              },
            },
          ],
        },
      },
    },
  };
}

/** Renders the Deployment as YAML (unformatted). */
export function emitOperatorDeployment(model: GeneratorModel): string {
  return `${generatedHeader(model, "hash")}\n${new Document(buildOperatorDeployment(model), { aliasDuplicateObjects: false }).toString({ lineWidth: 0 })}`;
}
