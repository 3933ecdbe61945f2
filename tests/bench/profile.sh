#!/bin/bash
# Where does `capsa run /bin/true` spend its time? (see README.md, "Profile")
#
#   sudo tests/bench/profile.sh [--capsa PATH] [--static PATH] [--runs N] [--out DIR]
#
# Runs in a private mount namespace (nothing on the host changes) and writes to DIR
# (default /tmp/capsa-bench/profile): strace -c summary, an strace -f -tt -T timeline,
# dynamic-loader statistics, callgrind instruction counts, and an alternating timing of
# the same binary with and without its exe_seal re-exec (a read-only bind of the binary
# makes exe_seal a no-op) and, with --static, of a statically linked build.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
capsa=$top/build-bench/capsa
static=""
runs=40
out=/tmp/capsa-bench/profile
orig_args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --capsa) capsa=$2; shift ;;
    --static) static=$2; shift ;;
    --runs) runs=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "profile.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "${CAPSA_PROFILE_IN_NS:-}" ]; then
  exec unshare -m --propagation private env CAPSA_PROFILE_IN_NS=1 "$0" "${orig_args[@]}"
fi
capsa=$(realpath "$capsa")
work=/tmp/capsa-bench
mkdir -p "$out" "$work"
[ -x "$work/rootfs/bin/busybox" ] || "$top/tests/make-rootfs.sh" "$work/rootfs" >/dev/null
# The benchmark's bundle (default spec + Docker-like seccomp), made by bench.py.
if [ ! -f "$work/bundle-true/config.json" ]; then
  echo "profile.sh: run tests/bench/bench.sh once first (it writes $work/bundle-true)" >&2
  exit 1
fi
bundle=$work/bundle-true
root=/run/capsa-bench/profile
mkdir -p "$root"
rt() { "$capsa" --root "$root" "$@"; }

echo "== strace -c -f (syscall counts and kernel time)"
strace -c -f -o "$out/strace-c.txt" "$capsa" --root "$root" run -b "$bundle" p1 || true
head -30 "$out/strace-c.txt"

echo "== strace -f -tt -T timeline -> $out/timeline.txt"
strace -f -tt -T -o "$out/timeline.txt" "$capsa" --root "$root" run -b "$bundle" p2 || true
wc -l <"$out/timeline.txt"

echo "== dynamic loader (LD_DEBUG=statistics, median of 21 'state' of nothing)"
for i in $(seq 21); do
  LD_DEBUG=statistics "$capsa" --root "$root" list 2>&1 >/dev/null |
    awk '/total startup time in dynamic loader/ {print $(NF-1)}' | head -1
done | sort -n | awk '{a[NR]=$1} END {print "ld.so cycles, median:", a[int((NR+1)/2)]}' |
  tee "$out/ldso.txt"

echo "== callgrind (instructions per process; --trace-children)"
cg=$out/callgrind
rm -rf "$cg"
mkdir -p "$cg"
valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$cg/run.%p" \
  "$capsa" --root "$root" run -b "$bundle" p3 >/dev/null 2>"$cg/valgrind.log" || true
"$capsa" --root "$root" delete -f p3 >/dev/null 2>&1 || true
for f in "$cg"/run.*; do
  printf '%s %s\n' "$(awk '/^summary:/ {print $2}' "$f")" "$(awk '/^cmd:/ {sub(/^cmd: */, ""); print; exit}' "$f")"
done | tee "$out/callgrind-summary.txt"
for f in "$cg"/run.*; do
  callgrind_annotate --inclusive=yes "$f" 2>/dev/null | sed -n '1,40p' >"$f.annotate.txt" || true
done

echo "== exe_seal and static linking: alternating timings ($runs runs each)"
mkdir -p "$work/ro"
cp "$capsa" "$work/ro/capsa-dyn"
mount --bind "$work/ro" "$work/ro"
mount -o remount,ro,bind "$work/ro"
also=(--also "capsa-noseal=$work/ro/capsa-dyn")
if [ -n "$static" ]; then
  static=$(realpath "$static")
  also+=(--also "capsa-static=$static")
  mkdir -p "$work/ro-static"
  cp "$static" "$work/ro-static/capsa-static"
  mount --bind "$work/ro-static" "$work/ro-static"
  mount -o remount,ro,bind "$work/ro-static"
  also+=(--also "capsa-static-noseal=$work/ro-static/capsa-static")
fi
gcc -O2 -static -o "$work/peakrss" "$here/peakrss.c"
/usr/bin/python3 "$here/bench.py" --capsa "$capsa" --rootfs "$work/rootfs" --work "$work" \
  --peakrss "$work/peakrss" --out "$out/variants" --runtimes capsa "${also[@]}" \
  --iterations "$runs" --skip shim,list,tp,mem,callgrind
