#!/bin/sh
# Process node image program for mysql:* and mariadb:* containers without a command:
# the machine's MariaDB server (Debian's mariadbd) behind the official images'
# environment contract, so that a pod spec written for those images runs as is.
#
#   MYSQL_ROOT_PASSWORD | MYSQL_ALLOW_EMPTY_PASSWORD | MYSQL_RANDOM_ROOT_PASSWORD
#   MYSQL_ROOT_HOST (default %), MYSQL_DATABASE, MYSQL_USER + MYSQL_PASSWORD
#   each also as MARIADB_* (which wins) and as *_FILE (the value read from a file)
#
# First start (no mysql/ in /var/lib/mysql): initialise the data directory, set the
# root password, create the database and the user, then start for real. An existing
# data directory is used as it is; the variables are not read again (as in the images).
# Started as root, the server runs as the image's `mysql` user (uid 999, as in the
# official images; the node puts it in the container's /etc/passwd) and owns its data;
# started as any other user (a pod's runAsUser), it runs as that one, which must be able
# to write the data directory already (fsGroup, or an init container that chowns it).
# It listens on the pod's IP (the address of its hostname in /etc/hosts) port 3306,
# and on /run/mysqld/mysqld.sock. Arguments go to mariadbd, as with the images.
set -eu

# On the machine itself this would start a server on its own /var/lib/mysql: only inside a container.
[ -d /.process-node/images ] || {
  echo "mysql-server.sh: runs only inside a process-node container (its /var/lib/mysql is the pod's volume)" >&2
  exit 1
}

datadir=/var/lib/mysql
socket=/run/mysqld/mysqld.sock

note() { printf '%s [Note] [Entrypoint]: %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S')" "$*"; }
die() {
  printf '%s [ERROR] [Entrypoint]: %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S')" "$*" >&2
  exit 1
}

# setting NAME: sets $value from MARIADB_NAME, MYSQL_NAME, or the file one of their
# *_FILE forms names (trailing newlines dropped, as the images do); "" when unset.
# Only constant names reach eval; values never do.
setting() {
  value=
  for _var in "MARIADB_$1" "MYSQL_$1"; do
    eval "_set=\${$_var+x} _file=\${${_var}_FILE:-}"
    if [ -n "$_set" ] && [ -n "$_file" ]; then
      die "both $_var and ${_var}_FILE are set (but are exclusive)"
    fi
    if [ -n "$_file" ]; then
      value=$(cat -- "$_file") || die "cannot read ${_var}_FILE ($_file)"
      return 0
    fi
    if [ -n "$_set" ]; then
      eval "value=\$$_var"
      return 0
    fi
  done
}

