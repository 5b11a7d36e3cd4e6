/**
 * Prometheus metrics, named after controller-runtime's (`controller_runtime_reconcile_*`,
 * `workqueue_*`, `leader_election_master_status`) so that existing dashboards fit.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Every metric the runtime records, on one registry. */
export interface RuntimeMetrics {
  readonly registry: Registry;
  readonly reconcileTotal: Counter<"controller" | "result">;
  readonly reconcileErrors: Counter<"controller">;
  readonly reconcileTime: Histogram<"controller">;
  readonly activeWorkers: Gauge<"controller">;
  readonly maxConcurrentReconciles: Gauge<"controller">;
  readonly queueDepth: Gauge<"name">;
  readonly queueAdds: Counter<"name">;
  readonly queueLatency: Histogram<"name">;
  readonly queueRetries: Counter<"name">;
  readonly watchRestarts: Counter<"kind" | "reason">;
  readonly watchEvents: Counter<"kind" | "type">;
  readonly cacheSynced: Gauge<"kind">;
  readonly cacheObjects: Gauge<"kind">;
  readonly referencedObjects: Gauge<"controller">;
  readonly leaderStatus: Gauge<"name">;
  readonly apiWrites: Counter<"verb" | "code">;
  readonly appliesUnchanged: Counter;
}

const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Creates the metrics on a fresh registry (one per manager, so tests can run several); `cacheSizes` is read at each scrape. */
export function createRuntimeMetrics(options: { defaultMetrics?: boolean; cacheSizes?: () => Iterable<readonly [string, number]> } = {}): RuntimeMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    reconcileTotal: new Counter({
      name: "controller_runtime_reconcile_total",
      help: "Total number of reconciliations per controller",
      labelNames: ["controller", "result"],
      registers,
    }),
    reconcileErrors: new Counter({
      name: "controller_runtime_reconcile_errors_total",
      help: "Total number of reconciliation errors per controller",
      labelNames: ["controller"],
      registers,
    }),
    reconcileTime: new Histogram({
      name: "controller_runtime_reconcile_time_seconds",
      help: "Length of time per reconciliation per controller",
      labelNames: ["controller"],
      buckets: durationBuckets,
      registers,
    }),
    activeWorkers: new Gauge({
      name: "controller_runtime_active_workers",
      help: "Number of currently used workers per controller",
      labelNames: ["controller"],
      registers,
    }),
    maxConcurrentReconciles: new Gauge({
      name: "controller_runtime_max_concurrent_reconciles",
      help: "Maximum number of concurrent reconciles per controller",
      labelNames: ["controller"],
      registers,
    }),
    queueDepth: new Gauge({ name: "workqueue_depth", help: "Current depth of workqueue", labelNames: ["name"], registers }),
    queueAdds: new Counter({ name: "workqueue_adds_total", help: "Total number of adds handled by workqueue", labelNames: ["name"], registers }),
    queueLatency: new Histogram({
      name: "workqueue_queue_duration_seconds",
      help: "How long in seconds an item stays in workqueue before being requested",
      labelNames: ["name"],
      buckets: durationBuckets,
      registers,
    }),
    queueRetries: new Counter({ name: "workqueue_retries_total", help: "Total number of retries handled by workqueue", labelNames: ["name"], registers }),
    watchRestarts: new Counter({
      name: "informer_watch_restarts_total",
      help: "Watches restarted after an error, an expired resourceVersion or a stall, per kind",
      labelNames: ["kind", "reason"],
      registers,
    }),
    watchEvents: new Counter({ name: "informer_watch_events_total", help: "Watch events received per kind and type", labelNames: ["kind", "type"], registers }),
    cacheSynced: new Gauge({ name: "informer_cache_synced", help: "1 when the informer of a kind has listed at least once", labelNames: ["kind"], registers }),
    cacheObjects: new Gauge({
      name: "informer_cache_objects",
      help: "Objects held in the informer cache of a kind",
      labelNames: ["kind"],
      registers,
      collect() {
        for (const [kind, size] of options.cacheSizes?.() ?? []) this.set({ kind }, size);
      },
    }),
    referencedObjects: new Gauge({
      name: "controller_referenced_objects",
      help: "Objects a controller's resources refer to (read with watch), each watched by name",
      labelNames: ["controller"],
      registers,
    }),
    leaderStatus: new Gauge({
      name: "leader_election_master_status",
      help: "1 when this process holds the leader-election lease",
      labelNames: ["name"],
      registers,
    }),
    apiWrites: new Counter({
      name: "rest_client_writes_total",
      help: "API write requests by verb and HTTP status code",
      labelNames: ["verb", "code"],
      registers,
    }),
    appliesUnchanged: new Counter({
      name: "controller_applies_unchanged_total",
      help: "Server-side applies not sent because the cached object already held what they declared",
      registers,
    }),
  };
}
