/**
 * Golden tests: every folder under fixtures/ holds a `schema.yaml`; each generated output
 * must equal `expected/<file name>` byte for byte. Refresh with `UPDATE_GOLDEN=1 node --test test/codegen/golden.test.ts`
 * and review the diff.
 */
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
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
    if (update) {
      await rm(expectedDir, { recursive: true, force: true });
      await mkdir(expectedDir, { recursive: true });
      for (const f of files) await writeFile(join(expectedDir, basename(f.path)), f.content);
    }
    const expected = (await readdir(expectedDir)).sort();
    assert.deepEqual(expected, files.map((f) => basename(f.path)).sort(), "expected/ must hold exactly one file per output");
    for (const f of files) {
      const want = await readFile(join(expectedDir, basename(f.path)), "utf8");
      assert.equal(f.content, want, `${name}/expected/${basename(f.path)} differs (UPDATE_GOLDEN=1 to refresh, then review)`);
    }
  });
}
