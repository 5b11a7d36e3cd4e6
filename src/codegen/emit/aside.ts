/**
 * The reconcile skeleton's worker, in a module of its own that loads nothing heavy: the CLI starts the worker first,
 * then loads the pipeline (see {@link AsideEmitter}).
 */
import { Worker } from "node:worker_threads";
import { asideWorkerData, type AsideAnswer, type AsideRequest, type Skeleton } from "./aside-worker.ts";
import type { ReconcilerBaseInput } from "./inputs.ts";

export type { Skeleton };

/** The reconcile skeleton, emitted in this thread (ts-morph loaded here, once). */
export async function emitSkeleton(input: ReconcilerBaseInput): Promise<Skeleton> {
  return (await import("./reconciler-base.ts")).emitReconcilerBase(input);
}

/** Where the worker's module is: run from the TypeScript sources or from the compiled ones (dist/), a sibling. */
const ASIDE_WORKER_URL = new URL(`./aside-worker.${import.meta.url.endsWith(".ts") ? "ts" : "js"}`, import.meta.url);

/**
 * The reconcile skeleton emitted in a worker thread, where ts-morph (the largest part of a `generate` that makes every
 * file) loads beside the main thread's work, on another core. Used by the first `generate` of a process that makes
 * every file (no record yet) — started by the CLI before it loads the pipeline, so that ts-morph loads while the main
 * thread loads the schema tools; every other run emits the skeleton in this thread, where ts-morph is then loaded once
 * (a process that generates again and again: tests) or not at all (a run that has nothing to emit). A worker that
 * fails or ends without an answer (its module missing, out of memory) costs only time: the skeleton is then emitted in
 * this thread, where an error of the emitter itself is thrown as it would have been anyway.
 */
export class AsideEmitter {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { input: ReconcilerBaseInput; resolve: (skeleton: Skeleton) => void; reject: (error: unknown) => void }>();
  #next = 0;
  #failed = false;

  constructor(url: URL = ASIDE_WORKER_URL) {
    this.#worker = new Worker(url, { workerData: asideWorkerData() });
    this.#worker.on("message", (answer: AsideAnswer) => {
      const pending = this.#pending.get(answer.id);
      this.#pending.delete(answer.id);
      if (pending === undefined) return;
      if ("emitted" in answer) pending.resolve(answer.emitted);
      else emitSkeleton(pending.input).then(pending.resolve, pending.reject);
    });
    const fail = (): void => {
      this.#failed = true;
      for (const pending of this.#pending.values()) emitSkeleton(pending.input).then(pending.resolve, pending.reject);
      this.#pending.clear();
    };
    this.#worker.on("error", fail);
    this.#worker.on("exit", fail);
  }

  emit(input: ReconcilerBaseInput): Promise<Skeleton> {
    if (this.#failed) return emitSkeleton(input);
    const id = this.#next++;
    return new Promise<Skeleton>((resolve, reject) => {
      this.#pending.set(id, { input, resolve, reject });
      this.#worker.postMessage({ id, input } satisfies AsideRequest);
    });
  }

  async stop(): Promise<void> {
    await this.#worker.terminate();
  }
}
