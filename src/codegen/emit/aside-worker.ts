/**
 * The reconcile skeleton, emitted in a worker thread (see `AsideEmitter` in the pipeline): ts-morph, the heaviest
 * library `generate` loads (some 140 ms), loads there, on another core, while the main thread reads and checks the
 * schema and runs the other emitters. Formatting stays in the main thread, which loads prettier anyway (a second
 * prettier here, or the models' json-schema-to-typescript in a second worker, measured slower). Answers each request
 * with the emitted text. Only a worker the pipeline started (its `workerData` says so) listens: a worker of someone
 * else's that imports this module is left alone.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { ReconcilerBaseInput } from "./inputs.ts";

/** What the pipeline passes as `workerData`. */
export const ASIDE_WORKER_DATA = { mysqlopAside: true } as const;

/** A request to the worker, and its answer. */
export interface AsideRequest {
  readonly id: number;
  readonly input: ReconcilerBaseInput;
}
export type AsideAnswer = { readonly id: number; readonly text: string } | { readonly id: number; readonly error: string };

const port = parentPort;
if (port !== null && (workerData as { mysqlopAside?: unknown } | null)?.mysqlopAside === true) {
  // Loaded before any request comes: the main thread is still reading and checking the schema.
  const loaded = import("./reconciler-base.ts");
  // A failed load is answered to each request, not left unhandled.
  loaded.catch(() => undefined);
  port.on("message", (request: AsideRequest) => {
    loaded
      .then(({ emitReconcilerBase }) => emitReconcilerBase(request.input))
      .then(
        (text) => port.postMessage({ id: request.id, text } satisfies AsideAnswer),
        (error: unknown) =>
          port.postMessage({ id: request.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies AsideAnswer),
      );
  });
}
