/** Kubeconfigs that authenticate as a ServiceAccount, with a TokenRequest token: how tests run code under its exact RBAC. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { renderKubeconfig } from "./kubeconfig.ts";

const TOKEN_SECONDS = 24 * 3600;

/** Where and for whom to write the kubeconfig. */
export interface ServiceAccountKubeconfigRequest {
  /** An admin kubeconfig of the control plane (it requests the token). */
  admin: KubeConfig;
  /** `https://127.0.0.1:PORT` and the CA that signed its serving certificate. */
  server: string;
  caPem: string;
  /** The file goes here, named `sa-NAMESPACE-NAME.kubeconfig`. */
  dir: string;
  namespace: string;
  name: string;
}

/** Requests a token (valid 24 h) for an existing ServiceAccount and writes a kubeconfig (mode 0600) that uses it. */
export async function writeServiceAccountKubeconfig(req: ServiceAccountKubeconfigRequest): Promise<{ kubeConfig: KubeConfig; kubeconfigPath: string }> {
  const core = req.admin.makeApiClient(CoreV1Api);
  const tokenRequest = await core.createNamespacedServiceAccountToken({
    name: req.name,
    namespace: req.namespace,
    body: { spec: { audiences: [], expirationSeconds: TOKEN_SECONDS } },
  });
  const token = tokenRequest.status?.token;
  if (token === undefined || token === "") throw new Error(`TokenRequest for ${req.namespace}/${req.name} returned no token`);
  const kubeconfigPath = join(req.dir, `sa-${req.namespace}-${req.name}.kubeconfig`);
  const user = `system:serviceaccount:${req.namespace}:${req.name}`;
  await writeFile(kubeconfigPath, renderKubeconfig({ name: user, server: req.server, caPem: req.caPem, credentials: { token }, namespace: req.namespace }), {
    mode: 0o600,
  });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  return { kubeConfig, kubeconfigPath };
}
