// A throw-away MariaDB server for integration tests: Debian's mariadb-install-db
// into a temporary data directory, mariadbd on a loopback port and a private
// socket. Every server started here is stopped and its directory removed, also
// when a test fails or the run is interrupted (SIGINT/SIGTERM).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Output and exit status of a finished child process. */
export interface CommandResult {
  /** Exit code, or null when a signal ended the process. */
  code: number | null;
  /** Signal that ended the process, if any. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options for {@link runCommand}. */
export interface RunOptions {
  /** Written to stdin, then stdin is closed. */
  input?: string | Buffer;
  /** The complete environment (not merged with process.env). */
  env?: NodeJS.ProcessEnv;
  /** Working directory (default: this process's). */
  cwd?: string;
  /** Kills the process with SIGKILL after this many milliseconds (default 120 s). */
  timeoutMs?: number;
  /** Called once the process is spawned, e.g. to observe or kill it. */
  onSpawn?: (child: ChildProcess) => void;
}

/** Runs a program without a shell and collects its output; never rejects on a non-zero exit. */
export function runCommand(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
      });
    });
    // A client that exits early (e.g. on a SQL error) closes stdin under us.
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
    options.onSpawn?.(child);
  });
}

/** `'text'` as a MariaDB string literal (default sql_mode: backslash escapes on). */
export function sqlString(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\0/g, "\\0")}'`;
}

