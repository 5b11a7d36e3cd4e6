/**
 * A real control plane for tests and `mysqlop sandbox`: the public interface and the order of things. Start-up:
 * reap what killed runs left, certificates, etcd, kube-apiserver, CRDs, then the workload components. Teardown
 * (orderly, or from an exit hook) stops every process, waits until its ports are free and removes the temp dir.
 * The pieces live beside this file: `core-components.ts` (etcd and kube-apiserver flags and readiness),
 * `supervisor.ts` (processes and pid records), `manifests.ts` (apply, CRDs Established),
 * `service-account-kubeconfig.ts`, `workloads.ts` (controller manager, scheduler, nodes).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { KubeConfig } from "@kubernetes/client-node";
import { findBinaries, kubectlDir, requireWorkloadBinaries, type BinaryPaths, type NodeKind } from "./binaries.ts";
import { generateCertificates, type ControlPlaneCertificates } from "./certificates.ts";
import { ComponentStartError, type ComponentProcess } from "./component-process.ts";
import { apiServerArgs, etcdArgs, waitApiServerReady, waitEtcdReady, type CorePorts } from "./core-components.ts";
import { keepFailureLogs } from "./failure-logs.ts";
import { renderKubeconfig } from "./kubeconfig.ts";
import { applyObjects, crdsAmong, loadCrds, loadManifests } from "./manifests.ts";
import { PidRecordFile, reapLeftovers, TEMP_DIR_PREFIX } from "./pid-records.ts";
import { freeLoopbackPort, waitPortsFree } from "./ports.ts";
import { writeServiceAccountKubeconfig } from "./service-account-kubeconfig.ts";
import { ComponentSupervisor, type ComponentStatus } from "./supervisor.ts";
import { trackTeardown, untrackTeardown, type Teardown } from "./teardown-hooks.ts";
import { processNodeProblems } from "./process-node/support.ts";
import { hostPathOnNode } from "./process-node/volumes.ts";
import { PROCESS_NODE_DIR, startWorkloads } from "./workloads.ts";

export type { ComponentStatus } from "./supervisor.ts";

/** Options of {@link startControlPlane}. */
export interface StartControlPlaneOptions {
  /**
   * Also run kube-controller-manager, kube-scheduler and one Node, so that pods run and Jobs complete:
   * `"kwok"` (or `true`) a kwok fake node, where nothing executes; `"process"` the process node, where pods run as
   * processes of this machine (needs root; see `process-node/`).
   */
  workloads?: boolean | NodeKind;
  /** Receives progress lines with timings; silent by default. */
  log?: (line: string) => void;
  /** Bound on each component's readiness wait, in ms (default 60 000: a loaded 2-core CI machine is slow). */
  readyTimeoutMs?: number;
  /**
   * CRD files to install (and wait Established) before the workload components start: cheaper than
   * `installCrd` afterwards, which must restart kube-controller-manager for its garbage collector to see them.
   */
  crds?: string[];
  /**
   * The caller stops the control plane itself on SIGINT, SIGTERM and SIGHUP, after what must happen first (an
   * operator releasing its lease): once `startControlPlane` resolved, the harness's signal hook leaves it running when
   * another listener takes the signal. A start the signal interrupts is still torn down by the hook, a second signal
   * still kills everything at once, and process exit still does. Default: the hook stops it on the signal.
   */
  callerStopsOnSignal?: boolean;
}

