import { test } from "node:test";
import assert from "node:assert/strict";
import { createJsonLogger, parseLogLevel } from "../../src/runtime/logger.ts";

test("every line is one JSON object carrying the bound fields; levels below the threshold are dropped", () => {
  const lines: string[] = [];
  const log = createJsonLogger({ level: "info", write: (l) => lines.push(l), now: () => new Date("2026-01-01T00:00:00Z") });
  const scoped = log.child({ controller: "widget" }).child({ key: "ns/a" });
  scoped.debug("hidden");
  scoped.info("reconciled", { took: 3 });
  scoped.error("failed", { error: new Error("boom") });
  assert.equal(lines.length, 2);
  assert.deepEqual(JSON.parse(lines[0]!), { ts: "2026-01-01T00:00:00.000Z", level: "info", msg: "reconciled", controller: "widget", key: "ns/a", took: 3 });
  assert.equal(JSON.parse(lines[1]!).error, "boom");
  assert.equal(JSON.parse(lines[1]!).key, "ns/a");
});

test("parseLogLevel accepts the four levels only", () => {
  assert.equal(parseLogLevel("debug"), "debug");
  assert.throws(() => parseLogLevel("verbose"), /unknown log level/);
});

test("describeError keeps HTTP codes and the cause of network errors", async () => {
  const { describeError } = await import("../../src/runtime/logger.ts");
  const refused = new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }) });
  assert.equal(describeError(refused), "fetch failed: ECONNREFUSED connect ECONNREFUSED 127.0.0.1:1");
  assert.equal(describeError(Object.assign(new Error("conflict"), { code: 409 })), "conflict (HTTP 409)");
  assert.equal(describeError("plain"), "plain");
});

test("objects logged whole do not leak secrets: Secret data and the values of the schema's sensitive keys are redacted", () => {
  const lines: string[] = [];
  const log = createJsonLogger({ level: "debug", write: (l) => lines.push(l), sensitiveKeys: ["password", "accessKey"] }).child({ controller: "c" });
  const resource = {
    apiVersion: "otus.homework/v1",
    kind: "MySQL",
    metadata: { name: "m" },
    spec: { database: "otus-database", password: "otuspassword", passwordSecretRef: { name: "m-password", key: "password" } },
  };
  const secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "m-password" },
    data: { password: Buffer.from("s3cr3t-value").toString("base64") },
    stringData: { other: "plain-s3cr3t" },
  };
  log.debug("reconciling", { resource, children: [secret], other: { accessKey: "tok-123" } });
  const line = lines[0] ?? "";
  for (const leaked of ["otuspassword", Buffer.from("s3cr3t-value").toString("base64"), "plain-s3cr3t", "tok-123"]) {
    assert.ok(!line.includes(leaked), `log line contains '${leaked}': ${line}`);
  }
  const record = JSON.parse(line);
  assert.equal(record.resource.spec.database, "otus-database", "the rest of the object is kept");
  assert.deepEqual(record.resource.spec.passwordSecretRef, { name: "m-password", key: "password" }, "a reference to a Secret is not a secret");
  assert.deepEqual(Object.keys(record.children[0].data), ["password"], "Secret keys stay visible, values do not");
  assert.equal(resource.spec.password, "otuspassword", "the caller's object is not modified");
});

test("describeError of a client-node ApiException: the API server's message and code, not the JSON dump of body and headers", async () => {
  const { describeError } = await import("../../src/runtime/logger.ts");
  const { ApiException } = await import("@kubernetes/client-node");
  const body = {
    kind: "Status",
    code: 422,
    reason: "Invalid",
    message: 'Secret "m" is invalid: data[a b]: Invalid value',
    details: { causes: [{ field: "data[a b]" }] },
  };
  const error = new ApiException(422, "Unknown API Status Code!", body, { "audit-id": "abc", "set-cookie": "session=s3cr3t" });
  const text = describeError(error);
  assert.equal(text, 'Secret "m" is invalid: data[a b]: Invalid value (HTTP 422)');
  const noBody = new ApiException(500, "Unknown API Status Code!", "<html>proxy error</html>", { "set-cookie": "session=s3cr3t" });
  assert.ok(!describeError(noBody).includes("s3cr3t"), describeError(noBody));
  assert.match(describeError(noBody), /HTTP 500/);
});

test("describeError does not call a DOMException's legacy code an HTTP status", async () => {
  const { describeError } = await import("../../src/runtime/logger.ts");
  const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
  assert.equal(describeError(timeout), "The operation was aborted due to timeout");
});

test("text format: time, level and message first, then the fields as key=value, redacted like JSON", () => {
  const lines: string[] = [];
  const log = createJsonLogger({
    level: "info",
    format: "text",
    sensitiveKeys: ["password"],
    write: (l) => lines.push(l),
    now: () => new Date("2026-01-01T00:00:00Z"),
  });
  const scoped = log.child({ controller: "widget", key: "ns/a" });
  scoped.debug("hidden");
  scoped.info("created ConfigMap ns/a-config");
  scoped.warn("retrying", { error: new Error("connection refused"), attempt: 2, spec: { password: "pw-456", size: "1Gi" } });
  assert.deepEqual(lines, [
    "2026-01-01T00:00:00.000Z INFO  created ConfigMap ns/a-config  controller=widget key=ns/a",
    '2026-01-01T00:00:00.000Z WARN  retrying  controller=widget key=ns/a error="connection refused" attempt=2 spec={"password":"[redacted]","size":"1Gi"}',
  ]);
});

test("parseLogFormat accepts json and text only", async () => {
  const { parseLogFormat } = await import("../../src/runtime/logger.ts");
  assert.equal(parseLogFormat("text"), "text");
  assert.equal(parseLogFormat("json"), "json");
  assert.throws(() => parseLogFormat("pretty"), /unknown log format 'pretty' \(json, text\)/);
});
