// The backup and restore scripts as data for the operator's Job builder: their
// texts (for a ConfigMap) and their interface (env var names, defaults, files,
// exit codes), so that no string is repeated outside this folder. The shell
// files are the source of truth; test/mysql/scripts/index.test.ts checks that
// the constants below agree with them.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** File names of the scripts. All three go into the same directory (one ConfigMap): the two entry points source `common.sh` from beside themselves. */
export const SCRIPT_FILES = {
  backup: "backup.sh",
  restore: "restore.sh",
  common: "common.sh",
} as const;

/** Name of one of the script files. */
export type ScriptName = (typeof SCRIPT_FILES)[keyof typeof SCRIPT_FILES];

/** Absolute path of a script in this source tree (for tests and for running by hand). */
export function scriptPath(name: ScriptName): string {
  return fileURLToPath(new URL(name, import.meta.url));
}

/** The script texts keyed by file name: the `data` of the scripts ConfigMap. */
export const SCRIPT_TEXTS: Readonly<Record<ScriptName, string>> = Object.freeze({
  [SCRIPT_FILES.backup]: readFileSync(scriptPath(SCRIPT_FILES.backup), "utf8"),
  [SCRIPT_FILES.restore]: readFileSync(scriptPath(SCRIPT_FILES.restore), "utf8"),
  [SCRIPT_FILES.common]: readFileSync(scriptPath(SCRIPT_FILES.common), "utf8"),
});

/** Container command that runs a script mounted at `mountDir` (run with `sh`: ConfigMap files are not executable by default). */
export function scriptCommand(mountDir: string, script: typeof SCRIPT_FILES.backup | typeof SCRIPT_FILES.restore): string[] {
  return ["sh", `${mountDir.replace(/\/+$/, "")}/${script}`];
}

/** Environment variables the scripts read. Only `password` is secret: set it with `valueFrom.secretKeyRef`, or mount the Secret and set `passwordFile`. */
export const ENV = {
  /** Server host (the resource's Service name); unset: the client's default (local socket). */
  host: "MYSQL_HOST",
  /** Server TCP port; unset: the client's default (3306). */
  port: "MYSQL_PORT",
  /** Account to connect as; default {@link DEFAULTS.user}. */
  user: "MYSQL_USER",
  /** The password itself (from a Secret). Mutually exclusive with `passwordFile`. */
  password: "MYSQL_PASSWORD",
  /** Path of a file holding the password (trailing newlines dropped). */
  passwordFile: "MYSQL_PASSWORD_FILE",
  /** Backup only: a client option file whose `[client_1]`, `[client_2]`, … groups each set a password to try, in order, while the server answers "access denied" (ERROR 1045); a missing file is none. */
  passwordFallbacksFile: "MYSQL_PASSWORD_FALLBACKS_FILE",
  /** The database to dump or restore into. Required. */
  database: "MYSQL_DATABASE",
  /** Directory of the backup volume; must exist (never created). Default {@link DEFAULTS.backupDir}. */
  backupDir: "BACKUP_DIR",
  /** Restore only: `1`/`true`/`yes` loads even into a database that holds objects. */
  restoreForce: "RESTORE_FORCE",
  /** Restore only: how long to wait for the server to accept connections. Default {@link DEFAULTS.restoreWaitSeconds}. */
  restoreWaitSeconds: "RESTORE_WAIT_SECONDS",
  /** Backup only: how many history entries retention keeps at least (an older one goes once restored or superseded by a newer one of its source). Default {@link DEFAULTS.keep}. */
  backupKeep: "BACKUP_KEEP",
  /** Backup only: the server the dump is of (the MySQL resource's uid; letters, digits, `.`, `_`, `-`), recorded as `source=`: retention keeps only the newest unrestored dump of each source. Unset: none recorded, and the entry is kept until restored. */
  backupSource: "BACKUP_SOURCE",
  /** Backup only: {@link BACKUP_KINDS}`.final` (a deletion's backup, or one by hand) or `.scheduled`, recorded as `kind=`. Default {@link DEFAULTS.backupKind}. */
  backupKind: "BACKUP_KIND",
  /** Backup only: a file to write the report of a completed backup into (`key=value` lines: file, size, sha256, created, entries); the Job sets the termination-message path. */
  backupReportFile: "BACKUP_REPORT_FILE",
  /** Restore only: `1`/`true`/`yes` when a backup was recorded: no dump is then a failure (exit 4), not "nothing to restore". */
  restoreRequired: "RESTORE_REQUIRED",
  /** Restore only: the sha256 of the dump to restore (the operator's record of the last backup); a volume without it is a failure. Unset: the newest dump. */
  restoreSha256: "RESTORE_SHA256",
  /** Restore only: the database the dump may also have been taken from; a dump of any other database than this or `database` is refused (exit 8). */
  restoreFromDatabase: "RESTORE_FROM_DATABASE",
  /**
   * Restore only: names this restore (the resource's uid; letters, digits, hyphens) for its progress file on the backup
   * volume: a re-run reports a load it finished as restored, and one it left half-done as a failed load (exit 6), never
   * as "not empty". Unset: no progress file.
   */
  restoreId: "RESTORE_ID",
  /** Where the private client option file is written (an emptyDir with a read-only root filesystem). Default `/tmp`. */
  tmpDir: "TMPDIR",
} as const;

