/**
 * The format stage runs prettier on TypeScript only; YAML and Markdown are emitted in final form. These tests hold the
 * emitters to that: prettier itself (the full entry point, the parser chosen by file name) leaves them unchanged.
 */
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { format } from "prettier";
import { markdownTable } from "../../src/codegen/emit/api-reference.ts";
import { validatorInput } from "../../src/codegen/emit/inputs.ts";
import { printLiteral } from "../../src/codegen/emit/literal.ts";
import { getStringWidth } from "../../src/codegen/emit/string-width.ts";
import { emitValidator } from "../../src/codegen/emit/validator.ts";
import { buildModel } from "../../src/codegen/model.ts";
import { formatKindOf, PRETTIER_OPTIONS } from "../../src/codegen/format.ts";
import { loadSchema, parseSchemaText, type LoadedSchema } from "../../src/codegen/load.ts";
import { generateFromLoaded } from "../../src/codegen/pipeline.ts";
import { mysqlSchemaText } from "./temp-project.ts";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));

async function assertPrettierLeavesAlone(path: string, content: string): Promise<void> {
  assert.equal(await format(content, { ...PRETTIER_OPTIONS, filepath: path }), content, `prettier would change ${path}`);
}

test("the MySQL schema's YAML and Markdown outputs are in prettier's final form", async () => {
  const loaded = parseSchemaText(await mysqlSchemaText(), "schemas/mysql.yaml");
  const files = await generateFromLoaded(loaded, { root: "/project", schemaPath: "schemas/mysql.yaml" });
  const final = files.filter((f) => formatKindOf(f.path) === "final");
  assert.ok(final.some((f) => f.path.endsWith(".md")) && final.filter((f) => f.path.endsWith(".yaml")).length >= 5, "YAML and Markdown outputs checked");
  for (const f of final) await assertPrettierLeavesAlone(f.path, f.content);
});

