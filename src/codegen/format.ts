/**
 * Stage 5 of the pipeline: bring emitted text into its final form. The emitters print their TypeScript in prettier's
 * form where they can prove it (`final`): the validator prints its schema as data (emit/literal.ts), the models and the
 * reconcile skeleton are laid out from what json-schema-to-typescript and ts-morph print (emit/prettier-form.ts) — so
 * that a `generate` from scratch does not load prettier, whose standalone build and plugins cost more to load than
 * all the formatting. What they cannot prove (a schema with shapes the layouts do not model, a line prettier would
 * break) goes through prettier: the standalone build with only its Babel parser (as `babel-ts`), loaded on first use;
 * `babel-ts` prints TypeScript as the `typescript` parser does and takes about a fifth less time. YAML and Markdown are
 * emitted in final form already — the `yaml` library prints YAML as prettier does, the API reference aligns its own
 * tables — so they get no pass. The format tests prove that prettier would leave all of these unchanged.
 */
import type { Options, Plugin } from "prettier";
import { PRINT_WIDTH } from "./emit/string-width.ts";

/** A generated file: its path relative to the project root and its full text. */
export interface OutputFile {
  readonly path: string;
  readonly content: string;
}

/** An emitted file before formatting; `final`: the emitter printed it in prettier's form already (no pass). */
export interface EmittedFile extends OutputFile {
  readonly final?: boolean;
}

/** House settings for generated files; fixed here so output does not depend on the user's config. */
export const PRETTIER_OPTIONS = { printWidth: PRINT_WIDTH, proseWrap: "preserve" } as const;

/** How an output reaches its final form. */
export type FormatKind = "typescript" | "final";

/** The formatting an output path gets: prettier for TypeScript, none for YAML and Markdown (emitted final). */
export function formatKindOf(path: string): FormatKind {
  if (path.endsWith(".ts")) return "typescript";
  if (/\.(ya?ml|md)$/.test(path)) return "final";
  throw new Error(`no formatting is defined for generated file ${path}: add its extension to formatKindOf`);
}

let typescriptFormatter: Promise<(text: string) => Promise<string>> | undefined;

/** Whether this process has loaded prettier's formatter (a run whose outputs were all final has not). */
export function prettierLoaded(): boolean {
  return typescriptFormatter !== undefined;
}

/** prettier's standalone formatter with the Babel and ESTree plugins, imported once, on first use. */
function loadTypescriptFormatter(): Promise<(text: string) => Promise<string>> {
  typescriptFormatter ??= Promise.all([import("prettier/standalone"), import("prettier/plugins/babel"), import("prettier/plugins/estree")]).then(
    ([standalone, babel, estree]) => {
      const options: Options = { ...PRETTIER_OPTIONS, parser: "babel-ts", plugins: [babel as Plugin, estree as Plugin] };
      return (text) => standalone.format(text, options);
    },
  );
  return typescriptFormatter;
}

/**
 * Formats one file: TypeScript with prettier unless its emitter printed it final (see the module comment), YAML and
 * Markdown as emitted.
 */
export async function formatOutput(file: EmittedFile): Promise<OutputFile> {
  if (file.final === true || formatKindOf(file.path) === "final") return { path: file.path, content: file.content };
  return { path: file.path, content: await (await loadTypescriptFormatter())(file.content) };
}
