import { test } from "node:test";
import assert from "node:assert/strict";
import { ReferenceWatches } from "../../src/runtime/reference-watches.ts";
import type { ObjectReference } from "../../src/runtime/index.ts";

const secret = (name: string): ObjectReference => ({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace: "ns" } });

test("one watch per referenced object, shared by its referrers; a change re-queues them all; released when no last reconcile read it", () => {
  const started: string[] = [];
  const stopped: string[] = [];
  const changes = new Map<string, () => void>();
  const queued: string[] = [];
  const watches = new ReferenceWatches(
    (object, changed) => {
      const name = object.metadata.name ?? "";
      started.push(name);
      changes.set(name, changed);
      return { stop: () => stopped.push(name) };
    },
    (key) => queued.push(key),
  );
  watches.update("ns/a", [secret("root")]);
  watches.update("ns/b", [secret("root"), secret("other")]);
  assert.deepEqual(started, ["root", "other"]);
  assert.equal(watches.size, 2);
  changes.get("root")?.();
  assert.deepEqual(queued.sort(), ["ns/a", "ns/b"]);

  watches.update("ns/a", [secret("root")]);
  assert.deepEqual(started, ["root", "other"], "read again: the same watch");
  watches.update("ns/a", []);
  assert.deepEqual(stopped, [], "still read by ns/b");
  watches.update("ns/b", [secret("other")]);
  assert.deepEqual(stopped, ["root"]);
  assert.deepEqual(watches.referencedBy("ns/b"), [secret("other")]);
  watches.stop();
  assert.deepEqual(stopped, ["root", "other"]);
  assert.equal(watches.size, 0);
});
