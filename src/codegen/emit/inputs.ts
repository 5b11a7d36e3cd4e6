/**
 * What each TypeScript output is made from: the part of the model its emitter receives, and nothing else. Each of
 * these emitters is typed to take its part only, so the compiler refuses an emitter that reads a field its part
 * leaves out; the pipeline calls it with exactly this object. A run whose part is unchanged (its hash is in the
 * generation record) and whose file is as recorded keeps the file and only rewrites its first line, the header with
 * the schema's hash: a description edited in the CRD's printer columns does not load ts-morph or prettier.
 * `source` (the header) is in every part but never in its hash.
 */
import type { GeneratorModel, SpecField, VersionModel } from "../model.ts";
import { stripGeneratorExtensions, withoutDescriptions } from "./schema-tools.ts";

/** What `<singular>-models.ts` is made from: the storage version's schema without our `x-mysqlop-*` extensions, the type names. */
export type ModelsInput = Pick<GeneratorModel, "source" | "group" | "kind" | "typeNames"> & {
  readonly storageVersion: Pick<VersionModel, "name" | "schema">;
};

/** What `<singular>-constants.ts` is made from: names, spec fields' policies, watched kinds, the operator's account. */
export type ConstantsInput = Pick<
  GeneratorModel,
  "source" | "constantPrefix" | "group" | "kind" | "plural" | "finalizer" | "scope" | "watchedKinds" | "runtimeImports"
> & {
  readonly storageVersion: Pick<VersionModel, "name">;
  readonly specFields: readonly Pick<SpecField, "name" | "onChange" | "sensitive">[];
  readonly rbac: Pick<GeneratorModel["rbac"], "serviceAccount" | "namespace">;
};

/**
 * What `<singular>-validator.ts` is made from: the served versions and the storage version's schema without its
 * descriptions (the offline check never reads them; the models, the CRD and the API reference carry them), so that
 * editing a description leaves the validator alone.
 */
export type ValidatorInput = Pick<GeneratorModel, "source" | "group" | "kind" | "singular" | "typeNames" | "runtimeImports"> & {
  readonly versions: readonly Pick<VersionModel, "name" | "served">[];
  readonly storageVersion: Pick<VersionModel, "name" | "schema">;
};

/**
 * A spec field as the reconciler base sees it: its description only when it is hooked and documented on its type
 * ({@link SpecField.documentedOnType}). Other hooks' docs link to the field's docs in the models instead of repeating
 * them, so that editing such a description (the most common schema edit) leaves the base, and ts-morph, alone; a link
 * to a titled field would lead to a field without docs.
 */
export type ReconcilerBaseField = Omit<SpecField, "description" | "documentedOnType"> & { readonly description?: string };

/** What `<singular>-reconciler-base.ts` is made from: the spec fields (the descriptions of titled hooked ones), names, imports. */
export type ReconcilerBaseInput = Pick<GeneratorModel, "source" | "group" | "kind" | "constantPrefix" | "typeNames" | "runtimeImports" | "outputs"> & {
  readonly specFields: readonly ReconcilerBaseField[];
  readonly storageVersion: Pick<VersionModel, "name">;
};

/** The part of `model` the models emitter receives. */
export function modelsInput(model: GeneratorModel): ModelsInput {
  const { source, group, kind, typeNames, storageVersion } = model;
  return { source, group, kind, typeNames, storageVersion: { name: storageVersion.name, schema: stripGeneratorExtensions(storageVersion.schema) } };
}

/** The part of `model` the constants emitter receives. */
export function constantsInput(model: GeneratorModel): ConstantsInput {
  const { source, constantPrefix, group, kind, plural, finalizer, scope, watchedKinds, runtimeImports } = model;
  return {
    source,
    constantPrefix,
    group,
    kind,
    plural,
    finalizer,
    scope,
    watchedKinds,
    runtimeImports,
    storageVersion: { name: model.storageVersion.name },
    specFields: model.specFields.map(({ name, onChange, sensitive }) => ({ name, onChange, sensitive })),
    rbac: { serviceAccount: model.rbac.serviceAccount, namespace: model.rbac.namespace },
  };
}

/** The part of `model` the validator emitter receives. */
export function validatorInput(model: GeneratorModel): ValidatorInput {
  const { source, group, kind, singular, typeNames, runtimeImports, storageVersion } = model;
  return {
    source,
    group,
    kind,
    singular,
    typeNames,
    runtimeImports,
    versions: model.versions.map(({ name, served }) => ({ name, served })),
    storageVersion: { name: storageVersion.name, schema: withoutDescriptions(storageVersion.schema) },
  };
}

/** The part of `model` the reconciler base emitter receives. */
export function reconcilerBaseInput(model: GeneratorModel): ReconcilerBaseInput {
  const { source, group, kind, constantPrefix, typeNames, runtimeImports, outputs } = model;
  const specFields = model.specFields.map(({ description, documentedOnType, ...field }) =>
    field.onChange === "hook" && documentedOnType && description.trim() !== "" ? { ...field, description } : field,
  );
  return { source, group, kind, constantPrefix, specFields, typeNames, runtimeImports, outputs, storageVersion: { name: model.storageVersion.name } };
}

/** The text an input is hashed as: its JSON without `source`, so that a new schema hash alone changes no part. */
export function inputText(input: { readonly source: unknown }): string {
  const { source: _source, ...rest } = input;
  return JSON.stringify(rest);
}
