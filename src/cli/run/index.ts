/**
 * `mysqlop run`: the MySQL operator as a foreground process (like `kopf run`). Parses the flags,
 * builds the operator (`src/mysql/operator.ts`), stops it gracefully on a signal and exits.
 */
import { MYSQL_OPERATOR_NAMESPACE } from "../../../generated/mysql-constants.ts";
import { createMySQLOperator, DEFAULT_WORKERS } from "../../mysql/operator.ts";
import { LeadershipLostError, parseLogFormat, parseLogLevel } from "../../runtime/index.ts";
import { parseCommandArgs, usageError } from "../args.ts";
import { mysqlopUserAgent } from "../package-info.ts";
import { stopOnSignals } from "./signals.ts";

const USAGE = `usage: mysqlop run [--kubeconfig PATH] [--namespace NS] [--probe-port N] [--log-level LEVEL] [--log-format FORMAT] [--workers N] [--qps N [--burst N]] [--lease-namespace NS] [--no-leader-elect]

Runs the MySQL operator against the current kubeconfig (like 'kopf run'): watches MySQL resources and
their children, reconciles them, and serves /healthz, /readyz and /metrics. Stops gracefully on Ctrl-C.

  --kubeconfig PATH     kubeconfig to use (default: KUBECONFIG, ~/.kube/config, or in-cluster)
  --namespace NS        watch one namespace only (default: all namespaces)
  --probe-port N        port of /healthz, /readyz, /metrics (default 8081; 0 picks a free one)
  --log-level LEVEL     debug | info | warn | error (default info)
  --log-format FORMAT   text | json: one line per record on stderr (default text when stderr is a terminal, else json)
  --lease-namespace NS  namespace of the leader-election Lease (default: POD_NAMESPACE or ${MYSQL_OPERATOR_NAMESPACE})
  --workers N           MySQL resources reconciled at once (default ${DEFAULT_WORKERS})
  --qps N               cap the operator's API writes at N per second (default: no cap; the API
                        server's priority and fairness protects it)
  --burst N             writes allowed at once under --qps (default: twice the QPS)
  --no-leader-elect     run without leader election (a single replica only)
  -h, --help            show this help

In a pod (no --kubeconfig, no KUBECONFIG) it uses the ServiceAccount's token and CA under
/var/run/secrets/kubernetes.io/serviceaccount; MYSQLOP_IN_CLUSTER_ROOT=DIR reads them under DIR instead.`;

/** `mysqlop run`: the operator as a foreground process. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs("run", USAGE, argv, {
    kubeconfig: { type: "string" },
    namespace: { type: "string" },
    "probe-port": { type: "string" },
    "log-level": { type: "string" },
    "log-format": { type: "string" },
    "lease-namespace": { type: "string" },
    workers: { type: "string" },
    qps: { type: "string" },
    burst: { type: "string" },
    "no-leader-elect": { type: "boolean" },
  });
  if (parsed.exitCode !== undefined) return parsed.exitCode;
  const { values } = parsed;
  const probePort = values["probe-port"] === undefined ? undefined : Number(values["probe-port"]);
  if (probePort !== undefined && !(Number.isInteger(probePort) && probePort >= 0 && probePort < 65536)) {
    return usageError("run", `--probe-port must be a port number (0-65535), got "${values["probe-port"]}"`);
  }
  const numbers: Record<"workers" | "qps" | "burst", number | undefined> = { workers: undefined, qps: undefined, burst: undefined };
  for (const flag of ["workers", "qps", "burst"] as const) {
    const text = values[flag];
    if (text === undefined) continue;
    const value = Number(text);
    const valid = flag === "qps" ? Number.isFinite(value) && value > 0 : Number.isInteger(value) && value >= 1;
    if (!valid) {
      return usageError("run", `--${flag} must be ${flag === "qps" ? "a number above 0" : "a whole number of at least 1"}, got "${text}"`);
    }
    numbers[flag] = value;
  }
  if (numbers.burst !== undefined && numbers.qps === undefined) {
    return usageError("run", "--burst needs --qps (without --qps writes are not capped)");
  }
  let logLevel;
  try {
    logLevel = parseLogLevel(values["log-level"] ?? "info");
  } catch (error) {
    return usageError("run", `--log-level: ${(error as Error).message}`);
  }
  let logFormat;
  try {
    logFormat = parseLogFormat(values["log-format"] ?? (process.stderr.isTTY ? "text" : "json"));
  } catch (error) {
    return usageError("run", `--log-format: ${(error as Error).message}`);
  }
  const leaseNamespace = values["lease-namespace"] ?? process.env["POD_NAMESPACE"] ?? MYSQL_OPERATOR_NAMESPACE;
  const operator = createMySQLOperator({
    kubeconfigPath: values.kubeconfig,
    namespace: values.namespace,
    probePort,
    logLevel,
    concurrency: numbers.workers,
    writeQps: numbers.qps,
    writeBurst: numbers.burst,
    logFormat,
    userAgent: mysqlopUserAgent(),
    inClusterRoot: process.env["MYSQLOP_IN_CLUSTER_ROOT"],
    leaderElection: values["no-leader-elect"] === true ? undefined : { leaseNamespace },
  });
  stopOnSignals(operator);
  let code = 0;
  try {
    await operator.start();
  } catch (error) {
    if (error instanceof LeadershipLostError) {
      operator.log.error("leadership lost: exiting so that a fresh process can stand for election");
    } else {
      operator.log.error("operator failed", { error });
    }
    code = 1;
  }
  // After a lost lease a reconcile may still be finishing: it must not keep a non-leader alive.
  setTimeout(() => process.exit(code), 1_000).unref();
  return code;
}
