/** Emits `generated/<singular>-constants.ts`: names of the resource type, finalizer, spec fields. */
import type { ConstantsInput } from "./inputs.ts";
import { generatedHeader } from "./header.ts";

/** Renders the constants file (unformatted). */
export function emitConstants(model: ConstantsInput): string {
  const p = model.constantPrefix;
  const v = model.storageVersion.name;
  const js = (value: unknown): string => JSON.stringify(value);
  return `${generatedHeader(model, "line")}
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
export const ${p}_SPEC_FIELDS: readonly SpecFieldInfo[] = [
${model.specFields.map((f) => `  { name: ${js(f.name)}, onChange: ${js(f.onChange)}${f.sensitive ? ", sensitive: true" : ""} },`).join("\n")}
];
/** Kinds the operator watches besides ${model.kind} itself (the schema's operator rules with \`watch\`): its cache serves every read of the hooks. */
export const ${p}_WATCHED_KINDS: readonly KindInfo[] = [
${model.watchedKinds.map((k) => `  { apiVersion: ${js(k.apiVersion)}, kind: ${js(k.kind)}, plural: ${js(k.plural)}, namespaced: ${k.namespaced} },`).join("\n")}
];
/** Spec fields marked sensitive: never logged, fingerprinted only as salted hashes. */
export const ${p}_SENSITIVE_FIELDS: readonly string[] = ${js(model.specFields.filter((f) => f.sensitive).map((f) => f.name))};
/** The operator's ServiceAccount and namespace (RBAC subjects). */
export const ${p}_OPERATOR_SERVICE_ACCOUNT = ${js(model.rbac.serviceAccount)};
/** Namespace the operator runs in (leader-election Leases live there). */
export const ${p}_OPERATOR_NAMESPACE = ${js(model.rbac.namespace)};
`;
}
