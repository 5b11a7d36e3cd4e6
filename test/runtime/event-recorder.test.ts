import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeRest } from "../../src/runtime/kube-rest.ts";
import { KubeEventRecorder } from "../../src/runtime/event-recorder.ts";

test("each new Event series is also one log line (info for Normal, warn for Warning); repeats only raise the count", async () => {
  const requests: string[] = [];
  const rest = {
    request: async (method: string) => {
      requests.push(method);
      return {};
    },
  } as unknown as KubeRest;
  const lines: string[] = [];
  const log = {
    debug: () => {},
    info: (msg: string, fields?: Record<string, unknown>) => lines.push(`info ${msg} ${String(fields?.object)}`),
    warn: (msg: string, fields?: Record<string, unknown>) => lines.push(`warn ${msg} ${String(fields?.object)}`),
    error: () => {},
  };
  const events = new KubeEventRecorder({ rest, component: "gadgetop", log });
  const gadget = { apiVersion: "example.test/v1", kind: "Gadget", metadata: { name: "g1", namespace: "ns", uid: "u1" } };
  events.normal(gadget, "Created", "g1 created");
  events.warning(gadget, "BackupFailed", "backup-g1-job failed");
  events.warning(gadget, "BackupFailed", "backup-g1-job failed");
  await events.flush();
  assert.deepEqual(lines, ["info event Created: g1 created Gadget ns/g1", "warn event BackupFailed: backup-g1-job failed Gadget ns/g1"]);
  assert.ok(requests.length >= 2);
});
