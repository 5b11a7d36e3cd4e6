#!/bin/sh
# mysqlop backup: dump one database into the backup directory. A failed or
# interrupted run never replaces the last good dump. Interface: README.md.
set -eu
SCRIPT=backup
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
find_tool mariadb-dump mysqldump
dumper=$tool
write_client_config

keep=${BACKUP_KEEP:-5}
case $keep in
  '' | *[!0-9]* | 0) die "$EXIT_CONFIG" "BACKUP_KEEP must be a whole number of backups, at least 1" ;;
esac
# Which server the dump is of (the operator passes its resource's uid): retention
# keeps only the newest unrestored dump of each. Unset: no source, today's rule.
source=${BACKUP_SOURCE:-}
case $source in
  *[!A-Za-z0-9._-]*) die "$EXIT_CONFIG" "BACKUP_SOURCE must name the server with letters, digits, '.', '_' and '-' only (the MySQL resource's metadata.uid)" ;;
esac
kind=${BACKUP_KIND:-final}
case $kind in
  final | scheduled) ;;
  *) die "$EXIT_CONFIG" "BACKUP_KIND must be final or scheduled" ;;
esac

# 1. A previous run may have stopped between renaming its dump and renaming its
#    metadata (see step 5): finish or discard its work so both files agree again.
if [ -e "$next" ]; then
  current=
  if [ -e "$dump" ]; then
    current=$(file_sha256 "$dump") || die "$EXIT_WRITE" "cannot read $dump"
  fi
  if [ -n "$current" ] && [ "$current" = "$(meta_value sha256 "$next")" ]; then
    mv -f -- "$next" "$meta" || die "$EXIT_WRITE" "cannot rename $next to $meta"
  else
    rm -f -- "$next" || die "$EXIT_WRITE" "cannot remove $next"
  fi
fi
# Leftovers of runs that were killed; the dump and metadata never match this. No other
# backup runs now: the operator never starts the final backup beside a scheduled one, and
# the schedule's CronJob runs one at a time.
rm -f -- "$dir"/.mysqlop-dump.*.tmp.*
# A history dump without its metadata was never committed (see step 5).
for d in "$history/$HISTORY_PREFIX"*.sql; do
  [ ! -e "$d" ] || [ -e "${d%.sql}.meta" ] || rm -f -- "$d" || die "$EXIT_WRITE" "cannot remove $d"
done

# Fallback passwords: the [client_N] groups of MYSQL_PASSWORD_FALLBACKS_FILE (each one
# password= line, as the operator writes them), copied into the private option file.
# A missing file is none: the operator mounts one only while a password change did not finish.
group_suffix=
fallback_groups=
if [ -n "${MYSQL_PASSWORD_FALLBACKS_FILE:-}" ] && [ -f "$MYSQL_PASSWORD_FALLBACKS_FILE" ]; then
  # The option-file reader splits a longer line into lines of its own (see option_line): its tail would be options.
  ! LC_ALL=C grep -q ".\{$((OPTION_LINE_MAX + 1)),\}" <"$MYSQL_PASSWORD_FALLBACKS_FILE" ||
    die "$EXIT_CONFIG" "MYSQL_PASSWORD_FALLBACKS_FILE ($MYSQL_PASSWORD_FALLBACKS_FILE) has a line longer than $OPTION_LINE_MAX bytes, which the option-file reader would split into options"
  sed -n '/^\[client_[0-9][0-9]*\]$/,${/^\[client_[0-9][0-9]*\]$/p;/^password=/p;}' <"$MYSQL_PASSWORD_FALLBACKS_FILE" >>"$client_cnf" ||
    die "$EXIT_CONFIG" "cannot read MYSQL_PASSWORD_FALLBACKS_FILE ($MYSQL_PASSWORD_FALLBACKS_FILE)"
  fallback_groups=$(sed -n 's/^\[client\(_[0-9][0-9]*\)\]$/\1/p' <"$client_cnf")
fi

# 2. Connect first: "server down" is then reported as such. While the server answers
#    "access denied" (ERROR 1045), each fallback password is tried in turn: a password
#    change whose Job set its password and then failed leaves the server with that one.
#    The client's messages name no password.
for group_suffix in '' $fallback_groups; do
  if version=$(sql -e 'SELECT VERSION()' 2>"$work/connect.err"); then break; fi
  version=
  grep -q '^ERROR 1045 ' "$work/connect.err" || break
done
if [ -z "$version" ]; then
  cat -- "$work/connect.err" >&2
  if [ -n "$fallback_groups" ] && grep -q '^ERROR 1045 ' "$work/connect.err"; then
    die "$EXIT_CONNECT" "cannot connect to the server: it refused MYSQL_PASSWORD and each password of MYSQL_PASSWORD_FALLBACKS_FILE; the previous dump is untouched"
  fi
  die "$EXIT_CONNECT" "cannot connect to the server; the previous dump is untouched"
