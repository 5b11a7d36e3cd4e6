/**
 * The models and the reconcile skeleton are laid out in prettier's form without prettier (emit/prettier-form.ts), the
 * constants printed in it, and each called final only when the layout models everything in it. These tests hold that claim to prettier itself: a final
 * output is exactly what prettier makes of the library's own text, for the MySQL schema, the fixtures, a sweep of names
 * across the line's width and randomly made schemas; and outputs the layouts do not model are left to prettier.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { format } from "prettier";
import { parse, stringify } from "yaml";
import { constantsInput, modelsInput, reconcilerBaseInput, validatorInput } from "../../src/codegen/emit/inputs.ts";
import { emitConstants } from "../../src/codegen/emit/constants.ts";
import { emitModels } from "../../src/codegen/emit/models.ts";
import { linesFit, modelsLayout, typeForm } from "../../src/codegen/emit/prettier-form.ts";
import { emitReconcilerBase, parsesCleanly } from "../../src/codegen/emit/reconciler-base.ts";
import { emitValidator } from "../../src/codegen/emit/validator.ts";
import { PRETTIER_OPTIONS } from "../../src/codegen/format.ts";
import { loadSchema, parseSchemaText, type LoadedSchema } from "../../src/codegen/load.ts";
import { buildModel, type GeneratorModel } from "../../src/codegen/model.ts";
import { validateSchema } from "../../src/codegen/validate.ts";
import { seededRandom } from "../helpers/seeded-random.ts";
import { createTempProject, editedSchema, mysqlSchemaText, repoRoot, SPEC_PROPERTIES } from "./temp-project.ts";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));

function prettier(text: string): Promise<string> {
  return format(text, { ...PRETTIER_OPTIONS, filepath: "generated.ts" });
}

interface Verdicts {
  constants: boolean;
  models: boolean;
  base: boolean;
}

/**
 * Emits the models and the skeleton with and without their layout: a final one must be prettier's text of the other,
 * byte for byte. The constants (a template, no layout) when final must be left alone by prettier.
 */
async function assertFinalIsPrettiers(name: string, model: GeneratorModel): Promise<Verdicts> {
  const constants = emitConstants(constantsInput(model));
  if (constants.final) assert.equal(constants.content, await prettier(constants.content), `${name}: constants`);
  const models = await emitModels(modelsInput(model));
  const printedModels = await emitModels(modelsInput(model), false);
  assert.equal(printedModels.final, false);
  if (models.final) assert.equal(models.content, await prettier(printedModels.content), `${name}: models`);
  else assert.equal(models.content, printedModels.content, `${name}: models not final are left as printed`);
  const base = emitReconcilerBase(reconcilerBaseInput(model));
  const printedBase = emitReconcilerBase(reconcilerBaseInput(model), false);
  assert.equal(printedBase.final, false);
  if (base.final) assert.equal(base.content, await prettier(printedBase.content), `${name}: reconciler base`);
  return { constants: constants.final, models: models.final, base: base.final };
}

function modelOf(loaded: LoadedSchema, runtimeImport?: string): GeneratorModel {
  validateSchema(loaded);
  return buildModel(loaded, { root: "/project", schemaPath: "schemas/x.yaml", runtimeImport });
}

test("the MySQL schema's and every fixture's models and reconcile skeleton are final, and exactly what prettier prints", async () => {
  assert.deepEqual(await assertFinalIsPrettiers("mysql", modelOf(parseSchemaText(await mysqlSchemaText(), "schemas/mysql.yaml"))), {
    constants: true,
    models: true,
    base: true,
  });
  for (const name of (await readdir(fixtures, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name)) {
    const root = join(fixtures, name);
    assert.deepEqual(await assertFinalIsPrettiers(name, modelOf(await loadSchema("schema.yaml", root))), { constants: true, models: true, base: true }, name);
  }
});

/** The status every schema declares (the runtime writes it): the minimal fixture's. */
const STANDARD_STATUS = (
  parse(readFileSync(join(fixtures, "minimal/schema.yaml"), "utf8")) as {
    versions: { schema: { openAPIV3Schema: { properties: { status: unknown } } } }[];
  }
).versions[0]?.schema.openAPIV3Schema.properties.status;

/** A schema file around `spec` (its properties, required list) with the standard status. */
function schemaFile(kind: string, spec: Record<string, unknown>): string {
  return stringify({
    group: "example.org",
    names: { kind, plural: `${kind.toLowerCase()}s`, singular: kind.toLowerCase() },
    scope: "Namespaced",
    finalizer: "example.org/cleanup",
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: { type: "object", description: "Spec.", ...spec },
              status: STANDARD_STATUS,
            },
          },
        },
      },
    ],
    operator: { serviceAccount: "x-operator", namespace: "x-system", resource: { verbs: ["get", "list", "watch"], status: ["patch"] } },
  });
}

