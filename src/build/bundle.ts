/**
 * `npm run bundle`: the operator as one tree-shaken ES module for the container image,
 * `dist/operator/mysqlop.mjs`, with the backup/restore scripts beside it (the operator reads them
 * from next to its own file). Importing client-node's root costs ~140 MB RSS because its
 * KubeConfig pulls in the whole generated API; bundled, only what the operator calls remains.
 */
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

/** The repository root. */
const root = fileURLToPath(new URL("../../", import.meta.url));
/** Where the bundle and its files go: what the Dockerfile copies into the image. */
export const BUNDLE_DIR = join(root, "dist", "operator");
/** The bundle's file name. */
export const BUNDLE_FILE = "mysqlop.mjs";

/**
 * The bundle's text with every non-ASCII character written as a `\uXXXX` escape (astral ones as their surrogate pair).
 * Node keeps a module's source in memory as long as the module lives; one non-ASCII character (esbuild leaves those of
 * regular expression literals as they are) makes V8 hold the whole 2.6 MB source as a two-byte string, twice the size.
 * The escape means the same character in string, template and regular expression literals, identifiers and comments.
 */
export function escapeNonAscii(text: string): string {
  return text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** CommonJS dependencies (and {@link requireBuiltins}) call require(); an ES module has none of its own. */
export const REQUIRE_BANNER = 'import { createRequire as mysqlopCreateRequire } from "node:module";\nconst require = mysqlopCreateRequire(import.meta.url);';

const builtins = new Set(builtinModules);

/**
 * Node's built-in modules through `require`, not `import`. An ES import of a built-in makes Node build its module
 * namespace, which reads every export, lazy ones included: `import * as http from "http"` (agent-base, under
 * client-node's proxy support) reads `http.WebSocket` and so loads Node's own undici, ~12 MB resident for nothing.
 * `require` returns the module object and leaves its lazy exports alone.
 */
export const requireBuiltins: Plugin = {
  name: "require-builtins",
  setup(plugin) {
    plugin.onResolve({ filter: /^(node:)?[a-z_]+(\/[a-z_]+)?$/ }, (args) => {
      const name = args.path.replace(/^node:/, "");
      if (args.namespace === "builtin" || !builtins.has(name)) return undefined;
      return { path: name, namespace: "builtin" };
    });
    plugin.onLoad({ filter: /.*/, namespace: "builtin" }, (args) => ({ contents: `module.exports = require("node:${args.path}");`, loader: "js" }));
  },
};

/**
 * client-node through the few modules the operator uses instead of its package root. The root, and the generated
 * index its kubeconfig module imports, re-export every generated API and model class; the package declares no
 * `sideEffects: false`, so esbuild keeps all of them (760 files, half the bundle) and Node builds them at start.
 * Only the runtime's and the handlers' imports of the root are redirected: other modules of the import graph (the
 * test harness, which tree shaking leaves out of the bundle) name more of it.
 * Bundle 1.67 → 0.89 MB; `mysqlop.mjs --help` under the image's node flags: max RSS 55.0 → 49.7 MB.
 */
export const clientNodeModules: Plugin = {
  name: "client-node-modules",
  setup(plugin) {
    plugin.onResolve({ filter: /^@kubernetes\/client-node$/ }, (args) =>
      /[\\/]src[\\/](runtime|mysql)[\\/]/.test(args.importer) ? { path: join(root, "src/build/client-node-operator.ts") } : undefined,
    );
    plugin.onResolve({ filter: /^\.\/gen\/index\.js$/ }, (args) =>
      /[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]config\.js$/.test(args.importer)
        ? { path: join(root, "src/build/client-node-configuration.ts") }
        : undefined,
    );
  },
};

/** Builds the bundle; returns its path and size in bytes. */
export async function bundleOperator(): Promise<{ file: string; bytes: number; scripts: string[] }> {
  const { version } = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { version: string };
  await rm(BUNDLE_DIR, { recursive: true, force: true });
  await mkdir(BUNDLE_DIR, { recursive: true });
  const file = join(BUNDLE_DIR, BUNDLE_FILE);
  await build({
    entryPoints: [join(root, "src/cli/operator-main.ts")],
    outfile: file,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    banner: { js: REQUIRE_BANNER },
    define: { MYSQLOP_BUNDLED_VERSION: JSON.stringify(version) },
    // client-node imports undici only for a request stack the operator does not use (see no-undici.ts).
    alias: { undici: join(root, "src/build/no-undici.ts") },
    plugins: [clientNodeModules, requireBuiltins],
    legalComments: "none",
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: "warning",
  });
  await writeFile(file, escapeNonAscii(await readFile(file, "utf8")));
  const scriptsDir = join(root, "src/mysql/scripts");
  const scripts = (await readdir(scriptsDir)).filter((f) => f.endsWith(".sh")).sort();
  for (const script of scripts) await copyFile(join(scriptsDir, script), join(BUNDLE_DIR, script));
  return { file, bytes: (await stat(file)).size, scripts };
}

if (import.meta.main) {
  const { file, bytes, scripts } = await bundleOperator();
  console.log(`bundle: ${relative(root, file)} ${(bytes / 1024).toFixed(0)} KiB, with ${scripts.join(", ")}`);
}
