#!/usr/bin/env python3
"""VM isolation (issue 15) beside a plain container: start time and memory.

  tests/bench/vm_bench.py [--runs N]      (root; CAPSA_BIN, CAPSA_TEST_HELPER as the tests)

For each kind (plain, vm) it measures, over N runs:
  run        wall time of `capsa run` of `true` (create, boot, start, exit, delete)
  create     wall time of `capsa create` (for a VM: qemu boots the guest and the
             container is created inside it)
  start      wall time of `capsa start`
  memory     the host memory of a running container (`sleep`): the summed PSS of
             the processes in its cgroup (plain: the container's process; VM: the
             supervisor and qemu, i.e. guest RAM touched, qemu, TCG's code cache)
and prints medians side by side with the ratio vm/plain."""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

REPO = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
CAPSA = os.environ.get("CAPSA_BIN", os.path.join(REPO, "build", "capsa"))
HELPER = os.environ.get("CAPSA_TEST_HELPER", os.path.join(REPO, "build", "capsa-test-helper"))


def capsa(root, *args, **kw):
    # Files, not pipes: a created container's process keeps create's stdio open.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        r = subprocess.run([CAPSA, "--root", root, *args], stdout=out, stderr=err,
                           stdin=subprocess.DEVNULL, text=True, timeout=300, **kw)
        out.seek(0)
        err.seek(0)
        r.stdout, r.stderr = out.read(), err.read()
    return r


def bundle(tmp, rootfs, args, vm, name):
    b = os.path.join(tmp, name)
    os.makedirs(b, exist_ok=True)
    subprocess.run([CAPSA, "spec", "--bundle", b], check=True)
    p = os.path.join(b, "config.json")
    with open(p) as f:
        c = json.load(f)
    c["root"] = {"path": rootfs}
    c["process"]["terminal"] = False
    c["process"]["args"] = args
    if vm:
        c["annotations"] = {"run.capsa.isolation": "vm"}
    with open(p, "w") as f:
        json.dump(c, f)
    return b


def timed(fn):
    t0 = time.monotonic()
    r = fn()
    dt = time.monotonic() - t0
    if r.returncode != 0:
        raise SystemExit("failed: %s %s" % (r.args, r.stderr))
    return dt


def pss_kib(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cgroup_pids(pid):
    """The pids of pid's cgroup (the cgroup2 path, or the first v1 one with procs)."""
    with open("/proc/%d/cgroup" % pid) as f:
        lines = [l.strip().split(":", 2) for l in f]
    for hid, ctrl, path in lines:
        for base in (["/sys/fs/cgroup/unified", "/sys/fs/cgroup"] if hid == "0"
                     else ["/sys/fs/cgroup/" + ctrl.split(",")[0]]):
            procs = os.path.join(base + path, "cgroup.procs")
            if os.path.exists(procs):
                with open(procs) as f:
                    pids = [int(x) for x in f.read().split()]
                if pids:
                    return pids
    return [pid]


def measure(root, b, runs):
    out = {"run": [], "create": [], "start": [], "memory": []}
    for _ in range(runs):
        cid = "bench-" + uuid.uuid4().hex[:8]
        out["run"].append(timed(lambda: capsa(root, "run", "--bundle", b + "-true", cid)))
    for _ in range(runs):
        cid = "bench-" + uuid.uuid4().hex[:8]
        out["create"].append(timed(lambda: capsa(root, "create", "--bundle", b, cid)))
        out["start"].append(timed(lambda: capsa(root, "start", cid)))
        time.sleep(2)  # let the process settle (the guest's init is idle then)
        pid = json.loads(capsa(root, "state", cid).stdout)["pid"]
        out["memory"].append(sum(pss_kib(p) for p in cgroup_pids(pid)) / 1024.0)
        capsa(root, "delete", "--force", cid)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("vm_bench.py: run as root")
    if shutil.which("qemu-system-x86_64") is None:
        sys.exit("vm_bench.py: no qemu-system-x86_64")
    tmp = tempfile.mkdtemp(prefix="capsa-vm-bench-")
    try:
        rootfs = os.path.join(tmp, "rootfs")
        subprocess.run([os.path.join(REPO, "tests", "make-rootfs.sh"), rootfs, HELPER], check=True,
                       capture_output=True)
        root = os.path.join(tmp, "state")
        res = {}
        for kind, vm in (("plain", False), ("vm", True)):
            b = bundle(tmp, rootfs, ["sleep", "1000"], vm, kind)
            bundle(tmp, rootfs, ["true"], vm, kind + "-true")
            res[kind] = measure(root, b, a.runs)
        accel = subprocess.run([CAPSA, "check", "--format", "json", "--no-measure"],
                               capture_output=True, text=True).stdout
        item = {i["name"]: i for i in json.loads(accel)["items"]}.get("isolation.vm", {})
        print("VM isolation vs plain container, median of %d runs (%s)" % (a.runs, item.get("value", "?")))
        print("%-8s %12s %12s %8s" % ("", "plain", "vm", "vm/plain"))
        for k, unit in (("run", "s"), ("create", "s"), ("start", "s"), ("memory", "MiB")):
            p, v = statistics.median(res["plain"][k]), statistics.median(res["vm"][k])
            print("%-8s %10.3f %s %10.3f %s %8.1fx" % (k, p, unit.ljust(3), v, unit.ljust(3), v / p if p else 0))
    finally:
        for cid in os.listdir(os.path.join(tmp, "state")) if os.path.isdir(os.path.join(tmp, "state")) else []:
            capsa(os.path.join(tmp, "state"), "delete", "--force", cid)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
