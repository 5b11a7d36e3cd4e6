/**
 * Emits the reconcile skeleton (generation gap): an abstract base class, printed from a template
 * (prettier lays it out), that extends the runtime's ResourceReconciler with what varies with the schema
 * only: the field table the loop reads and one typed, abstract change hook per spec field whose
 * change policy is `hook`. A new such field adds a hook, so a hand-written subclass that does not
 * implement it stops compiling. Fingerprints, dispatch and result constructors are the runtime's.
 */
import type { GeneratorModel, SpecField } from "../model.ts";
import { generatedHeader } from "./header.ts";

/** Makes text safe inside a `/** … *\/` comment. */
export function escapeDocComment(text: string): string {
  return text.replaceAll("*/", "*\\/").replaceAll("\r", "");
}

function fieldType(model: GeneratorModel, field: SpecField): string {
  return `${model.typeNames.spec}[${JSON.stringify(field.name)}]`;
}

function changesName(model: GeneratorModel): string {
  return `${model.kind}Changes`;
}

function changeName(model: GeneratorModel): string {
  return `${model.kind}Change`;
}

function hookFields(model: GeneratorModel): SpecField[] {
  return model.specFields.filter((f) => f.onChange === "hook");
}

function hookDocs(model: GeneratorModel, field: SpecField): string {
  const lines = [
    `Called when \`spec.${field.name}\` changed since the last fully successful reconcile (not on creation: {@link onCreate} runs then).`,
    "",
    escapeDocComment(field.description.trim()),
    "",
    "To do: make the server match `change.current` where applying {@link desired} cannot (it already sees the new value), or refuse with `this.failed(...)`; return `this.done()` once converged, `this.waitFor(...)` to be called again.",
    `Declare the parameter as \`${changeName(model)}<${JSON.stringify(field.name)}>\`, so that a change of the field's type in the schema reaches this code.`,
  ];
  if (field.sensitive)
    lines.push("Sensitive: `change.previous` is always `undefined` (only a salted hash of the old value is kept); never log, record or return the value.");
  if (!field.alwaysPresent) lines.push("Optional: `change.current` is `undefined` when the field was removed.");
  return lines.join("\n");
}

/** A TSDoc comment: one line when it fits the description alone, else one ` * ` line per line of text. */
function docComment(description: string, tags: readonly string[] = []): string {
  const lines = [...description.split("\n"), ...tags];
  if (lines.length === 1) return `/** ${lines[0]} */`;
  return ["/**", ...lines.map((line) => (line === "" ? " *" : ` * ${line}`)), " */"].join("\n");
}

function hookMethod(model: GeneratorModel, field: SpecField): string {
  const tags = [
    `@param resource - the ${model.kind} as read from the cache`,
    "@param change - the value applied last time (`previous`) and the value now in the spec (`current`)",
    "@param ctx - the runtime: cache, apply, delete, events, log",
  ];
  return `${docComment(hookDocs(model, field), tags)}
public abstract ${field.hookName}(resource: ${model.typeNames.resource}, change: ${changeName(model)}<${JSON.stringify(field.name)}>, ctx: ReconcileContext): Promise<HookResult<${model.typeNames.status}>>;`;
}

/** The named change types: one property per hooked field, and `KindChange<"field">` to pick one. */
function changeTypes(model: GeneratorModel): string[] {
  const properties = hookFields(model).map(
    (f) => `${docComment(`\`spec.${f.name}\`${f.sensitive ? " (sensitive: `previous` is never known)" : ""}.`)}
readonly ${f.name}: ${f.sensitive ? "SensitiveFieldChange" : "FieldChange"}<${fieldType(model, f)}>;`,
  );
  const example = JSON.stringify(hookFields(model)[0]?.name ?? "field");
  return [
    `${docComment(`What the change hook of each \`hook\` field of ${model.kind} is given: the value applied last time and the value now in the spec.`)}
export interface ${changesName(model)} {
${properties.join("\n")}
}`,
    `${docComment(`The change of one spec field, e.g. \`${changeName(model)}<${example}>\`: the parameter type of its hook.`)}
export type ${changeName(model)}<K extends keyof ${changesName(model)}> = ${changesName(model)}[K];`,
  ];
}

/** The policies of the fields without a hook, for the class comment. */
function policyDocs(model: GeneratorModel): string[] {
  const lines: string[] = [];
  for (const f of model.specFields) {
    if (f.onChange === "immutable")
      lines.push(
        `- \`spec.${f.name}\` is immutable: the API server refuses a change (a CEL transition rule in the CRD); one that gets past it fails the reconcile (reason FieldImmutable) while the applied value stays in force. No hook.`,
      );
    if (f.onChange === "rollout") lines.push(`- \`spec.${f.name}\` rolls out: applying {@link desired} is all a change needs. No hook.`);
  }
  return lines.length === 0 ? [] : ["", "Fields without a hook (`x-mysqlop-on-change`):", ...lines];
}

