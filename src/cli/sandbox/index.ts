import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { MYSQL_OPERATOR_NAMESPACE, MYSQL_OPERATOR_SERVICE_ACCOUNT } from "../../../generated/mysql-constants.ts";
import { mysqlopCacheDir } from "../../envtest/cache-dir.ts";
import {
  lastLines,
  preferredNodeKind,
  processNodeProblems,
  startControlPlane,
  type ComponentStatus,
  type ControlPlane,
  type NodeKind,
} from "../../envtest/index.ts";

const USAGE = `usage: mysqlop sandbox [--kubeconfig PATH] [--workloads process|kwok|auto | --with-workloads]

Starts a local Kubernetes control plane (etcd + kube-apiserver, RBAC on), installs mysqlop's CRD and RBAC
(deploy/crd.yaml, deploy/rbac.yaml), writes an admin kubeconfig and runs until interrupted (Ctrl-C).

  --kubeconfig PATH      where to write the admin kubeconfig (default: ${join("$MYSQLOP_CACHE", "sandbox", "kubeconfig")});
                         removed again on exit, since it points at a server that is then gone
  --workloads process    also run kube-controller-manager, kube-scheduler and the process node: pods run as
                         processes of this machine (root needed), a mysql:* or mariadb:* image runs the local
                         mariadbd, each pod has its own 127.x.y.z address, kubectl logs works
  --workloads kwok       the same with kwok's fake node instead: pods are marked Running and Jobs Complete,
                         but nothing runs
  --workloads auto       process where it can run and MariaDB is installed, else kwok (says which, and why)
  --with-workloads       the same as --workloads kwok
  -h, --help             show this help`;

/** What a pod of each node kind is, for the ready message. */
const NODE_NOTES: Record<NodeKind, string> = {
  kwok: "kwok's fake node: pods are marked Running and Jobs Complete, but no container really runs.",
  process:
    "the process node: pods run as processes of this machine, each with its own 127.x.y.z pod IP (kubectl get pods -o wide); a mysql:* image runs the local mariadbd, so: mysql -h <pod IP> -uroot -p. kubectl logs works.",
};

/** `--workloads` and `--with-workloads` as one node kind; undefined for none. */
function workloadsOption(values: { "with-workloads"?: boolean; workloads?: string }): NodeKind | undefined | { error: string } {
  const named = values.workloads;
  if (values["with-workloads"] === true) {
    if (named !== undefined && named !== "kwok") return { error: `--with-workloads (kwok) and --workloads ${named} contradict each other` };
    return "kwok";
  }
  if (named === undefined || named === "kwok" || named === "process") return named;
  if (named !== "auto") return { error: `--workloads must be process, kwok or auto, not ${JSON.stringify(named)}` };
  const preferred = preferredNodeKind();
  console.error(`mysqlop sandbox: --workloads auto: ${preferred.kind} (${preferred.why})`);
  return preferred.kind;
}

/** The package's own `deploy/` folder: the sandbox installs the CRD and RBAC shipped with this mysqlop. */
function deployDir(): string {
  return fileURLToPath(new URL("../../../deploy/", import.meta.url));
}

function kubectlCommand(binDir: string): string {
  const onPath = (process.env["PATH"] ?? "").split(delimiter).some((dir) => dir !== "" && existsSync(join(dir, "kubectl")));
  return onPath ? "kubectl" : join(binDir, "kubectl");
}

const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Resolves on the first stop signal. The listeners stay until `dispose()`, after teardown: while they are there
 * the harness's own signal hook tears down but does not re-raise the signal, so `run` gets to finish and exit 0.
 */
function watchStopSignals(): { signalled: Promise<NodeJS.Signals>; dispose: () => void } {
  // A pending promise does not keep Node alive, and the control plane's processes are unref'd on purpose.
  const keepAlive = setInterval(() => {}, 1 << 30);
  let handler: (signal: NodeJS.Signals) => void = () => {};
  const signalled = new Promise<NodeJS.Signals>((resolveSignal) => {
    handler = (signal) => resolveSignal(signal);
  });
  for (const s of STOP_SIGNALS) process.on(s, handler);
  return {
    signalled,
    dispose: () => {
      clearInterval(keepAlive);
      for (const s of STOP_SIGNALS) process.removeListener(s, handler);
    },
  };
}

/** Resolves with the first component found dead: a sandbox without its API server is no sandbox. */
async function componentExit(cp: ControlPlane): Promise<ComponentStatus> {
  for (;;) {
    const dead = cp.components().find((c) => c.exitStatus !== undefined);
    if (dead !== undefined) return dead;
    await sleep(1_000, undefined, { ref: false });
  }
}

