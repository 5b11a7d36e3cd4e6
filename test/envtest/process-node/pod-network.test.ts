// Pod addresses and the per-pod hosts file of the process node.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PodAddressBlock, renderHostsFile } from "../../../src/envtest/process-node/pod-network.ts";

describe("renderHostsFile", () => {
  test("short names only for the pod's own namespace; a Service without endpoints goes to the unserved address", () => {
    const text = renderHostsFile(
      { namespace: "a", hostname: "web-1", podIP: "127.5.5.2" },
      [
        { namespace: "a", name: "db", addresses: ["127.5.5.9"] },
        { namespace: "b", name: "db", addresses: ["127.5.5.7"] },
        { namespace: "a", name: "idle", addresses: [] },
      ],
      "127.5.5.1",
    );
    const lines = text.trim().split("\n");
    assert.ok(lines.includes("127.5.5.2\tweb-1"));
    assert.ok(lines.includes("127.5.5.9\tdb.a.svc.cluster.local db.a.svc db.a db"));
    assert.ok(lines.includes("127.5.5.7\tdb.b.svc.cluster.local db.b.svc db.b"));
    assert.ok(lines.includes("127.5.5.1\tidle.a.svc.cluster.local idle.a.svc idle.a idle"));
  });
});

describe("PodAddressBlock", () => {
  const saved = process.env["MYSQLOP_CACHE"];
  let cache: string;
  before(() => {
    cache = mkdtempSync(join(tmpdir(), "mysqlop-addresses-test-"));
    process.env["MYSQLOP_CACHE"] = cache;
  });
  after(() => {
    if (saved === undefined) delete process.env["MYSQLOP_CACHE"];
    else process.env["MYSQLOP_CACHE"] = saved;
    rmSync(cache, { recursive: true, force: true });
  });

  test("a block held by a live process is not handed out twice; a closed one is free again", () => {
    const fixed = () => 0.5;
    const first = PodAddressBlock.acquire(fixed);
    assert.match(first.prefix, /^127\.\d+\.\d+$/);
    assert.throws(() => PodAddressBlock.acquire(fixed), /no free loopback address block/);
    first.close();
    const again = PodAddressBlock.acquire(fixed);
    assert.equal(again.prefix, first.prefix);
    again.close();
  });

  test("addresses are unique until released, never .0, .1 or .255", () => {
    const block = PodAddressBlock.acquire();
    try {
      const seen = new Set<string>();
      for (let i = 0; i < 253; i++) seen.add(block.allocate());
      assert.equal(seen.size, 253);
      for (const ip of seen) assert.doesNotMatch(ip, /\.(0|1|255)$/);
      assert.throws(() => block.allocate(), /all 253 pod addresses/);
      block.release(`${block.prefix}.77`);
      assert.equal(block.allocate(), `${block.prefix}.77`);
    } finally {
      block.close();
    }
  });
});
