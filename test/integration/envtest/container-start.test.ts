// A container's command runs in its sandbox's root, with its volumes, however slowly the sandbox gets there: the node
// joins the sandbox (nsenter --root --wd, from its PID 1) only once that PID 1 is in the container's root and working
// directory. Real sandboxes (util-linux, mounts), so root is needed; no pod, no API server.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ContainerProcess, type NodeTools } from "../../../src/envtest/process-node/container-process.ts";
import { findNodeTools } from "../../../src/envtest/process-node/support.ts";
import { processNodeSkip } from "../../helpers/process-node.ts";

/** The line of sandbox.sh after which its PID 1 enters the container's root (the last step of the set-up). */
const ENTER_ROOT = /^exec chroot /m;

describe("a container start on the process node", { skip: processNodeSkip() }, () => {
  let dir: string;
  let tools: NodeTools;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "mysqlop-container-start-"));
    tools = findNodeTools();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs `script` with /data bound to a volume holding `data/file`, through `sandboxScript`; its exit and log. */
  async function run(name: string, sandboxScript: string): Promise<{ exitCode: number; log: string }> {
    const volume = join(dir, name, "volume");
    mkdirSync(volume, { recursive: true });
    writeFileSync(join(volume, "file"), "in the volume\n");
    mkdirSync(join(dir, name, "container"), { recursive: true, mode: 0o700 });
    const logFile = join(dir, name, "log");
    const container = await ContainerProcess.start({
      tools: { ...tools, sandboxScript },
      plan: {
        containerDir: join(dir, name, "container"),
        readOnlyRoot: false,
        mounts: [{ source: volume, target: "/data", readOnly: true }],
        workingDir: "/data",
        hostname: name,
      },
      command: ["/bin/sh", "-c", 'cat /data/file && printf "cwd=%s\\n" "$(pwd -P)"'],
      env: new Map([["PATH", "/usr/bin:/bin"]]),
      identity: { uid: 0, gid: 0, groups: [], noNewPrivileges: true, capabilities: [] },
      logFile,
      onProcess: () => {},
      onProcessGone: () => {},
      setupTimeoutMs: 60_000,
    });
    const exit = await container.exited;
    return { exitCode: exit.exitCode, log: readFileSync(logFile, "utf8") };
  }

  test("the command sees its volume and working directory", async () => {
    const { exitCode, log } = await run("plain", tools.sandboxScript);
    assert.equal(log, "in the volume\ncwd=/data\n");
    assert.equal(exitCode, 0);
  });

  test("a sandbox slow to enter the container's root: the command still starts inside it, not in the machine's root", async () => {
    // The same script, held for 2 s right before its PID 1 enters the root (as a loaded machine may hold it): a node
    // that joined the sandbox before that would run the command in the machine's root, where /data is not mounted.
    const script = readFileSync(tools.sandboxScript, "utf8");
    assert.match(script, ENTER_ROOT, "sandbox.sh enters the container's root with exec chroot");
    const slow = join(dir, "slow-sandbox.sh");
    writeFileSync(slow, script.replace(ENTER_ROOT, "sleep 2\n$&"), { mode: 0o755 });
    const { exitCode, log } = await run("slow", slow);
    assert.equal(log, "in the volume\ncwd=/data\n", "the command ran in the container's root and working directory");
    assert.equal(exitCode, 0);
  });
});
