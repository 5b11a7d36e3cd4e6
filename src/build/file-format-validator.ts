/**
 * `npm run generate:file-format`: writes `src/codegen/file-format-validator.generated.js`, the check of a schema file's
 * shape ({@link schemaFileFormat}) as Ajv standalone code. Compiling that JSON Schema with Ajv took about 100 ms of CPU
 * in every `mysqlop generate` that reads a changed schema; importing the compiled code takes about 5. A unit test
 * (test/codegen/file-format-validator.test.ts) fails when the file is not what this step writes now.
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";
import { FILE_FORMAT_AJV_OPTIONS, schemaFileFormat } from "../codegen/file-format.ts";

/** Where the compiled check goes. */
export const FILE_FORMAT_VALIDATOR_FILE = fileURLToPath(new URL("../codegen/file-format-validator.generated.js", import.meta.url));

/** The command that writes the file, named in its header and in the staleness test's message. */
export const FILE_FORMAT_VALIDATOR_COMMAND = "npm run generate:file-format";

/**
 * The text of the compiled check: an ES module exporting `validate`, an Ajv validate function (errors on `.errors`).
 * Ajv's ES module output still calls `require` for its runtime helpers (deep equality, string length), so the module
 * makes one with `createRequire`.
 */
export function fileFormatValidatorSource(): string {
  const ajv = new Ajv({ ...FILE_FORMAT_AJV_OPTIONS, code: { ...FILE_FORMAT_AJV_OPTIONS.code, source: true, esm: true } });
  const code = standaloneCode.default(ajv, ajv.compile(schemaFileFormat)).replace(/^"use strict";/, "");
  return [
    `// Generated from src/codegen/file-format.ts by \`${FILE_FORMAT_VALIDATOR_COMMAND}\` (Ajv standalone code). DO NOT EDIT.`,
    `import { createRequire } from "node:module";`,
    `const require = createRequire(import.meta.url);`,
    code,
    "",
  ].join("\n");
}

if (import.meta.main) {
  await writeFile(FILE_FORMAT_VALIDATOR_FILE, fileFormatValidatorSource());
  console.log(`wrote ${FILE_FORMAT_VALIDATOR_FILE}`);
}
