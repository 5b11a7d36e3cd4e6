// Plain JavaScript on purpose: Node keeps V8's compiled code, and the type-stripped text of TypeScript modules, on
// disk for the next run, but only for modules loaded after the cache is on. Preloaded (`node --import`, as the npm
// scripts do) or imported first by the compiled CLI, this file turns it on before any TypeScript is stripped: a
// command loads prettier, the schema tools or the Kubernetes client, and compiling them again, or initialising the
// type stripper, is a large part of a short command such as `generate`.
import * as nodeModule from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where the cache lives: `NODE_COMPILE_CACHE` when set, else `compile-cache` in mysqlop's cache folder
 * (`$MYSQLOP_CACHE`, default `~/.cache/mysqlop`). Node keeps one subfolder per Node version and architecture in it,
 * so versions never read each other's code. `NODE_DISABLE_COMPILE_CACHE=1` turns the cache off.
 * @returns {string}
 */
export function compileCacheDir() {
  return process.env.NODE_COMPILE_CACHE ?? join(process.env.MYSQLOP_CACHE ?? join(homedir(), ".cache", "mysqlop"), "compile-cache");
}

try {
  // A folder that cannot be made or written (a read-only home) leaves the cache off: Node reports it, not throws.
  nodeModule.enableCompileCache?.(compileCacheDir());
} catch {
  // An old Node without the API, or one that throws for an odd path: run without the cache.
}
