/**
 * The generated validator (generated/mysql-validator.ts) against documents a person would
 * write: what it accepts, what it rejects, and that each message names the field, the
 * rule and the expected form.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { validateMySQL } from "../../generated/mysql-validator.ts";

function resource(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: "otus.homework/v1", kind: "MySQL", metadata: { name: "mysql-instance" }, spec, ...extra };
}

const ORIGINAL = { image: "mysql:5.7", database: "otus-database", password: "otuspassword", storage_size: "1Gi" };

test("accepts the original sample and the optional fields", () => {
  const table: Record<string, unknown>[] = [
    resource(ORIGINAL),
    resource({ database: "otus-database", password: "p", storage_size: "1Gi" }),
    resource({ database: "db", passwordSecretRef: { name: "mysql-root", key: "password" }, storage_size: "10Gi", storageClassName: "fast.ssd" }),
    resource(ORIGINAL, { metadata: { name: "m", namespace: "team-a", labels: { a: "b" }, annotations: { x: "y" } } }),
  ];
  for (const doc of table) assert.deepEqual(validateMySQL(doc), [], JSON.stringify(doc));
});

test("database: any name MySQL allows, and nothing else", () => {
  const accepted = [
    "otus-database",
    "it's",
    "back`tick",
    "dollar$HOME",
    "two words",
    "données",
    "数据库",
    "a".repeat(64),
    "\uFFFD",
    " leading-space",
    "semi;colon",
    "--all-databases",
  ];
  for (const database of accepted) assert.deepEqual(validateMySQL(resource({ ...ORIGINAL, database })), [], JSON.stringify(database));
  const rejected: [string, RegExp][] = [
    ["a".repeat(65), /^spec\.database: must be at most 64 characters long, got 65$/],
    [
      "a/b",
      /^spec\.database: must be a MySQL database name: no "\/", "\\", "\." or control character \(such as a newline or a terminal escape\), no character beyond U\+FFFF \(such as emoji\), and not ending in a space, got "a\/b"$/,
    ],
    // A terminal escape (set the window title, clear the screen) is refused and printed escaped.
    ["x\u001b]0;pwned\u0007\u001b[2J", /^spec\.database: must be a MySQL database name: .*, got "x\\u001b\]0;pwned\\u0007\\u001b\[2J"$/],
    ["new\nline", /spec\.database: must be a MySQL database name/],
    ["tab\there", /spec\.database: must be a MySQL database name/],
    ["del\u007f", /, got "del\\u007f"$/],
    ["c1 csi \u009b2J", /, got "c1 csi \\u009b2J"$/],
    ["dolphin\u{1F42C}", /spec\.database: must be a MySQL database name/],
    ["a\\b", /spec\.database: must be a MySQL database name/],
    ["a.b", /spec\.database: must be a MySQL database name/],
    ["nul\u0000", /spec\.database: must be a MySQL database name/],
    ["trailing ", /spec\.database: must be a MySQL database name/],
  ];
  for (const [database, want] of rejected) {
    const issues = validateMySQL(resource({ ...ORIGINAL, database }));
    assert.equal(issues.length, 1, `${JSON.stringify(database)}: ${JSON.stringify(issues)}`);
    assert.match(issues[0]!.message, want);
    assert.deepEqual(issues[0]!.path, ["spec", "database"]);
  }
  for (const database of ["mysql", "MySQL", "sys", "SYS", "performance_schema", "Performance_Schema", "information_schema", "INFORMATION_SCHEMA"]) {
    const issues = validateMySQL(resource({ ...ORIGINAL, database }));
    assert.deepEqual(
      issues.map((i) => [i.path.join("."), i.rule, i.message]),
      [
        [
          "spec.database",
          "x-kubernetes-validations",
          "spec.database: must not be one of MySQL's own schemas (mysql, sys, performance_schema, information_schema, in any letter case): the operator would back up the server's accounts and password hashes",
        ],
      ],
      database,
    );
  }
  for (const database of ["mysqlx", "my_sys", "sys2", "information-schema"]) assert.deepEqual(validateMySQL(resource({ ...ORIGINAL, database })), [], database);
  const empty = validateMySQL(resource({ ...ORIGINAL, database: "" })).map((i) => i.message);
  assert.ok(empty.includes('spec.database: must be at least 1 character(s) long, got ""'), JSON.stringify(empty));
});

test("password: at most 256 bytes in UTF-8, and never echoed", () => {
  for (const password of ["p", "a".repeat(256), "é".repeat(128), "\u{1F42C}".repeat(64), "日".repeat(85) + "a"]) {
    assert.deepEqual(validateMySQL(resource({ ...ORIGINAL, password })), [], `${password.length} characters`);
  }
  const bytes = "must be at most 256 bytes in UTF-8 (MySQL 8's caching_sha2_password refuses longer passwords; a character outside ASCII takes 2 to 4 bytes)";
  const table: [string, string[]][] = [
    ["é".repeat(129), [`spec.password: ${bytes}`]],
    ["\u{1F42C}".repeat(65), [`spec.password: ${bytes}`]],
    ["a".repeat(257), [`spec.password: ${bytes}`, "spec.password: must be at most 256 characters long, got 257"]],
  ];
  for (const [password, want] of table) {
    const issues = validateMySQL(resource({ ...ORIGINAL, password }));
    assert.deepEqual(issues.map((i) => i.message).sort(), [...want].sort());
    for (const issue of issues) assert.ok(!issue.message.includes(password.slice(0, 8)), "the password is not in the message");
  }
});

test("image: a container image reference", () => {
  const accepted = [
    "mysql:8.4",
    "mysql:5.7",
    "mysql",
    "mariadb:11.4",
    "library/mysql:8.4.3",
    "docker.io/library/mysql:8.4",
    "registry.example.com:5000/db/team__x/my-sql.server:8.4_rc1",
    "localhost/mysql:8",
    "[::1]:5000/mysql:8.4",
    `mysql@sha256:${"0123456789abcdef".repeat(4)}`,
    `registry.example.com/mysql:8.4@sha256:${"ABCDEF0123456789".repeat(4)}`,
  ];
  for (const image of accepted) assert.deepEqual(validateMySQL(resource({ ...ORIGINAL, image })), [], image);
  for (const image of [
    "Mysql:8.4",
    "mysql:8.4; rm -rf /",
    "mysql:8.4\n",
    "mysql:",
    ":8.4",
    "-mysql",
    "mysql:-8",
    "mysql@sha256:abc",
    "my sql",
    "$(id)",
    "mysql:8.4 ",
  ]) {
    const issues = validateMySQL(resource({ ...ORIGINAL, image }));
    assert.equal(issues.length, 1, image);
    assert.equal(issues[0]!.rule, "pattern");
    assert.match(issues[0]!.message, /^spec\.image: must be a container image reference such as mysql:8\.4, /);
  }
});

test("storage_size: Kubernetes quantities only", () => {
  for (const size of ["1Gi", "500Mi", "1.5Gi", "1e3", "100", "2Ti", "0.5", "1k", "+1Gi"]) {
    assert.deepEqual(validateMySQL(resource({ ...ORIGINAL, storage_size: size })), [], size);
  }
  for (const size of ["lots", "1GB", "-1Gi", "", "1 Gi", "Gi", "1Gi\n"]) {
    const issues = validateMySQL(resource({ ...ORIGINAL, storage_size: size }));
    assert.equal(issues.length, 1, size);
    assert.equal(issues[0]!.message, `spec.storage_size: must be a Kubernetes quantity such as 1Gi or 500Mi, got ${JSON.stringify(size)}`);
    assert.equal(issues[0]!.rule, "pattern");
  }
  assert.deepEqual(
    validateMySQL(resource({ ...ORIGINAL, storage_size: 1 })).map((i) => i.message),
    ["spec.storage_size: must be a string, got 1"],
  );
});

test("backup.schedule: 5 cron fields in their ranges or a macro, for a name of at most 36 characters", () => {
  for (const schedule of [
    "* * * * *",
    "0 3 * * *",
    "*/30 * * * *",
    "59 23 31 12 7",
    "0 0 1 JAN MON-FRI",
    "0 0 * dec sun",
    "0 0 * Jun-Aug Sat",
    "5,35 */2 ? * 0-6",
    "0  3 * * *",
    "@daily",
    "@hourly",
  ]) {
    assert.deepEqual(validateMySQL(resource({ ...ORIGINAL, backup: { schedule } })), [], schedule);
  }
  for (const schedule of [
    "* * * *",
    "* * * * * *",
    "TZ=UTC 0 3 * * *",
    "@every 1h",
    "x * * * *",
    " * * * * *",
    "0 3 * * *\n",
    "0 3 * * * ; rm -rf /",
    "60 * * * *",
    "0 24 * * *",
    "0 0 0 * *",
    "0 0 32 * *",
    "0 0 * 13 *",
    "0 0 * * 8",
    "0 0 * XYZ *",
    "0 0 * * FOO",
    "0 0 * JAN-XYZ *",
  ]) {
    const issues = validateMySQL(resource({ ...ORIGINAL, backup: { schedule } }));
    assert.equal(issues.length, 1, schedule);
    assert.deepEqual(issues[0]!.path, ["spec", "backup", "schedule"]);
    assert.equal(
      issues[0]!.message,
      `spec.backup.schedule: must be a cron schedule of 5 fields separated by spaces (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC, day of week 0-7 or SUN-SAT) such as "0 3 * * *" or "*/30 * * * *", or a macro such as @daily, got ${JSON.stringify(schedule)}`,
    );
  }
  const long = { name: `a${"b".repeat(36)}` };
  const issues = validateMySQL(resource({ ...ORIGINAL, backup: { schedule: "@daily" } }, { metadata: long }));
  assert.deepEqual(
    issues.map((i) => [i.path.join("."), i.message]),
    [
      [
        "spec.backup.schedule",
        "spec.backup.schedule: needs a resource name (metadata.name) of at most 36 characters: the CronJob that runs the schedule is named NAME-backup-schedule, and Kubernetes allows a CronJob 52 characters; choose a shorter name, or remove spec.backup.schedule",
      ],
    ],
  );
  assert.deepEqual(validateMySQL(resource(ORIGINAL, { metadata: long })), [], "a long name without a schedule is fine");
  assert.deepEqual(validateMySQL(resource({ ...ORIGINAL, backup: { schedule: "@daily" } }, { metadata: { name: long.name.slice(1) } })), []);
});

