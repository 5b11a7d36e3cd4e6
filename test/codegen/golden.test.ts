/**
 * Golden tests: every folder under fixtures/ holds a `schema.yaml`; each generated output
 * must equal `expected/<its output path>` byte for byte. Refresh with `UPDATE_GOLDEN=1 node --test test/codegen/golden.test.ts`
 * and review the diff.
 */
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadSchema } from "../../src/codegen/load.ts";
import { generateFromLoaded } from "../../src/codegen/pipeline.ts";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
const update = process.env.UPDATE_GOLDEN === "1";

for (const name of (await readdir(fixtures, { withFileTypes: true }))
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort()) {
  test(`golden: fixtures/${name}`, async () => {
    const root = join(fixtures, name);
    const loaded = await loadSchema("schema.yaml", root);
    // A package-style specifier, as projects scaffolded by `yo mysqlop` use.
    const files = await generateFromLoaded(loaded, { root, schemaPath: "schema.yaml", runtimeImport: "generator-mysqlop/runtime" });
    const expectedDir = join(root, "expected");
    // Each output at its own path under expected/: two outputs may share a file name (kustomization.yaml).
    if (update) {
      await rm(expectedDir, { recursive: true, force: true });
      for (const f of files) {
        await mkdir(dirname(join(expectedDir, f.path)), { recursive: true });
        await writeFile(join(expectedDir, f.path), f.content);
      }
    }
    const expected = (await readdir(expectedDir, { recursive: true, withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => relative(expectedDir, join(d.parentPath, d.name)).split(sep).join("/"))
      .sort();
    assert.deepEqual(expected, files.map((f) => f.path).sort(), "expected/ must hold exactly one file per output, at its path");
    for (const f of files) {
      const want = await readFile(join(expectedDir, f.path), "utf8");
      assert.equal(f.content, want, `${name}/expected/${f.path} differs (UPDATE_GOLDEN=1 to refresh, then review)`);
    }
  });
}
