/**
 * The offline validator (`mysqlop validate`) and the API server with the generated CRD
 * must agree: every document below is sent to a real kube-apiserver (server-side dry
 * run, strict field validation) and checked offline, and both accept or both reject it.
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

const cases: [string, Record<string, unknown>, boolean][] = [
  ["the original", doc("original", ORIGINAL), true],
  ["defaults: no image", doc("no-image", { database: "d", password: "p", storage_size: "1Gi" }), true],
  [
    "passwordSecretRef and storageClassName",
    doc("secret-ref", { database: "d", passwordSecretRef: { name: "root", key: "password" }, storage_size: "2Gi", storageClassName: "standard" }),
    true,
  ],
  ["hostile but legal database name", doc("hostile", { ...ORIGINAL, database: 'it\'s `x` $HOME; "q"\nnext données' }), true],
  ["64-character database name", doc("long-db", { ...ORIGINAL, database: "d".repeat(64) }), true],
  ["usless_data at the top", doc("useless-top", ORIGINAL, { usless_data: "useless info" }), false],
  ["usless_data under spec", doc("useless-spec", { ...ORIGINAL, usless_data: "useless info" }), false],
  [
    "unknown field in passwordSecretRef",
    doc("useless-ref", { database: "d", storage_size: "1Gi", passwordSecretRef: { name: "s", key: "k", namespace: "x" } }),
    false,
  ],
  ["storage_size lots", doc("bad-size", { ...ORIGINAL, storage_size: "lots" }), false],
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

  for (const [label, body, valid] of cases) {
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
    });
  }
});