function changeHooksBody(model: GeneratorModel): string {
  const entries = hookFields(model).map((f) => {
    // A sensitive field's previous value is never known; saying so keeps the hook's parameter type exact.
    const change = f.sensitive ? "{ previous: undefined, current: change.current }" : "change";
    return `  ${JSON.stringify(f.name)}: (resource, change, ctx) => this.${f.hookName}(resource, ${change}, ctx),`;
  });
  return ["return {", ...entries, "};"].join("\n");
}

/** The whole file, unformatted: imports, the change types, the class. */
function statements(model: GeneratorModel): string[] {
  const { resource, spec, status } = model.typeNames;
  const p = model.constantPrefix;
  const hooked = hookFields(model);
  const hasSensitiveHook = hooked.some((f) => f.sensitive);
  const hasPlainHook = hooked.some((f) => !f.sensitive);
  const classDocs = [
    `The reconcile skeleton of ${model.kind}: the runtime's loop (read, finalizer, apply {@link desired}, change policies, status) with one typed hook per spec field whose change policy is \`hook\`.`,
    `Extend it by hand under src/ (never edit this file) and implement {@link desired}, {@link onCreate}, {@link finalize} and every \`on…Change\` hook.`,
    "A hooked field added to the schema adds an abstract hook here, so the subclass stops compiling until it handles the field.",
    "",
    "Hooks never sleep and never write status: they return `this.done()`, `this.waitFor(ms, reason, message)` or `this.failed(reason, message)` and hand status facts back in the result.",
    "Change hooks run in schema order and stop at the first result that is not done; the runtime records the new fingerprints only after every hook reported done, so a hook may be called again with the same change and must be idempotent.",
    ...policyDocs(model),
  ].join("\n");
  const properties = [
    `${docComment(`${model.group}/${model.storageVersion.name} ${model.kind}.`)}
override readonly resourceType: ResourceType = ${p}_RESOURCE_TYPE;`,
    `${docComment("Holds deletion until {@link finalize} reports done.")}
override readonly finalizer: string = ${p}_FINALIZER;`,
    `${docComment("The spec fields in schema order, with their change policy.")}
protected override readonly specFields: readonly SpecFieldInfo[] = ${p}_SPEC_FIELDS;`,
  ];
  const methods = [
    ...hooked.map((f) => hookMethod(model, f)),
    `${docComment("What the schema refuses in the resource's spec (the offline validator's verdict): the loop neither adds the finalizer nor runs a hook then.")}
protected override specProblems(resource: ${resource}): string[] {
return validate${resource}(resource)
  .filter((issue) => issue.path[0] === "spec")
  .map((issue) => issue.message);
}`,
    `${docComment("The hooks by field, for the runtime's dispatch.")}
protected override changeHooks(): ChangeHooks<${resource}> {
${changeHooksBody(model)}
}`,
  ];
  const runtimeTypes = [
    "ChangeHooks",
    ...(hasPlainHook ? ["FieldChange"] : []),
    "HookResult",
    ...(hooked.length > 0 ? ["ReconcileContext"] : []),
    "ResourceType",
    ...(hasSensitiveHook ? ["SensitiveFieldChange"] : []),
    "SpecFieldInfo",
  ];
  const modelTypes = [...new Set([resource, ...(hooked.length > 0 ? [spec] : []), status])];
  const from = (path: string): string => JSON.stringify(`./${baseName(path)}`);
  const imports = [
    `import { ResourceReconciler } from ${JSON.stringify(model.runtimeImports.index)};`,
    `import type { ${runtimeTypes.join(", ")} } from ${JSON.stringify(model.runtimeImports.index)};`,
    `import { ${p}_FINALIZER, ${p}_RESOURCE_TYPE, ${p}_SPEC_FIELDS } from ${from(model.outputs.constants)};`,
    `import type { ${modelTypes.join(", ")} } from ${from(model.outputs.models)};`,
    `import { validate${resource} } from ${from(model.outputs.validator)};`,
  ];
  // Blank lines are laid out here (prettier keeps them but never adds any): none between the
  // properties, one before each method and between top-level declarations.
  const cls = `${docComment(classDocs)}
export abstract class ${model.kind}ReconcilerBase extends ResourceReconciler<${resource}> {
${properties.join("\n")}

${methods.join("\n\n")}
}`;
  return [imports.join("\n"), ...changeTypes(model), cls];
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Renders `generated/<singular>-reconciler-base.ts` (unformatted). */
export function emitReconcilerBase(model: GeneratorModel): string {
  return `${generatedHeader(model, "line")}\n${statements(model).join("\n\n")}\n`;
}
