#!/bin/bash
# capsa's whole test suite, as CI runs it:   sudo tests/run.sh
#
#  1. install build and test dependencies (tests/install-deps.sh)
#  2. configure and build with -DCAPSA_WERROR=ON in $BUILD_DIR (default build/)
#  3. unit tests (ctest)
#  4. integration tests (pytest, tests/integration) against $BUILD_DIR/capsa
#  5. unit tests again under ASan+UBSan in $SANITIZE_DIR (CAPSA_TEST_SANITIZE=0 skips)
#  5a. the command line under ASan+UBSan: a subset of the integration tests against the
#     sanitized capsa, failing on any leak, invalid access or UB report (tests/cli-sanitize.sh)
#  5b. the libFuzzer harnesses, each for FUZZ_SECONDS (default 10) on a copy of its seeds,
#     built with clang in $FUZZ_DIR (tests/fuzz/run.sh; CAPSA_TEST_FUZZ=0 skips)
#
# The last line is "N passed, N failed, N skipped" over unit and integration tests; the
# exit status is non-zero when anything failed, including a build, or when no
# integration test ran at all.
#
#  6. the cgroup tests on pure cgroup v2, plain and with systemd (tests/cgroup-v2.sh)
#  7. engine e2e tests: Docker, podman, containerd with capsa and runc (tests/e2e)
#  8. Docker's update and --device cases on pure cgroup v2, cgroupfs and systemd drivers
#     (tests/e2e/v2-guest.sh)
#
# Environment: BUILD_DIR, SANITIZE_DIR, FUZZ_DIR, FUZZ_SECONDS, JOBS, CAPSA_TEST_SANITIZE=0|1,
# CAPSA_TEST_FUZZ=0|1, CAPSA_TEST_E2E=0|1,
# PYTEST_ARGS (extra pytest arguments, e.g. "-k smoke"), RUNC_BIN (also run the
# runtime-parametrised integration tests under runc).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
REPO=$PWD
BUILD_DIR=${BUILD_DIR:-$REPO/build}
SANITIZE_DIR=${SANITIZE_DIR:-$REPO/build-sanitize}
JOBS=${JOBS:-$(nproc)}
SANITIZE=${CAPSA_TEST_SANITIZE:-1}
FUZZ_DIR=${FUZZ_DIR:-$REPO/build-fuzz}
PYTHON=/usr/bin/python3
LOGS=$BUILD_DIR/test-logs

passed=0 failed=0 skipped=0
declare -a report

note () { printf '== %s\n' "$*"; }

# Add one layer's counts to the totals and remember a line for the summary.
count () {   # name passed failed skipped
  passed=$((passed + $2)) failed=$((failed + $3)) skipped=$((skipped + $4))
  report+=("$(printf '%-28s %d passed, %d failed, %d skipped' "$1:" "$2" "$3" "$4")")
}

finish () {
  echo
  for line in "${report[@]}"; do echo "$line"; done
  echo "$passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ] && exit 0
  exit 1
}

# Counts from a JUnit XML file (ctest and pytest both write one): "total failed skipped".
junit_counts () {
  "$PYTHON" - "$1" <<'EOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = f = s = 0
for su in suites:
    for case in su.iter("testcase"):
        t += 1
        if case.find("failure") is not None or case.find("error") is not None:
            f += 1
        elif case.find("skipped") is not None or case.get("status") in ("disabled", "notrun"):
            s += 1
print(t, f, s)
EOF
}

# Run a command with its output in a log; show the tail when it fails.
logged () {   # log-name command...
  local log=$LOGS/$1.log
  shift
  "$@" >"$log" 2>&1 && return 0
  local rc=$?
  echo "   failed (exit $rc): $*"
  tail -n 40 "$log" | sed 's/^/   | /'
  echo "   full log: $log"
  return $rc
}

build () {   # dir name extra-cmake-args...
  local dir=$1 name=$2
  shift 2
  mkdir -p "$dir"
  logged "$name-configure" cmake -S "$REPO" -B "$dir" -DCAPSA_WERROR=ON "$@" \
    && logged "$name-build" make -s --no-print-directory -C "$dir" -j"$JOBS" \
    && logged "$name-helper" make -s --no-print-directory -C "$dir" capsa-test-helper
}

# Only the unit test executables (the sanitizer pass runs nothing else).
build_unit_tests () {   # dir name extra-cmake-args...
  local dir=$1 name=$2 targets
  shift 2
  mkdir -p "$dir"
  logged "$name-configure" cmake -S "$REPO" -B "$dir" -DCAPSA_WERROR=ON "$@" || return
  targets=$(make -C "$dir" help | sed -n 's/^\.\.\. \(test_[A-Za-z0-9_]*\)$/\1/p')
  [ -n "$targets" ] || return 0
  # shellcheck disable=SC2086
  logged "$name-build" make -s --no-print-directory -C "$dir" -j"$JOBS" $targets
}

