#!/usr/bin/env bash
# The guest kernel of VM isolation (issue 15): Debian's stock kernel, unpacked
# into /var/lib/capsa/vm/<version>/ and named in /etc/capsa/vm.json.
#
# Why unpacked and not `apt-get install linux-image-amd64`: this host boots no
# Debian kernel (/boot is empty, no bootloader), and the package would pull
# initramfs-tools and build a host initramfs nobody boots. capsa needs only the
# kernel image and the modules (with modules.dep); it builds its own initramfs.
# The bzImage is unpacked to an ELF vmlinux when xz is there: qemu boots that
# through PVH and skips a decompression that costs seconds under TCG.
set -euo pipefail

dest=/var/lib/capsa/vm
conf=/etc/capsa/vm.json
[ "$(id -u)" = 0 ] || { echo "vm-kernel.sh: run as root" >&2; exit 1; }

kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
  sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1) || true
if [ -z "$kpkg" ]; then
  apt-get update -qq >/dev/null 2>&1 || true
  kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1) || true
fi
[ -n "$kpkg" ] || { echo "vm-kernel.sh: apt knows no linux-image-amd64" >&2; exit 1; }
kver=${kpkg#linux-image-}
dir=$dest/$kver
if [ -f "$dir/.complete" ] && grep -q "\"$dir/" "$conf" 2>/dev/null; then
  exit 0
fi
command -v depmod >/dev/null || { echo "vm-kernel.sh: needs depmod (kmod)" >&2; exit 1; }

tmp=$(mktemp -d /var/tmp/capsa-vm-kernel.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && apt-get download "$kpkg" >/dev/null 2>&1); then
  apt-get update -qq >/dev/null 2>&1 || true
  (cd "$tmp" && apt-get download "$kpkg" >/dev/null) || { echo "vm-kernel.sh: cannot download $kpkg" >&2; exit 1; }
fi
dpkg-deb -x "$tmp"/"$kpkg"_*.deb "$tmp/k"
depmod -b "$tmp/k" "$kver"
mkdir -p "$tmp/out/lib/modules"
mv "$tmp/k/lib/modules/$kver" "$tmp/out/lib/modules/"
z=$tmp/k/boot/vmlinuz-$kver
kernel=vmlinuz
if command -v xz >/dev/null; then
  for off in $(LC_ALL=C grep -abo $'\xfd7zXZ' "$z" | cut -d: -f1); do
    tail -c +$((off + 1)) "$z" | xz -dc >"$tmp/out/vmlinux" 2>/dev/null || true
    if [ "$(head -c 4 "$tmp/out/vmlinux")" = $'\x7fELF' ]; then kernel=vmlinux; break; fi
    rm -f "$tmp/out/vmlinux"
  done
fi
[ "$kernel" = vmlinux ] || cp "$z" "$tmp/out/vmlinuz"
touch "$tmp/out/.complete"
mkdir -p "$dest" /etc/capsa
rm -rf "$dir"
mv "$tmp/out" "$dir"
printf '{\n  "kernel": "%s/%s",\n  "modules": "%s/lib/modules/%s"\n}\n' "$dir" "$kernel" "$dir" "$kver" >"$conf.tmp"
mv "$conf.tmp" "$conf"
echo "vm-kernel.sh: guest kernel $kver in $dir ($kernel), named in $conf"