fi
[ -z "$group_suffix" ] || say "connected with a fallback password (group client$group_suffix of MYSQL_PASSWORD_FALLBACKS_FILE): MYSQL_PASSWORD was refused"
# The history entry's name is its time, to the second: a second backup within the
# same second waits for the next one rather than take an existing name. Names are
# the order of the history (retention takes it for age), so a name never sorts
# before an existing one: on a node whose clock is behind that of the node of the
# newest entry, the name is the newest's plus one second (digits only, so that it
# sorts alike in every locale), and `created` in the metadata keeps this clock's time.
# stamp_digits STAMP: sets $digits, STAMP (YYYYMMDDTHHMMSSZ) as one number.
stamp_digits() {
  digits=${1%Z}
  digits=${digits%T*}${digits#*T}
}
while :; do
  newest=0
  for _m in "$history/$HISTORY_PREFIX"*; do
    _s=${_m##*/"$HISTORY_PREFIX"}
    _s=${_s%%.*}
    case $_s in
      [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z) ;;
      *) continue ;;
    esac
    stamp_digits "$_s"
    [ "$digits" -le "$newest" ] || newest=$digits
  done
  created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  replace_all "$created" '-' ''
  replace_all "$replaced" ':' ''
  stamp=$replaced
  stamp_digits "$stamp"
  if [ "$digits" -le "$newest" ]; then
    digits=$((newest + 1))
    stamp=${digits%??????}T${digits#????????}Z
  fi
  entry=$history/$HISTORY_PREFIX$stamp
  [ -e "$entry.sql" ] || [ -e "$entry.meta" ] || break
  sleep 1
done

# 3. Dump into a temporary file in the same directory (same filesystem, so the
#    rename in step 5 is atomic), straight from the dump tool: nothing copies the
#    stream on its way. Then hash the file, read back from the page cache, while
#    the kernel writes it to disk: on two cores both finish in about the time of
#    the flush alone (measured: npm run bench:backup).
#    --single-transaction: a consistent InnoDB snapshot without locking.
#    "--" keeps a database named like "--all-databases" a name.
#    Named by mktemp, not $$: the shell of every pod is PID 1, and two backup
#    pods on one volume must never write into one file.
tmp_dump=$(mktemp -- "$dir/.mysqlop-dump.sql.tmp.XXXXXXXX") || die "$EXIT_WRITE" "cannot create a file in $dir"
say "dumping database $db with $dumper (server $version)"
dump_status=0
"$dumper" --defaults-extra-file="$client_cnf" ${group_suffix:+--defaults-group-suffix="$group_suffix"} --single-transaction --routines --triggers --events \
  --no-tablespaces -- "$db" >"$tmp_dump" || dump_status=$?
# mysqldump and mariadb-dump exit 5 (EX_EOF) only when writing their output failed.
[ "$dump_status" -ne 5 ] || die "$EXIT_WRITE" "writing $tmp_dump failed ($dumper exit 5, e.g. the backup volume is full); the previous dump is untouched"
[ "$dump_status" -eq 0 ] || die "$EXIT_DUMP" "$dumper failed (exit $dump_status); the previous dump is untouched"
sync "$tmp_dump" &
flush_pid=$!
sum=$(file_sha256 "$tmp_dump") || sum=
wait "$flush_pid" || die "$EXIT_WRITE" "cannot flush $tmp_dump to disk; the previous dump is untouched"

# 4. Metadata: what restore verifies the dump against.
case $sum in
  '' | *[!0-9a-f]*) die "$EXIT_WRITE" "no checksum for $tmp_dump; the previous dump is untouched" ;;
esac
size=$(file_size "$tmp_dump") || die "$EXIT_WRITE" "cannot measure $tmp_dump"
escape_line "$db"
tmp_meta=$(mktemp -- "$dir/.mysqlop-dump.meta.tmp.XXXXXXXX") || die "$EXIT_WRITE" "cannot create a file in $dir"
{
  printf '# mysqlop backup metadata, written after the dump succeeded (see README.md)\n'
  printf 'format=1\n'
  printf 'sha256=%s\n' "$sum"
  printf 'size=%s\n' "$size"
  printf 'created=%s\n' "$created"
  printf 'server_version=%s\n' "$version"
  printf 'database=%s\n' "$replaced"
  printf 'dump=%s\n' "$DUMP_FILE"
  printf 'kind=%s\n' "$kind"
  [ -z "$source" ] || printf 'source=%s\n' "$source"
} >"$tmp_meta" || die "$EXIT_WRITE" "cannot write $tmp_meta"

# 5. History first: the dump and its metadata as a new entry named by its time,
#    never replaced (hard links: no second copy on disk; a copy where the
#    filesystem has no hard links). The metadata is the entry's commit: a crash
#    before it leaves a dump without metadata, which restore never takes.
sync "$tmp_meta" || die "$EXIT_WRITE" "cannot flush $tmp_meta to disk"
mkdir -p -- "$history" || die "$EXIT_WRITE" "cannot create $history"
#    An entry is never written over: the copy refuses an existing name (noclobber), so a backup
#    run by hand beside this one that took the same second fails here instead of replacing it.
#    A copy is flushed before the next step: the metadata must never reach the disk before its dump's data (a hard
#    link shares the data flushed in steps 3 and 5).
add_entry() { # temporary file, entry file
  ln -- "$1" "$2" 2>/dev/null && return 0
  [ ! -e "$2" ] || die "$EXIT_WRITE" "history entry $2 appeared meanwhile (another backup in the same second?); it is left as it is, and this backup is not recorded"
  (set -C && cat -- "$1" >"$2") || die "$EXIT_WRITE" "cannot write $2"
  sync "$2" || die "$EXIT_WRITE" "cannot flush $2 to disk"
}
add_entry "$tmp_dump" "$entry.sql"
add_entry "$tmp_meta" "$entry.meta"
sync "$history" || die "$EXIT_WRITE" "cannot flush $history to disk"

# 6. Commit the newest dump under its fixed name. Flush the metadata (the dump was flushed in step 3), then rename:
#    metadata to meta.next, the dump into place, meta.next to meta. After a crash between any two steps the dump
#    on disk matches meta or meta.next, and restore accepts either (step 1 of
#    the next backup tidies up).
mv -f -- "$tmp_meta" "$next" || die "$EXIT_WRITE" "cannot rename $tmp_meta to $next"
mv -f -- "$tmp_dump" "$dump" || die "$EXIT_WRITE" "cannot rename $tmp_dump to $dump"
mv -f -- "$next" "$meta" || die "$EXIT_WRITE" "cannot rename $next to $meta"
sync "$dir" || die "$EXIT_WRITE" "cannot flush $dir to disk"

say "backup complete: $entry.sql ($size bytes, sha256 $sum)"

# 7. Retention: the newest $keep entries stay. An older one goes once a restore
#    loaded it (its .restored mark), or once a newer entry of the same source
#    exists (that server's later state is kept). So the newest unrestored dump of
#    each source stays, e.g. the final dump of a server whose restore was refused,
#    however many backups the next server takes. An entry without a source is
#    kept until restored. The metadata goes first: a crash leaves a dump without
#    metadata, which step 1 removes.
# newer_entry_of SOURCE SKIP ENTRIES...: sets $newer to the first of ENTRIES after
# the first SKIP whose metadata names SOURCE; returns 1 when there is none.
newer_entry_of() {
  _of=$1
  _skip=$2
  shift 2
  for _n in "$@"; do
    if [ "$_skip" -gt 0 ]; then
      _skip=$((_skip - 1))
    elif [ "$(meta_value source "$_n" 2>/dev/null)" = "$_of" ]; then
      newer=${_n%.meta}
      return 0
    fi
  done
  return 1
}
set -- "$history/$HISTORY_PREFIX"*.meta
entries=$#
excess=$((entries - keep))
position=0
for m in "$@"; do
  [ "$position" -lt "$excess" ] || break
  position=$((position + 1))
  old=${m%.meta}
  of=$(meta_value source "$m") || of=
  what=$(meta_value kind "$m") || what=
  described="${what:+$what backup}${of:+ of $of}"
  if [ "$old" = "$entry" ]; then
    # This run's name sorts after every name of the form it makes (step 2), so only entries named otherwise (not by
    # this script) can sort after it. It is what this run records, so it stays.
    say "retention: kept $old.sql, this backup's own dump, although it sorts older than the newest $keep (entries named after it were not named by this script)"
  elif [ -e "$old$RESTORED_SUFFIX" ]; then
    rm -f -- "$m" "$old.sql" "$old$RESTORED_SUFFIX" || die "$EXIT_WRITE" "cannot remove $old.sql"
    entries=$((entries - 1))
    say "retention: removed $old.sql${described:+ ($described)} (restored, and older than the newest $keep)"
  elif [ -n "$of" ] && newer_entry_of "$of" "$position" "$@"; then
    rm -f -- "$m" "$old.sql" || die "$EXIT_WRITE" "cannot remove $old.sql"
    entries=$((entries - 1))
    say "retention: removed $old.sql ($described), older than the newest $keep: superseded by ${newer##*/}.sql of the same source"
  elif [ -n "$of" ]; then
    say "retention: kept $old.sql ($described), older than the newest $keep: the newest dump of its source, never restored"
  else
    say "retention: kept $old.sql, older than the newest $keep: it was never restored, and its metadata names no source"
  fi
done

# 8. What the operator records (status.backup): the container's termination message.
if [ -n "${BACKUP_REPORT_FILE:-}" ]; then
  printf 'file=%s\nsize=%s\nsha256=%s\ncreated=%s\nentries=%s\n' "$HISTORY_DIR/${entry##*/}.sql" "$size" "$sum" "$created" "$entries" >"$BACKUP_REPORT_FILE" ||
    say "warning: cannot write the report to $BACKUP_REPORT_FILE; the backup itself is complete"
fi
