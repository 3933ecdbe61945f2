#!/bin/bash
# The minimal-machine check (issue 12): run the README's test command as a new user
# would, in a fresh minimal Debian 12 root (`debootstrap --variant=minbase bookworm`)
# that has nothing but what tests/install-deps.sh and tests/e2e/install-engines.sh
# install.  Not run by CI; repeat it after changing what the tests need.
#
#   sudo tests/minimal-root.sh                        # bash tests/run.sh in the root
#   sudo tests/minimal-root.sh bash tests/cgroup-v2.sh   # any command, run in /capsa
#   sudo MINROOT_KEEP=1 tests/minimal-root.sh bash    # a shell; keep the root after
#
# The root gets a clone of this repository at HEAD (committed work only) in /capsa and a
# copy of ../shared in /shared (the tests find ../shared/tools/v2vm beside the repo).  It
# is entered in new mount and PID namespaces (exiting ends every process started in it
# and drops every mount): /proc fresh, /sys and /dev recursively bound (the host's cgroup
# mounts stay as they are), /run a tmpfs, then pivot_root.  The network is the host's:
# apt-get needs Debian's archive.  v2vm boots this root as the guest's root.
#
# Environment: MINROOT (default /var/tmp/minroot; removed first and after, unless
# MINROOT_KEEP=1; MINROOT_REUSE=1 enters a kept one again as it is), MINROOT_TAR (the pristine root, debootstrapped once and kept; default
# /var/tmp/minroot-bookworm.tar), MINROOT_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
ROOT=${MINROOT:-/var/tmp/minroot}
TAR=${MINROOT_TAR:-/var/tmp/minroot-bookworm.tar}
MIRROR=${MINROOT_MIRROR:-http://deb.debian.org/debian}
MARK=.capsa-minimal-root   # only a directory carrying it is ever removed

die () { echo "minimal-root.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, mounts, pivot_root)"
[ $# -gt 0 ] || set -- bash tests/run.sh

remove_root () {
  [ -e "$ROOT" ] || return 0
  [ -e "$ROOT/$MARK" ] || die "$ROOT exists and is not a root made by this script"
  # Its mounts lived in the namespace, which is gone; never recurse into a live mount.
  if findmnt -rn -o TARGET | grep -q "^$ROOT\(/\|$\)"; then
    die "something is mounted under $ROOT; not removing it"
  fi
  rm -rf --one-file-system "$ROOT"
}

make_root () {
  if [ ! -s "$TAR" ]; then
    command -v debootstrap >/dev/null ||
      { apt-get install -y -qq debootstrap >/dev/null || die "cannot install debootstrap"; }
    echo "minimal-root.sh: debootstrap --variant=minbase bookworm ($MIRROR)"
    local fresh=$ROOT.debootstrap
    rm -rf --one-file-system "$fresh"
    debootstrap --variant=minbase bookworm "$fresh" "$MIRROR" >"$fresh.log" 2>&1 ||
      die "debootstrap failed (see $fresh.log)"
    tar -C "$fresh" -cf "$TAR.tmp" . && mv "$TAR.tmp" "$TAR"
    rm -rf --one-file-system "$fresh" "$fresh.log"
  fi
  mkdir -p "$ROOT"
  touch "$ROOT/$MARK"
  tar -C "$ROOT" -xpf "$TAR"
  git clone -q "$REPO" "$ROOT/capsa"
  if [ -d "$REPO/../shared" ]; then cp -a "$REPO/../shared" "$ROOT/shared"; fi
  echo "minimal-root.sh: $ROOT ready (capsa at $(git -C "$ROOT/capsa" rev-parse --short HEAD))"
}

if [ "${MINROOT_REUSE:-0}" = 1 ] && [ -e "$ROOT/$MARK" ]; then
  echo "minimal-root.sh: entering the kept $ROOT"
else
  remove_root
  make_root
fi

# Runs in the new namespaces: mount, pivot_root, then the command in /capsa.  Only the
# listed variables reach it, as on a machine where root logs in.
# shellcheck disable=SC2016  # expanded in the namespace
enter='set -eu
mount --bind "$ROOT" "$ROOT"
mount -t proc proc "$ROOT/proc"
mount --rbind /sys "$ROOT/sys"
mount --rbind /dev "$ROOT/dev"
mount -t tmpfs -o mode=755 run "$ROOT/run"
cd "$ROOT"
mkdir -p .host
pivot_root . .host
cd /
umount -l /.host
rmdir /.host
cd /capsa
exec env -i HOME=/root TERM="$TERM" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"'
rc=0
unshare --mount --pid --fork --propagation private \
  env ROOT="$ROOT" TERM="${TERM:-dumb}" bash -c "$enter" enter "$@" || rc=$?
echo "minimal-root.sh: exit status $rc"
[ "${MINROOT_KEEP:-0}" = 1 ] || remove_root
exit $rc