# literal TEXT: sets $literal to TEXT as a SQL string literal ('…' with \ and ' escaped).
literal() {
  _rest=$1
  literal=
  while :; do
    case $_rest in
      *[\\\']*)
        _head=${_rest%%[\\\']*}
        _rest=${_rest#"$_head"}
        literal=$literal$_head\\${_rest%"${_rest#?}"}
        _rest=${_rest#?}
        ;;
      *)
        literal="'$literal$_rest'"
        return 0
        ;;
    esac
  done
}

ip=$(getent hosts "$(hostname)" | while read -r address _; do
  echo "$address"
  break
done)
[ -n "$ip" ] || die "no address for this pod's hostname $(hostname) in /etc/hosts"

user=$(id -un)
if [ "$(id -u)" = 0 ]; then
  if id mysql >/dev/null 2>&1; then user=mysql; fi
fi
mkdir -p /run/mysqld "$datadir"
if [ "$(id -u)" = 0 ]; then
  chown "$user" /run/mysqld
  # The images do the same: the data directory belongs to the server's user.
  find "$datadir" \! -user "$user" -exec chown "$user" '{}' +
elif [ ! -w "$datadir" ]; then
  die "$datadir is not writable by $user (uid $(id -u)): the volume must belong to that user or its group"
fi

if [ ! -d "$datadir/mysql" ]; then
  setting ROOT_PASSWORD
  root_password=$value
  setting ALLOW_EMPTY_PASSWORD
  allow_empty=$value
  setting RANDOM_ROOT_PASSWORD
  random_root=$value
  if [ -z "$root_password" ] && [ -z "$allow_empty" ] && [ -z "$random_root" ]; then
    die "Database is uninitialized and password option is not specified. You need to specify one of MYSQL_ROOT_PASSWORD, MYSQL_ALLOW_EMPTY_PASSWORD and MYSQL_RANDOM_ROOT_PASSWORD"
  fi
  if [ -n "$random_root" ]; then
    root_password=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
    note "GENERATED ROOT PASSWORD: $root_password"
  fi
  setting ROOT_HOST
  root_host=${value:-%}
  setting DATABASE
  database=$value
  setting USER
  app_user=$value
  setting PASSWORD
  app_password=$value

  note "Initializing database files in $datadir"
  mariadb-install-db --datadir="$datadir" --user="$user" --skip-test-db --auth-root-authentication-method=normal \
    --skip-name-resolve >/dev/null || die "mariadb-install-db failed"

  note "Starting temporary server"
  mariadbd --user="$user" --datadir="$datadir" --skip-networking --socket="$socket" --skip-name-resolve "$@" &
  temporary=$!
  tries=0
  until mariadb --protocol=socket --socket="$socket" -uroot -e 'SELECT 1' >/dev/null 2>&1; do
    kill -0 "$temporary" 2>/dev/null || die "the temporary server did not start"
    tries=$((tries + 1))
    [ "$tries" -lt 300 ] || die "the temporary server did not answer within 60 s"
    sleep 0.2
  done

  literal "$root_password"
  root_literal=$literal
  literal "$root_host"
  root_host_literal=$literal
  {
    # The initial accounts besides root@localhost carry no password: drop them, as the images do.
    echo "SET SESSION sql_mode = ''; SET @@SESSION.SQL_LOG_BIN = 0;"
    echo "DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1', ''@'localhost';"
    printf '%s\n' "EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS root@\\'', @@hostname, '\\', \\'\\'@\\'', @@hostname, '\\'');"
    # printf, not echo: dash's echo would turn the literals' \\ into \.
    printf '%s\n' "ALTER USER 'root'@'localhost' IDENTIFIED BY $root_literal;"
    if [ "$root_host" != localhost ]; then
      printf '%s\n' "CREATE USER 'root'@$root_host_literal IDENTIFIED BY $root_literal;"
      printf '%s\n' "GRANT ALL ON *.* TO 'root'@$root_host_literal WITH GRANT OPTION;"
    fi
    if [ -n "$database" ]; then
      # As the images do: the name goes between backticks unchanged (a backtick in it must come doubled).
      # shellcheck disable=SC2016 # backticks are SQL here
      printf 'CREATE DATABASE IF NOT EXISTS `%s`;\n' "$database"
    fi
    if [ -n "$app_user" ] && [ -n "$app_password" ]; then
      literal "$app_user"
      user_literal=$literal
      literal "$app_password"
      printf '%s\n' "CREATE USER $user_literal@'%' IDENTIFIED BY $literal;"
      # shellcheck disable=SC2016 # backticks are SQL here
      [ -z "$database" ] || printf 'GRANT ALL ON `%s`.* TO %s@%s;\n' "$database" "$user_literal" "'%'"
    fi
    echo "FLUSH PRIVILEGES;"
  } | mariadb --protocol=socket --socket="$socket" -uroot --batch || die "setting up the accounts and the database failed"

  kill "$temporary"
  wait "$temporary" || :
  note "MariaDB init process done. Ready for start up."
fi

note "Starting mariadbd on $ip:3306 as $user"
exec mariadbd --user="$user" --datadir="$datadir" --bind-address="$ip" --port=3306 --socket="$socket" --skip-name-resolve "$@"
