#!/bin/bash
# Side-by-side benchmark: capsa vs crun vs runc on one busybox bundle (see README.md).
#
#   sudo tests/bench/bench.sh [--quick] [--iterations N] [--bind-hugetlb-v1 | --hide-unified]
#                             [--capsa PATH] [--out DIR] [--skip LIST] [--runtimes LIST]
#                             [--also NAME=BINARY ...]
#
# Without --capsa, capsa is built in Release mode in $BUILD_DIR (default build-bench/).
# --bind-hugetlb-v1 mounts the hugetlb controller as a v1 hierarchy on a hybrid host (crun
# 1.8 refuses to run otherwise). It changes the host, so it is never done implicitly; the
# mount is undone at exit unless it was already there. It fails (EBUSY) while hugetlb is
# enabled in the unified hierarchy's subtree_control with child cgroups.
# --hide-unified runs the whole benchmark in a private mount namespace in which
# /sys/fs/cgroup/unified is unmounted: every runtime sees a pure v1 layout, the host is
# untouched.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
python=/usr/bin/python3
orig_args=("$@")
capsa=""
iterations=30
quick=0
bind_hugetlb=0
hide_unified=0
out=""
skip=""
runtimes="capsa,crun,runc"
extra=()

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --iterations) iterations=$2; shift ;;
    --bind-hugetlb-v1) bind_hugetlb=1 ;;
    --hide-unified) hide_unified=1 ;;
    --capsa) capsa=$2; shift ;;
    --out) out=$2; shift ;;
    --skip) skip=$2; shift ;;
    --runtimes) runtimes=$2; shift ;;
    --also) extra+=(--also "$2"); shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$(id -u)" != 0 ]; then
  echo "bench.sh: needs root (containers)" >&2
  exit 1
fi

if [ "$hide_unified" = 1 ] && [ -z "${CAPSA_BENCH_IN_NS:-}" ]; then
  exec unshare -m --propagation private env CAPSA_BENCH_IN_NS=1 "$0" "${orig_args[@]}"
fi
if [ -n "${CAPSA_BENCH_IN_NS:-}" ] && mountpoint -q /sys/fs/cgroup/unified; then
  umount /sys/fs/cgroup/unified
  echo "bench.sh: /sys/fs/cgroup/unified hidden in a private mount namespace" >&2
fi

if [ -z "$capsa" ]; then
  build=${BUILD_DIR:-$top/build-bench}
  cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  make -C "$build" -j"$(nproc)" capsa >/dev/null
  capsa=$build/capsa
fi
capsa=$(realpath "$capsa")

work=${BENCH_WORK:-/tmp/capsa-bench}
mkdir -p "$work"
"$top/tests/make-rootfs.sh" "$work/rootfs" >/dev/null
gcc -O2 -static -o "$work/peakrss" "$here/peakrss.c"

mounted_hugetlb=0
cleanup() {
  if [ "$mounted_hugetlb" = 1 ]; then
    umount /sys/fs/cgroup/hugetlb && rmdir /sys/fs/cgroup/hugetlb ||
      echo "bench.sh: could not undo the hugetlb v1 mount" >&2
  fi
}
trap cleanup EXIT

if [ "$bind_hugetlb" = 1 ] && ! mountpoint -q /sys/fs/cgroup/hugetlb 2>/dev/null; then
  if [ "$(stat -f -c %T /sys/fs/cgroup)" = tmpfs ]; then
    mkdir -p /sys/fs/cgroup/hugetlb
    if mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb; then
      mounted_hugetlb=1
      echo "bench.sh: bound hugetlb to a v1 hierarchy (undone at exit)" >&2
    else
      rmdir /sys/fs/cgroup/hugetlb 2>/dev/null || true
      echo "bench.sh: hugetlb cannot move to v1 (in use on cgroup2:" \
        "$(cat /sys/fs/cgroup/unified/cgroup.subtree_control 2>/dev/null));" \
        "try --hide-unified" >&2
    fi
  else
    echo "bench.sh: /sys/fs/cgroup is not a hybrid layout; --bind-hugetlb-v1 ignored" >&2
  fi
fi

if [ "$quick" = 1 ]; then
  extra+=(--iterations 3 --list-count 5 --tp-per-round 4 --tp-rounds 1)
  [ -z "$skip" ] && skip=mem,callgrind
else
  extra+=(--iterations "$iterations")
fi

"$python" "$here/bench.py" --capsa "$capsa" --rootfs "$work/rootfs" --work "$work" \
  --peakrss "$work/peakrss" \
  --out "${out:-$work/results}" --skip "$skip" --runtimes "$runtimes" "${extra[@]}"
