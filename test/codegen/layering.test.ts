/**
 * The pipeline is one-way: load → validate → model → emit → format → write. A stage may
 * import earlier stages (and the shared errors/options/file-format modules), never later
 * ones; emitters never touch the file system. `pipeline.ts` alone wires all stages.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const codegen = fileURLToPath(new URL("../../src/codegen/", import.meta.url));

/** Rank of each module; shared modules are rank 0. */
function rankOf(file: string): number {
  if (file === "errors.ts" || file === "options.ts" || file === "file-format.ts" || file === "yaml-position.ts") return 0;
  // The file format's check, compiled at build time from file-format.ts (npm run generate:file-format).
  if (file === "file-format-validator.generated.js") return 0;
  if (file === "load.ts") return 1;
  if (file === "validate.ts") return 2;
  if (file === "model.ts") return 3;
  if (file.startsWith("emit/")) return 4;
  if (file === "format.ts") return 5;
  if (file === "write.ts") return 6;
  // The record of what the write stage wrote, read back by the next run.
  if (file === "record.ts") return 6.5;
  if (file === "pipeline.ts") return 7;
  // The public entry point re-exports the stages for library users.
  if (file === "index.ts") return 8;
  throw new Error(`src/codegen/${file} belongs to no stage: add it to the layering test`);
}

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(path)));
    else if (entry.name.endsWith(".ts")) out.push(relative(codegen, path).split("\\").join("/"));
  }
  return out.sort();
}

function importsOf(text: string): string[] {
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1]!);
}

test("codegen stages import only earlier stages", async () => {
  const violations: string[] = [];
  const files = await sources(codegen);
  assert.ok(files.length >= 10);
  for (const file of files) {
    const rank = rankOf(file);
    for (const spec of importsOf(await readFile(join(codegen, file), "utf8"))) {
      if (!spec.startsWith(".")) continue;
      const target = relative(codegen, join(codegen, file, "..", spec))
        .split("\\")
        .join("/");
      if (target.startsWith("..")) {
        violations.push(`${file} imports ${spec}, outside src/codegen`);
        continue;
      }
      const targetRank = rankOf(target);
      const sameEmitLayer = rank === 4 && targetRank === 4;
      if (targetRank > rank || (targetRank === rank && !sameEmitLayer && target !== file))
        violations.push(`${file} (stage ${rank}) imports ${target} (stage ${targetRank})`);
    }
  }
  assert.deepEqual(violations, []);
});

test("emitters are pure: no file system, process or network access", async () => {
  for (const file of (await sources(codegen)).filter((f) => f.startsWith("emit/"))) {
    const text = await readFile(join(codegen, file), "utf8");
    for (const spec of importsOf(text)) assert.ok(!/^node:(fs|child_process|net|http|https)/.test(spec) && spec !== "prettier", `${file} imports ${spec}`);
    assert.ok(!/\bprocess\./.test(text), `${file} uses process`);
  }
});
