/**
 * The `run` command of an operator process, for any operator built on the runtime: mysqlop's own
 * (`mysqlop run`) and every project `yo mysqlop` scaffolds (its `src/main.ts`). Parses the flags,
 * builds the operator's Manager, stops it gracefully on a signal, and exits.
 */
import {
  DEFAULT_MAX_CONNECTIONS,
  KubeConfigError,
  LeadershipLostError,
  parseLogFormat,
  parseLogLevel,
  type LogFormat,
  type LogLevel,
  type Manager,
} from "../../runtime/index.ts";
import { parseCommandArgs, usageError } from "../args.ts";
import { stopOnSignals } from "./signals.ts";

/** What the command hands an operator's factory: the Manager options it parsed, plus the worker count. */
export interface OperatorRunOptions {
  readonly kubeconfigPath?: string;
  readonly namespace?: string;
  readonly probePort?: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** Resources reconciled at once (`--workers`); the factory's default when undefined. */
  readonly concurrency?: number;
  readonly writeQps?: number;
  readonly writeBurst?: number;
  /** API requests in flight at once (`--max-connections`); the runtime's default when undefined. */
  readonly maxConnections?: number;
  readonly userAgent: string;
  readonly inClusterRoot?: string;
  readonly leaderElection?: { readonly leaseNamespace: string };
}

/** One operator, as its `run` command presents and builds it. */
export interface OperatorDefinition {
  /** The program a person types, e.g. `mysqlop` or `mariadb-operator`: prefixes every message. */
  readonly program: string;
  /** The kind it reconciles, e.g. `MySQL`: named in the help. */
  readonly kind: string;
  /** Namespace of the leader-election Lease unless `--lease-namespace` or `POD_NAMESPACE` says otherwise. */
  readonly defaultLeaseNamespace: string;
  /** Resources reconciled at once unless `--workers` says otherwise (named in the help). */
  readonly defaultWorkers: number;
  /** `product/version` on every API request. */
  readonly userAgent: string;
  /** Builds the operator's Manager (not started). */
  create(options: OperatorRunOptions): Manager;
}

function usage(operator: OperatorDefinition): string {
  return `usage: ${operator.program} run [--kubeconfig PATH] [--namespace NS] [--probe-port N] [--log-level LEVEL] [--log-format FORMAT] [--workers N] [--qps N [--burst N]] [--max-connections N] [--lease-namespace NS] [--no-leader-elect]

Runs the ${operator.kind} operator against the current kubeconfig (like 'kopf run'): watches ${operator.kind} resources and
their children, reconciles them, and serves /healthz, /readyz and /metrics. Stops gracefully on Ctrl-C.

  --kubeconfig PATH     kubeconfig to use (default: KUBECONFIG, ~/.kube/config, or in-cluster)
  --namespace NS        watch one namespace only (default: all namespaces)
  --probe-port N        port of /healthz, /readyz, /metrics (default 8081; 0 picks a free one)
  --log-level LEVEL     debug | info | warn | error (default info)
  --log-format FORMAT   text | json: one line per record on stderr (default text when stderr is a terminal, else json)
  --lease-namespace NS  namespace of the leader-election Lease (default: POD_NAMESPACE or ${operator.defaultLeaseNamespace})
  --workers N           ${operator.kind} resources reconciled at once (default ${operator.defaultWorkers})
  --qps N               cap the operator's API writes at N per second (default: no cap; the API
                        server's priority and fairness protects it)
  --burst N             writes allowed at once under --qps (default: twice the QPS)
  --max-connections N   API requests in flight at once, each on a kept-alive connection of about
                        200 KB (default ${DEFAULT_MAX_CONNECTIONS}; watches and lease renewals aside)
  --no-leader-elect     run without leader election (a single replica only)
  -h, --help            show this help

In a pod (no --kubeconfig, no KUBECONFIG) it uses the ServiceAccount's token and CA under
/var/run/secrets/kubernetes.io/serviceaccount; MYSQLOP_IN_CLUSTER_ROOT=DIR reads them under DIR instead.`;
}

