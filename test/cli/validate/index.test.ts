/** `mysqlop validate` as a person runs it: a real process, real files, exit codes 0/1/2. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const main = join(repo, "src/cli/main.ts");

async function validate(...files: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return validateWithInput(undefined, ...files);
}

function validateWithInput(input: string | undefined, ...files: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [main, "validate", ...files], { cwd: repo }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number((error as { code?: number }).code ?? 1), stdout, stderr });
    });
    child.stdin?.end(input ?? "");
  });
}

const original = await readFile(join(repo, "deploy/cr.yaml"), "utf8");

test("the original cr.yaml is valid (exit 0)", async () => {
  const result = await validate("deploy/cr.yaml");
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), "deploy/cr.yaml: valid");
});

test("every sample under deploy/samples is valid", async () => {
  const samples = (await readdir(join(repo, "deploy/samples"))).filter((f) => f.endsWith(".yaml")).map((f) => `deploy/samples/${f}`);
  assert.ok(samples.length > 0);
  const result = await validate(...samples);
  assert.equal(result.code, 0, result.stderr);
});

test("unknown fields, a bad storage_size, and missing files: exit 1 with file:line:col and what to fix", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "mysqlop-validate-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const cases: [string, string, RegExp][] = [
    ["top-level.yaml", original.replace('# usless_data: "useless info"', 'usless_data: "useless info"'), /top-level\.yaml:10:1: unknown field "usless_data"/],
    [
      "under-spec.yaml",
      original.replace("  storage_size: 1Gi", '  storage_size: 1Gi\n  usless_data: "useless info"'),
      /under-spec\.yaml:10:3: spec: unknown field "usless_data"/,
    ],
    [
      "bad-size.yaml",
      original.replace("storage_size: 1Gi", "storage_size: lots"),
      /bad-size\.yaml:9:3: spec\.storage_size: must be a Kubernetes quantity such as 1Gi or 500Mi, got "lots"/,
    ],
    [
      "second-doc.yaml",
      `${original}---\n${original.replace("otus-database", "bad.name")}`,
      /second-doc\.yaml:18:3: spec\.database: must be a MySQL database name.* \(document 2\)/,
    ],
    ["broken.yaml", "spec: [\n", /broken\.yaml:\d+:\d+: invalid YAML/],
  ];
  for (const [name, text] of cases) await writeFile(join(dir, name), text);
  for (const [name, , want] of cases) {
    const result = await validate(join(dir, name));
    assert.equal(result.code, 1, `${name}: ${result.stdout}`);
    assert.match(result.stderr, want, name);
  }
  const missing = await validate(join(dir, "absent.yaml"));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /absent\.yaml: cannot read/);
});

test("no file is a usage error (exit 2)", async () => {
  const result = await validate();
  assert.equal(result.code, 2);
  assert.match(result.stderr, /no file given/);
});

test("stdin and a kubectl List: each item is checked and located", async () => {
  const list = [
    "apiVersion: v1",
    "kind: List",
    "items:",
    ...original
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.startsWith("#"))
      .map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`)),
    ...original
      .replace("storage_size: 1Gi", "storage_size: lots")
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.startsWith("#"))
      .map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`)),
  ].join("\n");
  const result = await validateWithInput(list, "-");
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stderr, /^-:\d+:\d+: spec\.storage_size: must be a Kubernetes quantity such as 1Gi or 500Mi, got "lots" \(item 2\)$/m);
  assert.doesNotMatch(result.stderr, /item 1/);
  assert.equal((await validateWithInput(original, "-")).code, 0);
});

test("a spec left empty (null) is reported, not a crash", async () => {
  const empty = "apiVersion: otus.homework/v1\nkind: MySQL\nmetadata:\n  name: mysql-instance\nspec:\n";
  const result = await validateWithInput(empty, "-");
  assert.equal(result.code, 1, result.stderr);
  assert.deepEqual(result.stderr.trim().split("\n"), [
    '-:5:1: spec: set exactly one of "password", "passwordSecretRef", got none',
    "-:5:1: spec: must be an object (a mapping of fields), got null",
  ]);
});
