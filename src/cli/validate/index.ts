/**
 * `mysqlop validate FILE…`: checks MySQL resource YAML offline against the validator
 * generated from the schema, printing `FILE:LINE:COL: field: problem` for each issue.
 */
import { readFile } from "node:fs/promises";
import { LineCounter, parseAllDocuments } from "yaml";
import { validateMySQL, type ValidationIssue } from "../../../generated/mysql-validator.ts";
import { locateInYaml } from "../../codegen/yaml-position.ts";
import { parseCommandArgs, usageError } from "../args.ts";

const HELP = `usage: mysqlop validate FILE...

Checks every YAML document in each FILE (\`-\` for stdin) as an otus.homework/v1 MySQL
resource, offline: types, required fields, patterns (database name, storage quantity), and
unknown fields at any level (the API server rejects them too). A \`kind: List\` (as from
\`kubectl get my -o yaml\`) is checked item by item. Exit code 0 when all are valid, 1 otherwise.`;

async function readInput(file: string): Promise<string> {
  if (file !== "-") return readFile(file, "utf8");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** A `kind: List` as kubectl prints it. */
function isList(value: unknown): value is { items: unknown[] } {
  const v = value as { kind?: unknown; items?: unknown } | null;
  return typeof v === "object" && v !== null && typeof v.kind === "string" && v.kind.endsWith("List") && Array.isArray(v.items);
}

/** Validates one file; returns the lines to print and whether every document was valid. */
export async function validateFile(file: string): Promise<{ ok: boolean; lines: string[] }> {
  let text: string;
  try {
    text = await readInput(file);
  } catch (error) {
    return { ok: false, lines: [`${file}: cannot read: ${(error as Error).message}`] };
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  if (!Array.isArray(docs)) return { ok: false, lines: [`${file}: not a YAML stream`] };
  const lines: string[] = [];
  let checked = 0;
  for (const [index, doc] of list.entries()) {
    const where = (offset: number | undefined): string => {
      if (offset === undefined) return file;
      const pos = lineCounter.linePos(offset);
      return `${file}:${pos.line}:${pos.col}`;
    };
    if (doc.errors.length > 0) {
      for (const e of doc.errors) lines.push(`${where(e.pos[0])}: invalid YAML: ${e.message.split("\n")[0]}`);
      continue;
    }
    if (doc.contents === null) continue;
    checked++;
    const value: unknown = doc.toJS();
    const label = list.length > 1 ? ` (document ${index + 1})` : "";
    const items = isList(value)
      ? value.items.map((item, i) => ({ item, prefix: ["items", i] as (string | number)[], label: `${label} (item ${i + 1})` }))
      : [{ item: value, prefix: [] as (string | number)[], label }];
    const located = items.flatMap(({ item, prefix, label }) =>
      validateMySQL(item).map((issue: ValidationIssue) => ({
        issue: { ...issue, message: issue.message + label },
        offset: locateInYaml(doc, [...prefix, ...issue.path]),
      })),
    );
    located.sort((a, b) => (a.offset ?? 0) - (b.offset ?? 0));
    for (const { issue, offset } of located) lines.push(`${where(offset)}: ${issue.message}`);
  }
  if (checked === 0 && lines.length === 0) lines.push(`${file}: no YAML document to validate`);
  return { ok: lines.length === 0, lines };
}

/** Runs the command; exit code 0 when every document is a valid MySQL, 1 otherwise, 2 on usage errors. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs("validate", HELP, argv, {}, true);
  if (parsed.exitCode !== undefined) return parsed.exitCode;
  if (parsed.positionals.length === 0) return usageError("validate", "no file given", HELP);
  let ok = true;
  for (const file of parsed.positionals) {
    const result = await validateFile(file);
    if (result.ok) console.log(`${file}: valid`);
    else {
      ok = false;
      for (const line of result.lines) console.error(line);
    }
  }
  return ok ? 0 : 1;
}
