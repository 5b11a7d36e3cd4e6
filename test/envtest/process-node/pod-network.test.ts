// Pod addresses and the per-pod hosts file of the process node.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { HostsFile, PodAddressBlock, renderHostsFile } from "../../../src/envtest/process-node/pod-network.ts";

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

// A resolver in the pod may read the file at any moment: it must never find it empty or cut short.
describe("HostsFile", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "mysqlop-hosts-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const long = "127.0.0.1\tlocalhost\n127.5.5.9\tdb.a.svc.cluster.local db.a.svc db.a db\n127.5.5.7\tweb.a.svc.cluster.local web.a.svc web.a web\n";
  const short = "127.0.0.1\tlocalhost\n127.5.5.8\tdb.a.svc.cluster.local db.a.svc db.a db\n";
  const entries = (text: string) => text.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("#"));

  test("unchanged text is not written again (the agent refreshes every pod's file on every pod event)", () => {
    const file = new HostsFile(join(dir, "unchanged"));
    assert.equal(file.update(long), true);
    // What a write would destroy: had the file been rewritten, this marker would be gone.
    writeFileSync(file.path, `${long}# marker\n`);
    assert.equal(file.update(long), false);
    assert.equal(readFileSync(file.path, "utf8"), `${long}# marker\n`);
  });

  test("a shorter text is written in place over the old one, never truncating the file: the rest is a comment", () => {
    const file = new HostsFile(join(dir, "shorter"));
    file.update(long);
    const inode = statSync(file.path).ino;
    assert.equal(file.update(short), true);
    const text = readFileSync(file.path, "utf8");
    assert.equal(statSync(file.path).ino, inode, "the same file (a bind mount pins the inode)");
    assert.equal(Buffer.byteLength(text), Buffer.byteLength(long), "the file never got shorter");
    assert.deepEqual(entries(text), entries(short));
    assert.ok(text.startsWith(short));
    file.update(long);
    assert.equal(readFileSync(file.path, "utf8"), long, "a longer text is written whole");
  });

  test("a text one byte shorter is padded with an empty line", () => {
    const file = new HostsFile(join(dir, "one-byte"));
    file.update("127.0.0.1\tlocalhost\n127.5.5.10\tdb\n");
    file.update("127.0.0.1\tlocalhost\n127.5.5.9\tdb\n");
    assert.equal(readFileSync(file.path, "utf8"), "127.0.0.1\tlocalhost\n127.5.5.9\tdb\n\n");
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
