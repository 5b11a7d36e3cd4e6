/**
 * The schema is read with js-yaml (fast) where its reading is yaml's, and with yaml otherwise (see load.ts): the two
 * readings compared over every YAML file of the project and over YAML written to differ, and the errors and positions
 * of a schema problem as before.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseAllDocuments, parseDocument } from "yaml";
import { SchemaError } from "../../src/codegen/errors.ts";
import { fastSchemaValue, parseSchemaText } from "../../src/codegen/load.ts";
import { repoRoot } from "./temp-project.ts";

/** yaml's reading, as the schema was read before js-yaml: `undefined` when yaml refuses the text. */
function yamlReading(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) return undefined;
  try {
    return doc.toJS({ maxAliasCount: 0 });
  } catch {
    return undefined;
  }
}

/** js-yaml's reading is yaml's, or js-yaml's is not taken; returns whether it was taken. */
function assertSameOrDeclined(text: string, label: string): boolean {
  const fast = fastSchemaValue(text);
  if (fast === undefined) return false;
  assert.deepStrictEqual(fast, yamlReading(text), `${label}: js-yaml's reading differs from yaml's`);
  return true;
}

test("every single-document YAML file of the project reads the same with js-yaml as with yaml, and js-yaml reads the schemas", () => {
  const files = execFileSync("git", ["ls-files", "*.yaml", "*.yml"], { cwd: repoRoot, encoding: "utf8" })
    .split("\n")
    .filter((f) => f !== "");
  assert.ok(files.length >= 30, `only ${files.length} YAML files found`);
  let taken = 0;
  for (const file of files) {
    const text = readFileSync(join(repoRoot, file), "utf8");
    if (parseAllDocuments(text).length !== 1) continue;
    if (assertSameOrDeclined(text, file)) taken++;
  }
  // The fast reading is the one used for real schemas (else it saves nothing).
  for (const schema of ["schemas/mysql.yaml", "test/codegen/fixtures/widget/schema.yaml", "generators/app/templates/schemas/schema.yaml"]) {
    assert.notEqual(fastSchemaValue(readFileSync(join(repoRoot, schema), "utf8")), undefined, schema);
  }
  assert.ok(taken >= 25, `js-yaml's reading taken for only ${taken} files`);
});

/** Awkward YAML: each line a value of `v` or a whole document; every one read alike or left to yaml. */
const AWKWARD_VALUES = [
  "0o17",
  "0x1F",
  "0b101",
  "012",
  "+12",
  "-0",
  "1_000",
  "12:30",
  "1e3",
  "1E-3",
  ".5",
  "1.",
  "-.5e+2",
  "1e400",
  ".inf",
  "-.Inf",
  ".NaN",
  "9007199254740993",
  "True",
  "FALSE",
  "yes",
  "on",
  "n",
  "~",
  "Null",
  "",
  "2001-12-14",
  "2001-12-14t21:59:43.10-05:00",
  "'it''s'",
  '"tab\\there \\u00e9 \\x41 \\/ \\N \\_ \\L \\P \\e \\0 \\a \\b \\v"',
  '"a\\\n  b"',
  "plain # comment",
  "'#not a comment'",
  "a:b",
  "http://example.com/a?b=c#d",
  "!!str 123",
  '!!int "5"',
  "!!float 1",
  "!!bool true",
  "!!null ''",
  "!custom x",
  "!!binary aGVsbG8=",
  "&a x",
  "*a",
  "[a, b, ]",
  "{a: 1, b: [x, y], 'c d': ~}",
  "{a: 1, a: 2}",
  "[a, [b, {c: d}]]",
  "{? a : b}",
  "- x",
  "|\n  line one\n  line two\n",
  "|-\n  kept\n\n",
  "|+\n  kept\n\n",
  ">\n  folded\n  text\n\n  para\n",
  ">-\n  folded\n    more indented\n  back\n",
  "|2\n    indented\n",
  "multi\n  line\n  plain",
  "'multi\n  line\n\n  single'",
  '"multi\n  line\n\n  double"',
  '"\\u263A \\U0001F600"',
  "é ü 漢字 🙂",
  "a\tb",
  "trailing   ",
];

