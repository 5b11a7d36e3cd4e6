/**
 * Emits `generated/<singular>-validator.ts`: the resource schema as data (unknown fields
 * forbidden at every level, as the API server's strict field validation does) plus ajv at
 * run time, and messages a person can act on: the field path, what was expected, what was given.
 */
import type { GeneratorModel, SchemaNode } from "../model.ts";
import { generatedHeader } from "./header.ts";
import { mapSchema } from "./schema-tools.ts";

/** Keywords ajv does not know and the offline check does not need. */
const DROPPED = new Set(["example", "externalDocs", "x-mysqlop-sensitive"]);

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
  if (node.properties !== undefined && node["x-kubernetes-preserve-unknown-fields"] !== true && node["x-kubernetes-embedded-resource"] !== true && !isRootMetadata) {
    out.additionalProperties = false;
  }
  return out;
}

/** The schema `mysqlop validate` checks a whole resource document against. */
export function validatorSchemaOf(model: GeneratorModel): SchemaNode {
  const root = mapSchema(model.storageVersion.schema, toValidatorSchema);
  const properties = { ...(root.properties as Record<string, SchemaNode>) };
  const served = model.versions.filter((v) => v.served).map((v) => `${model.group}/${v.name}`);
  properties.apiVersion = { ...properties.apiVersion, enum: served };
  properties.kind = { ...properties.kind, enum: [model.kind] };
  properties.metadata = { ...properties.metadata, type: "object", required: ["name"] };
  const required = [...new Set(["apiVersion", "kind", "metadata", ...((root.required as string[] | undefined) ?? [])])];
  return { ...root, properties, required };
}

/** Renders the validator file (unformatted). */
export function emitValidator(model: GeneratorModel): string {
  const name = `validate${model.typeNames.resource}`;
  const schemaConst = `${model.singular.replaceAll(/[^A-Za-z0-9]/g, "")}ResourceSchema`;
  return `${generatedHeader(model, "line")}
/**
 * Offline validation of ${model.kind} documents against the storage version's schema
 * (${model.storageVersion.name}), with the rules the API server applies (types, required fields,
 * patterns, lengths, enums, one-of) and unknown fields rejected at every level, as strict
 * field validation does. CEL rules (x-kubernetes-validations), if any, are only checked by
 * the API server.
 * @packageDocumentation
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";

/** One reason a document is not a valid ${model.kind}. */
export interface ValidationIssue {
  /** Path of the offending field from the document root (keys and list indexes). */
  readonly path: readonly (string | number)[];
  /** The schema keyword that failed (\`additionalProperties\` for an unknown field). */
  readonly rule: string;
  /** A sentence for a person, starting with the field path. */
  readonly message: string;
}

/** The ${model.kind} schema as checked offline (generated; unknown fields are forbidden). */
export const ${schemaConst}: Record<string, unknown> = ${JSON.stringify(validatorSchemaOf(model), null, 2)};

let compiled: ValidateFunction | undefined;

/**
 * Validates one parsed document (e.g. from YAML) as a ${model.kind}; returns every issue
 * found, or an empty list when the document is valid.
 */
export function ${name}(document: unknown): ValidationIssue[] {
  compiled ??= compileSchema(${schemaConst});
  if (compiled(document)) return [];
  return describeErrors(compiled.errors ?? [], document);
}

${VALIDATOR_RUNTIME}`;
}

