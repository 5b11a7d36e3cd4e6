/**
 * Schema validation with readable messages, given/want: one small structural schema and
 * document per row, and the issues a person would read. The generated resource validators
 * only declare their schema; what they report is decided here.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createSchemaValidator, type FieldPath, type ValidationIssue } from "../../src/runtime/schema-validation.ts";

const HINT = "x-example-pattern-hint";

/** An object schema with the given properties, unknown fields forbidden. */
function objectOf(properties: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: "object", properties, additionalProperties: false, ...extra };
}

function issuesOf(schema: Record<string, unknown>, document: unknown): ValidationIssue[] {
  return createSchemaValidator(schema, { patternHintKeyword: HINT })(document);
}

test("a valid document has no issues", () => {
  const schema = objectOf(
    {
      name: { type: "string", pattern: "^[a-z]+$", [HINT]: "lower-case letters" },
      size: { type: "integer", format: "int32", minimum: 1 },
      when: { type: "string", format: "date-time" },
    },
    { required: ["name"] },
  );
  const table: unknown[] = [{ name: "a" }, { name: "abc", size: 2147483647, when: "2026-01-31T12:00:00Z" }, { name: "x", when: "2026-01-31t12:00:00.5+01:00" }];
  for (const document of table) assert.deepEqual(issuesOf(schema, document), [], JSON.stringify(document));
});

test("each failed rule → one sentence naming the field, what is expected and what was given", () => {
  const table: [string, Record<string, unknown>, unknown, string[]][] = [
    [
      "unknown field, listing the known ones",
      objectOf({ a: { type: "string" }, b: { type: "string" } }),
      { a: "x", c: 1 },
      ['unknown field "c" (known fields: a, b)'],
    ],
    ["unknown field where none is known", { type: "object", additionalProperties: false }, { c: 1 }, ['unknown field "c"']],
    [
      "missing required field",
      objectOf({ spec: objectOf({ size: { type: "string" } }, { required: ["size"] }) }),
      { spec: {} },
      ['spec: missing required field "size"'],
    ],
    ["wrong type", objectOf({ size: { type: "string" } }), { size: 1 }, ["size: must be a string, got 1"]],
    ["wrong type, union", objectOf({ size: { type: ["string", "null"] } }), { size: true }, ["size: must be a string or null, got true"]],
    ["the document itself", { type: "object" }, [], ["must be an object (a mapping of fields), got a list"]],
    ["an object given for a string", objectOf({ size: { type: "string" } }), { size: { a: 1 } }, ["size: must be a string, got an object"]],
    [
      "pattern with a hint",
      objectOf({ size: { type: "string", pattern: "^[0-9]+Gi$", [HINT]: "a size such as 1Gi" } }),
      { size: "lots" },
      ['size: must be a size such as 1Gi, got "lots"'],
    ],
    [
      "pattern without a hint",
      objectOf({ size: { type: "string", pattern: "^[0-9]+Gi$" } }),
      { size: "lots" },
      ['size: must be text matching the pattern ^[0-9]+Gi$, got "lots"'],
    ],
    ["minLength", objectOf({ name: { type: "string", minLength: 1 } }), { name: "" }, ['name: must be at least 1 character(s) long, got ""']],
    [
      "maxLength counts characters, not UTF-16 units",
      objectOf({ name: { type: "string", maxLength: 2 } }),
      { name: "\u{1F42C}\u{1F42C}\u{1F42C}" },
      ["name: must be at most 2 characters long, got 3"],
    ],
    ["enum of one", objectOf({ kind: { type: "string", enum: ["Widget"] } }), { kind: "Gadget" }, ['kind: must be "Widget", got "Gadget"']],
    [
      "enum of several",
      objectOf({ status: { type: "string", enum: ["True", "False", "Unknown"] } }),
      { status: "Yes" },
      ['status: must be one of "True", "False", "Unknown", got "Yes"'],
    ],
    ["long values are cut", objectOf({ kind: { type: "string", enum: ["A"] } }), { kind: "b".repeat(100) }, [`kind: must be "A", got "${"b".repeat(77)}..."`]],
    [
      "oneOf of required fields: none",
      objectOf({ a: { type: "string" }, b: { type: "string" } }, { oneOf: [{ required: ["a"] }, { required: ["b"] }] }),
      {},
      ['set exactly one of "a", "b", got none'],
    ],
    [
      "oneOf of required fields: both",
      objectOf({ a: { type: "string" }, b: { type: "string" } }, { oneOf: [{ required: ["a"] }, { required: ["b"] }] }),
      { a: "x", b: "y" },
      ['set exactly one of "a", "b", got "a" and "b"'],
    ],
    [
      "oneOf of required fields on an empty value (null)",
      objectOf({ spec: { type: ["object", "null"], oneOf: [{ required: ["a"] }, { required: ["b"] }] } }),
      { spec: null },
      ['spec: set exactly one of "a", "b", got none'],
    ],
    [
      "oneOf, other shapes",
      objectOf({ n: { oneOf: [{ type: "integer" }, { type: "number", minimum: 0 }] } }),
      { n: 1 },
      ["n: must match exactly one of 2 alternatives"],
    ],
    [
      "anyOf of types (int-or-string), branch errors folded",
      objectOf({ port: { anyOf: [{ type: "integer" }, { type: "string" }] } }),
      { port: true },
      ["port: must be an integer or a string, got true"],
    ],
    [
      "anyOf, other shapes",
      objectOf({ n: { anyOf: [{ type: "integer", minimum: 5 }, { type: "string" }] } }),
      { n: 1 },
      ["n: must match at least one of 2 alternatives, got 1"],
    ],
    [
      "date-time format",
      objectOf({ when: { type: "string", format: "date-time" } }),
      { when: "yesterday" },
      ['when: must be in date-time format (RFC 3339, e.g. 2026-01-31T12:00:00Z), got "yesterday"'],
    ],
    [
      "date-time that only looks right",
      objectOf({ when: { type: "string", format: "date-time" } }),
      { when: "2026-13-45T99:00:00Z" },
      ['when: must be in date-time format (RFC 3339, e.g. 2026-01-31T12:00:00Z), got "2026-13-45T99:00:00Z"'],
    ],
    ["int32 format", objectOf({ n: { type: "integer", format: "int32" } }), { n: 2147483648 }, ["n: must be in int32 format, got 2147483648"]],
    ["minimum", objectOf({ n: { type: "integer", minimum: 0 } }), { n: -1 }, ["n: must be >= 0, got -1"]],
    ["exclusiveMaximum", objectOf({ n: { type: "number", exclusiveMaximum: 10 } }), { n: 10 }, ["n: must be < 10, got 10"]],
    ["other rules: ajv's words", objectOf({ list: { type: "array", maxItems: 1 } }), { list: [1, 2] }, ["list: must NOT have more than 1 items, got a list"]],
  ];
  for (const [label, schema, document, want] of table)
    assert.deepEqual(
      issuesOf(schema, document).map((i) => i.message),
      want,
      label,
    );
});

