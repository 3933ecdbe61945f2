"""Namespaces seen from inside the container: each kind new or shared with the host
(inode of /proc/self/ns/* inside vs the host's), joined by path, the time namespace's
offsets, and user-namespace id maps."""

import os
import subprocess
import time

import pytest

import capsa_harness as h

# config type -> /proc/self/ns entry
NS_FILE = {"pid": "pid", "network": "net", "ipc": "ipc", "uts": "uts", "mount": "mnt",
           "cgroup": "cgroup", "user": "user", "time": "time"}

USERNS_MAP = [{"containerID": 0, "hostID": 100000, "size": 65536}]


def host_ns(name):
    return str(os.stat("/proc/self/ns/" + name).st_ino)


def _have_ns(name):
    return os.path.exists("/proc/self/ns/" + name)


def _need_time_ns(runtime):
    if not _have_ns("time"):
        pytest.skip("kernel has no time namespace")
    if runtime.name == "runc":
        pytest.skip("runc 1.1.5 has no time namespace support")


def _set_namespaces(bundle, types):
    bundle.config["linux"]["namespaces"] = [{"type": t} for t in types]
    if "user" in types:
        bundle.config["linux"]["uidMappings"] = USERNS_MAP
        bundle.config["linux"]["gidMappings"] = USERNS_MAP
    if "network" not in types:
        # sysfs needs a network namespace of its own (runc binds /sys otherwise).
        for m in bundle.config["mounts"]:
            if m["destination"] == "/sys":
                m.update(type="bind", source="/sys", options=["rbind", "nosuid", "noexec",
                                                               "nodev", "ro"])
    if "uts" not in types:
        bundle.config.pop("hostname", None)
    if "mount" not in types:
        pytest.skip("a container without a mount namespace is not exercised here")


@pytest.mark.parametrize("kind", ["pid", "network", "ipc", "uts", "cgroup", "user", "time"])
def test_each_namespace_new_and_shared(runtime, bundle, cid, kind):
    if not _have_ns(NS_FILE[kind]):
        pytest.skip("kernel has no %s namespace" % kind)
    if kind == "time":
        _need_time_ns(runtime)
    # New: only this kind (plus mount, and pid for a user namespace: proc can only be
    # mounted by a user namespace that owns the pid namespace, mqueue the ipc one)
    # unshared; the rest shared with the host.
    new = ["mount", kind] + (["pid", "ipc"] if kind == "user" else [])
    _set_namespaces(bundle, new)
    bundle.helper("ns").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    inside = r.facts
    for cfg, name in NS_FILE.items():
        if name not in inside:
            continue
        if cfg in new:
            assert inside[name] != host_ns(name), (cfg, inside)
        elif name == "time" and kind == "user":
            continue
        else:
            assert inside[name] == host_ns(name), (cfg, kind, inside)
    h.ensure_nothing_left(runtime, cid, bundle)


def test_pid_namespace_init_is_pid1(runtime, bundle, cid):
    bundle.helper("pid").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert r.facts["pid"] == "1" and r.facts["ppid"] == "0", r


def test_uts_namespace_hostname(runtime, bundle, cid):
    bundle.config["hostname"] = "capsa-host"
    bundle.config["domainname"] = "capsa.example"
    bundle.helper("hostname").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert r.facts["hostname"] == "capsa-host", r
    if runtime.name != "runc":  # runc 1.1.5 ignores domainname
        assert r.facts["domainname"] == "capsa.example", r
    assert os.uname().nodename != "capsa-host"


def test_network_namespace_only_loopback(runtime, bundle, cid):
    bundle.set_args("sh", "-c", "ls /sys/class/net").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert r.out.split() == ["lo"], r


def test_join_netns_by_path_ip_netns(runtime, bundle, cid):
    name = "capsa-" + cid[-12:]
    r = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("ip netns add failed: " + r.stderr)
    try:
        path = "/run/netns/" + name
        ino = str(os.stat(path).st_ino)
        for n in bundle.config["linux"]["namespaces"]:
            if n["type"] == "network":
                n["path"] = path
        bundle.helper("ns").write()
        r = runtime.run(bundle, cid)
        assert r.rc == 0, r
        assert r.facts["net"] == ino, (ino, r)
    finally:
        subprocess.run(["ip", "netns", "delete", name])