test("unknown fields are rejected at every level, naming the field", () => {
  const table: [Record<string, unknown>, string][] = [
    [resource(ORIGINAL, { usless_data: "useless info" }), 'unknown field "usless_data" (known fields: apiVersion, kind, metadata, spec, status)'],
    [
      resource({ ...ORIGINAL, usless_data: "useless info" }),
      'spec: unknown field "usless_data" (known fields: image, database, password, passwordSecretRef, storage_size, storageClassName, backup, restore, hostPath, resources, jobResources)',
    ],
    [
      resource({ database: "d", storage_size: "1Gi", passwordSecretRef: { name: "s", key: "k", namespace: "x" } }),
      'spec.passwordSecretRef: unknown field "namespace" (known fields: name, key)',
    ],
    [
      resource(ORIGINAL, { status: { backup: { when: "now" } } }),
      'status.backup: unknown field "when" (known fields: lastSucceeded, job, dumpFile, sizeBytes, sha256, created, scheduled)',
    ],
  ];
  for (const [doc, want] of table) {
    const issues = validateMySQL(doc);
    assert.deepEqual(
      issues.map((i) => i.message),
      [want],
    );
    assert.equal(issues[0]!.rule, "additionalProperties");
  }
});

test("password or passwordSecretRef: exactly one", () => {
  const none = validateMySQL(resource({ database: "d", storage_size: "1Gi" }));
  assert.deepEqual(
    none.map((i) => i.message),
    ['spec: set exactly one of "password", "passwordSecretRef", got none'],
  );
  const both = validateMySQL(resource({ ...ORIGINAL, passwordSecretRef: { name: "s", key: "k" } }));
  assert.deepEqual(
    both.map((i) => i.message),
    ['spec: set exactly one of "password", "passwordSecretRef", got "password" and "passwordSecretRef"'],
  );
});

