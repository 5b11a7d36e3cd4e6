// A MySQL client for tests against servers in pods: the machine's `mariadb` over TCP, the password in a private
// option file (never in argv), tab-separated output.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { optionFileValue } from "../../src/mysql/sql.ts";
import { runCommand, type CommandResult } from "./mariadb.ts";

/** Where and as whom to connect. */
export interface Connection {
  host: string;
  password: string;
  user?: string;
  database?: string;
}

/** Runs `sql` on the server within `timeoutMs` (then the client is killed); never throws for a SQL or connection error (the result says). */
export async function mysqlQuery(conn: Connection, sql: string, timeoutMs = 60_000): Promise<CommandResult> {
  const dir = await mkdtemp(join(tmpdir(), "mysqlop-client-"));
  try {
    const options = join(dir, "client.cnf");
    await writeFile(
      options,
      [
        "[client]",
        `user=${optionFileValue(conn.user ?? "root")}`,
        `password=${optionFileValue(conn.password)}`,
        `host=${conn.host}`,
        "protocol=TCP",
        "connect-timeout=10",
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    const args = [
      `--defaults-extra-file=${options}`,
      "--batch",
      "--skip-column-names",
      ...(conn.database === undefined ? [] : [`--database=${conn.database}`]),
    ];
    return await runCommand("mariadb", args, { input: sql, timeoutMs });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Like {@link mysqlQuery}, but a failure throws with the client's error text; resolves with stdout. */
export async function mysqlOk(conn: Connection, sql: string): Promise<string> {
  const result = await mysqlQuery(conn, sql);
  if (result.code !== 0) throw new Error(`SQL on ${conn.host} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}
