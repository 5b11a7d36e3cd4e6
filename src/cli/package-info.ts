/**
 * Facts about the installed mysqlop package: where its root is (its `deploy/` and `schemas/` sit
 * there, whether this code runs from the TypeScript sources, from `dist/` or from an installed
 * tarball), its version and the user agent its API requests carry.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Set by the bundler (`npm run bundle`), where no package.json travels with the code. */
declare const MYSQLOP_BUNDLED_VERSION: string | undefined;

/** The nearest folder above this module holding a package.json: the package's root. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

let cachedVersion: string | undefined;

/** The package's version, e.g. `0.1.0`. */
export function mysqlopVersion(): string {
  if (typeof MYSQLOP_BUNDLED_VERSION === "string") return MYSQLOP_BUNDLED_VERSION;
  cachedVersion ??= (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;
  return cachedVersion;
}

/** `mysqlop/VERSION`: what the API server's managedFields, audit log and metrics show for the operator's requests. */
export function mysqlopUserAgent(): string {
  return `mysqlop/${mysqlopVersion()}`;
}

/** How a person runs this same CLI again: `npm run mysqlop --` in a checkout (TypeScript sources), else `mysqlop`. */
export function mysqlopCommand(): string {
  return (process.argv[1] ?? "").endsWith(".ts") ? "npm run mysqlop --" : "mysqlop";
}
