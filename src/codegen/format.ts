/**
 * Stage 5 of the pipeline: bring emitted text into its final form. TypeScript goes through prettier: the standalone
 * build with only its Babel parser (as `babel-ts`), loaded on first use. The full entry point and the other parsers
 * cost more to load than the formatting; `babel-ts` prints TypeScript as the `typescript` parser does (the golden
 * files and the MySQL schema's outputs are byte-identical either way) and takes about a fifth less time. The validator
 * is the exception: its emitter prints it in prettier's form (its schema as data, emit/literal.ts), since formatting
 * that one big object literal would be most of prettier's work. YAML and Markdown are emitted in final form already —
 * the `yaml` library prints YAML as prettier does, the API reference aligns its own tables — so they get no pass; the
 * format tests prove that prettier would leave all of these unchanged.
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
 * Formats one file: TypeScript with prettier unless its emitter printed it final (the validator, see
 * emit/literal.ts), YAML and Markdown as emitted (see the module comment).
 */
export async function formatOutput(file: EmittedFile): Promise<OutputFile> {
  if (file.final === true || formatKindOf(file.path) === "final") return { path: file.path, content: file.content };
  return { path: file.path, content: await (await loadTypescriptFormatter())(file.content) };
}
