#!/bin/sh
# mysqlop restore: load the dump written by backup.sh into a database, only if
# the dump is verified and the database holds nothing yet. Interface: README.md.
set -eu
SCRIPT=restore
# common.sh sits beside this script. Found without dirname: no program may start
# before read_password has taken the password out of the environment.
case $0 in
  */*) here=${0%/*} ;;
  *) here=. ;;
esac
# shellcheck source=common.sh
. "$here/common.sh"
read_password

require_database_and_dir
find_tool mariadb mysql
client=$tool
case ${RESTORE_FORCE:-} in
  '' | 0 | false | no) force= ;;
  1 | true | yes) force=1 ;;
  *) die "$EXIT_CONFIG" "RESTORE_FORCE must be one of 1, true, yes, 0, false, no" ;;
esac
wait_seconds=${RESTORE_WAIT_SECONDS:-300}
case $wait_seconds in
  '' | *[!0-9]*) die "$EXIT_CONFIG" "RESTORE_WAIT_SECONDS must be a number of seconds" ;;
esac

case ${RESTORE_REQUIRED:-} in
  '' | 0 | false | no) required= ;;
  1 | true | yes) required=1 ;;
  *) die "$EXIT_CONFIG" "RESTORE_REQUIRED must be one of 1, true, yes, 0, false, no" ;;
esac
want=${RESTORE_SHA256:-}
case $want in
  '' | *[!0-9a-f]*) [ -z "$want" ] || die "$EXIT_CONFIG" "RESTORE_SHA256 must be a lower-case hex SHA-256 digest" ;;
esac
[ -z "$want" ] || [ ${#want} -eq 64 ] || die "$EXIT_CONFIG" "RESTORE_SHA256 must be 64 hex digits"
# RESTORE_ID (the resource's uid) names this restore's progress file on the
# backup volume, so that a later run tells a load an earlier run left half-done,
# or one it finished, from data that were in the database before.
restore_id=${RESTORE_ID:-}
case $restore_id in
  *[!0-9A-Za-z-]*) die "$EXIT_CONFIG" "RESTORE_ID must be letters, digits and hyphens (the resource's uid)" ;;
esac
progress=
[ -z "$restore_id" ] || progress=$dir/$PROGRESS_PREFIX$restore_id

# 1. With RESTORE_SHA256 (the operator's record of the last backup) exactly that
#    dump is restored: its history entry, which no backup renames over (the fixed
#    name does, at every commit), else the fixed name when its metadata names it
#    (a volume written before the history existed); none is a failure, never
#    "nothing to restore".
if [ -n "$want" ]; then
  if history_entry_of "$want" && [ -e "$entry.sql" ]; then
    dump=$entry.sql
    meta=$entry.meta
    next=$meta
  elif ! { [ -e "$dump" ] && { [ "$(meta_value sha256 "$meta" 2>/dev/null)" = "$want" ] || [ "$(meta_value sha256 "$next" 2>/dev/null)" = "$want" ]; }; }; then
    die "$EXIT_VERIFY" "the backup record names the dump with sha256 $want, but no metadata in $dir names it (is this the volume it was written to, or was the claim re-created?); refusing to call that nothing to restore"
  fi
fi

# Nothing to restore is a normal outcome. Metadata without its dump is not.
if [ ! -e "$dump" ]; then
  [ ! -e "$meta" ] || die "$EXIT_VERIFY" "metadata $meta exists but the dump $dump is missing; refusing to call that nothing to restore"
  [ -z "$required" ] ||
    die "$EXIT_VERIFY" "a backup was recorded, but there is no dump in $dir (is this the volume it was written to, or was the claim re-created?); refusing to call that nothing to restore"
  say "no dump found at $dump; nothing to restore"
  exit 0
fi

# 2. The dump is opened once: it is hashed, measured and loaded through this one
#    open file (re-opened as /proc/self/fd/3, the same file from its start), never
#    by its name again. A backup that renames a newer dump over the name while the
#    restore waits for the server, or retention removing the entry, changes
#    nothing of what was verified and is loaded. "command": a failed open is
#    reported, not a shell exit.
command exec 3<"$dump" || die "$EXIT_VERIFY" "cannot open $dump"
opened=/proc/self/fd/3
[ -r "$opened" ] || die "$EXIT_CONFIG" "cannot re-open the dump through $opened (is /proc mounted?); refusing to load it by its name"
# Verify before touching the server. meta.next counts too: backup.sh renames
# the dump before its metadata (see its step 6).
actual_sum=$(file_sha256 "$opened") || die "$EXIT_VERIFY" "cannot read or hash $dump"
[ -z "$want" ] || [ "$actual_sum" = "$want" ] ||
  die "$EXIT_VERIFY" "dump $dump has sha256 $actual_sum, not $want that the backup record and its metadata name; refusing to load it"
actual_size=$(file_size "$opened") || die "$EXIT_VERIFY" "cannot read $dump"
verified=
for m in "$meta" "$next"; do
  if [ -f "$m" ] && [ "$(meta_value sha256 "$m")" = "$actual_sum" ]; then
    verified=$m
    break
  fi
done
if [ -z "$verified" ]; then
  [ -f "$meta" ] || die "$EXIT_VERIFY" "no metadata $meta for $dump, so it cannot be verified; refusing to load it"
  want_size=$(meta_value size "$meta") || want_size=unknown
  [ "$actual_size" = "$want_size" ] ||
    die "$EXIT_VERIFY" "dump $dump is truncated or corrupt: $actual_size bytes, metadata says $want_size; refusing to load it"
  die "$EXIT_VERIFY" "dump $dump is corrupt: sha256 $actual_sum does not match its metadata; refusing to load it"
fi
created=$(meta_value created "$verified") || created=unknown
say "dump verified: $dump ($actual_size bytes, sha256 $actual_sum, created $created)"

# The dump goes only into the database it was taken from, or into another one
# when RESTORE_FROM_DATABASE names its source: a dump of another database
# (another resource's, before a rename) is never loaded by accident. Both sides
# are compared in the metadata's one-line escaped form. Metadata without a
# database line predates the record and is taken as it always was.
if taken_from=$(meta_value database "$verified"); then
  escape_line "$db"
  own=$replaced
  escape_line "${RESTORE_FROM_DATABASE:-}"
  if [ "$taken_from" != "$own" ] && { [ -z "${RESTORE_FROM_DATABASE:-}" ] || [ "$taken_from" != "$replaced" ]; }; then
    die "$EXIT_OTHER_DATABASE" "dump $dump was taken from database $taken_from, not $db; refusing to load it into another database (set RESTORE_FROM_DATABASE=$taken_from, spec.restore.fromDatabase of the resource, to load it anyway)"
  fi
  [ "$taken_from" = "$own" ] || say "loading a dump of database $taken_from into $db, as RESTORE_FROM_DATABASE allows"
fi

# 3. The server may still be starting (the restore Job runs beside a new Deployment).
write_client_config
say "waiting up to ${wait_seconds}s for the server"
deadline=$(($(date +%s) + wait_seconds))
until error=$(sql -e 'SELECT 1' 2>&1 >/dev/null); do
  [ "$(date +%s)" -lt "$deadline" ] || die "$EXIT_CONNECT" "server not reachable within ${wait_seconds}s: $error"
  sleep 2
done

# 4. Create the database if needed, then refuse to load over anything in it.
#    The name reaches SQL only as a backtick-quoted identifier; after that the
#    client selects it with --database and queries use DATABASE().
quote_identifier "$db"
sql <<SQL || die "$EXIT_LOAD" "cannot create database $db"
CREATE DATABASE IF NOT EXISTS $ident;
SQL
# count_objects: sets $tables, $routines and $events of database $db; fails
# when the server cannot be asked.
count_objects() {
  counts=$(sql --database="$db" -e 'SELECT
    (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()),
    (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()),
    (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE())') || return 1
  read -r tables routines events <<COUNTS
$counts
COUNTS
}
count_objects || die "$EXIT_LOAD" "cannot inspect database $db"
# mark_restored: marks the history entry of the verified dump restored (step 6): from now on retention may remove it.
mark_restored() {
  history_entry "$verified" || return 0
  escape_line "$db"
  printf 'restored=%s\ndatabase=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$replaced" >"$entry$RESTORED_SUFFIX" ||
    say "warning: cannot mark $entry.sql restored; retention keeps it"
}
# What an earlier run of this restore (same RESTORE_ID) got to: a load it
# finished is not refused as "not empty", one it left half-done is never
# taken for data that were there before.
if [ -n "$progress" ] && [ -f "$progress" ] && [ $((tables + routines + events)) -gt 0 ]; then
  state=$(meta_value state "$progress") || state=
  since=$(meta_value time "$progress") || since=unknown
  if [ "$state" = restored ] && [ "$(meta_value sha256 "$progress")" = "$actual_sum" ]; then
    say "$dump was already restored into database $db by an earlier run of this restore (at $since): $tables tables, $routines routines, $events events; nothing loaded again"
    # That run may have ended before it marked the entry (step 6).
    mark_restored
    exit 0
  fi
  if [ "$state" = loading ] && [ -z "$force" ]; then
    die "$EXIT_LOAD" "an earlier run of this restore began loading $(meta_value dump "$progress" || echo a dump) into database $db at $since and did not finish: the database is partly restored ($tables tables, $routines routines, $events events) and nothing was loaded over it. Empty it (DROP DATABASE; the retry creates it again), then retry"
  fi
fi
if [ $((tables + routines + events)) -gt 0 ] && [ -z "$force" ]; then
  die "$EXIT_NOT_EMPTY" "database $db already holds $tables tables, $routines routines, $events events; refusing to overwrite it (set RESTORE_FORCE=1 to load anyway)"
fi

# record_progress STATE: this restore's progress file, replaced whole and
# flushed with its directory (a node crash must not lose it). A load
# is begun only once "loading" is on disk, or a failure could later pass for
# data that were there before.
record_progress() {
  [ -n "$progress" ] || return 0
  tmp_meta=$progress.tmp
  {
    printf 'state=%s\nsha256=%s\ntime=%s\n' "$1" "$actual_sum" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    escape_line "$dump"
    printf 'dump=%s\n' "$replaced"
  } >"$tmp_meta" && sync "$tmp_meta" && mv -f -- "$tmp_meta" "$progress" && sync "$dir"
}

# 5. Load. The dump has no USE statement: --database decides where it goes.
record_progress loading ||
  die "$EXIT_WRITE" "cannot record the restore's progress in $progress (is the backup volume writable?); nothing was loaded"
say "loading $dump into database $db"
sql --database="$db" <"$opened" ||
  die "$EXIT_LOAD" "loading $dump failed; database $db may be partly restored: empty it (DROP DATABASE; the retry creates it again) before a retry, which refuses to load over it"
record_progress restored || say "warning: cannot record in $progress that the load finished; a re-run of this restore would call it partly restored"
# The load is complete and recorded: a count that fails now (the server gone
# away) is no reason to call the restore failed.
if count_objects; then
  say "restored database $db from $dump (created $created): $tables tables, $routines routines, $events events"
else
  say "restored database $db from $dump (created $created)"
  say "warning: cannot count the tables, routines and events of database $db after the load (the server may have gone away); the load itself completed"
fi

# 6. Mark the history entry restored: from now on retention may remove it.
mark_restored
