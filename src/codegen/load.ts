/**
 * Stage 1 of the pipeline: read the schema file and parse its YAML. Knows nothing of
 * later stages.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { constructFromEvents, CORE_SCHEMA, EVENT_ID, parseEvents } from "js-yaml";
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

/** yaml's document of the text, with what turns its offsets into lines and columns. */
function yamlDocument(text: string): { doc: Document; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  return { doc: parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true }), lineCounter };
}

function locator(parsed: () => { doc: Document; lineCounter: LineCounter }): LoadedSchema["locate"] {
  return (pointer) => {
    const { doc, lineCounter } = parsed();
    const offset = locateInYaml(doc, fromPointer(pointer));
    if (offset === undefined) return undefined;
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
}

/** Keys left to yaml: a null key (yaml names it "", js-yaml "null"), a merge key, and one that is an object's prototype. */
const ODD_KEYS = new Set(["null", "<<", "__proto__"]);

/** YAML 1.2 core's float form: a string of this form may be a number yaml reads as Infinity and js-yaml as text. */
const NUMBER_FORM = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;

/**
 * The schema's value as js-yaml reads it (YAML 1.2's core schema, as yaml's; aliases and duplicate keys refused, as
 * yaml is asked to), or `undefined` where yaml's reading is to be taken instead: text js-yaml refuses (yaml then names
 * the position of the problem), a document that is not a mapping, and values where the two could differ (a number
 * out of range, which yaml makes Infinity and js-yaml a string: any string or key that looks like a number is left to yaml;
 * an explicit tag, an anchor or an alias, a `%YAML` directive; a null key, which yaml names "" and js-yaml "null";
 * a `<<` or `__proto__` key). js-yaml is the fast one:
 * 35 ms for the MySQL schema in a fresh process against 130–210 ms for yaml's document, which carries every node's
 * position and is needed only to point at a problem (built then, by {@link locator}). The tests compare the two
 * readings over every schema they have and a set of awkward YAML.
 */
export function fastSchemaValue(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    const events = parseEvents(text, {});
    for (const event of events) {
      if (event.type === EVENT_ID.DOCUMENT ? event.directives.length > 0 : event.type === EVENT_ID.ALIAS) return undefined;
      if ("tagStart" in event && (event.tagStart !== -1 || event.anchorStart !== -1)) return undefined;
    }
    const documents = constructFromEvents(events, { source: text, schema: CORE_SCHEMA, maxAliases: 0 });
    if (documents.length !== 1) return undefined;
    value = documents[0];
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const plain = (node: unknown): boolean => {
    if (typeof node === "number") return Number.isFinite(node);
    if (typeof node === "string") return !NUMBER_FORM.test(node);
    if (typeof node !== "object" || node === null) return true;
    if (Array.isArray(node)) return node.every(plain);
    return Object.keys(node).every((key) => !ODD_KEYS.has(key) && !NUMBER_FORM.test(key) && plain((node as Record<string, unknown>)[key]));
  };
  return plain(value) ? (value as Record<string, unknown>) : undefined;
}

/** Parses schema text that was read elsewhere (tests, benchmarks); throws {@link SchemaError} on bad YAML. */
export function parseSchemaText(text: string, displayPath: string): LoadedSchema {
  let parsed: { doc: Document; lineCounter: LineCounter } | undefined;
  const yamlParsed = (): { doc: Document; lineCounter: LineCounter } => (parsed ??= yamlDocument(text));
  let document: unknown = fastSchemaValue(text);
  if (document === undefined) {
    const { doc, lineCounter } = yamlParsed();
    if (doc.errors.length > 0) {
      const problems: SchemaProblem[] = doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { pointer: "", rule: "yaml/syntax", message: e.message.split("\n")[0] ?? "invalid YAML", line: pos.line, column: pos.col };
      });
      throw new SchemaError(displayPath, problems);
    }
    document = doc.toJS({ maxAliasCount: 0 });
  }
  return {
    displayPath,
    text,
    sha256: createHash("sha256").update(text).digest("hex"),
    document,
    locate: locator(yamlParsed),
  };
}

/** Reads and parses the schema file at `path` (relative paths resolve against `root`). */
export async function loadSchema(path: string, root: string): Promise<LoadedSchema> {
  const { absolute, display } = schemaDisplayPath(root, path);
  return parseSchemaText(await readFile(absolute, "utf8"), display);
}
