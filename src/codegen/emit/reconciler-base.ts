/**
 * Emits the reconcile skeleton (generation gap): an abstract base class, built from
 * ts-morph structures, that extends the runtime's ResourceReconciler with one typed,
 * abstract change hook per spec field. A new schema field adds a hook, so a hand-written
 * subclass that does not implement it stops compiling.
 */
import {
  Project,
  Scope,
  StructureKind,
  type ClassDeclarationStructure,
  type MethodDeclarationStructure,
  type OptionalKind,
  type StatementStructures,
} from "ts-morph";
import type { GeneratorModel, SpecField } from "../model.ts";
import { generatedHeader } from "./header.ts";

/** Makes text safe inside a `/** … *\/` comment. */
export function escapeDocComment(text: string): string {
  return text.replaceAll("*/", "*\\/").replaceAll("\r", "");
}

function fieldType(model: GeneratorModel, field: SpecField): string {
  return `${model.typeNames.spec}[${JSON.stringify(field.name)}]`;
}

function hookDocs(field: SpecField): string {
  const lines = [
    `Called when \`spec.${field.name}\` changed since the last fully successful reconcile (not on creation: {@link onCreate} runs then).`,
    "",
    escapeDocComment(field.description.trim()),
    "",
    "To do: make the server match `change.current` where applying {@link desired} cannot (it already sees the new value), or refuse with `this.failed(...)`; return `this.done()` once converged, `this.waitFor(...)` to be called again.",
  ];
  if (field.sensitive)
    lines.push("Sensitive: `change.previous` is always `undefined` (only a salted hash of the old value is kept); never log, record or return the value.");
  if (!field.alwaysPresent) lines.push("Optional: `change.current` is `undefined` when the field was removed.");
  return lines.join("\n");
}

function hookMethod(model: GeneratorModel, field: SpecField): OptionalKind<MethodDeclarationStructure> {
  const t = fieldType(model, field);
  const previous = field.sensitive ? "undefined" : `${t} | undefined`;
  return {
    name: field.hookName,
    isAbstract: true,
    scope: Scope.Public,
    docs: [
      {
        description: hookDocs(field),
        tags: [
          { tagName: "param", text: `resource - the ${model.kind} as read from the cache` },
          { tagName: "param", text: "change - the value applied last time (`previous`) and the value now in the spec (`current`)" },
          { tagName: "param", text: "ctx - the runtime: cache, apply, delete, events, log" },
        ],
      },
    ],
    parameters: [
      { name: "resource", type: model.typeNames.resource },
      { name: "change", type: `{ readonly previous: ${previous}; readonly current: ${t} }` },
      { name: "ctx", type: "ReconcileContext" },
    ],
    returnType: `Promise<HookResult<${model.typeNames.status}>>`,
  };
}

function fingerprintBody(model: GeneratorModel): string {
  const lines = ["const spec = resource.spec;", "const fingerprints: Record<string, string> = {};"];
  for (const f of model.specFields) {
    const access = `spec[${JSON.stringify(f.name)}]`;
    const value = f.sensitive ? `sensitiveFingerprint(resource.metadata.uid ?? "", ${access})` : `canonicalJson(${access})`;
    lines.push(`if (${access} !== undefined) fingerprints[${JSON.stringify(f.name)}] = ${value};`);
  }
  lines.push("return fingerprints;");
  return lines.join("\n");
}

function dispatchBody(model: GeneratorModel): string {
  const status = model.typeNames.status;
  const lines = [
    "const current = this.fingerprint(resource);",
    // One closure per field keeps each hook call fully typed while the loop stays generic.
    `const hooks: [string, () => Promise<HookResult<${status}>>][] = [`,
  ];
  for (const f of model.specFields) {
    const key = JSON.stringify(f.name);
    const previous = f.sensitive ? "undefined" : `previousValue<${fieldType(model, f)}>(previous[${key}])`;
    lines.push(`  [${key}, () => this.${f.hookName}(resource, { previous: ${previous}, current: resource.spec[${key}] }, ctx)],`);
  }
  lines.push(
    "];",
    `let facts: Partial<${status}> = {};`,
    "const messages: string[] = [];",
    "for (const [field, call] of hooks) {",
    "  if (current[field] === previous[field]) continue;",
    "  const result = await call();",
    '  if (result.kind !== "done") return { ...result, status: { ...facts, ...result.status } };',
    "  facts = { ...facts, ...result.status };",
    "  if (result.message !== undefined) messages.push(result.message);",
    "}",
    'return done(messages.length > 0 ? messages.join("; ") : undefined, facts);',
  );
  return lines.join("\n");
}

