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

/** Renders problems one per line as `FILE#POINTER: [rule] message`. */
export function formatProblems(file: string, problems: readonly SchemaProblem[]): string {
  return problems.map((p) => `${file}#${p.pointer}: [${p.rule}] ${p.message}`).join("\n");
}

/** Builds a JSON pointer from path segments, escaping `~` and `/` as RFC 6901 requires. */
export function toPointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => "/" + String(s).replaceAll("~", "~0").replaceAll("/", "~1")).join("");
}
