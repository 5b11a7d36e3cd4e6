/**
 * Offline validation of documents against a Kubernetes structural schema (OpenAPI v3, as in a
 * CustomResourceDefinition) with ajv, reporting issues a person can act on: the field path as
 * people write it, what was expected, what was given. Generated validators hold only their
 * schema and call {@link createSchemaValidator}; the rest of the runtime is not loaded, so a
 * command that only validates stays light.
 * @packageDocumentation
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { Environment, type ParseResult } from "@marcbachmann/cel-js";
import { compareQuantities, isQuantity } from "./quantity.ts";

/** Path of a field from the document root: keys and list indexes. */
export type FieldPath = readonly (string | number)[];

/** One reason a document does not match the schema. */
export interface ValidationIssue {
  /** Path of the offending field from the document root (keys and list indexes). */
  readonly path: FieldPath;
  /** The schema keyword that failed (`additionalProperties` for an unknown field). */
  readonly rule: string;
  /** A sentence for a person, starting with the field path. */
  readonly message: string;
}

/** How a schema is read beyond standard JSON Schema. */
export interface SchemaValidatorOptions {
  /**
   * A string keyword, next to `pattern`, that says in words what the pattern accepts
   * (`a Kubernetes quantity such as 1Gi`); a failed pattern is reported with it instead of
   * the regular expression. Without it the schema must not use such a keyword (ajv runs strict).
   */
  readonly patternHintKeyword?: string;
}

/** Validates one parsed document; returns every issue found, or an empty list when it is valid. */
export type SchemaValidator = (document: unknown) => ValidationIssue[];

/**
 * Makes a validator for `schema`. Compilation waits for the first document, so importing a
 * module that declares a validator costs nothing until it is used.
 */
export function createSchemaValidator(schema: Record<string, unknown>, options: SchemaValidatorOptions = {}): SchemaValidator {
  let compiled: ValidateFunction | undefined;
  return (document) => {
    compiled ??= compileSchema(schema, options);
    if (compiled(document)) return [];
    return describeErrors(compiled.errors ?? [], document, options);
  };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** OpenAPI formats the API server accepts without checking them (or checks only loosely). */
const UNCHECKED_FORMATS = ["float", "double", "byte", "password", "date", "duration", "uri", "email", "hostname", "ipv4", "ipv6", "uuid", "cidr", "mac"];

function compileSchema(schema: Record<string, unknown>, options: SchemaValidatorOptions): ValidateFunction {
  // verbose: errors carry the failing value and its schema, which the messages quote.
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: false, strictRequired: false, strictTuples: false, allowUnionTypes: true });
  if (options.patternHintKeyword !== undefined) ajv.addKeyword({ keyword: options.patternHintKeyword, schemaType: "string" });
  ajv.addKeyword({ keyword: CEL_KEYWORD, schemaType: "array", errors: true, validate: checkCelRules });
  ajv.addFormat("date-time", { type: "string", validate: (s: string) => RFC3339.test(s) && !Number.isNaN(Date.parse(s)) });
  ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 });
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
  for (const format of UNCHECKED_FORMATS) ajv.addFormat(format, true);
  return ajv.compile(schema);
}

const CEL_KEYWORD = "x-kubernetes-validations";

/** One entry of `x-kubernetes-validations`, as the API server reads it. */
interface CelRule {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly fieldPath?: string;
  readonly reason?: string;
}

const celPrograms = new Map<string, ParseResult>();

