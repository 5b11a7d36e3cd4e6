import { isAbsolute, posix, relative, resolve } from "node:path";

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
   * Where generated code imports the runtime from: either a directory (a specifier starting
   * with `.` or `/`, as seen from `outDir`), whose modules are imported as `<dir>/<module>.ts`,
   * or a package subpath such as `generator-mysqlop/runtime`, whose modules are imported as
   * `<subpath>/<module>` and resolved through the package's `exports` (scaffolded projects).
   * Default: the relative path from `outDir` to this repository's `src/runtime`.
   */
  readonly runtimeImport?: string;
}

/** How a schema path is shown in headers and messages: relative to `root` with `/` separators, or absolute outside it. */
export function schemaDisplayPath(root: string, path: string): { absolute: string; display: string } {
  const absolute = isAbsolute(path) ? path : resolve(root, path);
  const shown = relative(root, absolute);
  return { absolute, display: shown.startsWith("..") || isAbsolute(shown) ? absolute : shown.split("\\").join("/") };
}

/** The output folders of a run, normalised, with their defaults. */
export function outputDirs(options: GenerateOptions): { outDir: string; deployDir: string } {
  return { outDir: posix.normalize(options.outDir ?? "generated"), deployDir: posix.normalize(options.deployDir ?? "deploy") };
}

/** Where the runtime lives in this repository, relative to the project root. */
export const RUNTIME_DIR = "src/runtime";

/**
 * The runtime's entry points generated code imports, by file name without extension: its public
 * index, and schema validation, a second entry point that loads nothing else of the runtime.
 */
export const RUNTIME_MODULES = {
  /** The public API: `ResourceReconciler`, hook results, `ResourceType`, the spec-field contract. */
  index: "index",
  /** Schema validation with readable messages; nothing else of the runtime is loaded with it. */
  schemaValidation: "schema-validation",
} as const;

/**
 * Says what is wrong with a `runtimeImport` value, or returns `undefined` when it is usable.
 * It names a folder or package subpath, not a file: the old form, a path to
 * a runtime module, is refused rather than joined into a path that does not exist.
 */
export function runtimeImportProblem(runtimeImport: string): string | undefined {
  if (runtimeImport.trim() === "") return "must not be empty";
  // It is printed into import statements: a quote, a backslash or a control character has no place in a module path.
  if (/["'`\\]/.test(runtimeImport) || [...runtimeImport].some((c) => c.charCodeAt(0) < 0x20 || c === "\u007f"))
    return `names a folder or package subpath with "/" between its parts and without quotes, backslashes or control characters: ${JSON.stringify(runtimeImport)}`;
  if (/\.[cm]?[jt]s$/.test(runtimeImport))
    return `names the runtime folder or package subpath (e.g. ../src/runtime or generator-mysqlop/runtime), not a file: ${runtimeImport}`;
  return undefined;
}

/** The import specifier of one runtime module, given the `runtimeImport` base (see {@link GenerateOptions.runtimeImport}). */
export function runtimeModuleSpecifier(runtimeImport: string, module: string): string {
  const base = runtimeImport.replace(/(.)\/+$/, "$1");
  const isPath = base.startsWith(".") || base.startsWith("/");
  return isPath ? `${base}/${module}.ts` : `${base}/${module}`;
}