/** A running control plane: real etcd and kube-apiserver processes (plus workload components on request). */
export interface ControlPlane {
  /** Admin kubeconfig file (client certificate with O=system:masters), inside the control plane's temp dir. */
  readonly kubeconfigPath: string;
  /** The admin kubeconfig, loaded. */
  readonly kubeConfig: KubeConfig;
  /** `https://127.0.0.1:PORT`. */
  readonly server: string;
  /** The directory holding kubectl, for tests that run it. */
  readonly binDir: string;
  /** Where the components' logs are (inside the temp dir, so gone after `stop()`). */
  readonly logDir: string;
  /** The Node pods run on, when workloads run. */
  readonly nodeName: string | undefined;
  /**
   * Where a hostPath volume's `path` lives on this machine with the process node (under the control plane's temp
   * dir: the machine's own path is never used); undefined without the process node.
   */
  nodeHostPath(path: string): string | undefined;
  /** Milliseconds from the call of `startControlPlane` until the API server answered /readyz, and until the Node took pods. */
  readonly timings: { apiServerReadyMs: number; workloadsReadyMs?: number };
  /**
   * Server-side applies the CustomResourceDefinition(s) in `file` and waits (bounded) until each is Established.
   * With workloads running it then restarts kube-controller-manager: its garbage collector rediscovers resource
   * types only every 30 s, so owner references to the new kind would otherwise be honoured only ~40 s later.
   */
  installCrd(file: string): Promise<void>;
  /**
   * Server-side applies a multi-document YAML file, or objects, in order (field manager `mysqlop-envtest`,
   * conflicts forced). Namespaces that namespaced objects name are created first when missing. CRDs among them
   * are waited for as `installCrd` does.
   */
  applyManifests(fileOrObjects: string | object[]): Promise<void>;
  /** A kubeconfig that authenticates as an existing ServiceAccount with a TokenRequest token (valid 24 h), written next to the admin one. */
  serviceAccountKubeConfig(opts: { namespace: string; name: string }): Promise<{ kubeConfig: KubeConfig; kubeconfigPath: string }>;
  /** Fault injection: stops kube-apiserver only (SIGTERM, then SIGKILL); etcd keeps the data. */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again on the same port with the same certificates, and waits until it is ready. */
  startApiServer(): Promise<void>;
  /** Stops everything and removes the temp dir; idempotent. Resolves once no process and no listening port remain. */
  stop(): Promise<void>;
  /** The component processes as they are now (pid while running, how the last run ended), for diagnostics and watchdogs. */
  components(): ComponentStatus[];
}

function elapsed(since: number): number {
  return Math.round(performance.now() - since);
}

async function freeCorePorts(): Promise<CorePorts> {
  const [etcdClient, etcdPeer, apiServer] = await Promise.all([freeLoopbackPort(), freeLoopbackPort(), freeLoopbackPort()]);
  return { etcdClient, etcdPeer, apiServer };
}

class LocalControlPlane implements ControlPlane, Teardown {
  readonly #binaries: BinaryPaths;
  readonly #log: (line: string) => void;
  readonly #readyTimeoutMs: number;
  readonly #tempDir: string;
  readonly #processes: ComponentSupervisor;
  /** See {@link StartControlPlaneOptions.callerStopsOnSignal}; set once the start succeeded. */
  callerStopsOnSignal = false;
  #certs: ControlPlaneCertificates | undefined;
  #etcd: ComponentProcess | undefined;
  #apiServer: ComponentProcess | undefined;
  #controllerManager: ComponentProcess | undefined;
  #apiServerPort = 0;
  #kubeConfig: KubeConfig | undefined;
  #nodes: NodeKind | undefined;
  #stopping: Promise<void> | undefined;
  kubeconfigPath: string;
  nodeName: string | undefined;
  server = "";
  binDir: string;
  logDir: string;
  timings: { apiServerReadyMs: number; workloadsReadyMs?: number } = { apiServerReadyMs: 0 };

