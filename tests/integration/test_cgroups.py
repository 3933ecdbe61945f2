"""cgroups on whatever layout this host has (v1, hybrid or v2; with CAPSA_TEST_SYSTEMD=1
through the systemd driver): every resource is read back from the host's cgroup files
and from inside the container (cgroup namespace + /sys/fs/cgroup mount); OOM kill in
`events`, pids limit against a fork bomb, device rules, pause/resume, update, ps, and
delete leaving no cgroup directory behind.  tests/cgroup-v2.sh runs this file in a pure
cgroup v2 guest, with and without systemd."""

import json
import os
import subprocess
import time

import pytest

import capsa_harness as h

CG = "/sys/fs/cgroup"
SYSTEMD = os.environ.get("CAPSA_TEST_SYSTEMD") == "1"


def detect_layout():
    if os.path.exists(os.path.join(CG, "cgroup.controllers")):
        return "v2"
    if os.path.exists(os.path.join(CG, "unified", "cgroup.controllers")):
        return "hybrid"
    return "v1"


LAYOUT = detect_layout()
V2 = LAYOUT == "v2"


def v1_mounts():
    """controller -> v1 mount point, from mountinfo."""
    out = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            fields = post.split()
            if fields[0] != "cgroup":
                continue
            mnt = pre.split()[4]
            for opt in fields[2].split(","):
                out.setdefault(opt, mnt)
    return out


V1_MOUNTS = {} if V2 else v1_mounts()


def print_layout():
    print("cgroup layout: %s%s" % (LAYOUT, " (systemd driver)" if SYSTEMD else ""))


def cg_path(cid):
    """The container's cgroup relative to each hierarchy root."""
    if SYSTEMD:
        return "/system.slice/capsa-test-%s.scope" % cid
    return "/capsa-test/%s" % cid


def host_dir(cid, controller):
    """Host directory of the container's cgroup for a controller (None: host lacks it)."""
    if V2:
        return CG + cg_path(cid)
    mnt = V1_MOUNTS.get(controller)
    if mnt is None and LAYOUT == "hybrid":
        with open(os.path.join(CG, "unified", "cgroup.controllers")) as f:
            if controller in f.read().split():
                return os.path.join(CG, "unified") + cg_path(cid)
    return mnt + cg_path(cid) if mnt else None


def inside_path(controller, name):
    """The same file seen in the container's /sys/fs/cgroup (its own cgroup at the root)."""
    if V2:
        return "%s/%s" % (CG, name)
    mnt = V1_MOUNTS.get(controller)
    if mnt is None:
        return "%s/unified/%s" % (CG, name)
    return "%s/%s/%s" % (CG, os.path.basename(mnt), name)


def read_host(cid, controller, name):
    with open(os.path.join(host_dir(cid, controller), name)) as f:
        return f.read().strip()


def need_file(cid, controller, name):
    d = host_dir(cid, controller)
    if d is None or not os.path.exists(os.path.join(d, name)):
        pytest.skip("%s host has no %s/%s" % (LAYOUT, controller, name))


@pytest.fixture
def cgrt(request, workdir):
    """capsa with the systemd driver when CAPSA_TEST_SYSTEMD=1."""
    if not os.access(h.CAPSA_BIN, os.X_OK):
        pytest.fail("capsa binary %s is not built (set CAPSA_BIN)" % h.CAPSA_BIN)
    rt = h.Runtime("capsa", h.CAPSA_BIN, os.path.join(workdir, "state-capsa"),
                   os.path.join(workdir, "io-capsa"),
                   global_args=["--systemd-cgroup"] if SYSTEMD else [])
    request.node._capsa_runtimes.append(rt)
    return rt


def cg_config(bundle, cid, resources, args):
    c = bundle.config
    c["linux"]["cgroupsPath"] = ("system.slice:capsa-test:%s" % cid) if SYSTEMD \
        else "/capsa-test/%s" % cid
    c["linux"]["namespaces"].append({"type": "cgroup"})
    res = c["linux"]["resources"]
    res.update(resources)
    bundle.set_args(*args)
    bundle.write()
    return bundle


def run_detached(rt, bundle, cid):
    r = rt.run(bundle, cid, "--detach")
    assert r.rc == 0, r
    st = rt.wait_status(cid, "running")
    assert st and st["status"] == "running", (st, r)
    rt.pids[cid] = st["pid"]
    return st


