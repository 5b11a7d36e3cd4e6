/** The kubectl helper's own deadline: never shorter than what the kubectl run itself was told to wait. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { goDurationMs, kubectlDeadlineMs } from "./control-plane.ts";

test("Go durations as kubectl's --timeout= takes them", () => {
  assert.equal(goDurationMs("180s"), 180_000);
  assert.equal(goDurationMs("2m"), 120_000);
  assert.equal(goDurationMs("1m30s"), 90_000);
  assert.equal(goDurationMs("1h"), 3_600_000);
  assert.equal(goDurationMs("500ms"), 500);
  assert.equal(goDurationMs("soon"), undefined);
  assert.equal(goDurationMs("10"), undefined);
});

test("a kubectl run told to wait N is let run past N: the helper never kills it at a shorter deadline of its own", () => {
  for (const timeout of ["60s", "120s", "180s", "240s", "5m"]) {
    const deadline = kubectlDeadlineMs(["delete", "mysqls.otus.homework", "x", "--wait=true", `--timeout=${timeout}`]);
    assert.ok(deadline > (goDurationMs(timeout) ?? Infinity), `--timeout=${timeout}: killed after ${deadline} ms`);
  }
  assert.ok(kubectlDeadlineMs(["apply", "-f", "-"]) >= 120_000, "a generous deadline for any other run on a loaded machine");
});