  constructor(binaries: BinaryPaths, log: (line: string) => void, readyTimeoutMs: number) {
    this.#binaries = binaries;
    this.#log = log;
    this.#readyTimeoutMs = readyTimeoutMs;
    this.binDir = kubectlDir(binaries);
    this.#tempDir = mkdtempSync(join(tmpdir(), TEMP_DIR_PREFIX));
    this.logDir = join(this.#tempDir, "logs");
    this.kubeconfigPath = join(this.#tempDir, "admin.kubeconfig");
    try {
      mkdirSync(this.logDir);
      mkdirSync(join(this.#tempDir, "pki"));
      this.#processes = new ComponentSupervisor(this.logDir, new PidRecordFile(this.#tempDir));
    } catch (error) {
      // Nothing runs yet, so nothing else to undo (e.g. the cache's run/ folder is not writable).
      rmSync(this.#tempDir, { recursive: true, force: true });
      throw error;
    }
    trackTeardown(this);
  }

  get kubeConfig(): KubeConfig {
    if (this.#kubeConfig === undefined) throw new Error("the control plane is not started");
    return this.#kubeConfig;
  }

  get #tls(): { ca: string; cert: string; key: string } {
    const certs = this.#requireCerts();
    return { ca: certs.caPem, cert: certs.adminCertPem, key: certs.adminKeyPem };
  }

  #requireCerts(): ControlPlaneCertificates {
    if (this.#certs === undefined) throw new Error("the control plane has no certificates yet");
    return this.#certs;
  }

  async boot(workloads: NodeKind | undefined, crds: string[], startedAt: number): Promise<void> {
    const pkiStart = performance.now();
    const [certs, ports] = await Promise.all([generateCertificates(join(this.#tempDir, "pki")), freeCorePorts()]);
    this.#certs = certs;
    this.#log(`envtest: certificates in ${elapsed(pkiStart)} ms; temp dir ${this.#tempDir}`);
    await this.#startEtcdAndApiServer(ports);
    this.timings.apiServerReadyMs = elapsed(startedAt);
    this.#log(`envtest: kube-apiserver ready at ${this.server} ${this.timings.apiServerReadyMs} ms after start`);
    for (const file of crds) await this.installCrd(file);
    if (workloads !== undefined) {
      const started = await startWorkloads({
        binaries: requireWorkloadBinaries(this.#binaries, workloads),
        nodes: workloads,
        kubeconfigPath: this.kubeconfigPath,
        kubeConfig: this.kubeConfig,
        certs,
        tempDir: this.#tempDir,
        spawn: (spec) => this.#processes.spawn(spec),
        readyTimeoutMs: this.#readyTimeoutMs,
        log: this.#log,
      });
      this.#controllerManager = started.controllerManager;
      this.#nodes = workloads;
      this.nodeName = started.nodeName;
      this.#processes.setPorts([...this.#processes.ports, ...started.ports]);
      this.timings.workloadsReadyMs = elapsed(startedAt);
      this.#log(`envtest: workloads ready (node ${started.nodeName} schedulable) ${this.timings.workloadsReadyMs} ms after start`);
    }
  }

  async #startEtcdAndApiServer(ports: CorePorts): Promise<void> {
    // A port probed free can be taken by another process before etcd or kube-apiserver binds it: retry with new ports.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#startEtcd(ports);
        await this.#startFirstApiServer(ports);
        return;
      } catch (error) {
        const bindRace = error instanceof ComponentStartError && /address already in use/.test(error.logTail);
        if (!bindRace || attempt >= 3) throw error;
        this.#log(`envtest: ${error.component} lost a port race, retrying with new ports`);
        const attemptComponents = [this.#apiServer, this.#etcd].filter((c): c is ComponentProcess => c !== undefined);
        await this.#processes.stop(attemptComponents);
        this.#processes.forget(attemptComponents);
        rmSync(join(this.#tempDir, "etcd-data"), { recursive: true, force: true });
        ports = await freeCorePorts();
      }
    }
  }

  async #startEtcd(ports: CorePorts): Promise<void> {
    const started = performance.now();
    this.#etcd = this.#processes.define({ name: "etcd", binary: this.#binaries.etcd, args: etcdArgs(join(this.#tempDir, "etcd-data"), ports), stopLast: true });
    await this.#processes.start(this.#etcd);
    this.#processes.setPorts([ports.etcdClient, ports.etcdPeer]);
    await waitEtcdReady(this.#etcd, ports, this.#readyTimeoutMs);
    this.#log(`envtest: etcd ready in ${elapsed(started)} ms (http://127.0.0.1:${ports.etcdClient})`);
  }

  async #startFirstApiServer(ports: CorePorts): Promise<void> {
    const certs = this.#requireCerts();
    this.#apiServerPort = ports.apiServer;
    this.server = `https://127.0.0.1:${ports.apiServer}`;
    this.#processes.setPorts([...this.#processes.ports, ports.apiServer]);
    await writeFile(
      this.kubeconfigPath,
      renderKubeconfig({
        name: "mysqlop-envtest-admin",
        server: this.server,
        caPem: certs.caPem,
        credentials: { clientCertPem: certs.adminCertPem, clientKeyPem: certs.adminKeyPem },
      }),
      { mode: 0o600 },
    );
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(this.kubeconfigPath);
    this.#kubeConfig = kubeConfig;
    this.#apiServer = this.#processes.define({
      name: "kube-apiserver",
      binary: this.#binaries.kubeApiserver,
      args: apiServerArgs(this.#tempDir, certs, ports),
    });
    await this.#runApiServer();
  }

  async #runApiServer(): Promise<void> {
    const apiServer = this.#apiServer;
    if (apiServer === undefined) throw new Error("kube-apiserver was never configured");
    const started = performance.now();
    await this.#processes.start(apiServer);
    await waitApiServerReady(apiServer, this.server, this.#tls, this.#readyTimeoutMs);
    this.#log(`envtest: kube-apiserver answered /readyz ${elapsed(started)} ms after spawn`);
  }

  async stopApiServer(): Promise<void> {
    const apiServer = this.#apiServer;
    if (apiServer?.pid === undefined) return;
    const started = performance.now();
    await this.#processes.stop([apiServer]);
    const busy = await waitPortsFree([this.#apiServerPort], 10_000);
    if (busy.length > 0) throw new Error(`kube-apiserver stopped but port ${this.#apiServerPort} is still listening`);
    this.#log(`envtest: kube-apiserver stopped in ${elapsed(started)} ms`);
  }

  async startApiServer(): Promise<void> {
    if (this.#apiServer?.pid !== undefined) return;
    await this.#runApiServer();
  }

  async installCrd(file: string): Promise<void> {
    await this.applyManifests(await loadCrds(file));
  }

  async applyManifests(fileOrObjects: string | object[]): Promise<void> {
    const objects = await loadManifests(fileOrObjects);
    await applyObjects(this.kubeConfig, { kubectl: this.#binaries.kubectl, kubeconfigPath: this.kubeconfigPath }, objects);
    if (crdsAmong(objects).length > 0 && this.#controllerManager?.pid !== undefined) await this.#restartControllerManager();
  }

  async #restartControllerManager(): Promise<void> {
    const kcm = this.#controllerManager;
    if (kcm === undefined) return;
    const started = performance.now();
    await this.#processes.stop([kcm]);
    await this.#processes.start(kcm);
    this.#log(`envtest: restarted kube-controller-manager in ${elapsed(started)} ms so that its garbage collector watches the new CRD`);
  }

  nodeHostPath(path: string): string | undefined {
    return this.#nodes === "process" ? hostPathOnNode(join(this.#tempDir, PROCESS_NODE_DIR, "host"), path) : undefined;
  }

  serviceAccountKubeConfig(opts: { namespace: string; name: string }): Promise<{ kubeConfig: KubeConfig; kubeconfigPath: string }> {
    return writeServiceAccountKubeconfig({ admin: this.kubeConfig, server: this.server, caPem: this.#requireCerts().caPem, dir: this.#tempDir, ...opts });
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stopEverything();
    return this.#stopping;
  }

  components(): ComponentStatus[] {
    return this.#processes.statuses();
  }

  async #stopEverything(): Promise<void> {
    const started = performance.now();
    try {
      await this.#processes.stopAll();
      const busy = await waitPortsFree(this.#processes.ports, 10_000);
      if (busy.length > 0) throw new Error(`control plane stopped but ports ${busy.join(", ")} are still listening`);
    } finally {
      rmSync(this.#tempDir, { recursive: true, force: true });
      if (this.#processes.allGone) this.#processes.removeRecord();
      untrackTeardown(this);
    }
    this.#log(`envtest: stopped in ${elapsed(started)} ms`);
  }

  killNow(): void {
    this.#processes.killNow();
    rmSync(this.#tempDir, { recursive: true, force: true });
  }

  /** Copies the components' logs out of the temp dir (which `stop()` removes) so a failed start can be diagnosed. */
  keepLogs(): string | undefined {
    return keepFailureLogs(this.logDir);
  }
}

/**
 * Starts a real control plane: etcd and kube-apiserver (RBAC on, service-account tokens, an admin client
 * certificate) on free loopback ports, and with `workloads` kube-controller-manager, kube-scheduler and one Node
 * (kwok's fake one, or the process node). Reaps what earlier, killed runs left behind first. Teardown is hooked to process exit and
 * SIGINT/SIGTERM/SIGHUP, so it happens even when a caller never reaches `stop()`.
 * On failure everything started is stopped and the error carries the failing component's last log lines.
 */
export async function startControlPlane(opts: StartControlPlaneOptions = {}): Promise<ControlPlane> {
  const startedAt = performance.now();
  const log = opts.log ?? (() => {});
  const binaries = findBinaries();
  const workloads = opts.workloads === true ? "kwok" : opts.workloads === false ? undefined : opts.workloads;
  if (workloads !== undefined) requireWorkloadBinaries(binaries, workloads);
  if (workloads === "process") {
    const problems = processNodeProblems();
    if (problems.length > 0) throw new Error(`workloads "process": the process node cannot run here: ${problems.join("; ")}`);
  }
  await reapLeftovers(log);
  const controlPlane = new LocalControlPlane(binaries, log, opts.readyTimeoutMs ?? 60_000);
  try {
    await controlPlane.boot(workloads, opts.crds ?? [], startedAt);
  } catch (error) {
    const kept = controlPlane.keepLogs();
    await controlPlane.stop().catch(() => {});
    if (error instanceof Error && kept !== undefined) error.message += `\n(all component logs kept in ${kept})`;
    throw error;
  }
  controlPlane.callerStopsOnSignal = opts.callerStopsOnSignal === true;
  return controlPlane;
}