def exec_read(rt, cid, path):
    """Read a file inside the running container (exec), else None when exec is absent."""
    r = rt("exec", cid, h.HELPER, "read", path)
    assert r.rc == 0, r
    return r.out.strip()


def run_helper(rt, bundle, cid, resources, *helper_args):
    """Run the helper to completion in a fresh container; returns its Result."""
    cg_config(bundle, cid, resources, (h.HELPER,) + helper_args)
    return rt.run(bundle, cid)


def remove(rt, cid, bundle):
    r = rt.delete(cid, force=True)
    assert r.rc == 0, r
    h.ensure_nothing_left(rt, cid, bundle)


# --------------------------------------------------------------------------- tests

def test_layout_and_namespace(cgrt, bundle, cid):
    print_layout()
    r = run_helper(cgrt, bundle, cid, {}, "cgroup")
    assert r.rc == 0, r
    lines = [l for l in r.out.splitlines() if l]
    assert lines, r
    # cgroup namespace: every hierarchy shows the container's cgroup as "/"
    for l in lines:
        assert l.split(":", 2)[2] == "/", r.out
    if V2:
        assert lines == ["0::/"], r.out
    h.ensure_nothing_left(cgrt, cid, bundle)


def test_process_placed_in_its_cgroup(cgrt, bundle, cid):
    cg_config(bundle, cid, {}, ("sleep", "100"))
    st = run_detached(cgrt, bundle, cid)
    with open("/proc/%d/cgroup" % st["pid"]) as f:
        text = f.read()
    for line in text.splitlines():
        _, ctrls, path = line.split(":", 2)
        if V2 or ctrls in ("memory", "pids") or "cpu" in ctrls.split(","):
            assert path == cg_path(cid), text
    remove(cgrt, cid, bundle)


def test_memory_limit(cgrt, bundle, cid):
    mem = {"limit": 64 << 20, "reservation": 32 << 20}
    cg_config(bundle, cid, {"memory": mem}, ("sleep", "100"))
    run_detached(cgrt, bundle, cid)
    if V2:
        files = {"memory.max": str(64 << 20), "memory.low": str(32 << 20)}
    else:
        files = {"memory.limit_in_bytes": str(64 << 20),
                 "memory.soft_limit_in_bytes": str(32 << 20)}
    for name, want in files.items():
        assert read_host(cid, "memory", name) == want, name
        assert exec_read(cgrt, cid, inside_path("memory", name)) == want, name
    remove(cgrt, cid, bundle)


