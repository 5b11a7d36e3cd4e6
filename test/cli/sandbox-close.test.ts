/**
 * closeSandbox removes the kubeconfigs its session wrote while they name its API server, also after the user changed
 * them with kubectl (which rewrites the whole file), and leaves those a second sandbox started at the same stable
 * paths (another terminal) rewrote for its own server: stopping the first must not take the second's away. The control
 * plane is a stand-in here: what is tested is the file handling (the real start and stop are in test/integration/cli/).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { closeSandbox } from "../../src/cli/sandbox/session.ts";
import type { ControlPlane } from "../../src/envtest/index.ts";

const THIS = "https://127.0.0.1:40001";
const OTHER = "https://127.0.0.1:40002";

/** A kubeconfig as the sandbox writes it, for the API server at `server`. */
function kubeconfig(server: string): string {
  return `apiVersion: v1
kind: Config
clusters:
  - name: mysqlop-envtest
    cluster:
      server: ${server}
      certificate-authority-data: Q0E=
users:
  - name: admin
    user:
      token: t
contexts:
  - name: mysqlop-envtest
    context:
      cluster: mysqlop-envtest
      user: admin
current-context: mysqlop-envtest
`;
}

test("closeSandbox removes its kubeconfigs (also edited by kubectl), leaves one another sandbox rewrote since and what is not a kubeconfig", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "mysqlop-sandbox-close-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const admin = join(dir, "kubeconfig");
  const operator = join(dir, "operator.kubeconfig");
  const edited = join(dir, "edited.kubeconfig");
  const replaced = join(dir, "replaced");
  const kubeconfigs = [admin, operator, edited, replaced, join(dir, "gone")];
  for (const path of [admin, operator, edited]) await writeFile(path, kubeconfig(THIS));
  // A second sandbox started at the same path wrote its own; the user set a namespace with kubectl in another (kubectl
  // writes the file anew, keys sorted); a file that is not a kubeconfig replaced the fourth; the fifth is gone.
  await writeFile(admin, kubeconfig(OTHER));
  await writeFile(
    edited,
    `apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: Q0E=\n    server: ${THIS}\n  name: mysqlop-envtest\ncontexts:\n- context:\n    cluster: mysqlop-envtest\n    namespace: demo\n    user: admin\n  name: mysqlop-envtest\ncurrent-context: mysqlop-envtest\nkind: Config\nusers:\n- name: admin\n  user:\n    token: t\n`,
  );
  await writeFile(replaced, "notes: [unterminated\n");
  let stops = 0;
  const cp = { server: THIS, stop: async () => void stops++ } as unknown as ControlPlane;
  await closeSandbox({ cp, kubeconfigs });
  assert.equal(await readFile(admin, "utf8"), kubeconfig(OTHER), "the other sandbox's kubeconfig is kept");
  assert.equal(existsSync(operator), false, "this sandbox's kubeconfig is removed");
  assert.equal(existsSync(edited), false, "this sandbox's kubeconfig, edited with kubectl, is removed");
  assert.equal(await readFile(replaced, "utf8"), "notes: [unterminated\n", "a file that is not a kubeconfig is kept");
  assert.equal(stops, 1);
});
