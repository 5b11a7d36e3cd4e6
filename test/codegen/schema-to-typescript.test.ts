/**
 * json-schema-to-typescript is loaded without prettier's CommonJS entry (which imports all of prettier as it loads):
 * the models are emitted with `format: false`, and the stand-in used while the library loads still formats, through
 * the real prettier, when asked to. Any later `require("prettier")` gets the real module.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import { compile } from "../../src/codegen/emit/schema-to-typescript.ts";

const fromLibrary = createRequire(createRequire(import.meta.url).resolve("json-schema-to-typescript"));
const prettierEntry = fromLibrary.resolve("prettier");
const schema = { type: "object" as const, properties: { name: { type: "string" as const } }, required: ["name"], additionalProperties: false };

test("loading json-schema-to-typescript and compiling without formatting does not load prettier's entry", async () => {
  const out = await compile(schema, "Thing", { bannerComment: "", format: false });
  assert.equal(out, "export interface Thing {\nname: string\n}\n", "unformatted");
  assert.equal(fromLibrary.cache[prettierEntry], undefined, "prettier's CommonJS entry was loaded");
});

test("the library's own formatting still goes through the real prettier; a later require gets the real module", async () => {
  const out = await compile(schema, "Thing", { bannerComment: "", format: true, style: { useTabs: true } });
  assert.match(out, /export interface Thing \{\n\tname: string;\n\}/, "formatted by prettier, with the given style");
  const prettier = fromLibrary("prettier") as { doc?: unknown; format?: unknown };
  assert.equal(typeof prettier.format, "function");
  assert.equal(typeof prettier.doc, "object", "the real prettier (the stand-in has no doc printer)");
});