/** `PROGRAM run`: the operator as a foreground process; resolves to the exit code (2 on a usage error). */
export async function runOperator(argv: string[], operator: OperatorDefinition): Promise<number> {
  const fail = (message: string): number => usageError("run", message, undefined, operator.program);
  const parsed = parseCommandArgs(
    "run",
    usage(operator),
    argv,
    {
      kubeconfig: { type: "string" },
      namespace: { type: "string" },
      "probe-port": { type: "string" },
      "log-level": { type: "string" },
      "log-format": { type: "string" },
      "lease-namespace": { type: "string" },
      workers: { type: "string" },
      qps: { type: "string" },
      burst: { type: "string" },
      "max-connections": { type: "string" },
      "no-leader-elect": { type: "boolean" },
    },
    false,
    operator.program,
  );
  if (parsed.exitCode !== undefined) return parsed.exitCode;
  const { values } = parsed;
  const probePort = values["probe-port"] === undefined ? undefined : Number(values["probe-port"]);
  if (probePort !== undefined && !(Number.isInteger(probePort) && probePort >= 0 && probePort < 65536)) {
    return fail(`--probe-port must be a port number (0-65535), got "${values["probe-port"]}"`);
  }
  const numbers: Record<"workers" | "qps" | "burst" | "max-connections", number | undefined> = {
    workers: undefined,
    qps: undefined,
    burst: undefined,
    "max-connections": undefined,
  };
  for (const flag of ["workers", "qps", "burst", "max-connections"] as const) {
    const text = values[flag];
    if (text === undefined) continue;
    const value = Number(text);
    const valid = flag === "qps" ? Number.isFinite(value) && value > 0 : Number.isInteger(value) && value >= 1;
    if (!valid) return fail(`--${flag} must be ${flag === "qps" ? "a number above 0" : "a whole number of at least 1"}, got "${text}"`);
    numbers[flag] = value;
  }
  if (numbers.burst !== undefined && numbers.qps === undefined) return fail("--burst needs --qps (without --qps writes are not capped)");
  let logLevel;
  try {
    logLevel = parseLogLevel(values["log-level"] ?? "info");
  } catch (error) {
    return fail(`--log-level: ${(error as Error).message}`);
  }
  let logFormat;
  try {
    logFormat = parseLogFormat(values["log-format"] ?? (process.stderr.isTTY ? "text" : "json"));
  } catch (error) {
    return fail(`--log-format: ${(error as Error).message}`);
  }
  const leaseNamespace = values["lease-namespace"] ?? process.env["POD_NAMESPACE"] ?? operator.defaultLeaseNamespace;
  let manager: Manager;
  try {
    manager = operator.create({
      kubeconfigPath: values.kubeconfig,
      namespace: values.namespace,
      probePort,
      logLevel,
      logFormat,
      concurrency: numbers.workers,
      writeQps: numbers.qps,
      writeBurst: numbers.burst,
      maxConnections: numbers["max-connections"],
      userAgent: operator.userAgent,
      inClusterRoot: process.env["MYSQLOP_IN_CLUSTER_ROOT"],
      leaderElection: values["no-leader-elect"] === true ? undefined : { leaseNamespace },
    });
  } catch (error) {
    if (error instanceof KubeConfigError) return fail(error.message);
    throw error;
  }
  stopOnSignals(manager);
  let code = 0;
  try {
    await manager.start();
  } catch (error) {
    if (error instanceof LeadershipLostError) {
      manager.log.error("leadership lost: exiting so that a fresh process can stand for election");
    } else {
      manager.log.error("operator failed", { error });
    }
    code = 1;
  }
  // After a lost lease a reconcile may still be finishing: it must not keep a non-leader alive.
  setTimeout(() => process.exit(code), 1_000).unref();
  return code;
}
