/**
 * Stage 2 of the pipeline: check a loaded schema file before anything is generated.
 * The file's own shape is checked against `schemaFileFormat` (file-format.ts); each version's
 * `openAPIV3Schema` against the Kubernetes structural-schema rules the API server
 * enforces, plus the rules the generator itself needs (TypeScript identifiers, the
 * status fields the runtime writes). Every problem names a JSON pointer and a rule.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { parse as parseCel } from "@marcbachmann/cel-js";
import { SchemaError, toPointer, type SchemaProblem } from "./errors.ts";
import { CHANGE_POLICIES } from "./file-format.ts";
import type { LoadedSchema } from "./load.ts";
import { validate as compiledFileFormatCheck } from "./file-format-validator.generated.js";

/** Keywords of apiextensions.k8s.io/v1 JSONSchemaProps that a CRD may carry. */
const ALLOWED_KEYWORDS = new Set([
  "description",
  "type",
  "format",
  "title",
  "default",
  "maximum",
  "exclusiveMaximum",
  "minimum",
  "exclusiveMinimum",
  "maxLength",
  "minLength",
  "pattern",
  "maxItems",
  "minItems",
  "uniqueItems",
  "multipleOf",
  "enum",
  "maxProperties",
  "minProperties",
  "required",
  "items",
  "allOf",
  "oneOf",
  "anyOf",
  "not",
  "properties",
  "additionalProperties",
  "externalDocs",
  "example",
  "nullable",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-embedded-resource",
  "x-kubernetes-int-or-string",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-list-type",
  "x-kubernetes-map-type",
  "x-kubernetes-validations",
]);

/** Keywords JSONSchemaProps knows but a v1 CRD rejects. */
const FORBIDDEN_KEYWORDS = new Set(["$ref", "$schema", "id", "definitions", "dependencies", "additionalItems", "patternProperties"]);

/**
 * What a `pattern` uses that the API server's regular expressions (Go's RE2) lack, though JavaScript has it: the API
 * server refuses the CRD, while the offline validator would take it. Escapes and character classes are skipped.
 */
function unsupportedInRe2(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      const next = pattern[i + 1] ?? "";
      if (!inClass && /[1-9]/.test(next)) return `the backreference \\${next}`;
      if (!inClass && next === "k" && pattern[i + 2] === "<") return "a named backreference (\\k<…>)";
      if (next === "u") return "a \\u escape (RE2 writes \\x{…})";
      if (next === "c") return "a control-character escape (\\c…)";
      if ((next === "p" || next === "P") && /^\{[^}]*=/.test(pattern.slice(i + 2))) return "a Unicode property with a value (\\p{…=…})";
      i++;
    } else if (inClass) {
      if (c === "]") inClass = false;
    } else if (c === "[") {
      // JavaScript reads [] and [^] as classes of no and of every character; RE2 reads that ] as a member.
      const empty = /^\[\^?\]/.exec(pattern.slice(i));
      if (empty !== null) return `the class ${empty[0]} (RE2 reads its ] as a member; JavaScript as an empty class)`;
      inClass = true;
    } else if (c === "{") {
      const count = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (count !== null && Math.max(Number(count[1]), Number(count[3] || 0)) > 1000) return `the repetition ${count[0]} (RE2 counts up to 1000)`;
    } else if (c === "(" && pattern[i + 1] === "?") {
      const look = /^\(\?(<?[=!])/.exec(pattern.slice(i));
      if (look) return `the ${look[1]?.startsWith("<") ? "lookbehind" : "lookahead"} (?${look[1] ?? ""}…)`;
    }
  }
  return undefined;
}

/** A `pattern` that is no regular expression, or one the API server cannot compile (see {@link unsupportedInRe2}). */
function patternProblem(pattern: unknown, path: readonly (string | number)[]): SchemaProblem | undefined {
  const pointer = toPointer(path);
  if (typeof pattern !== "string")
    return { pointer, rule: "structural/pattern-invalid", message: `"pattern" must be a string, got ${JSON.stringify(pattern)}` };
  try {
    new RegExp(pattern, "u");
  } catch (error) {
    return {
      pointer,
      rule: "structural/pattern-invalid",
      message: `pattern ${JSON.stringify(pattern)} is not a regular expression JavaScript takes (${(error as Error).message}), which the generated validator and \`mysqlop validate\` need; write it as both JavaScript and the API server (RE2) take it (a character that needs no escape without one, \\p{L} for \\pL, $ for \\z)`,
    };
  }
  const unsupported = unsupportedInRe2(pattern);
  if (unsupported === undefined) return undefined;
  return {
    pointer,
    rule: "structural/pattern-invalid",
    message: `pattern ${JSON.stringify(pattern)} uses ${unsupported}, which the API server's regular expressions (RE2) lack: it refuses the CRD; write it without, or as a CEL rule in x-kubernetes-validations`,
  };
}

