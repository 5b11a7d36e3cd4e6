/** The {@link CacheReader} handed to reconcilers: reads informer caches, never the API server. */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Informer } from "./informer.ts";
import type { CacheReader } from "./types.ts";

/** Reads the caches of a set of informers, looked up by apiVersion and kind. */
export class InformerCache implements CacheReader {
  readonly #informers = new Map<string, Informer>();

  /** Adds an informer; its kind becomes readable. */
  register(informer: Informer): void {
    this.#informers.set(`${informer.kind.apiVersion}/${informer.kind.kind}`, informer);
  }

  /** The informer of a kind, if one is registered. */
  informerFor(apiVersion: string, kind: string): Informer | undefined {
    return this.#informers.get(`${apiVersion}/${kind}`);
  }

  /** Every registered informer. */
  informers(): Informer[] {
    return [...this.#informers.values()];
  }

  /** Cached object or undefined; throws for a kind nobody watches (a wiring mistake, not a miss). */
  get<T extends KubernetesObject>(apiVersion: string, kind: string, namespace: string | undefined, name: string): T | undefined {
    return this.#require(apiVersion, kind).get(namespace, name) as T | undefined;
  }

  /** Cached objects of a kind, in one namespace or all. */
  list<T extends KubernetesObject>(apiVersion: string, kind: string, namespace?: string): T[] {
    return this.#require(apiVersion, kind).list(namespace) as T[];
  }

  #require(apiVersion: string, kind: string): Informer {
    const informer = this.#informers.get(`${apiVersion}/${kind}`);
    if (informer === undefined) throw new Error(`${kind} (${apiVersion}) is not watched by this manager: declare it among the controller's owned kinds`);
    return informer;
  }
}
