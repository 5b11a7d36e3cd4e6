/**
 * Watches, one object each, on what reconciles read with `ctx.read(…, { watch: true })`: objects this
 * operator did not make and so does not cache (a Secret a resource names). A change to such an object
 * re-queues every resource whose last reconcile read it; a watch stops once no resource's last
 * reconcile read its object any more. Each is a list+watch selected by name, so it holds one object.
 */
import type { ObjectReference } from "./types.ts";

/** A running watch on one object. */
export interface ObjectWatch {
  stop(): void;
}

/** Starts a watch of one object that calls `changed` on every change; stops with the returned handle. */
export type StartObjectWatch = (object: ObjectReference, changed: () => void) => ObjectWatch;

function referenceKey(object: ObjectReference): string {
  return `${object.apiVersion}/${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name ?? ""}`;
}

/** The references of every resource (work-queue key), and one watch per referenced object. */
export class ReferenceWatches {
  readonly #start: StartObjectWatch;
  readonly #enqueue: (key: string) => void;
  readonly #watches = new Map<string, { watch: ObjectWatch; referrers: Set<string> }>();
  readonly #byReferrer = new Map<string, Map<string, ObjectReference>>();

  constructor(start: StartObjectWatch, enqueue: (key: string) => void) {
    this.#start = start;
    this.#enqueue = enqueue;
  }

  /** Number of objects watched. */
  get size(): number {
    return this.#watches.size;
  }

  /** After a reconcile of `referrer`: what it read with `watch` is now all it refers to. */
  update(referrer: string, references: readonly ObjectReference[]): void {
    const next = new Map(references.map((r) => [referenceKey(r), r]));
    const previous = this.#byReferrer.get(referrer) ?? new Map<string, ObjectReference>();
    for (const [key, reference] of next) {
      if (previous.has(key)) continue;
      let entry = this.#watches.get(key);
      if (entry === undefined) {
        const referrers = new Set<string>();
        const watch = this.#start(reference, () => {
          for (const r of referrers) this.#enqueue(r);
        });
        entry = { watch, referrers };
        this.#watches.set(key, entry);
      }
      entry.referrers.add(referrer);
    }
    for (const key of previous.keys()) if (!next.has(key)) this.#release(referrer, key);
    if (next.size === 0) this.#byReferrer.delete(referrer);
    else this.#byReferrer.set(referrer, next);
  }

  /** What `referrer` refers to now. */
  referencedBy(referrer: string): ObjectReference[] {
    return [...(this.#byReferrer.get(referrer)?.values() ?? [])];
  }

  /** Stops every watch. */
  stop(): void {
    for (const { watch } of this.#watches.values()) watch.stop();
    this.#watches.clear();
    this.#byReferrer.clear();
  }

  #release(referrer: string, key: string): void {
    const entry = this.#watches.get(key);
    if (entry === undefined) return;
    entry.referrers.delete(referrer);
    if (entry.referrers.size > 0) return;
    entry.watch.stop();
    this.#watches.delete(key);
  }
}
