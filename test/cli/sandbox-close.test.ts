/**
 * closeSandbox removes only the kubeconfigs its session wrote and that still hold what it wrote: a second sandbox
 * started at the same stable paths (another terminal) rewrote them, and stopping the first must not take the second's
 * away. The control plane is a stand-in here: what is tested is the file handling (the real start and stop are in
 * test/integration/cli/).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { closeSandbox } from "../../src/cli/sandbox/session.ts";
import type { ControlPlane } from "../../src/envtest/index.ts";

test("closeSandbox removes the kubeconfigs it wrote, leaves one another sandbox rewrote since, and stops its control plane", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "mysqlop-sandbox-close-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const admin = join(dir, "kubeconfig");
  const operator = join(dir, "operator.kubeconfig");
  await writeFile(admin, "server: https://127.0.0.1:40001 # this sandbox\n");
  await writeFile(operator, "server: https://127.0.0.1:40001 # this sandbox, as the operator\n");
  const kubeconfigs = new Map([
    [admin, "server: https://127.0.0.1:40001 # this sandbox\n"],
    [operator, "server: https://127.0.0.1:40001 # this sandbox, as the operator\n"],
    [join(dir, "gone"), "removed by hand meanwhile\n"],
  ]);
  // A second sandbox started at the same paths rewrote the admin kubeconfig.
  await writeFile(admin, "server: https://127.0.0.1:40002 # the other sandbox\n");
  let stops = 0;
  const cp = { stop: async () => void stops++ } as unknown as ControlPlane;
  await closeSandbox({ cp, kubeconfigs });
  assert.equal(await readFile(admin, "utf8"), "server: https://127.0.0.1:40002 # the other sandbox\n", "the other sandbox's kubeconfig is kept");
  assert.equal(existsSync(operator), false, "this sandbox's own kubeconfig is removed");
  assert.equal(stops, 1);
});
