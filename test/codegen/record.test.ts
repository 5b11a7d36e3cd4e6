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
import { constantsInput, inputText, modelsInput, reconcilerBaseInput, validatorInput } from "../../src/codegen/emit/inputs.ts";
import { parseSchemaText } from "../../src/codegen/load.ts";
import { buildModel } from "../../src/codegen/model.ts";
import { generate, generateFromLoaded, renderOutputs } from "../../src/codegen/pipeline.ts";
import { inputsHash, readRecord, recordedStates, recordPath } from "../../src/codegen/record.ts";
import { createTempProject, editedSchema, mysqlSchemaText, repoRoot, ROOT_SCHEMA, SPEC_PROPERTIES } from "./temp-project.ts";

const RECORD = "generated/mysql.generated.sha256";
/** What emitting TypeScript loads: ts-morph, the schema-to-TypeScript compiler, prettier's parsers. */
const HEAVY = ["ts-morph", "prettier/plugins", "json-schema-to-typescript"];

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
    const libraries = ["ts-morph", "prettier", "prettier/plugins", "json-schema-to-typescript", "ajv", "yaml"].filter((l) => [...seen].some((u) => u.includes("/node_modules/" + l + "/")));
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

  // generate with something to write takes the long way, and repairs all of it; the TypeScript outputs are as
  // recorded, so they are kept (ts-morph is not loaded).
  const repair = await runRecordingImports(project.root, []);
  assert.equal(repair.code, 0, repair.output);
  assert.ok(repair.libraries.includes("ajv"), "the long way: the schema is validated");
  assert.ok(!repair.libraries.includes("ts-morph"), "the reconciler base is as recorded: kept");
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
  assert.ok(edited.libraries.includes("ajv"), "validated and modelled to find out");
  assert.deepEqual(
    edited.libraries.filter((l) => HEAVY.includes(l)),
    [],
    "a comment changes no output's part of the model: the TypeScript outputs are kept, only their header changes",
  );
  // A record that is not one (edited by hand, or from another version of the generator) takes the long way too.
  await writeFile(join(project.root, "schemas/mysql.yaml"), schema);
  const record = await readFile(join(project.root, RECORD), "utf8");
  await writeFile(join(project.root, RECORD), record.replace(/# inputs sha256:[0-9a-f]{64}/, `# inputs sha256:${"0".repeat(64)}`));
  assert.equal(await recordedStates({ root: project.root, schemaPath: "schemas/mysql.yaml" }), undefined);
});

/** Every output of `schemaText` as a full run renders it (nothing kept), by path. */
async function fullRender(root: string, schemaText: string): Promise<Map<string, string>> {
  const files = await generateFromLoaded(parseSchemaText(schemaText, "schemas/mysql.yaml"), { root, schemaPath: "schemas/mysql.yaml" });
  return new Map(files.map((f) => [f.path, f.content]));
}

async function assertOnDiskAsFullRender(root: string, schemaText: string, what: string): Promise<void> {
  for (const [path, content] of await fullRender(root, schemaText)) assert.equal(await readFile(join(root, path), "utf8"), content, `${what}: ${path}`);
}

test("a schema edit re-emits exactly the outputs whose part of the model changed; every file ends as a full run makes it", async (t) => {
  const schema = await mysqlSchemaText();
  const project = await createTempProject(schema);
  t.after(project.cleanup);
  await generate({ root: project.root, schemaPath: "schemas/mysql.yaml" });
  const cases: { what: string; edit: Parameters<typeof editedSchema>[0]; loads: string[] }[] = [
    {
      what: "a printer column's description (CRD only)",
      edit: (doc) => doc.setIn(["versions", 0, "additionalPrinterColumns", 0, "description"], "The image, edited."),
      loads: [],
    },
    {
      what: "an operator rule's reason (RBAC and API reference only)",
      edit: (doc) => doc.setIn(["operator", "clusterRules", 0, "why"], "edited reason"),
      loads: [],
    },
    {
      what: "a hook field's description (the models only: its hook's docs link to it)",
      edit: (doc) => doc.setIn([...SPEC_PROPERTIES, "image", "description"], "The image, edited for the hook docs."),
      // Laid out in prettier's form by the emitter: prettier's formatter is not loaded.
      loads: ["json-schema-to-typescript"],
    },
    {
      what: "a field's change policy (constants and reconciler base)",
      edit: (doc) => doc.setIn([...SPEC_PROPERTIES, "image", "x-mysqlop-on-change"], "rollout"),
      loads: ["ts-morph"],
    },
  ];
  // Each edit on top of the ones before, as a user edits.
  const applied: Parameters<typeof editedSchema>[0][] = [];
  for (const { what, edit, loads } of cases) {
    applied.push(edit);
    const text = await editedSchema((doc) => applied.forEach((e) => e(doc)));
    await writeFile(join(project.root, "schemas/mysql.yaml"), text);
    const check = await runRecordingImports(project.root, ["--check"]);
    assert.equal(check.code, 1, `${what}: --check reports the stale files\n${check.output}`);
    assert.deepEqual(
      check.libraries.filter((l) => HEAVY.includes(l)),
      [],
      `${what}: --check renders nothing, every file's header names the old schema`,
    );
    const run = await runRecordingImports(project.root, []);
    assert.equal(run.code, 0, run.output);
    assert.deepEqual(
      run.libraries.filter((l) => HEAVY.includes(l)),
      loads,
      `${what}: libraries loaded`,
    );
    await assertOnDiskAsFullRender(project.root, text, what);
    assert.equal((await runRecordingImports(project.root, ["--check"])).code, 0, `${what}: up to date after`);
  }
});

