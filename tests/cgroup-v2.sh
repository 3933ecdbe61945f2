#!/bin/bash
# The cgroup tests (tests/integration/test_cgroups.py, and the device rules of
# test_device_rules.py: the eBPF filter, systemd's DeviceAllow) on pure cgroup v2, in the
# ../shared/tools/v2vm guest: once with the cgroupfs driver, once with systemd as
# PID 1 and --systemd-cgroup.  The guest CPU is emulated, so only these files run
# there.  Skips, with the reason, when v2vm is absent.
#
#   sudo tests/cgroup-v2.sh            (after a build in $BUILD_DIR, default build/)
#
# JUnit results: $BUILD_DIR/test-logs/cgroup-v2-{plain,systemd}.xml.  Exit status
# non-zero when a test failed or the guest could not run them.
# Environment: BUILD_DIR, V2VM (path of v2vm), CGROUP_V2_MODES ("plain systemd"),
# CGROUP_V2_PYTEST_ARGS (e.g. "-k pause"), CGROUP_V2_TESTS (the test files).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
REPO=$PWD
BUILD_DIR=${BUILD_DIR:-$REPO/build}
V2VM=${V2VM:-$REPO/../shared/tools/v2vm}
MODES=${CGROUP_V2_MODES:-plain systemd}
LOGS=$BUILD_DIR/test-logs

if [ ! -x "$V2VM" ]; then
  echo "SKIP cgroup v2 guest tests: no v2vm at $V2VM (see ../shared/tools/README.md)"
  exit 0
fi
if [ ! -x "$BUILD_DIR/capsa" ] || [ ! -x "$BUILD_DIR/capsa-test-helper" ]; then
  echo "cgroup-v2.sh: build capsa and capsa-test-helper in $BUILD_DIR first" >&2
  exit 1
fi
mkdir -p "$LOGS"
# Build the test rootfs on the host (fast); the guest copies it to its own tmpfs:
# bundles and state dirs need a local filesystem (no fifos on the 9p share).
ROOTFS=$(CAPSA_BUILD_DIR=$BUILD_DIR /usr/bin/python3 -c \
  "import sys; sys.path.insert(0, 'tests/integration'); import capsa_harness as h; print(h.build_rootfs())") \
  || exit 1
GUEST_BASE=/tmp/capsa-tests
# Crash safety (issue 12): a subset of the kill points and fewer random kills on
# both v2 layouts (emulated CPU: ~2 min a mode).
TESTS=${CGROUP_V2_TESTS:-"test_cgroups.py test_device_rules.py test_cgroup_placement.py test_crash_points.py"}

status=0
for mode in $MODES; do
  opts=(--share "$REPO" --timeout 900)
  # runc side by side only on the host: its Go runtime is slow in the emulated guest.
  envs=(CAPSA_BUILD_DIR="$BUILD_DIR" CAPSA_TEST_TIMEOUT=120 CAPSA_TEST_BASE="$GUEST_BASE"
        CAPSA_TEST_COMPARE_RUNC=0 CAPSA_CRASH_KILLS=10 CAPSA_CRASH_CONFIGS=plain
        CAPSA_CRASH_POINTS=create:cgroup,create:go,create:recorded,exec:ready,delete:killed)
  if [ "$mode" = systemd ]; then
    opts+=(--systemd)
    envs+=(CAPSA_TEST_SYSTEMD=1)
  fi
  tests=$TESTS
  if [ "$mode" = plain ]; then
    # The attacker layer (issue 16), pod case included, with fewer rounds: emulated CPU.
    tests+=" test_attacker.py::test_exec_race test_attacker.py::test_pod_race"
    envs+=(CAPSA_ATTACK_SCALE=0.2 CAPSA_ATTACK_WORKERS=1)
    # checkpoint/restore (issue 14): criu 3.17 works on the guest's kernel, with
    # the modules it probes (tests/criu-guest-kmods.sh extracts them once).
    if ! command -v criu >/dev/null; then
      echo "cgroup v2 guest: test_checkpoint.py left out: no criu (tests/install-deps.sh)"
    elif kmods=$(V2VM=$V2VM tests/criu-guest-kmods.sh); then
      tests+=" test_checkpoint.py"
      envs+=(CAPSA_CRIU_KMODS="$kmods")
    else
      echo "cgroup v2 guest: test_checkpoint.py left out: no kernel modules for criu"
    fi
  fi
  xml=$LOGS/cgroup-v2-$mode.xml
  rm -f "$xml"
  echo "== cgroup v2 guest ($mode): tests/integration/ $tests"
  "$V2VM" "${opts[@]}" -- env "${envs[@]}" /bin/sh -c \
    "mkdir -p $GUEST_BASE && cp -a '$ROOTFS' $GUEST_BASE/ && cd '$REPO/tests/integration' && exec /usr/bin/python3 -m pytest -q -rs -p no:cacheprovider --junitxml='$xml' $tests ${CGROUP_V2_PYTEST_ARGS:-}"
  rc=$?
  if [ $rc -ne 0 ]; then
    echo "cgroup v2 guest ($mode): exit status $rc"
    status=1
  fi
done
exit $status
