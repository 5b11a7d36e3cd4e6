# mysqlop: shared by backup.sh and restore.sh (sourced from the same directory,
# never run on its own). POSIX sh plus the MySQL/MariaDB client tools only.
# Interface: README.md beside this file.
# shellcheck shell=sh disable=SC2034,SC1003 # variables are for the sourcing scripts; '\' is a lone backslash

# Exit codes; index.ts exports the same numbers to the operator.
EXIT_CONFIG=1         # bad or missing environment, missing tool, no backup directory
EXIT_CONNECT=2        # server not reachable (restore: not within RESTORE_WAIT_SECONDS)
EXIT_DUMP=3           # the dump tool failed; the previous dump is untouched
EXIT_VERIFY=4         # dump missing, truncated or corrupt against its metadata
EXIT_NOT_EMPTY=5      # restore target already holds tables, routines or events
EXIT_LOAD=6           # creating the database or loading the dump failed
EXIT_WRITE=7          # cannot write, flush or rename in the backup directory (restore: its progress file)
EXIT_OTHER_DATABASE=8 # restore: the dump was taken from another database

DUMP_FILE=mysqlop-dump.sql
META_FILE=mysqlop-dump.meta
META_NEXT_FILE=mysqlop-dump.meta.next
# Every backup, kept under its own UTC timestamp (a hard link of the dump above
# when it was taken): HISTORY_DIR/mysqlop-dump-YYYYMMDDTHHMMSSZ.sql and .meta,
# and .restored once a restore loaded it. Retention (backup.sh step 7) deletes
# restored ones and ones a newer entry of the same source supersedes.
HISTORY_DIR=history
HISTORY_PREFIX=mysqlop-dump-
RESTORED_SUFFIX=.restored
# A restore's progress (state=loading, then state=restored) by RESTORE_ID:
# DIR/.mysqlop-restore-ID.
PROGRESS_PREFIX=.mysqlop-restore-

# Longest line (without its newline) the option-file reader of MySQL and MariaDB
# takes whole: it reads lines with fgets into a 4096-byte buffer, less one.
OPTION_LINE_MAX=4094

# Dumps hold user data and the client config holds the password: owner-only files.
umask 077

NL='
'
CR=$(printf '\r')

say() { printf '%s: %s\n' "$SCRIPT" "$*"; }
die() {
  code=$1
  shift
  printf '%s: error: %s\n' "$SCRIPT" "$*" >&2
  exit "$code"
}

# replace_all TEXT FROM TO: sets $replaced. Pure shell on purpose: no value
# (password, database name) is ever passed to another program's argv, and no
# command substitution strips trailing newlines.
replace_all() {
  _rest=$1
  replaced=
  while :; do
    case $_rest in
      *"$2"*)
        replaced=$replaced${_rest%%"$2"*}$3
        _rest=${_rest#*"$2"}
        ;;
      *)
        replaced=$replaced$_rest
        return 0
        ;;
    esac
  done
}

# escape_line TEXT: sets $replaced to TEXT on one line: \ newline CR become \\ \n \r.
escape_line() {
  replace_all "$1" '\' '\\'
  replace_all "$replaced" "$NL" '\n'
  replace_all "$replaced" "$CR" '\r'
}

# option_line NAME VALUE: one line of a MySQL option file, the value double-quoted
# so that '#', quotes and surrounding spaces survive, escaped with the option
# file's own escapes (\\ \" \n \r). The option-file reader reads a line in
# pieces of OPTION_LINE_MAX bytes and parses each piece as a line of its own, so a
# longer value would inject options: it is refused. The byte count goes through a
# pipe, never through argv or the environment.
option_line() {
  escape_line "$2"
  replace_all "$replaced" '"' '\"'
  _line=$1=\"$replaced\"
  _bytes=$(printf '%s' "$_line" | wc -c) || die "$EXIT_CONFIG" "cannot measure the $1 option"
  [ "$((_bytes))" -le "$OPTION_LINE_MAX" ] ||
    die "$EXIT_CONFIG" "the $1 is too long for a MySQL option file: $((_bytes)) bytes as $1=\"...\" with \\, \", newline and CR escaped, at most $OPTION_LINE_MAX"
  printf '%s\n' "$_line"
}

# quote_identifier NAME: sets $ident to NAME as a backtick-quoted SQL identifier.
quote_identifier() {
  replace_all "$1" '`' '``'
  ident='`'$replaced'`'
}

# find_tool NAME...: sets $tool to the first NAME on PATH (MariaDB images ship
# mariadb/mariadb-dump, MySQL images mysql/mysqldump).
find_tool() {
  for tool in "$@"; do
    if command -v "$tool" >/dev/null 2>&1; then
      return 0
    fi
  done
  die "$EXIT_CONFIG" "none of these client tools is on PATH: $*"
}

