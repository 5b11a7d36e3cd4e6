/** Walks and rewrites OpenAPI schema trees; shared by the emitters. */
import type { SchemaNode } from "../model.ts";

/** Keywords whose value is a map of field name → schema. */
const SCHEMA_MAPS = ["properties"] as const;
/** Keywords whose value is one schema. */
const SCHEMA_VALUES = ["additionalProperties", "items", "not"] as const;
/** Keywords whose value is a list of schemas. */
const SCHEMA_LISTS = ["allOf", "anyOf", "oneOf"] as const;

function isNode(value: unknown): value is SchemaNode {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Rebuilds a schema tree bottom-up: `visit` receives each node with its sub-schemas
 * already rewritten, and returns the node to keep. Values of `default`, `enum`,
 * `example` are never entered, so user data is not mistaken for schema.
 */
export function mapSchema(node: SchemaNode, visit: (node: SchemaNode, path: readonly string[]) => SchemaNode, path: readonly string[] = []): SchemaNode {
  const out: SchemaNode = {};
  for (const [key, value] of Object.entries(node)) {
    if ((SCHEMA_MAPS as readonly string[]).includes(key) && isNode(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, child]) => [name, isNode(child) ? mapSchema(child, visit, [...path, key, name]) : child]),
      );
    } else if ((SCHEMA_VALUES as readonly string[]).includes(key) && isNode(value)) {
      out[key] = mapSchema(value, visit, [...path, key]);
    } else if ((SCHEMA_LISTS as readonly string[]).includes(key) && Array.isArray(value)) {
      out[key] = value.map((child: unknown, i) => (isNode(child) ? mapSchema(child, visit, [...path, key, String(i)]) : child));
    } else {
      out[key] = value;
    }
  }
  return visit(out, path);
}

/** Removes our `x-mysqlop-*` extensions: the API server rejects unknown keys. */
export function stripGeneratorExtensions(schema: SchemaNode): SchemaNode {
  return mapSchema(schema, (node) => Object.fromEntries(Object.entries(node).filter(([k]) => !k.startsWith("x-mysqlop-"))));
}

/** The schema without its `description`s (keywords of schema nodes; a field named `description` stays). */
export function withoutDescriptions(schema: SchemaNode): SchemaNode {
  return mapSchema(schema, (node) => Object.fromEntries(Object.entries(node).filter(([k]) => k !== "description")));
}

/**
 * The CEL transition rule that makes the API server refuse a change of a spec field marked
 * `x-mysqlop-on-change: immutable`. It sits on `spec`, not on the field: a rule on an optional
 * field is not evaluated when the field is added or removed (there is no old or new value to
 * compare), so adding or removing it would slip through.
 */
export function immutabilityRule(name: string, alwaysPresent: boolean): SchemaNode {
  const rule = alwaysPresent
    ? `self.${name} == oldSelf.${name}`
    : `has(self.${name}) == has(oldSelf.${name}) && (!has(self.${name}) || self.${name} == oldSelf.${name})`;
  // The API server prefixes the message with the field path (`spec.NAME: Invalid value: …`).
  const message = alwaysPresent
    ? "field is immutable: it cannot change once the resource is created"
    : "field is immutable: it cannot be set, changed or removed once the resource is created";
  return { rule, message, fieldPath: `.${name}` };
}

/** Adds {@link immutabilityRule}s to `spec` of a version's root schema for its immutable fields. */
export function withImmutabilityRules(root: SchemaNode): SchemaNode {
  const properties = isNode(root.properties) ? root.properties : undefined;
  const spec = properties !== undefined && isNode(properties.spec) ? properties.spec : undefined;
  if (spec === undefined || !isNode(spec.properties)) return root;
  const required = new Set(Array.isArray(spec.required) ? spec.required : []);
  const rules = Object.entries(spec.properties)
    .filter(([, field]) => isNode(field) && field["x-mysqlop-on-change"] === "immutable")
    .map(([name, field]) => immutabilityRule(name, required.has(name) || (isNode(field) && field.default !== undefined)));
  if (rules.length === 0) return root;
  const existing = Array.isArray(spec["x-kubernetes-validations"]) ? spec["x-kubernetes-validations"] : [];
  return { ...root, properties: { ...properties, spec: { ...spec, "x-kubernetes-validations": [...existing, ...rules] } } };
}
