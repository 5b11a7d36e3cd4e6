/**
 * The generator, one way: load → validate → model → emit → format → write (or check).
 * Each stage lives in its own module and imports only earlier ones; this file wires them.
 */
import { readFile } from "node:fs/promises";
import { posix, resolve } from "node:path";
import { emitApiReference } from "./emit/api-reference.ts";
import { emitCrd } from "./emit/crd.ts";
import { emitKustomization } from "./emit/kustomization.ts";
import { emitFlowSchema } from "./emit/flow-schema.ts";
import { emitNamespace } from "./emit/namespace.ts";
import { emitOperatorDeployment } from "./emit/operator-deployment.ts";
import { emitNamespacedRbacKustomization, emitNamespacedRbacOperator, emitNamespacedRbacWatchedRole, emitRbac } from "./emit/rbac.ts";
import { emitConstants } from "./emit/constants.ts";
import { emitValidator } from "./emit/validator.ts";
import { AsideEmitter, emitSkeleton, type Skeleton } from "./emit/aside.ts";
import { constantsInput, inputText, modelsInput, reconcilerBaseInput, validatorInput } from "./emit/inputs.ts";
import { formatOutput, type EmittedFile, type OutputFile } from "./format.ts";
import { loadSchema, type LoadedSchema } from "./load.ts";
import { buildModel, type GeneratorModel } from "./model.ts";
import type { GenerateOptions } from "./options.ts";
import { validateSchema } from "./validate.ts";
import { GENERATED_HEADER_PATTERN, generatedHeader, isGeneratedFrom } from "./emit/header.ts";
import { generatorHash, inputsHash, partHash, readRecord, recordedOptions, recordPath, renderRecord, sha256, type GenerationRecord } from "./record.ts";
import { compareOutputs, findOrphans, removeOrphans, writeOutputs, type FileState } from "./write.ts";

/**
 * One output: where it goes and how it is made. An output with a `part` is made from that part of the model only
 * (`emit/inputs.ts`); its emitter may load a heavy library (ts-morph, json-schema-to-typescript), imported only when
 * the output is really emitted.
 */
interface OutputSpec {
  readonly path: (model: GeneratorModel) => string;
  /** The part of the model the output is made from, as hashed; none: the whole model (cheap outputs). */
  readonly part?: (model: GeneratorModel) => string;
  /** The text, or the text and whether it is in final form already (see {@link EmittedFile}). */
  readonly emit: (model: GeneratorModel) => Emitted | Promise<Emitted>;
}

/** What an emitter gives: the text, or the text and whether it is in final form already. */
type Emitted = string | Omit<EmittedFile, "path">;

/** The worker of a run that uses one, by the run's model; whether a run of this process has claimed one. */
const asideOf = new WeakMap<GeneratorModel, AsideEmitter>();
let asideUsed = false;

/** The reconcile skeleton: in the run's worker if it has one, else in this thread. */
function emitReconcilerBaseAside(model: GeneratorModel): Promise<Skeleton> {
  const input = reconcilerBaseInput(model);
  return asideOf.get(model)?.emit(input) ?? emitSkeleton(input);
}

/** Every output, in a fixed order. */
const OUTPUTS: readonly OutputSpec[] = [
  {
    path: (m) => m.outputs.models,
    part: (m) => inputText(modelsInput(m)),
    emit: async (m) => (await import("./emit/models.ts")).emitModels(modelsInput(m)),
  },
  { path: (m) => m.outputs.constants, part: (m) => inputText(constantsInput(m)), emit: (m) => emitConstants(constantsInput(m)) },
  { path: (m) => m.outputs.validator, part: (m) => inputText(validatorInput(m)), emit: (m) => emitValidator(validatorInput(m)) },
  {
    path: (m) => m.outputs.reconcilerBase,
    part: (m) => inputText(reconcilerBaseInput(m)),
    emit: emitReconcilerBaseAside,
  },
  { path: (m) => m.outputs.apiReference, emit: emitApiReference },
  { path: (m) => m.outputs.crd, emit: emitCrd },
  { path: (m) => m.outputs.rbac, emit: emitRbac },
  { path: (m) => m.outputs.namespace, emit: emitNamespace },
  { path: (m) => m.outputs.operatorDeployment, emit: emitOperatorDeployment },
  { path: (m) => m.outputs.flowSchema, emit: emitFlowSchema },
  { path: (m) => m.outputs.kustomization, emit: emitKustomization },
  { path: (m) => m.outputs.rbacNamespaced.operator, emit: emitNamespacedRbacOperator },
  { path: (m) => m.outputs.rbacNamespaced.watchedRole, emit: emitNamespacedRbacWatchedRole },
  { path: (m) => m.outputs.rbacNamespaced.watchedKustomization, emit: emitNamespacedRbacKustomization },
];