# Sets $password from MYSQL_PASSWORD or the file named by MYSQL_PASSWORD_FILE
# (trailing newlines of the file are dropped, as the official images do for *_FILE).
# Called before any other program starts: every child inherits the environment, so
# MYSQL_PASSWORD is unset first (cat then reads the file without it).
read_password() {
  password=${MYSQL_PASSWORD:-}
  unset MYSQL_PASSWORD
  if [ -n "${MYSQL_PASSWORD_FILE:-}" ]; then
    [ -z "$password" ] || die "$EXIT_CONFIG" "set MYSQL_PASSWORD or MYSQL_PASSWORD_FILE, not both"
    password=$(cat -- "$MYSQL_PASSWORD_FILE") || die "$EXIT_CONFIG" "cannot read MYSQL_PASSWORD_FILE ($MYSQL_PASSWORD_FILE)"
  fi
}

cleanup() {
  [ -z "${work:-}" ] || rm -rf -- "$work"
  [ -z "${tmp_dump:-}" ] || rm -f -- "$tmp_dump"
  [ -z "${tmp_meta:-}" ] || rm -f -- "$tmp_meta"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# Writes the client option file (connection and password) into a private
# temporary directory; every client call reads it with --defaults-extra-file,
# so the password is never in argv or the environment of the client tools.
write_client_config() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/mysqlop.XXXXXX") || die "$EXIT_CONFIG" "cannot create a private temporary directory in ${TMPDIR:-/tmp}"
  client_cnf=$work/client.cnf
  case ${MYSQL_PORT:-} in
    *[!0-9]*) die "$EXIT_CONFIG" "MYSQL_PORT must be a number" ;;
  esac
  {
    printf '[client]\n'
    option_line user "${MYSQL_USER:-root}"
    option_line password "$password"
    [ -z "${MYSQL_HOST:-}" ] || option_line host "$MYSQL_HOST"
    [ -z "${MYSQL_PORT:-}" ] || option_line port "$MYSQL_PORT"
    printf 'default-character-set=utf8mb4\n'
    printf '[mysql]\nconnect-timeout=10\n'
  } >"$client_cnf" || die "$EXIT_CONFIG" "cannot write the client configuration in $work"
  password=
}

# sql ARGS...: the mysql client with our option file, tab-separated output, no headers.
# $group_suffix (backup.sh: a fallback password that opened the server) picks that option group too.
sql() {
  "$client" --defaults-extra-file="$client_cnf" ${group_suffix:+--defaults-group-suffix="$group_suffix"} --batch --skip-column-names "$@"
}

# sha256 <INPUT: prints the hex SHA-256 digest first on its line. openssl uses
# the CPU's SHA instructions (several times faster than coreutils' sha256sum,
# which matters for the benchmark target); sha256sum is there everywhere else.
if command -v openssl >/dev/null 2>&1; then
  sha256() { openssl dgst -sha256 -r; }
else
  sha256() { sha256sum; }
fi

# file_sha256 FILE / file_size FILE: print the checksum / size in bytes.
file_sha256() {
  _sum=$(sha256 <"$1") && printf '%s\n' "${_sum%% *}"
}
file_size() {
  _size=$(wc -c <"$1") && printf '%s\n' "$((_size))"
}

# meta_value KEY FILE: prints the value of KEY=... in a metadata file.
meta_value() {
  while IFS= read -r _line || [ -n "$_line" ]; do
    case $_line in
      "$1="*)
        printf '%s\n' "${_line#*=}"
        return 0
        ;;
    esac
  done <"$2"
  return 1
}

require_database_and_dir() {
  db=${MYSQL_DATABASE:-}
  [ -n "$db" ] || die "$EXIT_CONFIG" "MYSQL_DATABASE is not set"
  dir=${BACKUP_DIR:-/backup}
  # Never create it: a missing directory means the backup volume is not mounted.
  [ -d "$dir" ] || die "$EXIT_CONFIG" "backup directory $dir does not exist (is the backup volume mounted?)"
  dump=$dir/$DUMP_FILE
  meta=$dir/$META_FILE
  next=$dir/$META_NEXT_FILE
  history=$dir/$HISTORY_DIR
}

# history_entry_of SHA256: sets $entry to the history entry (path without .meta)
# whose metadata names SHA256; returns 1 when there is none.
history_entry_of() {
  for _m in "$history/$HISTORY_PREFIX"*.meta; do
    [ -f "$_m" ] || continue
    if [ "$(meta_value sha256 "$_m")" = "$1" ]; then
      entry=${_m%.meta}
      return 0
    fi
  done
  return 1
}

# history_entry META: history_entry_of the sha256 that META names.
history_entry() {
  _want=$(meta_value sha256 "$1") || return 1
  history_entry_of "$_want"
}
