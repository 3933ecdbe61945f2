#!/bin/bash
# Install what capsa's build and test suite need on Debian 12 (run as root).
# Idempotent and quiet: does nothing when every package is already installed, and runs
# `apt-get update` only when the package lists are missing or older than a day.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libyajl-dev libseccomp-dev libcap-dev libselinux1-dev libsystemd-dev
  busybox-static python3-pytest
  runc crun
  iproute2 procps util-linux strace
  apparmor   # apparmor_parser: the AppArmor test loads its profile in the v2vm guest
  uidmap slirp4netns  # rootless: newuidmap/newgidmap for subordinate ids; podman's -p
  criu       # checkpoint/restore (tests run it in the v2vm guest: 3.17 fails on 6.18 kernels)
  clang libclang-rt-14-dev  # tests/fuzz: libFuzzer (its runtime is only recommended by clang)
  systemd dbus  # v2vm --systemd boots this machine's root with its systemd as PID 1
  qemu-system-x86 kmod xz-utils  # VM isolation (issue 15): qemu, depmod/xz for tests/vm-kernel.sh
  iptables   # criu's network lock runs iptables-restore (on the host docker.io brings it)
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  [ "${status:0:2}" = ii ] || missing+=("$p")
done
# VM isolation's guest kernel: Debian's, unpacked for capsa (why not installed: see the script).
vm_kernel() { [ "$(id -u)" -ne 0 ] || "$(dirname "$0")/vm-kernel.sh" || echo "install-deps.sh: no guest kernel for VM isolation (tests skip)" >&2; }
[ ${#missing[@]} -eq 0 ] && { vm_kernel; exit 0; }

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: missing ${missing[*]}; run as root to install them" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
lists=/var/lib/apt/lists
if [ -z "$(find "$lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 -print -quit 2>/dev/null)" ]; then
  apt-get update -qq >/dev/null
fi
echo "install-deps.sh: installing ${missing[*]}"
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
vm_kernel
