/** `mysqlop generate`: regenerate everything derived from the schema, or `--check` for staleness. */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { AsideEmitter } from "../../codegen/emit/aside.ts";
import { SchemaError } from "../../codegen/errors.ts";
import { runtimeImportProblem, type GenerateOptions } from "../../codegen/options.ts";
import { recordedOptions, recordedStates, recordPath } from "../../codegen/record.ts";
import type { FileState } from "../../codegen/write.ts";
import { parseCommandArgs, usageError } from "../args.ts";

const HELP = `usage: mysqlop generate [--check] [--schema FILE] [--root DIR] [--out DIR] [--deploy DIR] [--runtime-import SPECIFIER]

Generates the models, constants, validator, reconcile base class and API reference
(generated/) and the CRD and RBAC (deploy/) from the schema file.

  --check                 write nothing; list stale, missing and orphaned files and exit 1 if any
  --schema FILE           schema file (default schemas/mysql.yaml)
  --root DIR              project root (default: current directory)
  --out DIR               folder for generated code (default generated)
  --deploy DIR            folder for crd.yaml and rbac.yaml (default deploy)
  --runtime-import SPEC   where generated code imports the runtime from: a folder, as
                          seen from --out (modules imported as SPEC/<module>.ts), or a
                          package subpath such as generator-mysqlop/runtime (modules
                          imported as SPEC/<module>, resolved by the package's exports);
                          modules used: resource-reconciler, schema-validation
                          (default: relative path from --out to src/runtime)`;

/** Runs the command; exit code 0 on success, 1 on stale files (`--check`) or schema errors, 2 on usage errors. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs("generate", HELP, argv, {
    check: { type: "boolean", default: false },
    schema: { type: "string", default: "schemas/mysql.yaml" },
    root: { type: "string", default: process.cwd() },
    out: { type: "string", default: "generated" },
    deploy: { type: "string", default: "deploy" },
    "runtime-import": { type: "string" },
  });
  if (parsed.exitCode !== undefined) return parsed.exitCode;
  const { values } = parsed;
  const runtimeImport = values["runtime-import"];
  const problem = runtimeImport === undefined ? undefined : runtimeImportProblem(runtimeImport);
  if (problem !== undefined) {
    return usageError("generate", `--runtime-import ${problem}`, HELP);
  }
  const options: GenerateOptions = { root: values.root, schemaPath: values.schema, outDir: values.out, deployDir: values.deploy, runtimeImport };
  // No record yet: every file is to be made. The skeleton's worker starts loading ts-morph now, while this thread
  // loads the pipeline and checks the schema (see codegen/emit/aside.ts).
  const aside = values.check || existsSync(resolve(values.root, recordPath(recordedOptions(options)))) ? undefined : await startAside();
  try {
    // Inputs as recorded by the last run: the verdict needs no generating (see codegen/record.ts).
    const recorded = aside === undefined ? await recordedStates(options) : undefined;
    if (recorded !== undefined && (values.check || recorded.states.every((s) => s.state === "fresh"))) {
      return report(values.check, values.schema, recorded.outputs.length, recorded.states, [], []);
    }
    const { generate } = await import("../../codegen/pipeline.ts");
    const result = await generate(options, { check: values.check }, aside);
    return report(values.check, values.schema, result.outputs.length, result.states, result.written, result.removed);
  } catch (error) {
    if (error instanceof SchemaError) {
      console.error(`mysqlop generate: ${error.problems.length} problem(s) in ${error.file}; nothing was written:\n${error.message}`);
      return 1;
    }
    const schemaFile = resolve(values.root, values.schema);
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && (error as NodeJS.ErrnoException).path === schemaFile) {
      console.error(
        `mysqlop generate: no schema file ${schemaFile}: run it in a mysqlop project (a folder with ${values.schema}), or pass --root DIR or --schema FILE`,
      );
      return 1;
    }
    throw error;
  } finally {
    await aside?.stop();
  }
}

/** The skeleton's worker, started (its module is light: the pipeline is not loaded yet). */
async function startAside(): Promise<AsideEmitter> {
  const { AsideEmitter } = await import("../../codegen/emit/aside.ts");
  return new AsideEmitter();
}

/** Prints the outcome; the exit code. */
function report(check: boolean, schema: string, files: number, states: readonly FileState[], written: readonly string[], removed: readonly string[]): number {
  if (check) {
    const stale = states.filter((s) => s.state !== "fresh");
    if (stale.length === 0) {
      console.log(`mysqlop generate --check: ${files} files up to date`);
      return 0;
    }
    console.error(`mysqlop generate --check: ${stale.length} generated file(s) out of date with ${schema}; run \`npm run generate\`:`);
    for (const s of stale) console.error(`  ${s.state.padEnd(8)}  ${s.path}`);
    return 1;
  }
  if (removed.length > 0) console.log(`mysqlop generate: removed orphaned ${removed.join(", ")}`);
  console.log(written.length === 0 ? `mysqlop generate: ${files} files already up to date` : `mysqlop generate: wrote ${written.join(", ")}`);
  return 0;
}