async function renderOutput(spec: OutputSpec, model: GeneratorModel): Promise<OutputFile> {
  const emitted = await spec.emit(model);
  return formatOutput(typeof emitted === "string" ? { path: spec.path(model), content: emitted } : { path: spec.path(model), ...emitted });
}

/** Emits every output of a model, formatted, in a fixed order. Pure apart from prettier. */
export async function renderOutputs(model: GeneratorModel): Promise<OutputFile[]> {
  return Promise.all(OUTPUTS.map((spec) => renderOutput(spec, model)));
}

/** Runs load → validate → model → emit → format for a schema already in memory; writes nothing. */
export async function generateFromLoaded(loaded: LoadedSchema, options: GenerateOptions): Promise<OutputFile[]> {
  validateSchema(loaded);
  return renderOutputs(buildModel(loaded, options));
}

/**
 * The file as the last run wrote it, with its first line (the header) made the current one; `undefined` unless the
 * file is exactly as recorded and its first line is a header of this schema.
 */
async function keptOutput(root: string, path: string, recordedSha256: string, model: GeneratorModel): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(resolve(root, path), "utf8");
  } catch {
    return undefined;
  }
  const newline = text.indexOf("\n");
  const header = GENERATED_HEADER_PATTERN.exec(text.slice(0, newline));
  if (newline < 0 || header?.[1] !== model.source.path || sha256(text) !== recordedSha256) return undefined;
  return text.slice(0, newline).replace(`(sha256 ${header[2] ?? ""})`, `(sha256 ${model.source.sha256})`) + text.slice(newline);
}

/**
 * Every output of a model (but those in `skip`), as {@link renderOutputs} makes them, except that an output made from
 * a part of the model that is as recorded, and whose file is as recorded, is the file with its header updated: it is
 * not emitted again. Also returns each such output's part hash, for the next record.
 */
async function renderOrKeepOutputs(
  root: string,
  model: GeneratorModel,
  generator: string,
  record: GenerationRecord | undefined,
  skip: ReadonlySet<string>,
): Promise<{ files: OutputFile[]; madeFrom: Map<string, string>; emitted: string[] }> {
  const madeFrom = new Map<string, string>();
  const kept = new Set<string>();
  const rendered = await Promise.all(
    OUTPUTS.map(async (spec) => {
      const path = spec.path(model);
      if (skip.has(path)) return undefined;
      if (spec.part === undefined) return renderOutput(spec, model);
      const hash = partHash(generator, path, spec.part(model));
      madeFrom.set(path, hash);
      const recorded = record?.outputs.find((o) => o.path === path);
      const text = recorded?.madeFrom === hash ? await keptOutput(root, path, recorded.sha256, model) : undefined;
      if (text === undefined) return renderOutput(spec, model);
      kept.add(path);
      return { path, content: text };
    }),
  );
  const files = rendered.filter((f) => f !== undefined);
  return { files, madeFrom, emitted: files.map((f) => f.path).filter((p) => !kept.has(p)) };
}

/**
 * The outputs whose state needs no rendering: missing, or stale because their first line is not the header this run
 * writes (every output begins with it, and it carries the schema's hash: after any schema edit, every file not yet
 * generated again). `--check` renders only the others, so a check after an unregenerated edit loads no emitter library.
 */
async function statesWithoutRendering(root: string, paths: readonly string[], model: GeneratorModel): Promise<FileState[]> {
  const states = await Promise.all(
    paths.map(async (path): Promise<FileState | undefined> => {
      let text: string;
      try {
        text = await readFile(resolve(root, path), "utf8");
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") return { path, state: "missing" };
        throw error;
      }
      const header = GENERATED_HEADER_PATTERN.exec(text.split("\n", 1)[0] ?? "");
      return header?.[1] === model.source.path && header[2] === model.source.sha256 ? undefined : { path, state: "stale" };
    }),
  );
  return states.filter((s) => s !== undefined);
}

