// A pid names a process only while that process lives: the kernel hands it to the next process that starts. The
// process node signals its containers (stop, probe failure, pod gone) possibly after they ended, so a signal must
// reach the identified process or nobody — never a process that reused the pid. Real processes (sleep).
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { after, describe, test } from "node:test";
import { identify, isProcessAlive, signalIfSame } from "../../src/envtest/process-identity.ts";

describe("signalIfSame", () => {
  const children: ChildProcess[] = [];
  after(() => children.forEach((c) => c.kill("SIGKILL")));

  function sleeper(): ChildProcess & { pid: number } {
    const child = spawn("sleep", ["60"], { stdio: "ignore" });
    children.push(child);
    assert.ok(child.pid !== undefined);
    return child as ChildProcess & { pid: number };
  }

  test("signals the identified process", async () => {
    const child = sleeper();
    const identity = identify(child.pid);
    assert.ok(identity !== undefined, "a live process is identified");
    const exit = once(child, "exit");
    assert.equal(signalIfSame(identity, "SIGKILL"), true);
    assert.deepEqual(await exit, [null, "SIGKILL"]);
  });

  test("leaves alone a process that holds the pid under another identity (a recycled pid)", () => {
    const child = sleeper();
    const identity = identify(child.pid);
    assert.ok(identity !== undefined);
    // The same pid, but started at another time: what a late kill sees once the kernel recycled the pid.
    assert.equal(signalIfSame({ pid: child.pid, startTime: `${Number(identity.startTime) - 1}` }, "SIGKILL"), false);
    assert.equal(isProcessAlive(child.pid), true, "the process that reused the pid still runs");
  });

  test("does nothing for a process that is gone or was never identified", async () => {
    const child = sleeper();
    const identity = identify(child.pid);
    child.kill("SIGKILL");
    await once(child, "exit");
    assert.equal(identify(child.pid), undefined, "a reaped process cannot be identified");
    assert.equal(signalIfSame(identity, "SIGTERM"), false);
    assert.equal(signalIfSame(undefined, "SIGTERM"), false);
  });
});
