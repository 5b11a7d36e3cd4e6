/**
 * Emits the reconcile skeleton (generation gap): an abstract base class, built from ts-morph
 * structures, that extends the runtime's ResourceReconciler with what varies with the schema
 * only: the field table the loop reads and one typed, abstract change hook per spec field whose
 * change policy is `hook`. A new such field adds a hook, so a hand-written subclass that does not
 * implement it stops compiling. Fingerprints, dispatch and result constructors are the runtime's.
 */
import {
  printStructure,
  Scope,
  StructureKind,
  type ClassDeclarationStructure,
  type InterfaceDeclarationStructure,
  type MethodDeclarationStructure,
  type OptionalKind,
  type StatementStructures,
  ts,
} from "ts-morph";
import type { ReconcilerBaseField, ReconcilerBaseInput } from "./inputs.ts";
import { generatedHeader } from "./header.ts";
import { isCommentLine, linesFit } from "./prettier-form.ts";
import { getStringWidth, PRINT_WIDTH } from "./string-width.ts";

/**
 * Makes text safe inside a `/** … *\/` comment: no `*\/` that would end it, and no `/*`, which ts-morph's writer takes
 * for a comment of its own inside it (it then ends the JSDoc early: found in review, a description `a/*.sql`).
 */
export function escapeDocComment(text: string): string {
  return text.replaceAll("*/", "*\\/").replaceAll("/*", "/\\*").replaceAll("\r", "");
}

function fieldType(model: ReconcilerBaseInput, field: ReconcilerBaseField): string {
  return `${model.typeNames.spec}[${JSON.stringify(field.name)}]`;
}

function changesName(model: ReconcilerBaseInput): string {
  return `${model.kind}Changes`;
}

function changeName(model: ReconcilerBaseInput): string {
  return `${model.kind}Change`;
}

function hookFields(model: ReconcilerBaseInput): ReconcilerBaseField[] {
  return model.specFields.filter((f) => f.onChange === "hook");
}

function hookDocs(model: ReconcilerBaseInput, field: ReconcilerBaseField): string {
  const lines = [
    `Called when \`spec.${field.name}\` changed since the last fully successful reconcile (not on creation: {@link onCreate} runs then).`,
    "",
    // Field names are identifiers (validate.ts), so the link is one too.
    field.description === undefined ? `What the field means: {@link ${model.typeNames.spec}.${field.name}}.` : escapeDocComment(field.description.trim()),
    "",
    "To do: make the server match `change.current` where applying {@link desired} cannot (it already sees the new value), or refuse with `this.failed(...)`; return `this.done()` once converged, `this.waitFor(...)` to be called again.",
    `Declare the parameter as \`${changeName(model)}<${JSON.stringify(field.name)}>\`, so that a change of the field's type in the schema reaches this code.`,
  ];
  if (field.sensitive)
    lines.push("Sensitive: `change.previous` is always `undefined` (only a salted hash of the old value is kept); never log, record or return the value.");
  if (!field.alwaysPresent) lines.push("Optional: `change.current` is `undefined` when the field was removed.");
  return lines.join("\n");
}

function hookMethod(model: ReconcilerBaseInput, field: ReconcilerBaseField): OptionalKind<MethodDeclarationStructure> {
  return {
    name: field.hookName,
    isAbstract: true,
    scope: Scope.Public,
    docs: [
      {
        description: hookDocs(model, field),
        tags: [
          { tagName: "param", text: `resource - the ${model.kind} as read from the cache` },
          { tagName: "param", text: "change - the value applied last time (`previous`) and the value now in the spec (`current`)" },
          { tagName: "param", text: "ctx - the runtime: cache, apply, delete, events, log" },
        ],
      },
    ],
    parameters: [
      { name: "resource", type: model.typeNames.resource },
      { name: "change", type: `${changeName(model)}<${JSON.stringify(field.name)}>` },
      { name: "ctx", type: "ReconcileContext" },
    ],
    returnType: `Promise<HookResult<${model.typeNames.status}>>`,
  };
}

/** The named change types: one property per hooked field, and `KindChange<"field">` to pick one. */
function changeTypes(model: ReconcilerBaseInput): StatementStructures[] {
  const changes: InterfaceDeclarationStructure = {
    kind: StructureKind.Interface,
    name: changesName(model),
    isExported: true,
    docs: [
      { description: `What the change hook of each \`hook\` field of ${model.kind} is given: the value applied last time and the value now in the spec.` },
    ],
    properties: hookFields(model).map((f) => ({
      name: f.name,
      isReadonly: true,
      type: `${f.sensitive ? "SensitiveFieldChange" : "FieldChange"}<${fieldType(model, f)}>`,
      docs: [{ description: `\`spec.${f.name}\`${f.sensitive ? " (sensitive: `previous` is never known)" : ""}.` }],
    })),
  };
  return [
    changes,
    {
      kind: StructureKind.TypeAlias,
      name: changeName(model),
      isExported: true,
      typeParameters: [{ name: "K", constraint: `keyof ${changesName(model)}` }],
      type: `${changesName(model)}[K]`,
      docs: [
        {
          description: `The change of one spec field, e.g. \`${changeName(model)}<${JSON.stringify(hookFields(model)[0]?.name ?? "field")}>\`: the parameter type of its hook.`,
        },
      ],
    },
  ];
}