/** The whole file as ts-morph statement structures. */
function statements(model: GeneratorModel): StatementStructures[] {
  const { resource, spec, status } = model.typeNames;
  const p = model.constantPrefix;
  const className = `${model.kind}ReconcilerBase`;
  const cls: ClassDeclarationStructure = {
    kind: StructureKind.Class,
    name: className,
    isExported: true,
    isAbstract: true,
    extends: `ResourceReconciler<${resource}>`,
    docs: [
      {
        description: [
          `The reconcile skeleton of ${model.kind}: the runtime's loop (read, finalizer, apply {@link desired}, hooks, status) with one typed hook per spec field.`,
          `Extend it by hand under src/ (never edit this file) and implement {@link desired}, {@link onCreate}, {@link finalize} and every \`on…Change\` hook.`,
          "A field added to the schema adds an abstract hook here, so the subclass stops compiling until it handles the field.",
          "",
          "Hooks never sleep and never write status: they return `this.done()`, `this.waitFor(ms, reason, message)` or `this.failed(reason, message)` and hand status facts back in the result.",
          "Change hooks run in schema order and stop at the first result that is not done; the runtime records the new fingerprints only after every hook reported done, so a hook may be called again with the same change and must be idempotent.",
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
    ],
    methods: [
      ...model.specFields.map((f) => hookMethod(model, f)),
      {
        name: "fingerprint",
        scope: Scope.Protected,
        hasOverrideKeyword: true,
        docs: [
          {
            description:
              "Per spec field, canonical JSON of its value; sensitive fields only as `sha256:<hex>`, an HMAC keyed by the object's uid, so status never holds a secret.",
          },
        ],
        parameters: [{ name: "resource", type: resource }],
        returnType: "Record<string, string>",
        statements: fingerprintBody(model),
      },
      {
        name: "dispatchChanges",
        scope: Scope.Protected,
        isAsync: true,
        hasOverrideKeyword: true,
        docs: [
          {
            description:
              "Calls, in schema order, the hook of every field whose fingerprint differs from `previous`; stops at the first result that is not done and returns it, carrying the status facts gathered so far.",
          },
        ],
        parameters: [
          { name: "resource", type: resource },
          { name: "previous", type: "Record<string, string>" },
          { name: "ctx", type: "ReconcileContext" },
        ],
        returnType: `Promise<HookResult<${status}>>`,
        statements: dispatchBody(model),
      },
      {
        name: "done",
        scope: Scope.Protected,
        docs: [{ description: "Typed {@link HookResult}: the hook finished; `status` facts are merged into the status the loop writes." }],
        parameters: [
          { name: "message", type: "string", hasQuestionToken: true },
          { name: "status", type: `Partial<${status}>`, hasQuestionToken: true },
        ],
        returnType: `HookResult<${status}>`,
        statements: "return done(message, status);",
      },
      {
        name: "waitFor",
        scope: Scope.Protected,
        docs: [{ description: "Typed {@link HookResult}: call the hook again after `afterMs` (e.g. while a Job runs); `reason` is CamelCase." }],
        parameters: [
          { name: "afterMs", type: "number" },
          { name: "reason", type: "string" },
          { name: "message", type: "string" },
          { name: "status", type: `Partial<${status}>`, hasQuestionToken: true },
        ],
        returnType: `HookResult<${status}>`,
        statements: "return waitFor(afterMs, reason, message, status);",
      },
      {
        name: "failed",
        scope: Scope.Protected,
        docs: [{ description: "Typed {@link HookResult}: the hook cannot go on without a person (or a back-off retry); `reason` is CamelCase." }],
        parameters: [
          { name: "reason", type: "string" },
          { name: "message", type: "string" },
          { name: "status", type: `Partial<${status}>`, hasQuestionToken: true },
        ],
        returnType: `HookResult<${status}>`,
        statements: "return failed(reason, message, status);",
      },
      {
        name: "conditionOf",
        scope: Scope.Protected,
        docs: [{ description: "The condition of the given type in the resource's status, if any." }],
        parameters: [
          { name: "resource", type: resource },
          { name: "type", type: "string" },
        ],
        returnType: `NonNullable<${status}["conditions"]>[number] | undefined`,
        statements: "return resource.status?.conditions?.find((c) => c.type === type);",
      },
    ],
  };
  const hasSensitive = model.specFields.some((f) => f.sensitive);
  const hasPlain = model.specFields.some((f) => !f.sensitive);
  const sensitiveFingerprint: StatementStructures[] = hasSensitive
    ? [
        {
          kind: StructureKind.Function,
          name: "sensitiveFingerprint",
          docs: [{ description: "`sha256:<hex>` of a secret value, keyed by `salt` (the object's uid) so equal secrets of different objects differ." }],
          parameters: [
            { name: "salt", type: "string" },
            { name: "value", type: "unknown" },
          ],
          returnType: "string",
          statements: 'return `sha256:${createHmac("sha256", salt).update(canonicalJson(value)).digest("hex")}`;',
        },
      ]
    : [];
  const statementsList: (StatementStructures | false)[] = [
    hasSensitive && { kind: StructureKind.ImportDeclaration, moduleSpecifier: "node:crypto", namedImports: ["createHmac"] },
    {
      kind: StructureKind.ImportDeclaration,
      moduleSpecifier: model.runtimeImports.resourceReconciler,
      namedImports: ["done", "failed", "ResourceReconciler", "waitFor"],
    },
    {
      kind: StructureKind.ImportDeclaration,
      isTypeOnly: true,
      moduleSpecifier: model.runtimeImports.resourceReconciler,
      namedImports: ["HookResult", "ReconcileContext", "ResourceType"],
    },
    {
      kind: StructureKind.ImportDeclaration,
      moduleSpecifier: `./${baseName(model.outputs.constants)}`,
      namedImports: [`${p}_FINALIZER`, `${p}_RESOURCE_TYPE`],
    },
    {
      kind: StructureKind.ImportDeclaration,
      isTypeOnly: true,
      moduleSpecifier: `./${baseName(model.outputs.models)}`,
      namedImports: [...new Set([resource, spec, status])],
    },
    {
      kind: StructureKind.Function,
      name: "canonicalJson",
      docs: [{ description: "JSON with object keys sorted, so equal values always give equal fingerprints." }],
      parameters: [{ name: "value", type: "unknown" }],
      returnType: "string",
      statements: [
        "return JSON.stringify(value, (_key, v: unknown) =>",
        '  typeof v === "object" && v !== null && !Array.isArray(v)',
        "    ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))",
        "    : v,",
        ");",
      ].join("\n"),
    },
    ...sensitiveFingerprint,
    hasPlain && {
      kind: StructureKind.Function,
      name: "previousValue",
      typeParameters: ["T"],
      docs: [{ description: "Decodes a non-sensitive fingerprint back into the value it was taken from; `undefined` when absent or unreadable." }],
      parameters: [{ name: "fingerprint", type: "string | undefined" }],
      returnType: "T | undefined",
      statements: [
        "if (fingerprint === undefined) return undefined;",
        "try {",
        "  return JSON.parse(fingerprint) as T;",
        "} catch {",
        "  return undefined;",
        "}",
      ].join("\n"),
    },
    cls,
  ];
  return statementsList.filter((s): s is StatementStructures => s !== false);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

let project: Project | undefined;

/** Renders `generated/<singular>-reconciler-base.ts` (unformatted). */
export function emitReconcilerBase(model: GeneratorModel): string {
  project ??= new Project({ useInMemoryFileSystem: true, skipLoadingLibFiles: true });
  const file = project.createSourceFile("/reconciler-base.ts", { statements: statements(model) }, { overwrite: true });
  const text = file.getFullText();
  project.removeSourceFile(file);
  return `${generatedHeader(model, "line")}\n${text}`;
}