test("paths: list indexes and keys that are not identifiers, as people write them", () => {
  const item = objectOf({ type: { type: "string" } });
  const schema = objectOf({
    status: objectOf({ conditions: { type: "array", items: item } }),
    labels: { type: "object", additionalProperties: { type: "string" } },
  });
  const table: [unknown, FieldPath, string][] = [
    [{ status: { conditions: [{ type: "a" }, { type: 1 }] } }, ["status", "conditions", 1, "type"], "status.conditions[1].type: must be a string, got 1"],
    [{ labels: { "app.kubernetes.io/name": 1 } }, ["labels", "app.kubernetes.io/name"], 'labels["app.kubernetes.io/name"]: must be a string, got 1'],
    [{ labels: { "a~b": 1 } }, ["labels", "a~b"], 'labels["a~b"]: must be a string, got 1'],
    [{ labels: { "007": 1 } }, ["labels", "007"], 'labels["007"]: must be a string, got 1'],
    [
      { status: { conditions: [{ type: "a", extra: 1 }] } },
      ["status", "conditions", 0, "extra"],
      'status.conditions[0]: unknown field "extra" (known fields: type)',
    ],
  ];
  for (const [document, path, message] of table) {
    const issues = issuesOf(schema, document);
    assert.deepEqual(
      issues.map((i) => [i.path, i.message]),
      [[path, message]],
      JSON.stringify(document),
    );
  }
});

