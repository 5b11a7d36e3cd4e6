/** The operator bundle's text: ASCII only, meaning the same program. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, type Plugin } from "esbuild";
import { clientNodeModules, escapeNonAscii, REQUIRE_BANNER, requireBuiltins } from "../../src/build/bundle.ts";

test("escapeNonAscii: ASCII out, and every literal still means the same", () => {
  const table: [string, string][] = [
    ["const a = 1;", "const a = 1;"],
    ["const re = /(ns|us|µs|ms)/;", "const re = /(ns|us|\\u00b5s|ms)/;"],
    ['const s = "a→b";', 'const s = "a\\u2192b";'],
    ["const t = `😀`;", "const t = `\\ud83d\\ude00`;"],
  ];
  for (const [given, want] of table) {
    const escaped = escapeNonAscii(given);
    assert.equal(escaped, want);
    assert.doesNotMatch(escaped, /[\u0080-\uffff]/, "ASCII only");
    // What each declaration holds: the string, or what the regular expression finds in a sample.
    const value = (source: string): unknown => {
      const held = new Function(`${source}; return ${source.split(" ")[1]};`)() as unknown;
      return held instanceof RegExp ? held.exec("took 5µs")?.[0] : held;
    };
    assert.equal(value(escaped), value(given), "the same value");
  }
  const re = new Function(`return ${escapeNonAscii("/^(\\d+)(µs|ms)$/u")};`)() as RegExp;
  assert.deepEqual(re.exec("5µs")?.slice(1), ["5", "µs"], "a regular expression still matches the character");
});

test("requireBuiltins: built-ins come through require, so Node's lazy exports (http.WebSocket loads Node's own undici) stay unloaded", async () => {
  const dir = await mkdtemp(join(tmpdir(), "mysqlop-bundle-"));
  try {
    const entry = join(dir, "entry.mjs");
    await writeFile(
      entry,
      [
        'import * as http from "node:http";',
        'import { request } from "https";',
        'import { readFile } from "fs/promises";',
        'console.log(typeof http.request, typeof request, typeof readFile, process.moduleLoadList.some((m) => m.includes("undici")));',
      ].join("\n"),
    );
    const run = async (plugins: Plugin[]): Promise<string> => {
      const outfile = join(dir, `out-${plugins.length}.mjs`);
      await build({ entryPoints: [entry], outfile, bundle: true, platform: "node", format: "esm", banner: { js: REQUIRE_BANNER }, plugins, logLevel: "error" });
      // Without FORCE_COLOR (node --test sets it for its children when its output is a terminal): plain words.
      const { FORCE_COLOR: _color, ...env } = process.env;
      return execFileSync(process.execPath, [outfile], { encoding: "utf8", env }).trim();
    };
    assert.equal(await run([requireBuiltins]), "function function function false");
    assert.equal(await run([]), "function function function true", "an ES import of node:http loads undici (else this test proves nothing)");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("clientNodeModules: the operator's bundle holds client-node's kubeconfig module but none of its generated models, and runs", async () => {
  const dir = await mkdtemp(join(tmpdir(), "mysqlop-bundle-"));
  try {
    const outfile = join(dir, "operator.mjs");
    const root = join(import.meta.dirname, "../..");
    const options = {
      entryPoints: [join(root, "src/cli/operator-main.ts")],
      outfile,
      bundle: true,
      platform: "node" as const,
      format: "esm" as const,
      banner: { js: REQUIRE_BANNER },
      define: { MYSQLOP_BUNDLED_VERSION: '"0.0.0-test"' },
      alias: { undici: join(root, "src/build/no-undici.ts") },
      metafile: true,
      logLevel: "error" as const,
    };
    const inputs = async (plugins: Plugin[]): Promise<string[]> => {
      const { metafile } = await build({ ...options, plugins });
      return Object.values(metafile?.outputs ?? {}).flatMap((output) => Object.keys(output.inputs).filter((p) => p.includes("@kubernetes/client-node/")));
    };
    const models = (files: string[]): number => files.filter((p) => p.includes("/dist/gen/models/")).length;
    assert.ok(models(await inputs([requireBuiltins])) > 100, "without the plugin the models are bundled (else this test proves nothing)");
    const kept = await inputs([clientNodeModules, requireBuiltins]);
    assert.equal(models(kept), 0, `no generated model: ${kept.filter((p) => p.includes("/gen/models/")).join(", ")}`);
    assert.ok(
      kept.some((p) => p.endsWith("/dist/config.js")),
      "the kubeconfig module stays",
    );
    assert.match(execFileSync(process.execPath, [outfile, "--help"], { encoding: "utf8" }), /run/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
