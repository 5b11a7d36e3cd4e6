/**
 * `yo mysqlop`: scaffolds an operator project of the same shape as mysqlop itself — a schema under
 * `schemas/`, hand-written handlers under `src/` on mysqlop's runtime, a test on the envtest harness,
 * a sample resource, CI — then installs it and runs `npm run generate`.
 *
 * Who owns what decides what a second run does: files the toolkit owns (package.json's scripts and
 * toolkit versions, tsconfig.json, .ci/run) are written again, through Yeoman's conflict handling;
 * files the user owns (the schema, src/, test/, the sample, README.md, .gitignore, Dockerfile) are
 * written only when absent. `generated/` and the generated `deploy/` files are `npm run generate`'s.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import Generator, { type BaseOptions } from "yeoman-generator";
import { answerProblems, IMAGE_PATTERN, QUESTIONS, scaffoldNames, withDefaults, type ScaffoldAnswers, type ScaffoldNames } from "./names.ts";

/** The parts of generator-mysqlop's own package.json the scaffold takes its versions from. */
interface OwnPackage {
  readonly name: string;
  readonly version: string;
  readonly engines: { readonly node: string };
  readonly dependencies: Readonly<Record<string, string>>;
  readonly devDependencies: Readonly<Record<string, string>>;
}

const OWN_PACKAGE = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as OwnPackage;

/** Files the user owns: written once, when absent, never again (template path → project path). */
function userFiles(names: ScaffoldNames): [string, string][] {
  const files: [string, string][] = [
    ["schemas/schema.yaml", names.files.schema],
    ["src/reconciler.ts", names.files.reconciler],
    ["src/children.ts", "src/children.ts"],
    ["src/operator.ts", "src/operator.ts"],
    ["src/main.ts", "src/main.ts"],
    ["test/operator.test.ts", "test/operator.test.ts"],
    ["deploy/samples/sample.yaml", names.files.sample],
    ["README.md", "README.md"],
    ["gitignore", ".gitignore"],
    ["Dockerfile", "Dockerfile"],
  ];
  if (names.watchNamespaces !== undefined) {
    files.push(["deploy/namespaced/kustomization.yaml", "deploy/namespaced/kustomization.yaml"]);
    files.push(["deploy/namespaced/watched/kustomization.yaml", "deploy/namespaced/watched/kustomization.yaml"]);
  }
  return files;
}

/** Where a toolkit tarball given with `--toolkit` is kept in the project (see `#vendoredToolkit`). */
const VENDOR_DIR = "vendor";

/** Files the toolkit owns: written on every run, Yeoman's conflicter asking before it replaces a changed one. */
const TOOLKIT_FILES: readonly [string, string][] = [
  ["tsconfig.json", "tsconfig.json"],
  [".ci/run", ".ci/run"],
];

/** The command-line options: one per question (by option name), and the generator's own. */
type MysqlopOptions = BaseOptions & {
  readonly [option: string]: unknown;
  readonly defaults?: boolean;
  readonly interactive?: boolean;
  readonly toolkit?: string;
};

/** `yo mysqlop` (see the module comment). */
export default class MysqlopGenerator extends Generator<Record<string, unknown>, MysqlopOptions> {
  #names: ScaffoldNames | undefined;

  constructor(args: string[], options: MysqlopOptions) {
    super(args, options);
    this.description = "Scaffolds a schema-first Kubernetes operator project on mysqlop's runtime";
    for (const question of QUESTIONS) this.option(question.option, { type: String, description: question.message });
    this.option("defaults", {
      type: Boolean,
      description: "Ask nothing: take the default of every answer not given as an option (also the case when stdin is not a terminal)",
    });
    this.option("interactive", { type: Boolean, description: "Ask for every answer not given as an option, even when stdin is not a terminal", hide: true });
    this.option("toolkit", {
      type: String,
      description: `Where the project installs generator-mysqlop from: a version range (default ^${OWN_PACKAGE.version}), a tarball or a folder`,
    });
  }

