/**
 * `mysqlop demo` (`npm start`): the original scenario in one command. A sandbox with workloads and
 * mysqlop's CRD, namespace and RBAC; the operator running in this process as its ServiceAccount
 * (exactly the generated RBAC); the original cr.yaml applied with the pinned kubectl; and, as it
 * happens, the resource's status and conditions, its children, Events and the operator's log.
 * Ctrl-C stops the operator, then the control plane, and removes the kubeconfigs.
 */
import { execFile } from "node:child_process";
import { dirname, join, relative, resolve } from "node:path";
import type { CoreV1Event, KubernetesObject } from "@kubernetes/client-node";
import {
  MYSQL_OPERATOR_NAMESPACE,
  MYSQL_OPERATOR_SERVICE_ACCOUNT,
  MYSQL_RESOURCE_TYPE,
  MYSQL_SENSITIVE_FIELDS,
  MYSQL_WATCHED_KINDS,
} from "../../../generated/mysql-constants.ts";
import { createMySQLOperator } from "../../mysql/operator.ts";
import { createJsonLogger, Informer, kindInfoOf, KubeRest, managedBySelector, type Condition, type KindInfo, type Manager } from "../../runtime/index.ts";
import { parseCommandArgs, usageError } from "../args.ts";
import { eventLine } from "./event-line.ts";
import { mysqlopCommand, mysqlopUserAgent } from "../package-info.ts";
import type { NodeKind } from "../../envtest/index.ts";
import {
  bestNodeKind,
  NODE_NOTES,
  closeSandbox,
  componentExit,
  componentExitMessage,
  defaultKubeconfigPath,
  deployDir,
  openSandbox,
  watchStopSignals,
  type SandboxSession,
} from "../sandbox/session.ts";

const USAGE = `usage: mysqlop demo [--kubeconfig PATH] [--workloads kwok|process]

The original scenario in one command (what 'npm start' runs): starts a local control plane with workloads
(kube-controller-manager, kube-scheduler and a node), installs mysqlop's CRD, namespace and RBAC, runs the
operator as its ServiceAccount, applies the original deploy/cr.yaml, and shows its status, children, Events
and the operator's log as they change. Prints the kubeconfig and kubectl lines for a second terminal.
Ctrl-C removes everything.

  --kubeconfig PATH     where to write the admin kubeconfig (default: ${join("$MYSQLOP_CACHE", "sandbox", "kubeconfig")});
                        the operator's is operator.kubeconfig beside it; both are removed on exit
  --workloads NODE      process: pods run as processes of this machine and mysql:5.7 runs the local mariadbd, a
                        real database (root and MariaDB needed); kwok: pods are only marked Running and Jobs
                        Complete. Default: process where it can run here, else kwok
  -h, --help            show this help`;

/** Everything the operator creates for a resource carries its managed-by label (pods, through their templates, too). */
const MANAGED_BY_MYSQLOP = managedBySelector("mysqlop");
/** What the demo shows besides the resource itself: the kinds the operator watches (its children), and their pods. */
const SHOWN_KINDS: readonly KindInfo[] = [...MYSQL_WATCHED_KINDS, { apiVersion: "v1", kind: "Pod", plural: "pods", namespaced: true }];
const EVENTS: KindInfo = { apiVersion: "v1", kind: "Event", plural: "events", namespaced: true };
/** Namespaces of the cluster's and the operator's own machinery, not of the user's resources. */
const QUIET_NAMESPACES = new Set(["kube-system", "kube-public", "kube-node-lease", MYSQL_OPERATOR_NAMESPACE]);
/** The status message that ends creation in the original scenario. */
const CREATED = /created (with|without) restore-job/;

/** One line on stdout: seconds since start, where it comes from, what. */
function show(source: string, text: string): void {
  const seconds = (performance.now() / 1000).toFixed(1).padStart(6);
  process.stdout.write(`${seconds}s  ${source.padEnd(8)} ${text}\n`);
}

function nameOf(object: KubernetesObject): string {
  const ns = object.metadata?.namespace;
  return `${ns === undefined || ns === "" ? "" : `${ns}/`}${object.metadata?.name ?? ""}`;
}

interface MySQLStatusView {
  message?: string;
  conditions?: Condition[];
}

/** `Ready=False Progressing=True(Starting) Degraded=False: message`. */
function statusLine(object: KubernetesObject): string {
  const status = (object as { status?: MySQLStatusView }).status ?? {};
  const conditions = (status.conditions ?? []).map((c) => `${c.type}=${c.status}${c.status === "True" && c.type !== "Ready" ? `(${c.reason})` : ""}`);
  const deleting = object.metadata?.deletionTimestamp !== undefined ? "deleting, " : "";
  return `${deleting}${conditions.join(" ") || "no status yet"}${status.message === undefined ? "" : `: ${status.message}`}`;
}

