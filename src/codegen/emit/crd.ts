/** Emits `deploy/crd.yaml`: an apiextensions.k8s.io/v1 CustomResourceDefinition. */
import { Document } from "yaml";
import type { GeneratorModel } from "../model.ts";
import { generatedHeader } from "./header.ts";
import { stripGeneratorExtensions, withImmutabilityRules } from "./schema-tools.ts";

/** The CRD as a plain object (also used by tests and the sandbox). */
export function buildCrd(model: GeneratorModel): Record<string, unknown> {
  const names: Record<string, unknown> = { kind: model.kind, listKind: model.listKind, plural: model.plural, singular: model.singular };
  if (model.shortNames.length > 0) names.shortNames = [...model.shortNames];
  if (model.categories.length > 0) names.categories = [...model.categories];
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${model.plural}.${model.group}` },
    spec: {
      group: model.group,
      names,
      scope: model.scope,
      versions: model.versions.map((v) => {
        const version: Record<string, unknown> = { name: v.name, served: v.served, storage: v.storage };
        if (v.deprecated) version.deprecated = true;
        version.schema = { openAPIV3Schema: stripGeneratorExtensions(withImmutabilityRules(v.schema)) };
        version.subresources = { status: {} };
        if (v.printerColumns.length > 0) version.additionalPrinterColumns = v.printerColumns;
        return version;
      }),
    },
  };
}

/** Renders the CRD as YAML text (unformatted; the format stage runs prettier). */
export function emitCrd(model: GeneratorModel): string {
  const doc = new Document(buildCrd(model));
  return `${generatedHeader(model, "hash")}\n${doc.toString({ lineWidth: 0 })}`;
}