test("required fields, types, apiVersion/kind and the resource name", () => {
  const table: [Record<string, unknown>, string[]][] = [
    [resource({ password: "p" }), ['spec: missing required field "database"', 'spec: missing required field "storage_size"']],
    [{ ...resource(ORIGINAL), apiVersion: "otus.homework/v2" }, ['apiVersion: must be "otus.homework/v1", got "otus.homework/v2"']],
    [{ ...resource(ORIGINAL), kind: "MySql" }, ['kind: must be "MySQL", got "MySql"']],
    [{ apiVersion: "otus.homework/v1", kind: "MySQL", metadata: { name: "m" } }, ['missing required field "spec"']],
    [resource({ ...ORIGINAL, image: 5 }), ["spec.image: must be a string, got 5"]],
    [
      resource(ORIGINAL, { metadata: { name: "Mysql_1" } }),
      ['metadata.name: must be a DNS-1035 label (lower-case letters, digits and "-", starting with a letter) because it names the Service, got "Mysql_1"'],
    ],
    [resource(ORIGINAL, { metadata: { name: "m".repeat(52) } }), ["metadata.name: must be at most 51 characters long, got 52"]],
    [
      resource(ORIGINAL, { status: { conditions: [{ type: "Ready", status: "Yes", reason: "R", message: "", lastTransitionTime: "yesterday" }] } }),
      [
        'status.conditions[0].status: must be one of "True", "False", "Unknown", got "Yes"',
        'status.conditions[0].lastTransitionTime: must be in date-time format (RFC 3339, e.g. 2026-01-31T12:00:00Z), got "yesterday"',
      ],
    ],
    [[] as unknown as Record<string, unknown>, ["must be an object (a mapping of fields), got a list"]],
  ];
  for (const [doc, want] of table)
    assert.deepEqual(
      validateMySQL(doc)
        .map((i) => i.message)
        .sort(),
      [...want].sort(),
      JSON.stringify(doc),
    );
});