/** `mysqlop sandbox`: a throw-away control plane with mysqlop's CRD and RBAC, for trying mysqlop without a cluster. */
export async function run(argv: string[]): Promise<number> {
  let values: { kubeconfig?: string; "with-workloads"?: boolean; workloads?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        kubeconfig: { type: "string" },
        "with-workloads": { type: "boolean" },
        workloads: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(`mysqlop sandbox: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  const workloads = workloadsOption(values);
  if (typeof workloads === "object") {
    console.error(`mysqlop sandbox: ${workloads.error}\n\n${USAGE}`);
    return 2;
  }
  if (workloads === "process") {
    const problems = processNodeProblems();
    if (problems.length > 0) {
      console.error(`mysqlop sandbox: --workloads process: the process node cannot run here: ${problems.join("; ")}`);
      return 1;
    }
  }
  const kubeconfigPath = resolve(values.kubeconfig ?? join(mysqlopCacheDir(), "sandbox", "kubeconfig"));
  const crdFile = join(deployDir(), "crd.yaml");
  const rbacFile = join(deployDir(), "rbac.yaml");
  for (const file of [crdFile, rbacFile]) {
    if (!existsSync(file)) {
      console.error(`mysqlop sandbox: ${file} is missing (run 'mysqlop generate' in a checkout)`);
      return 1;
    }
  }
  const stop = watchStopSignals();
  let cp: ControlPlane | undefined;
  let wroteKubeconfig = false;
  try {
    const started = Date.now();
    const starting = startControlPlane({ ...(workloads === undefined ? {} : { workloads }), log: (line) => console.error(line) });
    // Ctrl-C during start-up: the harness's own hooks tear down whatever already runs.
    const first = await Promise.race([starting, stop.signalled]);
    if (typeof first === "string") {
      await starting.then((c) => c.stop()).catch(() => {});
      return 130;
    }
    cp = first;
    await cp.installCrd(crdFile);
    await cp.applyManifests(rbacFile);
    const operator = await cp.serviceAccountKubeConfig({ namespace: MYSQL_OPERATOR_NAMESPACE, name: MYSQL_OPERATOR_SERVICE_ACCOUNT });
    await mkdir(dirname(kubeconfigPath), { recursive: true });
    await writeFile(kubeconfigPath, await readFile(cp.kubeconfigPath, "utf8"), { mode: 0o600 });
    // It holds an admin key; `mode` above applies only when the file is new.
    await chmod(kubeconfigPath, 0o600);
    wroteKubeconfig = true;
    const kubectl = kubectlCommand(cp.binDir);
    const sample = join(deployDir(), "cr.yaml");
    const nodeReady = cp.timings.workloadsReadyMs !== undefined ? `, node ${cp.nodeName} ready in ${cp.timings.workloadsReadyMs} ms` : "";
    console.log(
      [
        `mysqlop sandbox: API server ${cp.server} ready in ${cp.timings.apiServerReadyMs} ms${nodeReady}; CRD and RBAC installed (${Date.now() - started} ms in all).`,
        ...(workloads === undefined ? [] : [`Pods run on ${NODE_NOTES[workloads]}`]),
        "",
        `  ${kubectl} --kubeconfig ${kubeconfigPath} get mysqls`,
        ...(existsSync(sample) ? [`  ${kubectl} --kubeconfig ${kubeconfigPath} apply -f ${sample}`] : []),
        `  export KUBECONFIG=${kubeconfigPath}`,
        "",
        `  As the operator's ServiceAccount (exactly its RBAC): --kubeconfig ${operator.kubeconfigPath}`,
        "",
        "Press Ctrl-C to stop; everything is removed then.",
      ].join("\n"),
    );
    const ended = await Promise.race([stop.signalled, componentExit(cp)]);
    if (typeof ended !== "string") {
      const { name, exitStatus, logFile } = ended;
      console.error(
        `mysqlop sandbox: ${name} exited unexpectedly (code ${exitStatus?.code}, signal ${exitStatus?.signal}); stopping.\n--- last lines of ${logFile} ---\n${lastLines(logFile, 30)}`,
      );
      return 1;
    }
    console.error(`mysqlop sandbox: ${ended}, stopping`);
    return 0;
  } catch (error) {
    console.error(`mysqlop sandbox: ${(error as Error).message}`);
    return 1;
  } finally {
    if (wroteKubeconfig) await rm(kubeconfigPath, { force: true });
    try {
      await cp?.stop();
    } finally {
      stop.dispose();
    }
  }
}