test("a kept output must be exactly as recorded: a hand-edited one is reported by --check and made again by generate", async (t) => {
  const schema = await mysqlSchemaText();
  const project = await createTempProject(schema);
  t.after(project.cleanup);
  await generate({ root: project.root, schemaPath: "schemas/mysql.yaml" });
  const base = join(project.root, "generated/mysql-reconciler-base.ts");
  await writeFile(base, (await readFile(base, "utf8")).replace("abstract class", "abstract  class"));
  const text = await editedSchema((doc) => doc.setIn(["versions", 0, "additionalPrinterColumns", 0, "description"], "Edited."));
  await writeFile(join(project.root, "schemas/mysql.yaml"), text);
  const check = await generate({ root: project.root, schemaPath: "schemas/mysql.yaml" }, { check: true });
  assert.equal(check.states.find((s) => s.path === "generated/mysql-reconciler-base.ts")?.state, "stale");
  const run = await runRecordingImports(project.root, []);
  assert.ok(run.libraries.includes("ts-morph"), "made again, not kept");
  await assertOnDiskAsFullRender(project.root, text, "after a hand edit");
});

test("an emitter's part of the model without the header: a new schema hash alone changes only the first line", async () => {
  const loaded = parseSchemaText(await mysqlSchemaText(), "schemas/mysql.yaml");
  const model = buildModel(loaded, { root: "/project", schemaPath: "schemas/mysql.yaml" });
  const other = { ...model, source: { ...model.source, sha256: "f".repeat(64) } };
  const [a, b] = await Promise.all([renderOutputs(model), renderOutputs(other)]);
  for (const [i, file] of a.entries()) {
    const rest = (text: string): string => text.slice(text.indexOf("\n"));
    assert.notEqual(file.content, b[i]!.content, file.path);
    assert.equal(rest(file.content), rest(b[i]!.content), `${file.path}: only the header differs`);
  }
  for (const part of [modelsInput, constantsInput, validatorInput, reconcilerBaseInput]) assert.equal(inputText(part(model)), inputText(part(other)));
});