/** Keywords that may not appear inside allOf/anyOf/oneOf/not (structural rule 3). */
const JUNCTOR_FORBIDDEN = new Set(["description", "type", "default", "additionalProperties", "nullable"]);

const JUNCTORS = ["allOf", "anyOf", "oneOf", "not"] as const;

const TYPES = new Set(["object", "array", "string", "integer", "number", "boolean"]);

/** Our own extensions and the JSON type (or the values) they take; stripped from the CRD. */
export const MYSQLOP_EXTENSIONS: Readonly<Record<string, "boolean" | "string" | readonly string[]>> = {
  "x-mysqlop-sensitive": "boolean",
  "x-mysqlop-pattern-hint": "string",
  "x-mysqlop-on-change": CHANGE_POLICIES,
};

/** Extensions that only mean something on a field of `spec` (they steer its change hook). */
const SPEC_FIELD_EXTENSIONS = new Set(["x-mysqlop-on-change"]);

/** Words CEL reserves: a field so named cannot be compared by a transition rule without escaping. */
export const CEL_RESERVED: ReadonlySet<string> = new Set([
  "true",
  "false",
  "null",
  "in",
  "as",
  "break",
  "const",
  "continue",
  "else",
  "for",
  "function",
  "if",
  "import",
  "let",
  "loop",
  "package",
  "namespace",
  "return",
  "var",
]);

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeAjvError(e: ErrorObject): string {
  switch (e.keyword) {
    case "additionalProperties":
      return `unknown key "${String(e.params.additionalProperty)}"`;
    case "required":
      return `missing required key "${String(e.params.missingProperty)}"`;
    case "enum":
      return `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return e.message ?? e.keyword;
  }
}

/** The check of `schemaFileFormat`, compiled by `npm run generate:file-format`. */
const fileFormatValidator = compiledFileFormatCheck as unknown as ValidateFunction;

function checkFileFormat(document: unknown): SchemaProblem[] {
  if (fileFormatValidator(document)) return [];
  return (fileFormatValidator.errors ?? []).map((e) => ({ pointer: e.instancePath, rule: `file-format/${e.keyword}`, message: describeAjvError(e) }));
}

/**
 * Ajv for checking defaults against their own schema node (x- keywords tolerated), in two instances. The fast one does not
 * check the node against JSON Schema's meta-schema, whose own compilation costs about 15 ms of every generate; it only
 * ever clears a default. A default it refuses is checked again by the strict one, which refuses a broken node (its
 * `maxLength: -1`, say) before judging the default. For every schema the structural rules accept the verdicts are exactly
 * the strict instance's; they can differ only beside a `$ref` or `$id` (the fast one has no meta-schema to resolve, nor
 * the nodes only it compiled), keywords the structural rules refuse anyway.
 */
const defaultsAjv: { fast?: Ajv; strict?: Ajv } = {};

function compiledDefaultCheck(kind: "fast" | "strict", node: Record<string, unknown>): ValidateFunction | undefined {
  // Each default's check runs once: Ajv's code optimisation would cost more than it saves.
  defaultsAjv[kind] ??= new Ajv({
    strict: false,
    validateFormats: false,
    allErrors: false,
    code: { optimize: false },
    ...(kind === "fast" ? { validateSchema: false, meta: false } : {}),
  });
  try {
    return defaultsAjv[kind].compile(node);
  } catch {
    // The node itself is broken (a keyword's value): that is not the default's fault, and not judged here.
    return undefined;
  }
}

function defaultProblem(node: Json, path: (string | number)[]): SchemaProblem | undefined {
  const { default: value, ...rest } = node;
  const schema = stripDefaults(rest) as Record<string, unknown>;
  if (compiledDefaultCheck("fast", schema)?.(value) !== false) return undefined;
  const check = compiledDefaultCheck("strict", schema);
  if (check === undefined || check(value)) return undefined;
  const first = check.errors?.[0];
  return {
    pointer: toPointer([...path, "default"]),
    rule: "structural/default-invalid",
    message: `default ${JSON.stringify(value)} does not satisfy its own schema: ${first ? `${first.instancePath || "value"} ${first.message}` : "invalid"}`,
  };
}

function stripDefaults(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripDefaults);
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) if (k !== "default") out[k] = stripDefaults(v);
  return out;
}

interface WalkContext {
  readonly problems: SchemaProblem[];
  /** Inside allOf/anyOf/oneOf/not: value validations only. */
  readonly inJunctor: boolean;
}

function isIntOrStringPattern(parent: Json, junctor: string, branches: unknown): boolean {
  if (parent["x-kubernetes-int-or-string"] !== true || (junctor !== "anyOf" && junctor !== "allOf")) return false;
  if (!Array.isArray(branches) || branches.length !== 2) return false;
  const types = branches.map((b) => (isObject(b) ? b.type : undefined)).sort();
  return types[0] === "integer" && types[1] === "string";
}

function walk(node: unknown, path: (string | number)[], ctx: WalkContext, intOrStringBranch = false): void {
  const here = toPointer(path);
  if (!isObject(node)) {
    ctx.problems.push({ pointer: here, rule: "structural/schema-object", message: "a schema must be an object" });
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("x-mysqlop-")) {
      const want = MYSQLOP_EXTENSIONS[key];
      if (want === undefined)
        ctx.problems.push({
          pointer: toPointer([...path, key]),
          rule: "extension/unknown",
          message: `unknown generator extension "${key}"; known: ${Object.keys(MYSQLOP_EXTENSIONS).join(", ")}`,
        });
      else if (Array.isArray(want) ? !want.includes(value as string) : typeof value !== want)
        ctx.problems.push({
          pointer: toPointer([...path, key]),
          rule: "extension/type",
          message: Array.isArray(want) ? `"${key}" must be one of ${want.join(", ")}` : `"${key}" must be a ${String(want)}`,
        });
      else if (SPEC_FIELD_EXTENSIONS.has(key) && !isSpecField(path))
        ctx.problems.push({ pointer: toPointer([...path, key]), rule: "extension/placement", message: `"${key}" applies to the fields of spec only` });
      else if (key === "x-mysqlop-on-change" && value === "immutable" && !isCelAddressable(String(path[path.length - 1])))
        ctx.problems.push({
          pointer: toPointer([...path, key]),
          rule: "extension/immutable-name",
          message: `an immutable field needs a name its CEL transition rule can address (letters, digits and "_", not a CEL keyword); rename ${JSON.stringify(path[path.length - 1])}`,
        });
      continue;
    }
    if (FORBIDDEN_KEYWORDS.has(key)) {
      ctx.problems.push({
        pointer: toPointer([...path, key]),
        rule: "structural/forbidden-keyword",
        message: `"${key}" is not allowed in a CustomResourceDefinition schema`,
      });
    } else if (!ALLOWED_KEYWORDS.has(key)) {
      ctx.problems.push({
        pointer: toPointer([...path, key]),
        rule: "structural/unknown-keyword",
        message: `"${key}" is not an OpenAPI v3 keyword the Kubernetes API server accepts`,
      });
    } else if (ctx.inJunctor && !intOrStringBranch && (JUNCTOR_FORBIDDEN.has(key) || key.startsWith("x-kubernetes-"))) {
      ctx.problems.push({
        pointer: toPointer([...path, key]),
        rule: "structural/junctor-keyword",
        message: `"${key}" may not be set inside allOf, anyOf, oneOf or not: only value validations are allowed there`,
      });
    }
  }
  if (node.uniqueItems === true)
    ctx.problems.push({
      pointer: toPointer([...path, "uniqueItems"]),
      rule: "structural/forbidden-keyword",
      message: "uniqueItems: true is not allowed (quadratic cost); use x-kubernetes-list-type: set",
    });
  if (node.pattern !== undefined) {
    const problem = patternProblem(node.pattern, [...path, "pattern"]);
    if (problem) ctx.problems.push(problem);
  }
  if (node.additionalProperties === false)
    ctx.problems.push({
      pointer: toPointer([...path, "additionalProperties"]),
      rule: "structural/forbidden-keyword",
      message: "additionalProperties: false is not allowed: the API server prunes unknown fields by itself",
    });
  if (node.properties !== undefined && node.additionalProperties !== undefined) {
    ctx.problems.push({
      pointer: toPointer([...path, "additionalProperties"]),
      rule: "structural/properties-and-additionalProperties",
      message: "properties and additionalProperties are mutually exclusive",
    });
  }
  checkKubernetesExtensions(node, path, ctx.problems);
  const lax = node["x-kubernetes-int-or-string"] === true || node["x-kubernetes-preserve-unknown-fields"] === true;
  if (!ctx.inJunctor) {
    if (node.type === undefined) {
      if (!lax)
        ctx.problems.push({
          pointer: here,
          rule: "structural/type-required",
          message: 'every schema node needs a non-empty "type" (object, array, string, integer, number or boolean)',
        });
    } else if (typeof node.type !== "string" || !TYPES.has(node.type)) {
      ctx.problems.push({
        pointer: toPointer([...path, "type"]),
        rule: "structural/type-valid",
        message: `"type" must be one of ${[...TYPES].join(", ")}, got ${JSON.stringify(node.type)}`,
      });
    }
    if (node.default !== undefined) {
      const problem = defaultProblem(node, path);
      if (problem) ctx.problems.push(problem);
    }
  }
  if (node.type === "array" && !ctx.inJunctor && node.items === undefined) {
    ctx.problems.push({ pointer: here, rule: "structural/items-required", message: 'an array schema needs "items"' });
  }
  if (node.required !== undefined && Array.isArray(node.required) && isObject(node.properties) && !ctx.inJunctor) {
    node.required.forEach((name, i) => {
      if (typeof name === "string" && !(name in (node.properties as Json)))
        ctx.problems.push({
          pointer: toPointer([...path, "required", i]),
          rule: "structural/required-unknown",
          message: `required field "${name}" is not declared in properties`,
        });
    });
  }
  if (Array.isArray(node["x-kubernetes-list-map-keys"]) && isObject(node.items)) {
    const items = node.items;
    const required = Array.isArray(items.required) ? items.required : [];
    node["x-kubernetes-list-map-keys"].forEach((key, i) => {
      const prop = isObject(items.properties) ? items.properties[String(key)] : undefined;
      if (!required.includes(key) && !(isObject(prop) && prop.default !== undefined)) {
        ctx.problems.push({
          pointer: toPointer([...path, "x-kubernetes-list-map-keys", i]),
          rule: "structural/list-map-key",
          message: `list map key "${String(key)}" must be a required (or defaulted) property of the items`,
        });
      }
    });
  }
  if (isObject(node.properties)) {
    for (const [name, child] of Object.entries(node.properties)) {
      if (!ctx.inJunctor && !IDENTIFIER.test(name)) {
        ctx.problems.push({
          pointer: toPointer([...path, "properties", name]),
          rule: "typescript/identifier",
          message: `field name ${JSON.stringify(name)} cannot become a TypeScript identifier (letters, digits, "_" and "$", not starting with a digit) and the generator has no rename rule; rename the field`,
        });
      }
      walk(child, [...path, "properties", name], ctx);
    }
  } else if (node.properties !== undefined) {
    ctx.problems.push({
      pointer: toPointer([...path, "properties"]),
      rule: "structural/schema-object",
      message: '"properties" must map field names to schemas',
    });
  }
  if (isObject(node.additionalProperties)) walk(node.additionalProperties, [...path, "additionalProperties"], ctx);
  if (node.items !== undefined) {
    if (Array.isArray(node.items))
      ctx.problems.push({
        pointer: toPointer([...path, "items"]),
        rule: "structural/forbidden-keyword",
        message: '"items" must be one schema, not a list (tuples are not allowed)',
      });
    else walk(node.items, [...path, "items"], ctx);
  }
  for (const junctor of JUNCTORS) {
    const value = node[junctor];
    if (value === undefined) continue;
    const intOrString = isIntOrStringPattern(node, junctor, value);
    const branches = junctor === "not" ? [value] : Array.isArray(value) ? value : [];
    if (junctor !== "not" && !Array.isArray(value)) {
      ctx.problems.push({ pointer: toPointer([...path, junctor]), rule: "structural/schema-object", message: `"${junctor}" must be a list of schemas` });
    }
    branches.forEach((branch, i) => {
      const branchPath = junctor === "not" ? [...path, junctor] : [...path, junctor, i];
      walk(branch, branchPath, { problems: ctx.problems, inJunctor: true }, intOrString);
      checkJunctorFieldsDeclared(branch, node, branchPath, ctx.problems);
    });
  }
}

/** Whether `path` (from the schema file's root) names a field of the version's `spec`. */
function isSpecField(path: readonly (string | number)[]): boolean {
  return path.length === 8 && path[0] === "versions" && path[4] === "properties" && path[5] === "spec" && path[6] === "properties";
}

/** Whether CEL can address the field without escaping (`self.name`). */
function isCelAddressable(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !name.includes("__") && !CEL_RESERVED.has(name);
}

/** The API server's rules for its own `x-kubernetes-*` extensions. */
function checkKubernetesExtensions(node: Json, path: (string | number)[], problems: SchemaProblem[]): void {
  const bad = (key: string, message: string): void => void problems.push({ pointer: toPointer([...path, key]), rule: "structural/extension-misuse", message });
  if (node["x-kubernetes-preserve-unknown-fields"] === false)
    bad("x-kubernetes-preserve-unknown-fields", "x-kubernetes-preserve-unknown-fields must be true or left out");
  if (node["x-kubernetes-int-or-string"] === true && node.type !== undefined) bad("type", '"type" must be empty when x-kubernetes-int-or-string is true');
  if (
    node["x-kubernetes-embedded-resource"] === true &&
    (node.type !== "object" || (node.properties === undefined && node["x-kubernetes-preserve-unknown-fields"] !== true))
  ) {
    bad("x-kubernetes-embedded-resource", 'an embedded resource needs type "object" and properties or x-kubernetes-preserve-unknown-fields: true');
  }
  if (node["x-kubernetes-list-type"] !== undefined) {
    if (node.type !== "array") bad("x-kubernetes-list-type", "x-kubernetes-list-type applies to arrays only");
    else if (!["atomic", "set", "map"].includes(String(node["x-kubernetes-list-type"])))
      bad("x-kubernetes-list-type", "x-kubernetes-list-type must be atomic, set or map");
  }
  if (node["x-kubernetes-list-map-keys"] !== undefined && node["x-kubernetes-list-type"] !== "map")
    bad("x-kubernetes-list-map-keys", "x-kubernetes-list-map-keys needs x-kubernetes-list-type: map");
  if (node["x-kubernetes-list-type"] === "map" && !Array.isArray(node["x-kubernetes-list-map-keys"]))
    bad("x-kubernetes-list-type", "x-kubernetes-list-type: map needs x-kubernetes-list-map-keys");
  if (node["x-kubernetes-map-type"] !== undefined && node.type !== "object") bad("x-kubernetes-map-type", "x-kubernetes-map-type applies to objects only");
  if (node["x-kubernetes-validations"] !== undefined) checkCelRules(node["x-kubernetes-validations"], [...path, "x-kubernetes-validations"], problems);
}

/** Reasons the API server accepts on a CEL rule. */
const CEL_REASONS = ["FieldValueInvalid", "FieldValueForbidden", "FieldValueRequired", "FieldValueDuplicate"];
const CEL_RULE_KEYS = new Set(["rule", "message", "messageExpression", "reason", "fieldPath", "optionalOldSelf"]);

/**
 * `x-kubernetes-validations`: each rule must have the API server's shape and parse as CEL, so
 * that the offline validator (which evaluates the same rules) and the API server see one rule.
 */
function checkCelRules(rules: unknown, path: (string | number)[], problems: SchemaProblem[]): void {
  const bad = (at: (string | number)[], message: string): void => void problems.push({ pointer: toPointer(at), rule: "structural/cel-rule", message });
  if (!Array.isArray(rules)) return bad(path, "x-kubernetes-validations must be a list of rules");
  rules.forEach((entry: unknown, i) => {
    const at = [...path, i];
    if (!isObject(entry) || typeof entry.rule !== "string") return bad(at, 'a CEL rule needs "rule", a string');
    for (const key of Object.keys(entry)) if (!CEL_RULE_KEYS.has(key)) bad([...at, key], `unknown key "${key}"; known: ${[...CEL_RULE_KEYS].join(", ")}`);
    for (const key of ["message", "messageExpression", "fieldPath"]) {
      if (entry[key] !== undefined && typeof entry[key] !== "string") bad([...at, key], `"${key}" must be a string`);
    }
    if (entry.reason !== undefined && !CEL_REASONS.includes(String(entry.reason))) bad([...at, "reason"], `"reason" must be one of ${CEL_REASONS.join(", ")}`);
    for (const key of ["rule", "messageExpression"]) {
      if (typeof entry[key] !== "string") continue;
      try {
        parseCel(entry[key]);
      } catch (error) {
        bad([...at, key], `not a CEL expression: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  });
}

