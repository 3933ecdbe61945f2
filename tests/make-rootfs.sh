#!/bin/bash
# Build a minimal busybox root filesystem for test containers.
#
#   tests/make-rootfs.sh DIR [HELPER]
#
# DIR gets /bin/busybox (Debian's busybox-static) with every applet symlinked, a passwd
# and group with root, nobody and a test user (uid/gid 1000), empty /proc /sys /dev
# /tmp, and HELPER (default: $CAPSA_TEST_HELPER) copied to /bin/capsa-test-helper.
# Existing contents of DIR are replaced.
set -euo pipefail

dir=${1:?usage: make-rootfs.sh DIR [HELPER]}
helper=${2:-${CAPSA_TEST_HELPER:-}}
busybox=${BUSYBOX:-/bin/busybox}

if ! "$busybox" --list-full >/dev/null 2>&1; then
  echo "make-rootfs.sh: $busybox is not a busybox binary (install busybox-static)" >&2
  exit 1
fi
# A dynamically linked busybox would need the host's libc inside the rootfs.
if readelf -l "$busybox" 2>/dev/null | grep -q 'Requesting program interpreter'; then
  echo "make-rootfs.sh: $busybox is dynamically linked (install busybox-static)" >&2
  exit 1
fi

rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
mkdir -p bin sbin usr/bin usr/sbin etc tmp proc sys dev root home/test var/tmp run
chmod 1777 tmp var/tmp
chmod 700 root
install -m 0755 "$busybox" bin/busybox
"$busybox" --list-full | while read -r applet; do
  [ "$applet" = bin/busybox ] && continue
  # Relative links from the applet's directory to /bin/busybox.
  case "$applet" in
    bin/*|sbin/*) target=../bin/busybox ;;
    usr/bin/*|usr/sbin/*) target=../../bin/busybox ;;
    *) continue ;;
  esac
  [ "${applet%/*}" = bin ] && target=busybox
  ln -sf "$target" "$applet"
done

cat >etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
test:x:1000:1000:test user:/home/test:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >etc/group <<'EOF'
root:x:0:
test:x:1000:
nogroup:x:65534:
EOF
chmod 644 etc/passwd etc/group
chown 1000:1000 home/test
echo capsa-test >etc/hostname

if [ -n "$helper" ]; then
  if [ ! -x "$helper" ]; then
    echo "make-rootfs.sh: helper $helper is not an executable" >&2
    exit 1
  fi
  install -m 0755 "$helper" bin/capsa-test-helper
fi