/** A Kubernetes quantity in CEL (`quantity("1Gi")`): its text, compared by amount. */
class Quantity {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

function amountOrder(a: Quantity, b: Quantity): number {
  const order = compareQuantities(a.text, b.text);
  if (order === undefined) throw new Error(`cannot compare quantities ${a.text} and ${b.text}`);
  return order;
}

/**
 * CEL as the API server runs validation rules, as far as schemas here use it: the library's standard functions (with
 * the strings extension's `lowerAscii`) and the part of Kubernetes' quantity library that compares amounts
 * (`isQuantity`, `quantity`, and a quantity's `compareTo`, `isLessThan`, `isGreaterThan`).
 */
const celEnvironment = new Environment({ unlistedVariablesAreDyn: true })
  .registerType("Quantity", Quantity)
  .registerFunction("isQuantity(string): bool", (text: string) => isQuantity(text))
  .registerFunction("quantity(string): Quantity", (text: string) => {
    if (!isQuantity(text)) throw new Error(`quantities must match the regular expression of a Kubernetes quantity: ${text}`);
    return new Quantity(text);
  })
  .registerFunction("Quantity.compareTo(Quantity): int", (a: Quantity, b: Quantity) => BigInt(amountOrder(a, b)))
  .registerFunction("Quantity.isLessThan(Quantity): bool", (a: Quantity, b: Quantity) => amountOrder(a, b) < 0)
  .registerFunction("Quantity.isGreaterThan(Quantity): bool", (a: Quantity, b: Quantity) => amountOrder(a, b) > 0);

/** A rule compiled once per expression. */
function celProgram(expression: string): ParseResult {
  let program = celPrograms.get(expression);
  if (program === undefined) {
    program = celEnvironment.parse(expression);
    celPrograms.set(expression, program);
  }
  return program;
}

/** Evaluates `expression` with `self` bound; an error (unknown function, bad type) is returned, not thrown. */
function evaluateCel(expression: string, self: unknown): unknown {
  try {
    return celProgram(expression)({ self });
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * A document value as the API server hands it to CEL: integers of `type: integer` fields are
 * CEL ints (JSON numbers would be doubles), objects are maps, arrays are lists.
 */
function celValue(value: unknown, schema: Record<string, unknown> | undefined): unknown {
  if (schema?.type === "integer" && typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return value.map((item) => celValue(item, schema?.items as Record<string, unknown> | undefined));
  if (typeof value === "object" && value !== null) {
    const properties = (schema?.properties ?? {}) as Record<string, Record<string, unknown>>;
    const additional = typeof schema?.additionalProperties === "object" ? (schema.additionalProperties as Record<string, unknown>) : undefined;
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, celValue(item, properties[key] ?? additional)]));
  }
  return value;
}

/**
 * Evaluates a node's CEL rules against its value, as the API server does on create. Rules that
 * read `oldSelf` compare with the stored object and only run on updates, so they are skipped.
 * A rule that cannot be evaluated offline is reported, never passed silently.
 */
function checkCelRules(rules: readonly CelRule[], data: unknown, parentSchema?: Record<string, unknown>): boolean {
  const errors: Partial<ErrorObject>[] = [];
  checkCelRules.errors = errors;
  // A value of the wrong type has its type error already; the API server does not run CEL on it.
  if (typeof parentSchema?.type === "string" && jsonType(data) !== parentSchema.type && !(parentSchema.type === "number" && jsonType(data) === "integer"))
    return true;
  for (const rule of rules) {
    if (/\boldSelf\b/.test(rule.rule)) continue;
    const self = celValue(data, parentSchema);
    const result = evaluateCel(rule.rule, self);
    if (result === true) continue;
    let message = rule.message ?? `failed rule: ${rule.rule}`;
    // The library's message goes on with a picture of the expression; its first line says why.
    if (result instanceof Error)
      message = `the rule ${JSON.stringify(rule.rule)} cannot be checked offline (${result.message.split("\n")[0]}); the API server decides`;
    else if (rule.messageExpression !== undefined) {
      const custom = evaluateCel(rule.messageExpression, self);
      if (typeof custom === "string" && custom !== "") message = custom;
    }
    const fieldPath = (rule.fieldPath ?? "").match(/[^.[\]'"]+/g) ?? [];
    errors.push({
      keyword: CEL_KEYWORD,
      message,
      params: { rule: rule.rule, reason: rule.reason ?? "FieldValueInvalid", fieldPath },
    });
  }
  return errors.length === 0;
}
checkCelRules.errors = [] as Partial<ErrorObject>[];

/** The JSON Schema type of a value (`integer` for whole numbers). */
function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** Decodes an ajv `instancePath` (a JSON pointer); digit-only segments are list indexes. */
function pathOf(instancePath: string): (string | number)[] {
  if (instancePath === "") return [];
  return instancePath
    .slice(1)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

/** Renders a path as people write it: spec.storage_size, status.conditions[0].type. */
function fieldName(path: FieldPath): string {
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
  if (typeof value === "string") {
    // JSON escapes C0 controls; DEL and C1 (U+009B is a terminal's CSI) are escaped too, so a
    // hostile value cannot drive the terminal that prints the message.
    const quoted = JSON.stringify(value.length > 80 ? value.slice(0, 77) + "..." : value);
    return quoted.replace(/[\u007f-\u009f]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
  }
  return String(value);
}

function valueAt(document: unknown, path: FieldPath): unknown {
  let value = document;
  for (const segment of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

const A_TYPE: Record<string, string> = {
  string: "a string",
  integer: "an integer",
  number: "a number",
  boolean: "true or false",
  object: "an object (a mapping of fields)",
  array: "a list",
  null: "null",
};

function describeError(e: ErrorObject, document: unknown, options: SchemaValidatorOptions): ValidationIssue {
  const path = pathOf(e.instancePath);
  const where = fieldName(path);
  const prefix = where === "" ? "" : where + ": ";
  const got = describeValue(e.data);
  const schema = (e.parentSchema ?? {}) as Record<string, unknown>;
  switch (e.keyword) {
    case "additionalProperties": {
      const field = String(e.params.additionalProperty);
      const known = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
      return {
        path: [...path, field],
        rule: e.keyword,
        message: prefix + "unknown field " + JSON.stringify(field) + (known.length > 0 ? " (known fields: " + known.join(", ") + ")" : ""),
      };
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
      const hint = options.patternHintKeyword === undefined ? undefined : schema[options.patternHintKeyword];
      const expected = typeof hint === "string" ? hint : "text matching the pattern " + String(e.params.pattern);
      return { path, rule: e.keyword, message: prefix + "must be " + expected + ", got " + got };
    }
    case "minLength":
      return { path, rule: e.keyword, message: prefix + "must be at least " + String(e.params.limit) + " character(s) long, got " + got };
    case "maxLength":
      // Counted in code points, as ajv and the API server count them.
      return { path, rule: e.keyword, message: prefix + "must be at most " + String(e.params.limit) + " characters long, got " + [...String(e.data)].length };
    case "enum": {
      const allowed = (e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      return { path, rule: e.keyword, message: prefix + "must be " + (allowed.length === 1 ? allowed[0] : "one of " + allowed.join(", ")) + ", got " + got };
    }
    case "oneOf": {
      const branches = (schema.oneOf as Record<string, unknown>[] | undefined) ?? [];
      // The common "exactly one of these fields" shape: each branch only requires one field.
      const fields = branches.map((b) =>
        Array.isArray(b.required) && b.required.length === 1 && Object.keys(b).length === 1 ? String(b.required[0]) : undefined,
      );
      if (fields.every((f) => f !== undefined)) {
        // A value that is not an object (`spec:` left empty is null) holds none of them; its type error says the rest.
        const value = valueAt(document, path);
        const present = typeof value === "object" && value !== null ? fields.filter((f) => (value as Record<string, unknown>)[f] !== undefined) : [];
        return {
          path,
          rule: e.keyword,
          message:
            prefix +
            "set exactly one of " +
            fields.map((f) => JSON.stringify(f)).join(", ") +
            ", got " +
            (present.length === 0 ? "none" : present.map((f) => JSON.stringify(f)).join(" and ")),
        };
      }
      return { path, rule: e.keyword, message: prefix + "must match exactly one of " + branches.length + " alternatives" };
    }
    case "anyOf": {
      const branches = (schema.anyOf as Record<string, unknown>[] | undefined) ?? [];
      // The int-or-string shape: each branch only names a type.
      const types = branches.map((b) => (typeof b.type === "string" && Object.keys(b).length === 1 ? (A_TYPE[b.type] ?? b.type) : undefined));
      if (types.every((t) => t !== undefined)) return { path, rule: e.keyword, message: prefix + "must be " + types.join(" or ") + ", got " + got };
      return { path, rule: e.keyword, message: prefix + "must match at least one of " + branches.length + " alternatives, got " + got };
    }
    case "format":
      return {
        path,
        rule: e.keyword,
        message:
          prefix +
          "must be in " +
          String(e.params.format) +
          " format" +
          (e.params.format === "date-time" ? " (RFC 3339, e.g. 2026-01-31T12:00:00Z)" : "") +
          ", got " +
          got,
      };
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return { path, rule: e.keyword, message: prefix + "must be " + String(e.params.comparison) + " " + String(e.params.limit) + ", got " + got };
    case CEL_KEYWORD: {
      const fieldPath = (e.params.fieldPath as string[] | undefined) ?? [];
      const at = fieldName([...path, ...fieldPath]);
      // Without the value: a rule may guard a secret (a password's length), as on the API server.
      return { path: [...path, ...fieldPath], rule: e.keyword, message: (at === "" ? "" : at + ": ") + String(e.message) };
    }
    default:
      return { path, rule: e.keyword, message: prefix + (e.message ?? "is invalid") + ", got " + got };
  }
}

function describeErrors(errors: readonly ErrorObject[], document: unknown, options: SchemaValidatorOptions): ValidationIssue[] {
  // A failed oneOf/anyOf reports its branches' errors too; the summary says it better.
  const junctions = errors.filter((e) => e.keyword === "oneOf" || e.keyword === "anyOf").map((e) => e.schemaPath + "/");
  const kept = errors.filter((e) => !junctions.some((j) => e.schemaPath.startsWith(j)));
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  for (const e of kept) {
    const issue = describeError(e, document, options);
    if (seen.has(issue.message)) continue;
    seen.add(issue.message);
    issues.push(issue);
  }
  return issues;
}
