/**
 * The check of a schema file's shape runs as Ajv standalone code written at build time
 * (src/codegen/file-format-validator.generated.js, by `npm run generate:file-format`): the file must be what the
 * build step writes from today's file-format schema, and must judge documents as Ajv compiling that schema does.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { FILE_FORMAT_VALIDATOR_COMMAND, FILE_FORMAT_VALIDATOR_FILE, fileFormatValidatorSource } from "../../src/build/file-format-validator.ts";
import { FILE_FORMAT_AJV_OPTIONS, schemaFileFormat } from "../../src/codegen/file-format.ts";
import { validate as compiled } from "../../src/codegen/file-format-validator.generated.js";
import { mysqlSchemaText } from "./temp-project.ts";

test("the compiled file-format check is what the build step writes from the file-format schema today", async () => {
  assert.equal(await readFile(FILE_FORMAT_VALIDATOR_FILE, "utf8"), fileFormatValidatorSource(), `stale: run \`${FILE_FORMAT_VALIDATOR_COMMAND}\``);
});

test("the compiled file-format check judges documents as Ajv compiling the schema at run time does, errors included", async () => {
  const runtime = new Ajv(FILE_FORMAT_AJV_OPTIONS).compile(schemaFileFormat);
  const check = compiled as unknown as typeof runtime;
  const mysql = parse(await mysqlSchemaText()) as Record<string, unknown>;
  const operator = mysql.operator as Record<string, unknown>;
  const documents: [string, unknown][] = [
    ["the MySQL schema", mysql],
    ["not an object", "text"],
    ["no group, an unknown key", { ...mysql, group: undefined, extra: 1 }],
    ["a bad scope and kind", { ...mysql, scope: "Galaxy", names: { ...(mysql.names as object), kind: "lower" } }],
    ["no versions", { ...mysql, versions: [] }],
    ["an RBAC rule with a bad verb, twice the same verb", { ...mysql, operator: { ...operator, resource: { verbs: ["get", "get", "steal"] } } }],
  ];
  for (const [what, raw] of documents) {
    const document = JSON.parse(JSON.stringify(raw)) as unknown;
    const verdict = runtime(document);
    assert.equal(check(document), verdict, what);
    assert.deepEqual(check.errors, runtime.errors, what);
    if (what !== "the MySQL schema") assert.equal(verdict, false, `${what}: a case the check must refuse`);
  }
  assert.equal(runtime(JSON.parse(JSON.stringify(mysql))), true);
});
