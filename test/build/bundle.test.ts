/** The operator bundle's text: ASCII only, meaning the same program. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { escapeNonAscii } from "../../src/build/bundle.ts";

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
