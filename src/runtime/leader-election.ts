/**
 * Leader election on a `coordination.k8s.io/v1` Lease, after client-go's leaderelection:
 * the lease is replaced only with a resourceVersion guard (a lost race is a 409), a leader
 * renews with a single write of the lease it last wrote (reading it only after a 409), expiry is
 * judged by when *this* process last saw the record change (immune to clock skew between
 * machines), the leader steps down when it could not renew for `renewDeadlineMs` (before
 * anyone else may take the lease), and a graceful stop releases the lease at once.
 *
 * The renew deadline counts from when the last successful attempt *started*: the server
 * committed that write later, and another process saw it later still, so it cannot take the
 * lease before start + leaseDuration. A timer enforces the deadline; a renew request that
 * hangs cannot stretch it.
 */
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { V1MicroTime } from "@kubernetes/client-node";
import { wakeableSleep, type WakeableSleep } from "./backoff.ts";
import { isConflict, isNotFound, type KubeRest } from "./kube-rest.ts";
import { describeError } from "./logger.ts";
import type { Logger } from "./types.ts";

/** The spec of a Lease as leader election uses it. */
export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

/** A Lease object. */
export interface Lease {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/** What to do with the lease as observed: create it, take it over, renew ours, or wait. */
export type LeaseAction = "create" | "acquire" | "renew" | "wait";

/**
 * Pure decision. `observedAtMs` is when this process first saw the current record (holder +
 * renewTime), on its own monotonic clock; the lease is expired when that is older than the
 * record's lease duration.
 */
export function decideLeaseAction(
  spec: LeaseSpec | undefined,
  identity: string,
  observedAtMs: number,
  nowMs: number,
  defaultLeaseDurationMs: number,
): LeaseAction {
  if (spec === undefined) return "create";
  const holder = spec.holderIdentity ?? "";
  if (holder === identity) return "renew";
  if (holder === "") return "acquire";
  const durationMs = spec.leaseDurationSeconds !== undefined ? spec.leaseDurationSeconds * 1000 : defaultLeaseDurationMs;
  return nowMs - observedAtMs > durationMs ? "acquire" : "wait";
}

/** Pure: whether a leader that last renewed at `lastRenewMs` must step down now. */
export function mustStepDown(lastRenewMs: number, nowMs: number, renewDeadlineMs: number): boolean {
  return nowMs - lastRenewMs >= renewDeadlineMs;
}

/** Timings; the defaults are controller-runtime's (15 s / 10 s / 2 s). */
export interface LeaderElectionTimings {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

/** controller-runtime's defaults. */
export const defaultLeaderElectionTimings: LeaderElectionTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** Options of {@link LeaderElector}. */
export interface LeaderElectorOptions extends Partial<LeaderElectionTimings> {
  /** A client WITHOUT the write rate limiter: renewals must never queue behind reconcile writes. */
  readonly rest: KubeRest;
  readonly namespace: string;
  readonly name: string;
  /** Unique per process; defaults to `hostname_uuid`. */
  readonly identity?: string;
  readonly log: Logger;
  readonly onStatus?: (leading: boolean) => void;
}

/** A default identity: the host (the pod name in a cluster) plus a random suffix. */
export function defaultIdentity(): string {
  return `${hostname()}_${randomUUID()}`;
}

function microTime(ms: number): string {
  return new V1MicroTime(ms).toISOString();
}

/** Campaigns for a lease, keeps it renewed, and reports when leadership is lost. */
export class LeaderElector {
  readonly identity: string;
  readonly #options: LeaderElectorOptions;
  readonly #timings: LeaderElectionTimings;
  #observedKey = "";
  #observedAt = 0;
  #observed: Lease | undefined;
  #leading = false;
  #stopped = false;
  /** The campaign's or renewal's sleep, while it sleeps: stop() and a step-down wake it. */
  #sleeping: WakeableSleep | undefined;
  /** Monotonic start time of the last successful acquire/renew attempt. */
  #renewedAt = 0;
  #stepDownTimer: NodeJS.Timeout | undefined;
  #onStepDown: (() => void) | undefined;
  #attempt: Promise<boolean> | undefined;

