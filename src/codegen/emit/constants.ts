/** Emits `generated/<singular>-constants.ts`: names of the resource type, finalizer, spec fields. */
import type { ConstantsInput } from "./inputs.ts";
import { generatedHeader } from "./header.ts";
import { linesFit } from "./prettier-form.ts";
import { getStringWidth, PRINT_WIDTH } from "./string-width.ts";

/**
 * `declaration` followed by a list, as prettier prints it: `[]`; on the declaration's line when that fits, unless it is
 * several objects of more than one key (as these are), which prettier always breaks; else one item per line. A line
 * still too long for the width makes the file not final.
 */
function list(declaration: string, items: readonly string[], objects: boolean): string {
  const oneLine = `${declaration}[${items.join(", ")}];`;
  if (items.length === 0 || ((!objects || items.length === 1) && getStringWidth(oneLine) <= PRINT_WIDTH)) return oneLine;
  return `${declaration}[\n${items.map((item) => `  ${item},`).join("\n")}\n];`;
}

/**
 * Renders the constants file, in prettier's form (`final`) unless a line is too long for it (names of some 90
 * characters): then prettier formats it.
 */
export function emitConstants(model: ConstantsInput): { content: string; final: boolean } {
  const p = model.constantPrefix;
  const v = model.storageVersion.name;
  const js = (value: unknown): string => JSON.stringify(value);
  const content = `${generatedHeader(model, "line")}
/**
 * Names of the ${model.kind} custom resource type, from the schema.
 * @packageDocumentation
 */
import type { KindInfo, ResourceType, SpecFieldInfo } from ${js(model.runtimeImports.index)};

/** API group of ${model.kind}. */
export const ${p}_GROUP = ${js(model.group)};
/** Storage version of ${model.kind}. */
export const ${p}_VERSION = ${js(v)};
/** Kind of the resource. */
export const ${p}_KIND = ${js(model.kind)};
/** Plural resource name (URL path segment). */
export const ${p}_PLURAL = ${js(model.plural)};
/** The finalizer that holds deletion until the final backup succeeded. */
export const ${p}_FINALIZER = ${js(model.finalizer)};
/** The resource type, as the runtime wants it. */
export const ${p}_RESOURCE_TYPE: ResourceType = {
  group: ${p}_GROUP,
  version: ${p}_VERSION,
  plural: ${p}_PLURAL,
  kind: ${p}_KIND,
  namespaced: ${model.scope === "Namespaced"},
};
/** Spec fields in schema order, with what a change of each means (\`x-mysqlop-on-change\`) and whether it is a secret. */
${list(
  `export const ${p}_SPEC_FIELDS: readonly SpecFieldInfo[] = `,
  model.specFields.map((f) => `{ name: ${js(f.name)}, onChange: ${js(f.onChange)}${f.sensitive ? ", sensitive: true" : ""} }`),
  true,
)}
/** Kinds the operator watches besides ${model.kind} itself (the schema's operator rules with \`watch\`): its cache serves every read of the hooks. */
${list(
  `export const ${p}_WATCHED_KINDS: readonly KindInfo[] = `,
  model.watchedKinds.map((k) => `{ apiVersion: ${js(k.apiVersion)}, kind: ${js(k.kind)}, plural: ${js(k.plural)}, namespaced: ${k.namespaced} }`),
  true,
)}
/** Spec fields marked sensitive: never logged, fingerprinted only as salted hashes. */
${list(
  `export const ${p}_SENSITIVE_FIELDS: readonly string[] = `,
  model.specFields.filter((f) => f.sensitive).map((f) => js(f.name)),
  false,
)}
/** The operator's ServiceAccount and namespace (RBAC subjects). */
export const ${p}_OPERATOR_SERVICE_ACCOUNT = ${js(model.rbac.serviceAccount)};
/** Namespace the operator runs in (leader-election Leases live there). */
export const ${p}_OPERATOR_NAMESPACE = ${js(model.rbac.namespace)};
`;
  return { content, final: linesFit(content) };
}