/** Result of {@link generate}. */
export interface GenerateResult {
  /** Every output's path, in a fixed order. */
  readonly outputs: readonly string[];
  /**
   * The outputs rendered. In check mode, those whose file is missing or does not begin with this run's header are
   * not rendered: their state needs no content.
   */
  readonly files: readonly OutputFile[];
  /** Paths rewritten (write mode) — empty in check mode. */
  readonly written: readonly string[];
  /** Per output, fresh/stale/missing as found before writing; plus orphaned files of this schema. */
  readonly states: readonly FileState[];
  /** Orphaned generated files removed (write mode). */
  readonly removed: readonly string[];
  /** Outputs emitted by this run; the others were kept from the last run (their part of the model is as recorded). */
  readonly emitted: readonly string[];
}

/**
 * Generates every output from the schema file; with `check`, only compares with disk. `started`: a worker for the
 * skeleton the caller started before loading this module (the CLI, when there is no record: see {@link AsideEmitter}),
 * used if this run makes every file; the caller stops it.
 */
export async function generate(options: GenerateOptions, mode: { check: boolean } = { check: false }, started?: AsideEmitter): Promise<GenerateResult> {
  const recorded = recordedOptions(options);
  const record = readRecord(options.root, recordPath(recorded));
  // Every file to make (no record): ts-morph starts loading in a worker now, beside the schema's checks.
  // Claimed before the record is read: of two runs at once, only one may use the worker.
  const mayUseAside = !mode.check && (started !== undefined || !asideUsed);
  const claims = mayUseAside && started === undefined;
  if (claims) asideUsed = true;
  let aside: AsideEmitter | undefined;
  if (mayUseAside && (await record) === undefined) aside = started ?? new AsideEmitter();
  else if (claims) asideUsed = false;
  try {
    return await generateWith(options, mode, recorded, await record, aside);
  } finally {
    if (aside !== started) await aside?.stop();
  }
}

async function generateWith(
  options: GenerateOptions,
  mode: { check: boolean },
  recorded: ReturnType<typeof recordedOptions>,
  record: Awaited<ReturnType<typeof readRecord>>,
  aside: AsideEmitter | undefined,
): Promise<GenerateResult> {
  const loaded = await loadSchema(options.schemaPath, options.root);
  validateSchema(loaded);
  const generator = await generatorHash(recorded);
  const model = buildModel(loaded, options);
  if (aside !== undefined) asideOf.set(model, aside);
  const outputs = OUTPUTS.map((spec) => spec.path(model));
  const known = mode.check ? await statesWithoutRendering(options.root, outputs, model) : [];
  const { files, madeFrom, emitted } = await renderOrKeepOutputs(options.root, model, generator, record, new Set(known.map((s) => s.path)));
  const dirs = outputs.map((p) => posix.dirname(p));
  // Only files generated from this same schema count: another schema may share the folders.
  const orphans = await findOrphans(options.root, dirs, [...outputs, recordPath(recorded)], (firstLine) => isGeneratedFrom(firstLine, loaded.displayPath));
  const compared = [...known, ...(await compareOutputs(options.root, files))];
  const states: FileState[] = [
    ...outputs.map((path) => compared.find((s) => s.path === path)!),
    ...orphans.map((path) => ({ path, state: "orphaned" as const })),
  ];
  if (mode.check) return { outputs, files, written: [], states, removed: [], emitted };
  const newRecord = renderRecord(generatedHeader({ source: { path: loaded.displayPath, sha256: loaded.sha256 } }, "hash"), {
    inputs: await inputsHash(loaded.text, recorded),
    outputs: files.map((f) => ({ path: f.path, sha256: sha256(f.content), madeFrom: madeFrom.get(f.path) })),
  });
  // The record is written with the outputs (atomically), but is not one: it is not reported.
  const written = (await writeOutputs(options.root, [...files, { path: recordPath(recorded), content: newRecord }])).filter((p) => outputs.includes(p));
  const removed = await removeOrphans(options.root, orphans);
  return { outputs, files, written, states, removed, emitted };
}
