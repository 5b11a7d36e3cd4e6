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
