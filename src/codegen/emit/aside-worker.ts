/**
 * The reconcile skeleton, emitted in a worker thread (see `AsideEmitter` in emit/aside.ts): ts-morph, the heaviest
 * library `generate` loads, loads there, on another core, while the main thread loads the pipeline, reads and checks
 * the schema and runs the other emitters. (The models' json-schema-to-typescript measured slower in this worker after
 * ts-morph, and slower in a second worker, than in the main thread.) The skeleton is laid out in prettier's form here;
 * if it cannot be (a name too long for a line), the main thread formats it. Answers each request with the emitted
 * text and that verdict. Only a worker the pipeline started (its `workerData` says so) listens: a worker of someone
 * else's that imports this module is left alone.
 */
import { enableCompileCache, getCompileCacheDir } from "node:module";
import { parentPort, workerData } from "node:worker_threads";
import type { ReconcilerBaseInput } from "./inputs.ts";

/** What the pipeline passes as `workerData`: that it is the pipeline's worker, and the compile cache it uses, if any. */
export interface AsideWorkerData {
  readonly mysqlopAside: true;
  readonly compileCache: string | undefined;
}

/**
 * The `workerData` of the pipeline's worker. The compile cache (src/cli/compile-cache.js) is one thread's: a worker
 * compiles TypeScript's 9 MB again unless it turns the cache on too, in the folder the main thread uses.
 */
export function asideWorkerData(): AsideWorkerData {
  return { mysqlopAside: true, compileCache: getCompileCacheDir() };
}

/** The reconcile skeleton as emitted, and whether it is in prettier's form already. */
export interface Skeleton {
  readonly content: string;
  readonly final: boolean;
}

/** A request to the worker, and its answer. */
export interface AsideRequest {
  readonly id: number;
  readonly input: ReconcilerBaseInput;
}
export type AsideAnswer = { readonly id: number; readonly emitted: Skeleton } | { readonly id: number; readonly error: string };

const port = parentPort;
const data = workerData as Partial<AsideWorkerData> | null;
if (port !== null && data?.mysqlopAside === true) {
  if (data.compileCache !== undefined) enableCompileCache(data.compileCache);
  // Loaded before any request comes: the main thread is still loading the pipeline and checking the schema.
  const loaded = import("./reconciler-base.ts");
  // A failed load is answered to each request, not left unhandled.
  loaded.catch(() => undefined);
  port.on("message", (request: AsideRequest) => {
    loaded
      .then(({ emitReconcilerBase }) => emitReconcilerBase(request.input))
      .then(
        (emitted) => port.postMessage({ id: request.id, emitted } satisfies AsideAnswer),
        (error: unknown) =>
          port.postMessage({ id: request.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies AsideAnswer),
      );
  });
}
