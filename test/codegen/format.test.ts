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
import { formatKindOf, PRETTIER_OPTIONS } from "../../src/codegen/format.ts";
import { loadSchema, parseSchemaText } from "../../src/codegen/load.ts";
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

test("formatKindOf: prettier for TypeScript, final form for YAML and Markdown, an error for anything else", () => {
  assert.equal(formatKindOf("generated/mysql-models.ts"), "typescript");
  assert.equal(formatKindOf("deploy/crd.yaml"), "final");
  assert.equal(formatKindOf("generated/api-reference.md"), "final");
  assert.throws(() => formatKindOf("generated/x.json"), /no formatting is defined for generated file generated\/x\.json/);
});