  /** npm installs the project: a new folder has no lock file to detect a package manager from, and the scaffold's scripts and CI use npm. */
  initializing(): void {
    const env = this.env as { options?: Record<string, unknown> };
    if (env.options !== undefined) env.options["nodePackageManager"] ??= "npm";
  }

  /** Answers: options first, then earlier answers (.yo-rc.json), then prompts or defaults; every one checked. */
  async prompting(): Promise<void> {
    const stored = this.config.getAll() as Partial<ScaffoldAnswers>;
    const given: Partial<Record<keyof ScaffoldAnswers, string>> = {};
    for (const question of QUESTIONS) {
      const value = this.options[question.option] ?? this.options[camelCase(question.option)];
      if (value !== undefined && value !== true) given[question.name] = String(value);
    }
    const interactive = this.options.defaults !== true && (this.options.interactive === true || process.stdin.isTTY === true);
    let answers: ScaffoldAnswers;
    if (interactive) {
      const asked: Partial<Record<keyof ScaffoldAnswers, string>> = { ...given };
      for (const question of QUESTIONS) {
        if (asked[question.name] !== undefined) continue;
        const reply = await this.prompt<Record<string, string>>([
          {
            type: "input",
            name: question.name,
            message: question.message,
            default: stored[question.name] ?? question.defaultFor(asked),
            validate: (input: string) => question.problem(input) ?? true,
          },
        ]);
        asked[question.name] = reply[question.name];
      }
      answers = withDefaults(asked);
    } else {
      answers = withDefaults({ ...stored, ...given });
    }
    const problems = answerProblems(answers);
    if (problems.length > 0) throw new Error(`yo mysqlop: ${problems.join("\n")}`);
    if (stored.kind !== undefined && stored.kind !== answers.kind) {
      throw new Error(
        `yo mysqlop: this project was scaffolded for kind ${stored.kind} (.yo-rc.json), not ${answers.kind}; nothing was written. Run it in an empty folder for a new project.`,
      );
    }
    this.config.set({ ...answers });
    this.#names = scaffoldNames(answers);
  }

  /** The toolkit's files again, the user's only where absent, and package.json merged. */
  writing(): void {
    const names = this.#requireNames();
    const toolkit = typeof this.options.toolkit === "string" ? this.#vendoredToolkit(this.options.toolkit) : undefined;
    const installed = (this.fs.readJSON(this.destinationPath("package.json")) as { dependencies?: Record<string, string> } | undefined)?.dependencies?.[
      OWN_PACKAGE.name
    ];
    // From this run's --toolkit, else from package.json (a run again keeps a vendored toolkit).
    const vendored = (toolkit ?? installed)?.startsWith(`file:${VENDOR_DIR}/`) === true;
    const data = {
      ...names,
      vendored,
      imagePattern: IMAGE_PATTERN,
      sampleNamespace: names.watchNamespaces?.[0] ?? "default",
      nodeMajor: "24",
    };
    for (const [template, target] of TOOLKIT_FILES) this.renderTemplate(template, target, data);
    for (const [template, target] of userFiles(names)) {
      if (this.existsDestination(target)) {
        this.log.info(`keeping ${target} (yours)`);
        // Any COPY that names vendor, or copies the whole context, will do.
        if (target === "Dockerfile" && vendored && !/^\s*COPY\b.*\bvendor\b|^\s*COPY\s+(--\S+\s+)*\.\/?\s/im.test(this.readDestination(target)))
          this.log.error(
            `Dockerfile (yours, kept) does not copy ${VENDOR_DIR}/, where package.json now takes generator-mysqlop from: add "COPY ${VENDOR_DIR}/ ${VENDOR_DIR}/" after "COPY package.json package-lock.json ./", or the image's npm ci fails`,
          );
        continue;
      }
      this.renderTemplate(template, target, data);
    }
    this.#writePackageJson(names, toolkit);
  }

