import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { mysqlopCommand } from "../package-info.ts";
import {
  closeSandbox,
  componentExit,
  componentExitMessage,
  defaultKubeconfigPath,
  deployDir,
  openSandbox,
  watchStopSignals,
  type SandboxSession,
} from "./session.ts";

const USAGE = `usage: mysqlop sandbox [--kubeconfig PATH] [--with-workloads]

Starts a local Kubernetes control plane (etcd + kube-apiserver, RBAC on), installs mysqlop's CRD, namespace
and RBAC (deploy/crd.yaml, namespace.yaml, rbac.yaml), writes an admin kubeconfig and one for the operator's
ServiceAccount (operator.kubeconfig beside it), and runs until interrupted (Ctrl-C).

  --kubeconfig PATH   where to write the admin kubeconfig (default: ${join("$MYSQLOP_CACHE", "sandbox", "kubeconfig")});
                      both kubeconfigs are removed again on exit, since they point at a server that is then gone
  --with-workloads    also run kube-controller-manager, kube-scheduler and kwok with one fake node,
                      so Deployments get Running pods and Jobs complete (no container really runs)
  -h, --help          show this help`;

/** `mysqlop sandbox`: a throw-away control plane with mysqlop's CRD and RBAC, for trying mysqlop without a cluster. */
export async function run(argv: string[]): Promise<number> {
  let values: { kubeconfig?: string; "with-workloads"?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { kubeconfig: { type: "string" }, "with-workloads": { type: "boolean" }, help: { type: "boolean", short: "h" } },
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
  const stop = watchStopSignals();
  let session: SandboxSession | undefined;
  try {
    session = await openSandbox(
      {
        kubeconfigPath: resolve(values.kubeconfig ?? defaultKubeconfigPath()),
        workloads: values["with-workloads"] === true,
        log: (line) => console.error(line),
      },
      stop,
    );
    if (session === undefined) return 130;
    const { cp, kubectl, kubeconfigPath } = session;
    const sample = join(deployDir(), "cr.yaml");
    const workloads = cp.timings.workloadsReadyMs !== undefined ? `, fake node ready in ${cp.timings.workloadsReadyMs} ms` : "";
    console.log(
      [
        `mysqlop sandbox: API server ${cp.server} ready in ${cp.timings.apiServerReadyMs} ms${workloads}; CRD, namespace and RBAC installed (${session.readyMs} ms in all).`,
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
