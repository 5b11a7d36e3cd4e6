/**
 * Renders a kubeconfig for one cluster and one identity (a client certificate, or a token), so tests and the
 * sandbox never depend on the user's own kubeconfig.
 */
import { stringify } from "yaml";

/** Who a kubeconfig authenticates as: a client certificate (PEM) or a bearer token. */
export type KubeconfigCredentials = { clientCertPem: string; clientKeyPem: string } | { token: string };

/**
 * Renders a self-contained kubeconfig (certificates embedded as data, so the file still works when copied
 * elsewhere, e.g. by `mysqlop sandbox --kubeconfig`).
 */
export function renderKubeconfig(opts: { name: string; server: string; caPem: string; credentials: KubeconfigCredentials; namespace?: string }): string {
  const b64 = (s: string): string => Buffer.from(s).toString("base64");
  const user =
    "token" in opts.credentials
      ? { token: opts.credentials.token }
      : { "client-certificate-data": b64(opts.credentials.clientCertPem), "client-key-data": b64(opts.credentials.clientKeyPem) };
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "mysqlop-envtest", cluster: { server: opts.server, "certificate-authority-data": b64(opts.caPem) } }],
    users: [{ name: opts.name, user }],
    contexts: [
      {
        name: opts.name,
        context: { cluster: "mysqlop-envtest", user: opts.name, ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}) },
      },
    ],
    "current-context": opts.name,
    preferences: {},
  });
}
