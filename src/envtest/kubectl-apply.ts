/**
 * Server-side apply of manifests through the control plane's own kubectl, as a user would: the
 * objects go as they are (no typed client model to drop keys such as a CRD schema's `default`),
 * and the harness needs no API client of its own.
 */
import { execFile } from "node:child_process";

/** Applies `objects` (server-side, forced, with `fieldManager`) to the cluster of `kubeconfigPath`; rejects with kubectl's message. */
export function kubectlApply(kubectl: string, kubeconfigPath: string, objects: readonly object[], fieldManager: string): Promise<void> {
  const list = JSON.stringify({ apiVersion: "v1", kind: "List", items: objects });
  const args = ["--kubeconfig", kubeconfigPath, "apply", "--server-side", "--force-conflicts", `--field-manager=${fieldManager}`, "-f", "-"];
  return new Promise((resolve, reject) => {
    const child = execFile(kubectl, args, { timeout: 120_000 }, (error, _stdout, stderr) => {
      if (error === null) resolve();
      else reject(new Error(`kubectl apply failed: ${stderr.trim() || error.message}`));
    });
    child.stdin?.end(list);
  });
}
