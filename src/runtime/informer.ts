/**
 * List+watch of one kind into a local cache, restarted by the informer itself.
 *
 * client-node's `ListWatch` stops for good on most errors and has known silent stops, so
 * this loop owns the restarts: list (paginated) when it has no resourceVersion, then watch
 * from it; a watch that ends normally or times out reconnects at once; an error backs off
 * exponentially with jitter; 410 Gone relists; a watchdog restarts a loop that has made no
 * progress for `stallMs`, whatever the cause.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { backoffDelay, wakeableSleep, type BackoffOptions, type WakeableSleep } from "./backoff.ts";
import { KubeApiError, resourcePath, WatchTimeoutError, type KindInfo, type KubeRest } from "./kube-rest.ts";
import { describeError, type JsonLogger } from "./logger.ts";
import type { RuntimeMetrics } from "./metrics.ts";
import { shareSubtrees } from "./shared-subtrees.ts";
import { remembered } from "./bounded-memo.ts";

/** What happened to a cached object; `resync` re-delivers every object periodically. */
export type InformerEventType = "add" | "update" | "delete" | "resync";

/** One change seen by an informer. */
export interface InformerEvent {
  readonly type: InformerEventType;
  readonly object: KubernetesObject;
  /** The cached object before an update. */
  readonly previous?: KubernetesObject;
}

/** Options of an {@link Informer}. */
export interface InformerOptions {
  readonly rest: KubeRest;
  readonly kind: KindInfo;
  /** Watch one namespace only; all namespaces by default. */
  readonly namespace?: string;
  /** Cache only the objects with these labels (e.g. what this operator made). */
  readonly labelSelector?: string;
  /** Cache only the objects these fields select (e.g. `metadata.name=x`: one object). */
  readonly fieldSelector?: string;
  readonly log: JsonLogger;
  readonly metrics?: RuntimeMetrics;
  /** Re-deliver every cached object this often (jittered up to +10 %); 0 disables. Default 10 min. */
  readonly resyncMs?: number;
  /** Back-off between failed attempts. Default 1 s → 30 s, 30 % jitter. */
  readonly backoff?: BackoffOptions;
  /** Restart a loop that made no progress for this long (a list or a reconnect that hangs, say). Default 90 s. */
  readonly stallMs?: number;
  /** Server-side watch timeout; each watch asks for a random value between this and twice it. Default 300 s. */
  readonly watchTimeoutSeconds?: number;
  /** A watch silent for this long (no event, no bookmark) is dropped and resumed from its resourceVersion. Default {@link WATCH_IDLE_MS}. */
  readonly watchIdleMs?: number;
  /**
   * List page size. Default 25 (client-go's reflector asks for 500): a page's text and its parsed objects are held at
   * once, by every informer listing at the time, and 500 ConfigMaps that carry 28 KB of scripts each are a 15 MB answer.
   * An operator restarted beside 1 000 Ready resources lists its nine kinds at once (9 000 objects): pages of 100 peaked
   * at 117–128 MB RSS, pages of 25 at 97–114 MB, for 0.3 s more until the caches are synced (2.4 → 2.7 s) and a request
   * per 25 objects.
   */
  readonly pageSize?: number;
}

/**
 * How long a watch may stay silent before it is dropped and resumed: longer than the API server's bookmark period (about
 * a minute: bookmarks came at 61, 121 and 182 s on kube-apiserver v1.36). A filtered watch of a kind that others change
 * often hears nothing but bookmarks; dropped sooner (client-node's 30 s), its resourceVersion never moves, expires in the
 * API server's watch cache, and each expiry is a relist and a re-queue of every resource.
 */
export const WATCH_IDLE_MS = 90_000;

/** See {@link InformerOptions.pageSize}. */
const DEFAULT_PAGE_SIZE = 25;

interface ListAnswer {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubernetesObject[];
}

