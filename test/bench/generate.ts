/**
 * `npm run bench:generate`: how long a full generate takes, in-process (per stage) and as
 * a CLI process, for the MySQL schema and synthetic schemas of growing size. Prints
 * figures; asserts nothing. `BENCH_SYNTHETIC=0` measures the MySQL schema only.
 * `BENCH_GENERATE_BASE=DIR` (another checkout of mysqlop, e.g. `git archive main | tar -x -C DIR` with a
 * `node_modules` link) runs its CLI too, alternating with this one run by run, a row for each: two versions
 * compared within one run.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, symlink, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { parseSchemaText } from "../../src/codegen/load.ts";
import { validateSchema } from "../../src/codegen/validate.ts";
import { buildModel } from "../../src/codegen/model.ts";
import { renderOutputs } from "../../src/codegen/pipeline.ts";
import { writeOutputs } from "../../src/codegen/write.ts";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SYNTHETIC = process.env.BENCH_SYNTHETIC !== "0";
/** The CLIs measured: this checkout's, and another's with `BENCH_GENERATE_BASE`. */
const CLIS: { name: string; main: string }[] = [
  { name: "this", main: join(repo, "src/cli/main.ts") },
  ...(process.env.BENCH_GENERATE_BASE ? [{ name: "base", main: join(process.env.BENCH_GENERATE_BASE, "src/cli/main.ts") }] : []),
];

/** A schema like the MySQL one with `n` spec fields of mixed kinds. */
function syntheticSchema(n: number): string {
  const properties: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const name = `field${i}`;
    switch (i % 4) {
      case 0:
        properties[name] = { type: "string", pattern: "^[a-z]+$", maxLength: 63, description: `String field ${i}.` };
        break;
      case 1:
        properties[name] = { type: "integer", minimum: 0, default: i, description: `Integer field ${i}.` };
        break;
      case 2:
        properties[name] = {
          type: "object",
          title: `Nested${i}`,
          description: `Object field ${i}.`,
          properties: { a: { type: "string", description: "A." }, b: { type: "boolean", description: "B." } },
        };
        break;
      default:
        properties[name] = { type: "array", description: `List field ${i}.`, items: { type: "string" }, "x-kubernetes-list-type": "set" };
    }
  }
  return stringify({
    group: "bench.example.com",
    names: { kind: "Bench", plural: "benches", singular: "bench" },
    scope: "Namespaced",
    finalizer: "bench.example.com/finalize",
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        additionalPrinterColumns: [{ name: "F0", type: "string", jsonPath: ".spec.field0" }],
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: { type: "object", description: "Spec.", properties },
              status: {
                type: "object",
                description: "Status.",
                properties: {
                  observedGeneration: { type: "integer", description: "G." },
                  conditions: {
                    type: "array",
                    description: "C.",
                    items: { type: "object", properties: { type: { type: "string" }, status: { type: "string" } } },
                  },
                  message: { type: "string", description: "M." },
                  appliedSpec: { type: "object", description: "A.", additionalProperties: { type: "string" } },
                },
              },
            },
          },
        },
      },
    ],
    operator: { serviceAccount: "bench", namespace: "bench-system", resource: { verbs: ["get", "list", "watch"] } },
  });
}

async function tempProject(schema: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "mysqlop-bench-"));
  await mkdir(join(root, "schemas"));
  await writeFile(join(root, "schemas/mysql.yaml"), schema);
  await symlink(join(repo, "node_modules"), join(root, "node_modules"), "dir");
  return root;
}

interface Timing {
  total: number;
  stages: Record<string, number>;
}

/** One full in-process generate into `root`, timed per stage. */
async function generateOnce(schema: string, root: string): Promise<Timing> {
  const stages: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string): void => {
    const now = performance.now();
    stages[name] = now - t;
    t = now;
  };
  const start = t;
  const loaded = parseSchemaText(schema, "schemas/mysql.yaml");
  lap("load");
  validateSchema(loaded);
  lap("validate");
  const model = buildModel(loaded, { root, schemaPath: "schemas/mysql.yaml" });
  lap("model");
  const files = await renderOutputs(model);
  lap("emit+format");
  await writeOutputs(root, files);
  lap("write");
  return { total: performance.now() - start, stages };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const ms = (v: number): string => `${v.toFixed(1)} ms`;