/** Structural rule 2: a field or item named inside a junctor must also be declared outside it. */
function checkJunctorFieldsDeclared(branch: unknown, outer: Json, path: (string | number)[], problems: SchemaProblem[]): void {
  if (!isObject(branch)) return;
  if (isObject(branch.properties)) {
    const declared = isObject(outer.properties) ? outer.properties : {};
    for (const name of Object.keys(branch.properties)) {
      if (!(name in declared))
        problems.push({
          pointer: toPointer([...path, "properties", name]),
          rule: "structural/junctor-field-undeclared",
          message: `field "${name}" is named inside a junctor but not declared in the enclosing properties`,
        });
    }
  }
  if (branch.items !== undefined && outer.items === undefined) {
    problems.push({
      pointer: toPointer([...path, "items"]),
      rule: "structural/junctor-field-undeclared",
      message: '"items" is specified inside a junctor but not in the enclosing schema',
    });
  }
}

function checkRootMetadata(root: Json, base: (string | number)[], problems: SchemaProblem[]): void {
  const metadata = isObject(root.properties) ? root.properties.metadata : undefined;
  if (metadata === undefined) return;
  const path = [...base, "properties", "metadata"];
  if (!isObject(metadata)) return;
  for (const key of Object.keys(metadata)) {
    if (key !== "type" && key !== "properties") {
      problems.push({
        pointer: toPointer([...path, key]),
        rule: "structural/metadata",
        message: "only metadata.name and metadata.generateName may be restricted",
      });
    }
  }
  if (metadata.type !== "object")
    problems.push({ pointer: toPointer([...path, "type"]), rule: "structural/metadata", message: 'metadata must have type "object"' });
  if (isObject(metadata.properties)) {
    for (const [name, prop] of Object.entries(metadata.properties)) {
      if (name !== "name" && name !== "generateName") {
        problems.push({
          pointer: toPointer([...path, "properties", name]),
          rule: "structural/metadata",
          message: `only metadata.name and metadata.generateName may be restricted, not metadata.${name}`,
        });
      } else if (isObject(prop) && prop.type !== "string") {
        problems.push({
          pointer: toPointer([...path, "properties", name, "type"]),
          rule: "structural/metadata",
          message: `metadata.${name} must have type "string"`,
        });
      }
    }
  }
}