def test_cpu_shares_quota_period(cgrt, bundle, cid):
    cpu = {"shares": 512, "quota": 50000, "period": 100000}
    cg_config(bundle, cid, {"cpu": cpu}, ("sleep", "100"))
    run_detached(cgrt, bundle, cid)
    if V2:
        # runtime-spec conversion: weight = 1 + ((shares - 2) * 9999) / 262142
        files = {"cpu.weight": str(1 + ((512 - 2) * 9999) // 262142), "cpu.max": "50000 100000"}
    else:
        files = {"cpu.shares": "512", "cpu.cfs_quota_us": "50000", "cpu.cfs_period_us": "100000"}
    for name, want in files.items():
        assert read_host(cid, "cpu", name) == want, name
        assert exec_read(cgrt, cid, inside_path("cpu", name)) == want, name
    remove(cgrt, cid, bundle)


def test_cpuset(cgrt, bundle, cid):
    cg_config(bundle, cid, {"cpu": {"cpus": "0", "mems": "0"}}, ("sleep", "100"))
    run_detached(cgrt, bundle, cid)
    assert read_host(cid, "cpuset", "cpuset.cpus") == "0"
    assert read_host(cid, "cpuset", "cpuset.mems") == "0"
    assert exec_read(cgrt, cid, inside_path("cpuset", "cpuset.cpus")) == "0"
    remove(cgrt, cid, bundle)


def test_pids_limit_stops_fork_bomb(cgrt, bundle, cid):
    r = run_helper(cgrt, bundle, cid, {"pids": {"limit": 10}}, "fork-bomb", "50")
    assert r.rc == 0, r
    f = r.facts
    assert 0 < int(f["forked"]) < 10, r
    assert f["errno_name"] == "EAGAIN", r
    h.ensure_nothing_left(cgrt, cid, bundle)


def test_pids_limit_files(cgrt, bundle, cid):
    cg_config(bundle, cid, {"pids": {"limit": 10}}, ("sleep", "100"))
    run_detached(cgrt, bundle, cid)
    assert read_host(cid, "pids", "pids.max") == "10"
    assert exec_read(cgrt, cid, inside_path("pids", "pids.max")) == "10"
    remove(cgrt, cid, bundle)


@pytest.mark.parametrize("access,want", [("m", "EPERM"), ("rm", None)])
def test_device_rules_block_device(cgrt, bundle, cid, access, want):
    """mknod of /dev/sda's numbers is allowed ("m"); opening it only with "r"."""
    caps = bundle.config["process"]["capabilities"]
    for k in ("bounding", "effective", "permitted"):
        caps[k].append("CAP_MKNOD")
    devices = [{"allow": False, "access": "rwm"},
               {"allow": True, "type": "b", "major": 8, "minor": 0, "access": access}]
    cg_config(bundle, cid, {"devices": devices},
              ("sh", "-c", "mknod /dev/sdx b 8 0 && exec %s read /dev/sdx" % h.HELPER))
    r = cgrt.run(bundle, cid)
    if want:
        assert r.rc == 1 and r.facts.get("errno_name") == want, r
    else:
        # allowed by the rules: whatever the host's disk, not a cgroup EPERM
        assert r.facts.get("errno_name") != "EPERM", r
    h.ensure_nothing_left(cgrt, cid, bundle)


def test_oom_kill_reported_by_events(cgrt, bundle, cid):
    mem = {"limit": 32 << 20}
    if V2 or os.path.exists(os.path.join(V1_MOUNTS.get("memory", "/nonexistent"),
                                         "memory.memsw.limit_in_bytes")):
        mem["swap"] = 32 << 20  # no swap: the hog is killed, not swapped out
    cg_config(bundle, cid, {"memory": mem}, ("sh", "-c", "%s memhog 256; sleep 100" % h.HELPER))
    r = cgrt.create(bundle, cid)
    assert r.rc == 0, r
    # events registers its OOM watch before the first stats line: start after that
    ev = cgrt.spawn("events", "--interval", "100ms", cid)
    try:
        assert h.wait_for_output(ev.out_path, '"type":"stats"', timeout=30), \
            open(ev.err_path).read()
        assert cgrt.start(cid).rc == 0
        seen = h.wait_for_output(ev.out_path, '"type":"oom"', timeout=30)
        assert seen, (open(ev.err_path).read(), cgrt.state(cid),
                      open(os.path.join(host_dir(cid, "memory"),
                                        "memory.events" if V2 else "memory.oom_control")).read())
    finally:
        ev.kill()
        ev.wait()
    with open(ev.out_path) as f:
        events = [json.loads(l) for l in f if l.endswith("}\n")]
    ooms = [e for e in events if e["type"] == "oom"]
    assert ooms[0] == {"type": "oom", "id": cid}
    assert {e["type"] for e in events} == {"stats", "oom"}
    remove(cgrt, cid, bundle)


def test_events_stats_shape(cgrt, bundle, cid):
    cg_config(bundle, cid, {"memory": {"limit": 64 << 20}, "pids": {"limit": 20}},
              ("sleep", "100"))
    run_detached(cgrt, bundle, cid)
    r = cgrt("events", "--stats", cid)
    assert r.rc == 0, r
    assert r.out.endswith("}\n") and r.out.count("\n") == 1, r
    e = r.json()
    assert (e["type"], e["id"]) == ("stats", cid)
    d = e["data"]
    assert list(d) == ["cpu", "cpuset", "memory", "pids", "blkio", "hugetlb", "intel_rdt",
                       "network_interfaces"]
    assert d["memory"]["usage"]["limit"] == 64 << 20
    assert d["memory"]["usage"]["usage"] > 0
    assert d["pids"] == {"current": 1, "limit": 20}
    assert d["cpu"]["usage"]["total"] > 0
    assert 0 in d["cpuset"]["cpus"]
    remove(cgrt, cid, bundle)


def test_events_refuses_stopped(cgrt, bundle, cid):
    cg_config(bundle, cid, {}, ("true",))
    r = cgrt.create(bundle, cid)
    assert r.rc == 0, r
    assert cgrt.start(cid).rc == 0
    assert cgrt.wait_status(cid, "stopped")["status"] == "stopped"
    r = cgrt("events", "--stats", cid)
    assert r.rc == 1 and "is not running" in r.err, r
    remove(cgrt, cid, bundle)


def test_pause_resume(cgrt, bundle, cid):
    cg_config(bundle, cid, {}, ("sh", "-c", "i=0; while :; do i=$((i+1)); echo $i >/dev/shm/n; "
                                "usleep 50000; done"))
    st = run_detached(cgrt, bundle, cid)
    counter = "/proc/%d/root/dev/shm/n" % st["pid"]

    def count():
        with open(counter) as f:
            return int(f.read() or 0)

    time.sleep(0.3)
    assert cgrt("pause", cid).rc == 0
    assert cgrt.state(cid)["status"] == "paused"
    assert cgrt("list").out.split("\n")[1].split()[2] == "paused"
    if V2:
        assert read_host(cid, "freezer", "cgroup.freeze") == "1"
    else:
        assert read_host(cid, "freezer", "freezer.state") == "FROZEN"
    frozen_at = count()
    time.sleep(0.5)
    assert count() == frozen_at
    r = cgrt("exec", cid, "true")
    assert r.rc != 0 and "paused" in r.err, r
    r = cgrt("pause", cid)
    assert r.rc == 1 and "container not running" in r.err, r
    assert cgrt("resume", cid).rc == 0
    assert cgrt.state(cid)["status"] == "running"
    deadline = time.monotonic() + 10
    while count() == frozen_at and time.monotonic() < deadline:
        time.sleep(0.05)
    assert count() > frozen_at
    r = cgrt("resume", cid)
    assert r.rc == 1 and "container not paused" in r.err, r
    remove(cgrt, cid, bundle)


def test_kill_all_and_delete_force_paused(cgrt, bundle, cid):
    cg_config(bundle, cid, {}, ("sh", "-c", "sleep 100 & sleep 100 & wait"))
    run_detached(cgrt, bundle, cid)
    assert cgrt("pause", cid).rc == 0
    r = cgrt.delete(cid, force=True)
    assert r.rc == 0, r
    h.ensure_nothing_left(cgrt, cid, bundle)


def test_update_flags_visible_in_files(cgrt, bundle, cid):
    cg_config(bundle, cid, {"memory": {"limit": 64 << 20}, "pids": {"limit": 20}},
              ("sleep", "100"))
    run_detached(cgrt, bundle, cid)
    r = cgrt("update", "--memory", "100M", "--pids-limit", "30", "--cpu-quota", "20000",
             "--cpu-period", "100000", "--cpu-share", "256", cid)
    assert r.rc == 0, r
    want = {("memory", "memory.max" if V2 else "memory.limit_in_bytes"): str(100 << 20),
            ("pids", "pids.max"): "30"}
    if V2:
        want[("cpu", "cpu.max")] = "20000 100000"
        want[("cpu", "cpu.weight")] = str(1 + ((256 - 2) * 9999) // 262142)
    else:
        want[("cpu", "cpu.cfs_quota_us")] = "20000"
        want[("cpu", "cpu.shares")] = "256"
    for (ctrl, name), value in want.items():
        assert read_host(cid, ctrl, name) == value, name
        assert exec_read(cgrt, cid, inside_path(ctrl, name)) == value, name
    # --resources: the OCI JSON from stdin; unset values stay
    r = cgrt("update", "--resources=-", cid, input='{"pids": {"limit": 40}}')
    assert r.rc == 0, r
    assert read_host(cid, "pids", "pids.max") == "40"
    assert read_host(cid, "memory", "memory.max" if V2 else "memory.limit_in_bytes") == \
        str(100 << 20)
    r = cgrt("update", "--memory", "1x", cid)
    assert r.rc == 1 and "invalid value for memory: invalid size: '1x'" in r.err, r
    r = cgrt("update", "--resources=-", cid, input='{"pids": {"limit": "many"}}')
    assert r.rc == 1 and "pids.limit" in r.err, r
    remove(cgrt, cid, bundle)


def test_ps(cgrt, bundle, cid):
    cg_config(bundle, cid, {}, ("sh", "-c", "sleep 100 & wait"))
    st = run_detached(cgrt, bundle, cid)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        r = cgrt("ps", "--format", "json", cid)
        assert r.rc == 0, r
        pids = json.loads(r.out)
        if len(pids) == 2:
            break
        time.sleep(0.05)
    assert st["pid"] in pids and len(pids) == 2, pids
    r = cgrt("ps", cid)
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert "PID" in lines[0].split()
    assert sorted(int(l.split()[1]) for l in lines[1:]) == sorted(pids), r.out
    r = cgrt("ps", cid, "--", "-o", "pid,comm")
    assert r.rc == 0, r
    assert sorted(l.split()[1] for l in r.out.splitlines()[1:]) == ["sh", "sleep"], r.out
    r = cgrt("ps", "--format", "xml", cid)
    assert r.rc == 1 and "invalid format option" in r.err, r
    remove(cgrt, cid, bundle)


def test_hugetlb_limit(cgrt, bundle, cid):
    if not os.path.isdir("/sys/kernel/mm/hugepages/hugepages-2048kB"):
        pytest.skip("no 2MB huge pages on this host")
    cg_config(bundle, cid, {"hugepageLimits": [{"pageSize": "2MB", "limit": 4 << 20}]},
              ("sleep", "100"))
    d = host_dir(cid, "hugetlb")
    if d is None:
        pytest.skip("%s host has no hugetlb controller" % LAYOUT)
    run_detached(cgrt, bundle, cid)
    name = "hugetlb.2MB.limit_in_bytes" if "unified" not in d and not V2 else "hugetlb.2MB.max"
    assert read_host(cid, "hugetlb", name) == str(4 << 20)
    remove(cgrt, cid, bundle)


def test_blkio_weight(cgrt, bundle, cid):
    name = "io.weight" if V2 else "blkio.weight"
    ctrl = "io" if V2 else "blkio"
    parent = os.path.dirname(host_dir("x", ctrl) or "/nonexistent")
    probe = os.path.join(os.path.dirname(parent), name) if not SYSTEMD else None
    if probe is None or not os.path.exists(probe):
        pytest.skip("%s host has no %s (no BFQ/iocost scheduler)" % (LAYOUT, name))
    cg_config(bundle, cid, {"blockIO": {"weight": 500}}, ("sleep", "100"))
    run_detached(cgrt, bundle, cid)
    got = read_host(cid, ctrl, name)
    assert got.split()[-1] == ("5000" if V2 else "500") or got == "default 5000", got
    remove(cgrt, cid, bundle)


def test_delete_leaves_no_cgroup(cgrt, bundle, cid):
    cg_config(bundle, cid, {"memory": {"limit": 64 << 20}, "pids": {"limit": 20},
                            "cpu": {"shares": 512}}, ("sh", "-c", "sleep 100 & wait"))
    run_detached(cgrt, bundle, cid)
    assert h.cgroup_dirs_named(os.path.basename(cg_path(cid))), "no cgroup created"
    assert cgrt.kill(cid, "KILL", "--all").rc == 0
    cgrt.wait_status(cid, "stopped")
    r = cgrt.delete(cid)
    assert r.rc == 0, r
    assert h.cgroup_dirs_named(os.path.basename(cg_path(cid))) == []
    h.ensure_nothing_left(cgrt, cid, bundle)


def test_systemd_scope_properties(cgrt, bundle, cid):
    """The scope is a real systemd unit carrying the resources as properties."""
    if not SYSTEMD:
        pytest.skip("systemd driver not in use (CAPSA_TEST_SYSTEMD=1 under systemd)")
    cg_config(bundle, cid, {"memory": {"limit": 64 << 20}, "pids": {"limit": 20},
                            "cpu": {"quota": 50000, "period": 100000}}, ("sleep", "100"))
    run_detached(cgrt, bundle, cid)
    unit = "capsa-test-%s.scope" % cid
    r = subprocess.run(["systemctl", "show", unit, "-p", "ActiveState,Slice,Delegate,"
                        "MemoryMax,TasksMax,CPUQuotaPerSecUSec,ControlGroup"],
                       capture_output=True, text=True, timeout=30)
    props = dict(l.split("=", 1) for l in r.stdout.splitlines() if "=" in l)
    assert props.get("ActiveState") == "active", r
    assert props["Slice"] == "system.slice"
    assert props["Delegate"] == "yes"
    assert props["MemoryMax"] == str(64 << 20)
    assert props["TasksMax"] == "20"
    assert props["CPUQuotaPerSecUSec"] == "500ms"
    assert props["ControlGroup"] == cg_path(cid)
    r = cgrt("update", "--pids-limit", "30", cid)
    assert r.rc == 0, r
    r = subprocess.run(["systemctl", "show", unit, "-p", "TasksMax"], capture_output=True,
                       text=True, timeout=30)
    assert r.stdout.strip() == "TasksMax=30"
    assert read_host(cid, "pids", "pids.max") == "30"
    remove(cgrt, cid, bundle)
    r = subprocess.run(["systemctl", "is-active", unit], capture_output=True, text=True,
                       timeout=30)
    assert r.stdout.strip() in ("inactive", "unknown"), r


def _exec_cgroup(rt, cid, *flags):
    """/proc/self/cgroup of a process exec'd with the --cgroup flags, as lines."""
    args = []
    for f in flags:
        args += ["--cgroup", f]
    r = rt("exec", *args, cid, h.HELPER, "cgroup")
    assert r.rc == 0, r
    return sorted(l for l in r.out.splitlines() if l)


def test_exec_cgroup_sub_cgroup(cgrt, bundle, cid):
    """exec --cgroup (issue 16 item 13): the process is in the container's cgroup
    in every hierarchy, in the named sub-cgroup only where one is named (cgroup
    namespace: the container's cgroup is "/")."""
    cg_config(bundle, cid, {}, (h.HELPER, "sleep", "60"))
    run_detached(cgrt, bundle, cid)
    os.mkdir(host_dir(cid, "memory") + "/sub")
    if V2:
        # one tree: a bare path, or any controller naming it, is the leaf's sub
        assert _exec_cgroup(cgrt, cid, "sub") == ["0::/sub"]
        assert _exec_cgroup(cgrt, cid, "memory:sub") == ["0::/sub"]
        assert _exec_cgroup(cgrt, cid, "memory:sub", "pids:sub") == ["0::/sub"]
        r = cgrt("exec", "--cgroup", "memory:sub", "--cgroup", "pids:other", cid, "true")
        assert r.rc != 0 and "name different sub-cgroups" in r.err, r
    else:
        lines = _exec_cgroup(cgrt, cid, "memory:sub")
        for l in lines:
            _, ctrls, path = l.split(":", 2)
            assert path == ("/sub" if "memory" in ctrls.split(",") else "/"), lines
    assert all(l.endswith(":/") for l in _exec_cgroup(cgrt, cid, "/")), "not the container's"
    r = cgrt("exec", "--cgroup", "..", cid, "true")
    assert r.rc != 0 and "bad sub cgroup path" in r.err, r
    remove(cgrt, cid, bundle)


def test_systemd_driver_without_systemd(workdir, bundle, cid):
    if os.path.exists("/run/systemd/system"):
        pytest.skip("systemd runs here")
    rt = h.Runtime("capsa", h.CAPSA_BIN, os.path.join(workdir, "state-sd"),
                   os.path.join(workdir, "io-sd"), global_args=["--systemd-cgroup"])
    bundle.set_args("true").write()
    r = rt.run(bundle, cid)
    assert r.rc == 1 and "systemd is not running" in r.err, r
    h.ensure_nothing_left(rt, cid, bundle)


# ----------------------------------------------- update: runc's semantics (issue 17)

# The body Docker 20.10 sends on every `docker update` (--restart, --cpus, ...): every
# resource field, 0 for what the user did not set.  runc reads 0 as "leave unchanged".
DOCKER_ZEROS = {
    "memory": {"limit": 0, "reservation": 0, "swap": 0, "kernel": 0, "kernelTCP": 0},
    "cpu": {"shares": 0, "quota": 0, "period": 0, "realtimeRuntime": 0,
            "realtimePeriod": 0, "cpus": "", "mems": ""},
    "pids": {"limit": 0},
    "blockIO": {"weight": 0},
}
ZERO_FLAGS = ("--memory", "0", "--memory-reservation", "0", "--memory-swap", "0",
              "--pids-limit", "0", "--cpu-share", "0", "--cpu-quota", "0",
              "--cpu-period", "0", "--blkio-weight", "0")
LIMIT_FILES = {
    "v1": [("memory", "memory.limit_in_bytes"), ("memory", "memory.soft_limit_in_bytes"),
           ("memory", "memory.memsw.limit_in_bytes"), ("memory", "memory.kmem.tcp.limit_in_bytes"),
           ("cpu", "cpu.shares"), ("cpu", "cpu.cfs_quota_us"), ("cpu", "cpu.cfs_period_us"),
           ("pids", "pids.max"), ("cpuset", "cpuset.cpus"), ("cpuset", "cpuset.mems"),
           ("blkio", "blkio.weight"), ("blkio", "blkio.bfq.weight")],
    "v2": [("memory", "memory.max"), ("memory", "memory.low"), ("memory", "memory.swap.max"),
           ("cpu", "cpu.weight"), ("cpu", "cpu.max"), ("pids", "pids.max"),
           ("cpuset", "cpuset.cpus"), ("cpuset", "cpuset.mems"), ("io", "io.weight"),
           ("io", "io.bfq.weight")],
}
UNIT_PROPS = "MemoryMax,MemoryLow,MemorySwapMax,TasksMax,CPUQuotaPerSecUSec,CPUWeight"
MEM = "memory.max" if V2 else "memory.limit_in_bytes"
UNLIMITED = "max" if V2 else "9223372036854771712"


def limits(cid):
    """Every limit file the container's cgroup has, and with systemd the unit's
    resource properties: {name: value}."""
    out = {}
    for ctrl, name in LIMIT_FILES["v2" if V2 else "v1"]:
        d = host_dir(cid, ctrl)
        if d and os.path.exists(os.path.join(d, name)):
            out[name] = read_host(cid, ctrl, name)
    if SYSTEMD:
        r = subprocess.run(["systemctl", "show", "capsa-test-%s.scope" % cid, "-p", UNIT_PROPS],
                           capture_output=True, text=True, timeout=30)
        out.update(l.split("=", 1) for l in r.stdout.splitlines() if "=" in l)
    return out


def has_swap_limit(cid):
    return os.path.exists(os.path.join(host_dir(cid, "memory"),
                                       "memory.swap.max" if V2 else "memory.memsw.limit_in_bytes"))


def swap_file(cid):
    """The swap limit as the OCI spec speaks it (memory + swap), from the files."""
    if not V2:
        return read_host(cid, "memory", "memory.memsw.limit_in_bytes")
    mem, swap = read_host(cid, "memory", "memory.max"), read_host(cid, "memory", "memory.swap.max")
    return "max" if "max" in (mem, swap) else str(int(mem) + int(swap))


def test_update_docker_zeros_change_nothing(cgrt, bundle, cid):
    """Docker's update body (all zeros), the same zeros as flags: exit 0, every limit
    (and systemd property) stays; a body with only a memory limit changes only that,
    not the soft limit nor the CPU quota (systemd: not CPUQuotaPerSecUSec=infinity)."""
    mem = {"limit": 64 << 20, "reservation": 32 << 20}
    cg_config(bundle, cid, {"memory": mem, "pids": {"limit": 20},
                            "cpu": {"shares": 512, "quota": 50000, "period": 100000}},
              ("sleep", "100"))
    run_detached(cgrt, bundle, cid)
    before = limits(cid)
    assert before[MEM] == str(64 << 20) and before["pids.max"] == "20", before
    r = cgrt("update", "--resources=-", cid, input=json.dumps(DOCKER_ZEROS))
    assert r.rc == 0, r
    assert limits(cid) == before
    r = cgrt("update", *ZERO_FLAGS, cid)
    assert r.rc == 0, r
    assert limits(cid) == before
    body = json.loads(json.dumps(DOCKER_ZEROS))
    body["memory"]["limit"] = 96 << 20
    r = cgrt("update", "--resources=-", cid, input=json.dumps(body))
    assert r.rc == 0, r
    after = limits(cid)
    assert after.pop(MEM) == str(96 << 20)
    if SYSTEMD:
        assert after.pop("MemoryMax") == str(96 << 20)
    before.pop(MEM)
    before.pop("MemoryMax", None)
    assert after == before
    remove(cgrt, cid, bundle)


def test_create_with_zero_limits(cgrt, bundle, cid):
    """memory.limit 0, swap 0 and the other zeros at create mean "no limit", as in runc."""
    cg_config(bundle, cid, DOCKER_ZEROS, ("sleep", "100"))
    run_detached(cgrt, bundle, cid)
    got = limits(cid)
    assert got[MEM] == UNLIMITED, got
    if SYSTEMD:  # pids.max: systemd's DefaultTasksMax, as with runc
        assert got["MemoryMax"] == "infinity" and got["CPUQuotaPerSecUSec"] == "infinity", got
    else:
        assert got["pids.max"] == "max", got
    remove(cgrt, cid, bundle)


def test_update_memory_unlimited_with_swap(cgrt, bundle, cid):
    """update --memory -1 with a swap limit set: both unlimited (runc sets swap -1
    too; the kernel refuses memory above memsw)."""
    cg_config(bundle, cid, {"memory": {"limit": 64 << 20, "swap": 128 << 20}}, ("sleep", "100"))
    run_detached(cgrt, bundle, cid)
    if not has_swap_limit(cid):
        remove(cgrt, cid, bundle)
        pytest.skip("no swap accounting on this host")
    assert swap_file(cid) == str(128 << 20)
    r = cgrt("update", "--memory", "-1", cid)
    assert r.rc == 0, r
    assert read_host(cid, "memory", MEM) == UNLIMITED
    assert swap_file(cid) == UNLIMITED
    remove(cgrt, cid, bundle)


@pytest.mark.parametrize("how", ["flags", "json"])
def test_update_memory_and_swap_both_ways(cgrt, bundle, cid, how):
    """Memory and memory+swap raised together, lowered together, and crossed (memory
    up, memory+swap down), in the order the kernel takes; memory alone keeps the
    memory+swap total (v2: memory.swap.max follows, as runc computes it)."""
    cg_config(bundle, cid, {"memory": {"limit": 64 << 20, "swap": 128 << 20}}, ("sleep", "100"))
    run_detached(cgrt, bundle, cid)
    if not has_swap_limit(cid):
        remove(cgrt, cid, bundle)
        pytest.skip("no swap accounting on this host")
    for mem, swap in ((256, 512), (32, 48), (40, 44), (8, 400), (300, 400)):
        if how == "flags":
            r = cgrt("update", "--memory", "%dM" % mem, "--memory-swap", "%dM" % swap, cid)
        else:
            r = cgrt("update", "--resources=-", cid, input=json.dumps(
                {"memory": {"limit": mem << 20, "swap": swap << 20}}))
        assert r.rc == 0, (mem, swap, r)
        assert (read_host(cid, "memory", MEM), swap_file(cid)) == \
            (str(mem << 20), str(swap << 20)), (mem, swap)
    r = cgrt("update", "--memory", "100M", cid)
    assert r.rc == 0, r
    assert (read_host(cid, "memory", MEM), swap_file(cid)) == (str(100 << 20), str(400 << 20))
    remove(cgrt, cid, bundle)


def _parent_with_quota(cid):
    """A parent cgroup limited to half a CPU, for the container's cgroupsPath."""
    parent = "/capsa-test/%s-p" % cid
    d = (CG if V2 else V1_MOUNTS["cpu"]) + parent
    os.makedirs(d)
    if V2:
        for up in (CG, CG + "/capsa-test"):
            with open(up + "/cgroup.subtree_control", "w") as f:
                f.write("+cpu")
        with open(d + "/cpu.max", "w") as f:
            f.write("50000 100000")
    else:
        with open(d + "/cpu.cfs_quota_us", "w") as f:
            f.write("50000")
    return parent


def _remove_parent(parent):
    tops = {CG} if V2 else set(V1_MOUNTS.values()) | {CG + "/unified"}
    for top in tops:
        if os.path.isdir(top + parent):
            os.rmdir(top + parent)


def test_update_cpu_period_under_parent_quota(cgrt, bundle, cid):
    """A shorter period with a smaller quota, under a parent with its own quota: the
    period alone would break the parent's limit (EINVAL), so it goes after the quota,
    as runc retries it."""
    if SYSTEMD:
        pytest.skip("the parent is a systemd slice here")
    parent = _parent_with_quota(cid)
    try:
        cg_config(bundle, cid, {"cpu": {"quota": 20000, "period": 100000}}, ("sleep", "100"))
        bundle.config["linux"]["cgroupsPath"] = "%s/%s" % (parent, cid)
        bundle.write()
        run_detached(cgrt, bundle, cid)
        d = (CG if V2 else V1_MOUNTS["cpu"]) + parent + "/" + cid
        for quota, period in ((3000, 10000), (20000, 100000)):
            r = cgrt("update", "--cpu-period", str(period), "--cpu-quota", str(quota), cid)
            assert r.rc == 0, r
            if V2:
                with open(d + "/cpu.max") as f:
                    assert f.read().split() == [str(quota), str(period)]
            else:
                with open(d + "/cpu.cfs_quota_us") as f, open(d + "/cpu.cfs_period_us") as g:
                    assert (f.read().strip(), g.read().strip()) == (str(quota), str(period))
        remove(cgrt, cid, bundle)
    finally:
        cgrt.delete(cid, force=True)
        _remove_parent(parent)
