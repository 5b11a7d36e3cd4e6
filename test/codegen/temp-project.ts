/** A throw-away project folder holding a copy (or variant) of the MySQL schema, for tests that write. */
import { mkdtemp, readFile, readdir, rm, stat, symlink, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDocument } from "yaml";

/** The repository root. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The real schema's text. */
export async function mysqlSchemaText(): Promise<string> {
  return readFile(join(repoRoot, "schemas/mysql.yaml"), "utf8");
}

/** Applies `edit` to the parsed MySQL schema (a yaml Document, so comments survive) and returns the text. */
export async function editedSchema(edit: (doc: ReturnType<typeof parseDocument>) => void): Promise<string> {
  const doc = parseDocument(await mysqlSchemaText());
  edit(doc);
  return doc.toString({ lineWidth: 0 });
}

/** Path of the storage version's openAPIV3Schema in the MySQL schema file. */
export const ROOT_SCHEMA = ["versions", 0, "schema", "openAPIV3Schema"] as const;
/** Path of the spec properties in the MySQL schema file. */
export const SPEC_PROPERTIES = [...ROOT_SCHEMA, "properties", "spec", "properties"] as const;

/**
 * Creates a temporary project with `schemas/mysql.yaml` = `schemaText` and a
 * `node_modules` link to this repository's, so generated code type-checks there.
 */
export async function createTempProject(schemaText: string): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), "mysqlop-codegen-"));
  await mkdir(join(root, "schemas"));
  await writeFile(join(root, "schemas/mysql.yaml"), schemaText);
  await symlink(join(repoRoot, "node_modules"), join(root, "node_modules"), "dir");
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Every regular file under `root` (not following node_modules) with its content, for before/after comparisons. */
export async function snapshotFiles(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.name === "node_modules") continue;
      if (entry.isDirectory()) await walk(path);
      else if ((await stat(path)).isFile()) out.set(relative(root, path), await readFile(path, "utf8"));
    }
  }
  await walk(root);
  return out;
}
