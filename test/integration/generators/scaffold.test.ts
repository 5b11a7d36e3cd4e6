/**
 * `npm i -g yo generator-mysqlop && yo mysqlop`, end to end: this package packed (`npm pack`), installed
 * globally beside the real `yo` into a prefix of the test's own, and `yo mysqlop` run as an unprivileged
 * user (yo refuses root) into an empty folder, non-interactively. The generator installs the project
 * (from the tarball, and from a copy of the npm cache this repository's install filled, so no network
 * is needed) and runs `npm run generate`; then the project's own `npm test` runs: the drift check, the
 * type check, and its operator on a real control plane. Once with the default names (MySQL in
 * otus.homework), once with kind MariaDB in db.example.com, where nothing of otus.homework may be left.
 * Then `yo mysqlop:field` adds a hooked field, and the type check names the hook to write.
 *
 * It prints the time from `yo mysqlop` to a project whose tests pass.
 */
import assert from "node:assert/strict";
import { execFile, type ExecFileOptions } from "node:child_process";
import { chmod, chown, cp, mkdir, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { packRepository } from "../../helpers/pack.ts";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const pkg = JSON.parse(await readFile(join(repo, "package.json"), "utf8")) as { name: string; version: string; devDependencies: Record<string, string> };
/** yo refuses to run as root: as root, the test runs it as `nobody`; as anyone else, as that user. */
const runsAsRoot = process.getuid?.() === 0;
const NOBODY = { uid: 65534, gid: 65534 };

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], options: ExecFileOptions & { input?: string }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 600_000, maxBuffer: 64 << 20, ...options }, (error, stdout, stderr) => {
      const code = error === null ? 0 : (error as { code?: unknown }).code;
      if (typeof code !== "number") reject(new Error(`${command} ${args.join(" ")} did not run: ${String(error)}\n${String(stdout)}\n${String(stderr)}`));
      else resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

function ok(ran: Ran, what: string): Ran {
  assert.equal(ran.code, 0, `${what} exited ${ran.code}\n--- stdout\n${ran.stdout.slice(-6000)}\n--- stderr\n${ran.stderr.slice(-6000)}`);
  return ran;
}

async function filesUnder(root: string, skip: (path: string) => boolean): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .filter((path) => !skip(path))
    .sort();
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await chown(path, uid, gid);
  for (const entry of await readdir(path, { recursive: true, withFileTypes: true })) {
    if (!entry.isSymbolicLink()) await chown(join(entry.parentPath, entry.name), uid, gid);
  }
}

