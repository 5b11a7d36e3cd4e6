// Where the harness finds its binaries (no control plane is started here): TEST_ASSET_* beats KUBEBUILDER_ASSETS
// beats the cache, per binary, and a miss says exactly how to get them.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cachedBinDir, findBinaries, PINNED_VERSIONS, startControlPlane } from "../../src/envtest/index.ts";

const VARS = [
  "MYSQLOP_CACHE",
  "KUBEBUILDER_ASSETS",
  "TEST_ASSET_ETCD",
  "TEST_ASSET_KUBE_APISERVER",
  "TEST_ASSET_KUBECTL",
  "TEST_ASSET_KUBE_CONTROLLER_MANAGER",
  "TEST_ASSET_KUBE_SCHEDULER",
  "TEST_ASSET_KWOK",
  "TEST_ASSET_KWOK_STAGES",
];

function touch(dir: string, names: string[]): void {
  mkdirSync(dir, { recursive: true });
  for (const name of names) writeFileSync(join(dir, name), "");
}

describe("findBinaries", () => {
  let root: string;
  const saved = new Map<string, string | undefined>();

  before(() => {
    root = mkdtempSync(join(tmpdir(), "mysqlop-find-binaries-"));
    for (const v of VARS) saved.set(v, process.env[v]);
  });
  after(() => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(root, { recursive: true, force: true });
  });

  function setEnv(vars: Record<string, string>): void {
    for (const v of VARS) delete process.env[v];
    Object.assign(process.env, vars);
  }

  test("per binary: TEST_ASSET_* first, then KUBEBUILDER_ASSETS, then the cache", () => {
    const cache = join(root, "precedence-cache");
    setEnv({ MYSQLOP_CACHE: cache });
    const cacheBin = cachedBinDir();
    touch(cacheBin, ["etcd", "kube-apiserver", "kubectl", "kube-controller-manager", "kube-scheduler", "kwok", "kwok-stages.yaml"]);
    const assets = join(root, "assets");
    touch(assets, ["etcd", "kube-apiserver", "kubectl"]);
    const ownEtcd = join(root, "own", "etcd");
    touch(join(root, "own"), ["etcd"]);
    setEnv({ MYSQLOP_CACHE: cache, KUBEBUILDER_ASSETS: assets, TEST_ASSET_ETCD: ownEtcd });
    assert.deepEqual(findBinaries(), {
      etcd: ownEtcd,
      kubeApiserver: join(assets, "kube-apiserver"),
      kubectl: join(assets, "kubectl"),
      kubeControllerManager: join(cacheBin, "kube-controller-manager"),
      kubeScheduler: join(cacheBin, "kube-scheduler"),
      kwok: join(cacheBin, "kwok"),
      kwokStages: join(cacheBin, "kwok-stages.yaml"),
    });
  });

  test("the cache folder is named after the pinned versions", () => {
    setEnv({ MYSQLOP_CACHE: "/somewhere" });
    assert.equal(cachedBinDir(), "/somewhere/k8s/v1.36.3-etcdv3.6.8-kwokv0.7.0/bin");
  });

  test("nothing found: the error says exactly how to get them", () => {
    setEnv({ MYSQLOP_CACHE: join(root, "empty-cache") });
    assert.throws(findBinaries, (error: Error) => {
      assert.match(error.message, /control-plane binaries not found: etcd, kube-apiserver, kubectl/);
      assert.match(error.message, /npm run envtest:build/);
      assert.match(error.message, /setup-envtest use -p path/);
      assert.match(error.message, /KUBEBUILDER_ASSETS/);
      return true;
    });
  });

  test("a TEST_ASSET_* variable naming no file is an error, not a silent fallback", () => {
    setEnv({ MYSQLOP_CACHE: join(root, "precedence-cache"), TEST_ASSET_KUBE_APISERVER: join(root, "nope") });
    assert.throws(findBinaries, /TEST_ASSET_KUBE_APISERVER=.*nope is not a file/);
  });

  test("workloads with setup-envtest's three binaries only: refused up front, naming what is missing", async () => {
    const assets = join(root, "assets-only");
    touch(assets, ["etcd", "kube-apiserver", "kubectl"]);
    setEnv({ MYSQLOP_CACHE: join(root, "empty-cache"), KUBEBUILDER_ASSETS: assets });
    await assert.rejects(startControlPlane({ workloads: true }), /workloads need kube-controller-manager, kube-scheduler, kwok, kwok-stages\.yaml, not found/);
  });

  test("PINNED_VERSIONS are the versions build-binaries.sh builds", () => {
    const script = readFileSync(join(import.meta.dirname, "../../src/envtest/build-binaries.sh"), "utf8");
    assert.match(script, new RegExp(`^K8S_VERSION=${PINNED_VERSIONS.kubernetes}$`, "m"));
    assert.match(script, new RegExp(`^ETCD_VERSION=${PINNED_VERSIONS.etcd}$`, "m"));
    assert.match(script, new RegExp(`^KWOK_VERSION=${PINNED_VERSIONS.kwok}$`, "m"));
  });
});
