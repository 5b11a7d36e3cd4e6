/**
 * The generator, one way: load → validate → model → emit → format → write (or check).
 * Each stage lives in its own module and imports only earlier ones; this file wires them.
 */
import { posix } from "node:path";
import { emitApiReference } from "./emit/api-reference.ts";
import { emitConstants } from "./emit/constants.ts";
import { emitCrd } from "./emit/crd.ts";
import { emitModels } from "./emit/models.ts";
import { emitKustomization } from "./emit/kustomization.ts";
import { emitFlowSchema } from "./emit/flow-schema.ts";
import { emitNamespace } from "./emit/namespace.ts";
import { emitOperatorDeployment } from "./emit/operator-deployment.ts";
import { emitNamespacedRbacKustomization, emitNamespacedRbacOperator, emitNamespacedRbacWatchedRole, emitRbac } from "./emit/rbac.ts";
import { emitReconcilerBase } from "./emit/reconciler-base.ts";
import { emitValidator } from "./emit/validator.ts";
import { formatOutput, type OutputFile } from "./format.ts";
import { loadSchema, type LoadedSchema } from "./load.ts";
import { buildModel, type GeneratorModel } from "./model.ts";
import type { GenerateOptions } from "./options.ts";
import { validateSchema } from "./validate.ts";
import { generatedHeader, isGeneratedFrom } from "./emit/header.ts";
import { inputsHash, recordedOptions, recordPath, renderRecord, sha256 } from "./record.ts";
import { compareOutputs, findOrphans, removeOrphans, writeOutputs, type FileState } from "./write.ts";

/** Emits every output of a model, formatted, in a fixed order. Pure apart from prettier. */
export async function renderOutputs(model: GeneratorModel): Promise<OutputFile[]> {
  const emitted: OutputFile[] = [
    { path: model.outputs.models, content: await emitModels(model) },
    { path: model.outputs.constants, content: emitConstants(model) },
    { path: model.outputs.validator, content: emitValidator(model) },
    { path: model.outputs.reconcilerBase, content: emitReconcilerBase(model) },
    { path: model.outputs.apiReference, content: emitApiReference(model) },
    { path: model.outputs.crd, content: emitCrd(model) },
    { path: model.outputs.rbac, content: emitRbac(model) },
    { path: model.outputs.namespace, content: emitNamespace(model) },
    { path: model.outputs.operatorDeployment, content: emitOperatorDeployment(model) },
    { path: model.outputs.flowSchema, content: emitFlowSchema(model) },
    { path: model.outputs.kustomization, content: emitKustomization(model) },
    { path: model.outputs.rbacNamespaced.operator, content: emitNamespacedRbacOperator(model) },
    { path: model.outputs.rbacNamespaced.watchedRole, content: emitNamespacedRbacWatchedRole(model) },
    { path: model.outputs.rbacNamespaced.watchedKustomization, content: emitNamespacedRbacKustomization(model) },
  ];
  return Promise.all(emitted.map(formatOutput));
}

/** Runs load → validate → model → emit → format for a schema already in memory; writes nothing. */
export async function generateFromLoaded(loaded: LoadedSchema, options: GenerateOptions): Promise<OutputFile[]> {
  validateSchema(loaded);
  return renderOutputs(buildModel(loaded, options));
}

/** Result of {@link generate}. */
export interface GenerateResult {
  readonly files: readonly OutputFile[];
  /** Paths rewritten (write mode) — empty in check mode. */
  readonly written: readonly string[];
  /** Per output, fresh/stale/missing as found before writing; plus orphaned files of this schema. */
  readonly states: readonly FileState[];
  /** Orphaned generated files removed (write mode). */
  readonly removed: readonly string[];
}

/** Generates every output from the schema file; with `check`, only compares with disk. */
export async function generate(options: GenerateOptions, mode: { check: boolean } = { check: false }): Promise<GenerateResult> {
  const loaded = await loadSchema(options.schemaPath, options.root);
  const files = await generateFromLoaded(loaded, options);
  const outputs = files.map((f) => f.path);
  const dirs = outputs.map((p) => posix.dirname(p));
  const recorded = recordedOptions(options);
  // Only files generated from this same schema count: another schema may share the folders.
  const orphans = await findOrphans(options.root, dirs, [...outputs, recordPath(recorded)], (firstLine) => isGeneratedFrom(firstLine, loaded.displayPath));
  const states: FileState[] = [...(await compareOutputs(options.root, files)), ...orphans.map((path) => ({ path, state: "orphaned" as const }))];
  if (mode.check) return { files, written: [], states, removed: [] };
  const record = renderRecord(generatedHeader({ source: { path: loaded.displayPath, sha256: loaded.sha256 } }, "hash"), {
    inputs: await inputsHash(loaded.text, recorded),
    outputs: files.map((f) => ({ path: f.path, sha256: sha256(f.content) })),
  });
  // The record is written with the outputs (atomically), but is not one: it is not reported.
  const written = (await writeOutputs(options.root, [...files, { path: recordPath(recorded), content: record }])).filter((p) => outputs.includes(p));
  const removed = await removeOrphans(options.root, orphans);
  return { files, written, states, removed };
}