test("names and enums across the line's width: each line's two sides of 120 columns laid out as prettier does", async () => {
  // A hooked field named with 1 to 90 characters: its hook's signature, its entry in changeHooks and its change type's
  // member cross 120 columns on the way. Its enum makes the models' member 118 to 122 columns wide: final up to 120.
  for (let n = 1; n <= 90; n++) {
    const name = `f${"x".repeat(n - 1)}`;
    const width = 118 + (n % 5);
    const values = width - 13 - n;
    const properties = {
      [name]: { type: "string", enum: ["a".repeat(Math.ceil(values / 2)), "b".repeat(Math.floor(values / 2))], "x-mysqlop-on-change": "hook" },
      token: { type: "string", "x-mysqlop-sensitive": true, "x-mysqlop-on-change": "hook" },
    };
    const verdicts = await assertFinalIsPrettiers(`field of ${n}`, modelOf(parseSchemaText(schemaFile("Sweep", { properties }), "schemas/x.yaml")));
    // Past 40 characters, its member of the change type needs a break the layout leaves to prettier; past 87 its entry
    // in the constants' list of fields is too long for a line.
    assert.deepEqual(verdicts, { constants: n <= 87, models: width <= 120, base: n <= 40 }, `a field of ${n} characters, its member ${width} columns wide`);
  }
  // Kinds of 3 to 60 characters: the class, the change type and the imports cross it too.
  for (let n = 3; n <= 60; n++) {
    const kind = `K${"k".repeat(n - 1)}`;
    const spec = {
      properties: {
        size: { type: "integer", "x-mysqlop-on-change": "hook" },
        token: { type: "string", "x-mysqlop-sensitive": true, "x-mysqlop-on-change": "hook" },
      },
    };
    const verdict = await assertFinalIsPrettiers(kind, modelOf(parseSchemaText(schemaFile(kind, spec), "schemas/x.yaml")));
    // Past 26 characters, the class's first line is longer than the line, as prettier leaves it: left to prettier.
    // Past 46, so is a constant's declaration.
    assert.deepEqual(verdict, { constants: n <= 46, models: true, base: n <= 26 }, kind);
  }
});

const WORDS = [
  "/*",
  "a/*.sql",
  "size",
  "a",
  "with",
  "日本語",
  "🐬",
  "é",
  "—",
  "…",
  "*/",
  "`code`",
  "x".repeat(70),
  "it's",
  '"quoted"',
  "a|b",
  "@deprecated",
  "\t",
  "<b>",
  "$ref",
];

