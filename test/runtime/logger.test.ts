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
