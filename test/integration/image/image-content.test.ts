// The operator image without a container engine: the Dockerfile's last stage is assembled into a temporary
// root (exactly its COPY lines, after the build stage's `npm run bundle`), then its ENTRYPOINT runs there with
// the arguments of deploy/operator.yaml, as the image's USER (dropped to with setpriv), with in-cluster
// configuration (a ServiceAccount token and CA under the root), against a real API server with workloads,
// under the generated RBAC. The original cr.yaml must reconcile.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { chmod, copyFile, cp as copyTree, link, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { existsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, type V1ConfigMap } from "@kubernetes/client-node";
import { parseDocument } from "yaml";
import { bundleOperator } from "../../../src/build/bundle.ts";
import { eventually } from "../../helpers/eventually.ts";
import { kubectl, OPERATOR_NAMESPACE, REPO_ROOT, startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";

interface Stage {
  from: string;
  name?: string;
  workdir?: string;
  user?: string;
  entrypoint?: string[];
  cmd?: string[];
  env: Record<string, string>;
  runs: string[];
  copies: { from?: string; sources: string[]; dest: string }[];
}

/** The stages of a Dockerfile: enough of its grammar for this project's file (continuations, comments, JSON arrays). */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const logical = text.replace(/\\\n/g, " ").split("\n");
  for (const raw of logical) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [instruction = "", ...restParts] = line.split(/\s+/);
    const rest = line.slice(instruction.length).trim();
    const op = instruction.toUpperCase();
    if (op === "ARG" && stages.length === 0) continue;
    if (op === "FROM") {
      const [from = "", as, name] = restParts;
      stages.push({ from, ...(as?.toUpperCase() === "AS" ? { name } : {}), env: {}, runs: [], copies: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) throw new Error(`Dockerfile: ${op} before FROM`);
    const array = (): string[] => JSON.parse(rest) as string[];
    switch (op) {
      case "WORKDIR":
        stage.workdir = rest;
        break;
      case "USER":
        stage.user = rest;
        break;
      case "ENTRYPOINT":
        stage.entrypoint = array();
        break;
      case "CMD":
        stage.cmd = array();
        break;
      case "ENV": {
        const [key = "", value = ""] = rest.split("=", 2);
        stage.env[key] = value;
        break;
      }
      case "RUN":
        stage.runs.push(rest);
        break;
      case "COPY": {
        const parts = restParts.filter((p) => !p.startsWith("--") || p.startsWith("--from="));
        const from = parts.find((p) => p.startsWith("--from="))?.slice("--from=".length);
        const paths = parts.filter((p) => !p.startsWith("--from="));
        stage.copies.push({ ...(from === undefined ? {} : { from }), sources: paths.slice(0, -1), dest: paths.at(-1) ?? "" });
        break;
      }
      default:
        throw new Error(`Dockerfile: instruction ${op} is not understood by this test; teach it, or the image is not what the test runs`);
    }
  }
  return stages;
}

const OPERATOR_YAML = join(REPO_ROOT, "deploy/operator.yaml");
/** util-linux's setpriv (Debian's base system), found on this process's PATH: the child gets the image's PATH. */
const SETPRIV = (process.env.PATH ?? "")
  .split(delimiter)
  .map((dir) => join(dir, "setpriv"))
  .find((path) => existsSync(path));

describe("integration: the image's content runs the operator in-cluster, unprivileged, under the generated RBAC", { timeout: 300_000 }, () => {
  const skip =
    process.getuid?.() !== 0 ? "needs root to drop to the image's user (CI runs as root)" : SETPRIV === undefined ? "needs setpriv (util-linux)" : false;
  let env: MysqlopControlPlane;
  let root: string;
  let operator: ChildProcess | undefined;
  let output = "";
  let exited: Promise<number | null>;
  let stages: Stage[];

  before(async () => {
    if (skip !== false) return;
    stages = parseDockerfile(await readFile(join(REPO_ROOT, "Dockerfile"), "utf8"));
    root = await mkdtemp(join(tmpdir(), "mysqlop-image-root-"));
    env = await startMysqlopControlPlane({ workloads: true });
  });
  after(async () => {
    operator?.kill("SIGKILL");
    await env?.cp.stop();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  test("the Dockerfile builds the bundle and its last stage holds only the bundle's folder, as a non-root numeric user", { skip }, () => {
    const [build, final] = [stages[0]!, stages.at(-1)!];
    assert.equal(stages.length, 2);
    assert.match(build.from, /^node:\$\{NODE_VERSION\}-slim$/);
    assert.match(final.from, /^node:\$\{NODE_VERSION\}-slim$/);
    assert.ok(build.runs.includes("npm run bundle"), "the build stage runs npm run bundle, which this test runs too");
    assert.deepEqual(final.copies, [{ from: build.name, sources: [`${build.workdir}/dist/operator/`], dest: "/app/" }]);
    assert.match(final.user ?? "", /^[1-9][0-9]*:[1-9][0-9]*$/, "a numeric, non-root user");
  });

  test("the assembled root runs as that user, in-cluster; the original cr.yaml reconciles; SIGTERM stops it cleanly", { skip }, async () => {
    const [build, final] = [stages[0]!, stages.at(-1)!];
    // The build stage.
    await bundleOperator();
    // The last stage: its base image's node, then exactly its COPY lines (build's WORKDIR is this checkout).
    const nodeBin = join(root, "usr/local/bin/node");
    await mkdir(dirname(nodeBin), { recursive: true });
    await link(process.execPath, nodeBin).catch(() => copyFile(process.execPath, nodeBin));
    for (const copy of final.copies) {
      for (const source of copy.sources) {
        const from = join(REPO_ROOT, source.replace(new RegExp(`^${build.workdir}/`), ""));
        await copyTree(from, join(root, copy.dest), { recursive: true });
      }
    }
    const appFiles = (await readdir(join(root, "app"))).sort();
    assert.deepEqual(appFiles, ["backup.sh", "common.sh", "mysqlop.mjs", "restore.sh"], "only the bundle and the scripts");

    // What the kubelet mounts: the ServiceAccount's token, the cluster CA, the namespace.
    const saDir = join(root, "var/run/secrets/kubernetes.io/serviceaccount");
    await mkdir(saDir, { recursive: true });
    const token = env.operator.kubeConfig.getCurrentUser()?.token;
    const caData = env.cp.kubeConfig.getCurrentCluster()?.caData;
    assert.ok(token !== undefined && caData !== undefined);
    await writeFile(join(saDir, "token"), token);
    await writeFile(join(saDir, "ca.crt"), Buffer.from(caData, "base64"));
    await writeFile(join(saDir, "namespace"), OPERATOR_NAMESPACE);
    // Everything owned by root, readable by all, writable by none but root: the user cannot change the image.
    await chmod(root, 0o755);
    const dirs = [
      "usr",
      "usr/local",
      "usr/local/bin",
      "app",
      "var",
      "var/run",
      "var/run/secrets",
      "var/run/secrets/kubernetes.io",
      "var/run/secrets/kubernetes.io/serviceaccount",
    ];
    for (const dir of dirs) await chmod(join(root, dir), 0o755);

    for (const file of appFiles) await chmod(join(root, "app", file), 0o644);

    // The container: ENTRYPOINT + the Deployment's args (port 0 for the probes instead of the fixed one: the operator binds
    // a free one itself and logs it; a port the test picked could be taken by another run before the operator binds it),
    // the image's USER.
    const container = (parseDocument(await readFile(OPERATOR_YAML, "utf8")).toJS() as { spec: { template: { spec: { containers: { args: string[] }[] } } } })
      .spec.template.spec.containers[0]!;
    const args = container.args.map((a) => (a.startsWith("--probe-port=") ? "--probe-port=0" : a));
    const [program, ...entryArgs] = final.entrypoint!;
    assert.equal(program, "node");
    const [uid, gid] = final.user!.split(":");
    const server = new URL(env.cp.server);
    // Node's flags as they are, the script's path under the assembled root.
    const entry = entryArgs.map((a) => (a.startsWith("/") ? join(root, a) : a));
    operator = spawn(SETPRIV!, [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--", nodeBin, ...entry, ...args], {
      cwd: join(root, final.workdir ?? "/"),
      env: {
        ...final.env,
        PATH: join(root, "usr/local/bin"),
        HOME: "/nonexistent",
        KUBERNETES_SERVICE_HOST: server.hostname,
        KUBERNETES_SERVICE_PORT: server.port,
        POD_NAMESPACE: OPERATOR_NAMESPACE,
        MYSQLOP_IN_CLUSTER_ROOT: root,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    operator.stdout!.on("data", (c: Buffer) => (output += c.toString()));
    operator.stderr!.on("data", (c: Buffer) => (output += c.toString()));
    exited = new Promise((resolve) => operator!.on("exit", resolve));
    await eventually("the operator leads", async () => output.includes('"msg":"became leader"'), 60_000);
    const probePort = await eventually(
      "the operator serves probes",
      async () => Number(/"msg":"serving probes and metrics".*?"port":(\d+)/.exec(output)?.[1] ?? 0) || undefined,
      60_000,
    );
    const status = await readFile(`/proc/${operator.pid}/status`, "utf8");
    assert.match(status, new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, "m"), "runs as the image's user");
    const ready = await eventually("/readyz answers 200", async () => (await fetch(`http://127.0.0.1:${probePort}/readyz`)).status === 200, 30_000);
    assert.ok(ready);
    assert.equal((await fetch(`http://127.0.0.1:${probePort}/healthz`)).status, 200);

    const applied = await kubectl(env.cp, ["apply", "-f", join(REPO_ROOT, "deploy/cr.yaml")]);
    assert.equal(applied.code, 0, applied.stderr);
    await eventually(
      "status: mysql-instance created without restore-job",
      async () => {
        const got = await kubectl(env.cp, ["get", "my", "mysql-instance", "-o", "jsonpath={.status.message}"]);
        return got.stdout === "mysql-instance created without restore-job";
      },
      120_000,
      250,
    );
    // The scripts the Jobs run came from beside the bundle in the image.
    const scripts: V1ConfigMap = await env.cp.kubeConfig
      .makeApiClient(CoreV1Api)
      .readNamespacedConfigMap({ name: "mysql-instance-scripts", namespace: "default" });
    for (const file of ["backup.sh", "common.sh", "restore.sh"]) assert.equal(scripts.data?.[file], await readFile(join(root, "app", file), "utf8"), file);
    for (const line of output.trim().split("\n")) assert.doesNotThrow(() => JSON.parse(line), `a JSON log line: ${line}`);
    assert.match(output, /"msg":"created PersistentVolumeClaim default\/mysql-instance-pvc"/);
    assert.doesNotMatch(output, /otuspassword/);

    operator.kill("SIGTERM");
    assert.equal(await exited, 0, output.slice(-2000));
    operator = undefined;
  });
});
