/**
 * The reconcile skeleton, emitted in a worker thread (see `AsideEmitter` in the pipeline): ts-morph, the heaviest
 * library `generate` loads (some 140 ms), loads there, on another core, while the main thread reads and checks the
 * schema and runs the other emitters. Formatting stays in the main thread, which loads prettier anyway (a second
 * prettier here, or the models' json-schema-to-typescript in a second worker, measured slower). Answers each request
 * with the emitted text.
 */
import { parentPort } from "node:worker_threads";
import type { ReconcilerBaseInput } from "./inputs.ts";

/** A request to the worker, and its answer. */
export interface AsideRequest {
  readonly id: number;
  readonly input: ReconcilerBaseInput;
}
export type AsideAnswer = { readonly id: number; readonly text: string } | { readonly id: number; readonly error: string };

/** Emits the reconcile skeleton (in whatever thread calls it). */
export async function emitSkeleton(input: ReconcilerBaseInput): Promise<string> {
  return (await import("./reconciler-base.ts")).emitReconcilerBase(input);
}

const port = parentPort;
if (port !== null) {
  // Loaded before any request comes: the main thread is still reading and checking the schema.
  const loaded = import("./reconciler-base.ts");
  port.on("message", (request: AsideRequest) => {
    loaded
      .then(() => emitSkeleton(request.input))
      .then(
        (text) => port.postMessage({ id: request.id, text } satisfies AsideAnswer),
        (error: unknown) =>
          port.postMessage({ id: request.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies AsideAnswer),
      );
  });
}
