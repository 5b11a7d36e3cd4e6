/**
 * The controller work queue (client-go's rate-limited, delaying work queue): keys are
 * de-duplicated, a key is handed to one worker at a time, failures back off per key.
 */
import { backoffDelay, defaultBackoff, type BackoffOptions } from "./backoff.ts";

/** What the queue reports to metrics; every callback is optional. */
export interface WorkQueueObserver {
  /** A key entered the queue (or was already waiting: then `deduplicated`). */
  added?(key: string, deduplicated: boolean): void;
  /** The number of keys waiting (not counting keys being processed). */
  depth?(depth: number): void;
  /** A worker took a key that waited `waitedMs` since it was added. */
  taken?(key: string, waitedMs: number): void;
  /** A key was scheduled again after a failure. */
  retried?(key: string, delayMs: number): void;
}

/** Options of a {@link WorkQueue}. */
export interface WorkQueueOptions {
  readonly backoff?: BackoffOptions;
  readonly observer?: WorkQueueObserver;
  /** Injectable for tests. */
  readonly random?: () => number;
}

/**
 * A queue of keys. A key added while it waits is queued once; a key added while a worker
 * holds it is queued again only after {@link done}, so no key is ever processed twice at once.
 */
export class WorkQueue {
  readonly #queue: string[] = [];
  /** Keys that need processing (waiting in #queue, or re-added while processing). */
  readonly #dirty = new Map<string, number>();
  readonly #processing = new Set<string>();
  readonly #timers = new Map<string, { due: number; timer: NodeJS.Timeout }>();
  readonly #failures = new Map<string, number>();
  readonly #waiters: ((key: string | undefined) => void)[] = [];
  readonly #backoff: BackoffOptions;
  readonly #observer: WorkQueueObserver;
  readonly #random: () => number;
  #shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.#backoff = options.backoff ?? defaultBackoff;
    this.#observer = options.observer ?? {};
    this.#random = options.random ?? Math.random;
  }

  /** Keys waiting for a worker. */
  get length(): number {
    return this.#queue.length;
  }

  /** Keys a worker holds right now. */
  get processing(): number {
    return this.#processing.size;
  }

  /** True after {@link shutDown}. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Queues `key` now; a no-op when it is already waiting. */
  add(key: string): void {
    if (this.#shuttingDown) return;
    if (this.#dirty.has(key)) {
      this.#observer.added?.(key, true);
      return;
    }
    this.#observer.added?.(key, false);
    this.#dirty.set(key, performance.now());
    if (this.#processing.has(key)) return;
    this.#makeReady(key);
  }

  /** Queues `key` after `delayMs`; an earlier pending schedule of the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const due = performance.now() + delayMs;
    const pending = this.#timers.get(key);
    if (pending !== undefined) {
      if (pending.due <= due) return;
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, delayMs);
    this.#timers.set(key, { due, timer });
  }

  /** Queues `key` after its next back-off delay (the failure count grows until {@link forget}). */
  addRateLimited(key: string): number {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    const delay = backoffDelay(failures, this.#backoff, this.#random);
    this.#observer.retried?.(key, delay);
    this.addAfter(key, delay);
    return delay;
  }

  /** Resets the back-off of `key` (after a success). */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** Failures of `key` since it last succeeded. */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** True when `key` waits now or on a timer. */
  has(key: string): boolean {
    return this.#dirty.has(key) || this.#timers.has(key);
  }

  /** Resolves with the next key, or `undefined` once the queue is shut down. The caller must call {@link done}. */
  get(): Promise<string | undefined> {
    const key = this.#queue.shift();
    if (key !== undefined) {
      this.#take(key);
      this.#observer.depth?.(this.#queue.length);
      return Promise.resolve(key);
    }
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Releases `key`; if it was added while being processed, it is queued again. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#makeReady(key);
  }

  /** Hands `key` to a waiting worker, or queues it when every worker is busy. */
  #makeReady(key: string): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      this.#take(key);
      waiter(key);
      return;
    }
    this.#queue.push(key);
    this.#observer.depth?.(this.#queue.length);
  }

  /** Stops handing out keys: waiting workers get `undefined`, timers are dropped, new adds are ignored. */
  shutDown(): void {
    this.#shuttingDown = true;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#queue.length = 0;
    this.#observer.depth?.(0);
    for (const waiter of this.#waiters.splice(0)) waiter(undefined);
  }

  #take(key: string): void {
    const addedAt = this.#dirty.get(key);
    this.#dirty.delete(key);
    this.#processing.add(key);
    if (addedAt !== undefined) this.#observer.taken?.(key, performance.now() - addedAt);
  }
}
