/**
 * Stage 1 of the pipeline: read the schema file and parse its YAML. Knows nothing of
 * later stages.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument, type Document } from "yaml";
import { fromPointer, SchemaError, type SchemaProblem } from "./errors.ts";
import { schemaDisplayPath } from "./options.ts";
import { locateInYaml } from "./yaml-position.ts";

/** A schema file as read from disk: its text, its hash and its parsed value. */
export interface LoadedSchema {
  /** Path relative to the project root, with `/` separators (goes into generated headers). */
  readonly displayPath: string;
  /** The exact text of the file. */
  readonly text: string;
  /** SHA-256 of the text, hex; generated files carry it so staleness is visible. */
  readonly sha256: string;
  /** The parsed YAML document (plain JSON values). */
  readonly document: unknown;
  /** Line and column of the node a JSON pointer names (a key for a field), or of its nearest parent. */
  readonly locate: (pointer: string) => { line: number; column: number } | undefined;
}

function locator(doc: Document, lineCounter: LineCounter): LoadedSchema["locate"] {
  return (pointer) => {
    const offset = locateInYaml(doc, fromPointer(pointer));
    if (offset === undefined) return undefined;
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
}

/** Parses schema text that was read elsewhere (tests, benchmarks); throws {@link SchemaError} on bad YAML. */
export function parseSchemaText(text: string, displayPath: string): LoadedSchema {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems: SchemaProblem[] = doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return { pointer: "", rule: "yaml/syntax", message: e.message.split("\n")[0] ?? "invalid YAML", line: pos.line, column: pos.col };
    });
    throw new SchemaError(displayPath, problems);
  }
  return {
    displayPath,
    text,
    sha256: createHash("sha256").update(text).digest("hex"),
    document: doc.toJS({ maxAliasCount: 0 }),
    locate: locator(doc, lineCounter),
  };
}

/** Reads and parses the schema file at `path` (relative paths resolve against `root`). */
export async function loadSchema(path: string, root: string): Promise<LoadedSchema> {
  const { absolute, display } = schemaDisplayPath(root, path);
  return parseSchemaText(await readFile(absolute, "utf8"), display);
}