/** The status fields the generic reconcile loop writes (StandardStatus in the runtime contract). */
const STANDARD_STATUS: Readonly<Record<string, string>> = { observedGeneration: "integer", conditions: "array", message: "string", appliedSpec: "object" };

function checkSpecAndStatus(root: Json, base: (string | number)[], problems: SchemaProblem[]): void {
  const properties = isObject(root.properties) ? root.properties : {};
  for (const part of ["spec", "status"] as const) {
    const node = properties[part];
    const title = isObject(node) ? node.title : undefined;
    const problem = typeof title === "string" && title !== "" ? typeNameProblem(title) : undefined;
    if (typeof title === "string" && problem !== undefined) {
      problems.push({
        pointer: toPointer([...base, "properties", part, "title"]),
        rule: "typescript/type-name",
        message: `the title of ${part}, ${JSON.stringify(title)}, names its generated TypeScript interface, ${problem}: rename it (e.g. ${JSON.stringify(suggestedTypeName(title, part === "spec" ? "MySpec" : "MyStatus"))}) or leave it out (the interface is then named after the kind)`,
      });
    }
  }
  const spec = properties.spec;
  if (!isObject(spec)) {
    problems.push({
      pointer: toPointer([...base, "properties"]),
      rule: "resource/spec-required",
      message: 'the resource schema must declare "spec" (an object whose fields the reconciler handles)',
    });
  } else if (spec.type !== "object" || !isObject(spec.properties) || Object.keys(spec.properties).length === 0) {
    problems.push({
      pointer: toPointer([...base, "properties", "spec"]),
      rule: "resource/spec-required",
      message: '"spec" must be an object with at least one declared field',
    });
  } else {
    const byHook = new Map<string, string>();
    for (const name of Object.keys(spec.properties)) {
      const hook = hookNameOf(name);
      const other = byHook.get(hook);
      if (other !== undefined)
        problems.push({
          pointer: toPointer([...base, "properties", "spec", "properties", name]),
          rule: "typescript/hook-collision",
          message: `fields "${other}" and "${name}" would both get the change hook ${hook}(); rename one`,
        });
      byHook.set(hook, name);
    }
  }
  const status = properties.status;
  if (status === undefined) {
    problems.push({
      pointer: toPointer([...base, "properties"]),
      rule: "resource/status-standard-fields",
      message: `the resource schema must declare "status" with ${Object.keys(STANDARD_STATUS).join(", ")} (the reconcile loop writes them)`,
    });
    return;
  }
  const statusProps = isObject(status) && isObject(status.properties) ? status.properties : {};
  for (const [field, type] of Object.entries(STANDARD_STATUS)) {
    const prop = statusProps[field];
    if (!isObject(prop) || prop.type !== type) {
      problems.push({
        pointer: toPointer([...base, "properties", "status", "properties", field]),
        rule: "resource/status-standard-fields",
        message: `status.${field} must be declared with type "${type}" (the reconcile loop writes it)`,
      });
    }
  }
}

