/** Stage 5 of the pipeline: format emitted text with prettier, chosen by file extension. */
import { format } from "prettier";

/** A generated file: its path relative to the project root and its full text. */
export interface OutputFile {
  readonly path: string;
  readonly content: string;
}

/** House settings for generated files; fixed here so output does not depend on the user's config. */
const PRETTIER_OPTIONS = { printWidth: 120, proseWrap: "preserve" } as const;

/** Formats one file with prettier (TypeScript, YAML or Markdown by extension). */
export async function formatOutput(file: OutputFile): Promise<OutputFile> {
  return { path: file.path, content: await format(file.content, { ...PRETTIER_OPTIONS, filepath: file.path }) };
}
