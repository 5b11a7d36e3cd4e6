/**
 * The entry point of an operator process: owns the kubeconfig, the informers shared by all
 * controllers, leader election, the probe/metrics server, logging and graceful shutdown.
 *
 * Start-up: probe server → informers (on every replica, so a standby's cache is warm) →
 * leader election → caches synced → controller workers. Shutdown ({@link Manager.stop}, which
 * the program calls on SIGTERM/SIGINT: a library never handles signals or exits the process):
 * stop taking work → let in-flight reconciles finish within the
 * deadline → flush Events → release the lease → stop informers → close the server.
 * Losing the lease stops the workers at once and makes {@link Manager.start} reject, so
 * the program can exit and restart as a standby, as controller-runtime does.
 */
import { KubeConfig } from "@kubernetes/client-node";
import type { BackoffOptions } from "./backoff.ts";
import { InformerCache } from "./cache-reader.ts";
import { Controller, type ControllerOptions, type InformerScope } from "./controller.ts";
import { KubeEventRecorder } from "./event-recorder.ts";
import { startHealthServer, type HealthServer } from "./health-server.ts";
import { Informer } from "./informer.ts";
import { KubeRest, type KindInfo } from "./kube-rest.ts";
import { LeaderElector, type LeaderElectionTimings } from "./leader-election.ts";
import { createJsonLogger, type JsonLogger, type LogFormat, type LogLevel } from "./logger.ts";
import { createRuntimeMetrics, type RuntimeMetrics } from "./metrics.ts";
import { TokenBucket } from "./rate-limiter.ts";
import { appliedHashAnnotation, managedBySelector } from "./managed-objects.ts";
import { ObjectWriter } from "./reconcile-context.ts";
import type { ObjectWatch } from "./reference-watches.ts";
import type { ObjectReference } from "./types.ts";

/** Leader-election settings of a {@link Manager}. */
export interface LeaderElectionOptions extends Partial<LeaderElectionTimings> {
  /** Lease name; defaults to `<manager name>-leader`. */
  readonly leaseName?: string;
  readonly leaseNamespace: string;
  /** Unique per process; defaults to `hostname_uuid`. */
  readonly identity?: string;
}

/** Options of a {@link Manager}. */
export interface ManagerOptions {
  /** The operator's name: field manager, Event source, default lease name. */
  readonly name: string;
  /** A loaded kubeconfig; else {@link kubeconfigPath}; else the default chain (KUBECONFIG, ~/.kube/config, in-cluster). */
  readonly kubeConfig?: KubeConfig;
  readonly kubeconfigPath?: string;
  /**
   * Without a kubeconfig: read the in-cluster ServiceAccount credentials under this directory
   * (`DIR/var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt}`, with KUBERNETES_SERVICE_HOST/PORT).
   */
  readonly inClusterRoot?: string;
  /** Watch one namespace only; all by default. */
  readonly namespace?: string;
  /** Leader election; off when omitted (fine for one replica, required for more). */
  readonly leaderElection?: LeaderElectionOptions;
  /** Port of /healthz, /readyz and /metrics; 0 picks a free one; `false` disables the server. Default 8081. */
  readonly probePort?: number | false;
  readonly probeHost?: string;
  readonly logLevel?: LogLevel;
  /** `json` (default) or `text` for a person at a terminal. */
  readonly logFormat?: LogFormat;
  /** `product/version` on every API request (field manager of non-apply writes, audit log); default the name. */
  readonly userAgent?: string;
  /** A logger to use instead of a new JSON logger on stderr. */
  readonly logger?: JsonLogger;
  /** Keys whose values the logger redacts wherever they appear: the resource's sensitive spec fields. */
  readonly sensitiveFields?: readonly string[];
  /**
   * A client-side cap on API writes (client-go's QPS/burst). None by default, as in controller-runtime since
   * v0.15: the API server's priority and fairness protects it, and a cap of 20/s made an operator writing ~20
   * times per resource do one resource per second. Burst defaults to twice the QPS.
   */
  readonly writeQps?: number;
  readonly writeBurst?: number;
  /** API requests in flight at once (watches aside), each on a kept-alive connection; default: kube-rest.ts's `DEFAULT_MAX_CONNECTIONS`. */
  readonly maxConnections?: number;
  /** How long shutdown waits for in-flight reconciles. Default 30 s. */
  readonly shutdownTimeoutMs?: number;
  /** Informer tuning. */
  readonly resyncMs?: number;
  readonly watchStallMs?: number;
  readonly watchBackoff?: BackoffOptions;
  readonly watchTimeoutSeconds?: number;
}