test("every issue is reported once, with the rule that failed", () => {
  const schema = objectOf({ a: { type: "string", minLength: 2, pattern: "^[a-z]+$" }, b: { type: "integer" } }, { required: ["c"] });
  const issues = issuesOf(schema, { a: "1", b: "x", d: true });
  assert.deepEqual(issues.map((i) => i.rule).sort(), ["additionalProperties", "minLength", "pattern", "required", "type"]);
  assert.equal(new Set(issues.map((i) => i.message)).size, issues.length);
});

test("the schema is compiled on first use, strictly", () => {
  const broken = createSchemaValidator({ type: "object", properties: { a: { type: "strng" } } });
  assert.throws(() => broken({}), /schema is invalid: data\/properties\/a\/type/, "a schema error surfaces when the validator is first used");
  const hinted = { type: "string", pattern: "^a$", [HINT]: "an a" };
  assert.throws(() => createSchemaValidator(hinted)("a"), /unknown keyword/, "the hint keyword must be declared");
  assert.deepEqual(createSchemaValidator(hinted, { patternHintKeyword: HINT })("a"), []);
  const transition = { type: "object", "x-kubernetes-validations": [{ rule: "self.a == oldSelf.a" }] };
  assert.deepEqual(createSchemaValidator(transition)({ a: -1 }), [], "transition rules (oldSelf) are left to the API server");
});

test("CEL rules (x-kubernetes-validations) are evaluated as the API server does on create", () => {
  const schema = objectOf({
    count: { type: "integer", "x-kubernetes-validations": [{ rule: "self > 0", message: "must be positive" }] },
    name: {
      type: "string",
      "x-kubernetes-validations": [
        { rule: "!(self.lowerAscii() in ['root', 'admin'])", message: "must not be a reserved name", reason: "FieldValueForbidden" },
        { rule: "size(bytes(self)) <= 4", messageExpression: "'is ' + string(size(bytes(self))) + ' bytes, at most 4'" },
        { rule: "self == oldSelf", message: "is immutable" },
      ],
    },
    range: {
      type: "object",
      properties: { min: { type: "integer" }, max: { type: "integer" } },
      "x-kubernetes-validations": [{ rule: "self.min <= self.max", fieldPath: ".max" }],
    },
  });
  const messages = (document: unknown) => issuesOf(schema, document).map((i) => `${i.path.join(".")} | ${i.rule} | ${i.message}`);
  assert.deepEqual(messages({ count: 1, name: "abc", range: { min: 1, max: 2 } }), [], "valid; the oldSelf rule is left to updates");
  assert.deepEqual(messages({ count: 0 }), ["count | x-kubernetes-validations | count: must be positive"], "integers are CEL ints");
  assert.deepEqual(messages({ name: "Root" }), ["name | x-kubernetes-validations | name: must not be a reserved name"]);
  assert.deepEqual(messages({ name: "éé€" }), ["name | x-kubernetes-validations | name: is 7 bytes, at most 4"], "messageExpression");
  assert.deepEqual(messages({ range: { min: 3, max: 2 } }), ["range.max | x-kubernetes-validations | range.max: failed rule: self.min <= self.max"]);
  assert.deepEqual(messages({ count: "many" }), ['count | type | count: must be an integer, got "many"'], "no CEL on a value of the wrong type");
  const unknown = createSchemaValidator({ type: "string", "x-kubernetes-validations": [{ rule: "self.noSuchFunction()" }] })("x");
  assert.equal(unknown.length, 1, "a rule the offline evaluator cannot run is reported, not passed");
  assert.match(unknown[0]!.message, /^the rule "self\.noSuchFunction\(\)" cannot be checked offline \(.+\); the API server decides$/);
});

test("validators are independent: each has its own hint keyword", () => {
  const schema = (keyword: string) => objectOf({ v: { type: "string", pattern: "^x$", [keyword]: `hint from ${keyword}` } });
  const first = createSchemaValidator(schema("x-first-hint"), { patternHintKeyword: "x-first-hint" });
  const second = createSchemaValidator(schema("x-second-hint"), { patternHintKeyword: "x-second-hint" });
  assert.deepEqual(
    first({ v: "y" }).map((i) => i.message),
    ['v: must be hint from x-first-hint, got "y"'],
  );
  assert.deepEqual(
    second({ v: "y" }).map((i) => i.message),
    ['v: must be hint from x-second-hint, got "y"'],
  );
});