test("each schema edit re-emits exactly the TypeScript outputs its part reaches, and every file ends as a from-scratch run makes it", async (t) => {
  const schema = await mysqlSchemaText();
  const project = await createTempProject(schema);
  t.after(project.cleanup);
  const options = { root: project.root, schemaPath: "schemas/mysql.yaml" };
  const models = "generated/mysql-models.ts";
  const constants = "generated/mysql-constants.ts";
  const validator = "generated/mysql-validator.ts";
  const base = "generated/mysql-reconciler-base.ts";
  const cases: { what: string; edit: Parameters<typeof editedSchema>[0]; emitted: string[] }[] = [
    { what: "a comment", edit: (doc) => (doc.commentBefore = " edited"), emitted: [] },
    { what: "a hooked field's description", edit: (doc) => doc.setIn([...SPEC_PROPERTIES, "image", "description"], "Edited."), emitted: [models] },
    {
      what: "a titled hooked field's description (its named type carries it, so its hook repeats it)",
      edit: (doc) => doc.setIn([...SPEC_PROPERTIES, "resources", "description"], "Edited."),
      emitted: [models, base],
    },
    { what: "a rollout field's description", edit: (doc) => doc.setIn([...SPEC_PROPERTIES, "backup", "description"], "Edited."), emitted: [models] },
    { what: "the spec's description", edit: (doc) => doc.setIn([...ROOT_SCHEMA, "properties", "spec", "description"], "Edited."), emitted: [models] },
    { what: "a pattern", edit: (doc) => doc.setIn([...SPEC_PROPERTIES, "storage_size", "pattern"], "^[0-9]+Gi$"), emitted: [models, validator] },
    { what: "a default", edit: (doc) => doc.setIn([...SPEC_PROPERTIES, "image", "default"], "mysql:9.0"), emitted: [models, validator] },
    {
      what: "a hooked field made always present",
      edit: (doc) => doc.setIn([...SPEC_PROPERTIES, "password", "default"], "changeme"),
      emitted: [models, validator, base],
    },
    {
      what: "a change policy",
      edit: (doc) => doc.setIn([...SPEC_PROPERTIES, "backup", "x-mysqlop-on-change"], "hook"),
      emitted: [constants, validator, base],
    },
    {
      what: "a sensitive marker",
      edit: (doc) => doc.setIn([...SPEC_PROPERTIES, "storageClassName", "x-mysqlop-sensitive"], true),
      emitted: [constants, validator, base],
    },
    {
      what: "a new hooked field",
      edit: (doc) => doc.setIn([...SPEC_PROPERTIES, "comment"], { type: "string", description: "A note.", "x-mysqlop-on-change": "hook" }),
      emitted: [models, constants, validator, base],
    },
    { what: "a served version's kind name", edit: (doc) => doc.setIn(["names", "kind"], "MySQLServer"), emitted: [models, constants, validator, base] },
  ];
  for (const { what, edit, emitted } of cases) {
    // Each edit from the unedited schema's outputs, so that each case shows what its own edit re-emits.
    await writeFile(join(project.root, "schemas/mysql.yaml"), schema);
    await generate(options);
    const text = await editedSchema(edit);
    assert.notEqual(text, schema, `${what}: the edit changes the schema`);
    await writeFile(join(project.root, "schemas/mysql.yaml"), text);
    const result = await generate(options);
    assert.deepEqual(
      result.emitted.filter((p) => p.endsWith(".ts")),
      emitted,
      `${what}: the TypeScript outputs emitted`,
    );
    await assertOnDiskAsFullRender(project.root, text, what);
    const check = await generate(options, { check: true });
    assert.deepEqual(
      check.states.filter((s) => s.state !== "fresh"),
      [],
      `${what}: --check finds nothing after`,
    );
  }
});

test("--check renders only the outputs whose state needs their content, with the verdict of comparing a full render", async (t) => {
  const project = await createTempProject(await mysqlSchemaText());
  t.after(project.cleanup);
  const options = { root: project.root, schemaPath: "schemas/mysql.yaml" };
  const models = "generated/mysql-models.ts";
  const validator = "generated/mysql-validator.ts";
  const crd = "deploy/crd.yaml";
  const verdictOfFullRender = async (text: string): Promise<string[]> => {
    const states: string[] = [];
    for (const [path, content] of await fullRender(project.root, text)) {
      const onDisk = await readFile(join(project.root, path), "utf8").catch(() => undefined);
      states.push(`${onDisk === undefined ? "missing" : onDisk === content ? "fresh" : "stale"} ${path}`);
    }
    return states.sort();
  };
  const verdict = async (): Promise<{ states: string[]; rendered: string[] }> => {
    const result = await generate(options, { check: true });
    return { states: result.states.map((s) => `${s.state} ${s.path}`).sort(), rendered: result.files.map((f) => f.path).sort() };
  };

  await generate(options);
  // A field's description edited and not generated again: every header names the old schema.
  const edited = await editedSchema((doc) => doc.setIn([...SPEC_PROPERTIES, "image", "description"], "Edited."));
  await writeFile(join(project.root, "schemas/mysql.yaml"), edited);
  const afterEdit = await verdict();
  assert.deepEqual(afterEdit.rendered, []);
  assert.deepEqual(afterEdit.states, await verdictOfFullRender(edited));
  assert.ok(
    afterEdit.states.every((s) => s.startsWith("stale ")),
    afterEdit.states.join("\n"),
  );

  // Generated again, then: the models' body edited (its header is current), the validator removed, the CRD's first
  // line edited, without a record (so no run answers from it).
  await generate(options);
  await rm(join(project.root, RECORD));
  await writeFile(join(project.root, models), (await readFile(join(project.root, models), "utf8")).replace("export interface", "export  interface"));
  await rm(join(project.root, validator));
  const crdText = await readFile(join(project.root, crd), "utf8");
  await writeFile(join(project.root, crd), crdText.replace(/^[^\n]*/, "# edited"));
  const mixed = await verdict();
  assert.deepEqual(mixed.states, await verdictOfFullRender(edited));
  const notFresh = mixed.states.filter((s) => !s.startsWith("fresh "));
  assert.deepEqual(notFresh, [`missing ${validator}`, `stale ${crd}`, `stale ${models}`]);
  assert.ok(!mixed.rendered.includes(validator) && !mixed.rendered.includes(crd), "no content needed for a missing file or a foreign first line");
  assert.ok(mixed.rendered.includes(models), "a file with the current header is compared with what this run makes");
});
