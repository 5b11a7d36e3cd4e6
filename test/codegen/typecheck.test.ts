/**
 * The committed generated code and everything built on it (the hand-written MySQL
 * reconciler, the generator, the CLI commands) type-check with the project's strict
 * settings, without depending on the state of unrelated folders.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { repoRoot } from "./temp-project.ts";

test("tsc --noEmit over generated/ and the code that uses it", { timeout: 180_000 }, async (t) => {
  const generated = (await readdir(join(repoRoot, "generated"))).filter((f) => f.endsWith(".ts")).map((f) => join(repoRoot, "generated", f));
  const files = [
    ...generated,
    join(repoRoot, "src/mysql/mysql-reconciler.ts"),
    join(repoRoot, "src/codegen/pipeline.ts"),
    join(repoRoot, "src/cli/generate/index.ts"),
    join(repoRoot, "src/cli/validate/index.ts"),
  ];
  const dir = await mkdtemp(join(tmpdir(), "mysqlop-typecheck-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, "tsconfig.json");
  await writeFile(
    config,
    JSON.stringify({ extends: join(repoRoot, "tsconfig.json"), compilerOptions: { typeRoots: [join(repoRoot, "node_modules/@types")] }, include: [], files }),
  );
  const tsc = join(repoRoot, "node_modules/typescript/bin/tsc");
  const result = await promisify(execFile)(process.execPath, [tsc, "--noEmit", "-p", config], { cwd: repoRoot }).then(
    () => ({ code: 0, out: "" }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
  assert.equal(result.code, 0, result.out);
});
