#!/bin/bash
# The README's first command: install the build dependencies, build capsa, make a
# busybox bundle and run a container in it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

bash tests/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target capsa >/dev/null
capsa=$repo/build/capsa

bundle=/var/tmp/capsa-demo
rm -rf "$bundle"
mkdir -p "$bundle"
bash tests/make-rootfs.sh "$bundle/rootfs" >/dev/null
cd "$bundle"
"$capsa" spec
# No terminal (the demo may run without one) and a command that shows where it runs.
/usr/bin/python3 - <<'PY'
import json
c = json.load(open("config.json"))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c",
    'echo "hello from capsa: hostname $(hostname), uid $(id -u), pid $$"; ls /']
json.dump(c, open("config.json", "w"), indent=2)
PY
echo "+ capsa run demo   (bundle $bundle)"
"$capsa" --root /run/capsa-demo run demo