/** Schema-independent part of the generated validator. */
const VALIDATOR_RUNTIME = String.raw`
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: false, strictRequired: false, strictTuples: false, allowUnionTypes: true });
  ajv.addKeyword({ keyword: "x-mysqlop-pattern-hint", schemaType: "string" });
  ajv.addKeyword({ keyword: "x-kubernetes-validations" });
  ajv.addFormat("date-time", { type: "string", validate: (s: string) => RFC3339.test(s) && !Number.isNaN(Date.parse(s)) });
  ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 });
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
  for (const format of ["float", "double", "byte", "password", "date", "duration", "uri", "email", "hostname", "ipv4", "ipv6", "uuid", "cidr", "mac"]) ajv.addFormat(format, true);
  return ajv.compile(schema);
}

function pathOf(instancePath: string): (string | number)[] {
  if (instancePath === "") return [];
  return instancePath
    .slice(1)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

/** Renders a path as people write it: spec.storage_size, status.conditions[0].type. */
function fieldName(path: readonly (string | number)[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += "[" + segment + "]";
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) out += (out === "" ? "" : ".") + segment;
    else out += "[" + JSON.stringify(segment) + "]";
  }
  return out;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return JSON.stringify(value.length > 80 ? value.slice(0, 77) + "..." : value);
  return String(value);
}

function valueAt(document: unknown, path: readonly (string | number)[]): unknown {
  let value = document;
  for (const segment of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

const A_TYPE: Record<string, string> = { string: "a string", integer: "an integer", number: "a number", boolean: "true or false", object: "an object (a mapping of fields)", array: "a list", null: "null" };

function describeError(e: ErrorObject, document: unknown): ValidationIssue {
  const path = pathOf(e.instancePath);
  const where = fieldName(path);
  const prefix = where === "" ? "" : where + ": ";
  const got = describeValue(e.data);
  const schema = (e.parentSchema ?? {}) as Record<string, unknown>;
  switch (e.keyword) {
    case "additionalProperties": {
      const field = String(e.params.additionalProperty);
      const known = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
      return { path: [...path, field], rule: e.keyword, message: prefix + "unknown field " + JSON.stringify(field) + (known.length > 0 ? " (known fields: " + known.join(", ") + ")" : "") };
    }
    case "required": {
      const field = String(e.params.missingProperty);
      return { path: [...path, field], rule: e.keyword, message: prefix + "missing required field " + JSON.stringify(field) };
    }
    case "type": {
      const types = ([] as string[]).concat(e.params.type as string | string[]).map((t) => A_TYPE[t] ?? t);
      return { path, rule: e.keyword, message: prefix + "must be " + types.join(" or ") + ", got " + got };
    }
    case "pattern": {
      const hint = schema["x-mysqlop-pattern-hint"];
      const expected = typeof hint === "string" ? hint : "text matching the pattern " + String(e.params.pattern);
      return { path, rule: e.keyword, message: prefix + "must be " + expected + ", got " + got };
    }
    case "minLength":
      return { path, rule: e.keyword, message: prefix + "must be at least " + String(e.params.limit) + " character(s) long, got " + got };
    case "maxLength":
      return { path, rule: e.keyword, message: prefix + "must be at most " + String(e.params.limit) + " characters long, got " + [...String(e.data)].length };
    case "enum": {
      const allowed = (e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      return { path, rule: e.keyword, message: prefix + "must be " + (allowed.length === 1 ? allowed[0] : "one of " + allowed.join(", ")) + ", got " + got };
    }
    case "oneOf": {
      const branches = (schema.oneOf as Record<string, unknown>[] | undefined) ?? [];
      const fields = branches.map((b) => (Array.isArray(b.required) && b.required.length === 1 && Object.keys(b).length === 1 ? String(b.required[0]) : undefined));
      if (fields.every((f) => f !== undefined)) {
        const value = valueAt(document, path) as Record<string, unknown>;
        const present = fields.filter((f) => value[f] !== undefined);
        return { path, rule: e.keyword, message: prefix + "set exactly one of " + fields.map((f) => JSON.stringify(f)).join(", ") + ", got " + (present.length === 0 ? "none" : present.map((f) => JSON.stringify(f)).join(" and ")) };
      }
      return { path, rule: e.keyword, message: prefix + "must match exactly one of " + branches.length + " alternatives" };
    }
    case "anyOf": {
      const branches = (schema.anyOf as Record<string, unknown>[] | undefined) ?? [];
      const types = branches.map((b) => (typeof b.type === "string" && Object.keys(b).length === 1 ? A_TYPE[b.type] ?? b.type : undefined));
      if (types.every((t) => t !== undefined)) return { path, rule: e.keyword, message: prefix + "must be " + types.join(" or ") + ", got " + got };
      return { path, rule: e.keyword, message: prefix + "must match at least one of " + branches.length + " alternatives, got " + got };
    }
    case "format":
      return { path, rule: e.keyword, message: prefix + "must be in " + String(e.params.format) + " format" + (e.params.format === "date-time" ? " (RFC 3339, e.g. 2026-01-31T12:00:00Z)" : "") + ", got " + got };
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return { path, rule: e.keyword, message: prefix + "must be " + String(e.params.comparison) + " " + String(e.params.limit) + ", got " + got };
    default:
      return { path, rule: e.keyword, message: prefix + (e.message ?? "is invalid") + ", got " + got };
  }
}

function describeErrors(errors: readonly ErrorObject[], document: unknown): ValidationIssue[] {
  // A failed oneOf/anyOf reports its branches' errors too; the summary says it better.
  const junctions = errors.filter((e) => e.keyword === "oneOf" || e.keyword === "anyOf").map((e) => e.schemaPath + "/");
  const kept = errors.filter((e) => !junctions.some((j) => e.schemaPath.startsWith(j)));
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  for (const e of kept) {
    const issue = describeError(e, document);
    if (seen.has(issue.message)) continue;
    seen.add(issue.message);
    issues.push(issue);
  }
  return issues;
}
`;
