/**
 * The offline validator (`mysqlop validate`) and the API server with the generated CRD
 * must agree: every document below is sent to a real kube-apiserver (server-side dry
 * run, strict field validation) and checked offline, and both accept or both reject it.
 * A refusal names the field on both sides, and the rule where the case says which words
 * must appear (a pattern's hint offline is the regular expression on the API server).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ApiException, CustomObjectsApi } from "@kubernetes/client-node";
import { validateMySQL } from "../../../generated/mysql-validator.ts";
import { startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";

const ORIGINAL = { image: "mysql:5.7", database: "otus-database", password: "otuspassword", storage_size: "1Gi" };

function doc(name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: "otus.homework/v1", kind: "MySQL", metadata: { name }, spec, ...extra };
}

const OWN_SCHEMA = "must not be one of MySQL's own schemas";
const PASSWORD_BYTES = "must be at most 256 bytes in UTF-8";
const REQUEST_ABOVE_LIMIT = "Kubernetes refuses";
const IMAGE_DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;

/** Label, document, accepted?, and for a refusal: the field, and words both messages must hold. */
const cases: [string, Record<string, unknown>, boolean, string?, string?][] = [
  ["the original", doc("original", ORIGINAL), true],
  ["defaults: no image", doc("no-image", { database: "d", password: "p", storage_size: "1Gi" }), true],
  [
    "passwordSecretRef and storageClassName",
    doc("secret-ref", { database: "d", passwordSecretRef: { name: "root", key: "password" }, storage_size: "2Gi", storageClassName: "standard" }),
    true,
  ],
  ["hostile but legal database name", doc("hostile", { ...ORIGINAL, database: 'it\'s `x` $HOME; "q" next données' }), true],
  ["database with a terminal escape", doc("escape-db", { ...ORIGINAL, database: "x\u001b]0;pwned\u0007\u001b[2J" }), false, "spec.database"],
  ["database with a newline", doc("newline-db", { ...ORIGINAL, database: "a\nb" }), false, "spec.database"],
  ["database with DEL", doc("del-db", { ...ORIGINAL, database: "a\u007fb" }), false, "spec.database"],
  ["database with a C1 control (CSI)", doc("c1-db", { ...ORIGINAL, database: "a\u009b2J" }), false, "spec.database"],
  ["database just above the C1 controls", doc("nbsp-db", { ...ORIGINAL, database: "a\u00a0b" }), true],
  ["database mysql", doc("own-mysql", { ...ORIGINAL, database: "mysql" }), false, "spec.database", OWN_SCHEMA],
  ["database MySQL (letter case)", doc("own-mysql-case", { ...ORIGINAL, database: "MySQL" }), false, "spec.database", OWN_SCHEMA],
  ["database SYS", doc("own-sys", { ...ORIGINAL, database: "SYS" }), false, "spec.database", OWN_SCHEMA],
  ["database Performance_Schema", doc("own-ps", { ...ORIGINAL, database: "Performance_Schema" }), false, "spec.database", OWN_SCHEMA],
  ["database information_schema", doc("own-is", { ...ORIGINAL, database: "information_schema" }), false, "spec.database", OWN_SCHEMA],
  ["database mysqlx (not a schema of MySQL)", doc("mysqlx", { ...ORIGINAL, database: "mysqlx" }), true],
  ["password of 256 ASCII characters", doc("pw-256", { ...ORIGINAL, password: "p".repeat(256) }), true],
  ["password of 257 ASCII characters", doc("pw-257", { ...ORIGINAL, password: "p".repeat(257) }), false, "spec.password"],
  ["password of 128 two-byte characters (256 bytes)", doc("pw-e128", { ...ORIGINAL, password: "é".repeat(128) }), true],
  ["password of 129 two-byte characters (258 bytes)", doc("pw-e129", { ...ORIGINAL, password: "é".repeat(129) }), false, "spec.password", PASSWORD_BYTES],
  [
    "password of 65 four-byte characters (260 bytes)",
    doc("pw-emoji", { ...ORIGINAL, password: "\u{1F42C}".repeat(65) }),
    false,
    "spec.password",
    PASSWORD_BYTES,
  ],
  [
    "resources: request at its limit, in other forms (1024Mi, 1Gi)",
    doc("res-equal", { ...ORIGINAL, resources: { requests: { cpu: "0.5", memory: "1024Mi" }, limits: { cpu: "500m", memory: "1Gi" } } }),
    true,
  ],
  ["resources: integer CPU request below its limit", doc("res-int", { ...ORIGINAL, resources: { requests: { cpu: 1 }, limits: { cpu: "1500m" } } }), true],
  [
    "resources: memory request above its limit",
    doc("res-mem", { ...ORIGINAL, resources: { requests: { memory: "2Gi" }, limits: { memory: "1Gi" } } }),
    false,
    "spec.resources.requests.memory",
    REQUEST_ABOVE_LIMIT,
  ],
  [
    "resources: CPU request above its limit (2 > 1500m)",
    doc("res-cpu", { ...ORIGINAL, resources: { requests: { cpu: 2 }, limits: { cpu: "1500m" } } }),
    false,
    "spec.resources.requests.cpu",
    REQUEST_ABOVE_LIMIT,
  ],
  [
    "jobResources: memory request above its limit",
    doc("job-mem", { ...ORIGINAL, jobResources: { requests: { memory: "300Mi" }, limits: { memory: "256Mi" } } }),
    false,
    "spec.jobResources.requests.memory",
    REQUEST_ABOVE_LIMIT,
  ],
  ["image mysql:8.4", doc("img-84", { ...ORIGINAL, image: "mysql:8.4" }), true],
  ["image with registry, port and digest", doc("img-full", { ...ORIGINAL, image: `registry.example.com:5000/db/my-sql:8.4@${IMAGE_DIGEST}` }), true],
  ["image by digest only", doc("img-digest", { ...ORIGINAL, image: `mysql@${IMAGE_DIGEST}` }), true],
  ["image with a shell command", doc("img-shell", { ...ORIGINAL, image: "mysql:8.4; rm -rf /" }), false, "spec.image"],
  ["image with upper case in the path", doc("img-case", { ...ORIGINAL, image: "MySQL:8.4" }), false, "spec.image"],
  ["image with a trailing newline", doc("img-nl", { ...ORIGINAL, image: "mysql:8.4\n" }), false, "spec.image"],
  ["image with an empty tag", doc("img-tag", { ...ORIGINAL, image: "mysql:" }), false, "spec.image"],
  ["64-character database name", doc("long-db", { ...ORIGINAL, database: "d".repeat(64) }), true],
  ["usless_data at the top", doc("useless-top", ORIGINAL, { usless_data: "useless info" }), false],
  ["usless_data under spec", doc("useless-spec", { ...ORIGINAL, usless_data: "useless info" }), false],
  [
    "unknown field in passwordSecretRef",
    doc("useless-ref", { database: "d", storage_size: "1Gi", passwordSecretRef: { name: "s", key: "k", namespace: "x" } }),
    false,
  ],
  [
    "resources as in a pod spec: numbers, fractions and suffixes",
    doc("resources", { ...ORIGINAL, resources: { requests: { cpu: 2, memory: "4Gi" }, limits: { cpu: "2.5", memory: 4294967296 } } }),
    true,
  ],
  ["jobResources with memory only", doc("job-resources", { ...ORIGINAL, jobResources: { requests: { memory: "64Mi" } } }), true],
  ["resources with a word for CPU", doc("bad-cpu", { ...ORIGINAL, resources: { requests: { cpu: "lots" } } }), false, "spec.resources.requests.cpu"],
  ["resources with a negative memory limit", doc("neg-mem", { ...ORIGINAL, resources: { limits: { memory: "-1Gi" } } }), false, "spec.resources.limits.memory"],
  ["resources with GPUs (not a field)", doc("gpu", { ...ORIGINAL, resources: { limits: { "nvidia.com/gpu": 1 } } }), false],
  ["storage_size lots", doc("bad-size", { ...ORIGINAL, storage_size: "lots" }), false],
  ["backup.schedule every minute", doc("cron-minute", { ...ORIGINAL, backup: { schedule: "* * * * *" } }), true],
  ["backup.schedule with lists, ranges, steps and names", doc("cron-rich", { ...ORIGINAL, backup: { schedule: "5,35 */2 ? JAN MON-FRI" } }), true],
  ["backup.schedule @daily", doc("cron-macro", { ...ORIGINAL, backup: { schedule: "@daily" } }), true],
  ["backup.schedule with minute 60", doc("cron-minute-60", { ...ORIGINAL, backup: { schedule: "60 * * * *" } }), false, "spec.backup.schedule"],
  ["backup.schedule with hour 24", doc("cron-hour-24", { ...ORIGINAL, backup: { schedule: "0 24 * * *" } }), false, "spec.backup.schedule"],
  [
    "backup.schedule with a month name that is none",
    doc("cron-month-xyz", { ...ORIGINAL, backup: { schedule: "0 0 * XYZ *" } }),
    false,
    "spec.backup.schedule",
  ],
  ["backup.schedule at the top of every range", doc("cron-max", { ...ORIGINAL, backup: { schedule: "59 23 31 12 7" } }), true],
  ["backup.schedule of 4 fields", doc("cron-four", { ...ORIGINAL, backup: { schedule: "* * * *" } }), false, "spec.backup.schedule"],
  ["backup.schedule of 6 fields", doc("cron-six", { ...ORIGINAL, backup: { schedule: "0 * * * * *" } }), false, "spec.backup.schedule"],
  ["backup.schedule with TZ=", doc("cron-tz", { ...ORIGINAL, backup: { schedule: "TZ=UTC 0 3 * * *" } }), false, "spec.backup.schedule"],
  ["backup.schedule with a shell command", doc("cron-shell", { ...ORIGINAL, backup: { schedule: "0 3 * * * ; rm -rf /" } }), false, "spec.backup.schedule"],
  [
    "backup.schedule on a 37-character name (its CronJob name would pass 52)",
    doc(`a${"b".repeat(36)}`, { ...ORIGINAL, backup: { schedule: "@daily" } }),
    false,
    "spec.backup.schedule",
    "at most 36 characters",
  ],
  ["backup.schedule on a 36-character name", doc(`a${"b".repeat(35)}`, { ...ORIGINAL, backup: { schedule: "@daily" } }), true],
  ["storage_size 1GB", doc("bad-size-2", { ...ORIGINAL, storage_size: "1GB" }), false],
  ["storage_size as a number", doc("bad-size-3", { ...ORIGINAL, storage_size: 1 }), false],
  ["missing database", doc("no-db", { image: "mysql:5.7", password: "p", storage_size: "1Gi" }), false],
  ["database with a dot", doc("dot-db", { ...ORIGINAL, database: "a.b" }), false],
  ["database with a slash", doc("slash-db", { ...ORIGINAL, database: "a/b" }), false],
  ["database ending in a space", doc("space-db", { ...ORIGINAL, database: "ab " }), false],
  ["database with a character beyond U+FFFF", doc("emoji-db", { ...ORIGINAL, database: "dolphin\u{1F42C}" }), false],
  ["database with a BMP character near U+FFFF", doc("bmp-db", { ...ORIGINAL, database: "last\uFFFD" }), true],
  ["65-character database name", doc("long-db-2", { ...ORIGINAL, database: "d".repeat(65) }), false],
  ["both password and passwordSecretRef", doc("both", { ...ORIGINAL, passwordSecretRef: { name: "s", key: "k" } }), false],
  ["neither password nor passwordSecretRef", doc("neither", { database: "d", storage_size: "1Gi" }), false],
  ["empty image", doc("empty-image", { ...ORIGINAL, image: "" }), false],
  ["storageClassName not a DNS subdomain", doc("bad-class", { ...ORIGINAL, storageClassName: "Fast_SSD" }), false],
  ["a name too long for the children", doc("m".repeat(52), ORIGINAL), false],
  ["the longest name the children allow", doc("m".repeat(51), ORIGINAL), true],
  ["a name that cannot name a Service", doc("1mysql", ORIGINAL), false],
];

