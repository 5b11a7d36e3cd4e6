/** Options of one generator run; every path is relative to `root` unless absolute. */
export interface GenerateOptions {
  /** Project root; outputs and the schema path resolve against it. */
  readonly root: string;
  /** The schema file, e.g. `schemas/mysql.yaml`. */
  readonly schemaPath: string;
  /** Folder for generated TypeScript and docs (default `generated`). */
  readonly outDir?: string;
  /** Folder for the CRD and RBAC manifests (default `deploy`). */
  readonly deployDir?: string;
  /**
   * Import specifier of the runtime contract (`resource-reconciler.ts`) in generated code.
   * Default: the relative path from `outDir` to `src/runtime/resource-reconciler.ts` of
   * this repository; scaffolded projects pass the package export instead.
   */
  readonly runtimeImport?: string;
}

/** Where the runtime contract lives in this repository, relative to the project root. */
export const RUNTIME_CONTRACT_PATH = "src/runtime/resource-reconciler.ts";
