#!/bin/sh
# Process node: one container's private view of the machine. Runs as the first
# process of fresh mount, UTS and PID namespaces (the node starts it under
# `unshare --mount --uts --pid --fork --kill-child`), so every mount made here is
# private to the container and disappears with it; the machine's own file system
# is never written. The root is the machine's root file system behind a
# copy-on-write overlay whose writable layer is a tmpfs (lost with the container,
# like a container's writable layer), with its own /dev, /proc, /sys, /tmp and /run,
# the pod's volumes bind-mounted at their mount paths, and the pod's /etc/hosts.
#
# Usage: sandbox.sh PLAN, PLAN being a shell file of the calls below, written by
# the node with every value single-quoted. Prints "ready" once set up, from inside
# the container's root and working directory, then stays as the namespace's PID 1
# (the pause role) until the node kills it; the container's processes join the
# namespaces, root and working directory of that PID 1 with nsenter.
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

fail() {
  printf 'sandbox: %s\n' "$*" >&2
  exit 1
}

dir=
root=
read_only=
workdir=/

# container_dir DIR: where the root and its writable layer are mounted (the container's own directory).
container_dir() {
  dir=$1
  root=$dir/root
  mkdir -p "$root" "$dir/layer"
}

# root_fs: the copy-on-write root with fresh /dev, /proc, /sys, /tmp and /run.
root_fs() {
  mount -t tmpfs -o mode=0755 layer "$dir/layer"
  mkdir "$dir/layer/upper" "$dir/layer/work"
  mount -t overlay overlay -o "lowerdir=/,upperdir=$dir/layer/upper,workdir=$dir/layer/work" "$root"
  # /dev as container runtimes make it: the harmless devices only, not the machine's disks.
  mount -t tmpfs -o mode=0755,nosuid dev "$root/dev"
  for node in null zero full random urandom tty; do
    touch "$root/dev/$node"
    mount --bind "/dev/$node" "$root/dev/$node"
  done
  mkdir "$root/dev/pts" "$root/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
  ln -s pts/ptmx "$root/dev/ptmx"
  mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
  ln -s /proc/self/fd "$root/dev/fd"
  ln -s /proc/self/fd/0 "$root/dev/stdin"
  ln -s /proc/self/fd/1 "$root/dev/stdout"
  ln -s /proc/self/fd/2 "$root/dev/stderr"
  mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
  mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
  # Writable until the plan is done (the image's directories go here); a read-only root makes them read-only then.
  mount -t tmpfs -o mode=1777,nosuid,nodev tmp "$root/tmp"
  mount -t tmpfs -o mode=0755,nosuid,nodev run "$root/run"
}

# without_account FILE NAME ID: FILE (passwd or group) without the entries named NAME or numbered ID.
without_account() {
  awk -F: -v name="$2" -v id="$3" '$1 != name && $3 != id' "$1" || fail "cannot read $1"
}

# image_user NAME UID GID HOME: the image's account NAME (user and group) in the container's /etc/passwd and
# /etc/group, in place of the machine's accounts of that name or those ids. The files are the overlay's copies.
image_user() {
  passwd=$root/etc/passwd
  group=$root/etc/group
  accounts=$(without_account "$passwd" "$1" "$2") || exit 1
  printf '%s\n%s:x:%s:%s::%s:/usr/sbin/nologin\n' "$accounts" "$1" "$2" "$3" "$4" >"$passwd" || fail "cannot write /etc/passwd"
  groups=$(without_account "$group" "$1" "$3") || exit 1
  printf '%s\n%s:x:%s:\n' "$groups" "$1" "$3" >"$group" || fail "cannot write /etc/group"
}

# image_dir PATH MODE UID GID: a directory of the image, with its owner and mode (octal).
image_dir() {
  target=$(inside "$1")
  mkdir -p -- "$root$target" || fail "cannot create $1"
  { chown "$3:$4" "$root$target" && chmod "$2" "$root$target"; } || fail "cannot set the owner and mode of $1"
}

# inside PATH: PATH resolved inside the root (symlinks stay in the root), missing components allowed.
inside() {
  chroot "$root" realpath -m -- "$1" || fail "cannot resolve $1 inside the container"
}

# mount_volume SOURCE TARGET rw|ro: SOURCE (a directory or file of the node) at TARGET inside the root.
mount_volume() {
  target=$(inside "$2")
  if [ -d "$1" ]; then
    mkdir -p -- "$root$target" || fail "cannot create the mount point $2"
  else
    mkdir -p -- "$root$(dirname -- "$target")" || fail "cannot create the directory of the mount point $2"
    [ -e "$root$target" ] || : >"$root$target" || fail "cannot create the mount point $2"
  fi
  mount --bind -- "$1" "$root$target" || fail "cannot mount $1 at $2"
  if [ "$3" = ro ]; then
    mount -o remount,bind,ro -- "$root$target" || fail "cannot make $2 read-only"
  fi
}

# read_only_root: the root is mounted read-only once everything is in place (volumes stay as they are);
# before root_fs in the plan.
read_only_root() {
  read_only=1
}

# working_dir DIR: the container's working directory (created when missing, as runtimes do).
working_dir() {
  workdir=$1
}

# host_name NAME: the container's hostname (its own UTS namespace).
host_name() {
  hostname -- "$1"
}

[ $# -eq 1 ] || fail "usage: sandbox.sh PLAN"
# shellcheck source=/dev/null
. "$1"
[ -n "$root" ] || fail "the plan names no container directory"
target=$(inside "$workdir")
mkdir -p -- "$root$target" || fail "cannot create the working directory $workdir"
if [ -n "$read_only" ]; then
  mount -o remount,bind,ro -- "$root" || fail "cannot make the root read-only"
  # /tmp and /run are part of it (writable places are volumes).
  { mount -o remount,ro -- "$root/tmp" && mount -o remount,ro -- "$root/run"; } || fail "cannot make /tmp and /run read-only"
fi
# PID 1 of the container: waits in the working directory, where nsenter --root --wd finds its root and directory.
# It says "ready" only from there: the node joins as soon as it reads the word, and a word printed before the
# chroot (a loaded machine may hold this shell between the two) would let the command start in the machine's
# root, without the volumes.
# shellcheck disable=SC2016 # $1 is for the inner shell
exec chroot "$root" /bin/sh -c 'cd -- "$1" && echo ready && exec sleep infinity' pause "$workdir"
