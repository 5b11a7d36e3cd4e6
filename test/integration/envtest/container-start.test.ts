// A container's command runs in its sandbox's root, with its volumes, however slowly the sandbox gets there: the node
// joins the sandbox (nsenter --root --wd, from its PID 1) only once that PID 1 is in the container's root and working
// directory; and a pod that goes away while its container starts leaves nothing of it running. Real sandboxes
// (util-linux, mounts), so root is needed; pod workers with no API server behind them.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { V1Pod } from "@kubernetes/client-node";
import { ContainerProcess, type NodeTools } from "../../../src/envtest/process-node/container-process.ts";
import { PodWorker } from "../../../src/envtest/process-node/pod-worker.ts";
import { findNodeTools } from "../../../src/envtest/process-node/support.ts";
import { createJsonLogger } from "../../../src/runtime/index.ts";
import { eventually } from "../../helpers/eventually.ts";
import { pidNamespaceOf, processesInNamespace, processesWith, processNodeSkip } from "../../helpers/process-node.ts";

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

  function killQuietly(pid: number): void {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
  }

  /**
   * A pod worker whose container runs `sleep 3600` behind a sandbox held right before it enters the container's root
   * until the test releases it: the start is in flight, for sure, between `held` and `release`.
   */
  function heldPod(name: string): { worker: PodWorker; held: string; release: string; marker: string } {
    const base = join(dir, name);
    mkdirSync(base, { recursive: true });
    const held = join(base, "held");
    const release = join(base, "release");
    const script = join(base, "held-sandbox.sh");
    const hold = `: > '${held}'\nwhile [ ! -e '${release}' ]; do sleep 0.05; done\n$&`;
    writeFileSync(script, readFileSync(tools.sandboxScript, "utf8").replace(ENTER_ROOT, hold), { mode: 0o755 });
    const marker = `mysqlop-start-in-flight-${name}-${process.pid}`;
    const pod: V1Pod = {
      metadata: { namespace: "default", name, uid: `uid-${name}` },
      spec: { nodeName: "process-node", containers: [{ name: "main", image: "busybox", command: ["/bin/sh", "-c", `sleep 3600; echo ${marker}`] }] },
    };
    const worker = new PodWorker(pod, {
      nodeName: "process-node",
      hostIP: "10.244.255.1",
      tools: { ...tools, sandboxScript: script },
      hostRoot: join(base, "host"),
      podsDir: join(base, "pods"),
      lookup: { configMap: async () => undefined, secret: async () => undefined, claim: async () => undefined, persistentVolume: async () => undefined },
      allocateIP: () => "10.244.0.2",
      releaseIP: () => {},
      hostsFile: () => "127.0.0.1 localhost\n",
      patchStatus: async () => {},
      deletePod: async () => {},
      event: () => {},
      processStarted: () => {},
      processGone: () => {},
      log: createJsonLogger({ level: "error" }),
    });
    return { worker, held, release, marker };
  }

  /** Stops a pod while its container starts (`stop`), then releases the start: `stop` must end, and the container with it. */
  async function stopWhileStarting(name: string, stop: (worker: PodWorker) => Promise<void>): Promise<void> {
    const { worker, held, release, marker } = heldPod(name);
    await eventually(`the sandbox of ${name} is held`, async () => existsSync(held), 60_000);
    const stopping = stop(worker);
    writeFileSync(release, "");
    const timer = new AbortController();
    try {
      // Bounded, not timed: the container would sleep an hour; the worker kills it at once, or never does.
      const outcome = await Promise.race([stopping.then(() => "stopped"), sleep(60_000, "still waiting", { signal: timer.signal })]);
      const left = processesWith(marker);
      assert.deepEqual(left, [], `the container started while ${name} was stopping still runs (pids ${left.join(", ")})`);
      assert.equal(outcome, "stopped", "the worker returns once its container is gone");
    } finally {
      timer.abort();
      // On failure, the test still leaves nothing behind: the container's whole PID namespace goes. The marker is
      // also on the command lines of the node's setpriv and nsenter, which live in the machine's own namespace:
      // that one is never a container's.
      const own = pidNamespaceOf(process.pid);
      for (const pid of processesWith(marker)) {
        const ns = pidNamespaceOf(pid);
        if (ns === undefined || ns === own) continue;
        for (const p of processesInNamespace(ns)) killQuietly(p);
      }
      await stopping;
    }
  }

  test("a pod deleted while its container starts: the container is killed once started, and the deletion waits for it", async () => {
    await stopWhileStarting("deleted", (worker) => worker.gone());
  });

  test("the node stops while a container starts: the container is killed once started, and the stop waits for it", async () => {
    await stopWhileStarting("node-stop", (worker) => worker.shutdown(10_000));
  });
});