describe("yo mysqlop end to end: the real yo, an unprivileged user, the packed tarball, the project's own tests", { timeout: 2_400_000 }, () => {
  let work: string;
  let tarball: string;
  let prefix: string;
  let home: string;
  /** The environment of everything the user runs: the test's Node first, the global prefix, offline-first npm. */
  let userEnv: NodeJS.ProcessEnv;
  /** This process's environment with the test's Node first on PATH. */
  let rootEnv: NodeJS.ProcessEnv;
  const timings: string[] = [];

  /** Runs a command as the unprivileged user (setpriv drops root's uid, gid and groups). */
  function asUser(command: string, args: string[], cwd: string): Promise<Ran> {
    if (!runsAsRoot) return run(command, args, { cwd, env: userEnv });
    return run("setpriv", [`--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, "--clear-groups", "--", command, ...args], { cwd, env: userEnv });
  }

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "yo-mysqlop-e2e-"));
    await chmod(work, 0o755);
    const nodeBin = dirname(process.execPath);
    rootEnv = { ...process.env, PATH: `${nodeBin}${delimiter}${process.env.PATH ?? ""}`, npm_config_update_notifier: "false" };
    // `prepack` builds dist/ and the compiled generators first.
    tarball = (await packRepository(work, rootEnv)).tarball;
    // npm i -g yo generator-mysqlop, into a prefix of the test's own, from the npm cache.
    prefix = join(work, "global");
    ok(
      await run("npm", ["install", "-g", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", `yo@${pkg.devDependencies["yo"]}`, tarball], {
        cwd: work,
        env: rootEnv,
      }),
      "npm install -g yo generator-mysqlop",
    );
    // The user's home, with a copy of the npm cache the repository's install filled (npm writes to its cache).
    home = join(work, "home");
    await mkdir(home);
    const cache = ok(await run("npm", ["config", "get", "cache"], { cwd: repo, env: rootEnv }), "npm config get cache").stdout.trim();
    if ((await stat(cache).catch(() => undefined)) !== undefined) await cp(cache, join(home, ".npm"), { recursive: true });
    // This Node, where the user can run it (root's home, where .ci/setup installs it, is closed to others).
    const userNodeBin = join(work, "node", "bin");
    await mkdir(userNodeBin, { recursive: true });
    await cp(process.execPath, join(userNodeBin, "node"));
    if (runsAsRoot) await chownTree(work, NOBODY.uid, NOBODY.gid);
    userEnv = {
      PATH: `${userNodeBin}${delimiter}${join(prefix, "bin")}${delimiter}/usr/local/bin${delimiter}/usr/bin${delimiter}/bin`,
      HOME: home,
      // Where yo looks for generators, as after `npm i -g` with this prefix.
      npm_config_prefix: prefix,
      NODE_PATH: join(prefix, "lib", "node_modules"),
      npm_config_cache: join(home, ".npm"),
      npm_config_prefer_offline: "true",
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_update_notifier: "false",
      NO_UPDATE_NOTIFIER: "1",
      CI: "true",
      // The machine's TLS trust and proxy, as the user's shell has them: npm goes to the registry for what the cache
      // lacks (on a fresh machine, the package documents `npm ci` did not need), through a proxy with its own CA.
      ...Object.fromEntries(
        ["NODE_EXTRA_CA_CERTS", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "npm_config_registry"].flatMap((name) =>
          process.env[name] === undefined ? [] : [[name, process.env[name]]],
        ),
      ),
    };
  });

  after(async () => {
    if (timings.length > 0) console.log(`# yo mysqlop → passing tests:\n${timings.map((t) => `#   ${t}`).join("\n")}`);
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  /**
   * `yo mysqlop ARGS` as the user in an empty folder, then the project's `npm test` as this process's user (the
   * control-plane binaries are in its cache); returns the project folder.
   */
  async function scaffoldAndTest(folder: string, args: string[]): Promise<string> {
    const project = join(work, folder);
    await mkdir(project);
    if (runsAsRoot) await chown(project, NOBODY.uid, NOBODY.gid);
    const started = performance.now();
    const yo = ok(await asUser(join(prefix, "bin", "yo"), ["mysqlop", ...args, `--toolkit=file:${tarball}`], project), `yo mysqlop ${args.join(" ")}`);
    assert.match(yo.stdout + yo.stderr, /mysqlop generate: wrote /, "the generator ran npm run generate");
    const scaffolded = performance.now();
    if (runsAsRoot) await chownTree(project, 0, 0);
    // Without NODE_TEST_CONTEXT: the project's test runner would take itself for a child of this one and report to it.
    // Without FORCE_COLOR (this runner sets it for its children when its output is a terminal): its summary is read.
    const { NODE_TEST_CONTEXT: _child, FORCE_COLOR: _color, ...env } = process.env;
    const tested = ok(
      await run("npm", ["test"], { cwd: project, env: { ...env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}` } }),
      "npm test in the project",
    );
    assert.match(tested.stdout, /files up to date/, "the drift check ran");
    assert.match(tested.stdout, /^ℹ pass [1-9]/m, "the project's tests ran");
    assert.match(tested.stdout, /^ℹ fail 0$/m);
    const seconds = (ms: number): string => (ms / 1000).toFixed(1);
    const done = performance.now();
    timings.push(
      `${folder}: ${seconds(done - started)} s (yo mysqlop with npm install and npm run generate ${seconds(scaffolded - started)} s, npm test ${seconds(done - scaffolded)} s)`,
    );
    return project;
  }

  test("default names: MySQL in otus.homework, its own tests pass on a real control plane; yo mysqlop:field then names the new hook", async () => {
    const project = await scaffoldAndTest("mysql-operator", []);
    const crd = await readFile(join(project, "deploy/crd.yaml"), "utf8");
    assert.match(crd, /^ {2}name: mysqls\.otus\.homework$/m);
    // The generated code and the project's scripts reach the toolkit in node_modules, through its package entry points.
    assert.match(await readFile(join(project, "generated/mysql-reconciler-base.ts"), "utf8"), /from "generator-mysqlop\/runtime\/index"/);
    const binDir = ok(await run("npm", ["run", "--silent", "envtest:build", "--", "--print-bin-dir"], { cwd: project, env: rootEnv }), "npm run envtest:build");
    assert.match(binDir.stdout.trim(), /\/k8s\/[^/]+\/bin$/);

    if (runsAsRoot) await chownTree(project, NOBODY.uid, NOBODY.gid);
    const field = ok(
      await asUser(
        join(prefix, "bin", "yo"),
        ["mysqlop:field", "--name", "replicas", "--type", "integer", "--description", "Servers to run.", "--force"],
        project,
      ),
      "yo mysqlop:field",
    );
    assert.match(field.stdout + field.stderr, /implement it in your reconciler/);
    const typecheck = await asUser("npm", ["run", "typecheck"], project);
    assert.notEqual(typecheck.code, 0, "the handler no longer compiles");
    assert.match(
      typecheck.stdout + typecheck.stderr,
      /src\/mysql-reconciler\.ts.*Non-abstract class 'MySQLReconciler' does not implement inherited abstract member '?onReplicasChange\b/,
    );
  });

  test("kind MariaDB in db.example.com: CRD, RBAC, models and handlers carry the new names, nothing of otus.homework", async () => {
    const project = await scaffoldAndTest("mariadb-operator", ["--kind", "MariaDB", "--group", "db.example.com"]);
    const files = await filesUnder(project, (path) => path.startsWith("node_modules/") || path === "package-lock.json");
    for (const want of [
      "schemas/mariadb.yaml",
      "src/mariadb-reconciler.ts",
      "generated/mariadb-models.ts",
      "generated/mariadb-reconciler-base.ts",
      "deploy/crd.yaml",
      "deploy/rbac.yaml",
    ]) {
      assert.ok(files.includes(want), `${want} in ${files.join(", ")}`);
    }
    for (const path of files) {
      const text = await readFile(join(project, path), "utf8");
      assert.ok(!text.includes("otus.homework"), `${path} names otus.homework`);
      assert.ok(!/\bmysqls\b|MySQL(Reconciler|Spec|Status)|MYSQL_(GROUP|KIND|PLURAL|RESOURCE_TYPE)/.test(text), `${path} names MySQL's resource`);
    }
    assert.match(await readFile(join(project, "deploy/crd.yaml"), "utf8"), /^ {2}name: mariadbs\.db\.example\.com$/m);
    const rbac = await readFile(join(project, "deploy/rbac.yaml"), "utf8");
    assert.match(rbac, /- db\.example\.com\n\s+resources:\n\s+- mariadbs\n/);
    assert.match(rbac, /name: mariadb-operator\n\s+namespace: mariadb-operator-system/);
    assert.match(await readFile(join(project, "generated/mariadb-models.ts"), "utf8"), /export interface MariaDB \{/);
    assert.match(await readFile(join(project, "src/mariadb-reconciler.ts"), "utf8"), /export class MariaDBReconciler extends MariaDBReconcilerBase/);
  });
});