describe("offline validator and API server agree", { timeout: 120_000 }, () => {
  let env: MysqlopControlPlane;
  let custom: CustomObjectsApi;

  before(async () => {
    env = await startMysqlopControlPlane();
    custom = env.cp.kubeConfig.makeApiClient(CustomObjectsApi);
  });
  after(() => env?.cp.stop());

  for (const [label, body, valid, field, words] of cases) {
    test(`${label}: ${valid ? "accepted" : "rejected"} by both`, async () => {
      let serverError = "";
      try {
        await custom.createNamespacedCustomObject({
          group: "otus.homework",
          version: "v1",
          namespace: "default",
          plural: "mysqls",
          body,
          dryRun: "All",
          fieldValidation: "Strict",
        });
      } catch (error) {
        if (!(error instanceof ApiException)) throw error;
        serverError = String(error.body);
      }
      const offline = validateMySQL(body);
      assert.equal(serverError === "", valid, `API server: ${serverError || "accepted"}`);
      assert.equal(offline.length === 0, valid, `offline: ${offline.map((i) => i.message).join("; ") || "accepted"}`);
      const offlineText = offline.map((i) => i.message).join("\n");
      for (const expected of [field, words]) {
        if (expected === undefined) continue;
        assert.ok(serverError.includes(expected), `API server names ${JSON.stringify(expected)}: ${serverError}`);
        assert.ok(offlineText.includes(expected), `offline names ${JSON.stringify(expected)}: ${offlineText}`);
      }
    });
  }
});
