/**
 * Every kind of bad schema input gets an error that names the JSON pointer into the
 * schema file and the rule, and nothing is written.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Ajv } from "ajv";
import { SchemaError } from "../../src/codegen/errors.ts";
import { FILE_FORMAT_AJV_OPTIONS, schemaFileFormat } from "../../src/codegen/file-format.ts";
import { parseSchemaText } from "../../src/codegen/load.ts";
import { generate } from "../../src/codegen/pipeline.ts";
import { findSchemaProblems } from "../../src/codegen/validate.ts";
import { createTempProject, editedSchema, mysqlSchemaText, ROOT_SCHEMA, snapshotFiles, SPEC_PROPERTIES } from "./temp-project.ts";

const SPEC = [...ROOT_SCHEMA, "properties", "spec"];
const COLUMNS = ["versions", 0, "additionalPrinterColumns"];
const P = "/versions/0/schema/openAPIV3Schema";

interface Case {
  readonly name: string;
  readonly schema: () => Promise<string>;
  readonly pointer: string;
  readonly rule: string;
}

const cases: Case[] = [
  {
    name: "a CEL rule that does not parse",
    schema: () => editedSchema((d) => d.setIn([...SPEC_PROPERTIES, "image", "x-kubernetes-validations"], [{ rule: "self.size( > 1" }])),
    pointer: `${P}/properties/spec/properties/image/x-kubernetes-validations/0/rule`,
    rule: "structural/cel-rule",
  },
  {
    name: "a CEL rule with a reason the API server does not know",
    schema: () => editedSchema((d) => d.setIn([...SPEC_PROPERTIES, "image", "x-kubernetes-validations"], [{ rule: "size(self) > 1", reason: "Nope" }])),
    pointer: `${P}/properties/spec/properties/image/x-kubernetes-validations/0/reason`,
    rule: "structural/cel-rule",
  },
  {
    name: "a field without type",
    schema: () => editedSchema((d) => d.deleteIn([...SPEC_PROPERTIES, "image", "type"])),
    pointer: `${P}/properties/spec/properties/image`,
    rule: "structural/type-required",
  },
  {
    name: "an unknown type",
    schema: () => editedSchema((d) => d.setIn([...SPEC_PROPERTIES, "image", "type"], "text")),
    pointer: `${P}/properties/spec/properties/image/type`,
    rule: "structural/type-valid",
  },
  {
    name: "properties together with additionalProperties",
    schema: () => editedSchema((d) => d.setIn([...SPEC, "additionalProperties"], { type: "string" })),
    pointer: `${P}/properties/spec/additionalProperties`,
    rule: "structural/properties-and-additionalProperties",
  },
  {
    name: "additionalProperties: false",
    schema: () => editedSchema((d) => d.setIn([...SPEC_PROPERTIES, "passwordSecretRef", "additionalProperties"], false)),
    pointer: `${P}/properties/spec/properties/passwordSecretRef/additionalProperties`,
    rule: "structural/forbidden-keyword",
  },
  {
    name: "a $ref",
    schema: () => editedSchema((d) => d.setIn([...SPEC_PROPERTIES, "image", "$ref"], "#/definitions/image")),
    pointer: `${P}/properties/spec/properties/image/$ref`,
    rule: "structural/forbidden-keyword",
  },
  {
    name: "patternProperties",
    schema: () =>
      editedSchema((d) => d.setIn([...ROOT_SCHEMA, "properties", "status", "properties", "appliedSpec", "patternProperties"], { "^x": { type: "string" } })),
    pointer: `${P}/properties/status/properties/appliedSpec/patternProperties`,
    rule: "structural/forbidden-keyword",
  },
  {
    name: "uniqueItems: true",
    schema: () => editedSchema((d) => d.setIn([...ROOT_SCHEMA, "properties", "status", "properties", "conditions", "uniqueItems"], true)),
    pointer: `${P}/properties/status/properties/conditions/uniqueItems`,
    rule: "structural/forbidden-keyword",
  },
  {
    name: "a keyword the API server does not know",
    schema: () => editedSchema((d) => d.setIn([...SPEC_PROPERTIES, "image", "const"], "mysql:5.7")),
    pointer: `${P}/properties/spec/properties/image/const`,
    rule: "structural/unknown-keyword",
  },
  {
    name: "a description inside oneOf",
    schema: () => editedSchema((d) => d.setIn([...SPEC, "oneOf", 0, "description"], "inline password")),
    pointer: `${P}/properties/spec/oneOf/0/description`,
    rule: "structural/junctor-keyword",
  },
  {
    name: "a field named only inside a junctor",
    schema: () => editedSchema((d) => d.setIn([...SPEC, "oneOf", 1, "properties"], { secretName: { minLength: 1 } })),
    pointer: `${P}/properties/spec/oneOf/1/properties/secretName`,
    rule: "structural/junctor-field-undeclared",
  },
  {
    name: "a metadata field other than name",
    schema: () => editedSchema((d) => d.setIn([...ROOT_SCHEMA, "properties", "metadata", "properties", "labels"], { type: "object" })),
    pointer: `${P}/properties/metadata/properties/labels`,
    rule: "structural/metadata",
  },
  {
    name: "a description on metadata (the API server forbids anything but name/generateName restrictions)",
    schema: () => editedSchema((d) => d.setIn([...ROOT_SCHEMA, "properties", "metadata", "description"], "Standard object metadata.")),
    pointer: `${P}/properties/metadata/description`,
    rule: "structural/metadata",
  },
  {
    name: "a default that breaks its own schema",
    schema: () => editedSchema((d) => d.setIn([...SPEC_PROPERTIES, "image", "default"], "")),
    pointer: `${P}/properties/spec/properties/image/default`,
    rule: "structural/default-invalid",
  },
  {
    name: "a pattern that is no regular expression (the API server refuses the CRD; the generated validator threw)",
    schema: () => editedSchema((d) => d.setIn([...SPEC_PROPERTIES, "image", "pattern"], "^[a-z")),
    pointer: `${P}/properties/spec/properties/image/pattern`,
    rule: "structural/pattern-invalid",
  },
  {
    name: "a pattern with a lookahead, which JavaScript has and the API server's RE2 lacks",
    schema: () => editedSchema((d) => d.setIn([...SPEC_PROPERTIES, "image", "pattern"], "^(?!mysql$).*$")),
    pointer: `${P}/properties/spec/properties/image/pattern`,
    rule: "structural/pattern-invalid",
  },
  {
    name: "a pattern with a backreference (RE2 lacks it)",
    schema: () => editedSchema((d) => d.setIn([...SPEC_PROPERTIES, "image", "pattern"], "^(a)\\1$")),
    pointer: `${P}/properties/spec/properties/image/pattern`,
    rule: "structural/pattern-invalid",
  },
  {
    name: "x-kubernetes-list-type on an object",
    schema: () => editedSchema((d) => d.setIn([...SPEC_PROPERTIES, "passwordSecretRef", "x-kubernetes-list-type"], "set")),
    pointer: `${P}/properties/spec/properties/passwordSecretRef/x-kubernetes-list-type`,
    rule: "structural/extension-misuse",
  },
  {
    name: "x-kubernetes-preserve-unknown-fields: false",
    schema: () => editedSchema((d) => d.setIn([...SPEC, "x-kubernetes-preserve-unknown-fields"], false)),
    pointer: `${P}/properties/spec/x-kubernetes-preserve-unknown-fields`,
    rule: "structural/extension-misuse",
  },
  {
    name: "a type next to x-kubernetes-int-or-string",
    schema: () => editedSchema((d) => d.setIn([...SPEC_PROPERTIES, "storage_size", "x-kubernetes-int-or-string"], true)),
    pointer: `${P}/properties/spec/properties/storage_size/type`,
    rule: "structural/extension-misuse",
  },
  {
    name: "a field name that is not a TypeScript identifier",
    schema: () => editedSchema((d) => d.setIn([...SPEC_PROPERTIES, "storage-class"], { type: "string", description: "x" })),
    pointer: `${P}/properties/spec/properties/storage-class`,
    rule: "typescript/identifier",
  },
  {
    // Found in review: the reconcile base imported `MySQL Spec` and did not parse.
    name: "a spec title that is not a TypeScript identifier (it names the spec's interface)",
    schema: () => editedSchema((d) => d.setIn([...SPEC, "title"], "MySQL Spec")),
    pointer: `${P}/properties/spec/title`,
    rule: "typescript/type-name",
  },
  {
    // Found in review: json-schema-to-typescript names it MySpec, the reconcile base imported mySpec.
    name: "a status title that json-schema-to-typescript would rename (a small first letter)",
    schema: () => editedSchema((d) => d.setIn([...ROOT_SCHEMA, "properties", "status", "title"], "myStatus")),
    pointer: `${P}/properties/status/title`,
    rule: "typescript/type-name",
  },
  {
    name: "a kind that json-schema-to-typescript would rename (a small letter after a digit: Db2e becomes Db2E)",
    schema: () => editedSchema((d) => d.setIn(["names", "kind"], "MySQL2x")),
    pointer: "/names/kind",
    rule: "typescript/type-name",
  },
  {
    name: "two fields that would get the same hook",
    schema: () => editedSchema((d) => d.setIn([...SPEC_PROPERTIES, "storageSize"], { type: "string", description: "x" })),
    pointer: `${P}/properties/spec/properties/storageSize`,
    rule: "typescript/hook-collision",
  },
  {
    name: "duplicate printer columns",
    schema: () => editedSchema((d) => d.addIn(COLUMNS, { name: "image", type: "string", jsonPath: ".spec.image" })),
    pointer: "/versions/0/additionalPrinterColumns/7/name",
    rule: "printer-columns/duplicate",
  },
  {
    name: "a missing spec",
    schema: () => editedSchema((d) => d.deleteIn([...ROOT_SCHEMA, "properties", "spec"])),
    pointer: `${P}/properties`,
    rule: "resource/spec-required",
  },
  {
    name: "a status without the fields the loop writes",
    schema: () => editedSchema((d) => d.deleteIn([...ROOT_SCHEMA, "properties", "status", "properties", "appliedSpec"])),
    pointer: `${P}/properties/status/properties/appliedSpec`,
    rule: "resource/status-standard-fields",
  },
  {
    name: "an unknown generator extension",
    schema: () => editedSchema((d) => d.setIn([...SPEC_PROPERTIES, "password", "x-mysqlop-secret"], true)),
    pointer: `${P}/properties/spec/properties/password/x-mysqlop-secret`,
    rule: "extension/unknown",
  },
  {
    name: "a change policy the generator does not know",
    schema: () => editedSchema((d) => d.setIn([...SPEC_PROPERTIES, "image", "x-mysqlop-on-change"], "restart")),
    pointer: `${P}/properties/spec/properties/image/x-mysqlop-on-change`,
    rule: "extension/type",
  },
  {
    name: "a change policy on something that is not a field of spec",
    schema: () => editedSchema((d) => d.setIn([...SPEC_PROPERTIES, "passwordSecretRef", "properties", "key", "x-mysqlop-on-change"], "immutable")),
    pointer: `${P}/properties/spec/properties/passwordSecretRef/properties/key/x-mysqlop-on-change`,
    rule: "extension/placement",
  },
  {
    name: "an immutable field whose name a CEL rule cannot address",
    schema: () =>
      editedSchema((d) => d.setIn([...SPEC_PROPERTIES, "in"], { type: "string", description: "A CEL keyword.", "x-mysqlop-on-change": "immutable" })),
    pointer: `${P}/properties/spec/properties/in/x-mysqlop-on-change`,
    rule: "extension/immutable-name",
  },
  {
    name: "a watched kind whose informer could not be built (no kind)",
    schema: () => editedSchema((d) => d.deleteIn(["operator", "clusterRules", 0, "kind"])),
    pointer: "/operator/clusterRules/0",
    rule: "rbac/watched-kind",
  },
  {
    name: "a wildcard verb",
    schema: () => editedSchema((d) => d.setIn(["operator", "clusterRules", 0, "verbs"], ["*"])),
    pointer: "/operator/clusterRules/0/verbs/0",
    rule: "file-format/enum",
  },
  {
    name: "a wildcard resource",
    schema: () => editedSchema((d) => d.setIn(["operator", "clusterRules", 0, "resource"], "*")),
    pointer: "/operator/clusterRules/0/resource",
    rule: "file-format/pattern",
  },
  {
    name: "two storage versions",
    schema: () => editedSchema((d) => d.addIn(["versions"], { name: "v2", served: true, storage: true, schema: { openAPIV3Schema: { type: "object" } } })),
    pointer: "/versions",
    rule: "versions/one-storage",
  },
  {
    name: "an unknown top-level key",
    schema: async () => `${await mysqlSchemaText()}\nkinds: []\n`,
    pointer: "",
    rule: "file-format/additionalProperties",
  },
  {
    name: "broken YAML",
    schema: async () => `${await mysqlSchemaText()}\n  : : [\n`,
    pointer: "",
    rule: "yaml/syntax",
  },
];

for (const c of cases) {
  test(`bad schema: ${c.name} → ${c.rule} at ${c.pointer || "(document)"}, nothing written`, async (t) => {
    const schemaText = await c.schema();
    const project = await createTempProject(schemaText);
    t.after(project.cleanup);
    const before = await snapshotFiles(project.root);
    const error = await generate({ root: project.root, schemaPath: "schemas/mysql.yaml" }).then(
      () => assert.fail("generate accepted a bad schema"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof SchemaError, `expected a SchemaError, got ${String(error)}`);
    const match = error.problems.find((p) => p.pointer === c.pointer && p.rule === c.rule);
    assert.ok(match, `no problem ${c.rule} at ${c.pointer}; got:\n${error.message}`);
    assert.match(error.message, new RegExp(`schemas/mysql\\.yaml#${c.pointer.replaceAll(/[$]/g, "\\$")}: \\[${c.rule}\\]`));
    // The position points a person at the line: the key the pointer ends in (or its nearest parent).
    assert.ok(match.line !== undefined && match.column !== undefined, "problems carry a line and column");
    const keys = c.pointer.split("/").filter((k) => k !== "" && !/^\d+$/.test(k));
    if (keys.length > 0 && !/\/\d+$/.test(c.pointer)) {
      const text = schemaText.split("\n")[match.line - 1] ?? "";
      assert.ok(
        keys.some((k) => text.includes(`${k}:`)),
        `line ${match.line} (${JSON.stringify(text)}) names a key of ${c.pointer}`,
      );
    }
    assert.deepEqual(await snapshotFiles(project.root), before, "a rejected schema must not write anything");
  });
}

test("defaults are judged only under a node that is valid JSON Schema: a broken node is no default's fault", async () => {
  const judged = async (image: Record<string, unknown>) =>
    findSchemaProblems(parseSchemaText(await editedSchema((d) => d.setIn([...SPEC_PROPERTIES, "image"], image)), "schemas/mysql.yaml"))
      .filter((p) => p.rule === "structural/default-invalid")
      .map((p) => p.message);
  assert.deepEqual(await judged({ type: "string", minLength: 1, default: "mysql:8.4" }), []);
  assert.deepEqual(await judged({ type: "string", minLength: 1, default: "" }), [
    'default "" does not satisfy its own schema: value must NOT have fewer than 1 characters',
  ]);
  // JSON Schema's meta-schema refuses these nodes (their keywords' values); the default is not blamed.
  assert.deepEqual(await judged({ type: "string", maxLength: -1, default: "mysql:8.4" }), []);
  assert.deepEqual(await judged({ type: "integer", multipleOf: 0, default: 3 }), []);
});

test("a pattern's escapes and character classes are not taken for RE2's missing constructs; the message names the construct", async () => {
  const judged = async (pattern: string) =>
    findSchemaProblems(parseSchemaText(await editedSchema((d) => d.setIn([...SPEC_PROPERTIES, "image", "pattern"], pattern)), "schemas/mysql.yaml"))
      .filter((p) => p.rule === "structural/pattern-invalid")
      .map((p) => p.message);
  for (const fine of ["^\\(?=x$", "^[(?!]+$", "^[\\]a]+$", "^[^\\]]+$", "^(?<tag>[a-z]+)$", "^\\\\1$"]) assert.deepEqual(await judged(fine), [], fine);
  assert.match((await judged("^(?<!a)b$"))[0] ?? "", /uses the lookbehind \(\?<!…\).*RE2.*CEL rule/);
  assert.match((await judged("^(a)\\1$"))[0] ?? "", /uses the backreference \\1/);
  assert.match((await judged("^[a-z"))[0] ?? "", /is not a regular expression JavaScript takes .*the generated validator/);
  // RE2 (the API server's) refuses these, JavaScript takes them (found by a review, run with Go's regexp).
  for (const [pattern, construct] of [
    ["^[\\u0041-\\u005A]+$", /a \\u escape/],
    ["^a{1001}$", /the repetition \{1001\}/],
    ["^a{2,5000}$", /the repetition \{2,5000\}/],
    ["^\\p{Script=Greek}+$", /a Unicode property with a value/],
    ["^\\cJ$", /a control-character escape/],
    ["^[^]*$", /the class \[\^\]/],
    ["^[]?a$", /the class \[\]/],
  ] as const)
    assert.match((await judged(pattern))[0] ?? "", construct, pattern);
  for (const fine of ["^a{1000}$", "^\\p{L}+$", "^a{2,}$"]) assert.deepEqual(await judged(fine), [], fine);
});

test("the real schema has no problems", async (t) => {
  const project = await createTempProject(await mysqlSchemaText());
  t.after(project.cleanup);
  const result = await generate({ root: project.root, schemaPath: "schemas/mysql.yaml" });
  assert.equal(result.written.length, 14);
});

test("the file-format schema is a valid JSON Schema under the options it is compiled with (generate does not check it per run)", () => {
  const ajv = new Ajv({ ...FILE_FORMAT_AJV_OPTIONS, validateSchema: true });
  assert.equal(ajv.validateSchema(schemaFileFormat), true, ajv.errorsText());
  // Strict mode still refuses an unknown keyword while compiling, without the meta-schema check.
  assert.throws(
    () =>
      new Ajv(FILE_FORMAT_AJV_OPTIONS).compile({ ...schemaFileFormat, properties: { ...schemaFileFormat.properties, group: { type: "string", patern: "x" } } }),
    /patern/,
  );
  assert.doesNotThrow(() => new Ajv(FILE_FORMAT_AJV_OPTIONS).compile(schemaFileFormat));
});
