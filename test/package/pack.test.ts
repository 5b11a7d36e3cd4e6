/**
 * The package as a user gets it: `npm pack` (which builds dist/), the tarball installed into an empty
 * project from the npm cache, and the installed `mysqlop` bin and public entry points used from there.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { packRepository } from "../helpers/pack.ts";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const pkg = JSON.parse(await readFile(join(repo, "package.json"), "utf8")) as {
  name: string;
  version: string;
  devDependencies: Record<string, string>;
};
// The Node running this test (24) first on PATH, for npm, npx and the installed bin alike.
// Without FORCE_COLOR (node --test sets it for its children when its output is a terminal): the output read is plain.
const { FORCE_COLOR: _color, ...plainEnv } = process.env;
const env = { ...plainEnv, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`, npm_config_update_notifier: "false" };

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function sh(command: string, args: string[], cwd: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, timeout: 300_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : (error as { code?: unknown }).code;
      if (typeof code !== "number") reject(error ?? new Error(`${command} did not run`));
      else resolve({ code, stdout, stderr });
    });
  });
}

function ok(ran: Ran, what: string): Ran {
  assert.equal(ran.code, 0, `${what} exited ${ran.code}\n${ran.stdout}\n${ran.stderr}`);
  return ran;
}

describe("package: npm pack, installed into an empty project", { timeout: 600_000 }, () => {
  let work: string;
  let project: string;
  let files: string[];
  const bin = (): string => join(project, "node_modules", ".bin", "mysqlop");

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "mysqlop-pack-"));
    project = join(work, "project");
    await mkdir(project);
    // `prepack` builds dist/ first.
    const packed = await packRepository(work, env);
    files = [...packed.files];
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "tryout", private: true, type: "module" }));
    // Everything comes from the npm cache that installing this repository filled: no network needed.
    ok(
      await sh("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", packed.tarball, `@types/node@${pkg.devDependencies["@types/node"]}`], project),
      "npm install of the tarball",
    );
  });
  after(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  test("ships the compiled code, schemas, deploy/ and the scripts, and no sources, tests or maps", () => {
    for (const want of [
      "dist/src/cli/main.js",
      "dist/src/runtime/index.d.ts",
      "dist/src/mysql/scripts/backup.sh",
      "dist/src/envtest/process-node/sandbox.sh",
      "schemas/mysql.yaml",
      "deploy/crd.yaml",
      "deploy/cr.yaml",
    ]) {
      assert.ok(files.includes(want), `${want} is in the tarball`);
    }
    const unwanted = files.filter((f) => /^(test|src)\/.*\.ts$/.test(f) || f.startsWith("node_modules/") || f.endsWith(".map") || f.startsWith(".ci/"));
    assert.deepEqual(unwanted, []);
  });

  test("npx mysqlop --help and --version run the compiled CLI", async () => {
    const help = ok(await sh("npx", ["--offline", "mysqlop", "--help"], project), "npx mysqlop --help");
    for (const command of ["generate", "validate", "run", "sandbox"]) assert.match(help.stdout, new RegExp(`^  ${command} `, "m"));
    const version = ok(await sh(bin(), ["--version"], project), "mysqlop --version");
    assert.equal(version.stdout.trim(), pkg.version);
  });

  test("mysqlop generate: one line when there is no schema, then generates from a copy of the schema", async () => {
    const missing = await sh(bin(), ["generate"], project);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim().split("\n").length, 1, missing.stderr);
    assert.match(missing.stderr, /no schema file .*schemas\/mysql\.yaml/);

    await mkdir(join(project, "schemas"));
    await copyFile(join(project, "node_modules", pkg.name, "schemas", "mysql.yaml"), join(project, "schemas", "mysql.yaml"));
    ok(await sh(bin(), ["generate", "--runtime-import", `${pkg.name}/runtime`], project), "mysqlop generate");
    assert.deepEqual((await readdir(join(project, "generated"))).sort(), [
      "api-reference.md",
      "mysql-constants.ts",
      "mysql-models.ts",
      "mysql-reconciler-base.ts",
      "mysql-validator.ts",
      "mysql.generated.sha256",
    ]);
    assert.ok((await readdir(join(project, "deploy"))).includes("crd.yaml"));
    ok(await sh(bin(), ["generate", "--check", "--runtime-import", `${pkg.name}/runtime`], project), "mysqlop generate --check");
  });

  test("mysqlop validate: the shipped cr.yaml is valid, usless_data is not", async () => {
    const sample = join(project, "node_modules", pkg.name, "deploy", "cr.yaml");
    ok(await sh(bin(), ["validate", sample], project), "mysqlop validate cr.yaml");
    await writeFile(join(project, "bad.yaml"), (await readFile(sample, "utf8")).replace("# usless_data", "usless_data"));
    const bad = await sh(bin(), ["validate", "bad.yaml"], project);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout + bad.stderr, /usless_data/);
  });

  test("the public entry points load, and a file using the runtime's API type-checks against the shipped .d.ts", async () => {
    const loaded = ok(
      await sh(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `for (const m of ["runtime", "codegen", "envtest", "cli"]) { const mod = await import("${pkg.name}/" + m); console.log(m, Object.keys(mod).length); }`,
        ],
        project,
      ),
      "importing the entry points",
    );
    assert.match(loaded.stdout, /^runtime [1-9]/m);
    await writeFile(
      join(project, "operator.ts"),
      `import { Manager, createJsonLogger, done, waitFor, type HookResult } from "${pkg.name}/runtime";
import { generate } from "${pkg.name}/codegen";
import { main } from "${pkg.name}/cli";
import { MySQLReconcilerBase } from "./generated/mysql-reconciler-base.ts";

const log = createJsonLogger({ level: "info" });
const later: HookResult = waitFor(1_000, "Waiting", "waiting for the server");
const now: HookResult = done();
const manager: Manager | undefined = undefined;
const base: typeof MySQLReconcilerBase | undefined = undefined;
const run: typeof generate = generate;
log.info("types only", { later, now, manager, base, run, main });
`,
    );
    await writeFile(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "es2024",
          module: "nodenext",
          moduleResolution: "nodenext",
          strict: true,
          noEmit: true,
          allowImportingTsExtensions: true,
          types: ["node"],
          skipLibCheck: true,
        },
        include: ["operator.ts", "generated"],
      }),
    );
    ok(await sh(process.execPath, [join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], project), "tsc in the project");
  });
});