/**
 * Why `name` cannot name a generated interface as it is, or `undefined`: json-schema-to-typescript names each type by
 * its title (or the kind) made "safe" (a first letter in capitals, `_`, `$` and spaces dropped with the next letter
 * capitalised, a letter after a digit capitalised), and the reconcile base imports the name as written, so only a name
 * that rule keeps works: capital first, then letters and digits, no small letter right after a digit.
 */
export function typeNameProblem(name: string): string | undefined {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) return "which must start with a capital letter and hold only letters and digits";
  if (/[0-9][a-z]/.test(name))
    return `which must not have a small letter right after a digit (json-schema-to-typescript would name it ${JSON.stringify(capitalAfterDigits(name))})`;
  return undefined;
}

/** `name` with each small letter that follows a digit capitalised, as json-schema-to-typescript names types. */
function capitalAfterDigits(name: string): string {
  return name.replaceAll(/([0-9])([a-z])/g, (_m, digit: string, letter: string) => digit + letter.toUpperCase());
}

/** A name {@link typeNameProblem} accepts, made from `text` as json-schema-to-typescript would make it; `fallback` if none. */
function suggestedTypeName(text: string, fallback: string): string {
  const words = text
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== "")
    .map((w) => w[0]!.toUpperCase() + w.slice(1));
  const name = capitalAfterDigits(words.join("").replace(/^[0-9]+/, ""));
  return name === "" ? fallback : name;
}