/** A write observeWrite put into the cache ahead of the watch: its resourceVersion, and its number among the writes. */
interface AheadWrite {
  readonly version: bigint;
  readonly write: number;
}

/** Thrown inside the loop when the watch's resourceVersion expired (410 Gone). */
class ResourceVersionExpired extends Error {}

/** A list+watch cache of one kind with its own restart logic; see the file comment. */
export class Informer {
  readonly kind: KindInfo;
  readonly #options: InformerOptions;
  readonly #log: JsonLogger;
  readonly #store = new Map<string, Map<string, KubernetesObject>>();
  readonly #handlers: ((event: InformerEvent) => void)[] = [];
  readonly #relistHandlers: (() => void)[] = [];
  /** The object trimmed last: the parts a new object shares with it are taken with a comparison ({@link #trim}). */
  #lastTrimmed: KubernetesObject | undefined;
  #resourceVersion = "";
  #synced = false;
  #running = false;
  #generation = 0;
  #lastProgress = 0;
  #abort: AbortController | undefined;
  /** The loop's back-off sleep, while it sleeps: stop() and restartWatch() wake it. */
  #sleeping: WakeableSleep | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #resync: NodeJS.Timeout | undefined;
  #syncedWaiters: (() => void)[] = [];
  readonly #eventCounters = new Map<string, { inc(): void }>();
  /**
   * Objects whose cached version came from observeWrite, with that version and the write's number in {@link #writes}:
   * until the watch brings that version or a later one, the object is deleted, or a relist (which keeps only some:
   * see {@link #replaceStore}).
   */
  readonly #ahead = new Map<string, AheadWrite>();
  /** Writes taken by observeWrite so far (numbers them: a relist tells those taken since it began). */
  #writes = 0;
  /** Uids of objects recently deleted (oldest first). */
  readonly #deletedUids = new Set<string>();

  constructor(options: InformerOptions) {
    this.kind = options.kind;
    this.#options = options;
    this.#log = options.log.child({ informer: `${options.kind.kind}.${options.kind.apiVersion}` });
  }

  /** Registers a handler for every change; handlers must be quick (they enqueue keys). */
  onEvent(handler: (event: InformerEvent) => void): void {
    this.#handlers.push(handler);
  }

  /**
   * Registers a handler called after every relist but the first: what happened to objects
   * created and deleted while the watch was down is lost, so dependants should re-check.
   */
  onRelist(handler: () => void): void {
    this.#relistHandlers.push(handler);
  }

  /** The label selector of this cache: a miss then only says that no object with those labels has the name. */
  get labelSelector(): string | undefined {
    return this.#options.labelSelector;
  }

  /** True once the first list completed. */
  get synced(): boolean {
    return this.#synced;
  }

  /** The watchdog's view: running and made progress within twice the stall limit. */
  get healthy(): boolean {
    return this.#running && performance.now() - this.#lastProgress < this.#stallMs * 2;
  }

  /** The resourceVersion the next watch starts from ("" = list first). */
  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  /** The cached object, or undefined. */
  get(namespace: string | undefined, name: string): KubernetesObject | undefined {
    return this.#store.get(namespace ?? "")?.get(name);
  }