/** The policies of the fields without a hook, for the class comment. */
function policyDocs(model: ReconcilerBaseInput): string[] {
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

function changeHooksBody(model: ReconcilerBaseInput): string {
  const entries = hookFields(model).map((f) => {
    // A sensitive field's previous value is never known; saying so keeps the hook's parameter type exact.
    const change = f.sensitive ? "{ previous: undefined, current: change.current }" : "change";
    // Field names are identifiers (validate.ts): keys without quotes, as prettier prints them.
    return `  ${f.name}: (resource, change, ctx) => this.${f.hookName}(resource, ${change}, ctx),`;
  });
  return ["return {", ...entries, "};"].join("\n");
}

/** The whole file as ts-morph statement structures. */
function statements(model: ReconcilerBaseInput): StatementStructures[] {
  const { resource, spec, status } = model.typeNames;
  const p = model.constantPrefix;
  const hooked = hookFields(model);
  const hasSensitiveHook = hooked.some((f) => f.sensitive);
  const hasPlainHook = hooked.some((f) => !f.sensitive);
  const cls: ClassDeclarationStructure = {
    kind: StructureKind.Class,
    name: `${model.kind}ReconcilerBase`,
    isExported: true,
    isAbstract: true,
    extends: `ResourceReconciler<${resource}>`,
    docs: [
      {
        description: [
          `The reconcile skeleton of ${model.kind}: the runtime's loop (read, finalizer, apply {@link desired}, change policies, status) with one typed hook per spec field whose change policy is \`hook\`.`,
          `Extend it by hand under src/ (never edit this file) and implement {@link desired}, {@link onCreate}, {@link finalize} and every \`on…Change\` hook.`,
          "A hooked field added to the schema adds an abstract hook here, so the subclass stops compiling until it handles the field.",
          "",
          "Hooks never sleep and never write status: they return `this.done()`, `this.waitFor(ms, reason, message)` or `this.failed(reason, message)` and hand status facts back in the result.",
          "Change hooks run in schema order and stop at the first result that is not done; the runtime records the new fingerprints only after every hook reported done, so a hook may be called again with the same change and must be idempotent.",
          ...policyDocs(model),
        ].join("\n"),
      },
    ],
    properties: [
      {
        name: "resourceType",
        isReadonly: true,
        hasOverrideKeyword: true,
        type: "ResourceType",
        initializer: `${p}_RESOURCE_TYPE`,
        docs: [{ description: `${model.group}/${model.storageVersion.name} ${model.kind}.` }],
      },
      {
        name: "finalizer",
        isReadonly: true,
        hasOverrideKeyword: true,
        type: "string",
        initializer: `${p}_FINALIZER`,
        docs: [{ description: "Holds deletion until {@link finalize} reports done." }],
      },
      {
        name: "specFields",
        scope: Scope.Protected,
        isReadonly: true,
        hasOverrideKeyword: true,
        type: "readonly SpecFieldInfo[]",
        initializer: `${p}_SPEC_FIELDS`,
        docs: [{ description: "The spec fields in schema order, with their change policy." }],
      },
    ],
    methods: [
      ...hooked.map((f) => hookMethod(model, f)),
      {
        name: "specProblems",
        scope: Scope.Protected,
        hasOverrideKeyword: true,
        docs: [
          {
            description:
              "What the schema refuses in the resource's spec (the offline validator's verdict): the loop neither adds the finalizer nor runs a hook then.",
          },
        ],
        parameters: [{ name: "resource", type: resource }],
        returnType: "string[]",
        statements: `return validate${resource}(resource)
  .filter((issue) => issue.path[0] === "spec")
  .map((issue) => issue.message);`,
      },
      {
        name: "changeHooks",
        scope: Scope.Protected,
        hasOverrideKeyword: true,
        docs: [{ description: "The hooks by field, for the runtime's dispatch." }],
        returnType: `ChangeHooks<${resource}>`,
        statements: changeHooksBody(model),
      },
    ],
  };
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
  return [
    { kind: StructureKind.ImportDeclaration, moduleSpecifier: model.runtimeImports.index, namedImports: ["ResourceReconciler"] },
    { kind: StructureKind.ImportDeclaration, isTypeOnly: true, moduleSpecifier: model.runtimeImports.index, namedImports: runtimeTypes },
    {
      kind: StructureKind.ImportDeclaration,
      moduleSpecifier: `./${baseName(model.outputs.constants)}`,
      namedImports: [`${p}_FINALIZER`, `${p}_RESOURCE_TYPE`, `${p}_SPEC_FIELDS`],
    },
    { kind: StructureKind.ImportDeclaration, isTypeOnly: true, moduleSpecifier: `./${baseName(model.outputs.models)}`, namedImports: modelTypes },
    { kind: StructureKind.ImportDeclaration, moduleSpecifier: `./${baseName(model.outputs.validator)}`, namedImports: [`validate${resource}`] },
    ...changeTypes(model),
    cls,
  ];
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * A line ts-morph prints longer than {@link PRINT_WIDTH}, as prettier breaks it, for the shapes of this file that grow
 * past it with the names in the schema: an import of several names (one per line), an abstract method's signature (one
 * parameter per line), the change type alias (its type under the `=`) and a hook entry of `changeHooks` (its call under
 * the arrow). Any other line is given back as it is: too long, it makes {@link linesFit} refuse the text, which is
 * then left to prettier (a field name past some 40 characters, a kind past some 26).
 */
function prettierBreak(line: string): string[] {
  if (isCommentLine(line) || getStringWidth(line) <= PRINT_WIDTH) return [line];
  const imported = /^(import (?:type )?)\{ (.+, .+) \} (from .+;)$/.exec(line);
  if (imported !== null) {
    const [, head = "", names = "", from = ""] = imported;
    return [`${head}{`, ...names.split(", ").map((n) => `  ${n},`), `} ${from}`];
  }
  const method = /^(\s+)((?:public |protected )?abstract \w+)\((.+)\)(: .+;)$/.exec(line);
  if (method !== null) {
    const [, indent = "", head = "", parameters = "", returns = ""] = method;
    return [`${indent}${head}(`, ...parameters.split(", ").map((p) => `${indent}  ${p},`), `${indent})${returns}`];
  }
  const alias = /^(export type .+ =) (.+;)$/.exec(line);
  if (alias !== null) return [alias[1] ?? "", `  ${alias[2] ?? ""}`];
  const hook = /^(\s+)(\w+: \(resource, change, ctx\) =>) (.+,)$/.exec(line);
  if (hook !== null) {
    const [, indent = "", head = "", call = ""] = hook;
    return [`${indent}${head}`, `${indent}  ${call}`];
  }
  return [line];
}

/** ts-morph's empty braces (`{` at a line's end, `}` on the next: an interface without hooks) as prettier's `{}`. */
function joinEmptyBraces(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const previous = out[out.length - 1];
    const indent = /^\s*/.exec(previous ?? "")?.[0] ?? "";
    if (previous?.endsWith("{") === true && /^\s*\};?$/.test(line) && line.startsWith(`${indent}}`)) out[out.length - 1] = `${previous}${line.trimStart()}`;
    else out.push(line);
  }
  return out;
}