const AWKWARD_DOCUMENTS = [
  "a: 1\na: 2\n",
  "base: &b {x: 1}\nuse: *b\n",
  "<<: {x: 1}\ny: 2\n",
  "__proto__: {x: 1}\n",
  "constructor: 1\ntoString: 2\nhasOwnProperty: 3\n",
  "? complex\n: value\n",
  "? [a, b]\n: value\n",
  "1: one\n0x10: hex\ntrue: yes\n~: nothing\n",
  "1: one\n0x10: hex\ntrue: yes\n-0: zero\n.inf: infinite\n",
  "1e400: key out of range\n",
  "null: a null key\n",
  "'null': a string key\n",
  "%YAML 1.2\n---\na: 1\n...\n",
  "%YAML 1.1\n---\na: yes\n",
  "---\na: 1\n---\nb: 2\n",
  "",
  "# only a comment\n",
  "- a\n- b\n",
  "just a string\n",
  "a: 1\r\nb: |\r\n  x\r\n  y\r\n",
  "\uFEFFa: 1\n",
  "a:\n- x\n- y\nb:\n  - z\n",
  "a: {b: c\n",
  "a: b: c\n",
  "a:\n\tb: c\n",
  "a: 'unclosed\n",
  "a: [1, 2\n",
  "key with spaces: v\n'quoted key': v\n\"dq key\\n\": v\n",
  "a: !!map {b: 1}\nc: !!seq [1]\n",
  "a: !!str\nb: !!null\n",
  "a: -\n",
  "a: - b\n",
  "a:\n  - b\n  c: d\n",
  "a: >\n\n  leading blank\n",
  "long: " + "x".repeat(20_000) + "\n",
];

test("awkward YAML: js-yaml's reading is yaml's or is not taken (yaml then reads or refuses it, as before)", () => {
  let taken = 0;
  for (const value of AWKWARD_VALUES) {
    const text =
      value.includes("\n") && !value.startsWith("'") && !value.startsWith('"') && !value.startsWith("multi")
        ? `v: ${value.replace(/\n/g, "\n  ")}`
        : `v: ${value}\n`;
    if (assertSameOrDeclined(text, JSON.stringify(text))) taken++;
    if (assertSameOrDeclined(`list:\n  - ${value}\n`, JSON.stringify(value) + " in a list")) taken++;
  }
  for (const text of AWKWARD_DOCUMENTS) if (assertSameOrDeclined(text, JSON.stringify(text.slice(0, 80)))) taken++;
  // Most of it is plain YAML both read alike; what could differ is left to yaml.
  assert.ok(taken >= 80, `js-yaml's reading taken ${taken} times`);
  for (const declined of ["v: 1e400\n", "base: &b {x: 1}\nuse: *b\n", "<<: {x: 1}\n", "__proto__: {x: 1}\n", "a: 1\na: 2\n", "- a\n", "just a string\n", ""]) {
    assert.equal(fastSchemaValue(declined), undefined, JSON.stringify(declined));
  }
});

test("a schema problem still names its line and column, whichever reading was taken", () => {
  assert.throws(
    () => parseSchemaText("spec:\n  a: 1\n  a: 2\n", "schemas/x.yaml"),
    (error: unknown) => {
      assert.ok(error instanceof SchemaError);
      assert.equal(error.problems[0]?.rule, "yaml/syntax");
      assert.equal(error.problems[0]?.line, 3);
      return true;
    },
  );
  const loaded = parseSchemaText("kind: X\nspec:\n  versions:\n    - name: v1\n      served: true\n", "schemas/x.yaml");
  assert.deepEqual(loaded.document, { kind: "X", spec: { versions: [{ name: "v1", served: true }] } });
  assert.deepEqual(loaded.locate("/spec/versions/0/served"), { line: 5, column: 7 });
  assert.deepEqual(loaded.locate("/spec/nothing"), { line: 2, column: 1 });
});