/** A child's state worth a line when it changes: a pod's phase, a Job's outcome. */
function childState(object: KubernetesObject): string | undefined {
  if (object.kind === "Pod") return (object as { status?: { phase?: string } }).status?.phase;
  if (object.kind === "Job") {
    const conditions = (object as { status?: { conditions?: Condition[] } }).status?.conditions ?? [];
    return conditions.find((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True")?.type ?? "running";
  }
  return undefined;
}

/** Runs the pinned kubectl as the admin, as a user would, and shows the command and its output. */
function kubectl(session: SandboxSession, args: string[]): Promise<number> {
  show("kubectl", `$ kubectl ${args.map((a) => relative(process.cwd(), a) || a).join(" ")}`);
  return new Promise((resolveCode) => {
    execFile(join(session.cp.binDir, "kubectl"), ["--kubeconfig", session.kubeconfigPath, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      for (const line of `${stdout}${stderr}`.trim().split("\n")) if (line !== "") show("kubectl", line);
      resolveCode(error === null ? 0 : typeof error.code === "number" ? error.code : 1);
    });
  });
}

/** Informers (as the admin) that print what changes: the resources' status, their children, Events. */
function watchAndShow(session: SandboxSession, onCreated: (message: string) => void): { informers: Informer[]; rest: KubeRest } {
  const rest = new KubeRest(session.cp.kubeConfig, { userAgent: `${mysqlopUserAgent()} (demo)` });
  const quiet = createJsonLogger({ level: "error", format: "text", write: (line) => show("demo", line.replace(/^\S+ /, "")) });
  const informer = (kind: KindInfo, labelSelector?: string): Informer => {
    rest.registerKind(kind);
    return new Informer({ rest, kind, log: quiet, resyncMs: 0, labelSelector });
  };
  const informers: Informer[] = [];

  const mysql = informer(kindInfoOf(MYSQL_RESOURCE_TYPE));
  const lastStatus = new Map<string, string>();
  let created = false;
  mysql.onEvent(({ type, object }) => {
    const key = nameOf(object);
    if (type === "delete") {
      lastStatus.delete(key);
      show("mysql", `${key} is gone`);
      return;
    }
    const line = statusLine(object);
    if (lastStatus.get(key) === line) return;
    lastStatus.set(key, line);
    show("mysql", `${key}  ${line}`);
    const message = (object as { status?: MySQLStatusView }).status?.message;
    if (!created && message !== undefined && CREATED.test(message)) {
      created = true;
      onCreated(message);
    }
  });
  informers.push(mysql);

  for (const kind of SHOWN_KINDS) {
    const children = informer(kind, MANAGED_BY_MYSQLOP);
    const lastState = new Map<string, string | undefined>();
    children.onEvent(({ type, object }) => {
      const key = `${kind.kind} ${nameOf(object)}`;
      if (type === "delete") {
        lastState.delete(key);
        show("child", `- ${key}`);
      } else if (type === "add") {
        lastState.set(key, childState(object));
        show("child", `+ ${key}${childState(object) === undefined ? "" : ` (${childState(object)})`}`);
      } else if (type === "update" && childState(object) !== lastState.get(key)) {
        lastState.set(key, childState(object));
        show("child", `  ${key}: ${childState(object)}`);
      }
    });
    informers.push(children);
  }

  const events = informer(EVENTS);
  events.onEvent(({ type, object }) => {
    const event = object as CoreV1Event;
    if (type !== "add" || QUIET_NAMESPACES.has(event.metadata?.namespace ?? "") || event.involvedObject?.kind === "Node") return;
    show("event", eventLine(event));
  });
  informers.push(events);
  for (const i of informers) i.start();
  return { informers, rest };
}

/** What to try next, for a second terminal. */
function nextSteps(session: SandboxSession): string {
  const crYaml = relative(process.cwd(), join(deployDir(), "cr.yaml"));
  const lines: [string, string][] = [
    [`export KUBECONFIG=${session.kubeconfigPath}`, ""],
    // Always: a new shell has the machine's own Node and kubectl (often Node 20, and a kubectl minor versions behind).
    [`export PATH=${dirname(process.execPath)}:${session.cp.binDir}:$PATH`, "Node 24 and the pinned kubectl"],
    ["kubectl get my -o wide", "status and conditions as columns"],
    ["kubectl describe my mysql-instance", "conditions, message, Events"],
    // Not `get events --sort-by=.lastTimestamp`: the scheduler's Events (events.k8s.io) carry only an eventTime, and sort first.
    ["kubectl events", "in time order, the operator's, the scheduler's and the Jobs'"],
    ["kubectl delete my mysql-instance", "backup-mysql-instance-job runs first; the backup volume stays"],
    [`kubectl apply -f ${crYaml}`, '"mysql-instance created with restore-job"'],
    [`${mysqlopCommand()} validate ${crYaml}`, "offline check: uncomment usless_data to see it refused"],
  ];
  const width = Math.max(...lines.filter(([, why]) => why !== "").map(([command]) => command.length));
  return [
    "",
    "Try the original scenario in a second terminal (the operator here logs what it does):",
    ...lines.map(([command, why]) => (why === "" ? `  ${command}` : `  ${command.padEnd(width)}  # ${why}`)),
    "Ctrl-C here stops everything and removes it.",
    "",
  ].join("\n");
}

/** `mysqlop demo`. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs("demo", USAGE, argv, { kubeconfig: { type: "string" }, workloads: { type: "string" } });
  if (parsed.exitCode !== undefined) return parsed.exitCode;
  const { values } = parsed;
  if (values.workloads !== undefined && values.workloads !== "kwok" && values.workloads !== "process") {
    return usageError("demo", `--workloads must be kwok or process, not ${JSON.stringify(values.workloads)}`, USAGE);
  }
  const best = bestNodeKind();
  if (values.workloads === "process" && best.kind !== "process") {
    console.error(`mysqlop demo: --workloads process: ${best.why}`);
    return 1;
  }
  const node: NodeKind = values.workloads ?? best.kind;
  const stop = watchStopSignals();
  let session: SandboxSession | undefined;
  let operator: Manager | undefined;
  let watching: { informers: Informer[]; rest: KubeRest } | undefined;
  let finished = false;
  try {
    show("demo", `starting a local control plane with workloads (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, ${node} node)`);
    show("demo", `pods run on ${NODE_NOTES[node]}`);
    if (node === "kwok" && values.workloads === undefined) show("demo", `(not on the process node, which runs a real database: ${best.why})`);
    // Of the sandbox's progress lines only what a Ctrl-C during its install cut short (a step that failed with it).
    const log = (line: string): void => {
      if (line.includes(" while installing")) show("demo", line);
    };
    session = await openSandbox({ kubeconfigPath: resolve(values.kubeconfig ?? defaultKubeconfigPath()), workloads: node, log }, stop);
    if (session === undefined) return 130;
    show("demo", `API server ${session.cp.server} ready; CRD, namespace and RBAC installed (${(session.readyMs / 1000).toFixed(1)} s)`);
    show("demo", `for a second terminal: export KUBECONFIG=${session.kubeconfigPath}`);
    const open = session;
    watching = watchAndShow(open, (message) => {
      show("demo", `"${message}", ${(performance.now() / 1000).toFixed(1)} s after start`);
      process.stdout.write(nextSteps(open));
    });

    operator = createMySQLOperator({
      kubeconfigPath: session.operatorKubeconfigPath,
      probePort: 0,
      userAgent: mysqlopUserAgent(),
      leaderElection: { leaseNamespace: MYSQL_OPERATOR_NAMESPACE },
      logger: createJsonLogger({
        level: "info",
        format: "text",
        sensitiveKeys: MYSQL_SENSITIVE_FIELDS,
        write: (line) => show("operator", line.replace(/^\S+ /, "")),
      }),
    });
    show(
      "demo",
      `operator starting as system:serviceaccount:${MYSQL_OPERATOR_NAMESPACE}:${MYSQL_OPERATOR_SERVICE_ACCOUNT} (${session.operatorKubeconfigPath})`,
    );
    const running = operator.start();
    const leading = (async () => {
      while (!operator.leading && !finished) await new Promise((r) => setTimeout(r, 100));
    })();
    const first = await Promise.race([leading.then(() => "leading" as const), running.then(() => "stopped" as const), stop.signalled]);
    if (first === "leading") {
      const code = await kubectl(session, ["apply", "-f", join(deployDir(), "cr.yaml")]);
      // Not after a Ctrl-C: it reached that kubectl too (same process group), and the demo is stopping.
      if (code !== 0 && stop.received === undefined) show("demo", "kubectl apply failed; the sandbox keeps running for you to look");
    }
    const ended = await Promise.race([stop.signalled, componentExit(session.cp), running.then(() => "operator stopped" as const)]);
    if (typeof ended === "object") {
      console.error(componentExitMessage("mysqlop demo", ended));
      return 1;
    }
    show("demo", `${ended}: stopping the operator, then the control plane`);
    return ended === "operator stopped" ? 1 : 0;
  } catch (error) {
    console.error(`mysqlop demo: ${(error as Error).message}`);
    return 1;
  } finally {
    finished = true;
    try {
      await operator?.stop().catch(() => {});
      for (const informer of watching?.informers ?? []) informer.stop();
      await watching?.rest.close();
      if (session !== undefined) await closeSandbox(session);
      show("demo", "stopped; everything removed");
    } finally {
      stop.dispose();
    }
  }
}