def test_join_namespaces_of_a_process(runtime, bundle, cid):
    """network, ipc and uts joined through /proc/<pid>/ns of a sleeping process."""
    p = subprocess.Popen(["unshare", "--net", "--ipc", "--uts", "sleep", "30"])
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if os.stat("/proc/%d/ns/net" % p.pid).st_ino != int(host_ns("net")):
                break
            time.sleep(0.02)
        want = {k: str(os.stat("/proc/%d/ns/%s" % (p.pid, k)).st_ino)
                for k in ("net", "ipc", "uts")}
        assert want["net"] != host_ns("net")
        for n in bundle.config["linux"]["namespaces"]:
            if n["type"] in ("network", "ipc", "uts"):
                n["path"] = "/proc/%d/ns/%s" % (p.pid, NS_FILE[n["type"]])
        bundle.helper("ns").write()
        r = runtime.run(bundle, cid)
        assert r.rc == 0, r
        for k, v in want.items():
            assert r.facts[k] == v, (k, want, r)
        # pid and mount are still new.
        assert r.facts["pid"] != host_ns("pid")
    finally:
        p.kill()
        p.wait()


def test_join_pid_namespace_of_running_container(runtime, make_bundle, cid, workdir):
    """A second container joins the first one's pid namespace by path."""
    b1 = make_bundle()
    b1.set_args("sleep", "30").write()
    assert runtime.run(b1, cid, "-d").rc == 0
    pid = runtime.state(cid)["pid"]
    runtime.pids[cid] = pid
    b2 = make_bundle()
    for n in b2.config["linux"]["namespaces"]:
        if n["type"] == "pid":
            n["path"] = "/proc/%d/ns/pid" % pid
    b2.set_args("sh", "-c", h.HELPER + " ns; echo self=$$").write()
    r = runtime.run(b2, cid + "-2")
    assert r.rc == 0, r
    assert r.facts["pid"] == str(os.stat("/proc/%d/ns/pid" % pid).st_ino), r
    # Not the init of that namespace (the first container's sleep is).
    assert r.facts["self"] != "1", r
    assert runtime.delete(cid, force=True).rc == 0


def test_join_nonexistent_namespace_path_fails(runtime, bundle, cid):
    for n in bundle.config["linux"]["namespaces"]:
        if n["type"] == "network":
            n["path"] = "/proc/999999999/ns/net"
    bundle.set_args("true").write()
    r = h.create_fails(runtime, bundle, cid)
    assert "/proc/999999999/ns/net" in r.err, r


def test_time_namespace_offsets(runtime, bundle, cid):
    _need_time_ns(runtime)
    offset = 10 * 86400
    bundle.config["linux"]["namespaces"].append({"type": "time"})
    bundle.config["linux"]["timeOffsets"] = {"boottime": {"secs": offset, "nanosecs": 0},
                                             "monotonic": {"secs": offset}}
    bundle.helper("read", "/proc/uptime", "--", "ns").write()
    before = time.clock_gettime(time.CLOCK_BOOTTIME)
    r = runtime.run(bundle, cid)
    after = time.clock_gettime(time.CLOCK_BOOTTIME)
    assert r.rc == 0, r
    uptime = float(r.out.split()[0])
    assert before + offset - 1 <= uptime <= after + offset + 1, (before, uptime, after)
    assert r.facts["time"] != host_ns("time")
    h.ensure_nothing_left(runtime, cid, bundle)


def test_user_namespace_maps(runtime, bundle, cid):
    if not _have_ns("user"):
        pytest.skip("kernel has no user namespace")
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000,
                                              "size": 65536}]
    bundle.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 200000,
                                              "size": 1000}]
    bundle.helper("ids", "--", "read", "/proc/self/uid_map", "--",
                  "read", "/proc/self/gid_map").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    f = r.facts
    assert (f["uid"], f["gid"], f["euid"], f["egid"]) == ("0", "0", "0", "0"), r
    maps = [l.split() for l in r.out.splitlines() if "=" not in l]
    assert ["0", "100000", "65536"] in maps, r.out
    assert ["0", "200000", "1000"] in maps, r.out


def test_user_namespace_host_view_of_ids(runtime, bundle, cid, workdir):
    """The init runs as host uid 100000 (container root) seen from outside."""
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.config["linux"]["uidMappings"] = USERNS_MAP
    bundle.config["linux"]["gidMappings"] = USERNS_MAP
    bundle.set_args("sleep", "30").write()
    assert runtime.run(bundle, cid, "-d").rc == 0
    pid = runtime.state(cid)["pid"]
    runtime.pids[cid] = pid
    st = os.stat("/proc/%d" % pid)
    assert (st.st_uid, st.st_gid) == (100000, 100000)
    with open("/proc/%d/uid_map" % pid) as f:
        assert f.read().split() == ["0", "100000", "65536"]
    assert runtime.delete(cid, force=True).rc == 0
    h.ensure_nothing_left(runtime, cid, bundle)