  /** After the environment's `npm install`: generate the models, CRD, RBAC and skeleton from the schema. */
  async end(): Promise<void> {
    const names = this.#requireNames();
    if (this.options.skipInstall === true) {
      this.log.info(`Next: npm install && npm run generate && npm test   (the schema: ${names.files.schema})`);
      return;
    }
    await this.spawn("npm", ["run", "generate"], { cwd: this.destinationRoot(), stdio: "inherit" });
    this.log.info(`Ready: npm test runs the operator on a real control plane; the schema is ${names.files.schema}, the handlers ${names.files.reconciler}.`);
  }

  /** Toolkit-owned entries replaced, the user's own entries (other scripts, dependencies, name) kept. */
  #writePackageJson(names: ScaffoldNames, given: string | undefined): void {
    const path = this.destinationPath("package.json");
    const existing = this.fs.readJSON(path) as Record<string, unknown> | undefined;
    const own = OWN_PACKAGE;
    // A tarball or folder given once (`--toolkit`) stays; a version range follows this generator's version.
    const installed = (existing?.dependencies as Record<string, string> | undefined)?.[own.name];
    const pinnedElsewhere = installed !== undefined && (installed.startsWith("file:") || installed.includes("/"));
    const toolkit = given ?? (pinnedElsewhere ? installed : `^${own.version}`);
    this.fs.extendJSON(path, {
      ...(existing?.name === undefined ? { name: names.name, version: "0.1.0", private: true } : {}),
      description: existing?.description ?? `Kubernetes operator for ${names.kind} resources (${names.plural}.${names.group})`,
      type: "module",
      engines: { node: own.engines.node },
      scripts: {
        generate: `mysqlop generate --schema ${names.files.schema} --runtime-import ${own.name}/runtime`,
        typecheck: "tsc --noEmit -p tsconfig.json",
        test: 'npm run generate -- --check && npm run typecheck && node --test --test-reporter=spec "test/**/*.test.ts"',
        start: "node src/main.ts run",
        "envtest:build": `bash node_modules/${own.name}/dist/src/envtest/build-binaries.sh`,
      },
      dependencies: {
        [own.name]: toolkit,
        "@kubernetes/client-node": own.dependencies["@kubernetes/client-node"],
      },
      devDependencies: {
        typescript: own.devDependencies["typescript"],
        "@types/node": own.devDependencies["@types/node"],
        ...(names.watchNamespaces === undefined ? {} : { yaml: own.dependencies["yaml"] }),
      },
    });
  }

  /**
   * A toolkit given as a tarball is copied into the project (`vendor/`), and the project depends on that copy: the
   * image's `npm ci` (the Dockerfile copies `vendor/` with package.json and the lock file) and a fresh clone find it, as
   * they would not find a path on this machine. A version range or a folder is used as given.
   */
  #vendoredToolkit(spec: string): string {
    const path = spec.startsWith("file:") ? spec.slice("file:".length) : spec;
    if (!/\.(tgz|tar\.gz)$/.test(path)) return spec;
    const name = basename(path);
    // As npm would: a relative path is the project's.
    const source = resolve(this.destinationRoot(), path);
    if (!existsSync(source)) throw new Error(`yo mysqlop: --toolkit ${spec}: no such file (${source}); nothing was written`);
    this.fs.copy(source, this.destinationPath(VENDOR_DIR, name));
    return `file:${VENDOR_DIR}/${name}`;
  }

  #requireNames(): ScaffoldNames {
    if (this.#names === undefined) throw new Error("yo mysqlop: no answers (the prompting step did not run)");
    return this.#names;
  }
}

/** `api-version` → `apiVersion`: how Yeoman may also present a dashed option. */
function camelCase(option: string): string {
  return option.replaceAll(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