/** {@link Manager.start} rejects with this when the lease could not be renewed in time. */
export class LeadershipLostError extends Error {
  constructor() {
    super("leader election lost");
    this.name = "LeadershipLostError";
  }
}

/** Runs controllers; see the file comment for the life cycle. */
export class Manager {
  readonly log: JsonLogger;
  readonly metrics: RuntimeMetrics;
  readonly kubeConfig: KubeConfig;
  readonly rest: KubeRest;
  readonly cache = new InformerCache();
  readonly #options: ManagerOptions;
  readonly #leaseRest: KubeRest;
  readonly #events: KubeEventRecorder;
  readonly #writer: ObjectWriter;
  readonly #controllers: Controller[] = [];
  readonly #elector: LeaderElector | undefined;
  #server: HealthServer | undefined;
  #state: "new" | "starting" | "running" | "stopping" | "stopped" = "new";
  #stopped: Promise<void> | undefined;
  #signalStop: (() => void) | undefined;
  #fatal: Error | undefined;
  #workersStarted = false;

  constructor(options: ManagerOptions) {
    this.#options = options;
    this.log =
      options.logger ??
      createJsonLogger({
        level: options.logLevel ?? "info",
        format: options.logFormat,
        fields: { manager: options.name },
        sensitiveKeys: options.sensitiveFields,
      });
    this.metrics = createRuntimeMetrics({ cacheSizes: () => this.cache.informers().map((i) => [i.kind.kind, i.size] as const) });
    this.kubeConfig = options.kubeConfig ?? loadKubeConfig(options.kubeconfigPath, options.inClusterRoot);
    const userAgent = options.userAgent ?? options.name;
    const qps = options.writeQps;
    this.rest = new KubeRest(this.kubeConfig, {
      userAgent,
      maxConnections: options.maxConnections,
      writeLimiter: qps === undefined ? undefined : new TokenBucket({ qps, burst: options.writeBurst ?? Math.max(1, Math.ceil(qps * 2)) }),
      onWrite: (verb, code, path) => {
        this.metrics.apiWrites.inc({ verb, code: String(code) });
        this.log.debug("API write", { verb, code, path });
      },
    });
    this.#leaseRest = new KubeRest(this.kubeConfig, { userAgent });
    const le = options.leaderElection;
    if (le !== undefined) {
      this.#elector = new LeaderElector({
        rest: this.#leaseRest,
        namespace: le.leaseNamespace,
        name: le.leaseName ?? `${options.name}-leader`,
        identity: le.identity,
        leaseDurationMs: le.leaseDurationMs,
        renewDeadlineMs: le.renewDeadlineMs,
        retryPeriodMs: le.retryPeriodMs,
        log: this.log,
        onStatus: (leading) => this.metrics.leaderStatus.set({ name: options.name }, leading ? 1 : 0),
      });
    }
    this.metrics.leaderStatus.set({ name: options.name }, 0);
    const mayWrite = (): boolean => this.#elector === undefined || this.#elector.leading;
    this.#events = new KubeEventRecorder({ rest: this.rest, component: options.name, instance: this.#elector?.identity, log: this.log, mayWrite });
    this.#writer = new ObjectWriter({
      rest: this.rest,
      fieldManager: options.name,
      managedBy: options.name,
      mayWrite,
      appliedHashAnnotation: appliedHashAnnotation(options.name),
      onUnchanged: () => this.metrics.appliesUnchanged.inc(),
      onWritten: (object, created) => {
        if (object.apiVersion !== undefined && object.kind !== undefined) this.cache.informerFor(object.apiVersion, object.kind)?.observeWrite(object, created);
      },
      readCache: (apiVersion, kind, namespace, name) => {
        // A synced cache that watches the object's namespace. A miss in a cache of what we labelled does not prove
        // the object absent (someone else's of the same name is not in it), but it is taken as absent all the same:
        // the writer then creates it, and a create fails on an object that exists, which is then read and refused.
        // One look-up fewer for every new child, and none of it taken over.
        const informer = this.cache.informerFor(apiVersion, kind);
        const watched = namespace === undefined || options.namespace === undefined || options.namespace === namespace;
        if (informer?.synced !== true || !watched) return undefined;
        return { object: informer.get(namespace, name) };
      },
    });
  }

  /** Adds a controller; call before {@link start}. */
  addController(options: ControllerOptions): Controller {
    if (this.#state !== "new") throw new Error("add controllers before starting the manager");
    const controller = new Controller(options, {
      cache: this.cache,
      informerFor: (kind, scope) => this.#informerFor(kind, scope),
      watchObject: (object, changed) => this.#watchObject(object, changed),
      events: this.#events,
      writer: this.#writer,
      log: this.log,
      metrics: this.metrics,
    });
    this.#controllers.push(controller);
    return controller;
  }

  /** The probe server's port (after start). */
  get probePort(): number | undefined {
    return this.#server?.port;
  }

  /** True while this process may reconcile (leader, or no leader election). */
  get leading(): boolean {
    return this.#elector === undefined || this.#elector.leading;
  }

  /** This process's leader-election identity. */
  get identity(): string | undefined {
    return this.#elector?.identity;
  }

  /** Reasons /healthz fails: an informer the watchdog could not keep alive. */
  healthProblems(): string[] {
    if (this.#state === "starting" || this.#state === "new") return [];
    return this.cache
      .informers()
      .filter((i) => !i.healthy && this.#state === "running")
      .map((i) => `informer ${i.kind.kind}: watch not making progress`);
  }

  /** Reasons /readyz fails: caches not synced, or shutting down. Leader and standby are both ready. */
  readinessProblems(): string[] {
    const problems = this.cache
      .informers()
      .filter((i) => !i.synced)
      .map((i) => `informer ${i.kind.kind}: cache not synced`);
    if (this.#state !== "running" && this.#state !== "starting") problems.push(`manager ${this.#state}`);
    return problems;
  }

  /**
   * Runs until {@link stop} (a program calls it on SIGTERM); resolves after a clean
   * shutdown and rejects with {@link LeadershipLostError} when the lease was lost.
   */
  async start(): Promise<void> {
    if (this.#state !== "new") throw new Error("a manager starts once");
    this.#state = "starting";
    const stopRequested = new Promise<void>((resolve) => (this.#signalStop = resolve));
    const probePort = this.#options.probePort ?? 8081;
    if (probePort !== false) {
      this.#server = await startHealthServer({
        port: probePort,
        host: this.#options.probeHost,
        healthz: () => this.healthProblems(),
        readyz: () => this.readinessProblems(),
        registry: this.metrics.registry,
      });
      this.log.info("serving probes and metrics", { port: this.#server.port });
    }
    for (const informer of this.cache.informers()) informer.start();
    this.#state = "running";
    try {
      const elector = this.#elector;
      if (elector !== undefined) {
        const acquired = await Promise.race([elector.acquire(), stopRequested.then(() => false)]);
        if (!acquired) return await this.stop();
        // Renew from the moment the lease is ours, also while the caches are still syncing.
        elector.holdLeadership().then(
          (outcome) => {
            if (outcome !== "lost" || this.#state !== "running") return;
            this.#fatal = new LeadershipLostError();
            this.stop().catch(() => undefined);
          },
          () => undefined,
        );
      }
      await Promise.race([Promise.all(this.cache.informers().map((i) => i.waitForSync())), stopRequested]);
      if (this.#state === "running") {
        for (const controller of this.#controllers) controller.start();
        this.#workersStarted = true;
      }
      await stopRequested;
      await this.stop();
      if (this.#fatal !== undefined) throw this.#fatal;
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Graceful shutdown (idempotent); see the file comment. */
  stop(): Promise<void> {
    this.#signalStop?.();
    this.#stopped ??= this.#shutdown();
    return this.#stopped;
  }

  async #shutdown(): Promise<void> {
    const lost = this.#fatal !== undefined;
    this.#state = "stopping";
    const deadline = this.#options.shutdownTimeoutMs ?? 30_000;
    // Without the lease, in-flight work is refused by the writer anyway: do not wait for it.
    const drained = await Promise.all(this.#controllers.map((c) => c.stop(lost ? 0 : deadline)));
    await Promise.race([this.#events.flush(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    if (this.#elector !== undefined) await this.#elector.stop(!lost);
    for (const informer of this.cache.informers()) informer.stop();
    await this.#server?.close();
    await Promise.all([this.rest.close(), this.#leaseRest.close()]);
    this.#state = "stopped";
    this.log.info("stopped", { drained: drained.every(Boolean), workersStarted: this.#workersStarted });
  }

  #informerFor(kind: KindInfo, scope: InformerScope): Informer {
    const labelSelector = scope === "managed" ? managedBySelector(this.#options.name) : undefined;
    const existing = this.cache.informerFor(kind.apiVersion, kind.kind);
    if (existing !== undefined) {
      if (existing.labelSelector !== labelSelector)
        throw new Error(`${kind.kind} (${kind.apiVersion}) is both owned by a controller and watched whole by another: one cache cannot serve both`);
      return existing;
    }
    this.rest.registerKind(kind);
    const informer = new Informer({
      rest: this.rest,
      kind,
      namespace: kind.namespaced ? this.#options.namespace : undefined,
      labelSelector,
      log: this.log,
      metrics: this.metrics,
      resyncMs: this.#options.resyncMs,
      stallMs: this.#options.watchStallMs,
      backoff: this.#options.watchBackoff,
      watchTimeoutSeconds: this.#options.watchTimeoutSeconds,
    });
    this.cache.register(informer);
    return informer;
  }

  /** A list+watch selected by name: one object, outside the caches, for `ctx.read(…, { watch: true })`. */
  #watchObject(object: ObjectReference, changed: () => void): ObjectWatch {
    let informer: Informer | undefined;
    let stopped = false;
    this.rest.kindInfo(object.apiVersion, object.kind).then(
      (kind) => {
        if (stopped || this.#state !== "running") return;
        informer = new Informer({
          rest: this.rest,
          kind,
          namespace: kind.namespaced ? object.metadata.namespace : undefined,
          fieldSelector: `metadata.name=${object.metadata.name ?? ""}`,
          log: this.log,
          metrics: this.metrics,
          resyncMs: 0,
          stallMs: this.#options.watchStallMs,
          backoff: this.#options.watchBackoff,
          watchTimeoutSeconds: this.#options.watchTimeoutSeconds,
        });
        informer.onEvent(changed);
        informer.start();
      },
      (error: unknown) => this.log.warn("cannot watch a referenced object", { object: `${object.kind} ${object.metadata.name ?? ""}`, error }),
    );
    return {
      stop: () => {
        stopped = true;
        informer?.stop();
      },
    };
  }
}

/** A kubeconfig that cannot be read, or none at all: thrown by the Manager's constructor, said in one sentence. */
export class KubeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KubeConfigError";
  }
}

/** Where client-node's `loadFromDefault` goes when it found no kubeconfig, no KUBECONFIG and no ServiceAccount token. */
const NO_CONFIG_FALLBACK = "http://localhost:8080";

function loadKubeConfig(path: string | undefined, inClusterRoot: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path === undefined && inClusterRoot !== undefined && inClusterRoot !== "") {
    kc.loadFromCluster(inClusterRoot);
    return kc;
  }
  const from =
    path ?? (process.env["KUBECONFIG"] === undefined || process.env["KUBECONFIG"] === "" ? "~/.kube/config" : `KUBECONFIG ${process.env["KUBECONFIG"]}`);
  try {
    if (path !== undefined) kc.loadFromFile(path);
    else kc.loadFromDefault();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new KubeConfigError(`cannot read the kubeconfig ${from}: ${code === "ENOENT" ? "no such file" : (error as Error).message}`);
  }
  // client-node's last resort is an unauthenticated http://localhost:8080, which answers nothing useful on a real cluster.
  if (path === undefined && kc.getCurrentCluster()?.server === NO_CONFIG_FALLBACK && kc.getCurrentUser()?.name === "user")
    throw new KubeConfigError("no kubeconfig: pass --kubeconfig PATH, set KUBECONFIG, or write ~/.kube/config (in a pod, its ServiceAccount is used)");
  return kc;
}
