import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiextensionsV1Api, CoreV1Api, KubeConfig, type KubernetesObject, type V1CustomResourceDefinition } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { findBinaries, kubectlDir, requireWorkloadBinaries, type BinaryPaths } from "./binaries.ts";
import { mysqlopCacheDir } from "./cache-dir.ts";
import { generateCertificates, type ControlPlaneCertificates } from "./certificates.ts";
import { ComponentProcess, ComponentStartError, type ExitStatus } from "./component-process.ts";
import { renderKubeconfig } from "./kubeconfig.ts";
import { kubectlApply } from "./kubectl-apply.ts";
import { PidRecordFile, reapLeftovers, TEMP_DIR_PREFIX } from "./pid-records.ts";
import { freeLoopbackPort, listeningPortsSync, waitPortsFree } from "./ports.ts";
import { canonicalExecutable, isProcessAlive, processStartTime } from "./process-identity.ts";
import { trackTeardown, untrackTeardown, type Teardown } from "./teardown-hooks.ts";
import { startWorkloads } from "./workloads.ts";

/** Options of {@link startControlPlane}. */
export interface StartControlPlaneOptions {
  /** Also run kube-controller-manager, kube-scheduler and kwok with one fake Node, so pods run and Jobs complete. */
  workloads?: boolean;
  /** Receives progress lines with timings; silent by default. */
  log?: (line: string) => void;
  /** Bound on each component's readiness wait, in ms (default 60 000: a loaded 2-core CI machine is slow). */
  readyTimeoutMs?: number;
  /**
   * CRD files to install (and wait Established) before the workload components start: cheaper than
   * `installCrd` afterwards, which must restart kube-controller-manager for its garbage collector to see them.
   */
  crds?: string[];
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
  /** Milliseconds from the call of `startControlPlane` until the API server answered /readyz, and until the fake Node took pods. */
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

/** One component process of a control plane, as {@link ControlPlane.components} reports it. */
export interface ComponentStatus {
  name: string;
  /** Set while it runs. */
  pid?: number;
  /** How its last run ended; absent while it runs or before it ever ran. */
  exitStatus?: ExitStatus;
  logFile: string;
}

const FIELD_MANAGER = "mysqlop-envtest";
const STOP_GRACE_MS = 2_000;
const KEPT_FAILURE_LOGS = 10;

interface HttpProbe {
  status: number;
  body: string;
}

function probe(url: string, tls?: { ca: string; cert: string; key: string }): Promise<HttpProbe> {
  return new Promise((resolve, reject) => {
    const request = url.startsWith("https:") ? httpsRequest : httpRequest;
    const req = request(url, { timeout: 2_000, agent: false, ...(tls ?? {}) }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

function elapsed(since: number): number {
  return Math.round(performance.now() - since);
}

function objectsFromYaml(text: string, source: string): KubernetesObject[] {
  const objects: KubernetesObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== "object" || Array.isArray(value)) throw new Error(`${source}: a document is not a Kubernetes object`);
    objects.push(value as KubernetesObject);
  }
  return objects;
}

function isEstablished(crd: V1CustomResourceDefinition): boolean {
  return (crd.status?.conditions ?? []).some((c) => c.type === "Established" && c.status === "True");
}

class LocalControlPlane implements ControlPlane, Teardown {
  readonly #binaries: BinaryPaths;
  readonly #log: (line: string) => void;
  readonly #readyTimeoutMs: number;
  readonly #tempDir: string;
  readonly #record: PidRecordFile;
  readonly #components: ComponentProcess[] = [];
  #certs: ControlPlaneCertificates | undefined;
  #apiServer: ComponentProcess | undefined;
  #controllerManager: ComponentProcess | undefined;
  #apiServerPort = 0;
  #ports: number[] = [];
  #kubeConfig: KubeConfig | undefined;
  #stopping: Promise<void> | undefined;
  kubeconfigPath: string;
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
      this.#record = new PidRecordFile(this.#tempDir);
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

  /** A component whose every run is in the pid record from the instant it exists until it is reaped. */
  #component(name: string, binary: string, args: string[]): ComponentProcess {
    const exe = canonicalExecutable(binary);
    const component = new ComponentProcess({
      name,
      binary,
      args,
      logFile: join(this.logDir, `${name}.log`),
      onSpawn: (pid) => this.#record.addProcess({ name, pid, exe, startTime: processStartTime(pid) }),
      onExit: (pid) => this.#record.removeProcess(pid),
    });
    this.#components.push(component);
    return component;
  }

  /** Refuses to start anything once stop() began (a signal during start-up), or it would outlive the teardown. */
  #assertNotStopping(): void {
    if (this.#stopping !== undefined) throw new Error("the control plane was stopped during start-up");
  }

  async #spawn(name: string, binary: string, args: string[]): Promise<ComponentProcess> {
    this.#assertNotStopping();
    const component = this.#component(name, binary, args);
    await component.start();
    return component;
  }

  async boot(workloads: boolean, crds: string[], startedAt: number): Promise<void> {
    const pkiStart = performance.now();
    const [certs, etcdClientPort, etcdPeerPort, apiServerPort] = await Promise.all([
      generateCertificates(join(this.#tempDir, "pki")),
      freeLoopbackPort(),
      freeLoopbackPort(),
      freeLoopbackPort(),
    ]);
    this.#certs = certs;
    this.#log(`envtest: certificates in ${elapsed(pkiStart)} ms; temp dir ${this.#tempDir}`);
    await this.#startEtcdAndApiServer(etcdClientPort, etcdPeerPort, apiServerPort);
    this.timings.apiServerReadyMs = elapsed(startedAt);
    this.#log(`envtest: kube-apiserver ready at ${this.server} ${this.timings.apiServerReadyMs} ms after start`);
    for (const file of crds) await this.installCrd(file);
    if (workloads) {
      this.#controllerManager = await startWorkloads({
        binaries: requireWorkloadBinaries(this.#binaries),
        kubeconfigPath: this.kubeconfigPath,
        kubeConfig: this.kubeConfig,
        certs,
        spawn: (name, binary, args) => this.#spawn(name, binary, args),
        readyTimeoutMs: this.#readyTimeoutMs,
        log: this.#log,
      });
      this.timings.workloadsReadyMs = elapsed(startedAt);
      this.#log(`envtest: workloads ready (fake node schedulable) ${this.timings.workloadsReadyMs} ms after start`);
    }
  }

  async #startEtcdAndApiServer(etcdClientPort: number, etcdPeerPort: number, apiServerPort: number): Promise<void> {
    // A port probed free can be taken by another process before etcd or kube-apiserver binds it: retry with new ports.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#startEtcd(etcdClientPort, etcdPeerPort);
        await this.#startFirstApiServer(etcdClientPort, apiServerPort);
        return;
      } catch (error) {
        const bindRace = error instanceof ComponentStartError && /address already in use/.test(error.logTail);
        if (!bindRace || attempt >= 3) throw error;
        this.#log(`envtest: ${error.component} lost a port race, retrying with new ports`);
        await this.#stopComponents([...this.#components]);
        rmSync(join(this.#tempDir, "etcd-data"), { recursive: true, force: true });
        [etcdClientPort, etcdPeerPort, apiServerPort] = await Promise.all([freeLoopbackPort(), freeLoopbackPort(), freeLoopbackPort()]);
      }
    }
  }

  async #startEtcd(clientPort: number, peerPort: number): Promise<void> {
    const started = performance.now();
    const clientUrl = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = await this.#spawn("etcd", this.#binaries.etcd, [
      `--data-dir=${join(this.#tempDir, "etcd-data")}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=default=${peerUrl}`,
      "--unsafe-no-fsync",
    ]);
    this.#ports = [clientPort, peerPort];
    this.#record.setPorts(this.#ports);
    let last = "no answer yet";
    await etcd.waitReady(
      async () => {
        const res = await probe(`${clientUrl}/health`).catch((e: Error) => ({ status: 0, body: e.message }));
        last = `${clientUrl}/health: ${res.status} ${res.body.trim()}`;
        return res.status === 200 && res.body.includes('"true"');
      },
      this.#readyTimeoutMs,
      () => last,
    );
    this.#log(`envtest: etcd ready in ${elapsed(started)} ms (${clientUrl})`);
  }

  async #startFirstApiServer(etcdClientPort: number, port: number): Promise<void> {
    const certs = this.#requireCerts();
    this.#apiServerPort = port;
    this.server = `https://127.0.0.1:${port}`;
    this.#ports = [...this.#ports, port];
    this.#record.setPorts(this.#ports);
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
    const args = [
      `--etcd-servers=http://127.0.0.1:${etcdClientPort}`,
      `--cert-dir=${join(this.#tempDir, "apiserver-certs")}`,
      `--tls-cert-file=${certs.servingCertFile}`,
      `--tls-private-key-file=${certs.servingKeyFile}`,
      `--client-ca-file=${certs.caCertFile}`,
      `--secure-port=${port}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      "--service-cluster-ip-range=10.0.0.0/24",
      "--allow-privileged=true",
      "--authorization-mode=RBAC",
      `--service-account-issuer=${this.server}/`,
      `--service-account-key-file=${certs.serviceAccountPublicKeyFile}`,
      `--service-account-signing-key-file=${certs.serviceAccountKeyFile}`,
      "--disable-admission-plugins=ServiceAccount",
    ];
    this.#apiServer = this.#component("kube-apiserver", this.#binaries.kubeApiserver, args);
    await this.#runApiServer();
  }

  async #runApiServer(): Promise<void> {
    const apiServer = this.#apiServer;
    if (apiServer === undefined) throw new Error("kube-apiserver was never configured");
    const started = performance.now();
    this.#assertNotStopping();
    await apiServer.start();
    let last = "no answer yet";
    await apiServer.waitReady(
      async () => {
        const res = await probe(`${this.server}/readyz`, this.#tls).catch((e: Error) => ({ status: 0, body: e.message }));
        last = `/readyz: ${res.status} ${
          res.body
            .trim()
            .split("\n")
            .filter((l) => l.includes("failed"))
            .join("; ") || res.body.trim().slice(0, 200)
        }`;
        return res.status === 200;
      },
      this.#readyTimeoutMs,
      () => last,
    );
    this.#log(`envtest: kube-apiserver answered /readyz ${elapsed(started)} ms after spawn`);
  }

  async #stopComponents(components: ComponentProcess[]): Promise<void> {
    await Promise.all(components.map((c) => c.stop(STOP_GRACE_MS)));
  }

  async stopApiServer(): Promise<void> {
    const apiServer = this.#apiServer;
    if (apiServer?.pid === undefined) return;
    const started = performance.now();
    await this.#stopComponents([apiServer]);
    const busy = await waitPortsFree([this.#apiServerPort], 10_000);
    if (busy.length > 0) throw new Error(`kube-apiserver stopped but port ${this.#apiServerPort} is still listening`);
    this.#log(`envtest: kube-apiserver stopped in ${elapsed(started)} ms`);
  }

  async startApiServer(): Promise<void> {
    if (this.#apiServer?.pid !== undefined) return;
    await this.#runApiServer();
  }

  async installCrd(file: string): Promise<void> {
    const crds = objectsFromYaml(await readFile(file, "utf8"), file);
    if (crds.length === 0 || crds.some((o) => o.kind !== "CustomResourceDefinition")) {
      throw new Error(`${file}: expected only CustomResourceDefinition documents`);
    }
    await this.applyManifests(crds);
  }

  /** Waits (bounded) until every CRD in `crds` is Established, then lets the garbage collector know about them. */
  async #crdsApplied(crds: KubernetesObject[]): Promise<void> {
    const api = this.kubeConfig.makeApiClient(ApiextensionsV1Api);
    const deadline = Date.now() + 30_000;
    for (const crd of crds) {
      const name = crd.metadata?.name ?? "";
      for (;;) {
        const current = await api.readCustomResourceDefinition({ name });
        if (isEstablished(current)) break;
        if (Date.now() >= deadline) {
          throw new Error(`CRD ${name} was not Established within 30 s: ${JSON.stringify(current.status?.conditions ?? [])}`);
        }
        await sleep(50);
      }
    }
    if (this.#controllerManager?.pid !== undefined) await this.#restartControllerManager();
  }

  async #restartControllerManager(): Promise<void> {
    const kcm = this.#controllerManager;
    if (kcm === undefined) return;
    const started = performance.now();
    await this.#stopComponents([kcm]);
    this.#assertNotStopping();
    await kcm.start();
    this.#log(`envtest: restarted kube-controller-manager in ${elapsed(started)} ms so that its garbage collector watches the new CRD`);
  }

  async applyManifests(fileOrObjects: string | object[]): Promise<void> {
    const objects =
      typeof fileOrObjects === "string"
        ? objectsFromYaml(await readFile(fileOrObjects, "utf8"), fileOrObjects)
        : (structuredClone(fileOrObjects) as KubernetesObject[]);
    const declared = new Set(objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata?.name));
    const wanted = new Set(objects.map((o) => o.metadata?.namespace).filter((ns): ns is string => ns !== undefined && !declared.has(ns)));
    const core = this.kubeConfig.makeApiClient(CoreV1Api);
    for (const name of wanted) {
      await core.createNamespace({ body: { metadata: { name } } }).catch((error: { code?: number }) => {
        if (error.code !== 409) throw error;
      });
    }
    // Not client-node's KubernetesObjectApi: its typed models drop keys they name differently
    // (a CRD schema's `default` is `_default` there), which silently lost CRD defaults.
    if (objects.length > 0) await kubectlApply(this.#binaries.kubectl, this.kubeconfigPath, objects, FIELD_MANAGER);
    const crds = objects.filter((o) => o.apiVersion === "apiextensions.k8s.io/v1" && o.kind === "CustomResourceDefinition");
    if (crds.length > 0) await this.#crdsApplied(crds);
  }

  async serviceAccountKubeConfig(opts: { namespace: string; name: string }): Promise<{ kubeConfig: KubeConfig; kubeconfigPath: string }> {
    const core = this.kubeConfig.makeApiClient(CoreV1Api);
    const tokenRequest = await core.createNamespacedServiceAccountToken({
      name: opts.name,
      namespace: opts.namespace,
      body: { spec: { audiences: [], expirationSeconds: 24 * 3600 } },
    });
    const token = tokenRequest.status?.token;
    if (token === undefined || token === "") throw new Error(`TokenRequest for ${opts.namespace}/${opts.name} returned no token`);
    const kubeconfigPath = join(this.#tempDir, `sa-${opts.namespace}-${opts.name}.kubeconfig`);
    const name = `system:serviceaccount:${opts.namespace}:${opts.name}`;
    await writeFile(
      kubeconfigPath,
      renderKubeconfig({ name, server: this.server, caPem: this.#requireCerts().caPem, credentials: { token }, namespace: opts.namespace }),
      {
        mode: 0o600,
      },
    );
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    return { kubeConfig, kubeconfigPath };
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stopEverything();
    return this.#stopping;
  }

  components(): ComponentStatus[] {
    // Components replaced by a retry (port race) are history, not part of this control plane.
    const current = new Map(this.#components.map((c) => [c.name, c]));
    return [...current.values()].map((c) => ({
      name: c.name,
      logFile: c.logFile,
      ...(c.pid !== undefined ? { pid: c.pid } : {}),
      ...(c.exitStatus !== undefined ? { exitStatus: c.exitStatus } : {}),
    }));
  }

  async #stopEverything(): Promise<void> {
    const started = performance.now();
    try {
      // etcd last: kube-apiserver waits for etcd while it shuts down, and would then need the SIGKILL.
      await this.#stopComponents(this.#components.filter((c) => c.name !== "etcd"));
      await this.#stopComponents(this.#components.filter((c) => c.name === "etcd"));
      const busy = await waitPortsFree(this.#ports, 10_000);
      if (busy.length > 0) throw new Error(`control plane stopped but ports ${busy.join(", ")} are still listening`);
    } finally {
      rmSync(this.#tempDir, { recursive: true, force: true });
      if (this.#components.every((c) => c.pid === undefined)) this.#record.remove();
      untrackTeardown(this);
    }
    this.#log(`envtest: stopped in ${elapsed(started)} ms`);
  }

  killNow(): void {
    for (const c of this.#components) c.signal("SIGKILL");
    const pids = this.#components.map((c) => c.pid).filter((p): p is number => p !== undefined);
    // SIGKILL lands at once but the kernel needs a moment; the record must outlive any survivor for the reaper.
    const deadline = Date.now() + 2_000;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    // A killed multi-threaded process shows as a zombie before its last thread has closed its sockets: wait for those too.
    const settled = (): boolean => !pids.some(isProcessAlive) && (listeningPortsSync(this.#ports) ?? []).length === 0;
    while (!settled() && Date.now() < deadline) Atomics.wait(pause, 0, 0, 10);
    rmSync(this.#tempDir, { recursive: true, force: true });
    if (!pids.some(isProcessAlive)) this.#record.remove();
  }

  /** Copies the components' logs out of the temp dir (which `stop()` removes) so a failed start can be diagnosed. */
  keepLogs(): string | undefined {
    try {
      const logsRoot = join(mysqlopCacheDir(), "logs");
      const dest = join(logsRoot, `envtest-failed-${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}`);
      mkdirSync(dest, { recursive: true });
      for (const file of readdirSync(this.logDir)) copyFileSync(join(this.logDir, file), join(dest, file));
      // Keep the latest few: a machine that keeps failing must not fill its disk with copies.
      const kept = readdirSync(logsRoot)
        .filter((d) => d.startsWith("envtest-failed-"))
        .sort();
      for (const old of kept.slice(0, -KEPT_FAILURE_LOGS)) rmSync(join(logsRoot, old), { recursive: true, force: true });
      return dest;
    } catch {
      return undefined;
    }
  }
}

/**
 * Starts a real control plane: etcd and kube-apiserver (RBAC on, service-account tokens, an admin client
 * certificate) on free loopback ports, and with `workloads` kube-controller-manager, kube-scheduler and kwok with
 * one fake Node. Reaps what earlier, killed runs left behind first. Teardown is hooked to process exit and
 * SIGINT/SIGTERM/SIGHUP, so it happens even when a caller never reaches `stop()`.
 * On failure everything started is stopped and the error carries the failing component's last log lines.
 */
export async function startControlPlane(opts: StartControlPlaneOptions = {}): Promise<ControlPlane> {
  const startedAt = performance.now();
  const log = opts.log ?? (() => {});
  const binaries = findBinaries();
  if (opts.workloads === true) requireWorkloadBinaries(binaries);
  await reapLeftovers(log);
  const controlPlane = new LocalControlPlane(binaries, log, opts.readyTimeoutMs ?? 60_000);
  try {
    await controlPlane.boot(opts.workloads === true, opts.crds ?? [], startedAt);
  } catch (error) {
    const kept = controlPlane.keepLogs();
    await controlPlane.stop().catch(() => {});
    if (error instanceof Error && kept !== undefined) error.message += `\n(all component logs kept in ${kept})`;
    throw error;
  }
  return controlPlane;
}