/** `name` as a backtick-quoted MariaDB identifier. */
export function sqlIdentifier(name: string): string {
  return "`" + name.replace(/`/g, "``") + "`";
}

/** A running throw-away server. */
export interface MariaDbServer {
  /** Loopback TCP port (host 127.0.0.1). */
  readonly port: number;
  /** Unix socket; root connects through it without a password. */
  readonly socket: string;
  /** Temporary directory holding data, socket and logs; removed by {@link MariaDbServer.stop}. */
  readonly rootDir: string;
  /** Server version as reported by `SELECT VERSION()`. */
  readonly version: string;
  /** Process id of mariadbd (e.g. to read its CPU time from /proc). */
  readonly pid: number;
  /** Runs SQL as root over the socket; rejects with the client's error text on failure. Returns tab-separated rows. */
  sql(statements: string, database?: string): Promise<string>;
  /** SIGKILLs the server (to simulate a crash); {@link MariaDbServer.stop} still cleans up. */
  kill(): void;
  /** Stops the server (SIGTERM, then SIGKILL after 20 s) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<{ child: ChildProcess; rootDir: string; watchdog: ChildProcess }>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  // Synchronous last resort: whatever is still running when the process ends.
  process.on("exit", () => {
    for (const server of running) {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGKILL");
      server.watchdog.kill("SIGKILL");
      rmSync(server.rootDir, { recursive: true, force: true });
    }
  });
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    process.once(signal, () => process.exit(code));
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

/** Options for {@link startMariaDb}. */
export interface StartOptions {
  /** Readiness timeout in milliseconds (default 60 s). */
  readyTimeoutMs?: number;
  /** TCP port to listen on (default: a free one). */
  port?: number;
  /** Extra mariadbd options, e.g. `--innodb-buffer-pool-size=512M`. */
  serverArgs?: readonly string[];
  /** Where a port comes from when none is given (default {@link freePort}; tests of the retry give a taken one first). */
  pickPort?: () => Promise<number>;
}

/** Attempts at a server start whose free port was taken before mariadbd bound it. */
const PORT_ATTEMPTS = 5;

/** mariadbd could not bind its port: another process took it between {@link freePort} and the bind. */
class PortTakenError extends Error {}

/**
 * Initialises a data directory and starts `mariadbd` on it as root (hence
 * `--user=root`), bound to 127.0.0.1 on a free port, with name resolution off so
 * that grants to `'user'@'127.0.0.1'` match TCP clients. Resolves once root can
 * run a query over the socket; rejects, after cleaning up, if it cannot within
 * the timeout.
 */
export async function startMariaDb(options: StartOptions = {}): Promise<MariaDbServer> {
  // A free port is free when looked at: another process (another test run's server, an outgoing connection) may take
  // it before mariadbd binds it; a port of our own choosing is then simply chosen again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (!(error instanceof PortTakenError) || options.port !== undefined || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

async function startOnce(options: StartOptions): Promise<MariaDbServer> {
  installExitHooks();
  const rootDir = await mkdtemp(join(tmpdir(), "mysqlop-mariadb-"));
  const dataDir = join(rootDir, "data");
  const socket = join(rootDir, "mysqld.sock");
  const errorLog = join(rootDir, "error.log");
  // The bootstrap server's temporary tables (mysql_system_tables.sql creates and drops some) go to its tmpdir, and
  // every mariadbd deletes all `#sql*` files in its tmpdir as it starts: with the default /tmp, any other server
  // starting meanwhile (a parallel test file, another run on the machine) removes them under the bootstrap ("Could
  // not remove temporary table … error: 2", "Unknown table 'mysql.tmp_user_sys'"). A tmpdir of its own rules that out.
  const install = await runCommand("mariadb-install-db", [
    "--no-defaults",
    `--datadir=${dataDir}`,
    "--user=root",
    "--skip-test-db",
    "--auth-root-authentication-method=socket",
    // Passed on to the bootstrap mariadbd (mariadb-install-db hands it every option it does not know).
    `--tmpdir=${rootDir}`,
  ]);
  if (install.code !== 0) {
    await rm(rootDir, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed (${install.code}):\n${install.stdout}\n${install.stderr}`);
  }
  const port = options.port ?? (await (options.pickPort ?? freePort)());
  const child = spawn(
    "mariadbd",
    [
      "--no-defaults",
      `--datadir=${dataDir}`,
      `--socket=${socket}`,
      `--port=${port}`,
      "--bind-address=127.0.0.1",
      "--skip-name-resolve",
      "--user=root",
      `--pid-file=${join(rootDir, "mysqld.pid")}`,
      `--log-error=${errorLog}`,
      `--tmpdir=${rootDir}`,
      "--innodb-flush-log-at-trx-commit=2",
      // As in the official MariaDB images (Debian's compiled-in default is latin1).
      "--character-set-server=utf8mb4",
      "--collation-server=utf8mb4_general_ci",
      ...(options.serverArgs ?? []),
    ],
    { stdio: "ignore" },
  );
  // If this process dies without running any hook (SIGKILL, a runner timeout),
  // a detached watchdog still kills the server and removes its directory.
  const watchdog = spawn(
    "/bin/sh",
    [
      "-c",
      'while kill -0 "$1" 2>/dev/null; do sleep 1; done; kill -KILL "$2" 2>/dev/null; rm -rf -- "$3"',
      "mariadb-watchdog",
      String(process.pid),
      String(child.pid),
      rootDir,
    ],
    { detached: true, stdio: "ignore" },
  );
  watchdog.unref();
  const entry = { child, rootDir, watchdog };
  running.add(entry);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  async function stop(): Promise<void> {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    }
    watchdog.kill("SIGKILL");
    await rm(rootDir, { recursive: true, force: true });
    running.delete(entry);
  }

  async function sql(statements: string, database?: string): Promise<string> {
    const args = ["--no-defaults", `--socket=${socket}`, "--user=root", "--batch", "--skip-column-names", "--default-character-set=utf8mb4"];
    if (database !== undefined) args.push(`--database=${database}`);
    const result = await runCommand("mariadb", args, { input: statements });
    if (result.code !== 0) throw new Error(`SQL failed: ${result.stderr.trim()}`);
    return result.stdout;
  }

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const log = await readFile(errorLog, "utf8").catch(() => "");
      await stop();
      const message = `mariadbd exited during startup:\n${log.slice(-4000)}`;
      throw /Address already in use|Bind on TCP\/IP port/.test(log) ? new PortTakenError(message) : new Error(message);
    }
    const probe = await runCommand("mariadb", ["--no-defaults", `--socket=${socket}`, "--user=root", "-e", "SELECT 1"]);
    if (probe.code === 0) break;
    if (Date.now() > deadline) {
      const log = await readFile(errorLog, "utf8").catch(() => "");
      await stop();
      throw new Error(`mariadbd not ready within ${options.readyTimeoutMs ?? 60_000} ms:\n${log.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const version = (await sql("SELECT VERSION()")).trim();
  return {
    port,
    socket,
    rootDir,
    version,
    pid: child.pid ?? -1,
    sql,
    kill: () => {
      child.kill("SIGKILL");
    },
    stop,
  };
}

/** True when the Debian MariaDB server and client are installed (CI installs them). */
export function mariaDbAvailable(): boolean {
  return ["mariadbd", "mariadb-install-db", "mariadb", "mariadb-dump"].every(
    (tool) => spawnSync("sh", ["-c", 'command -v "$1"', "sh", tool], { stdio: "ignore" }).status === 0,
  );
}