unit_tests () {   # dir name
  local dir=$1 name=$2 xml=$LOGS/$2-ctest.xml
  rm -f "$xml"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest --test-dir "$dir" -j"$JOBS" --timeout 120 --output-on-failure \
      --output-junit "$xml" >"$LOGS/$name-ctest.log" 2>&1
  local rc=$?
  grep -E '^(\s*[0-9]+/[0-9]+ Test|[0-9]+% tests passed)' "$LOGS/$name-ctest.log" \
    | grep -v ' Passed ' | sed 's/^/   /'
  if [ ! -s "$xml" ]; then
    echo "   ctest wrote no results (exit $rc); log: $LOGS/$name-ctest.log"
    count "$name" 0 1 0
    return
  fi
  read -r total nfail nskip < <(junit_counts "$xml")
  if [ "$rc" -ne 0 ] && [ "$nfail" -eq 0 ]; then
    nfail=1   # ctest failed without a failed test case: count it
  fi
  [ "$nfail" -gt 0 ] && sed -n '/The following tests FAILED/,$p' "$LOGS/$name-ctest.log" \
    | sed 's/^/   /'
  count "$name" $((total - nfail - nskip)) "$nfail" "$nskip"
}

integration_tests () {
  local xml=$LOGS/pytest.xml
  rm -f "$xml"
  # shellcheck disable=SC2086
  CAPSA_BIN=$BUILD_DIR/capsa CAPSA_TEST_HELPER=$BUILD_DIR/capsa-test-helper \
    PYTHONDONTWRITEBYTECODE=1 timeout -k 10 900 \
    "$PYTHON" -m pytest "$REPO/tests/integration" -q -rfEs --durations=5 -p no:cacheprovider \
      --junitxml="$xml" ${PYTEST_ARGS:-} 2>&1 | tee "$LOGS/pytest.log" | tail -n 60
  local rc=${PIPESTATUS[0]}
  if [ "$rc" -eq 5 ]; then
    echo "   no integration tests ran (pytest exit 5)"
    count integration 0 1 0
    return
  fi
  if [ ! -s "$xml" ]; then
    echo "   pytest wrote no results (exit $rc)"
    count integration 0 1 0
    return
  fi
  read -r total nfail nskip < <(junit_counts "$xml")
  if [ "$total" -eq 0 ]; then
    echo "   no integration tests ran"
    nfail=1
  elif [ "$rc" -ne 0 ] && [ "$nfail" -eq 0 ]; then
    nfail=1   # interrupted, timed out or crashed: never a silent pass
  fi
  count integration $((total - nfail - nskip)) "$nfail" "$nskip"
}

# Docker, podman and containerd with capsa (and runc) as their runtime.
e2e_tests () {
  local xml=$LOGS/e2e.xml
  rm -f "$xml"
  E2E_JUNIT=$xml CAPSA_BIN=$BUILD_DIR/capsa "$REPO/tests/e2e/run.sh" >"$LOGS/e2e.log" 2>&1
  local rc=$?
  tail -n 12 "$LOGS/e2e.log" | sed 's/^/   /'
  if [ ! -f "$xml" ]; then
    count e2e 0 1 0
    return
  fi
  local total nfail nskip
  read -r total nfail nskip < <(junit_counts "$xml")
  if [ "$rc" -ne 0 ] && [ "$nfail" -eq 0 ]; then
    nfail=1
  fi
  count e2e $((total - nfail - nskip)) "$nfail" "$nskip"
}

if [ "$(id -u)" -ne 0 ]; then
  echo "tests/run.sh needs root (containers, cgroups, mounts): sudo tests/run.sh" >&2
  exit 1
fi
mkdir -p "$LOGS"
start=$(date +%s)

note "dependencies"
if ! logged install-deps "$REPO/tests/install-deps.sh"; then
  count dependencies 0 1 0
  finish
fi

note "build ($BUILD_DIR, -DCAPSA_WERROR=ON)"
if build "$BUILD_DIR" build; then
  note "unit tests"
  unit_tests "$BUILD_DIR" unit
  note "integration tests"
  integration_tests
else
  count build 0 1 0
fi

# Counted from its JUnit XML; a report outside any test (exit status 1) is a failure too.
cli_sanitize_tests () {
  local xml=$LOGS/cli-asan-ubsan.xml total nfail nskip
  rm -f "$xml"
  SANITIZE_DIR=$SANITIZE_DIR JUNIT=$xml LOGS_DIR=$LOGS/cli-sanitizer-reports \
    CAPSA_TEST_HELPER=$BUILD_DIR/capsa-test-helper "$REPO/tests/cli-sanitize.sh" \
    >"$LOGS/cli-asan-ubsan.log" 2>&1
  local rc=$?
  grep -E '^(FAILED |ERROR |[0-9]+ (passed|failed)|sanitizer reports|--- )' \
    "$LOGS/cli-asan-ubsan.log" | sed 's/^/   /'
  if [ ! -s "$xml" ]; then
    echo "   tests/cli-sanitize.sh wrote no results (exit $rc); log: $LOGS/cli-asan-ubsan.log"
    count cli-asan-ubsan 0 1 0
    return
  fi
  read -r total nfail nskip < <(junit_counts "$xml")
  if [ "$rc" -ne 0 ] && [ "$nfail" -eq 0 ]; then
    nfail=1
  fi
  count cli-asan-ubsan $((total - nfail - nskip)) "$nfail" "$nskip"
}

