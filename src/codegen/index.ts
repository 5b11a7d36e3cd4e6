/** The code generator as a library (`generator-mysqlop/codegen`): what `mysqlop generate` runs. */
export { generate, generateFromLoaded, renderOutputs, type GenerateResult } from "./pipeline.ts";
export { loadSchema, parseSchemaText, type LoadedSchema } from "./load.ts";
export { validateSchema } from "./validate.ts";
export { buildModel, type GeneratorModel } from "./model.ts";
export { SchemaError, type SchemaProblem } from "./errors.ts";
export type { GenerateOptions } from "./options.ts";