  constructor(options: LeaderElectorOptions) {
    this.#options = options;
    this.identity = options.identity ?? defaultIdentity();
    this.#timings = {
      leaseDurationMs: options.leaseDurationMs ?? defaultLeaderElectionTimings.leaseDurationMs,
      renewDeadlineMs: options.renewDeadlineMs ?? defaultLeaderElectionTimings.renewDeadlineMs,
      retryPeriodMs: options.retryPeriodMs ?? defaultLeaderElectionTimings.retryPeriodMs,
    };
    if (!(this.#timings.leaseDurationMs > this.#timings.renewDeadlineMs && this.#timings.renewDeadlineMs > this.#timings.retryPeriodMs)) {
      throw new RangeError("leader election needs leaseDuration > renewDeadline > retryPeriod");
    }
  }

  /** True while this process holds the lease and its last renewal is within the renew deadline. */
  get leading(): boolean {
    return this.#leading && !mustStepDown(this.#renewedAt, performance.now(), this.#timings.renewDeadlineMs);
  }

  /** Resolves once this process holds the lease (or rejects-free with false when stopped first). */
  async acquire(): Promise<boolean> {
    while (!this.#stopped) {
      if (await this.#attemptAndTrack(true)) {
        if (this.#stopped) {
          // Stopped while the winning write was in flight: hand the lease back rather than leave a standby waiting for it to expire.
          await this.#release();
          return false;
        }
        this.#setLeading(true);
        this.#options.log.info("became leader", { lease: `${this.#options.namespace}/${this.#options.name}`, identity: this.identity });
        return true;
      }
      await this.#sleep(this.#nextAttemptInMs());
    }
    return false;
  }

