/** `mysqlop run`'s signal handling: the first SIGTERM/SIGINT stops the manager gracefully, a second exits at once. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { stopOnSignals } from "../../../src/cli/run/signals.ts";
import type { Manager } from "../../../src/runtime/index.ts";

test("first signal: manager.stop(); second signal: exit 1 at once; dispose removes the handlers", () => {
  const calls: string[] = [];
  const quiet = { info: () => {}, warn: () => {}, debug: () => {}, error: () => {}, child: () => quiet };
  const manager = { log: quiet, stop: async () => void calls.push("stop") } as unknown as Manager;
  const before = process.listenerCount("SIGTERM");
  const dispose = stopOnSignals(manager, ((code: number) => {
    calls.push(`exit ${code}`);
    return undefined as never;
  }) as (code: number) => never);
  try {
    process.emit("SIGTERM", "SIGTERM");
    assert.deepEqual(calls, ["stop"]);
    process.emit("SIGINT", "SIGINT");
    assert.deepEqual(calls, ["stop", "exit 1"]);
  } finally {
    dispose();
  }
  assert.equal(process.listenerCount("SIGTERM"), before);
});
