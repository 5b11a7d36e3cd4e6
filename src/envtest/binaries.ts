/**
 * Where the control-plane binaries come from: `TEST_ASSET_*` variables first, then `KUBEBUILDER_ASSETS` (etcd and
 * kube-apiserver only), then the version-keyed cache that `npm run envtest:build` fills; and which of them a kind of
 * workload node needs.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { mysqlopCacheDir } from "./cache-dir.ts";

/**
 * The pinned versions `build-binaries.sh` builds; the cache folder is named after them so that a version bump
 * never reuses stale binaries. A unit test keeps this in step with the script.
 */
export const PINNED_VERSIONS = { kubernetes: "v1.36.3", etcd: "v3.6.8", kwok: "v0.7.0" } as const;

/** Where the binaries of one version bundle land: `<cache>/k8s/<k8s>-etcd<etcd>-kwok<kwok>/bin`. */
export function cachedBinDir(): string {
  const v = PINNED_VERSIONS;
  return join(mysqlopCacheDir(), "k8s", `${v.kubernetes}-etcd${v.etcd}-kwok${v.kwok}`, "bin");
}

/** Absolute paths of the control-plane binaries; the workload ones are absent when not found (setup-envtest ships only the first three). */
export interface BinaryPaths {
  etcd: string;
  kubeApiserver: string;
  kubectl: string;
  kubeControllerManager?: string;
  kubeScheduler?: string;
  kwok?: string;
  /** kwok's stage files joined into one YAML stream (node initialise/heartbeat, pod ready/complete/delete). */
  kwokStages?: string;
}

interface Lookup {
  key: keyof BinaryPaths;
  file: string;
  env: string;
}

const LOOKUPS: Lookup[] = [
  { key: "etcd", file: "etcd", env: "TEST_ASSET_ETCD" },
  { key: "kubeApiserver", file: "kube-apiserver", env: "TEST_ASSET_KUBE_APISERVER" },
  { key: "kubectl", file: "kubectl", env: "TEST_ASSET_KUBECTL" },
  { key: "kubeControllerManager", file: "kube-controller-manager", env: "TEST_ASSET_KUBE_CONTROLLER_MANAGER" },
  { key: "kubeScheduler", file: "kube-scheduler", env: "TEST_ASSET_KUBE_SCHEDULER" },
  { key: "kwok", file: "kwok", env: "TEST_ASSET_KWOK" },
  { key: "kwokStages", file: "kwok-stages.yaml", env: "TEST_ASSET_KWOK_STAGES" },
];

const HOW_TO_GET_THEM = [
  "Get them in one of these ways:",
  "  - build the pinned versions into the cache (needs Go, about 14–26 minutes once):  npm run envtest:build",
  "  - or use controller-runtime's setup-envtest (etcd, kube-apiserver, kubectl only; no workloads):",
  "      go install sigs.k8s.io/controller-runtime/tools/setup-envtest@latest",
  '      export KUBEBUILDER_ASSETS="$(setup-envtest use -p path 1.36.x)"',
  "  - or point TEST_ASSET_ETCD, TEST_ASSET_KUBE_APISERVER, TEST_ASSET_KUBECTL (and TEST_ASSET_KUBE_CONTROLLER_MANAGER,",
  "    TEST_ASSET_KUBE_SCHEDULER, TEST_ASSET_KWOK, TEST_ASSET_KWOK_STAGES for workloads) at the files.",
].join("\n");

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds the control-plane binaries the way controller-runtime's envtest does, per binary: the `TEST_ASSET_*`
 * variable, then the `KUBEBUILDER_ASSETS` directory, then mysqlop's cache (`npm run envtest:build`).
 * Throws, saying exactly how to get them, when etcd, kube-apiserver or kubectl is missing.
 */
export function findBinaries(): BinaryPaths {
  const assets = process.env["KUBEBUILDER_ASSETS"];
  const cache = cachedBinDir();
  const found: Partial<Record<keyof BinaryPaths, string>> = {};
  const problems: string[] = [];
  for (const { key, file, env } of LOOKUPS) {
    const fromEnv = process.env[env];
    if (fromEnv !== undefined && fromEnv !== "") {
      if (isFile(fromEnv)) found[key] = fromEnv;
      else problems.push(`${env}=${fromEnv} is not a file`);
      continue;
    }
    const candidates = [...(assets ? [join(assets, file)] : []), join(cache, file)];
    const hit = candidates.find(isFile);
    if (hit !== undefined) found[key] = hit;
  }
  const missing = (["etcd", "kubeApiserver", "kubectl"] as const).filter((k) => found[k] === undefined);
  if (missing.length > 0 || problems.length > 0) {
    const searched = [assets ? `KUBEBUILDER_ASSETS=${assets}` : "KUBEBUILDER_ASSETS (unset)", `the cache ${cache}`];
    throw new Error(
      [
        `control-plane binaries not found: ${missing.map((k) => LOOKUPS.find((l) => l.key === k)?.file).join(", ") || "(see below)"}`,
        ...problems,
        `Searched: TEST_ASSET_* variables, ${searched.join(", ")}.`,
        HOW_TO_GET_THEM,
      ].join("\n"),
    );
  }
  // Narrowed by the check above; spelled out so the type says which ones are guaranteed.
  const { etcd, kubeApiserver, kubectl } = found as Required<Pick<BinaryPaths, "etcd" | "kubeApiserver" | "kubectl">>;
  return { ...found, etcd, kubeApiserver, kubectl };
}

/** Which node runs the pods: kwok's fake one, or the process node (pods as local processes). */
export type NodeKind = "kwok" | "process";

/** The workload binaries `nodes` needs (kube-controller-manager and kube-scheduler, and kwok for its node). */
export interface WorkloadBinaries {
  kubeControllerManager: string;
  kubeScheduler: string;
  kwok?: string;
  kwokStages?: string;
}

/** The workload binaries for `nodes`, or an error naming what is missing and how to get it. */
export function requireWorkloadBinaries(paths: BinaryPaths, nodes: NodeKind = "kwok"): WorkloadBinaries {
  const needed = nodes === "kwok" ? LOOKUPS : LOOKUPS.filter((l) => l.key !== "kwok" && l.key !== "kwokStages");
  const missing = needed.filter((l) => paths[l.key] === undefined).map((l) => l.file);
  if (missing.length > 0) {
    throw new Error(
      `workloads need ${missing.join(", ")}, not found (setup-envtest's KUBEBUILDER_ASSETS has only etcd, kube-apiserver and kubectl).\n${HOW_TO_GET_THEM}`,
    );
  }
  return paths as WorkloadBinaries;
}

/** The directory holding kubectl, for tests that run it by path. */
export function kubectlDir(paths: BinaryPaths): string {
  return dirname(paths.kubectl);
}

/** True when the cache holds every binary `build-binaries.sh` produces (a cheap check: existence, not `--version`). */
export function cacheLooksComplete(): boolean {
  const dir = cachedBinDir();
  return LOOKUPS.every((l) => existsSync(join(dir, l.file)));
}
