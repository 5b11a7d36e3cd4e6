/**
 * Container probes as the kubelet runs them: `tcpSocket` (connect to the pod IP), `httpGet` (2xx/3xx), `exec`
 * (exit 0, run inside the container as its user), with `initialDelaySeconds`, `periodSeconds`,
 * `timeoutSeconds`, `successThreshold` and `failureThreshold` and the kubelet's defaults. gRPC probes fail with a
 * message saying they are not supported.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import type { V1Container, V1Probe } from "@kubernetes/client-node";

/** What a probe needs from its container. */
export interface ProbeTarget {
  podIP: string;
  container: V1Container;
  exec(command: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }>;
}

/** One probe's answer. */
export interface ProbeResult {
  ok: boolean;
  message: string;
}

/** A port given by number or by the container's port name. */
export function resolvePort(port: number | string | undefined, container: V1Container): number | undefined {
  if (typeof port === "number") return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (result: ProbeResult): void => {
      socket.destroy();
      resolve(result);
    };
    socket.once("connect", () => done({ ok: true, message: "" }));
    socket.once("timeout", () => done({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` }));
    socket.once("error", (error: NodeJS.ErrnoException) => done({ ok: false, message: `dial tcp ${host}:${port}: ${error.code ?? error.message}` }));
  });
}

function httpProbe(url: string, headers: Record<string, string>, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const request = url.startsWith("https:") ? httpsRequest : httpRequest;
    const req = request(url, { timeout: timeoutMs, headers, rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400 ? { ok: true, message: "" } : { ok: false, message: `HTTP probe failed with statuscode: ${status}` });
    });
    req.once("timeout", () => req.destroy(new Error("timeout")));
    req.once("error", (error) => resolve({ ok: false, message: `Get "${url}": ${error.message}` }));
    req.end();
  });
}

/** Runs a probe once. */
export async function runProbe(probe: V1Probe, target: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.tcpSocket !== undefined) {
    const port = resolvePort(probe.tcpSocket.port as number | string, target.container);
    if (port === undefined) return { ok: false, message: `tcpSocket port ${String(probe.tcpSocket.port)} is not a port of the container` };
    return tcpProbe(probe.tcpSocket.host ?? target.podIP, port, timeoutMs);
  }
  if (probe.httpGet !== undefined) {
    const get = probe.httpGet;
    const port = resolvePort(get.port as number | string, target.container);
    if (port === undefined) return { ok: false, message: `httpGet port ${String(get.port)} is not a port of the container` };
    const scheme = (get.scheme ?? "HTTP").toLowerCase();
    const path = get.path ?? "/";
    const headers = Object.fromEntries((get.httpHeaders ?? []).map((h) => [h.name, h.value]));
    return httpProbe(`${scheme}://${get.host ?? target.podIP}:${port}${path.startsWith("/") ? path : `/${path}`}`, headers, timeoutMs);
  }
  if (probe.exec !== undefined) {
    const result = await target.exec(probe.exec.command ?? [], timeoutMs);
    if (result.exitCode === -1) return { ok: false, message: `command timed out after ${timeoutMs / 1000}s` };
    return result.exitCode === 0 ? { ok: true, message: "" } : { ok: false, message: `command exited ${result.exitCode}: ${result.output.trim()}` };
  }
  return { ok: false, message: "only tcpSocket, httpGet and exec probes are supported by the process node" };
}

/** Timing of a probe with the kubelet's defaults filled in, in ms. */
export interface ProbeTiming {
  initialDelayMs: number;
  periodMs: number;
  successThreshold: number;
  failureThreshold: number;
}

/** The probe's timing, with the kubelet's defaults (period 10 s, thresholds 1 and 3). */
export function probeTiming(probe: V1Probe): ProbeTiming {
  return {
    initialDelayMs: (probe.initialDelaySeconds ?? 0) * 1000,
    periodMs: (probe.periodSeconds ?? 10) * 1000,
    successThreshold: probe.successThreshold ?? 1,
    failureThreshold: probe.failureThreshold ?? 3,
  };
}

/**
 * Counts consecutive results against the thresholds: the verdict flips to healthy after `successThreshold`
 * successes in a row and to unhealthy after `failureThreshold` failures in a row.
 */
export class ProbeVerdict {
  readonly #timing: ProbeTiming;
  #healthy: boolean;
  #successes = 0;
  #failures = 0;

  constructor(timing: ProbeTiming, initiallyHealthy: boolean) {
    this.#timing = timing;
    this.#healthy = initiallyHealthy;
  }

  get healthy(): boolean {
    return this.#healthy;
  }

  /** Records one result; returns true when the verdict changed. */
  record(ok: boolean): boolean {
    if (ok) {
      this.#failures = 0;
      this.#successes++;
      if (!this.#healthy && this.#successes >= this.#timing.successThreshold) {
        this.#healthy = true;
        return true;
      }
    } else {
      this.#successes = 0;
      this.#failures++;
      if (this.#healthy && this.#failures >= this.#timing.failureThreshold) {
        this.#healthy = false;
        return true;
      }
    }
    return false;
  }
}
