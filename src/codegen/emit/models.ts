/**
 * Emits the TypeScript models with json-schema-to-typescript, after translating what it
 * does not know: `x-kubernetes-*` extensions, `metadata` (client-node's V1ObjectMeta),
 * and defaulted fields (always present on objects read from the API server).
 */
import { createRequire, Module } from "node:module";
import type { compile } from "json-schema-to-typescript";
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

let library: Promise<{ compile: typeof compile }> | undefined;

/**
 * json-schema-to-typescript, loaded once. Its formatter requires prettier's main entry as it loads (25 ms of the 100 ms
 * the library takes, on the critical path of a generate from scratch), although the models are compiled with
 * `format: false` and laid out here (or formatted by prettier's standalone build when not final, see format.ts). While
 * it loads, that require finds a stand-in in Node's module cache (`require.cache`, open to adding entries): the
 * stand-in's `format` loads prettier when called, so a caller that does ask the library to format (the package exports
 * the pipeline) gets prettier's output. The entry is taken out once the library is loaded; where prettier is loaded
 * already, or the library is not found this way (bundled), it loads as usual. A load that fails is tried again next time.
 */
function jsonSchemaToTypescript(): Promise<{ compile: typeof compile }> {
  library ??= loadWithoutPrettier().catch((error: unknown) => {
    library = undefined;
    throw error;
  });
  return library;
}

async function loadWithoutPrettier(): Promise<{ compile: typeof compile }> {
  const require = createRequire(import.meta.url);
  let prettierPath: string | undefined;
  try {
    prettierPath = createRequire(require.resolve("json-schema-to-typescript")).resolve("prettier");
  } catch {
    prettierPath = undefined;
  }
  let standIn: Module | undefined;
  if (prettierPath !== undefined && require.cache[prettierPath] === undefined) {
    standIn = new Module(prettierPath);
    standIn.filename = prettierPath;
    standIn.loaded = true;
    standIn.exports = {
      format: async (...args: Parameters<typeof import("prettier").format>) => (await import("prettier")).format(...args),
    };
    require.cache[prettierPath] = standIn;
  }
  try {
    return await import("json-schema-to-typescript");
  } finally {
    if (prettierPath !== undefined && standIn !== undefined && require.cache[prettierPath] === standIn) delete require.cache[prettierPath];
  }
}

/**
 * Renders `generated/<singular>-models.ts`: in prettier's form (`final`) when json-schema-to-typescript printed only
 * shapes {@link modelsLayout} models, else as printed, for prettier to format. `layout` false: as printed, always (the
 * format tests compare the two through prettier).
 */
export async function emitModels(model: ModelsInput, layout = true): Promise<{ content: string; final: boolean }> {
  const schema = typeScriptSchemaOf(model);
  const { compile } = await jsonSchemaToTypescript();
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
