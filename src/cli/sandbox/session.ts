/**
 * A sandbox session, shared by `mysqlop sandbox` and `mysqlop demo`: a local control plane with
 * mysqlop's CRD, namespace and RBAC installed, an admin kubeconfig and one authenticating as the
 * operator's ServiceAccount at stable paths (so that a second terminal can keep its
 * `export KUBECONFIG=…`), Ctrl-C handling, and a watchdog that notices a dead component.
 */
import { existsSync, realpathSync } from "node:fs";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { delimiter, dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { MYSQL_OPERATOR_NAMESPACE, MYSQL_OPERATOR_SERVICE_ACCOUNT } from "../../../generated/mysql-constants.ts";
import { mysqlopCacheDir } from "../../envtest/cache-dir.ts";
import { lastLines, preferredNodeKind, startControlPlane, type ComponentStatus, type ControlPlane, type NodeKind } from "../../envtest/index.ts";
import { packageRoot } from "../package-info.ts";

/** The package's own `deploy/` folder: a sandbox installs the CRD, namespace and RBAC shipped with this mysqlop. */
export function deployDir(): string {
  return join(packageRoot(), "deploy");
}

/** Where the admin kubeconfig goes unless `--kubeconfig` says otherwise. */
export function defaultKubeconfigPath(): string {
  return join(mysqlopCacheDir(), "sandbox", "kubeconfig");
}

/** The operator's ServiceAccount kubeconfig: beside the admin one, under a fixed name. */
export function operatorKubeconfigPath(adminKubeconfigPath: string): string {
  return join(dirname(adminKubeconfigPath), "operator.kubeconfig");
}

/**
 * How to call the pinned kubectl in printed commands: plain `kubectl` only when the first kubectl on
 * PATH is that very binary; otherwise its full path, since another kubectl may be several minor
 * versions behind the API server.
 */
export function kubectlCommand(binDir: string): string {
  const pinned = join(binDir, "kubectl");
  const first = (process.env["PATH"] ?? "")
    .split(delimiter)
    .map((dir) => join(dir, "kubectl"))
    .find((path) => path !== "kubectl" && existsSync(path));
  try {
    if (first !== undefined && realpathSync(first) === realpathSync(pinned)) return "kubectl";
  } catch {
    // Either is unreadable: print the full path.
  }
  return pinned;
}

const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** A promise of the first stop signal; see {@link watchStopSignals}. */
export interface StopSignals {
  readonly signalled: Promise<NodeJS.Signals>;
  /** The first stop signal, once it came (what {@link signalled} resolves with, readable at once). */
  readonly received: NodeJS.Signals | undefined;
  dispose(): void;
}

/**
 * Resolves on the first stop signal. The listeners stay until `dispose()`, after teardown: while they are there
 * the harness's own signal hook does not re-raise the signal, so the command gets to finish and exit 0, and it
 * leaves a started sandbox's control plane to {@link closeSandbox} (the demo stops its operator first).
 */
export function watchStopSignals(): StopSignals {
  // A pending promise does not keep Node alive, and the control plane's processes are unref'd on purpose.
  const keepAlive = setInterval(() => {}, 1 << 30);
  let handler: (signal: NodeJS.Signals) => void = () => {};
  let received: NodeJS.Signals | undefined;
  const signalled = new Promise<NodeJS.Signals>((resolveSignal) => {
    handler = (signal) => {
      received ??= signal;
      resolveSignal(signal);
    };
  });
  for (const s of STOP_SIGNALS) process.on(s, handler);
  return {
    signalled,
    get received() {
      return received;
    },
    dispose: () => {
      clearInterval(keepAlive);
      for (const s of STOP_SIGNALS) process.removeListener(s, handler);
    },
  };
}

/** Resolves with the first component found dead: a sandbox without its API server is no sandbox. */
export async function componentExit(cp: ControlPlane): Promise<ComponentStatus> {
  for (;;) {
    const dead = cp.components().find((c) => c.exitStatus !== undefined);
    if (dead !== undefined) return dead;
    await sleep(1_000, undefined, { ref: false });
  }
}

/** The message for a component that died, with the end of its log. */
export function componentExitMessage(command: string, { name, exitStatus, logFile }: ComponentStatus): string {
  return `${command}: ${name} exited unexpectedly (code ${exitStatus?.code}, signal ${exitStatus?.signal}); stopping.\n--- last lines of ${logFile} ---\n${lastLines(logFile, 30)}`;
}

/** A running sandbox; {@link closeSandbox} stops it. */
export interface SandboxSession {
  readonly cp: ControlPlane;
  /** The admin kubeconfig (a copy at a stable path). */
  readonly kubeconfigPath: string;
  /** A kubeconfig authenticating as the operator's ServiceAccount: exactly the generated RBAC. */
  readonly operatorKubeconfigPath: string;
  /** The kubeconfigs this session wrote: {@link closeSandbox} removes them while they name its API server. */
  readonly kubeconfigs: readonly string[];
  /** `kubectl`, or the pinned kubectl's full path; see {@link kubectlCommand}. */
  readonly kubectl: string;
  /** Milliseconds from the call of {@link openSandbox} until everything was installed. */
  readonly readyMs: number;
}

/** What a pod of each node kind is, for the ready message. */
export const NODE_NOTES: Record<NodeKind, string> = {
  kwok: "kwok's fake node: pods are marked Running and Jobs Complete, but no container really runs.",
  process:
    "the process node: pods run as processes of this machine, each with its own 127.x.y.z pod IP (kubectl get pods -o wide); a mysql:* image runs the local mariadbd, so: mysql -h <pod IP> -uroot -p. kubectl logs works.",
};

/**
 * The node that shows the most: the process node (a real database) where it can run here and the programs of its
 * image table (MariaDB) are installed, else kwok's fake node. Says why when it falls back.
 */
export function bestNodeKind(): { kind: NodeKind; why?: string } {
  const preferred = preferredNodeKind();
  return preferred.kind === "process" ? { kind: "process" } : preferred;
}

/** Options of {@link openSandbox}. */
export interface OpenSandboxOptions {
  readonly kubeconfigPath: string;
  /** The node pods run on, if any (`true`: kwok). */
  readonly workloads: boolean | NodeKind | undefined;
  /** Progress lines of the control plane. */
  readonly log: (line: string) => void;
}

/**
 * Starts the control plane, installs deploy/crd.yaml, namespace.yaml, rbac.yaml and flowschema.yaml (the operator's
 * lease renewals in the API server's leader-election priority level, as in a cluster), and writes both
 * kubeconfigs (mode 0600: they hold credentials). Resolves `undefined` when a stop signal came before the sandbox
 * was ready, during the control plane's start or while the manifests were installed (the control plane is then stopped
 * again); throws when a file is missing or a step fails.
 */
export async function openSandbox(options: OpenSandboxOptions, stop: StopSignals): Promise<SandboxSession | undefined> {
  const files = ["crd.yaml", "namespace.yaml", "rbac.yaml", "flowschema.yaml"].map((f) => join(deployDir(), f));
  const missing = files.find((file) => !existsSync(file));
  if (missing !== undefined) throw new Error(`${missing} is missing (run 'mysqlop generate' in a checkout)`);
  const [crdFile, namespaceFile, rbacFile, flowSchemaFile] = files as [string, string, string, string];
  const started = Date.now();
  // Once started, the control plane is stopped by closeSandbox, after the caller's own shutdown: the demo's operator
  // releases its lease through the API server first (without this, the harness's own hook stops it on the same Ctrl-C
  // and the release races the API server's exit: "could not release the lease … socket hang up").
  const starting = startControlPlane({ workloads: options.workloads, log: options.log, crds: [crdFile], callerStopsOnSignal: true });
  // Ctrl-C during start-up: the harness's own hooks tear down whatever already runs.
  const first = await Promise.race([starting, stop.signalled]);
  if (typeof first === "string") {
    await starting.then((c) => c.stop()).catch(() => {});
    return undefined;
  }
  const cp = first;
  const operatorPath = operatorKubeconfigPath(options.kubeconfigPath);
  const written: string[] = [];
  /** Thrown between the steps once a stop signal came: the harness's hook left this control plane to us (see above). */
  const interrupted = new Error("a stop signal came while the sandbox was installed");
  const step = async <T>(run: () => Promise<T>): Promise<T> => {
    if (stop.received !== undefined) throw interrupted;
    return run();
  };
  try {
    options.log("sandbox: control plane ready; installing the namespace, RBAC and FlowSchema");
    await step(() => cp.applyManifests(namespaceFile));
    await step(() => cp.applyManifests(rbacFile));
    await step(() => cp.applyManifests(flowSchemaFile));
    const operator = await step(() => cp.serviceAccountKubeConfig({ namespace: MYSQL_OPERATOR_NAMESPACE, name: MYSQL_OPERATOR_SERVICE_ACCOUNT }));
    await step(() => mkdir(dirname(options.kubeconfigPath), { recursive: true }));
    for (const [from, to] of [
      [cp.kubeconfigPath, options.kubeconfigPath],
      [operator.kubeconfigPath, operatorPath],
    ] as const) {
      await writeFile(to, await readFile(from, "utf8"), { mode: 0o600 });
      written.push(to);
      // `mode` above applies only when the file is new.
      await chmod(to, 0o600);
    }
    if (stop.received !== undefined) throw interrupted;
  } catch (error) {
    // A terminal's Ctrl-C also reaches a kubectl of the step (same process group), which then fails: the signal is
    // the outcome, as for one during the start, and the step's failure is logged. Read before the close: a Ctrl-C
    // during the close of a step that failed on its own does not hide that failure.
    const signal = stop.received;
    if (signal !== undefined)
      options.log(`sandbox: ${signal} while installing${error === interrupted ? "" : `; the step failed: ${(error as Error).message}`}`);
    await closeSandbox({ cp, kubeconfigs: written });
    if (signal !== undefined) return undefined;
    throw error;
  }
  return {
    cp,
    kubeconfigPath: options.kubeconfigPath,
    operatorKubeconfigPath: operatorPath,
    kubeconfigs: written,
    kubectl: kubectlCommand(cp.binDir),
    readyMs: Date.now() - started,
  };
}

/**
 * Removes the kubeconfigs this session wrote (they point at a server that is then gone) and stops the control plane. A
 * kubeconfig that no longer names this session's API server is left: another sandbox started since at the same path
 * wrote it (each control plane has its own port), and its users still need it. One the user changed with kubectl
 * (`kubectl config set-context`, which also rewrites the whole file) still names the server, and is removed.
 */
export async function closeSandbox(session: Pick<SandboxSession, "cp" | "kubeconfigs">): Promise<void> {
  await Promise.all(session.kubeconfigs.map((path) => removeIfNaming(path, session.cp.server)));
  await session.cp.stop();
}

/** Removes the kubeconfig at `path` if every cluster it names is at `server`; leaves anything else (or nothing) there. */
async function removeIfNaming(path: string, server: string): Promise<void> {
  const config = new KubeConfig();
  try {
    config.loadFromString(await readFile(path, "utf8"));
  } catch {
    // Gone already, unreadable, or not YAML: not a kubeconfig of this session.
    return;
  }
  if (config.clusters.length > 0 && config.clusters.every((cluster) => cluster.server === server)) await rm(path, { force: true });
}