if [ "$SANITIZE" = 1 ]; then
  note "unit tests under ASan+UBSan ($SANITIZE_DIR)"
  if build_unit_tests "$SANITIZE_DIR" sanitize -DCAPSA_SANITIZE=ON; then
    unit_tests "$SANITIZE_DIR" unit-asan-ubsan
    note "the command line under ASan+UBSan (tests/cli-sanitize.sh, $SANITIZE_DIR/capsa)"
    cli_sanitize_tests
  else
    count "sanitize build" 0 1 0
  fi
fi

# tests/fuzz/run.sh: one JUnit case per target, failed with the saved crash input.
fuzz_layer () {
  local xml=$LOGS/fuzz.xml total nfail nskip
  rm -f "$xml"
  FUZZ_JUNIT=$xml FUZZ_OUT=$LOGS/fuzz "$REPO/tests/fuzz/run.sh" "$FUZZ_DIR" >"$LOGS/fuzz.log" 2>&1
  local rc=$?
  grep -E '^(fuzz_.* FAILED|   [|r]|fuzz: )' "$LOGS/fuzz.log" | sed 's/^/   /'
  if [ ! -s "$xml" ]; then
    echo "   tests/fuzz/run.sh wrote no results (exit $rc); log: $LOGS/fuzz.log"
    count fuzz 0 1 0
    return
  fi
  read -r total nfail nskip < <(junit_counts "$xml")
  if [ "$rc" -ne 0 ] && [ "$nfail" -eq 0 ]; then
    nfail=1
  fi
  count fuzz $((total - nfail - nskip)) "$nfail" "$nskip"
}

if [ "${CAPSA_TEST_FUZZ:-1}" = 1 ]; then
  note "fuzzing (tests/fuzz/run.sh in $FUZZ_DIR, ${FUZZ_SECONDS:-10}s a target; CAPSA_TEST_FUZZ=0 skips)"
  fuzz_layer
fi

# A layer run in the v2vm guest, once plain and once under systemd: its script prints
# "SKIP ..." when it cannot run and writes $LOGS/<name>-{plain,systemd}.xml.
guest_layer () {   # name script
  local name=$1 out rc mode total nfail nskip layer_failed=0
  out=$(BUILD_DIR=$BUILD_DIR CAPSA_BIN=$BUILD_DIR/capsa "$2" 2>&1)
  rc=$?
  printf '%s\n' "$out" >"$LOGS/$name.log"
  printf '%s\n' "$out" | grep -E '^(SKIP |== |FAILED |ERROR |[0-9]+ (passed|failed))|exit status' \
    | sed 's/^/   /'
  [ "$rc" -ne 0 ] && echo "   full log: $LOGS/$name.log"
  if printf '%s\n' "$out" | grep -q '^SKIP '; then
    count "$name" 0 0 1
    return
  fi
  for mode in plain systemd; do
    local xml=$LOGS/$name-$mode.xml
    if [ ! -f "$xml" ]; then
      count "$name-$mode" 0 1 0
      continue
    fi
    read -r total nfail nskip < <(junit_counts "$xml")
    count "$name-$mode" $((total - nfail - nskip)) "$nfail" "$nskip"
    layer_failed=$((layer_failed + nfail))
  done
  if [ "$rc" -ne 0 ] && [ "$layer_failed" -eq 0 ]; then
    count "$name" 0 1 0
  fi
}

if [ -x "$BUILD_DIR/capsa" ]; then
  note "cgroup tests on pure cgroup v2 (tests/cgroup-v2.sh, in the v2vm guest)"
  guest_layer cgroup-v2 "$REPO/tests/cgroup-v2.sh"
fi

if [ "${CAPSA_TEST_E2E:-1}" = 1 ] && [ -x "$BUILD_DIR/capsa" ]; then
  note "engine e2e tests (tests/e2e/run.sh; CAPSA_TEST_E2E=0 skips)"
  e2e_tests
  # Docker's update and --device cases on pure cgroup v2, with dockerd's cgroupfs and
  # systemd drivers (after e2e_tests, which installs docker)
  note "engine e2e on pure cgroup v2 (tests/e2e/v2-guest.sh, in the v2vm guest)"
  guest_layer e2e-v2 "$REPO/tests/e2e/v2-guest.sh"
fi

note "done in $(( $(date +%s) - start ))s"
finish
