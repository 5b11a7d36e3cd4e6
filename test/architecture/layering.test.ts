/**
 * The layering is enforced by `npm run lint` (eslint.config.js): each rule is shown to fail on a
 * wrong-way import and to let the right-way one through; the repository passes as it is; and no
 * module of src/ is part of an import cycle.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { ESLint } from "eslint";
import { repoRoot } from "../codegen/temp-project.ts";

const eslint = new ESLint({ cwd: repoRoot });

/** The rule ids eslint reports for `code` placed at `file`. */
async function restricted(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(repoRoot, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

const table: [file: string, code: string, allowed: boolean][] = [
  // runtime: the bottom layer.
  ["src/runtime/x.ts", 'import { instanceOf } from "../mysql/instance.ts";', false],
  ["src/runtime/x.ts", 'import type { MySQL } from "../../generated/mysql-models.ts";', false],
  ["src/runtime/x.ts", 'import { done } from "./hook-result.ts";', true],
  // codegen never imports the runtime.
  ["src/codegen/emit/x.ts", 'import type { SpecFieldInfo } from "../../runtime/index.ts";', false],
  ["src/codegen/emit/x.ts", 'import type { GeneratorModel } from "../model.ts";', true],
  // generated code: the runtime's public entry points only.
  ["generated/x.ts", 'import { Informer } from "../src/runtime/informer.ts";', false],
  ["generated/x.ts", 'import { instanceOf } from "../src/mysql/instance.ts";', false],
  ["generated/x.ts", 'import { ResourceReconciler } from "../src/runtime/index.ts";', true],
  ["generated/x.ts", 'import { createSchemaValidator } from "../src/runtime/schema-validation.ts";', true],
  // mysql: the runtime through its index; nothing of the CLI.
  ["src/mysql/x.ts", 'import { ObjectWriter } from "../runtime/reconcile-context.ts";', false],
  ["src/mysql/desired/x.ts", 'import type { HookResult } from "../../runtime/types.ts";', false],
  ["src/mysql/x.ts", 'export { run } from "../cli/run/index.ts";', false],
  ["src/mysql/x.ts", 'import type { HookResult } from "../runtime/index.ts";', true],
  ["src/mysql/x.ts", 'import { MYSQL_GROUP } from "../../generated/mysql-constants.ts";', true],
  // cli: on top, but the runtime through its index too.
  ["src/cli/run/x.ts", 'import { Manager } from "../../runtime/manager.ts";', false],
  ["src/cli/run/x.ts", 'import { Manager } from "../../runtime/index.ts";', true],
  ["src/cli/run/x.ts", 'import { createMySQLOperator } from "../../mysql/operator.ts";', true],
  // envtest: nothing of the operator.
  ["src/envtest/x.ts", 'import { KubeRest } from "../runtime/index.ts";', false],
  ["src/envtest/x.ts", 'import { childNames } from "../mysql/names.ts";', false],
  ["src/envtest/x.ts", 'import { findBinaries } from "./binaries.ts";', true],
  // The process node (a kubelet of its own) runs on the runtime, through its index.
  ["src/envtest/process-node/x.ts", 'import { Informer } from "../../runtime/informer.ts";', false],
  ["src/envtest/process-node/x.ts", 'import { instanceOf } from "../../mysql/instance.ts";', false],
  ["src/envtest/process-node/x.ts", 'import { Informer } from "../../runtime/index.ts";', true],
];

test("every layering rule fails on a wrong-way import and lets the right-way one through", async () => {
  for (const [file, code, allowed] of table) {
    const messages = await restricted(file, code);
    if (allowed) assert.deepEqual(messages, [], `${file}: ${code}`);
    else assert.equal(messages.length, 1, `${file} must refuse: ${code}`);
  }
  assert.match((await restricted("src/mysql/x.ts", 'import { Informer } from "../runtime/informer.ts";'))[0] ?? "", /through its public index/, "says why");
});

test("the repository keeps its own layering (the rules are on, not only written down)", async () => {
  const results = await eslint.lintFiles(["src", "generated"]);
  const problems = results.flatMap((r) =>
    r.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => `${relative(repoRoot, r.filePath)}: ${m.message}`),
  );
  assert.deepEqual(problems, []);
  assert.ok(
    results.some((r) => r.filePath.includes(`${join("generated", "")}`)),
    "generated/ is linted for its imports",
  );
});

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(path)));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

test("no import cycles in src/ or generated/ (type-only imports included)", async () => {
  const files = [...(await sources(join(repoRoot, "src"))), ...(await sources(join(repoRoot, "generated")))];
  const edges = new Map<string, string[]>();
  for (const file of files) {
    const text = await readFile(file, "utf8");
    const targets = [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/gm)].map((m) => resolve(dirname(file), m[1]!));
    edges.set(file, targets);
  }
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "open") {
      cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(repoRoot, f)).join(" → "));
      return;
    }
    state.set(file, "open");
    for (const next of edges.get(file) ?? []) if (edges.has(next)) visit(next, [...path, file]);
    state.set(file, "done");
  };
  for (const file of files) visit(file, []);
  assert.deepEqual(cycles, []);
});
