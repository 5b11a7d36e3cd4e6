/**
 * The generator end to end in temporary projects: determinism, `--check`, atomic writes,
 * the generation gap (hand-written code untouched, new fields become compile errors).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { Project, ts } from "ts-morph";
import { run as runGenerate } from "../../src/cli/generate/index.ts";
import { generate } from "../../src/codegen/pipeline.ts";
import { createTempProject, editedSchema, mysqlSchemaText, repoRoot, snapshotFiles, SPEC_PROPERTIES } from "./temp-project.ts";

const OUTPUTS = [
  "deploy/crd.yaml",
  "deploy/flowschema.yaml",
  "deploy/kustomization.yaml",
  "deploy/namespace.yaml",
  "deploy/operator.yaml",
  "deploy/rbac-namespaced/operator.yaml",
  "deploy/rbac-namespaced/watched-namespace/kustomization.yaml",
  "deploy/rbac-namespaced/watched-namespace/role.yaml",
  "deploy/rbac.yaml",
  "generated/api-reference.md",
  "generated/mysql-constants.ts",
  "generated/mysql-models.ts",
  "generated/mysql-reconciler-base.ts",
  "generated/mysql-validator.ts",
];
/** The generation record, written beside the outputs (not an output: see src/codegen/record.ts). */
const RECORD = "generated/mysql.generated.sha256";

const RUNTIME_DIR = join(repoRoot, "src/runtime");
const RUNTIME = join(RUNTIME_DIR, "index.ts");

