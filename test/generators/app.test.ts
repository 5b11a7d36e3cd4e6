/**
 * `yo mysqlop` driven by yeoman-test: prompts and options → files, the checks of every answer, and
 * re-runs on a project on disk (what the user owns survives byte for byte, what the toolkit owns is
 * refreshed). The scaffold compiling, generating and passing its own tests is
 * test/integration/generators/scaffold.test.ts.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import helpers from "yeoman-test";
import { parse } from "yaml";
import { answerProblems, QUESTIONS, scaffoldNames, withDefaults, type ScaffoldAnswers } from "../../generators/app/names.ts";

const GENERATOR = fileURLToPath(new URL("../../generators/app/index.ts", import.meta.url));
const OWN = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { version: string; devDependencies: Record<string, string> };

/** What the tests read of a scaffolded schema. */
interface SchemaDoc {
  group: string;
  names: Record<string, string>;
  finalizer: string;
  versions: { name: string; schema: { openAPIV3Schema: { properties: { spec: { properties: { image: { default: string } } } } } } }[];
  operator: { serviceAccount: string; namespace: string };
}

/** What the tests read of a scaffolded package.json. */
interface PackageDoc {
  name: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

async function contentsUnder(root: string): Promise<Map<string, string>> {
  const files = await filesUnder(root);
  return new Map(await Promise.all(files.map(async (f) => [f, await readFile(join(root, f), "utf8")] as const)));
}

/** A scaffold on disk, without `npm install` (and so without `npm run generate`); in `dir` (kept) when given, else in a temporary folder. */
function scaffold(options: Record<string, unknown>, dir?: string) {
  const context = dir === undefined ? helpers.run(GENERATOR) : helpers.run(GENERATOR, { tmpdir: false }).cd(dir);
  return context.withOptions({ skipInstall: true, ...options });
}

describe("answers: defaults and checks", () => {
  test("defaults follow the kind; nothing given means the MySQL names", () => {
    const cases: [Partial<ScaffoldAnswers>, Partial<ScaffoldAnswers>][] = [
      [{}, { kind: "MySQL", group: "otus.homework", plural: "mysqls", apiVersion: "v1", image: "mysql:8.4", namespaces: "all", name: "mysql-operator" }],
      [{ kind: "MariaDB" }, { plural: "mariadbs", name: "mariadb-operator", group: "otus.homework" }],
      [
        { kind: "MariaDB", plural: "mariadb-servers", name: "db-op" },
        { plural: "mariadb-servers", name: "db-op" },
      ],
    ];
    for (const [given, want] of cases) {
      const answers = withDefaults(given);
      for (const [key, value] of Object.entries(want)) assert.equal(answers[key as keyof ScaffoldAnswers], value, `${JSON.stringify(given)} → ${key}`);
      assert.deepEqual(answerProblems(answers), []);
    }
  });

  test("every question is a command-line option, and a bad answer is named with its fix", () => {
    assert.deepEqual(
      QUESTIONS.map((q) => q.option),
      ["kind", "group", "plural", "api-version", "image", "namespaces", "name"],
    );
    const cases: [Partial<ScaffoldAnswers>, RegExp][] = [
      [{ kind: "mariadb" }, /kind "mariadb" must be a CamelCase name .* such as MariaDB/],
      [{ kind: "Manager" }, /kind "Manager" would clash .* such as ManagerServer/],
      [{ kind: "Db2e" }, /kind "Db2e" must not have a small letter right after a digit \(the generated models would be named Db2E\)/],
      [{ group: "localhost" }, /group "localhost" must be a DNS subdomain with at least one dot/],
      [{ group: "db.k8s.io" }, /group "db.k8s.io" is reserved for Kubernetes/],
      [{ plural: "MariaDBs" }, /plural "MariaDBs" must be a lower-case DNS label/],
      [{ apiVersion: "1" }, /API version "1" must look like v1/],
      [{ image: "mysql 8" }, /image "mysql 8" must be a container image reference/],
      [{ image: "mysql:8;rm -rf /" }, /image .* must be a container image reference/],
      [{ namespaces: "Team A" }, /must be "all" or a namespace name .*not one: Team A/],
      [{ namespaces: "team-a,team-b" }, /names 2 namespaces, but the runtime watches all namespaces or one/],
      [{ name: "My Operator" }, /project name "My Operator" must be a lower-case DNS label/],
    ];
    for (const [given, want] of cases) {
      const problems = answerProblems(withDefaults(given));
      assert.equal(problems.length, 1, `${JSON.stringify(given)}: ${problems.join("; ")}`);
      assert.match(problems[0]!, want);
    }
  });

  test("derived names: files, constants, finalizer, operator namespace", () => {
    const names = scaffoldNames(withDefaults({ kind: "MariaDB", group: "db.example.com", namespaces: "team-a" }));
    assert.deepEqual(names.files, { schema: "schemas/mariadb.yaml", reconciler: "src/mariadb-reconciler.ts", sample: "deploy/samples/mariadb.yaml" });
    assert.equal(names.constantPrefix, "MARIADB");
    assert.equal(names.finalizer, "db.example.com/cleanup");
    assert.equal(names.operatorNamespace, "mariadb-operator-system");
    assert.deepEqual(names.watchNamespaces, ["team-a"]);
  });
});

describe("yo mysqlop: options and prompts → files", () => {
  const project = [
    "src/children.ts",
    "src/main.ts",
    "src/operator.ts",
    "test/operator.test.ts",
    "README.md",
    ".gitignore",
    "Dockerfile",
    "tsconfig.json",
    ".ci/run",
  ];

  test("--kind MariaDB --group db.example.com: the user's names everywhere, nothing of otus.homework or MySQL's names", async () => {
    const result = await scaffold({ kind: "MariaDB", group: "db.example.com" });
    const files = await contentsUnder(result.cwd);
    assert.deepEqual(
      [...files.keys()],
      [...project, ".yo-rc.json", "package.json", "schemas/mariadb.yaml", "src/mariadb-reconciler.ts", "deploy/samples/mariadb.yaml"].sort(),
    );
    for (const [path, content] of files) {
      assert.ok(!content.includes("otus.homework"), `${path} names otus.homework`);
      assert.ok(
        !/MySQL(Reconciler|Spec|Status|Change)|MYSQL_(GROUP|VERSION|KIND|PLURAL|FINALIZER|RESOURCE_TYPE|WATCHED_KINDS|SENSITIVE_FIELDS|OPERATOR_)|mysql-(models|constants|reconciler)/.test(
          content,
        ),
        `${path} names MySQL's own types, constants or files`,
      );
    }
    const schema = parse(files.get("schemas/mariadb.yaml")!) as SchemaDoc;
    assert.equal(schema.group, "db.example.com");
    assert.deepEqual(schema.names, { kind: "MariaDB", listKind: "MariaDBList", plural: "mariadbs", singular: "mariadb" });
    assert.equal(schema.finalizer, "db.example.com/cleanup");
    assert.equal(schema.versions[0]?.name, "v1");
    assert.equal(schema.versions[0]?.schema.openAPIV3Schema.properties.spec.properties.image.default, "mysql:8.4");
    assert.deepEqual([schema.operator.serviceAccount, schema.operator.namespace], ["mariadb-operator", "mariadb-operator-system"]);
    const handler = files.get("src/mariadb-reconciler.ts")!;
    assert.match(handler, /export class MariaDBReconciler extends MariaDBReconcilerBase/);
    assert.match(handler, /from "\.\.\/generated\/mariadb-reconciler-base\.ts"/);
    assert.match(handler, /from "generator-mysqlop\/runtime"/);
    const pkg = JSON.parse(files.get("package.json")!) as PackageDoc;
    assert.equal(pkg.name, "mariadb-operator");
    assert.equal(pkg.dependencies["generator-mysqlop"], `^${OWN.version}`);
    assert.equal(pkg.devDependencies.typescript, OWN.devDependencies.typescript);
    assert.equal(pkg.scripts.generate, "mysqlop generate --schema schemas/mariadb.yaml --runtime-import generator-mysqlop/runtime");
    const sample = files.get("deploy/samples/mariadb.yaml")!;
    assert.match(sample, /^apiVersion: db\.example\.com\/v1\nkind: MariaDB$/m);
    assert.deepEqual(JSON.parse(files.get(".yo-rc.json")!)["generator-mysqlop"], {
      kind: "MariaDB",
      group: "db.example.com",
      plural: "mariadbs",
      apiVersion: "v1",
      image: "mysql:8.4",
      namespaces: "all",
      name: "mariadb-operator",
    });
  });

  test("no options: the MySQL names, the default image, every namespace", async () => {
    const result = await scaffold({});
    const files = await filesUnder(result.cwd);
    assert.ok(files.includes("schemas/mysql.yaml") && files.includes("src/mysql-reconciler.ts"), files.join(", "));
    const schema = parse(await readFile(join(result.cwd, "schemas/mysql.yaml"), "utf8")) as SchemaDoc;
    assert.equal(schema.group, "otus.homework");
    assert.equal(schema.names.kind, "MySQL");
    assert.ok(!files.some((f) => f.startsWith("deploy/namespaced/")), "no namespaced overlay when every namespace is watched");
  });

  test("prompts: every answer not given as an option is asked, defaults following earlier answers", async () => {
    const result = await scaffold({ interactive: true, group: "cache.example.com" }).withAnswers({ kind: "Cache", image: "redis:7" });
    const rc = JSON.parse(await readFile(join(result.cwd, ".yo-rc.json"), "utf8"))["generator-mysqlop"];
    assert.deepEqual(rc, {
      kind: "Cache",
      group: "cache.example.com",
      plural: "caches",
      apiVersion: "v1",
      image: "redis:7",
      namespaces: "all",
      name: "cache-operator",
    });
    assert.ok((await filesUnder(result.cwd)).includes("src/cache-reconciler.ts"));
  });

  test("one watched namespace: the namespaced overlay, and a test under the namespaced RBAC", async () => {
    const result = await scaffold({ kind: "MariaDB", namespaces: "team-a" });
    const overlay = await readFile(join(result.cwd, "deploy/namespaced/kustomization.yaml"), "utf8");
    assert.match(overlay, /value: --namespace=team-a/);
    assert.match(overlay, /- \.\.\/rbac-namespaced\/operator\.yaml/);
    assert.match(await readFile(join(result.cwd, "deploy/namespaced/watched/kustomization.yaml"), "utf8"), /^namespace: team-a$/m);
    const testFile = await readFile(join(result.cwd, "test/operator.test.ts"), "utf8");
    assert.match(testFile, /const NS = "team-a";/);
    assert.match(testFile, /rbac-namespaced\/watched-namespace\/role\.yaml/);
    assert.doesNotMatch(testFile, /deploy\/rbac\.yaml/);
    assert.match(testFile, /namespace: NS, probePort: false/);
    assert.match(await readFile(join(result.cwd, "deploy/samples/mariadb.yaml"), "utf8"), /namespace: team-a/);
  });

  test("a bad option stops the run before anything is written, naming the option and the fix", async () => {
    const context = scaffold({ kind: "MariaDB", group: "localhost" });
    await assert.rejects(context, /group "localhost" must be a DNS subdomain with at least one dot .* such as db\.example\.com/);
    assert.deepEqual(await filesUnder(context.targetDirectory!), []);
  });
});

describe("yo mysqlop again, on a project on disk", () => {
  test("the user's files survive byte for byte; the toolkit's are refreshed; package.json keeps the user's entries", async () => {
    const dir = await mkdtemp(join(tmpdir(), "yo-mysqlop-rerun-"));
    try {
      await scaffold({ kind: "MariaDB", group: "db.example.com" }, dir);
      const handler = join(dir, "src/mariadb-reconciler.ts");
      const edited = `${await readFile(handler, "utf8")}\n// A hand-written change, with a trailing space \n`;
      await writeFile(handler, edited);
      const schema = join(dir, "schemas/mariadb.yaml");
      const schemaEdited = (await readFile(schema, "utf8")).replace("replicas: 2", "replicas: 3");
      await writeFile(schema, schemaEdited);
      await writeFile(join(dir, "README.md"), "# my notes\n");
      await writeFile(join(dir, "tsconfig.json"), "{}\n");
      const pkgPath = join(dir, "package.json");
      const pkg = JSON.parse(await readFile(pkgPath, "utf8")) as PackageDoc;
      pkg.scripts.lint = "eslint .";
      pkg.scripts.generate = "echo stale";
      pkg.dependencies["left-pad"] = "1.3.0";
      pkg.dependencies["generator-mysqlop"] = "^0.0.1";
      await writeFile(pkgPath, JSON.stringify(pkg, null, 2));

      // The same command again, in the same folder (yeoman-test forces the conflicter's "overwrite").
      await scaffold({}, dir);

      assert.equal(await readFile(handler, "utf8"), edited, "the handler is byte for byte the user's");
      assert.equal(await readFile(schema, "utf8"), schemaEdited, "the schema edit is kept");
      assert.equal(await readFile(join(dir, "README.md"), "utf8"), "# my notes\n");
      assert.notEqual(await readFile(join(dir, "tsconfig.json"), "utf8"), "{}\n", "tsconfig.json is the toolkit's again");
      const after = JSON.parse(await readFile(pkgPath, "utf8")) as PackageDoc;
      assert.equal(after.scripts.lint, "eslint .", "the user's script is kept");
      assert.equal(after.dependencies["left-pad"], "1.3.0", "the user's dependency is kept");
      assert.match(after.scripts.generate ?? "", /^mysqlop generate --schema schemas\/mariadb\.yaml/, "the toolkit's script is the toolkit's again");
      assert.equal(after.dependencies["generator-mysqlop"], `^${OWN.version}`, "the toolkit's version follows the generator's");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a toolkit tarball (--toolkit) is copied into vendor/ and depended on there, and the Dockerfile copies it: the image's npm ci finds it", async () => {
    // Found by a review: package.json named the tarball's path on this machine, which the image's build (and a fresh
    // clone) cannot reach, so the README's docker build failed in npm ci.
    const dir = await mkdtemp(join(tmpdir(), "yo-mysqlop-vendor-"));
    const elsewhere = await mkdtemp(join(tmpdir(), "yo-mysqlop-tarball-"));
    try {
      const tarball = join(elsewhere, "generator-mysqlop-9.9.9.tgz");
      await writeFile(tarball, "not really a tarball, copied byte for byte\n");
      await scaffold({ kind: "MariaDB", toolkit: `file:${tarball}` }, dir);
      const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as PackageDoc;
      assert.equal(pkg.dependencies["generator-mysqlop"], "file:vendor/generator-mysqlop-9.9.9.tgz");
      assert.equal(await readFile(join(dir, "vendor/generator-mysqlop-9.9.9.tgz"), "utf8"), "not really a tarball, copied byte for byte\n");
      const dockerfile = await readFile(join(dir, "Dockerfile"), "utf8");
      assert.match(dockerfile, /^COPY package\.json package-lock\.json \.\/\n(#.*\n)?COPY vendor\/ vendor\/\nRUN npm ci/m);

      // Run again without --toolkit, the Dockerfile gone: made again, it copies vendor/, which package.json still names.
      await rm(join(dir, "Dockerfile"));
      await scaffold({}, dir);
      assert.match(await readFile(join(dir, "Dockerfile"), "utf8"), /^COPY vendor\/ vendor\/$/m);
      // Without --toolkit the dependency is a version range and the Dockerfile copies no vendor/.
      const plain = await scaffold({ kind: "MariaDB" });
      assert.doesNotMatch(await readFile(join(plain.cwd, "Dockerfile"), "utf8"), /vendor/);
      await assert.rejects(scaffold({ kind: "Postgres", toolkit: join(elsewhere, "absent.tgz") }), /--toolkit .*absent\.tgz: no such file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  test("another kind in a scaffolded project is refused and nothing changes", async () => {
    const dir = await mkdtemp(join(tmpdir(), "yo-mysqlop-rerun-"));
    try {
      await scaffold({ kind: "MariaDB" }, dir);
      const before = await contentsUnder(dir);
      await assert.rejects(
        scaffold({ kind: "Postgres" }, dir),
        /this project was scaffolded for kind MariaDB \(\.yo-rc\.json\), not Postgres; nothing was written/,
      );
      assert.deepEqual(await contentsUnder(dir), before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
