/**
 * Emits `generated/<singular>-validator.ts`: the resource schema as data, without descriptions (unknown fields
 * forbidden at every level, as the API server's strict field validation does) and a typed
 * function that checks a document with the runtime's generic schema validation.
 */
import type { SchemaNode } from "../model.ts";
import type { ValidatorInput } from "./inputs.ts";
import { generatedHeader } from "./header.ts";
import { printLiteral } from "./literal.ts";
import { codeLineFits } from "./prettier-form.ts";
import { mapSchema } from "./schema-tools.ts";

/** Keywords ajv does not know and the offline check does not need. */
const DROPPED = new Set(["example", "externalDocs", "x-mysqlop-sensitive", "x-mysqlop-on-change"]);

function toValidatorSchema(node: SchemaNode, path: readonly string[]): SchemaNode {
  const out: SchemaNode = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED.has(key) || (key.startsWith("x-kubernetes-") && key !== "x-kubernetes-validations")) continue;
    out[key] = value;
  }
  if (node["x-kubernetes-int-or-string"] === true) {
    delete out.type;
    if (out.anyOf === undefined) out.anyOf = [{ type: "integer" }, { type: "string" }];
  }
  if (node.nullable === true) {
    delete out.nullable;
    if (typeof out.type === "string") out.type = [out.type, "null"];
  }
  const isRootMetadata = path.length === 2 && path[0] === "properties" && path[1] === "metadata";
  if (
    node.properties !== undefined &&
    node["x-kubernetes-preserve-unknown-fields"] !== true &&
    node["x-kubernetes-embedded-resource"] !== true &&
    !isRootMetadata
  ) {
    out.additionalProperties = false;
  }
  return out;
}

/** The schema `mysqlop validate` checks a whole resource document against. */
export function validatorSchemaOf(model: ValidatorInput): SchemaNode {
  const root = mapSchema(model.storageVersion.schema, toValidatorSchema);
  const properties = { ...(root.properties as Record<string, SchemaNode>) };
  const served = model.versions.filter((v) => v.served).map((v) => `${model.group}/${v.name}`);
  properties.apiVersion = { ...properties.apiVersion, enum: served };
  properties.kind = { ...properties.kind, enum: [model.kind] };
  properties.metadata = { ...properties.metadata, type: "object", required: ["name"] };
  const required = [...new Set(["apiVersion", "kind", "metadata", ...((root.required as string[] | undefined) ?? [])])];
  return { ...root, properties, required };
}

/**
 * The keyword whose text says in words what a `pattern` accepts (one of our schema
 * extensions, see `MYSQLOP_EXTENSIONS`); the runtime reports a failed pattern with it.
 */
const PATTERN_HINT_KEYWORD = "x-mysqlop-pattern-hint";

/**
 * The validator file, in prettier's final form when it can be printed so (`final`): the schema as data, printed by
 * {@link printLiteral}, in a template whose code lines prettier leaves alone while they fit on a line. Otherwise
 * (`final` false) the text to format. The checking and the messages live in the runtime's `schema-validation` module,
 * which the file imports directly so that validating never loads the controller runtime.
 */
export function emitValidator(model: ValidatorInput): { content: string; final: boolean } {
  const name = `validate${model.typeNames.resource}`;
  const schemaConst = `${model.singular.replaceAll(/[^A-Za-z0-9]/g, "")}ResourceSchema`;
  const declaration = `export const ${schemaConst}: Record<string, unknown> = `;
  const schema = validatorSchemaOf(model);
  const literal = printLiteral(schema, "", declaration.length, ";");
  const code = {
    import: `import { createSchemaValidator, type ValidationIssue } from ${JSON.stringify(model.runtimeImports.schemaValidation)};`,
    validator: `const schemaValidator = createSchemaValidator(${schemaConst}, { patternHintKeyword: ${JSON.stringify(PATTERN_HINT_KEYWORD)} });`,
    entry: `export function ${name}(document: unknown): ValidationIssue[] {`,
  };
  const content = `${generatedHeader(model, "line")}
/**
 * Offline validation of ${model.kind} documents against the storage version's schema
 * (${model.storageVersion.name}), with the rules the API server applies (types, required fields,
 * patterns, lengths, enums, one-of) and unknown fields rejected at every level, as strict
 * field validation does, and CEL rules (x-kubernetes-validations) as on create; rules that
 * read \`oldSelf\` apply to updates only and are left to the API server.
 * @packageDocumentation
 */
${code.import}

export type { ValidationIssue };

/** The ${model.kind} schema as checked offline (generated; unknown fields are forbidden). */
${declaration}${literal ?? JSON.stringify(schema, null, 2)};

${code.validator}

/**
 * Validates one parsed document (e.g. from YAML) as a ${model.kind}; returns every issue
 * found, or an empty list when the document is valid.
 */
${code.entry}
  return schemaValidator(document);
}
`;
  const fits = [...Object.values(code), `${declaration}{`].every(codeLineFits);
  return { content, final: literal !== undefined && fits };
}
