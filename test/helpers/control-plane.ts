import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { KubeConfig } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { MYSQL_OPERATOR_NAMESPACE, MYSQL_OPERATOR_SERVICE_ACCOUNT } from "../../generated/mysql-constants.ts";
import { cachedBinDir, startControlPlane, type ControlPlane, type NodeKind } from "../../src/envtest/index.ts";

/** The checkout's root. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The generated CustomResourceDefinition. */
export const CRD_FILE = join(REPO_ROOT, "deploy", "crd.yaml");
/** The generated operator Namespace (Pod Security `restricted`). */
export const NAMESPACE_FILE = join(REPO_ROOT, "deploy", "namespace.yaml");
/** The generated RBAC (ServiceAccount, ClusterRole(Binding), Role(Binding)) in that namespace. */
export const RBAC_FILE = join(REPO_ROOT, "deploy", "rbac.yaml");
/** The generated FlowSchema: the operator's Lease requests in the API server's `leader-election` priority level. */
export const FLOW_SCHEMA_FILE = join(REPO_ROOT, "deploy", "flowschema.yaml");
/** The namespaced RBAC variant: applied once, and per watched namespace (its objects carry no namespace). */
export const NAMESPACED_RBAC_FILES = {
  operator: join(REPO_ROOT, "deploy", "rbac-namespaced", "operator.yaml"),
  watchedRole: join(REPO_ROOT, "deploy", "rbac-namespaced", "watched-namespace", "role.yaml"),
};
/** Where the operator runs, and as whom (from the schema). */
export const OPERATOR_NAMESPACE = MYSQL_OPERATOR_NAMESPACE;
export const OPERATOR_SERVICE_ACCOUNT = MYSQL_OPERATOR_SERVICE_ACCOUNT;

/** A control plane with mysqlop's CRD and RBAC installed, and a client identity with exactly the operator's permissions. */
export interface MysqlopControlPlane {
  cp: ControlPlane;
  /** Authenticates as the ServiceAccount `mysqlop-system/mysqlop` (TokenRequest token): the generated RBAC, nothing more. */
  operator: { kubeConfig: KubeConfig; kubeconfigPath: string };
}

/**
 * Starts a control plane (one per test file: `before`/`after`), installs `deploy/crd.yaml`, `namespace.yaml`, `flowschema.yaml` and `rbac.yaml`
 * (or, with `watchNamespaces`, the namespaced variant: `deploy/rbac-namespaced/operator.yaml` and the watched-namespace
 * Role in each of those namespaces, created), and returns it with the operator's ServiceAccount kubeconfig. Stops the
 * control plane again if any step fails.
 */
export async function startMysqlopControlPlane(
  opts: { workloads?: boolean | NodeKind; log?: (line: string) => void; watchNamespaces?: readonly string[] } = {},
): Promise<MysqlopControlPlane> {
  // The CRD goes in before the workload components start, so kube-controller-manager need not restart for it.
  const cp = await startControlPlane({ workloads: opts.workloads, log: opts.log, crds: [CRD_FILE] });
  try {
    await cp.applyManifests(NAMESPACE_FILE);
    // As deployed: the operator's lease renewals do not queue behind its own writes.
    await cp.applyManifests(FLOW_SCHEMA_FILE);
    if (opts.watchNamespaces === undefined) await cp.applyManifests(RBAC_FILE);
    else {
      await cp.applyManifests(NAMESPACED_RBAC_FILES.operator);
      const role = parseAllDocuments(await readFile(NAMESPACED_RBAC_FILES.watchedRole, "utf8")).map(
        (doc) => doc.toJS() as { metadata: { namespace?: string } },
      );
      for (const namespace of opts.watchNamespaces) {
        await cp.applyManifests(role.map((object) => ({ ...object, metadata: { ...object.metadata, namespace } })));
      }
    }
    const operator = await cp.serviceAccountKubeConfig({ namespace: OPERATOR_NAMESPACE, name: OPERATOR_SERVICE_ACCOUNT });
    return { cp, operator };
  } catch (error) {
    await cp.stop();
    throw error;
  }
}

/** What a kubectl run printed. */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** How long a kubectl run may take unless it asks for longer itself: a loaded 2-core machine runs a second CI beside. */
const KUBECTL_DEADLINE_MS = 120_000;

/** Milliseconds of a Go duration as kubectl's `--timeout=` takes it (`180s`, `2m`, `1m30s`); undefined for one it cannot read. */
export function goDurationMs(text: string): number | undefined {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) return undefined;
  return parts.reduce((sum, [, value, unit]) => sum + Number(value) * (units[unit ?? ""] ?? 0), 0);
}

/**
 * How long the helper lets a kubectl run go on before it kills it: past what the run's own `--timeout=` asks (a
 * `delete --wait=true --timeout=180s` that waits for a backup Job must not be killed at a shorter deadline of ours,
 * which would fail the test with no word from kubectl), and never less than {@link KUBECTL_DEADLINE_MS}.
 */
export function kubectlDeadlineMs(args: readonly string[]): number {
  const asked = args.map((arg) => /^--timeout=(.+)$/.exec(arg)?.[1]).find((value) => value !== undefined);
  const askedMs = asked === undefined ? undefined : goDurationMs(asked);
  return Math.max(KUBECTL_DEADLINE_MS, (askedMs ?? 0) + 60_000);
}

/**
 * Runs the control plane's kubectl against it (admin kubeconfig unless `kubeconfig` is given), with a private
 * discovery cache so that nothing lands in ~/.kube. Never throws for a non-zero exit: tests assert on it. A run that
 * outlives {@link kubectlDeadlineMs} is killed and rejects, naming the command and what it printed.
 */
export async function kubectl(cp: ControlPlane, args: string[], opts: { kubeconfig?: string; input?: string } = {}): Promise<KubectlResult> {
  const cacheDir = await mkdtemp(join(tmpdir(), "mysqlop-kubectl-cache-"));
  const deadlineMs = kubectlDeadlineMs(args);
  try {
    return await new Promise<KubectlResult>((resolve, reject) => {
      const child = execFile(
        join(cp.binDir, "kubectl"),
        ["--kubeconfig", opts.kubeconfig ?? cp.kubeconfigPath, "--cache-dir", cacheDir, ...args],
        { timeout: deadlineMs, maxBuffer: 256 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
          if (code !== -1) resolve({ code, stdout, stderr });
          else if (error?.killed === true)
            reject(new Error(`kubectl ${args.join(" ")} killed after ${deadlineMs} ms; it printed: ${stdout.slice(-2000)}${stderr.slice(-2000)}`));
          else reject(error ?? new Error("kubectl failed to run"));
        },
      );
      if (opts.input !== undefined) child.stdin?.end(opts.input);
    });
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

/** The cold build time of the cached binaries in seconds (written by build-binaries.sh), if known. */
export async function coldBuildSeconds(): Promise<number | undefined> {
  try {
    const text = await readFile(join(cachedBinDir(), "build-seconds"), "utf8");
    const seconds = Number.parseInt(text.trim(), 10);
    return Number.isFinite(seconds) ? seconds : undefined;
  } catch {
    return undefined;
  }
}
