/**
 * The MySQL operator as one runnable unit: a runtime Manager with the MySQL controller
 * (primary kind, watched children, reconciler). `mysqlop run` and the integration tests
 * build it here, so they run the same wiring.
 */
import { MYSQL_RESOURCE_TYPE, MYSQL_SENSITIVE_FIELDS, MYSQL_WATCHED_KINDS } from "../../generated/mysql-constants.ts";
import { Manager, type BackoffOptions, type ManagerOptions } from "../runtime/index.ts";
import { MySQLReconciler } from "./mysql-reconciler.ts";
import { OPERATOR_NAME, VOLUME_OWNER_LABELS } from "./names.ts";

/**
 * MySQL resources reconciled at once by default. A reconcile spends most of its time waiting for the API
 * server, so more workers than cores pay off; see `npm run bench:operator`.
 */
export const DEFAULT_WORKERS = 8;

/**
 * Manager options, plus how many MySQL resources may reconcile at once. The name (field manager, Event source, lease
 * name prefix, managed-by label) is always {@link OPERATOR_NAME}: the backup CronJob's template labels the Jobs it makes
 * with it, and the Job cache holds only what carries the manager's name.
 */
export interface MySQLOperatorOptions extends Omit<ManagerOptions, "name"> {
  /** Distinct resources reconciled at once; default {@link DEFAULT_WORKERS}. */
  readonly concurrency?: number;
  /** How the retries of a failed reconcile space out; default the runtime's (500 ms doubling to 5 min). */
  readonly retryBackoff?: BackoffOptions;
  /** How long a server waiting for its claim's binding waits for no watch event; default `BINDING_FALLBACK_MS` (result.ts). */
  readonly bindingFallbackMs?: number;
}

/** A Manager running the MySQL controller; call `start()` on it (a program stops it on SIGTERM, see `cli/run`). */
export function createMySQLOperator(options: MySQLOperatorOptions = {}): Manager {
  const { concurrency, retryBackoff, bindingFallbackMs, ...managerOptions } = options;
  const manager = new Manager({ sensitiveFields: MYSQL_SENSITIVE_FIELDS, ...managerOptions, name: OPERATOR_NAME });
  manager.addController({
    name: "mysql",
    resourceType: MYSQL_RESOURCE_TYPE,
    owns: MYSQL_WATCHED_KINDS,
    // The hostPath volumes are cluster-scoped, so no owner reference names their resource: their labels do.
    ownerLabels: VOLUME_OWNER_LABELS,
    reconciler: new MySQLReconciler({ bindingFallbackMs }),
    concurrency: concurrency ?? DEFAULT_WORKERS,
    backoff: retryBackoff,
  });
  return manager;
}