function randomSchemaFile(seed: number): string {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const identifier = (max: number): string => {
    const length = 1 + Math.floor(next() * next() * max);
    let text = pick(["a", "b", "z", "_", "$", "Q"]);
    while (text.length < length) text += pick(["a", "e", "x", "1", "_", "Z"]);
    return text;
  };
  const description = (): string | undefined => {
    if (next() < 0.4) return undefined;
    const lines = Array.from({ length: 1 + Math.floor(next() * 3) }, () =>
      Array.from({ length: 1 + Math.floor(next() * 8) }, () => pick(WORDS)).join(pick([" ", " ", "  "])),
    );
    if (next() < 0.2) lines.splice(1, 0, "");
    if (next() < 0.1) lines.push("trailing   ");
    if (next() < 0.1) lines.unshift("  indented");
    return lines.join("\n");
  };
  const enumValue = (): string => pick(["red", "Green", "with space", "日本", "x".repeat(40), "it's", "a|b", "(x)", "1", "tab\there"]);
  const node = (depth: number): Record<string, unknown> => {
    const described = description();
    const base: Record<string, unknown> = described === undefined ? {} : { description: described };
    const kind =
      depth > 2
        ? pick(["string", "integer", "boolean"])
        : pick(["string", "enum", "integer", "number", "boolean", "intOrString", "array", "object", "map", "free", "embedded"]);
    switch (kind) {
      case "enum":
        return { ...base, type: "string", enum: [...new Set(Array.from({ length: 1 + Math.floor(next() * 6) }, enumValue))] };
      case "intOrString":
        return { ...base, "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] };
      case "array":
        return { ...base, type: "array", items: node(depth + 1) };
      case "object": {
        const properties: Record<string, unknown> = {};
        for (let i = 0; i < 1 + Math.floor(next() * 4); i++) properties[identifier(30)] = node(depth + 1);
        return { ...base, type: "object", ...(next() < 0.4 ? { title: `T${identifier(20)}` } : {}), properties };
      }
      case "map":
        return { ...base, type: "object", additionalProperties: node(depth + 1) };
      case "free":
        return { ...base, type: "object", "x-kubernetes-preserve-unknown-fields": true };
      case "embedded":
        return { ...base, type: "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true };
      default:
        return { ...base, type: kind, ...(next() < 0.2 ? { nullable: true } : {}), ...(next() < 0.2 && kind === "integer" ? { default: 1 } : {}) };
    }
  };
  const properties: Record<string, unknown> = {};
  for (let i = 0; i < 1 + Math.floor(next() * 6); i++) {
    const field = node(0);
    const policy = pick(["hook", "hook", "rollout", undefined]);
    if (policy !== undefined) field["x-mysqlop-on-change"] = policy;
    if (field.type === "string" && next() < 0.3) field["x-mysqlop-sensitive"] = true;
    properties[identifier(50)] = field;
  }
  // A kind and titles of the spec json-schema-to-typescript keeps as they are (validate.ts: typescript/type-name).
  const typeName = (raw: string): string =>
    raw.replaceAll(/[^A-Za-z0-9]/g, "k").replaceAll(/([0-9])([a-z])/g, (_m, d: string, l: string) => d + l.toUpperCase());
  const kind = typeName(`K${identifier(40)}`);
  return schemaFile(kind, {
    properties,
    ...(next() < 0.5 ? { required: [Object.keys(properties)[0]] } : {}),
    ...(next() < 0.3 ? { title: typeName(`${kind}${identifier(30)}`) } : {}),
  });
}

test("random schemas: every output called final is exactly prettier's text; what the layouts do not model is left to prettier", async () => {
  const counts = { schemas: 0, invalid: 0, modelsFinal: 0, modelsNot: 0, baseFinal: 0, baseNot: 0 };
  for (let seed = 1; seed <= 150; seed++) {
    let model: GeneratorModel;
    try {
      model = modelOf(parseSchemaText(randomSchemaFile(seed), "schemas/x.yaml"));
    } catch (error) {
      if (process.env.DEBUG_PRETTIER_FORM) console.log(seed, String(error).slice(0, 300));
      counts.invalid++;
      continue;
    }
    counts.schemas++;
    const verdict = await assertFinalIsPrettiers(`seed ${seed}`, model);
    counts[verdict.models ? "modelsFinal" : "modelsNot"]++;
    counts[verdict.base ? "baseFinal" : "baseNot"]++;
  }
  // Both ways are taken often enough for the comparison to mean something.
  assert.ok(counts.schemas >= 100, JSON.stringify(counts));
  assert.ok(counts.modelsFinal >= 30 && counts.modelsNot >= 10, JSON.stringify(counts));
  assert.ok(counts.baseFinal >= 30 && counts.baseNot >= 5, JSON.stringify(counts));
});

test("typeForm and modelsLayout: the shapes they model, and those they leave to prettier", () => {
  assert.equal(typeForm('("True" | "False" | "Unknown")'), '"True" | "False" | "Unknown"');
  assert.equal(typeForm('("a" | "b")[]'), '("a" | "b")[]');
  assert.equal(typeForm("number | string"), "number | string");
  assert.equal(typeForm("Record<string, unknown>"), "Record<string, unknown>");
  for (const unmodelled of ['("a")[]', '"say \\"hi\\""', "[string, number]", "(A & B)", "(A) | (B)", "1e+21", "{"]) {
    assert.equal(typeForm(unmodelled), undefined, unmodelled);
  }
  assert.equal(
    modelsLayout('export interface A {\n/**\n * x \n * \n */\nb?: ("x" | "y")\nc: {\n[k: string]: string\n}[]\n}\n'),
    'export interface A {\n  /**\n   * x\n   *\n   */\n  b?: "x" | "y";\n  c: {\n    [k: string]: string;\n  }[];\n}\n',
  );
  for (const unmodelled of [
    "export enum E {\nA = 1\n}\n",
    "export interface A extends B {\n}\n",
    'export interface A {\n"a-b": string\n}\n',
    "export interface A {\n\nb: string\n}\n",
  ]) {
    assert.equal(modelsLayout(unmodelled), undefined, unmodelled);
  }
  assert.equal(linesFit(`${"x".repeat(120)}\n`), true);
  assert.equal(linesFit(`${"x".repeat(121)}\n`), false);
  assert.equal(linesFit(`  * ${"x".repeat(200)}\n`), true, "a comment is never wrapped");
  assert.equal(linesFit("a \n"), false);
  assert.equal(linesFit("a\r\n"), false);
});

/**
 * Runs a whole `generate` of `schemaText` in a new process; gives the modules of prettier's standalone build (the
 * formatter, its plugins, its measure of text) that process loaded.
 */
async function prettierModulesOfGenerate(schemaText: string): Promise<string[]> {
  const project = await createTempProject(schemaText);
  try {
    const script = join(project.root, "generate.mjs");
    await writeFile(
      script,
      `import { registerHooks } from "node:module";
const loaded = [];
registerHooks({
  load(url, context, next) {
    // json-schema-to-typescript requires prettier's main entry as it loads (to format when asked; it is not asked).
    const entry = ["index.cjs", "index.mjs", "doc.js", "doc.mjs"].some((file) => url.endsWith("/prettier/" + file));
    if (url.includes("/node_modules/prettier/") && !entry) loaded.push(url.slice(url.indexOf("/prettier/")));
    return next(url, context);
  },
});
const { generate } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, "src/codegen/pipeline.ts")).href)});
const result = await generate({ root: ${JSON.stringify(project.root)}, schemaPath: "schemas/mysql.yaml" });
if (result.written.length < 10) throw new Error("wrote only " + result.written.length + " files");
console.log(JSON.stringify(loaded));
`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, [script], { cwd: project.root });
    return JSON.parse(stdout) as string[];
  } finally {
    await project.cleanup();
  }
}

test("a generate from scratch of the MySQL schema loads no prettier formatter; one whose models the layout does not model loads it", async () => {
  assert.deepEqual(await prettierModulesOfGenerate(await mysqlSchemaText()), []);
  // An enum value with a double quote: json-schema-to-typescript escapes it, which the models' layout leaves to prettier.
  const quoted = await editedSchema((doc) => {
    doc.setIn([...SPEC_PROPERTIES, "mood"], doc.createNode({ type: "string", enum: ['say "hi"', "plain"], description: "A mood." }));
  });
  const loaded = await prettierModulesOfGenerate(quoted);
  assert.ok(
    loaded.some((url) => url.startsWith("/prettier/standalone")),
    JSON.stringify(loaded),
  );
});

test("a hooked field whose description holds `/*`: the skeleton parses, is final and is prettier's text; a skeleton that does not parse is never final", async () => {
  const properties = {
    mood: {
      type: "object",
      title: "Mood",
      description: "Matches /* globs like a/*.sql.",
      properties: { a: { type: "string" } },
      "x-mysqlop-on-change": "hook",
    },
  };
  const model = modelOf(parseSchemaText(schemaFile("Globber", { properties }), "schemas/x.yaml"));
  assert.deepEqual(await assertFinalIsPrettiers("globs", model), { constants: true, models: true, base: true });
  assert.equal(parsesCleanly("export class A {}\n"), true);
  assert.equal(parsesCleanly("/** a */ */ b\n"), false);
});

test("runtime imports: the outputs are final and prettier's text for each form; one with a quote, backslash or control character is refused", async () => {
  const text = await mysqlSchemaText();
  for (const runtimeImport of ["generator-mysqlop/runtime", "../../src/runtime", "/opt/mysqlop/runtime", "@scope/pkg/runtime"]) {
    const model = modelOf(parseSchemaText(text, "schemas/mysql.yaml"), runtimeImport);
    const verdicts = await assertFinalIsPrettiers(runtimeImport, model);
    const validator = emitValidator(validatorInput(model));
    assert.equal(validator.content, await prettier(validator.content), `${runtimeImport}: validator`);
    assert.deepEqual({ ...verdicts, validator: validator.final }, { constants: true, models: true, base: true, validator: true }, runtimeImport);
  }
  // Found in review: prettier single-quotes a string holding a double quote, and ts-morph continues a line after a line
  // break; such a specifier has no place in an import anyway.
  for (const runtimeImport of ['my"pkg/runtime', "it's/runtime", "a\n* x/runtime", "a\\b/runtime", "a`b/runtime"]) {
    assert.throws(
      () => modelOf(parseSchemaText(text, "schemas/mysql.yaml"), runtimeImport),
      /without quotes, backslashes or control characters/,
      runtimeImport,
    );
  }
  // And should one reach an emitter: an escaped double quote in code is never final.
  assert.equal(linesFit('import { a } from "my\\"pkg";\n'), false);
  assert.equal(linesFit('import { a } from "my-pkg";\n'), true);
});