/**
 * Whether TypeScript's parser reads `text` without a syntax error. Text that ts-morph printed from user strings could
 * in principle be broken (it was, for a description holding `/*`); prettier, which used to format every skeleton, then
 * refused it loudly, so a skeleton is final only when it parses. `parseDiagnostics` is the parser's own list (some
 * 30 ms on a cold parser); should a TypeScript version not have it, the skeleton is not final and prettier decides.
 */
export function parsesCleanly(text: string): boolean {
  const file = ts.createSourceFile("skeleton.ts", text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const diagnostics = (file as unknown as { parseDiagnostics?: readonly unknown[] }).parseDiagnostics;
  return diagnostics !== undefined && diagnostics.length === 0;
}

/**
 * Renders `generated/<singular>-reconciler-base.ts`: ts-morph prints the structures as text (no project or syntax tree
 * needed), two spaces a level as prettier indents; with its long lines broken as prettier breaks them
 * ({@link prettierBreak}), the text is final when every line then fits, else it is left to prettier. `layout` false:
 * as ts-morph prints it, never final (the format tests compare the two through prettier).
 */
export function emitReconcilerBase(model: ReconcilerBaseInput, layout = true): { content: string; final: boolean } {
  const printed = `${generatedHeader(model, "line")}\n${printStructure({ kind: StructureKind.SourceFile, statements: statements(model) }, { indentNumberOfSpaces: 2 })}`;
  if (!layout) return { content: printed, final: false };
  const content = joinEmptyBraces(printed.split("\n")).flatMap(prettierBreak).join("\n");
  return { content, final: linesFit(content) && parsesCleanly(content) };
}
