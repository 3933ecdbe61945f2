#!/bin/bash
# Docker's `update` and `--device PATH:DEST:r` cases (test_docker_podman.py) on pure
# cgroup v2, in the ../shared/tools/v2vm guest, for capsa and runc: once with dockerd's
# cgroupfs driver, once with systemd as PID 1 and native.cgroupdriver=systemd.  The
# plain run also has podman checkpoint and restore a container on capsa
# (test_podman_checkpoint.py; criu works on the guest's kernel, not on the host's).  The
# guest CPU is emulated: only these cases run there, docker only.  Skips, with the
# reason, where v2vm or dockerd is absent (tests/e2e/install-engines.sh installs it on
# the host; the guest's root is the host's).
#
#   sudo tests/e2e/v2-guest.sh         (after a build in $BUILD_DIR, default build/)
#
# JUnit results: $BUILD_DIR/test-logs/e2e-v2-{plain,systemd}.xml.  Exit status non-zero
# when a case failed or the guest could not run them.
# Environment: BUILD_DIR, CAPSA_BIN (default $BUILD_DIR/capsa), V2VM, E2E_V2_MODES
# ("plain systemd"), E2E_V2_PYTEST_ARGS (extra pytest arguments).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$here/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
CAPSA_BIN=$(realpath -m "${CAPSA_BIN:-$BUILD_DIR/capsa}")
V2VM=${V2VM:-$REPO/../shared/tools/v2vm}
MODES=${E2E_V2_MODES:-plain systemd}
LOGS=$BUILD_DIR/test-logs
CASES=""
for t in test_update_changes_only_what_it_names test_device_read_only_rule; do
  for rt in capsa runc; do CASES+=" 'test_docker_podman.py::$t[docker-$rt]'"; done  # quoted: [ ] glob
done

if [ ! -x "$V2VM" ]; then
  echo "SKIP e2e v2 guest: no v2vm at $V2VM (see ../shared/tools/README.md)"
  exit 0
fi
if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
  echo "SKIP e2e v2 guest: dockerd/docker not installed (tests/e2e/install-engines.sh)"
  exit 0
fi
[ -x "$CAPSA_BIN" ] || { echo "e2e v2 guest: $CAPSA_BIN not built" >&2; exit 1; }
mkdir -p "$LOGS"
# The image's rootfs tarball is built on the host (fast), under the host's E2E_BASE; the
# guest sees it read-only and copies it to its tmpfs, where dockerd imports it.
TAR=$(cd "$here" && /usr/bin/python3 -c \
  "import os, engines as e; os.makedirs(e.BASE, exist_ok=True); print(e.rootfs_tar(os.path.join(e.BASE, 'busybox-rootfs.tar')))") \
  || exit 1
GUEST_BASE=/tmp/capsa-e2e   # a tmpfs of its own: overlay2 needs a local filesystem
shares=(--share "$REPO")
case "$LOGS/" in "$REPO"/*) ;; *) shares+=(--share "$LOGS") ;; esac

# podman's checkpoint/restore on capsa (issue 14), plain mode only: criu 3.17 works on
# the guest's kernel with the modules it probes (tests/criu-guest-kmods.sh).
CRIU_CASES="" CRIU_KMODS=""
if command -v podman >/dev/null && command -v criu >/dev/null &&
   CRIU_KMODS=$(V2VM=$V2VM "$REPO/tests/criu-guest-kmods.sh"); then
  for t in test_podman_checkpoint_restore_counter test_podman_checkpoint_export_restore_new_container; do
    CRIU_CASES+=" 'test_podman_checkpoint.py::$t[capsa]'"
  done
fi

status=0
for mode in $MODES; do
  opts=("${shares[@]}" --timeout 420)   # ~1-3 min normally
  driver=cgroupfs
  engines=docker cases=$CASES
  if [ "$mode" = systemd ]; then
    opts+=(--systemd)
    driver=systemd
  elif [ -n "$CRIU_CASES" ]; then
    opts=("${shares[@]}" --timeout 720)   # + ~3 min of podman checkpoint/restore
    engines=docker,podman cases+=$CRIU_CASES
  fi
  xml=$LOGS/e2e-v2-$mode.xml
  rm -f "$xml"
  echo "== e2e in the cgroup v2 guest ($mode, dockerd native.cgroupdriver=$driver)"
  start=$(date +%s)
  "$V2VM" "${opts[@]}" -- env CAPSA_BIN="$CAPSA_BIN" E2E_BASE=$GUEST_BASE E2E_ENGINES=$engines \
    E2E_DOCKER_CGROUP_DRIVER=$driver CAPSA_CRIU_KMODS="$CRIU_KMODS" PYTHONDONTWRITEBYTECODE=1 \
    /bin/sh -c \
    "mkdir -p $GUEST_BASE && mount -t tmpfs e2e $GUEST_BASE && cp '$TAR' $GUEST_BASE/ &&
     cd '$here' && exec /usr/bin/python3 -m pytest -q -rfs -p no:cacheprovider \
       --junitxml='$xml' $cases ${E2E_V2_PYTEST_ARGS:-}"
  rc=$?
  echo "e2e v2 guest ($mode): exit status $rc, $(( $(date +%s) - start ))s"
  [ $rc -ne 0 ] && status=1
done
exit $status