/** Defaults the scripts apply when a variable is unset. */
export const DEFAULTS = {
  user: "root",
  backupDir: "/backup",
  restoreWaitSeconds: 300,
  keep: 5,
  backupKind: "final",
} as const;

/** Values of `BACKUP_KIND`: what took the dump. */
export const BACKUP_KINDS = { final: "final", scheduled: "scheduled" } as const;

/** Files in the backup directory. The operator decides "created with restore-job" by the existence of `dump`. */
export const BACKUP_FILES = {
  /** The dump (plain SQL from mysqldump/mariadb-dump, no CREATE DATABASE/USE). */
  dump: "mysqlop-dump.sql",
  /** key=value metadata of the dump: sha256, size, created, server_version, database. */
  metadata: "mysqlop-dump.meta",
  /** Metadata of a backup that stopped between its last two renames; restore accepts it if it matches the dump. */
  pendingMetadata: "mysqlop-dump.meta.next",
  /** Directory of every backup, each `historyPrefix` + its UTC time (`20261129T003000Z`) + `.sql`/`.meta`, never replaced. */
  historyDir: "history",
  historyPrefix: "mysqlop-dump-",
  /** Beside a history entry once a restore loaded it; retention removes only marked entries. */
  restoredSuffix: ".restored",
  /** A restore's progress file, this prefix + its `RESTORE_ID`: `state=loading` while it loads, `state=restored` once it loaded. */
  progressPrefix: ".mysqlop-restore-",
} as const;

/** Exit codes of both scripts (restore exits 0 also when there is no dump). */
export const EXIT_CODES = {
  ok: 0,
  /** Bad or missing environment, missing tool, backup directory missing. */
  config: 1,
  /** Server not reachable (restore: not within RESTORE_WAIT_SECONDS). */
  connect: 2,
  /** Backup: the dump tool failed; the previous dump is untouched. */
  dump: 3,
  /** Restore: the dump is corrupt, truncated, has no metadata, or metadata has no dump. */
  verify: 4,
  /** Restore: the target database already holds tables, routines or events. */
  notEmpty: 5,
  /** Restore: creating the database or loading the dump failed (it may be partly loaded), or an earlier run with the same `RESTORE_ID` left it partly loaded. */
  load: 6,
  /** Backup: cannot write, flush or rename in the backup directory; restore: cannot record its progress there (nothing loaded). */
  write: 7,
  /** Restore: the dump was taken from another database than the target, and `RESTORE_FROM_DATABASE` does not name it; nothing was loaded. */
  otherDatabase: 8,
} as const;

/** Programs the scripts call besides a POSIX `sh` and one client name of each pair. */
export const REQUIRED_TOOLS = ["cat", "date", "ln", "mkdir", "mktemp", "mv", "rm", "sha256sum", "sleep", "sync", "wc"] as const;

/** Used instead of `sha256sum` when present: hardware-accelerated SHA-256 (`openssl dgst -sha256 -r`). */
export const OPTIONAL_TOOLS = ["openssl"] as const;

/** Client tool names, preferred first: MariaDB images ship `mariadb*`, MySQL images `mysql*`. */
export const CLIENT_TOOLS = {
  client: ["mariadb", "mysql"],
  dump: ["mariadb-dump", "mysqldump"],
} as const;
