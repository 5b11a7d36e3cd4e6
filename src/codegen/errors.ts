/**
 * One problem found in a schema file: where (a JSON pointer into the file), which rule,
 * and what to do about it. Every stage reports problems this way so the CLI can print
 * `schemas/mysql.yaml#/versions/0/...: [rule] message`.
 */
export interface SchemaProblem {
  /** JSON pointer (RFC 6901) into the schema file, `""` for the whole document. */
  readonly pointer: string;
  /** Short rule name, e.g. `structural/type-required`. */
  readonly rule: string;
  /** What is wrong and what is expected, for a person. */
  readonly message: string;
  /** 1-based position in the file of the node the pointer names (or its nearest parent), when known. */
  readonly line?: number;
  readonly column?: number;
}

/** Thrown by a stage that cannot go on; carries every problem it found, not just the first. */
export class SchemaError extends Error {
  /** The schema file the problems are in, as given to the loader. */
  readonly file: string;
  /** All problems, in document order. */
  readonly problems: readonly SchemaProblem[];

  constructor(file: string, problems: readonly SchemaProblem[]) {
    super(formatProblems(file, problems));
    this.name = "SchemaError";
    this.file = file;
    this.problems = problems;
  }
}

/** Renders problems one per line as `FILE:LINE:COL: FILE#POINTER: [rule] message` (position when known). */
export function formatProblems(file: string, problems: readonly SchemaProblem[]): string {
  return problems.map((p) => `${p.line === undefined ? "" : `${file}:${p.line}:${p.column ?? 1}: `}${file}#${p.pointer}: [${p.rule}] ${p.message}`).join("\n");
}

/** Splits a JSON pointer into its segments (RFC 6901 unescaping). */
export function fromPointer(pointer: string): string[] {
  return pointer === ""
    ? []
    : pointer
        .slice(1)
        .split("/")
        .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** Builds a JSON pointer from path segments, escaping `~` and `/` as RFC 6901 requires. */
export function toPointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => "/" + String(s).replaceAll("~", "~0").replaceAll("/", "~1")).join("");
}
