/**
 * Kubernetes Events (core/v1) on an object. The same (object, type, reason, message) seen
 * again bumps `count` and `lastTimestamp` on the existing Event instead of creating a new
 * one, and repeats that arrive while a write is in flight are folded into the next write.
 */
import { randomBytes } from "node:crypto";
import type { KubernetesObject } from "@kubernetes/client-node";
import { isNotFound, PatchType, type KubeRest } from "./kube-rest.ts";
import { describeError } from "./logger.ts";
import type { EventRecorder, Logger } from "./types.ts";

interface Series {
  name: string;
  namespace: string;
  count: number;
  written: number;
  firstTimestamp: string;
  lastTimestamp: string;
  inFlight: boolean;
  lastUsed: number;
}

/** Options of {@link KubeEventRecorder}. */
export interface EventRecorderOptions {
  readonly rest: KubeRest;
  /** `source.component` / `reportingComponent`, e.g. the operator's name. */
  readonly component: string;
  /** `reportingInstance`, e.g. the pod name. */
  readonly instance?: string;
  readonly log: Logger;
  /** Series remembered for aggregation; the oldest is forgotten beyond this. Default 4096. */
  readonly maxSeries?: number;
  /** False once leadership is lost: Events are then dropped, also those already waiting to be sent. */
  readonly mayWrite?: () => boolean;
}

const maxMessageLength = 1024;

/** An {@link EventRecorder} that writes core/v1 Events and aggregates repeats. */
export class KubeEventRecorder implements EventRecorder {
  readonly #options: EventRecorderOptions;
  readonly #series = new Map<string, Series>();
  readonly #pending = new Set<Promise<void>>();

  constructor(options: EventRecorderOptions) {
    this.#options = options;
  }

  /** Records a Normal event. */
  normal(object: KubernetesObject, reason: string, message: string): void {
    this.#record(object, "Normal", reason, message);
  }

  /** Records a Warning event. */
  warning(object: KubernetesObject, reason: string, message: string): void {
    this.#record(object, "Warning", reason, message);
  }

  /** Resolves when every write started so far has finished. */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  #record(object: KubernetesObject, type: "Normal" | "Warning", reason: string, rawMessage: string): void {
    const meta = object.metadata;
    if (meta?.name === undefined) return;
    const message = rawMessage.length > maxMessageLength ? rawMessage.slice(0, maxMessageLength - 3) + "..." : rawMessage;
    const key = [meta.uid ?? `${object.kind}/${meta.namespace ?? ""}/${meta.name}`, type, reason, message].join("\u0000");
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    let series = this.#series.get(key);
    if (series === undefined) {
      series = {
        name: `${meta.name}.${randomBytes(8).toString("hex")}`,
        namespace: meta.namespace ?? "default",
        count: 0,
        written: 0,
        firstTimestamp: now,
        lastTimestamp: now,
        inFlight: false,
        lastUsed: 0,
      };
      this.#series.set(key, series);
      this.#evict();
    }
    series.count++;
    // The log says what kubectl describe shows, once per series rather than per repeat.
    if (series.count === 1) {
      const fields = { object: `${object.kind ?? "object"} ${meta.namespace === undefined ? "" : `${meta.namespace}/`}${meta.name}` };
      if (type === "Warning") this.#options.log.warn(`event ${reason}: ${message}`, fields);
      else this.#options.log.info(`event ${reason}: ${message}`, fields);
    }
    series.lastTimestamp = now;
    series.lastUsed = performance.now();
    if (series.inFlight) return;
    const write = this.#write(object, type, reason, message, series).finally(() => this.#pending.delete(write));
    this.#pending.add(write);
  }

  async #write(object: KubernetesObject, type: string, reason: string, message: string, series: Series): Promise<void> {
    series.inFlight = true;
    try {
      while (series.written < series.count) {
        const count = series.count;
        const path = `/api/v1/namespaces/${encodeURIComponent(series.namespace)}/events`;
        let created = false;
        if (series.written > 0) {
          try {
            await this.#options.rest.request("PATCH", `${path}/${series.name}`, {
              body: { count, lastTimestamp: series.lastTimestamp },
              contentType: PatchType.merge,
              beforeSend: this.#beforeSend,
            });
          } catch (error) {
            if (!isNotFound(error)) throw error;
            // The Event expired (events have a TTL); start a new one.
            series.name = `${object.metadata?.name ?? "event"}.${randomBytes(8).toString("hex")}`;
            created = true;
          }
        } else created = true;
        if (created)
          await this.#options.rest.request("POST", path, { body: this.#event(object, type, reason, message, series, count), beforeSend: this.#beforeSend });
        series.written = count;
      }
    } catch (error) {
      // Events are best effort: a lost Event must never fail a reconcile.
      this.#options.log.warn("could not record event", { reason, error: describeError(error) });
      series.written = series.count;
    } finally {
      series.inFlight = false;
    }
  }

  readonly #beforeSend = (): void => {
    if (this.#options.mayWrite !== undefined && !this.#options.mayWrite()) throw new Error("not the leader any more: Event dropped");
  };

  #event(object: KubernetesObject, type: string, reason: string, message: string, series: Series, count: number): Record<string, unknown> {
    const meta = object.metadata ?? {};
    return {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: series.name, namespace: series.namespace },
      involvedObject: {
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
      type,
      reason,
      message,
      count,
      firstTimestamp: series.firstTimestamp,
      lastTimestamp: series.lastTimestamp,
      source: { component: this.#options.component },
      reportingComponent: this.#options.component,
      reportingInstance: this.#options.instance ?? this.#options.component,
    };
  }

  #evict(): void {
    const max = this.#options.maxSeries ?? 4096;
    if (this.#series.size <= max) return;
    let oldestKey: string | undefined;
    let oldest = Infinity;
    for (const [key, series] of this.#series) {
      if (!series.inFlight && series.lastUsed < oldest) {
        oldest = series.lastUsed;
        oldestKey = key;
      }
    }
    if (oldestKey !== undefined) this.#series.delete(oldestKey);
  }
}