test("every fixture's YAML outputs are in prettier's final form", async () => {
  for (const name of (await readdir(fixtures, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name)) {
    const root = join(fixtures, name);
    const files = await generateFromLoaded(await loadSchema("schema.yaml", root), { root, schemaPath: "schema.yaml" });
    for (const f of files.filter((f) => /\.ya?ml$/.test(f.path))) await assertPrettierLeavesAlone(`${name}/${f.path}`, f.content);
  }
});

test("markdownTable pads cells as prettier measures them: wide characters, emoji, combining marks, escapes", async () => {
  const rows = [
    ["`a`", "日本語のテキスト", "x"],
    ["emoji 🐬 and ✅", "e\u0301te\u0301", "a \\| b"],
    ["", "…, ≥ 1, ≤ 2 — ok", "with `-o wide`"],
  ];
  const table = markdownTable(["Name", "Text", "C"], rows).join("\n") + "\n";
  await assertPrettierLeavesAlone("table.md", table);
});

test("getStringWidth measures as prettier does: every character it measures itself, and text it leaves to prettier", async () => {
  const { util } = (await import("prettier/standalone")) as unknown as { util: { getStringWidth(text: string): number } };
  const ranges: [number, number][] = [
    [0x20, 0x7e],
    [0xa0, 0x24f],
    [0x2010, 0x205e],
    [0x2190, 0x22ff],
    [0x10000, 0x10000],
    [0xf0000, 0x10ffff],
  ];
  let measured = 0;
  for (const [from, to] of ranges) {
    for (let code = from; code <= to; code++) {
      const text = `a${String.fromCodePoint(code)}b`;
      assert.equal(getStringWidth(text), util.getStringWidth(text), `U+${code.toString(16).padStart(4, "0")}`);
      measured++;
    }
  }
  assert.equal(measured, 95 + 432 + 79 + 368 + 1 + 0x20000);
  for (const text of [
    "^[^/\\\\\u{10000}-\u{10ffff}]*$",
    "\u{10001}\u{1f600}",
    "日本語",
    "emoji 🐬 ✅",
    "e\u0301te\u0301",
    "©\ufe0f",
    "tab\there",
    "",
    "\u0300",
    "\u2028",
    "😀😀",
  ]) {
    assert.equal(getStringWidth(text), util.getStringWidth(text), JSON.stringify(text));
  }
});

test("formatKindOf: prettier for TypeScript, final form for YAML and Markdown, an error for anything else", () => {
  assert.equal(formatKindOf("generated/mysql-models.ts"), "typescript");
  assert.equal(formatKindOf("deploy/crd.yaml"), "final");
  assert.equal(formatKindOf("generated/api-reference.md"), "final");
  assert.throws(() => formatKindOf("generated/x.json"), /no formatting is defined for generated file generated\/x\.json/);
});

/** The validator of a schema as emitted, with its verdict on being final. */
function validatorOf(loaded: LoadedSchema, root: string, schemaPath: string): { content: string; final: boolean } {
  return emitValidator(validatorInput(buildModel(loaded, { root, schemaPath })));
}

test("the validator of the MySQL schema and of every fixture is emitted final, and prettier leaves it unchanged", async () => {
  const mysql = validatorOf(parseSchemaText(await mysqlSchemaText(), "schemas/mysql.yaml"), "/project", "schemas/mysql.yaml");
  assert.equal(mysql.final, true);
  await assertPrettierLeavesAlone("mysql-validator.ts", mysql.content);
  for (const name of (await readdir(fixtures, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name)) {
    const root = join(fixtures, name);
    const validator = validatorOf(await loadSchema("schema.yaml", root), root, "schema.yaml");
    assert.equal(validator.final, true, name);
    await assertPrettierLeavesAlone(`${name}-validator.ts`, validator.content);
  }
});

test("printLiteral prints data as prettier does, or gives it up", async () => {
  const declaration = "export const schema: Record<string, unknown> = ";
  const long = "x".repeat(90);
  const cases: Record<string, unknown>[] = [
    { type: "object", title: "T", nullable: true, minimum: -0.5, maximum: 1e21, tiny: 1e-7, none: null, empty: {}, list: [] },
    { quotes: 'say "hi"', more: `it's "a" "b"`, even: `'a' "b"`, back: "a\\b\n\t\u0001", wide: "日本語のテキスト ✅ 🐬", "x-key": 1, $ref: "a", "1a": 2 },
    // Long strings: beside a short key (under 5 characters) they stay; beside a longer key they move under it.
    { rule: long + long, enum: [long], message: long, title: "y".repeat(108), titles: "y".repeat(108), "x-long-key": long },
    // Arrays at the line's limit, one character either side, at two depths.
    {
      required: ["a".repeat(103)],
      requires: ["a".repeat(103)],
      nested: { items: { enum: ["b".repeat(50), "c".repeat(49)], enums: ["b".repeat(50), "c".repeat(49)] } },
    },
    { anyOf: [{ type: "integer" }, { type: "string" }], allOf: [{}, { a: [1, 2] }], oneOf: [[], ["a"]], strings: [long, long, long] },
    { "x-kubernetes-validations": [{ rule: "self.matches('^[a-z]+$')", message: 'must match "^[a-z]+$"', fieldPath: ".spec.x", reason: "FieldValueInvalid" }] },
  ];
  for (const value of cases) {
    const literal = printLiteral(value, "", declaration.length, ";");
    assert.notEqual(literal, undefined, JSON.stringify(value));
    await assertPrettierLeavesAlone("literal.ts", `${declaration}${literal};\n`);
  }
  // A key so long that the value's opening bracket (or an empty one and its comma) would pass the line's end: prettier
  // moves the value under the key. The printer gives prettier's own text from the data, or leaves it to prettier.
  let compared = 0;
  for (const width of [110, 113, 114, 115, 116, 117, 118, 119]) {
    for (const v of [{ a: 1 }, {}, [], ["x"], [{ a: 1 }]]) {
      const value = { nested: { [`k${"e".repeat(width - 7)}`]: v } };
      const literal = printLiteral(value, "", declaration.length, ";");
      if (literal === undefined) continue;
      compared++;
      const text = `${declaration}${literal};\n`;
      assert.equal(
        text,
        await format(`${declaration}${JSON.stringify(value, null, 2)};\n`, { ...PRETTIER_OPTIONS, filepath: "literal.ts" }),
        `${width}: ${JSON.stringify(v)}`,
      );
    }
  }
  assert.ok(compared >= 10, `${compared} layouts compared with prettier`);
  // Outside its rules: prettier formats these.
  for (const value of [
    {
      grid: [
        [1, 2],
        [3, 4],
      ],
    },
    { numbers: Array.from({ length: 40 }, (_, i) => i * 1000) },
    { ключ: 1 },
    { f: () => 1 },
  ]) {
    assert.equal(printLiteral(value, "", declaration.length, ";"), undefined, JSON.stringify(value));
  }
});
