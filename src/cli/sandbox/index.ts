/**
 * `mysqlop sandbox`: a local control plane (`src/envtest`) with the generated CRD and RBAC installed,
 * for trying the operator without a cluster; runs until interrupted and removes everything it started.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { preferredNodeKind, processNodeProblems, type NodeKind } from "../../envtest/index.ts";
import { parseCommandArgs, usageError } from "../args.ts";
import { mysqlopCommand } from "../package-info.ts";
import {
  closeSandbox,
  componentExit,
  componentExitMessage,
  defaultKubeconfigPath,
  deployDir,
  NODE_NOTES,
  openSandbox,
  watchStopSignals,
  type SandboxSession,
} from "./session.ts";

const USAGE = `usage: mysqlop sandbox [--kubeconfig PATH] [--workloads process|kwok|auto | --with-workloads]

Starts a local Kubernetes control plane (etcd + kube-apiserver, RBAC on), installs mysqlop's CRD, namespace
RBAC and FlowSchema (deploy/crd.yaml, namespace.yaml, rbac.yaml, flowschema.yaml), writes an admin kubeconfig and one for the operator's
ServiceAccount (operator.kubeconfig beside it), and runs until interrupted (Ctrl-C).

  --kubeconfig PATH      where to write the admin kubeconfig (default: ${join("$MYSQLOP_CACHE", "sandbox", "kubeconfig")});
                         both kubeconfigs are removed again on exit, since they point at a server that is then gone
  --workloads process    also run kube-controller-manager, kube-scheduler and the process node: pods run as
                         processes of this machine (root needed), a mysql:* or mariadb:* image runs the local
                         mariadbd, each pod has its own 127.x.y.z address, kubectl logs works
  --workloads kwok       the same with kwok's fake node instead: pods are marked Running and Jobs Complete,
                         but nothing runs
  --workloads auto       process where it can run and MariaDB is installed, else kwok (says which, and why)
  --with-workloads       the same as --workloads kwok
  -h, --help             show this help`;

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

/** `mysqlop sandbox`: a throw-away control plane with mysqlop's CRD and RBAC, for trying mysqlop without a cluster. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs("sandbox", USAGE, argv, {
    kubeconfig: { type: "string" },
    "with-workloads": { type: "boolean" },
    workloads: { type: "string" },
  });
  if (parsed.exitCode !== undefined) return parsed.exitCode;
  const { values } = parsed;
  const workloads = workloadsOption(values);
  if (typeof workloads === "object") return usageError("sandbox", workloads.error, USAGE);
  if (workloads === "process") {
    const problems = processNodeProblems();
    if (problems.length > 0) {
      console.error(`mysqlop sandbox: --workloads process: the process node cannot run here: ${problems.join("; ")}`);
      return 1;
    }
  }
  const stop = watchStopSignals();
  let session: SandboxSession | undefined;
  try {
    session = await openSandbox({ kubeconfigPath: resolve(values.kubeconfig ?? defaultKubeconfigPath()), workloads, log: (line) => console.error(line) }, stop);
    if (session === undefined) return 130;
    const { cp, kubectl, kubeconfigPath } = session;
    const sample = join(deployDir(), "cr.yaml");
    const nodeReady = cp.timings.workloadsReadyMs !== undefined ? `, node ${cp.nodeName} ready in ${cp.timings.workloadsReadyMs} ms` : "";
    console.log(
      [
        `mysqlop sandbox: API server ${cp.server} ready in ${cp.timings.apiServerReadyMs} ms${nodeReady}; CRD, namespace and RBAC installed (${session.readyMs} ms in all).`,
        ...(workloads === undefined ? [] : [`Pods run on ${NODE_NOTES[workloads]}`]),
        "",
        `  ${kubectl} --kubeconfig ${kubeconfigPath} get mysqls`,
        ...(existsSync(sample) ? [`  ${kubectl} --kubeconfig ${kubeconfigPath} apply -f ${sample}`] : []),
        "",
        "In another terminal (the kubeconfig paths stay the same from run to run):",
        `  export KUBECONFIG=${kubeconfigPath}`,
        `  ${mysqlopCommand()} run --kubeconfig ${session.operatorKubeconfigPath}   # the operator as its ServiceAccount (exactly its RBAC)`,
        "",
        "Press Ctrl-C to stop; everything is removed then.",
      ].join("\n"),
    );
    const ended = await Promise.race([stop.signalled, componentExit(cp)]);
    if (typeof ended !== "string") {
      console.error(componentExitMessage("mysqlop sandbox", ended));
      return 1;
    }
    console.error(`mysqlop sandbox: ${ended}, stopping`);
    return 0;
  } catch (error) {
    console.error(`mysqlop sandbox: ${(error as Error).message}`);
    return 1;
  } finally {
    try {
      if (session !== undefined) await closeSandbox(session);
    } finally {
      stop.dispose();
    }
  }
}
