/**
 * The generation record: a run whose inputs are those of the last run answers from the recorded
 * hashes, loading none of the generator's libraries, with the same verdict a full run would give.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { generate } from "../../src/codegen/pipeline.ts";
import { inputsHash, readRecord, recordedStates, recordPath } from "../../src/codegen/record.ts";
import { createTempProject, mysqlSchemaText, repoRoot } from "./temp-project.ts";

const RECORD = "generated/mysql.generated.sha256";

/**
 * Runs `mysqlop generate ARGS` in a child process that records every module it loads (a load hook: Node 24.11+
 * also runs resolve hooks for require.resolve, which the record uses to read library versions without loading them):
 * exit code, output, and which of the generator's libraries were loaded.
 */
async function runRecordingImports(root: string, args: string[]): Promise<{ code: number; output: string; libraries: string[] }> {
  const script = `
    import { registerHooks } from "node:module";
    const seen = new Set();
    registerHooks({ load(url, context, next) { seen.add(url); return next(url, context); } });
    const { run } = await import(${JSON.stringify(join(repoRoot, "src/cli/generate/index.ts"))});
    const code = await run(${JSON.stringify([...args, "--root", root])});
    const libraries = ["ts-morph", "prettier", "json-schema-to-typescript", "ajv", "yaml"].filter((l) => [...seen].some((u) => u.includes("/node_modules/" + l + "/")));
    process.stderr.write("\\nresult " + JSON.stringify({ code, libraries }) + "\\n");`;
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { cwd: root }).catch(
    (error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? "", stderr: error.stderr ?? "" }),
  );
  const result = JSON.parse(/result (.*)/.exec(stderr)?.[1] ?? "{}") as { code: number; libraries: string[] };
  return { ...result, output: stdout + stderr };
}

test("generate writes the record beside the outputs: the inputs' hash and every output's sha256", async (t) => {
  const project = await createTempProject(await mysqlSchemaText());
  t.after(project.cleanup);
  const result = await generate({ root: project.root, schemaPath: "schemas/mysql.yaml" });
  assert.ok(!result.written.includes(RECORD), "not reported as an output");
  const record = await readRecord(project.root, RECORD);
  assert.ok(record !== undefined);
  assert.deepEqual(record.outputs.map((o) => o.path).sort(), result.files.map((f) => f.path).sort());
  const { createHash } = await import("node:crypto");
  for (const file of result.files) {
    assert.equal(record.outputs.find((o) => o.path === file.path)?.sha256, createHash("sha256").update(file.content).digest("hex"), file.path);
  }
  assert.equal(recordPath({ schemaPath: "schemas/mysql.yaml", outDir: "generated", deployDir: "deploy", runtimeImport: undefined }), RECORD);
});

test("unchanged inputs: generate and --check answer from the record, loading none of the generator's libraries, with a full run's verdict", async (t) => {
  const project = await createTempProject(await mysqlSchemaText());
  t.after(project.cleanup);
  await generate({ root: project.root, schemaPath: "schemas/mysql.yaml" });

  const clean = await runRecordingImports(project.root, ["--check"]);
  assert.equal(clean.code, 0, clean.output);
  assert.match(clean.output, /\d+ files up to date/);
  assert.deepEqual(clean.libraries, []);
  const nothingToDo = await runRecordingImports(project.root, []);
  assert.equal(nothingToDo.code, 0, nothingToDo.output);
  assert.match(nothingToDo.output, /already up to date/);
  assert.deepEqual(nothingToDo.libraries, []);

  // A generated file edited by hand, one deleted, and one with this schema's header no output any more.
  await writeFile(join(project.root, "generated/api-reference.md"), "edited\n");
  await rm(join(project.root, "deploy/rbac.yaml"));
  const orphan = (await readFile(join(project.root, "generated/mysql-constants.ts"), "utf8")).split("\n")[0] + "\n";
  await writeFile(join(project.root, "generated/old-name.ts"), orphan);
  const fast = await runRecordingImports(project.root, ["--check"]);
  assert.deepEqual(fast.libraries, []);
  assert.equal(fast.code, 1);
  const full = await generate({ root: project.root, schemaPath: "schemas/mysql.yaml" }, { check: true });
  const notFresh = (states: readonly { path: string; state: string }[]): string[] =>
    states
      .filter((s) => s.state !== "fresh")
      .map((s) => `${s.state} ${s.path}`)
      .sort();
  assert.deepEqual(notFresh(full.states), ["missing deploy/rbac.yaml", "orphaned generated/old-name.ts", "stale generated/api-reference.md"]);
  for (const line of notFresh(full.states)) assert.match(fast.output, new RegExp(line.replace(" ", "\\s+").replace(".", "\\.")));
  const recorded = await recordedStates({ root: project.root, schemaPath: "schemas/mysql.yaml" });
  assert.deepEqual(notFresh(recorded?.states ?? []), notFresh(full.states));

  // generate with something to write takes the long way, and repairs all of it.
  const repair = await runRecordingImports(project.root, []);
  assert.equal(repair.code, 0, repair.output);
  assert.ok(repair.libraries.includes("ts-morph"));
  assert.equal((await runRecordingImports(project.root, ["--check"])).code, 0);
});

test("changed inputs are never answered from the record: an edited schema, other options, another generator", async (t) => {
  const schema = await mysqlSchemaText();
  const project = await createTempProject(schema);
  t.after(project.cleanup);
  await generate({ root: project.root, schemaPath: "schemas/mysql.yaml" });
  const options = { schemaPath: "schemas/mysql.yaml", outDir: "generated", deployDir: "deploy", runtimeImport: undefined };
  const base = await inputsHash(schema, options);
  assert.equal(await inputsHash(schema, options), base, "deterministic");
  assert.notEqual(await inputsHash(`${schema}\n# a comment\n`, options), base);
  assert.notEqual(await inputsHash(schema, { ...options, runtimeImport: "generator-mysqlop/runtime" }), base);
  assert.notEqual(await inputsHash(schema, { ...options, deployDir: "manifests" }), base);

  await writeFile(join(project.root, "schemas/mysql.yaml"), `${schema}\n# a comment\n`);
  assert.equal(await recordedStates({ root: project.root, schemaPath: "schemas/mysql.yaml" }), undefined);
  const edited = await runRecordingImports(project.root, ["--check"]);
  assert.equal(edited.code, 1, "every header carries the schema's hash: all stale");
  assert.ok(edited.libraries.includes("ts-morph"), "generated to find out");
  // A record that is not one (edited by hand, or from another version of the generator) takes the long way too.
  await writeFile(join(project.root, "schemas/mysql.yaml"), schema);
  const record = await readFile(join(project.root, RECORD), "utf8");
  await writeFile(join(project.root, RECORD), record.replace(/# inputs sha256:[0-9a-f]{64}/, `# inputs sha256:${"0".repeat(64)}`));
  assert.equal(await recordedStates({ root: project.root, schemaPath: "schemas/mysql.yaml" }), undefined);
});
