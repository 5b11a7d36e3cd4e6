import { test } from "node:test";
import assert from "node:assert/strict";
import { startHealthServer } from "../../src/runtime/health-server.ts";
import { createRuntimeMetrics } from "../../src/runtime/metrics.ts";

test("/healthz, /readyz answer 200 or 503 with reasons; /metrics serves Prometheus text", async () => {
  let problems: string[] = ["informer Widget: cache not synced"];
  const metrics = createRuntimeMetrics();
  metrics.reconcileTotal.inc({ controller: "widget", result: "success" });
  const server = await startHealthServer({ port: 0, host: "127.0.0.1", healthz: () => [], readyz: () => problems, registry: metrics.registry });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const notReady = await fetch(`${base}/readyz`);
    assert.equal(notReady.status, 503);
    assert.match(await notReady.text(), /cache not synced/);
    problems = [];
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, /controller_runtime_reconcile_total\{controller="widget",result="success"\} 1/);
    assert.match(text, /process_resident_memory_bytes/);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
  } finally {
    await server.close();
  }
});
