#!/bin/sh
# Install the container engines the e2e tests drive (Debian 12 packages).
# docker.io brings dockerd and the docker CLI; podman needs conmon; containerd
# brings ctr and the io.containerd.runc.v2 shim; catatonit is podman's pod
# infra/init binary; containernetworking-plugins lets podman create pods.
set -eu
pkgs="docker.io podman conmon containerd catatonit containernetworking-plugins uidmap fuse-overlayfs"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || true
  # --no-install-recommends keeps out docker's recommends (cgroupfs-mount, git...);
  # the postinst scripts cannot start services here (no systemd): that is fine.
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
for b in dockerd docker podman conmon containerd ctr containerd-shim-runc-v2; do
  command -v "$b" >/dev/null || { echo "install-engines: $b missing after install" >&2; exit 1; }
done
