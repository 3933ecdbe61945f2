#!/bin/bash
# Engine end-to-end tests: install Docker, podman and containerd from Debian, then
# run every case against capsa and runc. Prints pass counts per engine and runtime.
#   tests/e2e/run.sh [pytest args...]     (env: CAPSA_BIN, RUNC_BIN, E2E_ENGINES, E2E_BASE)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export CAPSA_BIN=${CAPSA_BIN:-$repo/build/capsa}
[ -x "$CAPSA_BIN" ] || { echo "e2e: $CAPSA_BIN not built" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "e2e: needs root" >&2; exit 1; }
start=$(date +%s)
"$here/install-engines.sh" || { echo "e2e: engine install failed" >&2; exit 1; }
report=$(mktemp)
cd "$here"
/usr/bin/python3 -m pytest -p no:cacheprovider -rfs -q --junitxml="$report" "$@"
rc=$?
/usr/bin/python3 - "$report" <<'PY'
import re, sys, collections
import xml.etree.ElementTree as ET
counts = collections.defaultdict(lambda: collections.Counter())
for case in ET.parse(sys.argv[1]).iter("testcase"):
    name, cls = case.get("name"), case.get("classname", "")
    m = re.search(r"\[(.*)\]", name)
    params = m.group(1).split("-") if m else []
    runtime = next((p for p in params if p in ("capsa", "runc")), "?")
    engine = next((p for p in params if p in ("docker", "podman")), None)
    if engine is None:
        engine = "containerd" if "containerd" in cls else "podman" if "podman" in name else "?"
    state = "passed"
    for child in case:
        if child.tag in ("failure", "error"):
            state = "failed"
        elif child.tag == "skipped":
            state = "skipped"
    counts[(engine, runtime)][state] += 1
print("\n%-11s %-6s %7s %7s %7s" % ("engine", "runtime", "passed", "failed", "skipped"))
for (engine, runtime), c in sorted(counts.items()):
    print("%-11s %-7s %6d %7d %7d" % (engine, runtime, c["passed"], c["failed"], c["skipped"]))
PY
# tests/run.sh counts the cases from a copy of the report.
[ -n "${E2E_JUNIT:-}" ] && cp "$report" "$E2E_JUNIT"
rm -f "$report"
echo "e2e: $(( $(date +%s) - start ))s"
exit $rc
