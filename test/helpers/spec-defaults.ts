/** The defaults the API server fills into a MySQL spec, taken from the schema (as the generated validator holds it). */
import type { MySQL } from "../../generated/mysql-models.ts";
import { mysqlResourceSchema } from "../../generated/mysql-validator.ts";

type SchemaNode = { readonly default?: unknown; readonly properties?: Record<string, SchemaNode> };

const specProperties = ((mysqlResourceSchema as SchemaNode).properties?.spec?.properties ?? {}) as Record<string, SchemaNode>;

/** Every spec field's default, as the API server applies them to a field left out. */
export const SPEC_DEFAULTS: Readonly<Record<string, unknown>> = Object.fromEntries(
  Object.entries(specProperties)
    .filter(([, node]) => node.default !== undefined)
    .map(([name, node]) => [name, structuredClone(node.default)]),
);

/** `spec` as the API server stores it: the schema's defaults for the fields it leaves out. */
export function withSpecDefaults(spec: Partial<MySQL["spec"]>): MySQL["spec"] {
  return { ...structuredClone(SPEC_DEFAULTS), ...spec } as MySQL["spec"];
}