/** The change-hook method name of a spec field: `storage_size` → `onStorageSizeChange`. */
export function hookNameOf(field: string): string {
  const words = field.split(/[_$]+|(?<=[a-z0-9])(?=[A-Z])/).filter((w) => w.length > 0);
  return "on" + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("") + "Change";
}

function checkVersions(doc: Json, problems: SchemaProblem[]): void {
  const versions = Array.isArray(doc.versions) ? doc.versions : [];
  const storage = versions.filter((v) => isObject(v) && v.storage === true);
  if (storage.length !== 1)
    problems.push({ pointer: "/versions", rule: "versions/one-storage", message: `exactly one version must have storage: true, found ${storage.length}` });
  const seen = new Set<string>();
  versions.forEach((version, i) => {
    if (!isObject(version)) return;
    const name = String(version.name);
    if (seen.has(name))
      problems.push({ pointer: toPointer(["versions", i, "name"]), rule: "versions/duplicate", message: `version "${name}" is declared twice` });
    seen.add(name);
    const columns = Array.isArray(version.additionalPrinterColumns) ? version.additionalPrinterColumns : [];
    const names = new Map<string, number>();
    columns.forEach((column, j) => {
      if (!isObject(column)) return;
      const columnName = String(column.name);
      const first = names.get(columnName.toLowerCase());
      if (first !== undefined)
        problems.push({
          pointer: toPointer(["versions", i, "additionalPrinterColumns", j, "name"]),
          rule: "printer-columns/duplicate",
          message: `printer column "${columnName}" duplicates column ${first} (names must be unique)`,
        });
      else names.set(columnName.toLowerCase(), j);
    });
    const schema = isObject(version.schema) ? version.schema.openAPIV3Schema : undefined;
    if (!isObject(schema)) return;
    const base = ["versions", i, "schema", "openAPIV3Schema"];
    if (schema.type !== "object")
      problems.push({ pointer: toPointer([...base, "type"]), rule: "structural/root-type", message: 'the root schema must have type "object"' });
    const { properties, ...rest } = schema;
    // metadata has its own rules; walk everything else.
    const walkable: Json = isObject(properties)
      ? { ...rest, properties: Object.fromEntries(Object.entries(properties).filter(([k]) => k !== "metadata")) }
      : schema;
    walk(walkable, base, { problems, inJunctor: false });
    checkRootMetadata(schema, base, problems);
    // Hooks and status come from the storage version; older versions may be looser.
    if (version.storage === true) checkSpecAndStatus(schema, base, problems);
  });
}

