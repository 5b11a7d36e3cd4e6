/**
 * json-schema-to-typescript, loaded without prettier. Its entry point requires `prettier` for its `format` option, which
 * the generator leaves off (it formats with prettier's standalone build, format.ts); and prettier's CommonJS entry
 * imports the whole of prettier as it loads (its 680 KB `index.mjs` and its doc printer), in every run that emits the
 * models. While json-schema-to-typescript loads, the require cache holds a stand-in for that one file, whose functions
 * import the real prettier if ever called; the entry is taken out again once it has loaded, so any other module that
 * requires prettier gets the real one.
 */
import { createRequire, Module } from "node:module";

const fromHere = createRequire(import.meta.url);
const fromLibrary = createRequire(fromHere.resolve("json-schema-to-typescript"));
const prettierEntry = fromLibrary.resolve("prettier");

/** The stand-in: prettier's asynchronous API (all the library calls), each importing the real prettier when called. */
function prettierStandIn(): Module {
  const standIn = new Module(prettierEntry);
  const real = (): Promise<Record<string, (...args: unknown[]) => unknown>> => import("prettier") as never;
  const api = ["format", "formatWithCursor", "check", "resolveConfig", "resolveConfigFile", "clearConfigCache", "getFileInfo", "getSupportInfo"];
  standIn.exports = Object.fromEntries(api.map((name) => [name, async (...args: unknown[]) => (await real())[name]?.(...args)]));
  standIn.loaded = true;
  return standIn;
}

const loadedAlready = fromLibrary.cache[prettierEntry] !== undefined;
if (!loadedAlready) fromLibrary.cache[prettierEntry] = prettierStandIn();
let library: typeof import("json-schema-to-typescript");
try {
  library = await import("json-schema-to-typescript");
} finally {
  if (!loadedAlready) delete fromLibrary.cache[prettierEntry];
}

export const { compile } = library;
