/**
 * Emits the TypeScript models with json-schema-to-typescript, after translating what it
 * does not know: `x-kubernetes-*` extensions, `metadata` (client-node's V1ObjectMeta),
 * and defaulted fields (always present on objects read from the API server).
 */
import { compile } from "json-schema-to-typescript";
import type { SchemaNode } from "../model.ts";
import type { ModelsInput } from "./inputs.ts";
import { generatedHeader } from "./header.ts";
import { linesFit, modelsLayout } from "./prettier-form.ts";
import { mapSchema, stripGeneratorExtensions } from "./schema-tools.ts";

/** Rewrites one schema node into what json-schema-to-typescript understands. */
function toTypeScriptSchema(node: SchemaNode): SchemaNode {
  const out: SchemaNode = {};
  for (const [key, value] of Object.entries(node)) if (!key.startsWith("x-kubernetes-")) out[key] = value;
  if (node["x-kubernetes-int-or-string"] === true) {
    delete out.type;
    delete out.anyOf;
    delete out.allOf;
    out.tsType = "number | string";
  }
  if (node["x-kubernetes-embedded-resource"] === true) {
    out.tsType = "KubernetesObject";
  } else if (node["x-kubernetes-preserve-unknown-fields"] === true) {
    if (out.properties === undefined) out.tsType = "Record<string, unknown>";
    else out.additionalProperties = true;
  }
  // The API server fills defaults in, so a defaulted field is always there when read.
  const properties = node.properties as Record<string, SchemaNode> | undefined;
  if (properties !== undefined) {
    const required = new Set((node.required as string[] | undefined) ?? []);
    for (const [name, child] of Object.entries(properties)) if (child.default !== undefined) required.add(name);
    if (required.size > 0) out.required = [...required];
  }
  // Junctors only carry value validations; they would turn into odd intersections.
  delete out.oneOf;
  delete out.anyOf;
  delete out.allOf;
  delete out.not;
  return out;
}

/** The storage version's schema, pre-processed for json-schema-to-typescript. */
export function typeScriptSchemaOf(model: ModelsInput): SchemaNode {
  const root = mapSchema(stripGeneratorExtensions(model.storageVersion.schema), toTypeScriptSchema);
  const declared = root.properties as Record<string, SchemaNode>;
  // Named interfaces for spec and status even when the schema gives them no title: the base class imports them.
  const properties: Record<string, SchemaNode> = {
    apiVersion: { ...declared.apiVersion, tsType: JSON.stringify(`${model.group}/${model.storageVersion.name}`) },
    kind: { ...declared.kind, tsType: JSON.stringify(model.kind) },
    metadata: { description: "Standard object metadata.", tsType: "V1ObjectMeta" },
  };
  for (const [name, node] of Object.entries(declared)) {
    if (name in properties) continue;
    if (name === "spec") properties.spec = { ...node, title: model.typeNames.spec };
    else if (name === "status") properties.status = { ...node, title: model.typeNames.status };
    else properties[name] = node;
  }
  const required = new Set([...((root.required as string[] | undefined) ?? []), "apiVersion", "kind", "metadata", "spec"]);
  return { ...root, title: model.typeNames.resource, properties, required: [...required] };
}

/**
 * Renders `generated/<singular>-models.ts`: in prettier's form (`final`) when json-schema-to-typescript printed only
 * shapes {@link modelsLayout} models, else as printed, for prettier to format. `layout` false: as printed, always (the
 * format tests compare the two through prettier).
 */
export async function emitModels(model: ModelsInput, layout = true): Promise<{ content: string; final: boolean }> {
  const schema = typeScriptSchemaOf(model);
  const body = await compile(schema as Parameters<typeof compile>[0], model.typeNames.resource, {
    bannerComment: "",
    additionalProperties: false,
    format: false,
    ignoreMinAndMaxItems: true,
    unknownAny: true,
    strictIndexSignatures: false,
    declareExternallyReferenced: true,
    $refOptions: { resolve: { external: false, file: false, http: false } },
  });
  const usesEmbedded = body.includes("KubernetesObject");
  const imports = usesEmbedded ? "KubernetesObject, V1ObjectMeta" : "V1ObjectMeta";
  const laidOut = layout ? modelsLayout(body) : undefined;
  const content = `${generatedHeader(model, "line")}
/**
 * TypeScript models of the ${model.kind} custom resource (${model.group}/${model.storageVersion.name}),
 * as read from the API server: fields with a default are always present.
 * @packageDocumentation
 */
import type { ${imports} } from "@kubernetes/client-node";

${laidOut ?? body}`;
  return { content, final: laidOut !== undefined && linesFit(content) };
}
