/** The first line of every generated file (where it comes from, the schema hash, DO NOT EDIT), and how to recognise it. */
import type { GeneratorModel } from "../model.ts";

/** Comment syntax of an output file. */
export type CommentStyle = "line" | "hash" | "html";

/** The first line of every generated file: where it comes from, the schema hash, DO NOT EDIT. */
export function generatedHeader(model: Pick<GeneratorModel, "source">, style: CommentStyle): string {
  const text = `Generated from ${model.source.path} (sha256 ${model.source.sha256}) by \`mysqlop generate\`. DO NOT EDIT.`;
  switch (style) {
    case "line":
      return `// ${text}`;
    case "hash":
      return `# ${text}`;
    case "html":
      return `<!-- ${text} -->`;
  }
}

/** Matches a header written by {@link generatedHeader} and captures the schema hash. */
export const GENERATED_HEADER_PATTERN = /^(?:\/\/|#|<!--) Generated from (.+) \(sha256 ([0-9a-f]{64})\) by `mysqlop generate`\. DO NOT EDIT\./;

/** Whether `firstLine` is the header of a file generated from the schema shown as `schemaDisplayPath`. */
export function isGeneratedFrom(firstLine: string, schemaDisplayPath: string): boolean {
  return GENERATED_HEADER_PATTERN.exec(firstLine)?.[1] === schemaDisplayPath;
}
