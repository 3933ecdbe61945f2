#!/bin/bash
# Build the libFuzzer harnesses with clang and run each for a bounded time.
#
#   tests/fuzz/run.sh [BUILD_DIR]        (default build-fuzz/)
#
# Every target fuzzes a temporary copy of its seeds (tests/fuzz/corpus/<target>/):
# nothing is written into the repository. Crash, leak, timeout and OOM inputs are
# kept in $FUZZ_OUT/<target>/; the JUnit XML has one testcase per target, failed
# with the saved input's path, so tests/run.sh counts it.
#
# Environment: FUZZ_SECONDS (per target, default 10), FUZZ_JOBS (targets at once,
# default 2), FUZZ_TARGETS ("config state ...", default all), FUZZ_OUT (default
# $BUILD_DIR/fuzz-results), FUZZ_JUNIT (default $FUZZ_OUT/fuzz.xml), FUZZ_NICE
# (nice level of the fuzzers, default 10), FUZZ_KEEP_CORPUS=DIR (keep the grown
# corpora there, for the long run).
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
BUILD=${1:-$REPO/build-fuzz}
SECS=${FUZZ_SECONDS:-10}
JOBS=${FUZZ_JOBS:-2}
OUT=${FUZZ_OUT:-$BUILD/fuzz-results}
JUNIT=${FUZZ_JUNIT:-$OUT/fuzz.xml}
NICE=${FUZZ_NICE:-10}
ALL="config state process update_resources mount_options signal_names user_spec id_mappings
     device_rules"
read -r -d '' -a targets <<<"${FUZZ_TARGETS:-$ALL}"

mkdir -p "$OUT"
work=$(mktemp -d /tmp/capsa-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

xml_escape () {
  sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g' \
    | tr -d '\000-\010\013\014\016-\037'
}

# A JUnit file with a single failed case (the build), for tests/run.sh to count.
build_failed () {
  echo "fuzz: $1 failed, see $OUT/build.log"
  {
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo '<testsuite name="fuzz" tests="1" failures="1">'
    printf '<testcase classname="fuzz" name="build"><failure message="%s">' "$1"
    tail -n 30 "$OUT/build.log" | xml_escape
    echo '</failure></testcase></testsuite>'
  } >"$JUNIT"
  exit 1
}

start=$(date +%s)
if ! command -v clang >/dev/null; then
  echo "fuzz: clang not found (tests/install-deps.sh installs it)" >"$OUT/build.log"
  build_failed "clang missing"
fi
cmake -S "$REPO" -B "$BUILD" -DCAPSA_FUZZ=ON -DCAPSA_TESTS=OFF -DCMAKE_C_COMPILER=clang \
  >"$OUT/build.log" 2>&1 || build_failed "configure"
nice -n "$NICE" make -s --no-print-directory -C "$BUILD" -j"$JOBS" fuzzers >>"$OUT/build.log" 2>&1 \
  || build_failed "build"
echo "fuzz: built in $(( $(date +%s) - start ))s; ${#targets[@]} targets, ${SECS}s each, $JOBS at a time"

# One target: fuzz a copy of its seeds; the exit status and libFuzzer's final
# stats land in $work/<t>/.
run_one () {
  local t=$1 dir=$work/$1 bin=$BUILD/tests/fuzz/fuzz_$1
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp -r "$REPO/tests/fuzz/corpus/$t/." "$dir/corpus/" 2>/dev/null
  local t0 rc
  t0=$(date +%s)
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    nice -n "$NICE" "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/log" 2>&1
  rc=$?
  echo "$rc $(( $(date +%s) - t0 ))" >"$dir/status"
  if [ -n "${FUZZ_KEEP_CORPUS:-}" ]; then
    mkdir -p "$FUZZ_KEEP_CORPUS/$t" && cp -r "$dir/corpus/." "$FUZZ_KEEP_CORPUS/$t/"
  fi
}

for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
    wait -n
  done
  run_one "$t" &
done
wait

failures=0 total_runs=0 cases=""
for t in "${targets[@]}"; do
  dir=$work/$t
  read -r rc secs <"$dir/status" 2>/dev/null || { rc=127 secs=0; }
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -n 1)
  runs=${runs:-0} speed=${speed:-0}
  total_runs=$((total_runs + runs))
  mkdir -p "$OUT/$t"
  cp "$dir/log" "$OUT/$t/log"
  found=$(find "$dir/artifacts" -type f -printf '%f\n' 2>/dev/null | head -n 1)
  case_xml="<testcase classname=\"fuzz\" name=\"fuzz_$t\" time=\"$secs\">"
  if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
    failures=$((failures + 1))
    cp -r "$dir/artifacts/." "$OUT/$t/" 2>/dev/null
    what=${found%%-*}
    input=${found:+$OUT/$t/$found}
    printf 'fuzz_%-18s FAILED (%s, exit %s) after %s runs: %s\n' "$t" "${what:-error}" "$rc" \
      "$runs" "${input:-no input saved}"
    grep -E 'ERROR: |runtime error|invariant failed|SUMMARY' "$dir/log" | head -n 5 | sed 's/^/   | /'
    echo "   reproduce: $BUILD/tests/fuzz/fuzz_$t ${input:-<input>}   log: $OUT/$t/log"
    msg="${what:-error} (exit $rc): ${input:-no input saved}"
    case_xml+="<failure message=\"$(printf '%s' "$msg" | xml_escape)\">"
    case_xml+="$(grep -v '^#\|^INFO' "$dir/log" | tail -n 40 | xml_escape)</failure>"
  else
    printf 'fuzz_%-18s ok: %s runs, %s exec/s\n' "$t" "$runs" "$speed"
  fi
  case_xml+="<system-out>runs=$runs exec_per_sec=$speed</system-out></testcase>"
  cases+=$case_xml$'\n'
done

{
  echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo "<testsuite name=\"fuzz\" tests=\"${#targets[@]}\" failures=\"$failures\">"
  printf '%s' "$cases"
  echo '</testsuite>'
} >"$JUNIT"
echo "fuzz: $total_runs runs in all, $failures failed, $(( $(date +%s) - start ))s; $JUNIT"
[ "$failures" -eq 0 ]
