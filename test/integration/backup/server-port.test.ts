/**
 * The test harness's MariaDB start when the free port it chose is taken before mariadbd binds it (another test run's
 * server, an outgoing connection): a port of its own choosing is chosen again; a port the caller gave is an error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { freePort, mariaDbAvailable, startMariaDb } from "../../helpers/mariadb.ts";

const skip = mariaDbAvailable() ? false : "SKIPPED: mariadbd/mariadb-install-db/mariadb/mariadb-dump not installed (bash .ci/run installs them)";

/** A port held by a listener of this process until `close`. */
async function takenPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  return { port: address.port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

test("a chosen port taken before mariadbd binds it is chosen again; a given port that is taken fails, saying so", { skip, timeout: 180_000 }, async () => {
  const taken = await takenPort();
  try {
    const offered: number[] = [];
    const server = await startMariaDb({
      pickPort: async () => {
        const port = offered.length === 0 ? taken.port : await freePort();
        offered.push(port);
        return port;
      },
    });
    try {
      assert.equal(offered[0], taken.port);
      assert.equal(server.port, offered.at(-1));
      assert.notEqual(server.port, taken.port);
      assert.equal((await server.sql("SELECT 1")).trim(), "1");
    } finally {
      await server.stop();
    }
    await assert.rejects(startMariaDb({ port: taken.port }), /mariadbd exited during startup[\s\S]*(Address already in use|Bind on TCP\/IP port)/);
  } finally {
    await taken.close();
  }
});