/** Captures console output of a CLI run. */
async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...args: unknown[]) => void out.push(args.join(" "));
  console.error = (...args: unknown[]) => void err.push(args.join(" "));
  try {
    return { code: await fn(), out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test("same schema → byte-identical files, and each starts with the DO NOT EDIT line carrying the schema hash", async (t) => {
  const a = await createTempProject(await mysqlSchemaText());
  const b = await createTempProject(await mysqlSchemaText());
  t.after(a.cleanup);
  t.after(b.cleanup);
  // The first run of this process that makes every file emits the reconcile skeleton in a worker thread, the other in
  // this one; at once, so that neither run's worker is the other's.
  await Promise.all([generate({ root: a.root, schemaPath: "schemas/mysql.yaml" }), generate({ root: b.root, schemaPath: "schemas/mysql.yaml" })]);
  const filesA = await snapshotFiles(a.root);
  const filesB = await snapshotFiles(b.root);
  assert.deepEqual([...filesA.keys()].filter((p) => !p.startsWith("schemas/")).sort(), [...OUTPUTS, RECORD].sort());
  assert.deepEqual(filesA, filesB);
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256")
    .update(await mysqlSchemaText())
    .digest("hex");
  for (const path of [...OUTPUTS, RECORD]) {
    const first = filesA.get(path)!.split("\n")[0]!;
    assert.match(first, /Generated from schemas\/mysql\.yaml .*DO NOT EDIT/, path);
    assert.ok(first.includes(hash), `${path} header carries the schema hash`);
  }
});

test("the committed generated files are up to date with schemas/mysql.yaml (drift check)", async () => {
  const result = await generate({ root: repoRoot, schemaPath: "schemas/mysql.yaml" }, { check: true });
  assert.deepEqual(
    result.states.filter((s) => s.state !== "fresh"),
    [],
    "run `npm run generate` and commit",
  );
  assert.deepEqual(result.written, []);
});

test("--check writes nothing, lists every stale or missing file and exits 1; clean → exit 0", async (t) => {
  const project = await createTempProject(await mysqlSchemaText());
  t.after(project.cleanup);
  const missing = await capture(() => runGenerate(["--check", "--root", project.root]));
  assert.equal(missing.code, 1);
  for (const path of OUTPUTS) assert.match(missing.err, new RegExp(`missing\\s+${path.replace(".", "\\.")}`));
  assert.deepEqual([...(await snapshotFiles(project.root)).keys()], ["schemas/mysql.yaml"], "--check wrote something");

  assert.equal((await capture(() => runGenerate(["--root", project.root]))).code, 0);
  const clean = await capture(() => runGenerate(["--check", "--root", project.root]));
  assert.equal(clean.code, 0, clean.err);

  await writeFile(join(project.root, "generated/mysql-models.ts"), "// edited by hand\n");
  await writeFile(join(project.root, "schemas/mysql.yaml"), (await mysqlSchemaText()) + "\n# a comment changes the hash\n");
  const before = await snapshotFiles(project.root);
  const stale = await capture(() => runGenerate(["--check", "--root", project.root]));
  assert.equal(stale.code, 1);
  for (const path of OUTPUTS) assert.match(stale.err, new RegExp(`stale\\s+${path.replace(".", "\\.")}`), `${path} listed as stale`);
  assert.deepEqual(await snapshotFiles(project.root), before, "--check must not write");
});

test("--runtime-import names the runtime folder: the generated validator, written elsewhere, imports schema-validation from it and works", async (t) => {
  const project = await createTempProject(await mysqlSchemaText());
  t.after(project.cleanup);
  const refused = await capture(() => runGenerate(["--root", project.root, "--runtime-import", RUNTIME]));
  assert.equal(refused.code, 2, "a path to a file is the old form of the option");
  assert.match(refused.err, /--runtime-import names the runtime folder or package subpath .*not a file/);
  assert.deepEqual([...(await snapshotFiles(project.root)).keys()], ["schemas/mysql.yaml"], "a refused option writes nothing");

  assert.equal((await capture(() => runGenerate(["--root", project.root, "--runtime-import", RUNTIME_DIR]))).code, 0);
  const validator = await readFile(join(project.root, "generated/mysql-validator.ts"), "utf8");
  assert.ok(
    validator.includes(`from ${JSON.stringify(join(RUNTIME_DIR, "schema-validation.ts"))};`),
    "imports the validation module itself, not the runtime index",
  );
  assert.doesNotMatch(validator, /from "ajv"|function describeError/, "no copy of the validation code in generated output");
  const constants = await readFile(join(project.root, "generated/mysql-constants.ts"), "utf8");
  assert.ok(constants.includes(`from ${JSON.stringify(RUNTIME)};`));
  const { validateMySQL } = (await import(join(project.root, "generated/mysql-validator.ts"))) as typeof import("../../generated/mysql-validator.ts");
  const original = {
    apiVersion: "otus.homework/v1",
    kind: "MySQL",
    metadata: { name: "mysql-instance" },
    spec: { image: "mysql:5.7", database: "otus-database", password: "otuspassword", storage_size: "1Gi" },
  };
  assert.deepEqual(validateMySQL(original), []);
  assert.deepEqual(
    validateMySQL({ ...original, usless_data: "useless info" }).map((i) => i.message),
    ['unknown field "usless_data" (known fields: apiVersion, kind, metadata, spec, status)'],
  );
});

test("files generated from this schema that are no longer outputs are listed by --check and removed by generate", async (t) => {
  const project = await createTempProject(await mysqlSchemaText());
  t.after(project.cleanup);
  assert.equal((await capture(() => runGenerate(["--root", project.root]))).code, 0);
  const header = (await readFile(join(project.root, "generated/mysql-models.ts"), "utf8")).split("\n", 1)[0]!;
  await writeFile(join(project.root, "generated/old-models.ts"), `${header}\nexport {};\n`);
  await writeFile(join(project.root, "generated/other-models.ts"), `${header.replace("schemas/mysql.yaml", "schemas/other.yaml")}\nexport {};\n`);
  await writeFile(join(project.root, "deploy/sample-overlay.yaml"), "# hand-written\n");
  const check = await capture(() => runGenerate(["--check", "--root", project.root]));
  assert.equal(check.code, 1);
  assert.match(check.err, /orphaned\s+generated\/old-models\.ts/);
  assert.doesNotMatch(check.err, /other-models|sample-overlay\.yaml|mysql-models/);
  const run = await capture(() => runGenerate(["--root", project.root]));
  assert.match(run.out, /removed orphaned generated\/old-models\.ts/);
  const files = [...(await snapshotFiles(project.root)).keys()];
  assert.ok(!files.includes("generated/old-models.ts"));
  assert.ok(files.includes("generated/other-models.ts") && files.includes("deploy/sample-overlay.yaml"), "files of other schemas and hand-written files stay");
  assert.equal((await capture(() => runGenerate(["--check", "--root", project.root]))).code, 0);
});

test("a failing write leaves no half-written output and no temporary file", async (t) => {
  const project = await createTempProject(await mysqlSchemaText());
  t.after(project.cleanup);
  // deploy/ is a file, so the deploy outputs cannot be prepared; generated/ outputs come first.
  await writeFile(join(project.root, "deploy"), "not a directory");
  await assert.rejects(generate({ root: project.root, schemaPath: "schemas/mysql.yaml" }));
  const files = [...(await snapshotFiles(project.root)).keys()].sort();
  assert.deepEqual(files, ["deploy", "schemas/mysql.yaml"], "nothing may be renamed into place when any file failed");
  assert.deepEqual(await readdir(join(project.root, "generated")), [], "temporaries are removed");
  assert.equal(await readFile(join(project.root, "deploy"), "utf8"), "not a directory");
});

test("a read-only output folder fails before any output changes", { skip: process.getuid?.() === 0 ? "root ignores file modes" : false }, async (t) => {
  const project = await createTempProject(await mysqlSchemaText());
  t.after(async () => {
    await chmod(join(project.root, "deploy"), 0o755).catch(() => {});
    await project.cleanup();
  });
  await mkdir(join(project.root, "deploy"));
  await chmod(join(project.root, "deploy"), 0o555);
  await assert.rejects(generate({ root: project.root, schemaPath: "schemas/mysql.yaml" }));
  assert.deepEqual(await readdir(join(project.root, "generated")), []);
});

/** A hand-written subclass implementing the hooks of the current MySQL schema. */
const SUBCLASS = `// Hand-written: must survive regeneration byte for byte.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { HookResult, ReconcileContext } from ${JSON.stringify(RUNTIME)};
import { MySQLReconcilerBase, type MySQLChange } from "../../generated/mysql-reconciler-base.ts";
import type { MySQL, MySQLStatus } from "../../generated/mysql-models.ts";

export class HandWritten extends MySQLReconcilerBase {
  desired(_resource: MySQL): KubernetesObject[] { return []; }
  async onCreate(): Promise<HookResult<MySQLStatus>> { return this.done(); }
  async finalize(): Promise<HookResult<MySQLStatus>> { return this.done(); }
  async onImageChange(_r: MySQL, change: MySQLChange<"image">, _c: ReconcileContext): Promise<HookResult<MySQLStatus>> { return this.done(change.current); }
  async onPasswordChange(_r: MySQL, change: MySQLChange<"password">): Promise<HookResult<MySQLStatus>> { return this.done(String(change.previous)); }
  async onPasswordSecretRefChange(): Promise<HookResult<MySQLStatus>> { return this.done(); }
  async onStorageSizeChange(): Promise<HookResult<MySQLStatus>> { return this.done(); }
  async onResourcesChange(): Promise<HookResult<MySQLStatus>> { return this.done(); }
  /*EXTRA*/
}
`;

function typeErrors(root: string, files: string[]): { code: number; text: string }[] {
  const project = new Project({
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noUncheckedIndexedAccess: true,
      noImplicitOverride: true,
      verbatimModuleSyntax: true,
      allowImportingTsExtensions: true,
      noEmit: true,
      skipLibCheck: true,
      types: ["node"],
      typeRoots: [join(repoRoot, "node_modules/@types")],
    },
  });
  for (const f of files) project.addSourceFileAtPath(join(root, f));
  return project.getPreEmitDiagnostics().map((d) => ({ code: d.getCode(), text: ts.flattenDiagnosticMessageText(d.compilerObject.messageText, "\n") }));
}

// Follows docs/architecture.md, "Recipe: a new spec field", steps 1 to 3.
test("a field added to the schema reaches models, CRD, docs and hooks; the subclass fails to compile until it handles it, and is never touched", async (t) => {
  const project = await createTempProject(await mysqlSchemaText());
  t.after(project.cleanup);
  const options = { root: project.root, schemaPath: "schemas/mysql.yaml", runtimeImport: RUNTIME_DIR };
  await generate(options);
  const subclassPath = join(project.root, "src/mysql/hand-written.ts");
  await mkdir(join(project.root, "src/mysql"), { recursive: true });
  await writeFile(subclassPath, SUBCLASS);
  const files = ["src/mysql/hand-written.ts"];
  assert.deepEqual(typeErrors(project.root, files), [], "the subclass compiles against the current schema");

  // Step 1: declare the field, and what a change of it means; here also an immutable one.
  await writeFile(
    join(project.root, "schemas/mysql.yaml"),
    await editedSchema((d) => {
      d.setIn([...SPEC_PROPERTIES, "maxConnections"], {
        type: "integer",
        minimum: 1,
        default: 151,
        "x-mysqlop-on-change": "hook",
        description: "Upper limit of client connections (max_connections).",
      });
      d.setIn([...SPEC_PROPERTIES, "zone"], { type: "string", maxLength: 63, "x-mysqlop-on-change": "immutable", description: "Where the data lives." });
    }),
  );
  // Step 2: generate.
  const result = await generate(options);
  assert.ok(result.written.length === OUTPUTS.length, "every output depends on the schema");
  assert.equal(await readFile(subclassPath, "utf8"), SUBCLASS, "the hand-written subclass survives regeneration byte for byte");

  const read = (p: string) => readFile(join(project.root, p), "utf8");
  assert.match(await read("generated/mysql-models.ts"), /\* Upper limit of client connections \(max_connections\)\.\s+\*\/\s+maxConnections: number;/);
  assert.match(await read("deploy/crd.yaml"), /maxConnections:\n\s+type: integer\n\s+minimum: 1\n\s+default: 151/);
  assert.match(await read("generated/api-reference.md"), /\| `maxConnections`\s+\| integer\s+\| no\s+\| Upper limit of client connections/);
  assert.match(
    await read("generated/mysql-reconciler-base.ts"),
    /abstract onMaxConnectionsChange\(\s*resource: MySQL,\s*change: MySQLChange<"maxConnections">/,
  );
  assert.match(await read("generated/mysql-constants.ts"), /\{ name: "maxConnections", onChange: "hook" \}/);
  assert.match(await read("generated/mysql-constants.ts"), /\{ name: "zone", onChange: "immutable" \}/);
  assert.doesNotMatch(await read("generated/mysql-reconciler-base.ts"), /onZoneChange/, "an immutable field has no hook");
  assert.match(await read("deploy/crd.yaml"), /rule: has\(self\.zone\) == has\(oldSelf\.zone\) && \(!has\(self\.zone\) \|\| self\.zone == oldSelf\.zone\)/);

  const errors = typeErrors(project.root, files);
  assert.equal(errors.length, 1, errors.map((e) => e.text).join("\n"));
  assert.equal(errors[0]!.code, 2515, "TS2515: non-abstract class does not implement an inherited abstract member");
  assert.match(errors[0]!.text, /onMaxConnectionsChange/);

  // Step 3: implement the hook, its parameter typed by the named change type.
  const implemented = SUBCLASS.replace(
    "/*EXTRA*/",
    'async onMaxConnectionsChange(_r: MySQL, change: MySQLChange<"maxConnections">): Promise<HookResult<MySQLStatus>> { return this.done(`max_connections ${change.current.toFixed(0)}`); }',
  );
  await writeFile(subclassPath, implemented);
  assert.deepEqual(typeErrors(project.root, files), [], "implementing the new hook fixes the build");

  // A later change of the field's type reaches the hook through its named change type (a literal
  // parameter type would still compile: method parameters are checked bivariantly).
  await writeFile(
    join(project.root, "schemas/mysql.yaml"),
    (await read("schemas/mysql.yaml")).replace(/(maxConnections:\n\s+)type: integer\n\s+minimum: 1\n(\s+)default: 151/, '$1type: string\n$2default: "151"'),
  );
  await generate(options);
  const widened = typeErrors(project.root, files);
  assert.ok(
    widened.some((e) => /maxConnections|string/.test(e.text) && e.code !== 2515),
    `the hook's body no longer type-checks: ${widened.map((e) => e.text).join("; ")}`,
  );
  await rm(join(project.root, "src"), { recursive: true });
});

test("the skeleton's worker: it emits the skeleton as this thread does; one that fails to load (or ends) leaves it to this thread, the same text; another thread importing the generator keeps its own messages and ends", async (t) => {
  const { AsideEmitter } = await import("../../src/codegen/emit/aside.ts");
  const { buildModel } = await import("../../src/codegen/model.ts");
  const { parseSchemaText } = await import("../../src/codegen/load.ts");
  const { reconcilerBaseInput } = await import("../../src/codegen/emit/inputs.ts");
  const { emitReconcilerBase } = await import("../../src/codegen/emit/reconciler-base.ts");
  const input = reconcilerBaseInput(
    buildModel(parseSchemaText(await mysqlSchemaText(), "schemas/mysql.yaml"), { root: ".", schemaPath: "schemas/mysql.yaml" }),
  );
  const expected = emitReconcilerBase(input);
  assert.equal(expected.final, true);
  const real = new AsideEmitter();
  assert.deepEqual(await real.emit(input), expected);
  await real.stop();
  const dir = await mkdtemp(join(tmpdir(), "aside-worker-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // Found by a review: a worker that died before the request came left generate waiting for ever (exit 13, the error lost).
  const broken = join(dir, "broken.mjs");
  await writeFile(broken, 'throw new Error("this worker cannot load");\n');
  const emitter = new AsideEmitter(pathToFileURL(broken));
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(await emitter.emit(input), expected);
  await emitter.stop();
  // A worker of someone else's that imports the generator is not taken over: it answers its own parent and ends.
  const theirs = join(dir, "theirs.mjs");
  await writeFile(
    theirs,
    `import { parentPort } from "node:worker_threads";\nawait import(${JSON.stringify(pathToFileURL(join(repoRoot, "src/codegen/index.ts")).href)});\nparentPort.once("message", (m) => parentPort.postMessage("mine: " + m));\n`,
  );
  const worker = new Worker(theirs);
  worker.postMessage("hello");
  const [answer] = (await once(worker, "message")) as [string];
  assert.equal(answer, "mine: hello");
  const ended = await Promise.race([once(worker, "exit").then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 20_000))]);
  assert.equal(ended, true, "the worker ended by itself");
});
