// Runs the real backup/restore scripts with /bin/sh (dash on Debian: a strict
// POSIX shell) against a server from test/helpers/mariadb.ts, in a private
// workspace, with an environment built from scratch.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scriptPath, ENV, type ScriptName } from "../../../src/mysql/scripts/index.ts";
import { runCommand, sqlString, type CommandResult, type MariaDbServer, type RunOptions } from "../../helpers/mariadb.ts";

/** Directories one test works in; all under one temporary root. */
export interface Workspace {
  root: string;
  /** BACKUP_DIR of the scripts. */
  backupDir: string;
  /** TMPDIR of the scripts: must be empty after every run (client config removed). */
  tmpDir: string;
  /** HOME of the scripts, so that no ~/.my.cnf of the machine interferes. */
  homeDir: string;
  /** Where an injected command would leave its mark. */
  canaryDir: string;
  /** Wrapper scripts for the client tools that record argv (see {@link installArgvRecorders}). */
  binDir: string;
  remove(): Promise<void>;
}

/** Creates a fresh workspace under the system temp directory. */
export async function makeWorkspace(): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), "mysqlop-backup-test-"));
  const dirs = {
    backupDir: join(root, "backup"),
    tmpDir: join(root, "tmp"),
    homeDir: join(root, "home"),
    canaryDir: join(root, "canary"),
    binDir: join(root, "bin"),
  };
  for (const dir of Object.values(dirs)) await mkdir(dir);
  return { root, ...dirs, remove: () => rm(root, { recursive: true, force: true }) };
}

/** Connection settings for the scripts: TCP to the test server as `user`. */
export function connectionEnv(server: MariaDbServer, user: string, password: string, database: string): Record<string, string> {
  return {
    [ENV.host]: "127.0.0.1",
    [ENV.port]: String(server.port),
    [ENV.user]: user,
    [ENV.password]: password,
    [ENV.database]: database,
  };
}

/** Options for {@link runScript}. */
export interface ScriptRunOptions extends Pick<RunOptions, "onSpawn" | "timeoutMs"> {
  /** PATH for the script; default: the wrapper dir (if populated) then the system directories. */
  path?: string;
  /** Shell command line that runs the script file (default `/bin/sh`, dash on Debian). */
  shell?: readonly string[];
}

/**
 * Runs backup.sh or restore.sh with exactly `env` plus PATH, HOME, TMPDIR,
 * BACKUP_DIR of the workspace, in the canary directory: an injected relative
 * `touch pwned` would leave its mark there.
 */
export function runScript(name: ScriptName, ws: Workspace, env: Record<string, string>, options: ScriptRunOptions = {}): Promise<CommandResult> {
  const [shell = "/bin/sh", ...shellArgs] = options.shell ?? [];
  return runCommand(shell, [...shellArgs, scriptPath(name)], {
    env: {
      PATH: options.path ?? `${ws.binDir}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`,
      HOME: ws.homeDir,
      TMPDIR: ws.tmpDir,
      [ENV.backupDir]: ws.backupDir,
      ...env,
    },
    cwd: ws.canaryDir,
    onSpawn: options.onSpawn,
    timeoutMs: options.timeoutMs,
  });
}

/** Creates `'user'@'127.0.0.1'` with all privileges and the given password. */
export async function createUser(server: MariaDbServer, user: string, password: string): Promise<void> {
  const account = `${sqlString(user)}@'127.0.0.1'`;
  await server.sql(
    `DROP USER IF EXISTS ${account};\nCREATE USER ${account} IDENTIFIED BY ${sqlString(password)};\n` +
      `GRANT ALL PRIVILEGES ON *.* TO ${account} WITH GRANT OPTION;`,
  );
}

/**
 * Installs `mariadb` and `mariadb-dump` wrappers into ws.binDir that append
 * their argv (NUL-separated, one record per line), the mode of the option file
 * they were given and whether MYSQL_PASSWORD is in their environment to
 * `argv.log`, then exec the real tool.
 */
export async function installArgvRecorders(ws: Workspace): Promise<string> {
  const log = join(ws.root, "argv.log");
  for (const tool of ["mariadb", "mariadb-dump"]) {
    const wrapper = join(ws.binDir, tool);
    await writeFile(
      wrapper,
      [
        "#!/bin/sh",
        `log=${shellQuote(log)}`,
        "cnf=${1#--defaults-extra-file=}",
        'mode=$(stat -c %a "$cnf" 2>/dev/null || echo none)',
        'dirmode=$(stat -c %a "$(dirname "$cnf")" 2>/dev/null || echo none)',
        `printf '%s\\0' ${shellQuote(tool)} "$@" "cnf-mode=$mode" "cnf-dir-mode=$dirmode" "env-password=\${MYSQL_PASSWORD+present}" ${shellQuote(END_OF_CALL)} >>"$log"`,
        `exec /usr/bin/${tool} "$@"`,
        "",
      ].join("\n"),
    );
    await chmod(wrapper, 0o755);
  }
  return log;
}

const END_OF_CALL = "--end-of-recorded-call--";

/** One recorded client invocation. */
export interface RecordedCall {
  tool: string;
  args: string[];
  cnfMode: string;
  cnfDirMode: string;
  passwordInEnv: boolean;
}

/** Parses the log written by the wrappers of {@link installArgvRecorders}. */
export function parseArgvLog(text: string): RecordedCall[] {
  return text
    .split(`${END_OF_CALL}\0`)
    .filter((record) => record !== "")
    .map((record) => {
      // Each field ends with NUL: tool, args..., cnf-mode=, cnf-dir-mode=, env-password=.
      const fields = record.split("\0").slice(0, -1);
      const [tool = "", ...rest] = fields;
      const meta = rest.slice(-3);
      return {
        tool,
        args: rest.slice(0, -3),
        cnfMode: (meta[0] ?? "").replace("cnf-mode=", ""),
        cnfDirMode: (meta[1] ?? "").replace("cnf-dir-mode=", ""),
        passwordInEnv: (meta[2] ?? "") === "env-password=present",
      };
    });
}

/** Single-quotes a value for a shell script written by the tests themselves. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}

/** Entries left in a directory (for the "temporary files removed" checks). */
export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

/** sha256 of all rows of `table` in `database`, ordered by `orderBy`, as the client prints them. */
export async function tableDigest(server: MariaDbServer, database: string, table: string, orderBy: string): Promise<string> {
  const rows = await server.sql(`SELECT * FROM \`${table}\` ORDER BY ${orderBy}`, database);
  return createHash("sha256").update(rows).digest("hex");
}
