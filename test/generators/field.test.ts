/**
 * `yo mysqlop:field`: the schema edit as a pure function (given/want), and the sub-generator run by
 * yeoman-test in a scaffolded project (without regenerating; the end-to-end test regenerates and
 * sees the compile error name the new hook).
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import helpers from "yeoman-test";
import { parse } from "yaml";
import { addSpecField, CEL_KEYWORDS, fieldProblem, hookNameOf, type NewField } from "../../generators/field/schema-field.ts";
import { CEL_RESERVED, hookNameOf as codegenHookNameOf } from "../../src/codegen/validate.ts";

const APP = fileURLToPath(new URL("../../generators/app/index.ts", import.meta.url));
const FIELD = fileURLToPath(new URL("../../generators/field/index.ts", import.meta.url));

const SCHEMA = `# top comment, kept
group: db.example.com
versions:
  - name: v1alpha1
    served: true
    storage: false
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required:
              - database
            properties:
              # the database, kept with its comment
              database:
                type: string
`;

interface SpecDoc {
  versions: { schema?: { openAPIV3Schema: { properties: { spec: { required?: string[]; properties: Record<string, Record<string, unknown>> } } } } }[];
}

function specOf(text: string, version = 1): { required?: string[]; properties: Record<string, Record<string, unknown>> } {
  const spec = (parse(text) as SpecDoc).versions[version]?.schema?.openAPIV3Schema.properties.spec;
  assert.ok(spec !== undefined);
  return spec;
}

/** Every line of `out` ends in `eol`: no bare LF in a CRLF file, no CR in an LF one. */
function assertOneLineEnd(out: string, eol: string): void {
  assert.equal(/[\r\n]/.test(out.replaceAll(eol, "")), false, `one kind of line end: ${JSON.stringify(out)}`);
}

/** Generator options, which yeoman-test types as Yeoman's own only. */
const options = (given: Record<string, unknown>): Record<string, unknown> => given;

const field = (over: Partial<NewField>): NewField => ({
  name: "replicas",
  type: "integer",
  description: "Servers to run.",
  onChange: "hook",
  required: false,
  ...over,
});

