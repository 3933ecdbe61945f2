#!/bin/bash
# The kernel modules criu needs in the v2vm guest (its initramfs has none): netfilter
# (criu's kerndat probes nftables; the network lock uses iptables-nft) and the
# sock_diag family. Extracted once from the guest kernel's .deb into a cache dir,
# whose path is printed; the tests modprobe -d it (CAPSA_CRIU_KMODS).
set -euo pipefail
cache=${V2VM_CACHE:-${XDG_CACHE_HOME:-/var/tmp}/v2vm}
v2vm=${V2VM:-$(cd "$(dirname "$0")/.." && pwd)/../shared/tools/v2vm}
guest_kernel () { (cd "$cache" 2>/dev/null && ls -d linux-image-* 2>/dev/null | sort -V | tail -n 1) || true; }
kver=$(guest_kernel)
if [ -z "$kver" ] && [ -x "$v2vm" ]; then
  # A fresh machine: v2vm downloads and caches its kernel on its first boot.
  "$v2vm" --share none -- true >&2 || true
  kver=$(guest_kernel)
fi
kver=${kver#linux-image-}
[ -n "$kver" ] || { echo "criu-guest-kmods.sh: no v2vm kernel in $cache" >&2; exit 1; }
out=${CAPSA_CRIU_KMODS_CACHE:-/var/tmp/capsa-criu-kmods}/$kver
if [ ! -f "$out/ready" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get download "linux-image-$kver" >/dev/null 2>&1) ||
    { echo "criu-guest-kmods.sh: apt-get download linux-image-$kver failed" >&2; exit 1; }
  dpkg-deb -x "$work"/linux-image-*.deb "$work/k"
  rm -rf "$out" && mkdir -p "$out"
  m=lib/modules/$kver
  mkdir -p "$out/$m/kernel/drivers"
  cp -a "$work/k/$m"/modules.builtin* "$work/k/$m/modules.order" "$out/$m/"
  for d in net lib crypto arch; do cp -a "$work/k/$m/kernel/$d" "$out/$m/kernel/"; done
  cp -a "$work/k/$m/kernel/drivers/net" "$out/$m/kernel/drivers/"
  depmod -b "$out" "$kver"
  touch "$out/ready"
fi
echo "$out"