function checkRbac(doc: Json, problems: SchemaProblem[]): void {
  const operator = isObject(doc.operator) ? doc.operator : {};
  for (const list of ["clusterRules", "namespaceRules"] as const) {
    const rules = Array.isArray(operator[list]) ? operator[list] : [];
    const seen = new Set<string>();
    rules.forEach((r, i) => {
      if (!isObject(r)) return;
      const key = `${String(r.group)}/${String(r.resource)}`;
      if (Array.isArray(r.verbs) && r.verbs.includes("watch"))
        for (const field of ["kind", "version"])
          if (r[field] === undefined)
            problems.push({
              pointer: toPointer(["operator", list, i]),
              rule: "rbac/watched-kind",
              message: `"${key}" is watched: name its "${field}" (and "scope: Cluster" if it is cluster-scoped), so the operator's informer can list it`,
            });
      if (seen.has(key))
        problems.push({
          pointer: toPointer(["operator", list, i]),
          rule: "rbac/duplicate",
          message: `"${key}" is declared twice in ${list}; merge the verbs into one rule`,
        });
      seen.add(key);
    });
  }
}

/** Returns every problem in the loaded schema file; empty means generation may proceed. */
export function findSchemaProblems(loaded: LoadedSchema): SchemaProblem[] {
  const formatProblems = checkFileFormat(loaded.document);
  if (formatProblems.length > 0) return formatProblems;
  const doc = loaded.document as Json;
  const problems: SchemaProblem[] = [];
  const kind = isObject(doc.names) ? doc.names.kind : undefined;
  const kindProblem = typeof kind === "string" ? typeNameProblem(kind) : undefined;
  if (typeof kind === "string" && kindProblem !== undefined) {
    problems.push({
      pointer: "/names/kind",
      rule: "typescript/type-name",
      message: `the kind ${JSON.stringify(kind)} names the generated TypeScript interfaces, ${kindProblem}: rename it (e.g. ${JSON.stringify(suggestedTypeName(kind, "MyResource"))})`,
    });
  }
  checkVersions(doc, problems);
  checkRbac(doc, problems);
  return problems;
}

/** Throws {@link SchemaError} listing every problem when the schema file is not fit to generate from. */
export function validateSchema(loaded: LoadedSchema): void {
  const problems = findSchemaProblems(loaded).map((p) => ({ ...p, ...toLineColumn(loaded.locate(p.pointer)) }));
  if (problems.length > 0) throw new SchemaError(loaded.displayPath, problems);
}

function toLineColumn(position: { line: number; column: number } | undefined): { line?: number; column?: number } {
  return position === undefined ? {} : { line: position.line, column: position.column };
}