describe("addSpecField", () => {
  test("adds the field to spec of the storage version, keeping comments and the rest", () => {
    const cases: [Partial<NewField>, Record<string, unknown>, string[]][] = [
      [{}, { type: "integer", "x-mysqlop-on-change": "hook", description: "Servers to run." }, ["database"]],
      [{ defaultValue: "3" }, { type: "integer", "x-mysqlop-on-change": "hook", default: 3, description: "Servers to run." }, ["database"]],
      [
        { required: true, onChange: "rollout" },
        { type: "integer", "x-mysqlop-on-change": "rollout", description: "Servers to run." },
        ["database", "replicas"],
      ],
      [
        { name: "paused", type: "boolean", defaultValue: "false", onChange: "immutable" },
        { type: "boolean", "x-mysqlop-on-change": "immutable", default: false, description: "Servers to run." },
        ["database"],
      ],
    ];
    for (const [given, want, required] of cases) {
      const out = addSpecField(SCHEMA, field(given));
      const spec = specOf(out);
      assert.deepEqual(spec.properties[given.name ?? "replicas"], want, JSON.stringify(given));
      assert.deepEqual(spec.required, required);
      assert.deepEqual(spec.properties.database, { type: "string" });
      assert.match(out, /^# top comment, kept$/m);
      assert.match(out, /# the database, kept with its comment/);
    }
  });

  test("on the scaffold's own schema (folded descriptions, flow lists) only the new lines are added, the rest byte for byte", async () => {
    // Found by a review: the whole file was written out again, every folded description made one line and every
    // [get, list] respaced (45 lines changed for one field).
    const template = await readFile(new URL("../../generators/app/templates/schemas/schema.yaml", import.meta.url), "utf8");
    const schema = template.replaceAll(/<%= *(\w+) *%>/g, (_, name: string) => ({ kind: "Widget", plural: "widgets", group: "x.example.com" })[name] ?? name);
    for (const [given, added] of [
      [{}, 4],
      [{ required: true, defaultValue: undefined }, 5],
    ] as const) {
      const out = addSpecField(schema, field(given));
      const before = schema.split("\n");
      const after = out.split("\n");
      assert.equal(after.length - before.length, added, JSON.stringify(given));
      // Every line of the original is there, in order: only lines were inserted.
      let at = 0;
      for (const line of after) if (line === before[at]) at++;
      assert.equal(at, before.length, "the original's lines, in order, untouched");
      const spec = specOf(out, 0);
      assert.deepEqual(spec.properties.replicas, { type: "integer", "x-mysqlop-on-change": "hook", description: "Servers to run." });
      assert.equal(spec.required?.includes("replicas"), given.required === true);
    }
  });

  test("a schema written with CRLF line ends keeps them, in the lines added too", () => {
    const crlf = SCHEMA.replaceAll("\n", "\r\n");
    // Spliced (a block `required` list), and written out again (a flow one: the splice declines).
    for (const schema of [crlf, crlf.replace("required:\r\n              - database", "required: [database]")]) {
      for (const given of [{}, { required: true }]) {
        const out = addSpecField(schema, field(given));
        assertOneLineEnd(out, "\r\n");
        assert.deepEqual(specOf(out).properties.replicas, { type: "integer", "x-mysqlop-on-change": "hook", description: "Servers to run." });
        assert.equal(specOf(out).required?.includes("replicas"), given.required === true);
      }
    }
    assert.equal(addSpecField(SCHEMA, field({})).includes("\r"), false, "an LF schema stays LF");
    // Found by a review: one stray CRLF line made every added line CRLF (and, written out again, the whole file).
    const stray = SCHEMA.replace("served: true\n", "served: true\r\n");
    const out = addSpecField(stray, field({}));
    assert.equal(out.split("\r\n").length, 2, "only the stray line ends in CRLF");
  });

  test("a schema whose last line has no line end gets only the new lines too, and still ends without one", () => {
    // Found by reading: the splice declined when the last property was the file's last line without a line end, and
    // the whole file was written out again (here the flow list respaced).
    for (const eol of ["\n", "\r\n"]) {
      const schema = `verbs: [get,list]\n${SCHEMA}`.trimEnd().replaceAll("\n", eol);
      for (const given of [{}, { required: true }]) {
        const out = addSpecField(schema, field(given));
        assert.ok(out.startsWith(`verbs: [get,list]${eol}`), `written out again: ${JSON.stringify(out.slice(0, 40))}`);
        assert.equal(out.endsWith("\n"), false, "ends as the schema did");
        const before = schema.split(eol);
        let at = 0;
        for (const line of out.split(eol)) if (line === before[at]) at++;
        assert.equal(at, before.length, "the original's lines, in order, untouched");
        assertOneLineEnd(out, eol);
        assert.deepEqual(specOf(out).properties.replicas, { type: "integer", "x-mysqlop-on-change": "hook", description: "Servers to run." });
        assert.equal(specOf(out).required?.includes("replicas"), given.required === true);
      }
    }
  });

  test("a schema written out again (the splice declines) without a line end at its end still ends without one", () => {
    // Found in review: the written-out document always ended with a line end. A flow `required` list declines the splice.
    for (const eol of ["\n", "\r\n"]) {
      const schema = SCHEMA.replace("required:\n              - database", "required: [database]").trimEnd().replaceAll("\n", eol);
      const out = addSpecField(schema, field({ required: true }));
      assert.equal(out.endsWith("\n"), false, `ends as the schema did: ${JSON.stringify(out.slice(-30))}`);
      assertOneLineEnd(out, eol);
      assert.deepEqual(specOf(out).required, ["database", "replicas"]);
      assert.equal(specOf(out).properties.replicas?.description, "Servers to run.");
    }
  });

  test("refuses an existing field, a bad name, type, policy or default, naming the fix", () => {
    assert.throws(() => addSpecField(SCHEMA, field({ name: "database" })), /spec\.database exists already in the schema; edit it there/);
    const cases: [Partial<NewField>, RegExp][] = [
      [{ name: "Replicas" }, /field name "Replicas" must start with a lower-case letter/],
      [{ name: "re-plicas" }, /field name "re-plicas" must start with a lower-case letter .* only letters, digits and "_"/],
      [{ type: "object" as NewField["type"] }, /--type "object" must be one of string, integer, number, boolean/],
      [{ onChange: "later" as NewField["onChange"] }, /--on-change "later" must be one of hook, rollout, immutable/],
      [{ defaultValue: "three" }, /--default "three" is not of type integer/],
      [{ defaultValue: "1.5" }, /--default "1.5" is not of type integer/],
      [{ required: true, defaultValue: "1" }, /give --required or --default, not both/],
    ];
    for (const [given, want] of cases) assert.match(fieldProblem(field(given)) ?? "", want, JSON.stringify(given));
  });

  test("an immutable field named as a CEL keyword is refused before the schema is written (the code generator's words)", () => {
    for (const word of CEL_RESERVED) {
      if (!/^[a-z]/.test(word)) continue;
      assert.match(fieldProblem(field({ name: word, onChange: "immutable" })) ?? "", /a CEL keyword; choose another name/, word);
      assert.equal(fieldProblem(field({ name: word, onChange: "hook" })), undefined, word);
    }
    assert.deepEqual([...CEL_KEYWORDS].sort(), [...CEL_RESERVED].sort(), "the same words as the code generator's");
    assert.match(fieldProblem(field({ name: "a__b", onChange: "immutable" })) ?? "", /"__"/);
  });

  test("the hook name is the one the code generator gives the field", () => {
    for (const name of ["replicas", "storage_size", "passwordSecretRef", "backup_schedule2"]) assert.equal(hookNameOf(name), codegenHookNameOf(name));
  });
});

describe("yo mysqlop:field in a scaffolded project", () => {
  test("adds spec.replicas to the project's schema, on disk", async () => {
    const dir = await mkdtemp(join(tmpdir(), "yo-mysqlop-field-"));
    try {
      await helpers
        .run(APP, { tmpdir: false })
        .cd(dir)
        .withOptions(options({ skipInstall: true, kind: "MariaDB", group: "db.example.com" }));
      await helpers
        .run(FIELD, { tmpdir: false })
        .cd(dir)
        .withOptions(options({ name: "replicas", type: "integer", description: "Servers to run.", skipGenerate: true }));
      const schema = parse(await readFile(join(dir, "schemas/mariadb.yaml"), "utf8")) as SpecDoc;
      const spec = schema.versions[0]?.schema?.openAPIV3Schema.properties.spec;
      assert.deepEqual(spec?.properties.replicas, { type: "integer", "x-mysqlop-on-change": "hook", description: "Servers to run." });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("outside a scaffolded project it says what to do", async () => {
    await assert.rejects(
      helpers.run(FIELD).withOptions(options({ name: "replicas", skipGenerate: true })),
      /no \.yo-rc\.json with a kind here; run it in a project scaffolded by yo mysqlop/,
    );
  });
});