  /**
   * Renews every retry period; resolves when leadership is lost (no successful renewal within
   * `renewDeadlineMs`, or someone else holds the lease) or the elector is stopped. `leading`
   * turns false before it resolves, and on time even while a renew request hangs.
   */
  async holdLeadership(): Promise<"lost" | "stopped"> {
    const lost = new Promise<void>((resolve) => (this.#onStepDown = resolve));
    while (!this.#stopped && this.#leading) {
      await this.#sleep(this.#timings.retryPeriodMs);
      if (this.#stopped || !this.#leading) break;
      const renewed = await Promise.race([this.#attemptAndTrack(false), lost.then(() => false)]);
      if (!renewed && this.#leading && !this.#stopped && this.#observedHolder() !== this.identity) {
        this.#stepDown("leadership lost: another process holds the lease; stopping work");
      }
    }
    this.#onStepDown = undefined;
    return this.#stopped ? "stopped" : "lost";
  }

  /** Stops campaigning/renewing; with `release`, hands the lease back so a standby takes over at once. */
  async stop(release: boolean): Promise<void> {
    this.#stopped = true;
    this.#sleeping?.wake();
    clearTimeout(this.#stepDownTimer);
    const mayRelease = release && this.leading;
    this.#setLeading(false);
    if (mayRelease) {
      // A renewal still in flight would make the release's resourceVersion stale (409): let it land first.
      await this.#attempt?.catch(() => undefined);
      await this.#release();
    }
  }

  /**
   * One attempt; a success moves the leadership deadline to the attempt's start + renewDeadline.
   * A renewal that succeeds after this process stepped down does not make it lead again.
   */
  async #attemptAndTrack(acquiring: boolean): Promise<boolean> {
    const startedAt = performance.now();
    const attempt = this.#tryAcquireOrRenew();
    this.#attempt = attempt;
    const ok = await attempt;
    if (ok && !this.#stopped && (acquiring || this.#leading)) this.#renewed(startedAt);
    return ok;
  }

  #renewed(startedAt: number): void {
    // Never move the deadline backwards: a slow older attempt may finish after a newer one.
    if (startedAt <= this.#renewedAt) return;
    this.#renewedAt = startedAt;
    clearTimeout(this.#stepDownTimer);
    const deadlineIn = startedAt + this.#timings.renewDeadlineMs - performance.now();
    this.#stepDownTimer = setTimeout(() => this.#stepDown("leadership lost: could not renew the lease in time; stopping work"), Math.max(0, deadlineIn));
    this.#stepDownTimer.unref();
  }

  #stepDown(message: string): void {
    clearTimeout(this.#stepDownTimer);
    if (!this.#leading || this.#stopped) return;
    this.#setLeading(false);
    this.#options.log.error(message, { lease: `${this.#options.namespace}/${this.#options.name}` });
    this.#sleeping?.wake();
    this.#onStepDown?.();
  }

  /** A retry period (jittered), but no later than just after the observed lease would expire. */
  #nextAttemptInMs(): number {
    const retry = this.#timings.retryPeriodMs * (1 + 0.2 * Math.random());
    const spec = this.#observed?.spec;
    if (spec?.holderIdentity === undefined || spec.holderIdentity === null || spec.holderIdentity === "") return retry;
    const durationMs = spec.leaseDurationSeconds !== undefined ? spec.leaseDurationSeconds * 1000 : this.#timings.leaseDurationMs;
    const expiresIn = this.#observedAt + durationMs - performance.now();
    return Math.max(10, Math.min(retry, expiresIn + 20));
  }

  #observedHolder(): string {
    return this.#observed?.spec?.holderIdentity ?? "";
  }

  #setLeading(leading: boolean): void {
    if (this.#leading === leading) return;
    this.#leading = leading;
    this.#options.onStatus?.(leading);
  }

  get #path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.#options.namespace)}/leases`;
  }

  get #timeoutMs(): number {
    return Math.max(1000, Math.floor(this.#timings.renewDeadlineMs / 2));
  }

  #observe(lease: Lease | undefined): void {
    const spec = lease?.spec;
    const key = JSON.stringify([spec?.holderIdentity ?? "", spec?.renewTime ?? "", spec?.leaseTransitions ?? 0]);
    if (key !== this.#observedKey) {
      this.#observedKey = key;
      this.#observedAt = performance.now();
    }
    this.#observed = lease;
  }

  /** The spec this process writes for `action` on `lease` at wall-clock `nowMs`. */
  #specFor(lease: Lease | undefined, action: "create" | "acquire" | "renew", nowMs: number): LeaseSpec {
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.#timings.leaseDurationMs / 1000),
      acquireTime: action === "renew" ? (lease?.spec?.acquireTime ?? microTime(nowMs)) : microTime(nowMs),
      renewTime: microTime(nowMs),
      leaseTransitions: (lease?.spec?.leaseTransitions ?? 0) + (action === "acquire" ? 1 : 0),
    };
  }

  /** Replaces `lease` with `spec`; its resourceVersion makes this a compare-and-swap: whoever wrote first wins, the other gets 409. */
  #replace(lease: Lease, spec: LeaseSpec): Promise<Lease> {
    return this.#options.rest.request<Lease>("PUT", `${this.#path}/${encodeURIComponent(this.#options.name)}`, {
      body: { ...lease, spec },
      timeoutMs: this.#timeoutMs,
    });
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const rest = this.#options.rest;
    try {
      const last = this.#observed;
      if (this.#leading && last?.metadata.resourceVersion !== undefined && last.spec?.holderIdentity === this.identity) {
        // A leader renews with one request: the lease it last wrote, unchanged since unless someone else wrote it
        // (then 409, and the lease is read and judged below). Half the requests of a read-then-write per retry period.
        try {
          this.#observe(await this.#replace(last, this.#specFor(last, "renew", Date.now())));
          return true;
        } catch (error) {
          if (!isConflict(error)) throw error;
        }
      }
      const now = Date.now();
      let lease: Lease | undefined;
      try {
        lease = await rest.get<Lease>(`${this.#path}/${encodeURIComponent(this.#options.name)}`, { timeoutMs: this.#timeoutMs });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      this.#observe(lease);
      const action = decideLeaseAction(lease?.spec, this.identity, this.#observedAt, performance.now(), this.#timings.leaseDurationMs);
      if (action === "wait") return false;
      const spec = this.#specFor(lease, action, now);
      const written =
        action === "create" || lease === undefined
          ? await rest.request<Lease>("POST", this.#path, {
              body: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: this.#options.name, namespace: this.#options.namespace }, spec },
              timeoutMs: this.#timeoutMs,
            })
          : await this.#replace(lease, spec);
      this.#observe(written);
      return true;
    } catch (error) {
      if (!isConflict(error)) this.#options.log.warn("lease request failed", { error: describeError(error) });
      return false;
    }
  }

  async #release(): Promise<void> {
    const lease = this.#observed;
    if (lease === undefined || lease.spec?.holderIdentity !== this.identity) return;
    const now = microTime(Date.now());
    try {
      await this.#replace(lease, { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: now, acquireTime: now });
      this.#options.log.info("released the lease", { lease: `${this.#options.namespace}/${this.#options.name}` });
    } catch (error) {
      this.#options.log.warn("could not release the lease; a standby takes over when it expires", { error: describeError(error) });
    }
  }

  #sleep(ms: number): Promise<void> {
    const sleep = wakeableSleep(ms, () => {
      if (this.#sleeping === sleep) this.#sleeping = undefined;
    });
    this.#sleeping = sleep;
    return sleep.done;
  }
}
