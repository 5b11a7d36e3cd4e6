// Runs the real backup/restore scripts with /bin/sh (dash on Debian: a strict
// POSIX shell) against a server from test/helpers/mariadb.ts, in a private
// workspace, with an environment built from scratch.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile, chmod } from "node:fs/promises";
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
  /** Wrapper scripts that record the programs a script starts (see {@link installProgramRecorders}). */
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

/** How the scripts get the password: the variable itself, or a file it names. */
export type PasswordVia = "MYSQL_PASSWORD" | "MYSQL_PASSWORD_FILE";

/** {@link connectionEnv}, with the password in MYSQL_PASSWORD or in a private file of the workspace named by MYSQL_PASSWORD_FILE. */
export async function connectionEnvVia(
  server: MariaDbServer,
  ws: Workspace,
  via: PasswordVia,
  user: string,
  password: string,
  database: string,
): Promise<Record<string, string>> {
  const env = connectionEnv(server, user, password, database);
  if (via === "MYSQL_PASSWORD_FILE") {
    const file = join(ws.root, "password");
    await writeFile(file, password, { mode: 0o600 });
    delete env[ENV.password];
    env[ENV.passwordFile] = file;
  }
  return env;
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
 * Installs, for each program, a wrapper into ws.binDir that records its argv, its whole
 * environment and (for a client tool given `--defaults-extra-file=`) the modes of that file and
 * its directory, one file per call, then execs the real program. Run a script with
 * `path: ws.binDir` and every program it starts is recorded, or not found: nothing escapes.
 * Returns a function that reads the calls recorded so far.
 */
export async function installProgramRecorders(ws: Workspace, programs: readonly string[]): Promise<() => Promise<RecordedCall[]>> {
  const logDir = join(ws.root, "calls");
  await mkdir(logDir, { recursive: true });
  for (const program of programs) {
    const real = await runCommand("/bin/sh", ["-c", 'command -v "$1"', "sh", program], { env: { PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" } });
    if (real.code !== 0) throw new Error(`${program} is not installed`);
    const wrapper = join(ws.binDir, program);
    await writeFile(
      wrapper,
      [
        "#!/bin/sh",
        `record=$(/usr/bin/mktemp ${shellQuote(logDir)}/call.XXXXXX)`,
        "case ${1-} in",
        '  --defaults-extra-file=*) cnf=${1#--defaults-extra-file=}; mode=$(/usr/bin/stat -c %a "$cnf"); dirmode=$(/usr/bin/stat -c %a "${cnf%/*}") ;;',
        "  *) mode=none; dirmode=none ;;",
        "esac",
        `{ printf '%s\\0' ${shellQuote(program)} "$#" "$@" "$mode" "$dirmode"; /usr/bin/env -0; } >"$record"`,
        `exec ${shellQuote(real.stdout.trim())} "$@"`,
        "",
      ].join("\n"),
    );
    await chmod(wrapper, 0o755);
  }
  return async () => {
    const calls: RecordedCall[] = [];
    for (const name of (await readdir(logDir)).sort()) {
      const [tool = "", argc = "0", ...rest] = (await readFile(join(logDir, name), "utf8")).split("\0").slice(0, -1);
      const args = rest.slice(0, Number(argc));
      const [cnfMode = "", cnfDirMode = "", ...env] = rest.slice(Number(argc));
      calls.push({ tool, args, cnfMode, cnfDirMode, env, passwordInEnv: env.some((entry) => entry.startsWith(`${ENV.password}=`)) });
    }
    return calls;
  };
}

/** One recorded program start. */
export interface RecordedCall {
  tool: string;
  args: string[];
  /** Modes of the `--defaults-extra-file` and its directory, or `none`. */
  cnfMode: string;
  cnfDirMode: string;
  /** The program's environment, `NAME=value` entries. */
  env: string[];
  passwordInEnv: boolean;
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