async function benchInProcess(label: string, schema: string): Promise<number> {
  const root = await tempProject(schema);
  try {
    const runs: Timing[] = [];
    for (let i = 0; i < RUNS; i++) {
      await rm(join(root, "generated"), { recursive: true, force: true });
      await rm(join(root, "deploy"), { recursive: true, force: true });
      runs.push(await generateOnce(schema, root));
    }
    const stageNames = Object.keys(runs[0]!.stages);
    const stages = stageNames.map((s) => `${s} ${ms(median(runs.map((r) => r.stages[s]!)))}`).join(", ");
    const total = median(runs.map((r) => r.total));
    console.log(`in-process  ${label.padEnd(22)} first ${ms(runs[0]!.total).padStart(10)}  median ${ms(total).padStart(10)}  (${stages})`);
    return total;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Prints the child's CPU time (user + system, µs) on stderr as it exits. */
const CPU_REPORTER = `data:text/javascript,process.on("exit",()=>process.stderr.write("\\ncpu-us "+JSON.stringify(process.cpuUsage())))`;

/** What `npm run generate` preloads before the CLI's entry (`node --import …`), as far as that checkout has it. */
function preloads(main: string): string[] {
  return ["node-check.js", "compile-cache.js"].map((f) => join(main, "..", f)).flatMap((f) => (existsSync(f) ? ["--import", f] : []));
}

/** One CLI run as a process (run as `npm run generate` runs it): wall and CPU milliseconds. */
async function cliRun(main: string, root: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ wallMs: number; cpuMs: number }> {
  const start = performance.now();
  const { stderr } = await promisify(execFile)(process.execPath, ["--import", CPU_REPORTER, ...preloads(main), main, "generate", ...args, "--root", root], {
    env,
  }).catch((error: { stderr?: string }) => ({ stderr: error.stderr ?? "" }));
  const wallMs = performance.now() - start;
  const cpu = JSON.parse(/cpu-us (.*)/.exec(stderr)?.[1] ?? '{"user":NaN,"system":NaN}') as { user: number; system: number };
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function benchCli(label: string, schema: string): Promise<void> {
  const root = await tempProject(schema);
  try {
    // The first description of the MySQL schema is a printer column's: only the CRD and the API reference change.
    const described = (): Promise<void> => writeFile(join(root, "schemas/mysql.yaml"), schema.replace("description: ", "description: Edited. "));
    // A spec field's description (of the MySQL schema's image, a hook field without a title) is, of the TypeScript
    // outputs, in the models only (its hook's docs link to it): they are made again. A synthetic schema has no such text: the case repeats the last.
    const fieldDescribed = (): Promise<void> =>
      writeFile(join(root, "schemas/mysql.yaml"), schema.replace("The MySQL container image, a reference", "The edited MySQL container image, a reference"));
    // The CLI keeps V8's compiled code and stripped TypeScript on disk between runs; the last case runs without.
    const noCache = { ...process.env, NODE_DISABLE_COMPILE_CACHE: "1" };
    const cases: [string, () => Promise<void>, string[], NodeJS.ProcessEnv?][] = [
      ["generate, from scratch", () => rm(join(root, "generated"), { recursive: true, force: true }), []],
      ["generate, nothing to do", async () => {}, []],
      ["--check, up to date", async () => {}, ["--check"]],
      ["--check, a generated file edited", () => writeFile(join(root, "generated/api-reference.md"), "edited\n"), ["--check"]],
      ["--check, the schema edited", () => writeFile(join(root, "schemas/mysql.yaml"), `${schema}\n# edited\n`), ["--check"]],
      ["generate, a column description edited", described, []],
      ["generate, a field description edited", fieldDescribed, []],
      // What CI meets when a schema edit was committed without generating again.
      ["--check, a field description edited", fieldDescribed, ["--check"]],
      ["a column description edited, compile cache off", described, [], noCache],
    ];
    for (const [what, prepare, args, env] of cases) {
      const runs = new Map(CLIS.map((cli) => [cli.name, [] as { wallMs: number; cpuMs: number }[]]));
      for (let i = 0; i < RUNS; i++) {
        for (const cli of CLIS) {
          await writeFile(join(root, "schemas/mysql.yaml"), schema);
          await promisify(execFile)(process.execPath, [cli.main, "generate", "--root", root]);
          await prepare();
          runs.get(cli.name)!.push(await cliRun(cli.main, root, args, env));
        }
      }
      for (const cli of CLIS) {
        const wall = median(runs.get(cli.name)!.map((r) => r.wallMs));
        const cpu = median(runs.get(cli.name)!.map((r) => r.cpuMs));
        const version = CLIS.length > 1 ? `${cli.name} ` : "";
        console.log(`CLI process ${version}${label.padEnd(22)} ${what.padEnd(47)} median wall ${ms(wall).padStart(10)}  CPU ${ms(cpu).padStart(10)}`);
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

console.log(
  `mysqlop generate benchmark: node ${process.version}, ${RUNS} runs each (BENCH_RUNS to change); the first in-process run includes module warm-up\n`,
);
const mysql = await readFile(join(repo, "schemas/mysql.yaml"), "utf8");
await benchInProcess("MySQL schema (6 fields)", mysql);
const growth: [number, number][] = [];
if (SYNTHETIC) for (const n of [10, 30, 100, 300]) growth.push([n, await benchInProcess(`synthetic ${n} fields`, syntheticSchema(n))]);
console.log("");
await benchCli("MySQL schema (6 fields)", mysql);
if (SYNTHETIC) {
  await benchCli("synthetic 300 fields", syntheticSchema(300));
  console.log("\ngrowth (in-process median per field, from 30 fields on; flat or falling = linear or better):");
  for (const [n, t] of growth) console.log(`  ${String(n).padStart(4)} fields  ${ms(t).padStart(10)}  ${(t / n).toFixed(2)} ms/field`);
}