  /** Cached objects of one namespace, or of all. */
  list(namespace?: string): KubernetesObject[] {
    if (namespace !== undefined) return [...(this.#store.get(namespace)?.values() ?? [])];
    const all: KubernetesObject[] = [];
    for (const objects of this.#store.values()) all.push(...objects.values());
    return all;
  }

  /**
   * Read-your-writes: puts the answer of this process's own write into the cache when it is
   * newer than the cached object, so that a reconcile queued right behind the write (e.g. woken
   * by a child's event) does not act on the state before it (a second `onCreate` because the
   * status written a moment ago has not come back through the watch yet). Only when both
   * resourceVersions are integers (etcd revisions), as client-go's mutation cache requires;
   * the watch event of the same version is then a no-op. An object the cache does not hold is
   * added only when the write `created` it (else the write may have raced a delete the watch
   * already brought: a write never resurrects a deleted object), it is not among the objects
   * recently deleted, and this cache selects it; silently, as the reconcile that wrote it runs. What it keeps is a
   * copy: the writer hands the same answer to its caller.
   */
  observeWrite(object: KubernetesObject, created = false): void {
    const meta = object.metadata;
    if (meta?.name === undefined || object.apiVersion !== this.kind.apiVersion || object.kind !== this.kind.kind) return;
    const next = integerVersion(meta.resourceVersion);
    if (next === undefined) return;
    const key = `${meta.namespace ?? ""}/${meta.name}`;
    const cached = this.get(meta.namespace, meta.name);
    if (cached === undefined) {
      if (!created || !this.#synced || meta.uid === undefined || this.#deletedUids.has(meta.uid) || !this.#selects(object)) return;
      this.#store.set(meta.namespace ?? "", (this.#store.get(meta.namespace ?? "") ?? new Map()).set(meta.name, this.#trim(structuredClone(object))));
      this.#ahead.set(key, { version: next, write: ++this.#writes });
      return;
    }
    if (cached.metadata?.uid !== meta.uid) return;
    const current = integerVersion(cached.metadata?.resourceVersion);
    if (current === undefined || next <= current) return;
    this.#upsert(this.#trim(structuredClone(object), cached));
    this.#ahead.set(key, { version: next, write: ++this.#writes });
  }

  /** Whether this cache's namespace and selectors take `object` (equality label selectors only; anything else: no). */
  #selects(object: KubernetesObject): boolean {
    const options = this.#options;
    if (options.fieldSelector !== undefined) return false;
    if (options.namespace !== undefined && object.metadata?.namespace !== options.namespace) return false;
    if (options.labelSelector === undefined || options.labelSelector === "") return true;
    const labels = object.metadata?.labels ?? {};
    return options.labelSelector.split(",").every((term) => {
      const match = /^\s*([^=!\s]+)\s*==?\s*([^=!\s]*)\s*$/.exec(term);
      return match !== null && labels[match[1] ?? ""] === match[2];
    });
  }

  /** Remembers the uid of an object that went away (bounded), so that a late answer of a write cannot bring it back. */
  #tombstone(object: KubernetesObject): void {
    const uid = object.metadata?.uid;
    if (uid === undefined) return;
    this.#deletedUids.add(uid);
    if (this.#deletedUids.size > 4096) this.#deletedUids.delete(this.#deletedUids.values().next().value as string);
  }

  /** Number of cached objects. */
  get size(): number {
    let n = 0;
    for (const objects of this.#store.values()) n += objects.size;
    return n;
  }

  /** Starts the loop, the watchdog and the resync timer. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#lastProgress = performance.now();
    this.#launch();
    const check = Math.max(50, Math.floor(this.#stallMs / 3));
    this.#watchdog = setInterval(() => this.#checkStall(), check);
    const resyncMs = this.#options.resyncMs ?? 10 * 60_000;
    if (resyncMs > 0) this.#resync = setInterval(() => this.#resyncAll(), Math.round(resyncMs * (1 + 0.1 * Math.random())));
  }

  /** Stops everything; the cache keeps its content. */
  stop(): void {
    this.#running = false;
    this.#generation++;
    clearInterval(this.#watchdog);
    clearInterval(this.#resync);
    this.#abort?.abort();
    this.#wakeSleeper();
    for (const waiter of this.#syncedWaiters.splice(0)) waiter();
  }

  /** Resolves once synced (or stopped). */
  waitForSync(): Promise<void> {
    if (this.#synced || !this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#syncedWaiters.push(resolve));
  }

  /** Forces a restart of the watch, as the watchdog does (for operations and tests). */
  restartWatch(reason: string): void {
    if (!this.#running) return;
    this.#options.metrics?.watchRestarts.inc({ kind: this.kind.kind, reason });
    this.#generation++;
    this.#abort?.abort();
    this.#wakeSleeper();
    this.#lastProgress = performance.now();
    this.#launch();
  }

  get #stallMs(): number {
    return this.#options.stallMs ?? 90_000;
  }

  #launch(): void {
    const generation = this.#generation;
    this.#loop(generation).catch((error: unknown) => {
      // The loop catches everything it expects; reaching here is a bug, and the watchdog restarts it.
      this.#log.error("informer loop crashed", { error });
    });
  }

  #current(generation: number): boolean {
    return this.#running && generation === this.#generation;
  }

  async #loop(generation: number): Promise<void> {
    let failures = 0;
    while (this.#current(generation)) {
      this.#lastProgress = performance.now();
      try {
        if (this.#resourceVersion === "") await this.#relist(generation);
        if (!this.#current(generation)) return;
        const started = performance.now();
        const delivered = await this.#watchOnce(generation);
        // A watch that ends at once without delivering anything counts as a failure, so that a
        // server closing every watch immediately cannot make this loop spin.
        failures = delivered || performance.now() - started > 1000 ? 0 : failures + 1;
        if (failures > 0) await this.#sleep(backoffDelay(failures, this.#backoff));
      } catch (error) {
        if (!this.#current(generation)) return;
        if (error instanceof ResourceVersionExpired) {
          this.#options.metrics?.watchRestarts.inc({ kind: this.kind.kind, reason: "expired" });
          this.#log.info("resourceVersion expired; relisting", { resourceVersion: this.#resourceVersion });
          this.#resourceVersion = "";
          continue;
        }
        failures++;
        const delay = backoffDelay(failures, this.#backoff);
        this.#options.metrics?.watchRestarts.inc({ kind: this.kind.kind, reason: "error" });
        this.#log.warn("list/watch failed; retrying", { error: describeError(error), attempt: failures, retryInMs: delay });
        await this.#sleep(delay);
      }
    }
  }

  get #backoff(): BackoffOptions {
    return this.#options.backoff ?? { baseMs: 1000, maxMs: 30_000, jitter: 0.3 };
  }

  async #relist(generation: number): Promise<void> {
    const path = resourcePath(this.kind, this.#options.namespace);
    const fresh = new Map<string, Map<string, KubernetesObject>>();
    const writesBefore = this.#writes;
    let continueToken: string | undefined;
    let resourceVersion: string;
    // Pages of this many objects; none once a continue token expired (client-go's pager does the same: a list that
    // outlived etcd's compaction once would likely do so again, page by page).
    let limit: number | undefined = this.#options.pageSize ?? DEFAULT_PAGE_SIZE;
    for (;;) {
      let page: ListAnswer;
      try {
        page = await this.#options.rest.get<ListAnswer>(path, {
          query: {
            limit,
            continue: continueToken,
            labelSelector: this.#options.labelSelector,
            fieldSelector: this.#options.fieldSelector,
          },
          timeoutMs: 60_000,
        });
      } catch (error) {
        // An expired continue token: list again from the beginning, whole, once (a second expiry is the list's failure,
        // retried with back-off like any other); nothing more for a list that is no longer this informer's.
        if (error instanceof KubeApiError && error.code === 410 && continueToken !== undefined && limit !== undefined) {
          if (!this.#current(generation)) return;
          this.#log.info("list continue token expired; listing again without pages");
          fresh.clear();
          continueToken = undefined;
          limit = undefined;
          continue;
        }
        throw error;
      }
      if (!this.#current(generation)) return;
      this.#lastProgress = performance.now();
      for (const item of page.items ?? []) {
        // A list's items carry no apiVersion/kind; handlers and the cache reader expect them.
        item.apiVersion = this.kind.apiVersion;
        item.kind = this.kind.kind;
        // The version cached so far lends its equal parts (a relist after an expired watch brings every object again).
        const object = this.#trim(item, this.get(item.metadata?.namespace, item.metadata?.name ?? ""));
        const ns = object.metadata?.namespace ?? "";
        let objects = fresh.get(ns);
        if (objects === undefined) fresh.set(ns, (objects = new Map()));
        objects.set(object.metadata?.name ?? "", object);
      }
      continueToken = page.metadata?.continue || undefined;
      resourceVersion = page.metadata?.resourceVersion ?? "";
      if (continueToken === undefined) break;
    }
    this.#log.debug("listed", { resourceVersion });
    this.#replaceStore(fresh, integerVersion(resourceVersion), writesBefore);
    this.#resourceVersion = resourceVersion;
    if (this.#synced) {
      for (const handler of this.#relistHandlers) {
        try {
          handler();
        } catch (error) {
          this.#log.error("relist handler threw", { error });
        }
      }
    } else {
      this.#synced = true;
      this.#options.metrics?.cacheSynced.set({ kind: this.kind.kind }, 1);
      this.#log.info("cache synced", { objects: this.size, resourceVersion });
      for (const waiter of this.#syncedWaiters.splice(0)) waiter();
    }
  }

  /**
   * Makes `fresh`, a list of `listVersion`, the cache. A fresh list is the truth (even if etcd was restored and versions
   * went back), except for this process's writes taken by observeWrite since the relist began (numbered above
   * `writesBefore`) at versions above the list's: the list cannot hold them, the watch that follows from its version
   * brings them (or, should it expire first, the next list does), and meanwhile a reconcile must read them (a status just
   * written rolled back, or a child just created dropped and reported deleted, would be acted on: a second `onCreate`).
   * A write from before the relist began stays the list's even at a higher version (etcd restored from a backup).
   */
  #replaceStore(fresh: Map<string, Map<string, KubernetesObject>>, listVersion: bigint | undefined, writesBefore: number): void {
    const kept = new Map<string, AheadWrite>();
    if (listVersion !== undefined) {
      for (const [key, ahead] of this.#ahead) if (ahead.write > writesBefore && ahead.version > listVersion) kept.set(key, ahead);
    }
    this.#ahead.clear();
    for (const [ns, objects] of this.#store) {
      for (const [name, object] of objects) {
        if (kept.has(`${ns}/${name}`)) continue;
        if (!fresh.get(ns)?.has(name)) {
          objects.delete(name);
          this.#tombstone(object);
          this.#emit({ type: "delete", object });
        }
      }
      if (objects.size === 0) this.#store.delete(ns);
    }
    for (const [ns, objects] of fresh) for (const [name, object] of objects) if (!kept.has(`${ns}/${name}`)) this.#upsert(object);
    for (const [key, ahead] of kept) this.#ahead.set(key, ahead);
  }

  /** Resolves when the watch ends normally (true when it delivered at least one event); rejects on errors. */
  async #watchOnce(generation: number): Promise<boolean> {
    const timeoutSeconds = Math.round((this.#options.watchTimeoutSeconds ?? 300) * (1 + Math.random()));
    let delivered = false;
    let expired = false;
    let errorEvent: Error | undefined;
    // Called while `generation` is current: a restart or stop from here on aborts exactly this watch.
    const controller = new AbortController();
    this.#abort = controller;
    const onEvent = (phase: string, object: KubernetesObject & { code?: number; message?: string }): void => {
      if (!this.#current(generation)) return;
      this.#lastProgress = performance.now();
      this.#countEvent(phase);
      if (phase === "ERROR") {
        if (object.code === 410) expired = true;
        else errorEvent = new KubeApiError(object.code ?? 500, `watch error: ${object.message ?? "unknown"}`, object);
        controller.abort();
        return;
      }
      delivered = true;
      const rv = object.metadata?.resourceVersion;
      if (phase === "BOOKMARK") {
        if (rv) this.#resourceVersion = rv;
        return;
      }
      if (phase === "ADDED" || phase === "MODIFIED") this.#upsert(object, true);
      else if (phase === "DELETED") this.#remove(trimObject(object));
      if (rv) this.#resourceVersion = rv;
    };
    let failure: unknown;
    try {
      await this.#options.rest.watch(resourcePath(this.kind, this.#options.namespace), {
        query: {
          resourceVersion: this.#resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds,
          labelSelector: this.#options.labelSelector,
          fieldSelector: this.#options.fieldSelector,
        },
        idleTimeoutMs: this.#options.watchIdleMs ?? WATCH_IDLE_MS,
        onEvent,
        onConnected: () => {
          if (!this.#current(generation)) return;
          this.#lastProgress = performance.now();
          this.#log.debug("watching", { resourceVersion: this.#resourceVersion, timeoutSeconds });
        },
        signal: controller.signal,
      });
    } catch (error) {
      failure = error;
    }
    this.#log.debug("watch ended", { error: failure === undefined ? undefined : describeError(failure), delivered });
    if (!this.#current(generation)) return delivered;
    if (expired || (failure instanceof KubeApiError && failure.code === 410)) throw new ResourceVersionExpired();
    if (errorEvent !== undefined) throw errorEvent;
    // A watch silent for watchIdleMs is dropped: reconnect without back-off.
    if (failure instanceof WatchTimeoutError) return true;
    if (failure !== undefined) throw failure;
    return delivered;
  }

  #countEvent(phase: string): void {
    const metrics = this.#options.metrics;
    if (metrics === undefined) return;
    let counter = this.#eventCounters.get(phase);
    if (counter === undefined) this.#eventCounters.set(phase, (counter = metrics.watchEvents.labels({ kind: this.kind.kind, type: phase })));
    counter.inc();
  }

  /** `trim`: {@link trimObject} it first, once it is known to be kept (the watch brings back every write the cache took already). */
  #upsert(object: KubernetesObject, trim = false): void {
    const ns = object.metadata?.namespace ?? "";
    const name = object.metadata?.name ?? "";
    let objects = this.#store.get(ns);
    if (objects === undefined) this.#store.set(ns, (objects = new Map()));
    const previous = objects.get(name);
    // The cache took a write's answer ahead of the watch (observeWrite): the watch's older versions
    // before it are skipped, not rolled back to, until the watch has caught up.
    // (Checked only when some write is ahead: this runs for every event.)
    if (this.#ahead.size > 0) {
      const key = `${ns}/${name}`;
      const ahead = this.#ahead.get(key)?.version;
      if (ahead !== undefined) {
        const next = integerVersion(object.metadata?.resourceVersion);
        if (next !== undefined && next < ahead) return;
        this.#ahead.delete(key);
      }
    }
    if (previous !== undefined && previous.metadata?.resourceVersion === object.metadata?.resourceVersion) return;
    const kept = trim ? this.#trim(object, previous) : object;
    objects.set(name, kept);
    this.#emit(previous === undefined ? { type: "add", object: kept } : { type: "update", object: kept, previous });
  }

  /**
   * {@link trimObject}: the version held so far lends its equal parts, or else the object trimmed last (another object of
   * the kind, most likely built by the same code: the first list after a start, or a new child, takes its probes and
   * such with one comparison each instead of a text and a hash; 8 000 children parsed and shared: 1.7-2.3 -> 1.0-1.2 s
   * of CPU).
   */
  #trim(object: KubernetesObject, previous?: KubernetesObject): KubernetesObject {
    const trimmed = trimObject(object, previous ?? this.#lastTrimmed);
    // Never a Secret: it would stay in memory after the Secret is gone (and shareSubtrees leaves a Secret as it is).
    // Both kinds are asked: a watch event's object carries the kind the API server wrote, not one the informer set.
    if (trimmed.kind !== "Secret" && this.kind.kind !== "Secret") this.#lastTrimmed = trimmed;
    return trimmed;
  }

  #remove(object: KubernetesObject): void {
    const ns = object.metadata?.namespace ?? "";
    const objects = this.#store.get(ns);
    const cached = objects?.get(object.metadata?.name ?? "");
    this.#tombstone(object);
    // The delete of an earlier object of the name (another uid) must not take the one this process has just created.
    if (cached !== undefined && object.metadata?.uid !== undefined && cached.metadata?.uid !== object.metadata.uid) {
      this.#emit({ type: "delete", object });
      return;
    }
    objects?.delete(object.metadata?.name ?? "");
    this.#ahead.delete(`${ns}/${object.metadata?.name ?? ""}`);
    if (objects?.size === 0) this.#store.delete(ns);
    this.#emit({ type: "delete", object: cached ?? object });
  }

  #emit(event: InformerEvent): void {
    for (const handler of this.#handlers) {
      try {
        handler(event);
      } catch (error) {
        this.#log.error("informer handler threw", { error });
      }
    }
  }

  #resyncAll(): void {
    for (const object of this.list()) this.#emit({ type: "resync", object });
  }

  #checkStall(): void {
    // A planned back-off sleep is not a stall (it is bounded by the back-off's maximum).
    if (!this.#running || this.#sleeping !== undefined) return;
    const silentMs = performance.now() - this.#lastProgress;
    if (silentMs <= this.#stallMs) return;
    this.#log.warn("watch made no progress; restarting it", { silentMs: Math.round(silentMs) });
    this.restartWatch("stalled");
  }

  #sleep(ms: number): Promise<void> {
    const sleep = wakeableSleep(ms, () => {
      if (this.#sleeping === sleep) this.#sleeping = undefined;
      this.#lastProgress = performance.now();
    });
    this.#sleeping = sleep;
    return sleep.done;
  }

  #wakeSleeper(): void {
    this.#sleeping?.wake();
  }
}

/**
 * Drops the field sets of managedFields (large, never read by reconcilers) to keep the cache small, as
 * controller-runtime drops managedFields, keeping who wrote how (the writer hands the fields of its creates over to its
 * applies once), and keeps one copy of each large value that many ConfigMaps repeat (the same scripts in every
 * resource's ConfigMap, a CA bundle): each parsed object brings its own copy, and a cache of N such objects held N.
 * Then one frozen copy of each repeated part ({@link shareSubtrees}): probes, owner references, labels, managedFields entries;
 * `previous`, the version cached so far, lends its parts where they are equal.
 */
function trimObject(object: KubernetesObject, previous?: KubernetesObject): KubernetesObject {
  const meta = object.metadata;
  if (meta?.managedFields !== undefined) meta.managedFields = meta.managedFields.map(({ manager, operation }) => ({ manager, operation }));
  // A Secret's values (keys, certificates) are not kept in the process-wide table, where they would outlive the Secret.
  if (object.kind !== "Secret") {
    const payload = object as { data?: unknown; binaryData?: unknown };
    internLargeValues(payload.data);
    internLargeValues(payload.binaryData);
  }
  return shareSubtrees(object, previous);
}

/** Values at least this long are kept once; shorter ones cost less than looking them up. */
const INTERNED_MIN_LENGTH = 1024;
/** Distinct large values remembered; the oldest is forgotten beyond this (a forgotten one is only stored again). */
const INTERNED_MAX = 256;
const interned = new Map<string, string>();

/** Number of large values kept once now (for tests). */
export function internedValueCount(): number {
  return interned.size;
}

function internLargeValues(map: unknown): void {
  if (typeof map !== "object" || map === null) return;
  const values = map as Record<string, unknown>;
  for (const key of Object.keys(values)) {
    const value = values[key];
    if (typeof value !== "string" || value.length < INTERNED_MIN_LENGTH) continue;
    values[key] = remembered(interned, value, INTERNED_MAX, () => value);
  }
}

function integerVersion(resourceVersion: string | undefined): bigint | undefined {
  return resourceVersion !== undefined && /^\d{1,30}$/.test(resourceVersion) ? BigInt(resourceVersion) : undefined;
}
