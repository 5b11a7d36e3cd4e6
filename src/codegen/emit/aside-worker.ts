/**
 * The emitters that load a heavy library, run in a worker thread (see `AsideEmitter` in the pipeline): ts-morph for
 * the reconcile skeleton, json-schema-to-typescript for the models. They load there, on another core, while the main
 * thread loads the schema and runs the other emitters. Formatting stays in the main thread, which loads prettier
 * anyway (a second prettier here cost more than it saved). Answers each request with the emitted text.
 */
import { parentPort } from "node:worker_threads";
import type { ModelsInput, ReconcilerBaseInput } from "./inputs.ts";

/** What the worker is asked to emit. */
export type AsideWork = { readonly output: "models"; readonly input: ModelsInput } | { readonly output: "reconcilerBase"; readonly input: ReconcilerBaseInput };

/** A request to the worker, and its answer. */
export interface AsideRequest {
  readonly id: number;
  readonly work: AsideWork;
}
export type AsideAnswer = { readonly id: number; readonly text: string } | { readonly id: number; readonly error: string };

/** Emits `work` (in whatever thread imports this). */
export async function emitWork(work: AsideWork): Promise<string> {
  if (work.output === "models") return (await import("./models.ts")).emitModels(work.input);
  return (await import("./reconciler-base.ts")).emitReconcilerBase(work.input);
}

const port = parentPort;
if (port !== null) {
  // Loaded before any request comes: the main thread is still reading and checking the schema.
  const loaded = import("./reconciler-base.ts");
  port.on("message", (request: AsideRequest) => {
    loaded
      .then(() => emitWork(request.work))
      .then(
        (text) => port.postMessage({ id: request.id, text } satisfies AsideAnswer),
        (error: unknown) =>
          port.postMessage({ id: request.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies AsideAnswer),
      );
  });
}