test("resources and jobResources: a request above its limit is refused, naming the field and the fix; amounts compare whatever their form", () => {
  const refused = validateMySQL(resource({ ...ORIGINAL, resources: { requests: { cpu: "250m", memory: "2Gi" }, limits: { memory: "1Gi" } } }));
  assert.deepEqual(
    refused.map((i) => [i.path.join("."), i.rule]),
    [["spec.resources.requests.memory", "x-kubernetes-validations"]],
  );
  assert.match(
    refused[0]!.message,
    /^spec\.resources\.requests\.memory: must not exceed resources\.limits\.memory: .*Raise limits\.memory as well, or lower the request/,
  );
  const job = validateMySQL(resource({ ...ORIGINAL, jobResources: { requests: { cpu: 2 }, limits: { cpu: "1999m" } } }));
  assert.deepEqual(
    job.map((i) => i.path.join(".")),
    ["spec.jobResources.requests.cpu"],
  );
  for (const resources of [
    { requests: { cpu: "0.5", memory: "1024Mi" }, limits: { cpu: "500m", memory: "1Gi" } },
    { requests: { memory: 1073741824 }, limits: { memory: "1Gi" } },
    { requests: { memory: "4Gi" } },
  ])
    assert.deepEqual(validateMySQL(resource({ ...ORIGINAL, resources })), [], JSON.stringify(resources));
});
